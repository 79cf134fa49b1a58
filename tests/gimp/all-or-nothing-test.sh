#!/bin/sh
# All or nothing: every way plug-in-srgan can fail leaves the image exactly
# as it was.  Against a real headless GIMP (2.10 or 3.0), the Script-Fu side
# (all-or-nothing-gimpN.scm) provokes each failure and checks that the call
# failed and that the canvas and every layer kept size and offsets; this
# script then compares every layer's pixels before and after.
#
#   all-or-nothing-test.sh API PLUGIN CORE_UPSCALE
#
# The failures:
#   indexed           an indexed image (refused by the mode check)
#   canvas-too-large  a 131073x1 canvas: 4x would pass GIMP's 524288 limit
#   layer-too-large   a 23x17 canvas holding a 131073x1 layer (not chosen:
#                     GIMP would still have to scale it)
#   memory            a tile size whose buffers exceed the plug-in's memory
#                     budget: half of the tile cache, 64 MiB in this test's
#                     gimprc (on GIMP 3 the second of two chosen layers)
#   halfway           a failure in the middle of the upscale, after pixels
#                     were computed: the test hook SRGAN_TEST_FAIL_AFTER_TILES
#                     (gimp-plugin/srgan-common.h) fails a source read; on
#                     GIMP 3 two layers are chosen and the second fails after
#                     the first was done.  SRGAN_TEST_PROGRESS_FILE shows the
#                     upscale was under way (progress > 0) when it failed.
# SRGAN_MODEL must name the 4x weights.  Exit 77 when that GIMP is absent.
set -u
api=$1 plugin=$2 core_upscale=$3
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/fixtures

if [ "$api" = 3 ]; then
    console=gimp-console-3.0
    halfway_after=6   # two layers of 4 tiles: the second layer's third tile
    halfway_layers=2
else
    console=gimp-console-2.10
    halfway_after=2   # one layer of 4 tiles: its third tile
    halfway_layers=1
fi
command -v "$console" >/dev/null 2>&1 || { echo "SKIP: $console not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-all-or-nothing.XXXXXX")
trap '[ -n "${SRGAN_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile/plug-ins/srgan" "$tmp/profile/gradients" "$tmp/profile/brushes" \
         "$tmp/profile/patterns" "$tmp/profile/palettes" "$tmp/out"
cp "$plugin" "$tmp/profile/plug-ins/srgan/srgan"
# A small tile cache gives the plug-in a 32 MiB budget (half of it).
printf '(tile-cache-size 64M)\n' >"$tmp/profile/gimprc"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

run_gimp() {   # log, Script-Fu expression
    if [ "$api" = 3 ]; then
        GIMP3_DIRECTORY=$tmp/profile timeout 600 "$console" -i -d -f --quit \
            --batch-interpreter=plug-in-script-fu-eval -b "$2" -b '(gimp-quit 0)' >"$1" 2>&1
    else
        GIMP2_DIRECTORY=$tmp/profile timeout 600 "$console" -i -d -f -b "$2" -b '(gimp-quit 0)' >"$1" 2>&1
    fi
}
script_checks() {  # log: the Script-Fu side finished and every check passed
    grep 'SRGAN-TEST' "$1"
    grep -q 'SRGAN-TEST END' "$1" || { fail "the Script-Fu side did not finish ($1)"; cat "$1"; }
    n=$(grep -c 'SRGAN-TEST FAIL' "$1")
    [ "$n" -eq 0 ] || fail "$n Script-Fu checks failed"
}
failed_because() {  # log, case, text: the plug-in's error message says why
    if grep -qF -- "$3" "$1"; then
        echo "ok $2: the error says '$3'"
    else
        fail "$2: no error message with '$3' in $(basename "$1")"
    fi
}

load="(load \"$here/all-or-nothing-gimp$api.scm\")"
SRGAN_TEST_PROGRESS_FILE=$tmp/checks-progress \
    run_gimp "$tmp/checks.log" "(begin $load (aon-checks \"$fixtures\" \"$tmp/out\"))"
script_checks "$tmp/checks.log"
# Every check comes before the first pixel is computed: no progress at all.
if [ -e "$tmp/checks-progress" ]; then
    fail "an upscale started before a check refused it (progress $(cat "$tmp/checks-progress"))"
else
    echo "ok: every refusal came before any pixel was computed"
fi
failed_because "$tmp/checks.log" indexed "indexed image"
failed_because "$tmp/checks.log" canvas-too-large "larger than GIMP's limit of 524288 pixels per side."
failed_because "$tmp/checks.log" layer-too-large "The layer “wide” (131073×1) would be larger"
failed_because "$tmp/checks.log" memory "more than the memory limit of 32.0 MiB; tile size"
failed_because "$tmp/checks.log" memory "half of GIMP's tile cache"

SRGAN_TEST_FAIL_AFTER_TILES=$halfway_after SRGAN_TEST_PROGRESS_FILE=$tmp/progress \
    run_gimp "$tmp/halfway.log" "(begin $load (aon-halfway \"$fixtures\" \"$tmp/out\"))"
script_checks "$tmp/halfway.log"
failed_because "$tmp/halfway.log" halfway "test hook SRGAN_TEST_FAIL_AFTER_TILES=$halfway_after"
progress=$(cat "$tmp/progress" 2>/dev/null)
echo "halfway: progress when the read failed: ${progress:-none}"
awk -v p="${progress:-0}" 'BEGIN { exit !(p > 0 && p < 1) }' ||
    fail "the halfway failure did not happen during the upscale (progress '${progress:-none}')"

# Every layer's pixels, before and after each failure.
for pair in indexed:1 canvas-too-large:1 layer-too-large:2 memory:2 halfway:$halfway_layers; do
    name=${pair%:*} layers=${pair#*:}
    k=0
    while [ "$k" -lt "$layers" ]; do
        before=$tmp/out/$name-before-$k.png after=$tmp/out/$name-after-$k.png
        if [ ! -s "$before" ] || [ ! -s "$after" ]; then
            fail "$name: layer $k was not exported before and after"
        elif "$core_upscale" --same "$before" "$after" >"$tmp/same.log" 2>&1; then
            echo "ok $name: layer $k has the same pixels"
        else
            cat "$tmp/same.log"; fail "$name: layer $k changed"
        fi
        k=$((k + 1))
    done
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "every failure left the image as it was (GIMP $api)"
