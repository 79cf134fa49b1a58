#!/usr/bin/python3
"""Convert a user's ESRGAN / Real-ESRGAN PyTorch checkpoint to srgan's format.

Developer tool (needs Debian's python3-torch; never used at run time).
Understands the state dicts (.pth) of both Real-ESRGAN families, as
../shared/docs/model-families.md and weights/FORMAT.md describe them:

  * RRDBNet, basicsr key layout: conv_first, body.N.rdbM.convK, conv_body,
    conv_up1, conv_up2, conv_hr, conv_last;
  * RRDBNet, original ESRGAN layout: model.0 (conv_first),
    model.1.sub.N.RDBM.convK.0 (the dense blocks), model.1.sub.B (the trunk
    conv, conv_body), model.3 / model.6 (the two upsampling convs),
    model.8 (conv_hr), model.10 (conv_last);
  * SRVGGNetCompact, basicsr layout: body.N (convs at even N, PReLU slopes
    at odd N, the last conv at 2B+2).

A checkpoint may wrap the state dict in `params_ema` (preferred: the
averaged weights Real-ESRGAN releases) or `params`; DataParallel's
`module.` prefix is dropped.  Blocks, channels, growth and scale are
inferred from the shapes.  RRDBNet is only accepted at scale 4: basicsr's
x2 and x1 variants put a pixel unshuffle in front (conv_first then reads
12 or 48 channels), which srgan does not implement.

Every tensor is kept as it is (float32 by default; --f16 stores the conv
weights as float16, which halves the file and rounds them, biases and
slopes stay float32); the output is FORMAT.md's tensor set, checked shape
by shape, written by srgan_safetensors.py (sorted, fixed JSON, so
converting again gives the same bytes).

Usage: convert-esrgan-pth.py INPUT.pth OUTPUT.safetensors [--f16]
           [--display-name TEXT] [--description TEXT] [--license TEXT] [--source TEXT]
"""
import argparse
import hashlib
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srgan_safetensors import (ConversionError, check_tensors, family_metadata,  # noqa: E402
                               rrdbnet_shapes, safetensors_bytes, sha256_of, srvgg_shapes, write_atomic)

LAYOUTS = ("RRDBNet (basicsr: conv_first, body.N.rdbM.convK, conv_body, conv_up1, conv_up2, "
           "conv_hr, conv_last), RRDBNet (original ESRGAN: model.0, model.1.sub.N.RDBM.convK.0, "
           "model.3, model.6, model.8, model.10) or SRVGGNetCompact (basicsr: body.N)")


def unwrap(checkpoint, what):
    """The state dict inside a checkpoint, as name -> tensor."""
    if not isinstance(checkpoint, dict):
        raise ConversionError("%s holds a %s, not a state dict" % (what, type(checkpoint).__name__))
    for key in ("params_ema", "params"):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            checkpoint = checkpoint[key]
            break
    state = {}
    for key, value in checkpoint.items():
        if not hasattr(value, "detach"):
            raise ConversionError("%s: entry %r is a %s, not a tensor (keys: %s)"
                                  % (what, key, type(value).__name__, sorted(checkpoint)[:6]))
        name = key[len("module."):] if key.startswith("module.") else key
        state[name] = value.detach().to("cpu").float().contiguous().numpy()
    return state


def old_esrgan_to_basicsr(state, what):
    """Original ESRGAN names -> basicsr's.  The trunk conv is the last entry
    of model.1.sub, so the number of blocks decides which index it has."""
    blocks = 1 + max((int(m.group(1)) for m in (re.match(r"model\.1\.sub\.(\d+)\.RDB", k) for k in state) if m),
                     default=-1)
    renamed = {}
    for key, value in state.items():
        m = re.fullmatch(r"model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias)", key)
        if m:
            name = "body.%s.rdb%s.conv%s.%s" % m.groups()
        else:
            m = re.fullmatch(r"model\.(0|1\.sub\.\d+|3|6|8|10)\.(weight|bias)", key)
            simple = {"0": "conv_first", "1.sub.%d" % blocks: "conv_body", "3": "conv_up1",
                      "6": "conv_up2", "8": "conv_hr", "10": "conv_last"}
            if not m or m.group(1) not in simple:
                hint = ""
                if re.fullmatch(r"model\.(1[1-9]|\d\d+)\.(weight|bias)", key):
                    hint = " (more upsampling stages than 4x has: only scale 4 is supported)"
                raise ConversionError("%s: key %r does not belong to a 4x ESRGAN RRDBNet%s" % (what, key, hint))
            name = "%s.%s" % (simple[m.group(1)], m.group(2))
        if name in renamed:
            raise ConversionError("%s: two keys map to %s" % (what, name))
        renamed[name] = value
    return renamed


