#!/usr/bin/python3
"""Speed of the same algorithm in pure Python (the logic of Hugging Face's slow BertTokenizer, as
transcribed for the differential test), for scale next to the C# numbers. Vocabulary: every word of
the corpus plus single chars and ## chars, so most words match whole.
usage: python_reference_speed.py SENTENCES.txt [COUNT]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/Platform.Training.Tests/Tokenization"))
from reference_bert_tokenizer import basic_tokenize, wordpiece  # noqa: E402

lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
sentences = [lines[i % len(lines)] for i in range(count)]
specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
vocab = set(specials)
for s in lines:
    for w in basic_tokenize(s, True, specials):
        vocab.add(w)
        for c in w:
            vocab.add(c)
            vocab.add("##" + c)
start = time.perf_counter()
tokens = sum(len(wordpiece(basic_tokenize(s, True, specials), vocab)) for s in sentences)
elapsed = time.perf_counter() - start
print(f"python reference: {tokens} tokens in {elapsed:.2f} s = {tokens / elapsed:,.0f} tokens/s, {count / elapsed:,.0f} sentences/s")
