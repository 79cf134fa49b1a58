#!/bin/sh
# run-benchmarks.sh — reproduces the tables and pictures of docs/quality.md.
#
#   tests/quality/run-benchmarks.sh BUILD_DIR OUT_DIR [MODEL…]
#   tests/quality/run-benchmarks.sh --real-photos BUILD_DIR OUT_DIR [PHOTO…]
#
# First form: for each MODEL runs srgan-eval on Set5, Set14, BSD68 and
# Kodak24 from $SRGAN_SHARED/data/benchmark (default ../shared; never
# committed) and on the committed photos in tests/data/photos ($SETS picks
# other sets, e.g. SETS="set5 set14"); keeps each run's full table in
# OUT_DIR/<set>-<tag>.txt and its means in OUT_DIR/<set>-<tag>.ini, then
# prints the summary table in Markdown.  A MODEL is
#   - a scale, 2, 4 or 8: the shipped SRGAN model weights/srgan-x<scale>
#     (tag x<scale>, as before; "2 4 8" in one argument works too);
#   - a name, e.g. realesrgan-x4plus: weights/<name>.safetensors (tag <name>);
#   - a path to a .safetensors file (tag: its name without .safetensors).
# Default: 2 4 8 (the three SRGAN models).
#
# Second form ("real photos"): the three 4x families (srgan-x4,
# realesrgan-x4plus, realesr-general-x4v3) on the committed photos (or the
# PHOTOs given) with LR = MATLAB bicubic x1/4 then JPEG quality $JPEG
# (default 60); writes OUT_DIR/photos-jpeg<Q>-x4.txt and .ini, side-by-side
# crops (bicubic | srgan-x4 | x4plus | general-x4v3 | original, $CROP
# pixels a panel, default 128) into OUT_DIR/sides, and, where ImageMagick's
# `convert` is installed, the same with a label over each panel into
# OUT_DIR/labelled.
#
# Run from the source root.  CPU-heavy: srgan-x4 costs about 2.2 million
# multiply-adds per LR pixel, realesr-general-x4v3 1.2 million and
# realesrgan-x4plus 17.9 million; docs/quality.md says how long it took here.
set -eu
usage="usage: run-benchmarks.sh [--real-photos] BUILD_DIR OUT_DIR [MODEL… | PHOTO…]"
mode=sets
if [ "${1:-}" = --real-photos ]; then
    mode=real
    shift
fi
build=${1:?$usage}
out=${2:?$usage}
shift 2
shared=${SRGAN_SHARED:-../shared}
eval_tool=$build/tests/quality/srgan-eval
threads=${THREADS:-0}
mkdir -p "$out"
export MAGICK_THREAD_LIMIT=1

if [ "$mode" = real ]; then
    q=${JPEG:-60}
    crop=${CROP:-128}
    [ $# -gt 0 ] || set -- tests/data/photos
    echo "== real photos: bicubic x1/4, JPEG quality $q, x4" >&2
    "$eval_tool" --threads "$threads" --degrade-jpeg "$q" \
        --model weights/srgan-x4.safetensors \
        --model weights/realesrgan-x4plus.safetensors \
        --model weights/realesr-general-x4v3.safetensors \
        --crop-size "$crop" --sides "$out/sides" \
        --summary "$out/photos-jpeg$q-x4.ini" "$@" >"$out/photos-jpeg$q-x4.txt"
    grep -v '^  wrote' "$out/photos-jpeg$q-x4.txt"
    command -v convert >/dev/null || exit 0
    # One label over each panel: panels are $crop pixels wide, 4 apart.
    mkdir -p "$out/labelled"
    for f in "$out"/sides/*-x4-jpeg"$q".png; do
        set --
        x=0
        for label in bicubic "SRGAN (srgan-x4)" "Real-ESRGAN x4plus" general-x4v3 original; do
            set -- "$@" -annotate "+$((x + 3))+2" "$label"
            x=$((x + crop + 4))
        done
        convert "$f" -background white -gravity NorthWest -splice 0x16 \
            -font DejaVu-Sans -pointsize 11 -fill black "$@" \
            -alpha off -define png:compression-level=9 "PNG24:$out/labelled/$(basename "$f")"
    done
    echo "labelled pictures in $out/labelled" >&2
    exit 0
fi

[ $# -gt 0 ] || set -- 2 4 8
sets=${SETS:-set5 set14 bsd68 kodak24 photos}

folder_of() {
    if [ "$1" = photos ]; then echo tests/data/photos; else echo "$shared/data/benchmark/$1"; fi
}

# "tag file" for each model argument (split "2 4 8" into words on purpose).
models=""
for arg in $*; do
    case $arg in
        2|4|8) models="$models x$arg:weights/srgan-x$arg.safetensors" ;;
        */*|*.safetensors) models="$models $(basename "$arg" .safetensors):$arg" ;;
        *) models="$models $arg:weights/$arg.safetensors" ;;
    esac
done

for m in $models; do
    tag=${m%%:*}
    file=${m#*:}
    for set in $sets; do
        echo "== $tag $set" >&2
        "$eval_tool" --threads "$threads" --model "$file" \
            --summary "$out/$set-$tag.ini" "$(folder_of "$set")" >"$out/$set-$tag.txt"
        tail -n 3 "$out/$set-$tag.txt" | head -n 1 >&2
    done
done

# One Markdown row per model and set, from the summary files.
value() { sed -n "s/^$2=//p" "$1" | head -n 1; }
echo "| model | set | images | bicubic PSNR / SSIM | model PSNR / SSIM | gain (dB) |"
echo "|---|---|--:|--:|--:|--:|"
for m in $models; do
    tag=${m%%:*}
    for set in $sets; do
        f=$out/$set-$tag.ini
        echo "| $(value "$f" model | sed 's/\.safetensors$//') | $set | $(value "$f" images) |" \
             "$(value "$f" bicubic-psnr) / $(value "$f" bicubic-ssim) |" \
             "$(value "$f" srgan-psnr) / $(value "$f" srgan-ssim) |" \
             "$(value "$f" psnr-gain) |"
    done
done
