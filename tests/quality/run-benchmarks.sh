#!/bin/sh
# run-benchmarks.sh — reproduces the tables and pictures of docs/quality.md.
#
#   tests/quality/run-benchmarks.sh BUILD_DIR OUT_DIR [SCALES]
#
# For each shipped model (weights/srgan-x{2,4,8}.safetensors, or the SCALES
# given, e.g. "4") runs srgan-eval on Set5, Set14, BSD68 and Kodak24 from
# $SRGAN_SHARED/data/benchmark (default ../shared; never committed) and on
# the committed photos in tests/data/photos; keeps each run's full table in
# OUT_DIR/<set>-x<scale>.txt and its means in OUT_DIR/<set>-x<scale>.ini,
# then prints the summary table in Markdown.  Run from the source root.
# CPU-heavy (the 4x model costs about 2.2 million multiply-adds per LR
# pixel); docs/quality.md says how long it took here.
set -eu
build=${1:?usage: run-benchmarks.sh BUILD_DIR OUT_DIR [SCALES]}
out=${2:?usage: run-benchmarks.sh BUILD_DIR OUT_DIR [SCALES]}
scales=${3:-2 4 8}
shared=${SRGAN_SHARED:-../shared}
eval_tool=$build/tests/quality/srgan-eval
sets="set5 set14 bsd68 kodak24 photos"
mkdir -p "$out"
export MAGICK_THREAD_LIMIT=1

folder_of() {
    if [ "$1" = photos ]; then echo tests/data/photos; else echo "$shared/data/benchmark/$1"; fi
}

for scale in $scales; do
    for set in $sets; do
        echo "== x$scale $set" >&2
        "$eval_tool" --model "weights/srgan-x$scale.safetensors" \
            --summary "$out/$set-x$scale.ini" "$(folder_of "$set")" >"$out/$set-x$scale.txt"
        tail -n 1 "$out/$set-x$scale.txt" >&2
    done
done

# One Markdown row per scale and set, from the summary files.
value() { sed -n "s/^$2=//p" "$1"; }
echo "| scale | set | images | bicubic PSNR / SSIM | srgan PSNR / SSIM | gain (dB) |"
echo "|---|---|--:|--:|--:|--:|"
for scale in $scales; do
    for set in $sets; do
        f=$out/$set-x$scale.ini
        echo "| ${scale}× | $set | $(value "$f" images) |" \
             "$(value "$f" bicubic-psnr) / $(value "$f" bicubic-ssim) |" \
             "$(value "$f" srgan-psnr) / $(value "$f" srgan-ssim) |" \
             "$(value "$f" psnr-gain) |"
    done
done
