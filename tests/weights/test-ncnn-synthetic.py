#!/usr/bin/python3
"""weights/convert-ncnn.py on synthetic ncnn files written by this test.

Needs only numpy (no npm tarball), so the converter is tested everywhere.
The writer here follows the format notes of ../shared/docs/model-families.md
and the layout of Real-ESRGAN-ncnn-vulkan's files (Split layers in front of
every blob used more than once, LeakyReLU fused into the convs, Eltwise
sums with coefficients), independently of the converter:

 * RRDBNet, 2 blocks, 16 channels, growth 8, fp16 weights: every tensor
   comes out under FORMAT.md's name, bit-exact, F16 convs and F32 biases;
 * RRDBNet, 64 blocks (the format's maximum), 8 channels, growth 8, fp32
   weights: deep graphs match, fp32 stays F32;
 * SRVGGNetCompact, 4 convs, 9 channels (odd weight counts, so the fp16
   padding to 4 bytes is exercised), x2 and x4;
 * the output is the same bytes when converted twice;
 * a graph whose Concat lists x1 before x refuses, and so does an RRDBNet
   whose growth differs from block to block.

Exit 77 (skip) only when this Python lacks numpy.
Usage: test-ncnn-synthetic.py SOURCE_ROOT
"""
import importlib.util
import os
import struct
import sys

failures = 0


def check(condition, message):
    global failures
    print(("ok: " if condition else "FAIL: ") + message)
    if not condition:
        failures += 1


class NcnnWriter:
    """Builds .param text and .bin bytes; blobs used more than once get a
    Split, as ncnn requires."""

    def __init__(self, np, rng, fp16):
        self.np, self.rng, self.fp16 = np, rng, fp16
        self.layers = [["Input", "input.1", [], ["data"], ""]]
        self.weights = []      # (layer index, bytes), in layer order
        self.expected = {}     # FORMAT.md name -> array as stored

    def add(self, kind, ins, params=""):
        out = "b%d" % len(self.layers)
        self.layers.append([kind, "%s_%d" % (kind, len(self.layers)), list(ins), [out], params])
        return out

    def conv(self, name, x, cout, cin, leaky=False):
        np = self.np
        n = cout * cin * 9
        params = "0=%d 1=3 4=1 5=1 6=%d" % (cout, n) + (" 9=2 -23310=1,2.000000e-01" if leaky else "")
        out = self.add("Convolution", [x], params)
        w = self.rng.standard_normal(n).astype(np.float16 if self.fp16 else np.float32)
        b = self.rng.standard_normal(cout).astype(np.float32)
        if self.fp16:
            data = struct.pack("<I", 0x01306B47) + w.astype("<f2").tobytes()
            data += b"\0" * (-len(data) % 4)
        else:
            data = struct.pack("<I", 0) + w.astype("<f4").tobytes()
        self.weights.append(data + b.astype("<f4").tobytes())
        self.expected[name + ".weight"] = w.reshape(cout, cin, 3, 3)
        self.expected[name + ".bias"] = b
        return out

    def prelu(self, name, x, c):
        out = self.add("PReLU", [x], "0=%d" % c)
        slopes = self.rng.uniform(0, 0.3, c).astype(self.np.float32)
        self.weights.append(slopes.astype("<f4").tobytes())
        self.expected[name + ".weight"] = slopes
        return out

    def files(self):
        uses = {}
        for layer in self.layers:
            for b in layer[2]:
                uses[b] = uses.get(b, 0) + 1
        lines, seen = [], {}
        for layer in self.layers:
            kind, name, ins, outs, params = layer
            ins = list(ins)
            for i, b in enumerate(ins):   # the k-th use of b reads split output k
                if uses[b] > 1:
                    ins[i] = "%s_splitncnn_%d" % (b, seen.get(b, 0))
                    seen[b] = seen.get(b, 0) + 1
            lines.append("%-16s %-24s %d %d %s %s" % (kind, name, len(ins), len(outs), " ".join(ins + outs), params))
            for b in outs:
                if uses.get(b, 0) > 1:
                    split_outs = ["%s_splitncnn_%d" % (b, k) for k in range(uses[b])]
                    lines.append("%-16s %-24s 1 %d %s %s" % ("Split", "splitncnn_" + b, uses[b], b, " ".join(split_outs)))
        blobs = {b for line in lines for b in line.split()[4:] if "=" not in b}
        # blob count = distinct blob names (each produced once)
        text = "7767517\n%d %d\n%s\n" % (len(lines), len(blobs), "\n".join(lines))
        return text, b"".join(self.weights)


