#!/bin/sh
# Developer tool (not a test): wall time and peak RSS of `-process srgan`
# next to `-resize 400%`, on a 256×256 and a 1024×768 photo made from
# ../shared/data/eval-clean.  Prints a Markdown table.
#   tests/magick/measure.sh CLI MODULE_DIR [TIME]
# CLI: magick or convert; MODULE_DIR: the build's magick-module folder;
# TIME: GNU time (default /usr/bin/time).  Model: $SRGAN_MODEL.
set -eu
cli=$1 module_dir=$2 time_bin=${3:-/usr/bin/time}
shared=${SRGAN_SHARED:-$(cd "$(dirname "$0")/../../../shared" && pwd)}
export MAGICK_CODER_FILTER_PATH="$module_dir" MAGICK_FILTER_MODULE_PATH="$module_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/srgan-measure.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$cli" "$shared/data/eval-clean/astronaut.png" -gravity center -crop 256x256+0+0 +repage "$work/256x256.png"
"$cli" "$shared/data/eval-clean/budgie_perched_osprey.png" -resize 1152x768 -gravity center \
    -crop 1024x768+0+0 +repage "$work/1024x768.png"

run() {  # label input operation...
    label=$1 in=$2; shift 2
    "$time_bin" -v -o "$work/time.txt" "$cli" "$in" "$@" "$work/out.png"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    size=$("$cli" "$work/out.png" -format '%wx%h' info:)
    printf '| %s | %s | %s | %s | %s MiB |\n' "$(basename "$in" .png)" "$label" "$size" "$wall" "$((rss / 1024))"
}
echo "| input | operation | output | wall (m:ss) | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
for in in "$work/256x256.png" "$work/1024x768.png"; do
    run "-resize 400%" "$in" -resize 400%
    run "-process srgan" "$in" -process srgan
done
