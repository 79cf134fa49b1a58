#!/usr/bin/python3
"""Write the reference fixtures the core tests compare libsrgan against.

Developer tool: needs Debian's python3-torch (/usr/bin/python3), is never
run by the build or the tests.  Its outputs are committed under
tests/core/fixtures/.

What it does, independently of the C code and of weights/convert-*.py:

 * defines the leftthomas/SRGAN generator in PyTorch from its description
   (../shared/weights/leftthomas-srgan/PROVENANCE.md), loads each
   netG_epoch_{2,4,8}_100.pth into it with strict key matching, and runs it
   in float64 on a small random image whose sides are not multiples of any
   tile size the tests use;
 * builds a paper-style SRResNet (BatchNorm with random statistics,
   per-channel PReLU, conv+BN tail, identity output, input range -1..1)
   with random weights, writes it in srgan's safetensors format
   (weights/FORMAT.md) and its float64 output, so BN folding, per-channel
   PReLU and the other metadata variants are covered end to end.

Fixture files: NAME.txt (key value lines), NAME-in.bin (height × width × 3
float32, little-endian, HWC, values in [0,1]) and NAME-out.bin
((height·scale) × (width·scale) × 3, clamped to [0,1]).

The Real-ESRGAN families' fixtures (realesrgan-x4plus-*, realesr-general-
x4v3-*, rrdbnet-x4, srvgg-x4) come from the sibling make-family-fixtures.py.

Usage: /usr/bin/python3 tests/core/make-fixtures.py [SHARED_DIR]
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(HERE, "fixtures")


# ---- networks -------------------------------------------------------------

class ResBlock(nn.Module):
    def __init__(self, c, prelu_count):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.prelu = nn.PReLU(prelu_count)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))


class UpStage(nn.Module):
    """conv C→4C, pixel shuffle ×2, PReLU (after the shuffle, C slopes)."""
    def __init__(self, c, prelu_count):
        super().__init__()
        self.conv = nn.Conv2d(c, 4 * c, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.prelu = nn.PReLU(prelu_count)

    def forward(self, x):
        return self.prelu(self.shuffle(self.conv(x)))


class LeftthomasGenerator(nn.Module):
    """Module names follow the .pth keys: block1 (head), block2..6 (residual
    blocks), block7 (body conv + PReLU), block8 (up stages, then tail)."""
    def __init__(self, scale, c=64, blocks=5):
        super().__init__()
        stages = {2: 1, 4: 2, 8: 3}[scale]
        self.blocks = blocks
        self.block1 = nn.Sequential(nn.Conv2d(3, c, 9, padding=4), nn.PReLU())
        for i in range(blocks):
            setattr(self, "block%d" % (i + 2), ResBlock(c, 1))
        setattr(self, "block%d" % (blocks + 2), nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.PReLU()))
        up = [UpStage(c, 1) for _ in range(stages)] + [nn.Conv2d(c, 3, 9, padding=4)]
        setattr(self, "block%d" % (blocks + 3), nn.Sequential(*up))

    def forward(self, x):
        h = self.block1(x)
        r = h
        for i in range(self.blocks):
            r = getattr(self, "block%d" % (i + 2))(r)
        r = getattr(self, "block%d" % (self.blocks + 2))(r) + h
        y = getattr(self, "block%d" % (self.blocks + 3))(r)
        return (torch.tanh(y) + 1) / 2


class PaperGenerator(nn.Module):
    """Ledig et al. 2017 fig. 4 with FORMAT.md's module names."""
    def __init__(self, scale, c, blocks, lo, hi):
        super().__init__()
        stages = {2: 1, 4: 2, 8: 3}[scale]
        self.lo, self.hi = lo, hi
        self.head = nn.Module()
        self.head.conv = nn.Conv2d(3, c, 9, padding=4)
        self.head.prelu = nn.PReLU(c)
        self.blocks = nn.ModuleList([ResBlock(c, c) for _ in range(blocks)])
        self.body = nn.Module()
        self.body.conv = nn.Conv2d(c, c, 3, padding=1)
        self.body.bn = nn.BatchNorm2d(c)
        self.up = nn.ModuleList([UpStage(c, c) for _ in range(stages)])
        self.tail = nn.Module()
        self.tail.conv = nn.Conv2d(c, 3, 9, padding=4)

    def forward(self, x):
        x = self.lo + (self.hi - self.lo) * x
        h = self.head.prelu(self.head.conv(x))
        r = h
        for block in self.blocks:
            r = block(r)
        r = self.body.bn(self.body.conv(r)) + h
        for stage in self.up:
            r = stage(r)
        return self.tail.conv(r)   # identity output


