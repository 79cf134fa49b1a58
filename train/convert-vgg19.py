#!/usr/bin/python3
"""convert-vgg19.py — torchvision's VGG19 weights → the safetensors file
srgan-train reads for its VGG content loss (--vgg FILE).

    /usr/bin/python3 train/convert-vgg19.py vgg19-dcbb9e9d.pth vgg19.safetensors

The input is torchvision's ImageNet VGG19 state dict (the file
torchvision.models.vgg19(weights="IMAGENET1K_V1") downloads, from
https://download.pytorch.org/models/vgg19-dcbb9e9d.pth), or any state dict
with the same `features.N.weight/bias` layout.  Only the 16 convolutions of
`features` are kept, renamed conv<block>_<index> (conv1_1 … conv5_4) in
VGG19's order; the classifier is dropped.  Tensors stay in PyTorch's layout
(out, in, 3, 3), float32, little-endian.  Needs only python3-torch (Debian);
this is a developer tool, never run by srgan-train.  No VGG weights are
shipped with srgan: ImageNet-trained weights carry their own terms.
"""
import json
import struct
import sys

import torch

BLOCKS = [2, 2, 4, 4, 4]          # VGG19 (configuration E): convs per block
WIDTHS = [64, 128, 256, 512, 512]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    state = torch.load(src, map_location="cpu")
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]

    convs = sorted({int(k.split(".")[1]) for k in state
                    if k.startswith("features.") and k.endswith(".weight")
                    and state[k].dim() == 4})
    if len(convs) != sum(BLOCKS):
        sys.exit(f"{src}: {len(convs)} convolutions in features.*, VGG19 has {sum(BLOCKS)}")

    tensors = {}
    index, cin = 0, 3
    for block, count in enumerate(BLOCKS):
        for i in range(count):
            n = convs[index]
            w = state[f"features.{n}.weight"].float().contiguous()
            b = state[f"features.{n}.bias"].float().contiguous()
            if w.shape[1:] != (cin, 3, 3) or b.shape != (w.shape[0],):
                sys.exit(f"{src}: features.{n} has shape {tuple(w.shape)}, expected (out, {cin}, 3, 3)")
            if w.shape[0] != WIDTHS[block]:
                print(f"note: conv{block + 1}_{i + 1} has {w.shape[0]} channels "
                      f"(VGG19 has {WIDTHS[block]})", file=sys.stderr)
            name = f"conv{block + 1}_{i + 1}"
            tensors[f"{name}.weight"] = w
            tensors[f"{name}.bias"] = b
            cin = w.shape[0]
            index += 1

    header = {"__metadata__": {"format": "vgg19-features",
                               "source": f"converted from {src.split('/')[-1]} by convert-vgg19.py"}}
    offset, blobs = 0, []
    for name, t in tensors.items():
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    import os
    os.replace(tmp, dst)
    print(f"wrote {dst}: {len(tensors) // 2} convolutions, {offset / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
