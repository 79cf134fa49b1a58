"""Real-ESRGAN's two network families in PyTorch, built from a srgan file.

Developer tool (Debian's python3-torch; never used at run time).  Imported
by tests/core/make-family-fixtures.py (the float64 references the C core is
tested against) and usable by the benchmark.  Written from the architecture
description in ../shared/docs/model-families.md and weights/FORMAT.md's
tensor tables (ESRGAN, Wang et al. 2018; Real-ESRGAN, Wang et al. 2021), not
from basicsr's code; the weights come only from the safetensors file, read
by srresnet_torch.read_safetensors (F16 widened to float32 exactly).

  load(path, dtype)      -> the generator for any srgan file (srresnet,
                            rrdbnet or srvgg family), in eval mode;
  macs_per_pixel(meta)   -> multiply-adds per low-resolution pixel;
  random_rrdbnet(), random_srvgg() -> small random-weight tensor sets with
                            activations in a sane range, for fixtures.

Every forward() ends with clamp(0, 1), as the C core does.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srresnet_torch import SRResNet, read_safetensors  # noqa: E402

LEAKY_SLOPE = 0.2      # LeakyReLU slope of every RRDBNet activation
RESIDUAL_SCALE = 0.2   # out = 0.2 * branch + input, in every RDB and RRDB


class _FromFile(torch.nn.Module):
    """Holds a file's tensors as buffers, converted to `dtype`."""

    def __init__(self, meta, tensors, dtype):
        super().__init__()
        self.meta = meta
        for name, a in tensors.items():
            self.register_buffer(name.replace(".", "_"), torch.from_numpy(a).to(dtype))

    def t(self, name):
        return getattr(self, name.replace(".", "_"))

    def conv(self, x, name):
        """3x3 convolution, zero padding 1 (every conv of both families)."""
        return F.conv2d(x, self.t(name + ".weight"), self.t(name + ".bias"), padding=1)


class RRDBNet(_FromFile):
    """ESRGAN's generator as Real-ESRGAN x4plus uses it.

    conv_first; B residual-in-residual dense blocks (RRDB), each three
    residual dense blocks (RDB) and out = 0.2 * RDB3(RDB2(RDB1(x))) + x; an
    RDB grows a dense stack [x, x1, ..., x4] by G channels per conv (LeakyReLU
    after conv1..4) and conv5 maps it back to C: out = 0.2 * x5 + x;
    conv_body added to conv_first's output; two (nearest x2, conv, LeakyReLU)
    stages; conv_hr + LeakyReLU; conv_last."""

    def __init__(self, meta, tensors, dtype):
        super().__init__(meta, tensors, dtype)
        if int(meta["scale"]) != 4:
            raise ValueError("RRDBNet: only scale 4 is defined")
        self.blocks = int(meta["blocks"])

    def lrelu(self, x):
        return F.leaky_relu(x, LEAKY_SLOPE)

    def rdb(self, x, prefix):
        stack = [x]
        for k in range(1, 5):
            stack.append(self.lrelu(self.conv(torch.cat(stack, 1), "%s.conv%d" % (prefix, k))))
        return RESIDUAL_SCALE * self.conv(torch.cat(stack, 1), prefix + ".conv5") + x

    def forward(self, pixels):
        feat = self.conv(pixels, "conv_first")
        h = feat
        for i in range(self.blocks):
            r = h
            for j in (1, 2, 3):
                r = self.rdb(r, "body.%d.rdb%d" % (i, j))
            h = RESIDUAL_SCALE * r + h
        h = feat + self.conv(h, "conv_body")
        for name in ("conv_up1", "conv_up2"):
            h = self.lrelu(self.conv(F.interpolate(h, scale_factor=2, mode="nearest"), name))
        h = self.lrelu(self.conv(h, "conv_hr"))
        return self.conv(h, "conv_last").clamp(0, 1)


class SRVGG(_FromFile):
    """SRVGGNetCompact (realesr-general-x4v3): a plain stack of 3x3 convs
    with per-channel PReLU at low resolution, the last conv making 3*s^2
    channels that a pixel shuffle turns into the residual over the input
    upsampled by nearest neighbour."""

    def __init__(self, meta, tensors, dtype):
        super().__init__(meta, tensors, dtype)
        if meta.get("activation") != "prelu":
            raise ValueError("SRVGG: only the prelu activation is defined")
        self.blocks = int(meta["blocks"])
        self.scale = int(meta["scale"])

    def forward(self, pixels):
        h = pixels
        for n in range(self.blocks + 1):
            h = F.prelu(self.conv(h, "body.%d" % (2 * n)), self.t("body.%d.weight" % (2 * n + 1)))
        residual = F.pixel_shuffle(self.conv(h, "body.%d" % (2 * self.blocks + 2)), self.scale)
        base = F.interpolate(pixels, scale_factor=self.scale, mode="nearest")
        return (residual + base).clamp(0, 1)


