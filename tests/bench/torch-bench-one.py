#!/usr/bin/python3
"""Times PyTorch on one raw float image: the PyTorch half of bench-vs-pytorch.py.

  torch-bench-one.py MODEL INPUT.f32 WIDTH HEIGHT THREADS REPS [OUTPUT.f32]

Same arguments, environment and output lines as srgan-bench-one: untimed
warm-ups (SRGAN_BENCH_WARMUP, default 1),
REPS "seconds S cpu C" lines (wall-clock and process CPU seconds), then
"peak_rss_kb N".  Runs the network of
srresnet_torch.py (SRResNet) or families_torch.py (RRDBNet, SRVGGNetCompact),
as the file's family says, in inference mode on THREADS intra-op threads.  SRGAN_TORCH_LAYOUT picks the memory layout of input
and weights: "nchw" (default) or "channels_last".  Which one is faster
depends on the CPU and oneDNN's kernels for it (on this project's Zen 3
machine NCHW is 3-5x faster; on Zen 4 with AVX-512 channels_last was the
faster), so the benchmark runs both.
"""
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families_torch  # noqa: E402
from srresnet_torch import SRResNet, read_safetensors  # noqa: E402


def peak_rss_kb():
    """VmHWM: this process's own peak RSS (ru_maxrss would include the
    harness's memory at fork)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    if len(sys.argv) not in (7, 8):
        sys.exit(__doc__)
    model_path, input_path = sys.argv[1], sys.argv[2]
    width, height, threads, reps = (int(v) for v in sys.argv[3:7])
    torch.set_num_threads(threads)
    pixels = np.fromfile(input_path, dtype=np.float32).reshape(height, width, 3)
    layout = os.environ.get("SRGAN_TORCH_LAYOUT", "nchw")
    if layout not in ("nchw", "channels_last"):
        sys.exit(f"SRGAN_TORCH_LAYOUT must be nchw or channels_last, not {layout!r}")
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0).contiguous(memory_format=fmt)
    meta, _ = read_safetensors(model_path)
    if meta.get("family", "srresnet") == "srresnet":
        net = SRResNet(model_path, memory_format=fmt).eval()
    else:
        # RRDBNet / SRVGGNetCompact (families_torch.py); .to() converts
        # their 4-D weight buffers to the layout too.
        net = families_torch.load(model_path).to(memory_format=fmt).eval()
    with torch.inference_mode():
        for rep in range(-int(os.environ.get("SRGAN_BENCH_WARMUP", "1")), reps):
            t0, c0 = time.perf_counter(), time.process_time()
            y = net(x)
            if rep >= 0:
                print(f"seconds {time.perf_counter() - t0:.6f} cpu {time.process_time() - c0:.6f}", flush=True)
    if len(sys.argv) == 8:
        y[0].permute(1, 2, 0).contiguous().numpy().astype(np.float32).tofile(sys.argv[7])
    print(f"peak_rss_kb {peak_rss_kb()}")


if __name__ == "__main__":
    main()
