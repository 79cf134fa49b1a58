#!/usr/bin/python3
"""train-vs-pytorch.py — seconds per training step of srgan-train against
PyTorch for the same networks, batch, crops and optimiser (issue 13).

Developer tool, not a test (Debian's python3-torch; never used at run time):

    /usr/bin/python3 tests/bench/train-vs-pytorch.py BUILD_DIR PHOTO_DIR \
        [--steps 3] [--rounds 2] [--threads 1,2] [--phases srresnet,srgan]

Each measurement is a fresh process, so that its peak resident memory
(wait4's ru_maxrss) is its own: ours is tests/trainer/bench-trainer from
BUILD_DIR (photos from PHOTO_DIR, crops and LR made as in training), and
PyTorch is this script with --torch, in NCHW and in channels_last (the
faster of the two counts).  Runs are interleaved — every engine once per
round, for each thread count and phase — so a machine shared with other
jobs slows all of them alike; the medians are over every step of every
round.  Both take one warm-up step first that is not counted.

The networks are those of tests/trainer/bench-train.c and of the paper
(Ledig et al. 2017): SRResNet-16 (64 channels, BatchNorm, per-channel PReLU,
×4 by two PixelShuffle(2) stages, tanh), batch 16 of 96×96 HR crops, Adam
(lr 1e-4, β 0.9/0.999); SRGAN phase: the discriminator (8 conv3×3 64→512,
stride 2 on every second, BatchNorm from the second on, LeakyReLU 0.2,
dense 1024, dense 1) updated once, then the generator on VGG19 φ(5,4)
content loss (random weights: only the cost matters) + 10⁻³·BCE.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


# ---- PyTorch side ----------------------------------------------------------

def torch_main(phase, layout, threads, steps):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(1)

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1 = nn.Conv2d(c, c, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(c)
            self.prelu = nn.PReLU(c)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(c)

        def forward(self, x):
            return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))

    class Generator(nn.Module):
        def __init__(self, c=64, blocks=16):
            super().__init__()
            self.head = nn.Sequential(nn.Conv2d(3, c, 9, padding=4), nn.PReLU(c))
            self.blocks = nn.Sequential(*[Block(c) for _ in range(blocks)])
            self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c))
            self.up = nn.Sequential(*[nn.Sequential(nn.Conv2d(c, 4 * c, 3, padding=1),
                                                    nn.PixelShuffle(2), nn.PReLU(c))
                                      for _ in range(2)])
            self.tail = nn.Conv2d(c, 3, 9, padding=4)

        def forward(self, x):
            h = self.head(x)
            return torch.tanh(self.tail(self.up(h + self.body(self.blocks(h)))))

    class Discriminator(nn.Module):
        def __init__(self, c=64, dense=1024, crop=96):
            super().__init__()
            layers, cin, side = [], 3, crop
            for i, m in enumerate([1, 1, 2, 2, 4, 4, 8, 8]):
                stride = 2 if i % 2 else 1
                layers.append(nn.Conv2d(cin, c * m, 3, stride, 1))
                if i > 0:
                    layers.append(nn.BatchNorm2d(c * m))
                layers.append(nn.LeakyReLU(0.2))
                cin, side = c * m, (side + 2 - 3) // stride + 1
            self.features = nn.Sequential(*layers)
            self.fc = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, dense),
                                    nn.LeakyReLU(0.2), nn.Linear(dense, 1))

        def forward(self, x):
            return self.fc(self.features(x))

    def vgg54():
        # VGG19 "features" up to relu5_4 (the φ(5,4) the paper names)
        cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
               512, 512, 512, 512, "M", 512, 512, 512, 512]
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
                cin = v
        net = nn.Sequential(*layers)
        for p in net.parameters():
            p.requires_grad_(False)
        return net

    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    gen = Generator().to(memory_format=fmt)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.9, 0.999))
    if phase == "srgan":
        disc = Discriminator().to(memory_format=fmt)
        opt_d = torch.optim.Adam(disc.parameters(), lr=1e-4, betas=(0.9, 0.999))
        vgg = vgg54().to(memory_format=fmt)
    lr_img = torch.rand(16, 3, 24, 24).contiguous(memory_format=fmt)
    hr_img = (torch.rand(16, 3, 96, 96) * 2 - 1).contiguous(memory_format=fmt)

    def step():
        sr = gen(lr_img)
        if phase == "srresnet":
            loss = F.mse_loss(sr, hr_img)
        else:
            opt_d.zero_grad(set_to_none=True)
            real, fake = disc(hr_img), disc(sr.detach())
            d_loss = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) +
                      F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
            d_loss.backward()
            opt_d.step()
            with torch.no_grad():
                target = vgg((hr_img + 1) / 2)
            content = F.mse_loss(vgg((sr + 1) / 2), target) / (12.75 ** 2)
            fake = disc(sr)
            loss = content + 1e-3 * F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()

    step()   # warm-up
    for i in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        print(f"  step {i + 1}: {time.perf_counter() - t0:.3f} s wall, "
              f"{time.process_time() - c0:.3f} s CPU", flush=True)


# ---- driver ----------------------------------------------------------------

STEP_LINE = re.compile(r"^\s*step \d+: ([0-9.]+) s wall, ([0-9.]+) s CPU")


def run(cmd, env=None):
    """([(wall, CPU seconds) per step], peak RSS in MB) of one child process."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}")
    times = [(float(m.group(1)), float(m.group(2)))
             for m in map(STEP_LINE.match, out.splitlines()) if m]
    return times, usage.ru_maxrss / 1024.0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch":
        torch_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("photos")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--phases", default="srresnet,srgan")
    a = ap.parse_args()
    bench = os.path.join(a.build, "tests", "trainer", "bench-trainer")
    engines = ["srgan-train", "torch NCHW", "torch channels_last"]
    results = {}   # (phase, threads, engine) -> (times, rss list)
    for rnd in range(a.rounds):
        for threads in map(int, a.threads.split(",")):
            for phase in a.phases.split(","):
                for engine in engines:
                    env = dict(os.environ)
                    if engine == "srgan-train":
                        cmd = [bench, a.photos, phase, str(a.steps), str(threads)]
                    else:
                        # PyTorch's own threads only; no OpenMP spinning
                        # after a parallel region eats the other core.
                        env["OMP_NUM_THREADS"] = str(threads)
                        layout = "channels_last" if "channels" in engine else "nchw"
                        cmd = [sys.executable, __file__, "--torch", phase, layout,
                               str(threads), str(a.steps)]
                    times, rss = run(cmd, env)
                    r = results.setdefault((phase, threads, engine), ([], []))
                    r[0].extend(times)
                    r[1].append(rss)
                    print(f"round {rnd + 1} {phase} {threads} thr {engine}: "
                          f"{' '.join(f'{w:.2f}/{c:.2f}' for w, c in times)} "
                          f"s/step wall/CPU, {rss:.0f} MB",
                          flush=True)
    print()
    print("Medians of wall and CPU seconds per step; ratio = faster PyTorch layout / ours "
          "(> 1: ours is faster).")
    print("| phase | threads | srgan-train wall / CPU | PyTorch NCHW wall / CPU "
          "| PyTorch channels_last wall / CPU | ratio wall | ratio CPU "
          "| peak RSS ours / PyTorch (MB) |")
    print("|---|---|---|---|---|---|---|---|")
    for phase in a.phases.split(","):
        for threads in map(int, a.threads.split(",")):
            if (phase, threads, engines[0]) not in results:
                continue
            med = {e: (statistics.median(w for w, _ in results[(phase, threads, e)][0]),
                       statistics.median(c for _, c in results[(phase, threads, e)][0]))
                   for e in engines}
            rss = {e: max(results[(phase, threads, e)][1]) for e in engines}
            best = min(engines[1:], key=lambda e: med[e][0])
            best_cpu = min(engines[1:], key=lambda e: med[e][1])
            cells = " | ".join(f"{med[e][0]:.2f} / {med[e][1]:.2f}" for e in engines)
            print(f"| {phase} | {threads} | {cells} | {med[best][0] / med[engines[0]][0]:.2f}× "
                  f"| {med[best_cpu][1] / med[engines[0]][1]:.2f}× "
                  f"| {rss[engines[0]]:.0f} / {rss[best]:.0f} |")


if __name__ == "__main__":
    main()