def load(path, dtype=torch.float32):
    """The generator a srgan file describes, in eval mode."""
    meta, tensors = read_safetensors(path)
    family = meta.get("family")
    if family == "srresnet":
        net = SRResNet(path).to(dtype)
    elif family == "rrdbnet":
        net = RRDBNet(meta, tensors, dtype)
    elif family == "srvgg":
        net = SRVGG(meta, tensors, dtype)
    else:
        raise ValueError("%s: unknown family %r" % (path, family))
    return net.eval()


def macs_per_pixel(meta):
    """Multiply-adds per low-resolution input pixel (convolutions only)."""
    c, b, s = int(meta["channels"]), int(meta["blocks"]), int(meta["scale"])
    if meta["family"] == "rrdbnet":
        g = int(meta["growth"])
        rdb = sum(9 * (c + (k - 1) * g) * g for k in range(1, 5)) + 9 * (c + 4 * g) * c
        low = 9 * 3 * c + b * 3 * rdb + 9 * c * c
        # conv_up1 at 2x (4 pixels per input pixel), conv_up2 and conv_hr
        # and conv_last at 4x (16 pixels).
        return low + 4 * 9 * c * c + 16 * (2 * 9 * c * c + 9 * c * 3)
    if meta["family"] == "srvgg":
        return 9 * 3 * c + b * 9 * c * c + 9 * c * 3 * s * s
    from srresnet_torch import macs_per_pixel as srresnet_macs
    return srresnet_macs(meta)


def _conv(rng, tensors, name, cout, cin, gain):
    """He-style uniform weights: activations keep their scale layer to layer."""
    bound = gain * np.sqrt(3.0 / (cin * 9))
    tensors[name + ".weight"] = rng.uniform(-bound, bound, (cout, cin, 3, 3)).astype(np.float32)
    tensors[name + ".bias"] = rng.uniform(-0.05, 0.05, cout).astype(np.float32)


def random_rrdbnet(blocks, channels, growth, seed):
    """Random RRDBNet tensors (FORMAT.md names).  Every branch is scaled by
    0.2 twice (RDB, then RRDB), so conv5 gets a gain of 4: with plain He
    gains the dense blocks would barely move the output and a fixture could
    not tell a broken block from a working one (zeroing any one conv now
    moves the output by a few hundredths).  conv_last's bias of 0.5 puts the
    image mid-grey, mostly away from the clamp."""
    rng = np.random.default_rng(seed)
    c, g, t = channels, growth, {}
    _conv(rng, t, "conv_first", c, 3, 1.0)
    for i in range(blocks):
        for j in (1, 2, 3):
            for k in range(1, 6):
                cout = g if k <= 4 else c
                _conv(rng, t, "body.%d.rdb%d.conv%d" % (i, j, k), cout, c + (k - 1) * g, 1.4 if k <= 4 else 4.0)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        _conv(rng, t, name, c, c, 1.0)
    _conv(rng, t, "conv_last", 3, c, 0.4)
    t["conv_last.bias"] = np.full(3, 0.5, np.float32)
    return t


def random_srvgg(blocks, channels, scale, seed):
    """Random SRVGGNetCompact tensors: slopes in [0.05, 0.3] so both PReLU
    sides matter, a small last conv so the output is the nearest-upsampled
    input plus visible detail, mostly inside [0, 1]."""
    rng = np.random.default_rng(seed)
    c, t = channels, {}
    _conv(rng, t, "body.0", c, 3, 1.4)
    t["body.1.weight"] = rng.uniform(0.05, 0.3, c).astype(np.float32)
    for n in range(1, blocks + 1):
        _conv(rng, t, "body.%d" % (2 * n), c, c, 1.4)
        t["body.%d.weight" % (2 * n + 1)] = rng.uniform(0.05, 0.3, c).astype(np.float32)
    _conv(rng, t, "body.%d" % (2 * blocks + 2), 3 * scale * scale, c, 0.2)
    return t
