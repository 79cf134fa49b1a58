#!/usr/bin/python3
"""Writes the small synthetic fixtures of the GIMP tests (developer tool;
the PNGs are committed).  Synthetic so that no credit is owed: smooth
gradients, hard edges and a little texture, at sizes that are not
multiples of any tile size.  Pure Python (zlib) so 16-bit RGB works too.

    /usr/bin/python3 tests/gimp/make-fixtures.py tests/gimp/fixtures
"""
import math
import random
import struct
import sys
import zlib


def png(path, width, height, channels, depth, pixel):
    """pixel(x, y) -> tuple of `channels` floats in [0,1]."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    top = (1 << depth) - 1
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            for v in pixel(x, y):
                q = max(0, min(top, round(v * top)))
                raw += q.to_bytes(depth // 8, "big")

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth,
                                           colour_type, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
        f.write(chunk(b"IEND", b""))


def scene(seed):
    rnd = random.Random(seed)
    noise = {}

    def rgb(x, y):
        if (x, y) not in noise:
            noise[(x, y)] = rnd.uniform(-0.06, 0.06)
        n = noise[(x, y)]
        r = 0.5 + 0.4 * math.sin(x / 3.0) * math.cos(y / 5.0)
        g = (x + y) / 45.0
        b = 0.9 if (x - 12) ** 2 + (y - 9) ** 2 < 30 else 0.2
        return tuple(min(1, max(0, c + n)) for c in (r, g, b))
    return rgb


def main(out):
    w, h = 23, 17
    rgb = scene(1)

    def alpha(x, y):
        return 1.0 if x < 8 else (0.0 if x > 18 else 0.5 + 0.5 * math.cos(y / 3.0))

    def grey(x, y):
        r, g, b = rgb(x, y)
        return 0.299 * r + 0.587 * g + 0.114 * b

    png(f"{out}/rgb8.png", w, h, 3, 8, rgb)
    png(f"{out}/rgba8.png", w, h, 4, 8, lambda x, y: rgb(x, y) + (alpha(x, y),))
    png(f"{out}/grey8.png", w, h, 1, 8, lambda x, y: (grey(x, y),))
    png(f"{out}/greya8.png", w, h, 2, 8, lambda x, y: (grey(x, y), alpha(x, y)))
    png(f"{out}/rgb16.png", w, h, 3, 16, rgb)
    png(f"{out}/rgba16.png", w, h, 4, 16, lambda x, y: rgb(x, y) + (alpha(x, y),))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/gimp/fixtures")
