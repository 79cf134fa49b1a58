#!/usr/bin/python3
"""Convert leftthomas/SRGAN generator checkpoints to srgan's weights format.

Developer tool (needs Debian's python3-torch; never used at run time).
Reads netG_epoch_{2,4,8}_100.pth (PyTorch state_dicts of
github.com/leftthomas/SRGAN at commit b0323c6, path epochs/) and writes
srgan-x{2,4,8}.safetensors as weights/FORMAT.md describes:

  * renames the state-dict keys to FORMAT.md's names (table KEY_MAP below);
  * keeps every tensor as it is: float32, PyTorch layout, BatchNorm not
    folded (the C loader folds it), so the file stays a faithful copy;
  * writes __metadata__ describing the architecture (5 blocks, 64 channels,
    shared PReLU slopes, conv+PReLU tail, (tanh+1)/2 output, input in [0,1])
    plus the source, its sha256, the license, and for front ends a
    display_name ("SRGAN 4×") and a one-line description (what to use it
    for);
  * writes the safetensors container with srgan_safetensors.py (shared
    with the other converters): header with sorted keys and no spaces,
    padded with spaces to a multiple of 8 bytes, tensors in name order, so
    the output is byte-for-byte reproducible.

Usage: convert-leftthomas.py [--source-dir DIR] [--output-dir DIR]
"""
import argparse
import hashlib
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srgan_safetensors import safetensors_bytes, sha256_of, write_atomic  # noqa: E402

SCALES = (2, 4, 8)
SOURCE_REPO = "https://github.com/leftthomas/SRGAN"
SOURCE_COMMIT = "b0323c6"
LICENSE_TEXT = "MIT License, Copyright (c) 2020 Hao Ren (full text in weights/LICENSE)"
BLOCKS = 5
CHANNELS = 64


def rename(key, stages):
    """leftthomas key -> FORMAT.md name (None for keys we deliberately drop)."""
    if key.endswith("num_batches_tracked"):
        return None  # BatchNorm's training counter: not a weight
    rules = [
        (r"block1\.0\.(weight|bias)$", r"head.conv.\1"),
        (r"block1\.1\.weight$", r"head.prelu.weight"),
        (r"block7\.0\.(weight|bias)$", r"body.conv.\1"),
        (r"block7\.1\.weight$", r"body.prelu.weight"),
        (r"block8\.(\d+)\.conv\.(weight|bias)$", r"up.\1.conv.\2"),
        (r"block8\.(\d+)\.prelu\.weight$", r"up.\1.prelu.weight"),
        (r"block8\.%d\.(weight|bias)$" % stages, r"tail.conv.\1"),
    ]
    m = re.match(r"block([2-6])\.(conv1|bn1|prelu|conv2|bn2)\.(.+)$", key)
    if m:
        return "blocks.%d.%s.%s" % (int(m.group(1)) - 2, m.group(2), m.group(3))
    for pattern, replacement in rules:
        if re.match(pattern, key):
            return re.sub(pattern, replacement, key)
    raise SystemExit("unexpected state-dict key %r" % key)


def expected_shapes(stages):
    """FORMAT.md's tensor table for this architecture (shared PReLU,
    batchnorm in the blocks, conv-prelu tail)."""
    c = CHANNELS
    shapes = {
        "head.conv.weight": (c, 3, 9, 9), "head.conv.bias": (c,),
        "head.prelu.weight": (1,),
        "body.conv.weight": (c, c, 3, 3), "body.conv.bias": (c,),
        "body.prelu.weight": (1,),
        "tail.conv.weight": (3, c, 9, 9), "tail.conv.bias": (3,),
    }
    for i in range(BLOCKS):
        for conv in ("conv1", "conv2"):
            shapes["blocks.%d.%s.weight" % (i, conv)] = (c, c, 3, 3)
            shapes["blocks.%d.%s.bias" % (i, conv)] = (c,)
        for bn in ("bn1", "bn2"):
            for field in ("weight", "bias", "running_mean", "running_var"):
                shapes["blocks.%d.%s.%s" % (i, bn, field)] = (c,)
        shapes["blocks.%d.prelu.weight" % i] = (1,)
    for k in range(stages):
        shapes["up.%d.conv.weight" % k] = (4 * c, c, 3, 3)
        shapes["up.%d.conv.bias" % k] = (4 * c,)
        shapes["up.%d.prelu.weight" % k] = (1,)
    return shapes


def convert(source, scale):
    stages = {2: 1, 4: 2, 8: 3}[scale]
    state = torch.load(source, map_location="cpu")
    tensors = {}
    for key, value in state.items():
        name = rename(key, stages)
        if name is None:
            continue
        if name in tensors:
            raise SystemExit("%s: two keys map to %s" % (source, name))
        tensors[name] = value.detach().to(torch.float32).contiguous().numpy()

    want = expected_shapes(stages)
    if set(tensors) != set(want):
        raise SystemExit("%s: tensor set differs: missing %s, extra %s" % (
            source, sorted(set(want) - set(tensors)), sorted(set(tensors) - set(want))))
    for name, shape in want.items():
        if tuple(tensors[name].shape) != shape:
            raise SystemExit("%s: %s has shape %s, expected %s" % (
                source, name, tuple(tensors[name].shape), shape))

    metadata = {
        "display_name": "SRGAN %d\u00d7" % scale,  # "SRGAN 4×"
        "description": "Clean or downscaled images: sharp detail",
        "format": "srgan-generator",
        "format_version": "1",
        "family": "srresnet",
        "scale": str(scale),
        "blocks": str(BLOCKS),
        "channels": str(CHANNELS),
        "prelu": "shared",
        "batchnorm": "true",
        "bn_eps": "1e-05",  # nn.BatchNorm2d's default, used by leftthomas/SRGAN
        "tail": "conv-prelu",
        "output": "tanh",
        "input_range": "0,1",
        "source": "%s at commit %s, epochs/%s" % (SOURCE_REPO, SOURCE_COMMIT, os.path.basename(source)),
        "source_sha256": sha256_of(source),
        "license": LICENSE_TEXT,
        "training": "GAN from scratch on VOC2012, 88-px crops, 100 epochs: "
                    "image MSE + 0.006 VGG16 feature loss + 0.001 adversarial + 2e-8 TV",
        "converter": "weights/convert-leftthomas.py",
    }
    return metadata, tensors


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", default=os.path.join(here, "..", "..", "shared", "weights", "leftthomas-srgan"))
    parser.add_argument("--output-dir", default=here)
    args = parser.parse_args()

    os.makedirs(args.output_dir, exist_ok=True)
    for scale in SCALES:
        source = os.path.join(args.source_dir, "netG_epoch_%d_100.pth" % scale)
        metadata, tensors = convert(source, scale)
        blob = safetensors_bytes(metadata, tensors)
        target = os.path.join(args.output_dir, "srgan-x%d.safetensors" % scale)
        write_atomic(target, blob)
        print("%s  %s  (%d tensors, %d bytes)" % (hashlib.sha256(blob).hexdigest(), target, len(tensors), len(blob)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
