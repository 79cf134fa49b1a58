#!/usr/bin/python3
"""Write the reference fixtures for the Real-ESRGAN families (issue 11).

Developer tool: needs Debian's python3-torch (/usr/bin/python3), is never
run by the build or the tests.  Its outputs are committed under
tests/core/fixtures/; the sibling make-fixtures.py writes the SRResNet ones.

The reference network is tests/bench/families_torch.py, a PyTorch
implementation of RRDBNet and SRVGGNetCompact written from
../shared/docs/model-families.md, built from the srgan safetensors file
itself (F16 weights widened exactly) and run in float64.

 * The shipped models, weights/realesrgan-x4plus.safetensors and
   weights/realesr-general-x4v3.safetensors, each on two crops of
   tests/data/sample.png whose sides are odd and smaller than any tile
   (13x11 and 7x9): NAME = MODEL-13x11, MODEL-7x9.
 * Two small random-weight models, written here as safetensors fixtures so
   that tests exercise every code path in milliseconds:
     rrdbnet-x4: RRDBNet, 2 blocks, 16 channels, growth 8, conv weights
                 F16 (biases F32), like the shipped x4plus;
     srvgg-x4:   SRVGGNetCompact, 4 convs, 16 channels, x4, all F32 (the
                 layout convert-esrgan-pth.py writes by default);
   each with its output on an odd-sized random image.

Fixture files, as make-fixtures.py writes them: NAME.txt (key value lines:
model, scale, width, height), NAME-in.bin (height x width x 3 float32,
little-endian, HWC, in [0,1]) and NAME-out.bin ((height*scale) x
(width*scale) x 3, the network's output clamped to [0,1] as the C core
does).  The random models' files are NAME.safetensors.

Regenerate (about a minute on one core; deterministic, so unchanged inputs
give identical files):
    /usr/bin/python3 tests/core/make-family-fixtures.py
"""
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
sys.path.insert(0, os.path.join(ROOT, "weights"))
import families_torch  # noqa: E402
from srgan_safetensors import family_metadata, safetensors_bytes, write_atomic  # noqa: E402

# (x, y, width, height) of the crops of tests/data/sample.png: one through
# the bird's head and the branch (edges, dark and bright), one in foliage.
CROPS = ((58, 20, 13, 11), (150, 70, 7, 9))
SHIPPED = ("realesrgan-x4plus", "realesr-general-x4v3")


def hwc_bytes(t):
    return t[0].permute(1, 2, 0).contiguous().numpy().astype("<f4").tobytes()


def run(path, image):
    """float64 output of the file's network, and how far float32 is from it
    (for choosing the C test's tolerance)."""
    with torch.no_grad():
        result = families_torch.load(path, torch.float64)(image.double())
        single = families_torch.load(path, torch.float32)(image.float())
    return result, float((single.double() - result).abs().max())


def write_fixture(name, model_rel, scale, image, result, note):
    _, _, h, w = image.shape
    with open(os.path.join(OUT_DIR, name + ".txt"), "w") as f:
        f.write("# written by tests/core/make-family-fixtures.py; float64 PyTorch reference "
                "(tests/bench/families_torch.py)\n# %s\n" % note)
        f.write("model %s\nscale %d\nwidth %d\nheight %d\n" % (model_rel, scale, w, h))
    with open(os.path.join(OUT_DIR, name + "-in.bin"), "wb") as f:
        f.write(hwc_bytes(image.float()))
    with open(os.path.join(OUT_DIR, name + "-out.bin"), "wb") as f:
        f.write(hwc_bytes(result.clamp(0, 1).float()))


def report(name, w, h, scale, result, f32_error):
    clamped = float(((result < 0) | (result > 1)).double().mean())
    print("%s: %dx%d -> %dx%d, output mean %.4f, %.1f%% clamped, |float32 - float64| max %.2e"
          % (name, w, h, w * scale, h * scale, float(result.clamp(0, 1).mean()), 100 * clamped, f32_error))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    sample = np.asarray(Image.open(os.path.join(ROOT, "tests", "data", "sample.png")).convert("RGB"))

    for model in SHIPPED:
        rel = "weights/%s.safetensors" % model
        for x, y, w, h in CROPS:
            crop = sample[y:y + h, x:x + w].astype(np.float32) / 255
            image = torch.from_numpy(crop).permute(2, 0, 1)[None]
            result, f32_error = run(os.path.join(ROOT, rel), image)
            name = "%s-%dx%d" % (model, w, h)
            write_fixture(name, rel, 4, image, result,
                          "input: tests/data/sample.png crop at x=%d y=%d, %dx%d" % (x, y, w, h))
            report(name, w, h, 4, result, f32_error)

    gen = torch.Generator().manual_seed(20211101)
    random_models = (
        ("rrdbnet-x4", family_metadata("rrdbnet", 4, 2, 16, 8),
         families_torch.random_rrdbnet(2, 16, 8, seed=11), True, (11, 7)),
        ("srvgg-x4", family_metadata("srvgg", 4, 4, 16),
         families_torch.random_srvgg(4, 16, 4, seed=12), False, (13, 9)),
    )
    for name, meta, tensors, f16, (w, h) in random_models:
        if f16:
            tensors = {k: v.astype(np.float16) if v.ndim == 4 else v for k, v in tensors.items()}
        meta.update({"display_name": "test " + name, "description": "random weights (test fixture)",
                     "source": "random weights from tests/core/make-family-fixtures.py (test fixture)",
                     "license": "same as srgan's tests"})
        path = os.path.join(OUT_DIR, name + ".safetensors")
        write_atomic(path, safetensors_bytes(meta, tensors))
        image = torch.rand((1, 3, h, w), generator=gen, dtype=torch.float32)
        result, f32_error = run(path, image)
        write_fixture(name, "tests/core/fixtures/%s.safetensors" % name, 4, image, result,
                      "random weights (%s conv weights), random input" % ("F16" if f16 else "F32"))
        report(name, w, h, 4, result, f32_error)


if __name__ == "__main__":
    main()
