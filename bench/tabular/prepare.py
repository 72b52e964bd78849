#!/usr/bin/python3
"""The Breast Cancer Wisconsin (Diagnostic) table that Debian's python3-sklearn ships
(sklearn/datasets/data/breast_cancer.csv: 569 rows, 30 numeric features), written as the platform's
tabular CSV with a header and a 'diagnosis' target, split 75/25 (stratified, seed 0) into
OUT/train.csv and OUT/test.csv; then scikit-learn's peers fitted on train.csv and scored on test.csv.
usage: prepare.py OUT
"""
import csv
import json
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
data = load_breast_cancer()  # read from the installed package, no download
names = [n.replace(" ", "_") for n in data.feature_names]
labels = np.array(data.target_names)[data.target]
x_train, x_test, y_train, y_test = train_test_split(data.data, labels, test_size=0.25, stratify=labels, random_state=0)
for path, xs, ys in ((f"{out}/train.csv", x_train, y_train), (f"{out}/test.csv", x_test, y_test)):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + ["diagnosis"])
        for row, label in zip(xs, ys):
            w.writerow([repr(float(v)) for v in row] + [label])

results = {}
peers = {
    "sklearn LogisticRegression (scaled)": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "sklearn MLPClassifier (scaled, 64-32, adam)": make_pipeline(StandardScaler(), MLPClassifier((64, 32), max_iter=500, random_state=0)),
}
positive = "malignant"
for name, model in peers.items():
    model.fit(x_train, y_train)
    proba = model.predict_proba(x_test)[:, list(model.classes_).index(positive)]
    results[name] = {"accuracy": accuracy_score(y_test, model.predict(x_test)), "roc_auc": roc_auc_score(y_test == positive, proba)}
with open(f"{out}/sklearn.json", "w") as f:
    json.dump(results, f, indent=1)
print(json.dumps({"train": len(y_train), "test": len(y_test), **results}, indent=1))
