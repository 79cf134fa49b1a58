#!/usr/bin/python3
"""Converting the source checkpoints again reproduces the committed
weights/srgan-x{2,4,8}.safetensors byte for byte.

Exit 77 (skip) only when this Python lacks torch or the source .pth files
are absent (../shared is not part of every checkout).
Usage: test-reproducible.py SOURCE_ROOT DEFAULT_SHARED_DIR ($SRGAN_SHARED wins)
"""
import filecmp
import os
import subprocess
import sys
import tempfile


def main():
    root = sys.argv[1]
    shared = os.environ.get("SRGAN_SHARED") or sys.argv[2]
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIP: %s has no torch (use Debian's python3-torch)" % sys.executable)
        return 77
    source_dir = os.path.join(shared, "weights", "leftthomas-srgan")
    if not os.path.isfile(os.path.join(source_dir, "netG_epoch_4_100.pth")):
        print("SKIP: no source checkpoints in %s (the shared data beside the clone)"
              % source_dir)
        return 77

    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(root, "weights", "convert-leftthomas.py"),
                        "--source-dir", source_dir, "--output-dir", out], check=True)
        failures = 0
        for scale in (2, 4, 8):
            name = "srgan-x%d.safetensors" % scale
            committed = os.path.join(root, "weights", name)
            if not filecmp.cmp(committed, os.path.join(out, name), shallow=False):
                print("FAIL: %s differs from a fresh conversion" % committed)
                failures += 1
            else:
                print("ok: %s reproduced byte for byte" % name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
