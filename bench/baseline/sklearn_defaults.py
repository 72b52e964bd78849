#!/usr/bin/python3
"""The "ten lines of scikit-learn" reference in numpy alone (scikit-learn and scipy are not installed):
TfidfVectorizer() and LogisticRegression() with their default settings, fitted on all of TRAIN and
scored on TEST. Defaults reproduced: lower-casing, token pattern (?u)\\b\\w\\w+\\b (punctuation and
one-letter words dropped), unigrams, raw tf, smoothed idf, L2 rows; multinomial logistic regression,
C=1, intercept not penalised, L-BFGS with at most 100 iterations.
usage: sklearn_defaults.py TRAIN.csv TEST.csv [C]
"""
import collections
import csv
import re
import sys

import numpy as np

TOKEN = re.compile(r"(?u)\b\w\w+\b")


def load(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def tfidf(texts, vocabulary, idf):
    indptr, indices, data = [0], [], []
    for text in texts:
        counts = collections.Counter(w for w in TOKEN.findall(text.lower()) if w in vocabulary)
        row = sorted((vocabulary[w], c * idf[vocabulary[w]]) for w, c in counts.items())
        norm = np.sqrt(sum(v * v for _, v in row)) or 1.0
        indices += [i for i, _ in row]
        data += [v / norm for _, v in row]
        indptr.append(len(indices))
    return np.array(indptr), np.array(indices, dtype=np.int64), np.array(data)


def fit(x, y, classes, features, c, iterations=100, memory=10):
    indptr, indices, data = x
    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    onehot = np.eye(classes)[y]

    def objective(theta):
        w, b = theta[:-classes].reshape(features, classes), theta[-classes:]
        z = np.zeros((n, classes))
        np.add.at(z, rows, data[:, None] * w[indices])
        z += b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(n), y]).sum() * c + 0.5 * (w * w).sum()
        d = (p - onehot) * c
        gw = np.zeros_like(w)
        np.add.at(gw, indices, data[:, None] * d[rows])
        return loss, np.concatenate([(gw + w).ravel(), d.sum(axis=0)])

    theta = np.zeros(features * classes + classes)
    f, g = objective(theta)
    s_list, y_list = [], []
    for _ in range(iterations):
        q = -g.copy()
        alphas = []
        for s, yk in reversed(list(zip(s_list, y_list))):
            a = s @ q / (yk @ s)
            alphas.append(a)
            q -= a * yk
        if s_list:
            q *= (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1])
        for (s, yk), a in zip(zip(s_list, y_list), reversed(alphas)):
            q += (a - yk @ q / (yk @ s)) * s
        slope = g @ q
        step = 1.0 if s_list else 1.0 / np.linalg.norm(g)
        while True:
            f_new, g_new = objective(theta + step * q)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step /= 2
        s, yk = step * q, g_new - g
        if s @ yk > 1e-12:
            s_list, y_list = (s_list + [s])[-memory:], (y_list + [yk])[-memory:]
        theta, f, g = theta + s, f_new, g_new
        if np.abs(g).max() <= 1e-4:
            break
    return theta[:-classes].reshape(features, classes), theta[-classes:]


def main():
    train_texts, train_labels = load(sys.argv[1])
    test_texts, test_labels = load(sys.argv[2])
    c = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    terms = sorted({w for t in train_texts for w in TOKEN.findall(t.lower())})
    vocabulary = {w: i for i, w in enumerate(terms)}
    df = collections.Counter(w for t in train_texts for w in set(TOKEN.findall(t.lower())))
    idf = np.array([np.log((1 + len(train_texts)) / (1 + df[w])) + 1 for w in terms])
    labels = sorted(set(train_labels))
    y = np.array([labels.index(label) for label in train_labels])
    w, b = fit(tfidf(train_texts, vocabulary, idf), y, len(labels), len(terms), c)
    indptr, indices, data = tfidf(test_texts, vocabulary, idf)
    z = np.zeros((len(test_texts), len(labels)))
    np.add.at(z, np.repeat(np.arange(len(test_texts)), np.diff(indptr)), data[:, None] * w[indices])
    predicted = (z + b).argmax(axis=1)
    truth = np.array([labels.index(label) for label in test_labels])
    f1 = []
    for k in range(len(labels)):
        tp = ((predicted == k) & (truth == k)).sum()
        precision = tp / max(1, (predicted == k).sum())
        recall = tp / max(1, (truth == k).sum())
        f1.append(0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    print(f"C {c}: {len(terms)} features, test accuracy {(predicted == truth).mean():.4f}, macro-F1 {np.mean(f1):.4f}")


main()
