#!/usr/bin/python3
"""weights/convert-esrgan-pth.py on small random checkpoints of both families.

 * RRDBNet (2 blocks, 16 channels, growth 8) saved in basicsr's key layout
   (wrapped in params_ema, beside a decoy `params`) and in the original
   ESRGAN layout (plain state dict, `module.` prefixed): both convert to the
   same tensors, equal to the random inputs, with the inferred metadata;
 * SRVGGNetCompact (4 convs, 16 channels) at x4 (wrapped in `params`) and
   x2: tensors equal, scale and blocks inferred;
 * --f16 stores conv weights as F16 (= the inputs rounded to half) and
   keeps biases and slopes F32; converting twice gives the same bytes;
 * refusals, each with a message that says why: an unknown key set, an x2
   RRDBNet (pixel unshuffle), a missing tensor, a wrong shape, an SRVGG
   without PReLU slopes, a file that is not a checkpoint.

The output files are read back with a reader of this test's own.
Exit 77 (skip) only when this Python lacks torch.
Usage: test-convert-pth.py SOURCE_ROOT
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

failures = 0


def check(condition, message):
    global failures
    print(("ok: " if condition else "FAIL: ") + message)
    if not condition:
        failures += 1


def read(path):
    """(metadata, {name: (dtype, shape, raw bytes)}, data area bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__")
    body = data[8 + n:]
    tensors = {k: (v["dtype"], tuple(v["shape"]), body[v["data_offsets"][0]:v["data_offsets"][1]])
               for k, v in header.items()}
    return meta, tensors, header, body


def rrdbnet_state(torch, gen, blocks, c, g, first_in=3):
    state = {"conv_first.weight": (c, first_in, 3, 3), "conv_first.bias": (c,)}
    for i in range(blocks):
        for j in (1, 2, 3):
            for k in range(1, 6):
                cout = g if k < 5 else c
                state["body.%d.rdb%d.conv%d.weight" % (i, j, k)] = (cout, c + (k - 1) * g, 3, 3)
                state["body.%d.rdb%d.conv%d.bias" % (i, j, k)] = (cout,)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        state[name + ".weight"], state[name + ".bias"] = (c, c, 3, 3), (c,)
    state["conv_last.weight"], state["conv_last.bias"] = (3, c, 3, 3), (3,)
    return {k: torch.randn(shape, generator=gen) for k, shape in state.items()}


def to_original_esrgan(state, blocks):
    """basicsr names -> the original ESRGAN repository's (written here,
    independently of the converter's reverse mapping)."""
    simple = {"conv_first": "model.0", "conv_body": "model.1.sub.%d" % blocks, "conv_up1": "model.3",
              "conv_up2": "model.6", "conv_hr": "model.8", "conv_last": "model.10"}
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "body":  # body.N.rdbM.convK.(weight|bias)
            name = "model.1.sub.%s.RDB%s.%s.0.%s" % (parts[1], parts[2][3:], parts[3], parts[4])
        else:
            name = "%s.%s" % (simple[parts[0]], parts[1])
        out["module." + name] = value
    return out


def srvgg_state(torch, gen, blocks, c, scale):
    state = {"body.0.weight": (c, 3, 3, 3), "body.0.bias": (c,), "body.1.weight": (c,)}
    for n in range(1, blocks + 1):
        state["body.%d.weight" % (2 * n)], state["body.%d.bias" % (2 * n)] = (c, c, 3, 3), (c,)
        state["body.%d.weight" % (2 * n + 1)] = (c,)
    last = 2 * blocks + 2
    state["body.%d.weight" % last] = (3 * scale * scale, c, 3, 3)
    state["body.%d.bias" % last] = (3 * scale * scale,)
    return {k: torch.randn(shape, generator=gen) for k, shape in state.items()}


def main():
    root = sys.argv[1]
    try:
        import torch
    except ImportError:
        print("SKIP: %s has no torch (use Debian's python3-torch)" % sys.executable)
        return 77
    import numpy as np
    torch.set_num_threads(1)
    converter = os.path.join(root, "weights", "convert-esrgan-pth.py")
    gen = torch.Generator().manual_seed(11)

    def run(src, dst, *extra):
        r = subprocess.run([sys.executable, converter, src, dst] + list(extra),
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr

    def tensors_equal(got, state, f16=False):
        """Every tensor of `state` in `got`, bit-exact (convs rounded to
        half when f16), nothing else."""
        if set(got) != set(state):
            return "names differ: %s" % sorted(set(got) ^ set(state))[:4]
        for name, value in state.items():
            dtype, shape, raw = got[name]
            want = value.numpy().astype(np.float16 if f16 and value.dim() == 4 else np.float32)
            if dtype != ("F16" if want.dtype == np.float16 else "F32") or shape != tuple(want.shape):
                return "%s is %s %s" % (name, dtype, shape)
            if raw != want.astype(want.dtype.newbyteorder("<")).tobytes():
                return "%s values differ" % name
        return None

    with tempfile.TemporaryDirectory() as tmp:
        path = lambda name: os.path.join(tmp, name)  # noqa: E731

        # ---- RRDBNet, two key layouts ---------------------------------
        state = rrdbnet_state(torch, gen, 2, 16, 8)
        decoy = {k: torch.zeros_like(v) for k, v in state.items()}
        torch.save({"params_ema": state, "params": decoy}, path("rrdb-basicsr.pth"))
        torch.save(to_original_esrgan(state, 2), path("rrdb-esrgan.pth"))
        rc, out = run(path("rrdb-basicsr.pth"), path("a.safetensors"))
        check(rc == 0, "basicsr-layout RRDBNet converts (%s)" % out.strip()[-200:])
        rc, out = run(path("rrdb-esrgan.pth"), path("b.safetensors"))
        check(rc == 0, "original-ESRGAN-layout RRDBNet converts (%s)" % out.strip()[-200:])
        if rc == 0:
            meta_a, ta, header_a, body_a = read(path("a.safetensors"))
            meta_b, tb, header_b, body_b = read(path("b.safetensors"))
            check(header_a == header_b and body_a == body_b,
                  "both layouts give the same tensors, byte for byte")
            why = tensors_equal(ta, state)
            check(why is None, "RRDBNet tensors equal params_ema's (not the decoy params): %s" % why)
            want = {"format": "srgan-generator", "format_version": "1", "family": "rrdbnet", "scale": "4",
                    "blocks": "2", "channels": "16", "growth": "8", "input_range": "0,1", "output": "identity"}
            check(all(meta_a.get(k) == v for k, v in want.items()), "RRDBNet metadata %s" % want)
            check(all(meta_a[k] == meta_b[k] for k in want), "same metadata from both layouts")
            check(len(meta_a.get("source_sha256", "")) == 64 and "display_name" in meta_a and
                  "description" in meta_a and "license" in meta_a, "free-text keys present")

        # --f16, and reproducibility
        rc, out = run(path("rrdb-esrgan.pth"), path("c.safetensors"), "--f16")
        rc2, _ = run(path("rrdb-esrgan.pth"), path("d.safetensors"), "--f16")
        check(rc == 0 and rc2 == 0, "--f16 converts (%s)" % out.strip()[-200:])
        if rc == 0:
            _, tc, _, _ = read(path("c.safetensors"))
            why = tensors_equal(tc, state, f16=True)
            check(why is None, "--f16: conv weights F16 (rounded inputs), biases F32: %s" % why)
            with open(path("c.safetensors"), "rb") as f1, open(path("d.safetensors"), "rb") as f2:
                check(f1.read() == f2.read(), "converting twice gives the same bytes")

        # ---- SRVGGNetCompact -------------------------------------------
        for scale, wrap in ((4, "params"), (2, None)):
            sv = srvgg_state(torch, gen, 4, 16, scale)
            torch.save({wrap: sv} if wrap else sv, path("srvgg.pth"))
            rc, out = run(path("srvgg.pth"), path("s.safetensors"))
            check(rc == 0, "SRVGG x%d converts (%s)" % (scale, out.strip()[-200:]))
            if rc == 0:
                meta, ts, _, _ = read(path("s.safetensors"))
                why = tensors_equal(ts, sv)
                check(why is None, "SRVGG x%d tensors equal the inputs: %s" % (scale, why))
                want = {"family": "srvgg", "scale": str(scale), "blocks": "4", "channels": "16",
                        "activation": "prelu", "input_range": "0,1", "output": "identity"}
                check(all(meta.get(k) == v for k, v in want.items()), "SRVGG x%d metadata %s" % (scale, want))

        # ---- refusals ----------------------------------------------------
        def refused(what, obj, words, raw=None):
            if raw is not None:
                with open(path("bad.pth"), "wb") as f:
                    f.write(raw)
            else:
                torch.save(obj, path("bad.pth"))
            if os.path.exists(path("bad.safetensors")):
                os.remove(path("bad.safetensors"))
            rc, out = run(path("bad.pth"), path("bad.safetensors"))
            check(rc == 1 and all(w in out for w in words) and not os.path.exists(path("bad.safetensors")),
                  "%s refused, message names %s (rc %d: %s)" % (what, words, rc, out.strip()[-300:]))

        refused("an unknown key set", {"encoder.weight": torch.zeros(3)}, ["unknown key set", "encoder.weight"])
        refused("an x2 RRDBNet", rrdbnet_state(torch, gen, 1, 16, 8, first_in=12), ["scale 2", "pixel-unshuffle"])
        missing = dict(state)
        del missing["body.1.rdb2.conv3.bias"]
        refused("a missing tensor", missing, ["missing", "body.1.rdb2.conv3.bias"])
        wrong = dict(state)
        wrong["conv_hr.weight"] = torch.zeros(16, 16, 5, 5)
        refused("a wrong shape", wrong, ["conv_hr.weight", "(16, 16, 5, 5)"])
        relu = {k: v for k, v in srvgg_state(torch, gen, 2, 16, 4).items() if v.dim() != 1 or k.endswith("bias")}
        refused("an SRVGG without PReLU", relu, ["PReLU"])
        refused("a text file", None, ["cannot be read"], raw=b"not a checkpoint\n")
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
