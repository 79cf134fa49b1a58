#!/usr/bin/python3
"""Times PyTorch on one raw float image: the PyTorch half of bench-vs-pytorch.py.

  torch-bench-one.py MODEL INPUT.f32 WIDTH HEIGHT THREADS REPS [OUTPUT.f32]

Same arguments and output lines as srgan-bench-one: one untimed warm-up,
REPS "seconds S" lines, then "peak_rss_kb N".  Runs the network of
srresnet_torch.py with channels_last tensors in inference mode on THREADS
intra-op threads.
"""
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srresnet_torch import SRResNet  # noqa: E402


def main():
    if len(sys.argv) not in (7, 8):
        sys.exit(__doc__)
    model_path, input_path = sys.argv[1], sys.argv[2]
    width, height, threads, reps = (int(v) for v in sys.argv[3:7])
    torch.set_num_threads(threads)
    pixels = np.fromfile(input_path, dtype=np.float32).reshape(height, width, 3)
    x = torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=torch.channels_last)
    net = SRResNet(model_path).eval()
    with torch.inference_mode():
        for rep in range(-1, reps):
            t0 = time.perf_counter()
            y = net(x)
            if rep >= 0:
                print(f"seconds {time.perf_counter() - t0:.6f}", flush=True)
    if len(sys.argv) == 8:
        y[0].permute(1, 2, 0).contiguous().numpy().astype(np.float32).tofile(sys.argv[7])
    print(f"peak_rss_kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


if __name__ == "__main__":
    main()
