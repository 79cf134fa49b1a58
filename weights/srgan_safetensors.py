"""Shared pieces of srgan's weight converters (developer tools only).

Imported by convert-leftthomas.py, convert-ncnn.py and convert-esrgan-pth.py
(which put this folder on sys.path).  Needs numpy, not torch.

 * safetensors_bytes(): the one writer.  JSON header with sorted keys, no
   spaces, ASCII only, padded with spaces so the tensor data starts 8-byte
   aligned; tensors in name order.  A tensor's dtype follows its numpy
   dtype (float32 -> F32, float16 -> F16), so callers decide what is stored
   and the bytes are a pure function of (metadata, tensors): re-running a
   converter reproduces its file byte for byte.
 * read_safetensors(): the matching reader, for tests and checks.
 * rrdbnet_shapes(), srvgg_shapes(), family_metadata(): FORMAT.md's tensor
   tables and required metadata of the two Real-ESRGAN families, so that
   both converters check against one definition.
"""
import hashlib
import json
import os
import struct

import numpy as np

_DTYPE_NAMES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16"}
_NAME_DTYPES = {"F32": "<f4", "F16": "<f2"}

# FORMAT.md's ranges for the new families' integer metadata.
BLOCKS_RANGE = (1, 64)
CHANNELS_RANGE = (8, 256)
GROWTH_RANGE = (8, 256)
SRVGG_SCALES = (2, 4, 8)


class ConversionError(Exception):
    """Input that a converter refuses; the message says what and why."""


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safetensors_bytes(metadata, tensors):
    """The complete file: metadata (str -> str), tensors (name -> float32
    or float16 ndarray)."""
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConversionError("metadata %r: %r is not a string (safetensors requires strings)" % (key, value))
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        array = tensors[name]
        dtype = _DTYPE_NAMES.get(array.dtype)
        if dtype is None:
            raise ConversionError("%s: dtype %s, expected float32 or float16" % (name, array.dtype))
        data = np.ascontiguousarray(array).astype(_NAME_DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-(8 + len(text)) % 8)  # tensor data starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_atomic(path, blob):
    """Write beside the target, then rename: never a half-written file."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)


def read_safetensors(path):
    """(metadata, {name: ndarray in the file's dtype}, {name: dtype name})."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors, dtypes = {}, {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        array = np.frombuffer(data[base + lo:base + hi], dtype=_NAME_DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).copy()
        dtypes[name] = info["dtype"]
    return meta, tensors, dtypes


def check_range(what, value, bounds):
    lo, hi = bounds
    if not lo <= value <= hi:
        raise ConversionError("%s is %d; srgan's format allows %d to %d" % (what, value, lo, hi))


def rrdbnet_shapes(blocks, channels, growth):
    """FORMAT.md's RRDBNet tensor set (basicsr names), name -> shape."""
    c, g = channels, growth
    shapes = {"conv_first.weight": (c, 3, 3, 3), "conv_first.bias": (c,)}
    for i in range(blocks):
        for j in (1, 2, 3):
            for k in range(1, 6):
                cout = g if k <= 4 else c
                prefix = "body.%d.rdb%d.conv%d" % (i, j, k)
                shapes[prefix + ".weight"] = (cout, c + (k - 1) * g, 3, 3)
                shapes[prefix + ".bias"] = (cout,)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        shapes[name + ".weight"] = (c, c, 3, 3)
        shapes[name + ".bias"] = (c,)
    shapes["conv_last.weight"] = (3, c, 3, 3)
    shapes["conv_last.bias"] = (3,)
    return shapes


def srvgg_shapes(blocks, channels, scale):
    """FORMAT.md's SRVGGNetCompact tensor set (basicsr names): body.0 conv
    3->C, body.1 PReLU; body.2n conv C->C, body.2n+1 PReLU for n = 1..B;
    body.2B+2 conv C->3*scale^2."""
    c = channels
    shapes = {"body.0.weight": (c, 3, 3, 3), "body.0.bias": (c,), "body.1.weight": (c,)}
    for n in range(1, blocks + 1):
        shapes["body.%d.weight" % (2 * n)] = (c, c, 3, 3)
        shapes["body.%d.bias" % (2 * n)] = (c,)
        shapes["body.%d.weight" % (2 * n + 1)] = (c,)
    last = 2 * blocks + 2
    shapes["body.%d.weight" % last] = (3 * scale * scale, c, 3, 3)
    shapes["body.%d.bias" % last] = (3 * scale * scale,)
    return shapes


def check_tensors(what, tensors, want):
    """Exactly the tensor set `want` (name -> shape), every value finite."""
    missing = sorted(set(want) - set(tensors))
    extra = sorted(set(tensors) - set(want))
    if missing or extra:
        raise ConversionError("%s: tensor set differs from FORMAT.md's: missing %s, unexpected %s"
                              % (what, missing[:8] + (["..."] if len(missing) > 8 else []),
                                 extra[:8] + (["..."] if len(extra) > 8 else [])))
    for name, shape in want.items():
        if tuple(tensors[name].shape) != tuple(shape):
            raise ConversionError("%s: %s has shape %s, expected %s"
                                  % (what, name, tuple(tensors[name].shape), tuple(shape)))
        if not np.all(np.isfinite(tensors[name])):
            raise ConversionError("%s: %s holds NaN or infinite values" % (what, name))


def family_metadata(family, scale, blocks, channels, growth=None):
    """The metadata keys FORMAT.md requires for `family` (free text such as
    display_name, description, source and license is added by callers)."""
    check_range("blocks", blocks, BLOCKS_RANGE)
    check_range("channels", channels, CHANNELS_RANGE)
    meta = {"format": "srgan-generator", "format_version": "1", "family": family,
            "scale": str(scale), "blocks": str(blocks), "channels": str(channels),
            "input_range": "0,1", "output": "identity"}
    if family == "rrdbnet":
        if scale != 4:
            raise ConversionError("RRDBNet scale %d: only 4 is supported" % scale)
        check_range("growth", growth, GROWTH_RANGE)
        meta["growth"] = str(growth)
    elif family == "srvgg":
        if scale not in SRVGG_SCALES:
            raise ConversionError("SRVGGNetCompact scale %d: srgan supports %s"
                                  % (scale, ", ".join(map(str, SRVGG_SCALES))))
        meta["activation"] = "prelu"
    else:
        raise ConversionError("unknown family %r" % family)
    return meta