def rrdbnet(w, blocks, c, g, concat_order=None, growth_of=None):
    x = "data"
    feat = w.conv("conv_first", x, c, 3)
    h = feat
    for i in range(blocks):
        rrdb_in = h
        gi = growth_of(i) if growth_of else g
        for j in (1, 2, 3):
            prefix = "body.%d.rdb%d" % (i, j)
            parts = [h]
            for k in range(1, 5):
                src = parts[0] if len(parts) == 1 else w.add("Concat", (concat_order or list)(parts))
                parts.append(w.conv("%s.conv%d" % (prefix, k), src, gi, c + (k - 1) * gi, leaky=True))
            x5 = w.conv(prefix + ".conv5", w.add("Concat", (concat_order or list)(parts)), c, c + 4 * gi)
            h = w.add("Eltwise", [x5, h], "0=1 -23301=2,2.000000e-01,1.000000e+00")
        h = w.add("Eltwise", [h, rrdb_in], "0=1 -23301=2,2.000000e-01,1.000000e+00")
    h = w.add("BinaryOp", [feat, w.conv("conv_body", h, c, c)], "0=0")
    h = w.conv("conv_up1", w.add("Interp", [h], "0=1 1=2.000000e+00 2=2.000000e+00"), c, c, leaky=True)
    h = w.conv("conv_up2", w.add("Interp", [h], "0=1 1=2.000000e+00 2=2.000000e+00"), c, c, leaky=True)
    h = w.conv("conv_hr", h, c, c, leaky=True)
    w.conv("conv_last", h, 3, c)


def srvgg(w, blocks, c, scale):
    h = w.prelu("body.1", w.conv("body.0", "data", c, 3), c)
    for n in range(1, blocks + 1):
        h = w.prelu("body.%d" % (2 * n + 1), w.conv("body.%d" % (2 * n), h, c, c), c)
    last = w.conv("body.%d" % (2 * blocks + 2), h, 3 * scale * scale, c)
    up = w.add("Interp", ["data"], "0=1 1=%d.000000e+00 2=%d.000000e+00" % (scale, scale))
    w.add("BinaryOp", [w.add("PixelShuffle", [last], "0=%d" % scale), up])


def main():
    root = sys.argv[1]
    try:
        import numpy as np
    except ImportError:
        print("SKIP (not run): %s has no numpy, which weights/convert-ncnn.py needs" % sys.executable)
        return 77
    spec = importlib.util.spec_from_file_location("convert_ncnn", os.path.join(root, "weights", "convert-ncnn.py"))
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)
    rng = np.random.default_rng(2021)

    def converted(what, build, fp16, want_meta):
        w = NcnnWriter(np, rng, fp16)
        build(w)
        text, data = w.files()
        try:
            family, meta, tensors = conv.convert(text, data)
        except conv.ConversionError as e:
            check(False, "%s converts: %s" % (what, e))
            return
        same = set(tensors) == set(w.expected) and all(
            tensors[k].dtype == w.expected[k].dtype and tensors[k].shape == w.expected[k].shape and
            tensors[k].tobytes() == w.expected[k].tobytes() for k in w.expected)
        check(same, "%s: %d tensors under FORMAT.md's names, bit-exact, dtypes kept" % (what, len(w.expected)))
        check(all(meta.get(k) == v for k, v in want_meta.items()), "%s: metadata %s" % (what, want_meta))
        blob = conv.safetensors_bytes(meta, tensors)
        again = conv.safetensors_bytes(*conv.convert(text, data)[1:])
        check(blob == again, "%s: converting twice gives the same bytes" % what)

    converted("RRDBNet 2x16x8 fp16", lambda w: rrdbnet(w, 2, 16, 8), True,
              {"family": "rrdbnet", "blocks": "2", "channels": "16", "growth": "8", "scale": "4"})
    converted("RRDBNet 64x8x8 fp32", lambda w: rrdbnet(w, 64, 8, 8), False,
              {"family": "rrdbnet", "blocks": "64", "channels": "8", "growth": "8"})
    converted("SRVGG 4x9 x4 fp16", lambda w: srvgg(w, 4, 9, 4), True,
              {"family": "srvgg", "blocks": "4", "channels": "9", "scale": "4", "activation": "prelu"})
    converted("SRVGG 4x9 x2 fp32", lambda w: srvgg(w, 4, 9, 2), False,
              {"family": "srvgg", "blocks": "4", "channels": "9", "scale": "2"})

    def refused(what, build, words):
        w = NcnnWriter(np, rng, True)
        build(w)
        try:
            conv.convert(*w.files())
        except conv.ConversionError as e:
            check(all(word in str(e) for word in words), "%s refused: %s" % (what, str(e)[:200]))
            return
        check(False, "%s was accepted" % what)

    refused("a Concat listing x1 before x",
            lambda w: rrdbnet(w, 1, 16, 8, concat_order=lambda p: [p[1], p[0]] + p[2:]), ["expected"])
    refused("growth 8 then 16", lambda w: rrdbnet(w, 2, 16, 8, growth_of=lambda i: 8 * (i + 1)),
            ["body.1.rdb3.conv5", "conv(16, 80"])
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
