#!/usr/bin/python3
"""plot-curve.py — learning curve of srgan-train runs as a PNG.

    /usr/bin/python3 train/plot-curve.py -o curve.png srresnet.log [srgan.log] \
        [--extra "label=step:dB,step:dB,..."] [--title TEXT]

Reads the "step N  validation PSNR X dB (bicubic Y dB, …)" lines that
srgan-train prints with --val, one curve per log (a later log's steps are
drawn after the previous log's last step, so an SRGAN phase continues its
SRResNet), the bicubic PSNR as a horizontal line, and optional extra series
(--extra, e.g. Y-PSNR measured afterwards with srgan-eval on exported
snapshots).  Steps on x, dB on y.  Only PIL is needed (no matplotlib): a
developer tool, drawn with plain lines and DejaVu Sans where installed.
"""
import argparse
import re

from PIL import Image, ImageDraw, ImageFont

VAL = re.compile(r"step (\d+)\s+validation PSNR ([0-9.]+) dB \(bicubic ([0-9.]+) dB")
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14)]


def font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            pass
    return ImageFont.load_default()


def nice_step(span, target=6):
    """A round tick spacing giving about `target` ticks over span."""
    raw = span / target
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--labels", default="", help="semicolon-separated, one per log")
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--bicubic-extra", type=float, default=None,
                    help="a second bicubic line (e.g. its Y-PSNR) for the extra series")
    ap.add_argument("--title", default="Validation PSNR during training")
    a = ap.parse_args()
    labels = a.labels.split(";") if a.labels else a.logs
    series, bicubic, offset = [], None, 0
    for i, path in enumerate(a.logs):
        pts = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = VAL.search(line)
                if m:
                    pts.append((offset + int(m.group(1)), float(m.group(2))))
                    bicubic = float(m.group(3))
        series.append((labels[i] if i < len(labels) else path, pts))
        if pts:
            offset = pts[-1][0]
    for spec in a.extra:
        label, _, data = spec.partition("=")
        pts = [(float(s), float(v)) for s, v in (p.split(":") for p in data.split(","))]
        series.append((label, pts))

    W, H, L, R, T, B = 1000, 600, 80, 30, 50, 110
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    f, fs = font(16), font(13)
    xs = [x for _, p in series for x, _ in p] or [0, 1]
    ys = [y for _, p in series for _, y in p] + [v for v in (bicubic, a.bicubic_extra) if v]
    x0, x1 = 0, max(xs) or 1
    y0, y1 = min(ys), max(ys)
    pad = max(0.5, 0.05 * (y1 - y0))
    y0, y1 = y0 - pad, y1 + pad

    def px(x, y):
        return (L + (x - x0) / (x1 - x0) * (W - L - R),
                T + (y1 - y) / (y1 - y0) * (H - T - B))

    d.text(((W - d.textlength(a.title, font=f)) / 2, 6), a.title, fill="black", font=f)
    d.rectangle([L, T, W - R, H - B], outline="black")
    step = nice_step(x1 - x0)
    x = 0.0
    while x <= x1:
        X, _ = px(x, y0)
        d.line([X, H - B, X, H - B + 5], fill="black")
        d.line([X, T, X, H - B], fill=(230, 230, 230))
        d.text((X - 12, H - B + 8), f"{x:g}", fill="black", font=fs)
        x += step
    ystep = nice_step(y1 - y0)
    y = (int(y0 / ystep) + 1) * ystep
    while y <= y1:
        _, Y = px(x0, y)
        d.line([L - 5, Y, L, Y], fill="black")
        d.line([L, Y, W - R, Y], fill=(230, 230, 230))
        d.text((L - 50, Y - 8), f"{y:g}", fill="black", font=fs)
        y += ystep
    d.text(((W - L) // 2, H - B + 28), "training steps", fill="black", font=f)
    d.text((8, T - 22), "PSNR (dB)", fill="black", font=f)

    legend = []
    for v, label in ((bicubic, "bicubic (RGB PSNR)"), (a.bicubic_extra, "bicubic (Y-PSNR)")):
        if v:
            colour = (120, 120, 120) if "RGB" in label else (60, 60, 60)
            _, Y = px(x0, v)
            for xx in range(L, W - R, 12):   # dashed
                d.line([xx, Y, min(xx + 6, W - R), Y], fill=colour, width=2)
            legend.append((f"{label} {v:.2f} dB", colour))
    for i, (label, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        if len(pts) > 1:
            d.line([px(x, y) for x, y in pts], fill=colour, width=2)
        for x, y in pts:
            X, Y = px(x, y)
            d.ellipse([X - 3, Y - 3, X + 3, Y + 3], fill=colour)
        if pts:
            legend.append((f"{label} (last {pts[-1][1]:.2f} dB)", colour))
    lx, ly = L, H - B + 55
    for text, colour in legend:
        d.line([lx, ly + 8, lx + 25, ly + 8], fill=colour, width=3)
        d.text((lx + 30, ly), text, fill="black", font=fs)
        lx += 40 + d.textlength(text, font=fs)
        if lx > W - 250:
            lx, ly = L, ly + 20
    img.save(a.output)


if __name__ == "__main__":
    main()
