#!/usr/bin/python3
"""Converts Debian's dataset-fashion-mnist (IDX files) into the platform's image dataset layout:
OUT/train/<label>/<n>.png and OUT/test/<label>/<n>.png, 8-bit greyscale PNGs written with zlib only.
usage: fashion_mnist_to_png.py OUT [DIR]   (DIR defaults to /usr/share/datasets/fashion-mnist)
"""
import gzip
import os
import struct
import sys
import zlib

LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return [data[16 + i * rows * cols:16 + (i + 1) * rows * cols] for i in range(count)], rows, cols
    if magic == 2049:
        return list(data[8:8 + count]), 0, 0
    raise ValueError(f"{path}: unknown IDX magic {magic}")


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(pixels, width, height):
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def convert(source, out, split, prefix):
    images, rows, cols = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
    labels, _, _ = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
    for name in LABELS:
        os.makedirs(os.path.join(out, split, name), exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        with open(os.path.join(out, split, LABELS[label], f"{i:05d}.png"), "wb") as f:
            f.write(png(image, cols, rows))
    print(f"{split}: {len(images)} images")


def main():
    out = sys.argv[1]
    source = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    convert(source, out, "train", "train")
    convert(source, out, "test", "t10k")


main()
