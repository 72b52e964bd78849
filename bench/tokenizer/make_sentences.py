#!/usr/bin/python3
"""Writes one sentence per line from the Debian fortunes files (the tokenizer benchmark's corpus).
usage: make_sentences.py OUT.txt [DIR]   (DIR defaults to /usr/share/games/fortunes)
"""
import os
import re
import sys

out = sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/games/fortunes"
sentences = []
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name)
    if "." in name or not os.path.isfile(path):
        continue
    text = open(path, encoding="utf-8", errors="replace").read()
    for quote in text.split("\n%\n"):
        flat = " ".join(quote.split())
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", flat) if len(s) > 3]
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(sentences) + "\n")
print(f"{len(sentences)} sentences")
