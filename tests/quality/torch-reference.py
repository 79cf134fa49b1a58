#!/usr/bin/python3
"""torch-reference.py — developer cross-check of srgan-eval, never run by tests.

Recomputes one row of srgan-eval's table independently: runs the original
leftthomas/SRGAN generator (the .pth the shipped weights were converted
from, see weights/PROVENANCE.md) in PyTorch on an LR image, rounds to 8 bits,
and measures luma PSNR/SSIM against the HR image with the protocol of
metrics.h (MATLAB rgb2ycbcr luma in double, border = scale, SSIM with an
11x11 Gaussian window, sigma 1.5, 'valid').  Feed it an LR image that
equals srgan-eval's (the MATLAB Set5 LR images do, exactly):

  /usr/bin/python3 tests/quality/torch-reference.py 4 \
      ../shared/data/benchmark/set5-lr-x4-matlab/birdx4.png \
      ../shared/data/benchmark/set5/bird.png
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

scale = int(sys.argv[1])
shared = os.environ.get('SRGAN_SHARED', os.path.join(os.path.dirname(__file__), '../../../shared'))
sd = torch.load(os.path.join(shared, f'weights/leftthomas-srgan/netG_epoch_{scale}_100.pth'),
                map_location='cpu')


def bn(x, p):
    return F.batch_norm(x, sd[p + '.running_mean'], sd[p + '.running_var'],
                        sd[p + '.weight'], sd[p + '.bias'], False, 0.0, 1e-5)


def generator(x):
    """leftthomas' Generator.forward, written out from its state_dict names."""
    b1 = F.prelu(F.conv2d(x, sd['block1.0.weight'], sd['block1.0.bias'], padding=4),
                 sd['block1.1.weight'])
    h = b1
    for i in range(2, 7):
        p = f'block{i}'
        r = F.conv2d(h, sd[p + '.conv1.weight'], sd[p + '.conv1.bias'], padding=1)
        r = F.prelu(bn(r, p + '.bn1'), sd[p + '.prelu.weight'])
        r = bn(F.conv2d(r, sd[p + '.conv2.weight'], sd[p + '.conv2.bias'], padding=1), p + '.bn2')
        h = h + r
    b7 = F.prelu(F.conv2d(h, sd['block7.0.weight'], sd['block7.0.bias'], padding=1),
                 sd['block7.1.weight'])
    h = b1 + b7
    i = 0
    while f'block8.{i}.conv.weight' in sd:
        h = F.conv2d(h, sd[f'block8.{i}.conv.weight'], sd[f'block8.{i}.conv.bias'], padding=1)
        h = F.prelu(F.pixel_shuffle(h, 2), sd[f'block8.{i}.prelu.weight'])
        i += 1
    h = F.conv2d(h, sd[f'block8.{i}.weight'], sd[f'block8.{i}.bias'], padding=4)
    return (torch.tanh(h) + 1) / 2


def luma(a):
    return 16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255


def ssim(a, b):
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    g /= g.sum()
    w = np.outer(g, g)
    filt = lambda x: np.einsum('ijkl,kl->ij', sliding_window_view(x, (11, 11)), w)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    m1, m2 = filt(a), filt(b)
    s1, s2, s12 = filt(a * a) - m1 ** 2, filt(b * b) - m2 ** 2, filt(a * b) - m1 * m2
    return np.mean(((2 * m1 * m2 + c1) * (2 * s12 + c2)) / ((m1 ** 2 + m2 ** 2 + c1) * (s1 + s2 + c2)))


lr = np.asarray(Image.open(sys.argv[2]).convert('RGB')).astype(np.float32) / 255
hr = np.asarray(Image.open(sys.argv[3]).convert('RGB')).astype(np.float64)
with torch.no_grad():
    sr = generator(torch.from_numpy(lr).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
sr = np.round(np.clip(sr, 0, 1) * 255).astype(np.float64)
hr = hr[:sr.shape[0], :sr.shape[1]]            # modcrop
ys = luma(sr)[scale:-scale, scale:-scale]
yh = luma(hr)[scale:-scale, scale:-scale]
print(f'{os.path.basename(sys.argv[3])}: srgan PSNR {10 * math.log10(255 ** 2 / np.mean((ys - yh) ** 2)):.4f} dB'
      f'  SSIM {ssim(ys, yh):.4f}')
