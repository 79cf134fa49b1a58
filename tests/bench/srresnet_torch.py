"""The SRResNet generator of weights/FORMAT.md in PyTorch, for the benchmark.

Developer tool (Debian's python3-torch; never used at run time).  Reads a
srgan safetensors file with its own small parser (the format is 8 bytes of
header length, a JSON header, raw little-endian float32 data) and runs the
forward pass FORMAT.md describes, the way a PyTorch user would: eval-mode
BatchNorm, nn.functional convolutions, channels_last.  It also writes
random-weight files in the same format, so that both engines load
identical numbers.
"""
import json
import struct

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    """(metadata dict, {name: float32 ndarray}) of a safetensors file.
    F16 tensors (the Real-ESRGAN families' conv weights) are widened to
    float32, which is exact."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        dtype = {"F32": "<f4", "F16": "<f2"}.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name} is {info['dtype']}, not F32 or F16")
        lo, hi = info["data_offsets"]
        values = np.frombuffer(data[base + lo:base + hi], dtype=dtype).reshape(info["shape"])
        tensors[name] = values.astype(np.float32)
    return meta, tensors


def write_safetensors(path, tensors, meta):
    """Writes tensors (name -> ndarray) in name order with string metadata."""
    header = {"__metadata__": {k: str(v) for k, v in meta.items()}}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def macs_per_pixel(meta):
    """Multiply-adds per low-resolution input pixel (convolutions only)."""
    c, b, scale = int(meta["channels"]), int(meta["blocks"]), int(meta["scale"])
    macs = 81 * 3 * c + (2 * b + 1) * 9 * c * c
    for k in range(scale.bit_length() - 1):
        macs += 4 ** k * 9 * c * 4 * c
    return macs + scale * scale * 81 * c * 3


class SRResNet(torch.nn.Module):
    """The generator as FORMAT.md's forward pass says, from a srgan file."""

    def __init__(self, path, memory_format=torch.channels_last):
        super().__init__()
        meta, tensors = read_safetensors(path)
        self.meta = meta
        self.blocks = int(meta["blocks"])
        self.stages = int(meta["scale"]).bit_length() - 1
        self.bn = meta.get("batchnorm", "true") == "true"
        self.eps = float(meta.get("bn_eps", "1e-5"))
        self.tail = meta["tail"]
        self.output = meta["output"]
        lo, hi = (float(v) for v in meta["input_range"].split(","))
        self.lo, self.hi = lo, hi
        for name, a in tensors.items():
            t = torch.from_numpy(a)
            if t.dim() == 4:
                t = t.contiguous(memory_format=memory_format)
            self.register_buffer(name.replace(".", "_"), t)

    def t(self, name):
        return getattr(self, name.replace(".", "_"))

    def conv(self, x, name):
        w = self.t(name + ".weight")
        return F.conv2d(x, w, self.t(name + ".bias"), padding=w.shape[-1] // 2)

    def batchnorm(self, x, name):
        return F.batch_norm(x, self.t(name + ".running_mean"), self.t(name + ".running_var"),
                            self.t(name + ".weight"), self.t(name + ".bias"), False, 0.0, self.eps)

    def forward(self, pixels):
        x = self.lo + (self.hi - self.lo) * pixels
        h = F.prelu(self.conv(x, "head.conv"), self.t("head.prelu.weight"))
        r = h
        for i in range(self.blocks):
            y = self.conv(r, f"blocks.{i}.conv1")
            if self.bn:
                y = self.batchnorm(y, f"blocks.{i}.bn1")
            y = F.prelu(y, self.t(f"blocks.{i}.prelu.weight"))
            y = self.conv(y, f"blocks.{i}.conv2")
            if self.bn:
                y = self.batchnorm(y, f"blocks.{i}.bn2")
            r = r + y
        y = self.conv(r, "body.conv")
        if self.tail == "conv-bn":
            y = self.batchnorm(y, "body.bn")
        else:
            y = F.prelu(y, self.t("body.prelu.weight"))
        r = y + h
        for k in range(self.stages):
            r = F.prelu(F.pixel_shuffle(self.conv(r, f"up.{k}.conv"), 2), self.t(f"up.{k}.prelu.weight"))
        y = self.conv(r, "tail.conv")
        if self.output == "tanh":
            y = (torch.tanh(y) + 1) / 2
        return y.clamp(0, 1)


def random_model(path, blocks=16, channels=64, scale=4, seed=0):
    """Writes a paper-shaped SRResNet (BN, conv-bn tail, per-channel PReLU)
    with random weights whose activations stay in a sane range, so the
    output is a grey-ish image, not saturated at 0 or 1."""
    rng = np.random.default_rng(seed)
    c = channels

    def conv(name, cout, cin, k, gain=1.0):
        bound = gain * np.sqrt(3.0 / (cin * k * k))
        tensors[name + ".weight"] = rng.uniform(-bound, bound, (cout, cin, k, k))
        tensors[name + ".bias"] = rng.uniform(-0.05, 0.05, cout)

    def bn(name, gamma):
        tensors[name + ".weight"] = rng.uniform(0.5, 1.0, c) * gamma
        tensors[name + ".bias"] = rng.uniform(-0.05, 0.05, c)
        tensors[name + ".running_mean"] = rng.uniform(-0.1, 0.1, c)
        tensors[name + ".running_var"] = rng.uniform(0.5, 1.5, c)

    def prelu(name, n):
        tensors[name + ".weight"] = rng.uniform(0.1, 0.3, n)

    tensors = {}
    conv("head.conv", c, 3, 9, gain=2.0)
    prelu("head.prelu", c)
    for i in range(blocks):
        conv(f"blocks.{i}.conv1", c, c, 3)
        bn(f"blocks.{i}.bn1", 1.0)
        prelu(f"blocks.{i}.prelu", c)
        conv(f"blocks.{i}.conv2", c, c, 3)
        bn(f"blocks.{i}.bn2", 0.3)
    conv("body.conv", c, c, 3)
    bn("body.bn", 0.5)
    for k in range(scale.bit_length() - 1):
        conv(f"up.{k}.conv", 4 * c, c, 3)
        prelu(f"up.{k}.prelu", c)
    conv("tail.conv", 3, c, 9, gain=0.3)
    tensors["tail.conv.bias"] = np.full(3, 0.5)
    meta = {
        "format": "srgan-generator", "format_version": "1", "family": "srresnet",
        "scale": scale, "blocks": blocks, "channels": c, "prelu": "per-channel",
        "batchnorm": "true", "bn_eps": "1e-05", "tail": "conv-bn", "output": "identity",
        "input_range": "0,1", "source": f"random weights (tests/bench/srresnet_torch.py, seed {seed})",
    }
    write_safetensors(path, {k: v.astype(np.float32) for k, v in tensors.items()}, meta)
