#!/usr/bin/python3
"""Benchmark: srgan's C engine against PyTorch on the same network, weights
and input, interleaved in one run (issue 5).

  tests/bench/bench-vs-pytorch.py --engine BUILD/tests/bench/srgan-bench-one
        [--sizes 128,256] [--threads 1,2] [--rounds 3] [--reps 2] [--warmup 1]
        [--models random16,shipped] [--markdown]

For each model — "random16": the paper's 16-block 64-channel SRResNet 4×
with random weights, written to the srgan format so both engines load the
same numbers; "shipped": weights/srgan-x4.safetensors; "x4plus" and
"general": the Real-ESRGAN models (weights/realesrgan-x4plus and
realesr-general-x4v3, run in PyTorch by families_torch.py); or a path — and each input size
it first checks that our output equals PyTorch's within 1e-4 (max absolute
difference over the [0,1] output), then times both engines: each
measurement is a fresh process (--warmup untimed runs, --reps timed runs)
so that its peak RSS is its own, and the two engines alternate, --rounds times, so that
a busy neighbour slows both alike.  It prints the median seconds, the
ratio PyTorch / ours (PyTorch at the faster of its NCHW and channels_last
layouts, both timed: engines "pytorch" and "pytorch-cl"), the effective GFLOP/s (2 × convolution multiply-adds
/ median), the median CPU seconds of a run (less disturbed than wall time
when other jobs share the cores) and the peak RSS.  Exit status 1 when an output differs by more
than 1e-4 or a run fails.

Developer tool: PyTorch runs from /usr/bin/python3 (Debian's python3-torch).
The input is a crop of a committed test photo (tests/data/photos).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import families_torch  # noqa: E402
import srresnet_torch  # noqa: E402

TOLERANCE = 1e-4
PHOTO = os.path.join(ROOT, "tests", "data", "photos", "coffee.png")


def run(cmd, env=None):
    """Runs one measurement process: ([wall seconds...], [CPU seconds...],
    peak RSS in MB)."""
    res = subprocess.run(cmd, capture_output=True, text=True,
                         env=None if env is None else {**os.environ, **env})
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{res.stderr}")
    times, cpu, rss = [], [], None
    for line in res.stdout.splitlines():
        words = line.split()
        if words[:1] == ["seconds"]:
            times.append(float(words[1]))
            cpu.append(float(words[3]))
        elif words[:1] == ["peak_rss_kb"]:
            rss = int(words[1]) / 1024
    return times, cpu, rss


def make_input(path, size):
    """A size×size crop of a test photo, as raw float32 RGB in [0,1]."""
    img = Image.open(PHOTO).convert("RGB")
    w, h = img.size
    side = min(w, h)
    img = img.crop(((w - side) // 2, (h - side) // 2, (w + side) // 2, (h + side) // 2))
    img = img.resize((size, size), Image.BICUBIC)
    (np.asarray(img, dtype=np.float32) / 255.0).tofile(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", required=True, help="path to the srgan-bench-one program")
    ap.add_argument("--sizes", default="128,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs at the start of each process")
    ap.add_argument("--models", default="random16,shipped")
    ap.add_argument("--torch-layouts", default="nchw,channels_last",
                    help="PyTorch memory layouts to time; ratios are against the fastest")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="srgan-bench-")
    try:
        return measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args, tmp):
    """Writes the models and inputs under tmp, checks, times, prints."""
    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    torch_one = [sys.executable, os.path.join(HERE, "torch-bench-one.py")]
    ours_one = [os.path.abspath(args.engine)]
    os.environ["SRGAN_BENCH_WARMUP"] = str(args.warmup)
    models = {}
    for name in args.models.split(","):
        if name == "random16":
            path = os.path.join(tmp, "random16.safetensors")
            srresnet_torch.random_model(path, blocks=16, channels=64, scale=4, seed=5)
        elif name == "shipped":
            path = os.path.join(ROOT, "weights", "srgan-x4.safetensors")
        elif name == "x4plus":
            path = os.path.join(ROOT, "weights", "realesrgan-x4plus.safetensors")
        elif name == "general":
            path = os.path.join(ROOT, "weights", "realesr-general-x4v3.safetensors")
        else:
            path = name
        meta, _ = srresnet_torch.read_safetensors(path)
        models[name] = (path, meta)

    torch_engines = {("pytorch" if lay == "nchw" else "pytorch-cl"): {"SRGAN_TORCH_LAYOUT": lay}
                     for lay in args.torch_layouts.split(",")}
    failures = 0
    rows = []
    for name, (path, meta) in models.items():
        scale = int(meta["scale"])
        macs = families_torch.macs_per_pixel(meta)
        for size in sizes:
            inp = os.path.join(tmp, f"in{size}.f32")
            if not os.path.exists(inp):
                make_input(inp, size)
            # Same output?  (largest thread count: the tiles are cut as in the timing)
            out_ours, out_torch = os.path.join(tmp, "ours.f32"), os.path.join(tmp, "torch.f32")
            common = [path, inp, str(size), str(size), str(max(threads)), "1"]
            run(ours_one + common + [out_ours])
            run(torch_one + common + [out_torch], next(iter(torch_engines.values())))
            a = np.fromfile(out_ours, dtype=np.float32)
            b = np.fromfile(out_torch, dtype=np.float32)
            diff = float(np.abs(a - b).max()) if a.size == b.size == 3 * (size * scale) ** 2 else float("inf")
            ok = diff <= TOLERANCE
            failures += not ok
            print(f"# {name} {size}²: max |ours - PyTorch| = {diff:.3g} "
                  f"({'within' if ok else 'ABOVE'} {TOLERANCE:g})", flush=True)
            for th in threads:
                engines = ["ours"] + list(torch_engines)
                t = {e: [] for e in engines}
                cpu = {e: [] for e in engines}
                rss = {e: 0.0 for e in engines}
                common = [path, inp, str(size), str(size), str(th), str(args.reps)]
                for rnd in range(args.rounds):
                    # Rotate which engine goes first, so none always
                    # follows another's cache and frequency state.
                    order = engines[rnd % len(engines):] + engines[:rnd % len(engines)]
                    for engine in order:
                        if engine == "ours":
                            times, c, r = run(ours_one + common)
                        else:
                            times, c, r = run(torch_one + common, torch_engines[engine])
                        t[engine] += times
                        cpu[engine] += c
                        rss[engine] = max(rss[engine], r)
                med = {e: statistics.median(v) for e, v in t.items()}
                best = min(med[e] for e in torch_engines)   # PyTorch at its best layout
                flop = 2.0 * macs * size * size
                for engine in list(torch_engines) + ["ours"]:
                    rows.append((engine, name, size, th, med[engine], best / med[engine],
                                 flop / med[engine] * 1e-9, rss[engine], len(t[engine]),
                                 statistics.median(cpu[engine])))
                print(f"# {name} {size}² {th} thread(s): best PyTorch {best:.3f} s, "
                      f"ours {med['ours']:.3f} s, ratio {best / med['ours']:.2f}", flush=True)

    if args.markdown:
        print("\n| engine | model | size | threads | median s | ratio vs best PyTorch | eff. GFLOP/s "
              "| median CPU s | peak RSS MB | runs |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]}² | {r[3]} | {r[4]:.3f} | {r[5]:.2f}× | {r[6]:.0f} "
                  f"| {r[9]:.3f} | {r[7]:.0f} | {r[8]} |")
    else:
        print(f"\n{'engine':10} {'model':9} {'size':>5} {'thr':>3} {'median s':>9} {'ratio':>6} "
              f"{'GFLOP/s':>8} {'CPU s':>8} {'RSS MB':>7} {'runs':>4}")
        for r in rows:
            print(f"{r[0]:10} {r[1]:9} {r[2]:>4}² {r[3]:>3} {r[4]:>9.3f} {r[5]:>5.2f}× "
                  f"{r[6]:>8.0f} {r[9]:>8.3f} {r[7]:>7.0f} {r[8]:>4}")
    # Thread scaling of each engine: median(1 thread) / median(2 threads),
    # and what the CPU seconds say it would be on two otherwise idle cores
    # (the work of the 2-thread run spread evenly over both).
    wall = {(r[0], r[1], r[2], r[3]): r[4] for r in rows}
    work = {(r[0], r[1], r[2], r[3]): r[9] for r in rows}
    if 1 in threads and 2 in threads:
        print()
        for name in models:
            for size in sizes:
                for engine in ["ours"] + list(torch_engines):
                    one, two = wall.get((engine, name, size, 1)), wall.get((engine, name, size, 2))
                    c1, c2 = work.get((engine, name, size, 1)), work.get((engine, name, size, 2))
                    if one and two:
                        print(f"scaling {engine:10} {name:9} {size}²: 2 threads = {one / two:.2f}× 1 thread "
                              f"(CPU seconds {c1:.2f} → {c2:.2f}: {2 * c1 / c2:.2f}× if both cores were free)")
    if failures:
        print(f"{failures} output(s) differ from PyTorch by more than {TOLERANCE:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
