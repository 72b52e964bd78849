#!/usr/bin/python3
"""Turns Debian fortunes categories into a text-classification set: OUT/train.csv and OUT/test.csv
(text,label; every fifth fortune of a category goes to test), plus OUT/vocab.txt, a WordPiece
vocabulary built from the training texts (no pretrained vocabulary is available offline), and
OUT/domain-corpus.txt, unlabelled text for pre-training: every distinct fortune of every installed
file, one per line, minus the test set.
usage: fortunes_to_csv.py OUT [CATEGORY ...]
"""
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../tests/Platform.Training.Tests/Tokenization"))
from reference_bert_tokenizer import basic_tokenize  # noqa: E402

ROOT = "/usr/share/games/fortunes"
DEFAULT = ["computers", "definitions", "men-women", "politics", "science", "songs-poems", "zippy", "linux"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def main():
    out = sys.argv[1]
    categories = sys.argv[2:] or DEFAULT
    os.makedirs(out, exist_ok=True)
    train, test = [], []
    for category in categories:
        text = open(os.path.join(ROOT, category), encoding="utf-8", errors="replace").read()
        quotes = [" ".join(q.split()) for q in text.split("\n%\n")]
        quotes = [q for q in quotes if q]
        for i, quote in enumerate(quotes):
            (test if i % 5 == 4 else train).append((quote, category))
    for name, rows in (("train.csv", train), ("test.csv", test)):
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    counts = collections.Counter()
    for quote, _ in train:
        counts.update(basic_tokenize(quote, True, set(SPECIALS)))
    chars = sorted({c for word in counts for c in word})
    vocab = SPECIALS + chars + ["##" + c for c in chars]
    suffixes = collections.Counter()
    for word, n in counts.items():
        if len(word) > 4:
            suffixes["##" + word[-3:]] += n
    ranked = sorted(list(counts.items()) + list(suffixes.items()), key=lambda p: (-p[1], p[0]))
    seen = set(vocab)
    for piece, n in ranked:
        if len(vocab) >= 8000 or n < 2:
            break
        if piece not in seen:
            seen.add(piece)
            vocab.append(piece)
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    held_out = {quote for quote, _ in test}
    corpus, seen_quotes = [], set()
    for name in sorted(os.listdir(ROOT)):
        path = os.path.join(ROOT, name)
        if "." in name or not os.path.isfile(path):
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        for quote in (" ".join(q.split()) for q in text.split("\n%\n")):
            if quote and quote not in held_out and quote not in seen_quotes:
                seen_quotes.add(quote)
                corpus.append(quote)
    with open(os.path.join(out, "domain-corpus.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(corpus) + "\n")
    print(f"{len(train)} train, {len(test)} test, {len(categories)} labels, vocabulary {len(vocab)}, corpus {len(corpus)} documents")


main()
