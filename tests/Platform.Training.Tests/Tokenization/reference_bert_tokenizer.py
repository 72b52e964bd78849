#!/usr/bin/python3
"""Hugging Face BertTokenizer's BasicTokenizer + WordpieceTokenizer logic (transformers'
tokenization_bert.py, without the NFC step of recent versions), for a differential test:
`transformers` is not installed here. Writes random texts, a vocabulary and the reference tokens as JSON,
and encodings of texts and text pairs with [CLS]/[SEP], truncated to a maximum length the way
`tokenizer(text, pair, truncation=True, max_length=N)` does (tokenization_utils_base.py).
usage: reference_bert_tokenizer.py OUT.json COUNT SEED
"""
import json
import random
import sys
import unicodedata


def is_whitespace(ch):
    if ch in " \t\n\r":
        return True
    return unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_chinese(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def whitespace_tokenize(text):
    text = text.strip()
    return text.split() if text else []


def strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def split_on_punc(text):
    output, start_new = [], True
    for ch in text:
        if is_punctuation(ch):
            output.append([ch])
            start_new = True
        else:
            if start_new:
                output.append([])
            start_new = False
            output[-1].append(ch)
    return ["".join(x) for x in output]


def basic_tokenize(text, lower, never_split):
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or is_control(ch):
            continue
        cleaned.append(" " if is_whitespace(ch) else ch)
    spaced = []
    for ch in cleaned:
        if is_chinese(ord(ch)):
            spaced += [" ", ch, " "]
        else:
            spaced.append(ch)
    split_tokens = []
    for token in whitespace_tokenize("".join(spaced)):
        if token in never_split:
            split_tokens.append(token)
            continue
        if lower:
            token = strip_accents(token.lower())
        split_tokens.extend(split_on_punc(token))
    return whitespace_tokenize(" ".join(split_tokens))


def wordpiece(tokens, vocab):
    out = []
    for token in tokens:
        chars = list(token)
        if len(chars) > 100:
            out.append("[UNK]")
            continue
        start, subs, bad = 0, [], False
        while start < len(chars):
            end, cur = len(chars), None
            while start < end:
                s = "".join(chars[start:end])
                if start > 0:
                    s = "##" + s
                if s in vocab:
                    cur = s
                    break
                end -= 1
            if cur is None:
                bad = True
                break
            subs.append(cur)
            start = end
        out.extend(["[UNK]"] if bad else subs)
    return out


def encode(ids_a, ids_b, max_length, cls_id, sep_id):
    """build_inputs_with_special_tokens + truncate_sequences("longest_first"): one token at a time
    from the longer sequence, from the pair when both are as long."""
    special = 2 if ids_b is None else 3
    ids_a, ids_b = list(ids_a), None if ids_b is None else list(ids_b)
    to_remove = len(ids_a) + (0 if ids_b is None else len(ids_b)) + special - max_length
    for _ in range(max(0, to_remove)):
        if ids_b is None or len(ids_a) > len(ids_b):
            ids_a = ids_a[:-1]
        else:
            ids_b = ids_b[:-1]
    input_ids = [cls_id] + ids_a + [sep_id]
    type_ids = [0] * len(input_ids)
    if ids_b is not None:
        input_ids += ids_b + [sep_id]
        type_ids += [1] * (len(ids_b) + 1)
    return input_ids, type_ids


PALETTE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    " \t\n\r!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u00A0\u00AD\u00C0\u00C9\u00D1\u00DF\u00E4\u00E9\u00F1\u00FC\u0130\u0131\u0152\u017F"
    "\u0300\u0301\u0308\u0327\u0391\u03A3\u03C3\u03AC\u0410\u0439\u0451\u05D0\u0627\u0645"
    "\u1E9E\u2000\u2003\u2014\u2018\u201C\u2026\u2028\u2029\u20AC\u2122\u3000\u3001\u3002"
    "\u3042\u30A2\u4E00\u535A\u63A8\u6587\uAC00\uD55C\uF900\uFA30\uFF01\uFF21\u0000\u0005\u200B\uFFFD"
    "\U0001F600\U0001F44D\U00020000\U0002F800\U0001D400"
)


def main():
    out_path, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.randint(0, 40)
        texts.append("".join(rng.choice(PALETTE) for _ in range(length)))
    texts.append("x" * 101)
    texts.append("[CLS] Hello [SEP]")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = set()
    for text in texts:
        for lower in (True, False):
            for token in basic_tokenize(text, lower, set(specials)):
                words.add(token)
    # A vocabulary that covers single chars and some longer words, so greedy matching and [UNK] both occur.
    pieces = set()
    for w in sorted(words):
        if rng.random() < 0.3:
            pieces.add(w)
        if len(w) > 2 and rng.random() < 0.3:
            pieces.add("##" + w[1:3])
        for ch in w:
            if rng.random() < 0.9:
                pieces.add(ch)
            if rng.random() < 0.8:
                pieces.add("##" + ch)
    vocab = specials + sorted(pieces)
    vocab_set = set(vocab)
    cases = []
    for text in texts:
        case = {"text": text}
        for name, lower in (("uncased", True), ("cased", False)):
            words = basic_tokenize(text, lower, set(specials))
            case[name + "_words"] = words
            case[name + "_pieces"] = wordpiece(words, vocab_set)
        cases.append(case)
    # Max length from 3 ([CLS] a [SEP] with one token left) up: below that Hugging Face logs an error
    # and returns the text untruncated, which no caller of ours asks for.
    ids = {token: i for i, token in enumerate(vocab)}
    encodings = []
    for _ in range(count // 3):
        lower = rng.random() < 0.5
        text = rng.choice(texts)
        pair = rng.choice(texts) if rng.random() < 0.5 else None
        max_length = rng.randint(3 if pair is None else 4, 48)
        pieces = [wordpiece(basic_tokenize(t, lower, set(specials)), vocab_set) for t in (text, pair) if t is not None]
        input_ids, type_ids = encode([ids[p] for p in pieces[0]], [ids[p] for p in pieces[1]] if pair is not None else None,
                                     max_length, ids["[CLS]"], ids["[SEP]"])
        encodings.append({"text": text, "pair": pair, "lower": lower, "max_length": max_length,
                          "input_ids": input_ids, "token_type_ids": type_ids})
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"unicode": unicodedata.unidata_version, "vocab": vocab, "cases": cases, "encodings": encodings},
                  f, ensure_ascii=True)


if __name__ == "__main__":
    main()