def rrdbnet(state, what):
    """(metadata, tensors) of a basicsr-named RRDBNet state dict."""
    first = state.get("conv_first.weight")
    if first is None or first.ndim != 4:
        raise ConversionError("%s: conv_first.weight is missing or not 4-D" % what)
    if first.shape[1] != 3:
        raise ConversionError(
            "%s: conv_first reads %d channels, not 3: this is an RRDBNet for scale %s, whose input is "
            "pixel-unshuffled first (like RealESRGAN_x2plus); srgan supports only the 4x RRDBNet"
            % (what, first.shape[1], {12: "2", 48: "1"}.get(first.shape[1], "other than 4")))
    channels = first.shape[0]
    blocks = 1 + max((int(m.group(1)) for m in (re.match(r"body\.(\d+)\.rdb", k) for k in state) if m),
                     default=-1)
    if blocks == 0:
        raise ConversionError("%s: no body.N.rdbM.convK tensors (no RRDB blocks)" % what)
    growth = state.get("body.0.rdb1.conv1.weight", np.zeros((0,))).shape[0]
    # The tensor set first: a missing tensor explains itself better than the
    # odd width inferred from its absence.
    check_tensors(what, state, rrdbnet_shapes(blocks, channels, growth))
    return family_metadata("rrdbnet", 4, blocks, channels, growth), state


def srvgg(state, what):
    """(metadata, tensors) of a basicsr SRVGGNetCompact state dict."""
    others = sorted(k for k in state if not re.fullmatch(r"body\.\d+\.(weight|bias)", k))
    if others:
        raise ConversionError("%s: keys %s are not SRVGGNetCompact's body.N.weight / body.N.bias" % (what, others[:5]))
    indices = sorted({int(k.split(".")[1]) for k in state})
    if not any(i % 2 for i in indices):
        raise ConversionError("%s: no PReLU slopes (body.1.weight, body.3.weight, ...): the activation is not "
                              "PReLU, and srgan supports SRVGGNetCompact only with act_type 'prelu'" % what)
    last = indices[-1]
    if last % 2 or last < 4:
        raise ConversionError("%s: the last body index %d is not the final conv 2B+2 of B >= 1 blocks" % (what, last))
    blocks = (last - 2) // 2
    first, out = state.get("body.0.weight"), state["body.%d.weight" % last]
    if first is None or first.ndim != 4 or out.ndim != 4:
        raise ConversionError("%s: body.0.weight or body.%d.weight is missing or not a conv weight" % (what, last))
    scale = int(round((out.shape[0] / 3) ** 0.5))
    if 3 * scale * scale != out.shape[0]:
        raise ConversionError("%s: the last conv makes %d channels, not 3 x scale^2" % (what, out.shape[0]))
    check_tensors(what, state, srvgg_shapes(blocks, first.shape[0], scale))
    return family_metadata("srvgg", scale, blocks, first.shape[0]), state


def convert(path, f16):
    import torch  # only here: the rest of the module is usable without torch
    what = os.path.basename(path)
    try:
        # weights_only: a user's file is unpickled without running its code.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a non-checkpoint
        raise ConversionError("%s: cannot be read as a PyTorch state dict (tensors only): %s"
                              % (what, str(e).splitlines()[0] if str(e) else type(e).__name__)) from None
    state = unwrap(checkpoint, what)
    if "conv_first.weight" in state:
        meta, tensors = rrdbnet(state, what)
    elif "model.0.weight" in state and any(k.startswith("model.1.sub.") for k in state):
        meta, tensors = rrdbnet(old_esrgan_to_basicsr(state, what), what)
    elif "body.0.weight" in state:
        meta, tensors = srvgg(state, what)
    else:
        raise ConversionError("%s: unknown key set (first keys: %s); expected %s"
                              % (what, ", ".join(sorted(state)[:5]) or "none", LAYOUTS))
    if f16:
        for name, value in tensors.items():
            if value.ndim == 4:
                half = value.astype(np.float16)
                if not np.all(np.isfinite(half)):
                    raise ConversionError("%s: %s overflows float16; convert without --f16" % (what, name))
                tensors[name] = half
    return meta, tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="the .pth checkpoint")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--f16", action="store_true", help="store conv weights as float16 (default float32)")
    parser.add_argument("--display-name", help="default: the input's file name")
    parser.add_argument("--description", default="", help="one line: what to use it for")
    parser.add_argument("--license", default="not stated: check the licence of the checkpoint's source")
    parser.add_argument("--source", help="default: the input's file name")
    args = parser.parse_args()
    try:
        meta, tensors = convert(args.input, args.f16)
    except ConversionError as e:
        print("convert-esrgan-pth.py: %s" % e, file=sys.stderr)
        return 1
    name = os.path.basename(args.input)
    meta.update({
        "display_name": args.display_name or os.path.splitext(name)[0],
        "description": args.description,
        "source": args.source or name,
        "source_sha256": sha256_of(args.input),
        "license": args.license,
        "converter": "weights/convert-esrgan-pth.py" + (" --f16" if args.f16 else ""),
    })
    blob = safetensors_bytes(meta, tensors)
    write_atomic(args.output, blob)
    print("%s  %s  (%s, %s blocks, %s channels, x%s, %d tensors, %d bytes)"
          % (hashlib.sha256(blob).hexdigest(), args.output, meta["family"], meta["blocks"],
             meta["channels"], meta["scale"], len(tensors), len(blob)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