def randomise_paper(net, gen):
    """Random weights that keep activations O(1) and the output near 0.5,
    with BatchNorm statistics far from identity so folding matters."""
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("prelu.weight"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.5)
            elif ".bn" in name or name.startswith("body.bn"):
                if name.endswith("weight"):
                    p.copy_(0.5 + torch.rand(p.shape, generator=gen))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif name.endswith("weight"):
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                p.copy_(torch.randn(p.shape, generator=gen) * (0.7 / fan_in ** 0.5))
            else:
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
        net.tail.conv.bias.fill_(0.5)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(m.running_var.shape, generator=gen))
    net.eval()


# ---- files ----------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """safetensors: u64 LE header length, JSON header, raw LE tensors."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def paper_state(net):
    """FORMAT.md names for the paper net (num_batches_tracked dropped)."""
    return {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def hwc_bytes(t):
    return t[0].permute(1, 2, 0).contiguous().numpy().astype("<f4").tobytes()


def write_fixture(name, model_rel, scale, image, result):
    _, _, h, w = image.shape
    with open(os.path.join(OUT_DIR, name + ".txt"), "w") as f:
        f.write("# written by tests/core/make-fixtures.py; float64 PyTorch reference\n")
        f.write("model %s\nscale %d\nwidth %d\nheight %d\n" % (model_rel, scale, w, h))
    with open(os.path.join(OUT_DIR, name + "-in.bin"), "wb") as f:
        f.write(hwc_bytes(image.float()))
    with open(os.path.join(OUT_DIR, name + "-out.bin"), "wb") as f:
        f.write(hwc_bytes(result.clamp(0, 1).float()))
    print("%s: %dx%d -> %dx%d, output mean %.4f" % (name, w, h, w * scale, h * scale, result.mean()))


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
    os.makedirs(OUT_DIR, exist_ok=True)
    gen = torch.Generator().manual_seed(20170529)

    # Shipped weights; 8× on a smaller image to keep the fixtures small.
    for scale, (w, h) in ((2, (37, 23)), (4, (37, 23)), (8, (21, 13))):
        pth = os.path.join(shared, "weights", "leftthomas-srgan", "netG_epoch_%d_100.pth" % scale)
        net = LeftthomasGenerator(scale)
        net.load_state_dict(torch.load(pth, map_location="cpu"), strict=True)
        net = net.double().eval()
        image = torch.rand((1, 3, h, w), generator=gen, dtype=torch.float32).double()
        with torch.no_grad():
            result = net(image)
        write_fixture("leftthomas-x%d" % scale, "weights/srgan-x%d.safetensors" % scale,
                      scale, image, result)

    # Paper-style net: BN everywhere, per-channel PReLU, conv-bn tail.
    scale, c, blocks = 4, 16, 2
    net = PaperGenerator(scale, c, blocks, -1.0, 1.0)
    randomise_paper(net, gen)
    metadata = {
        "format": "srgan-generator", "format_version": "1", "family": "srresnet",
        "scale": str(scale), "blocks": str(blocks), "channels": str(c),
        "prelu": "per-channel", "batchnorm": "true", "bn_eps": "1e-05",
        "tail": "conv-bn", "output": "identity", "input_range": "-1,1",
        "source": "random weights from tests/core/make-fixtures.py (test fixture)",
    }
    write_safetensors(os.path.join(OUT_DIR, "paper-x4.safetensors"), paper_state(net), metadata)
    net = net.double()
    image = torch.rand((1, 3, 29, 19), generator=gen, dtype=torch.float32).double()
    with torch.no_grad():
        result = net(image)
    write_fixture("paper-x4", "tests/core/fixtures/paper-x4.safetensors", scale, image, result)


if __name__ == "__main__":
    main()
