#!/bin/sh
# Cancel leaves the image as it was.  When the user cancels a running
# plug-in, GIMP kills it; this test does the same to plug-in-srgan half-way
# through an upscale (SIGKILL, found by its path in the test's own GIMP
# profile) and checks that the image GIMP still holds is unchanged: same
# size, same pixels.  "Half-way" is observed, not guessed: the plug-in's
# test hook SRGAN_TEST_PROGRESS_FILE (gimp-plugin/srgan-common.h) writes
# each progress update to a file, and the kill comes once that shows
# progress above 0 and below 1.
#
#   cancel-test.sh API PLUGIN CORE_UPSCALE
# SRGAN_MODEL must name the 4x weights.  Exit 77 when GIMP is absent.
set -u
api=$1 plugin=$2 core_upscale=$3
here=$(cd "$(dirname "$0")" && pwd)
fixture=$here/fixtures/rgb8.png

if [ "$api" = 3 ]; then console=gimp-console-3.0; else console=gimp-console-2.10; fi
command -v "$console" >/dev/null 2>&1 || { echo "SKIP: $console not installed"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-cancel.XXXXXX")
gimp_pid=
trap '[ -n "$gimp_pid" ] && kill "$gimp_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile/plug-ins/srgan"
cp "$plugin" "$tmp/profile/plug-ins/srgan/srgan"

# A 460x340 image (the fixture enlarged) in 64-pixel tiles (48 of them)
# keeps one thread busy for seconds, with a progress update per tile.
if [ "$api" = 3 ]; then
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$fixture\")))
                   (layer (vector-ref (car (gimp-image-get-layers img)) 0)))
              (gimp-image-scale img 460 340)
              (gimp-file-save RUN-NONINTERACTIVE img \"$tmp/before.png\" -1)
              (catch #f (plug-in-srgan #:run-mode RUN-NONINTERACTIVE #:image img
                                       #:drawables (vector layer) #:tile-size 64 #:threads 1))
              (gimp-file-save RUN-NONINTERACTIVE img \"$tmp/after.png\" -1))"
    export GIMP3_DIRECTORY=$tmp/profile
    set -- --quit --batch-interpreter=plug-in-script-fu-eval
else
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$fixture\" \"$fixture\")))
                   (layer (car (gimp-image-get-active-layer img))))
              (gimp-image-scale img 460 340)
              (gimp-file-save RUN-NONINTERACTIVE img layer \"$tmp/before.png\" \"before.png\")
              (catch #f (plug-in-srgan RUN-NONINTERACTIVE img layer \"x4\" 64 1))
              (gimp-file-save RUN-NONINTERACTIVE img layer \"$tmp/after.png\" \"after.png\"))"
    export GIMP2_DIRECTORY=$tmp/profile
    set --
fi

SRGAN_TEST_PROGRESS_FILE=$tmp/progress \
    timeout 600 "$console" -i -d -f "$@" -b "$script" -b '(gimp-quit 0)' >"$tmp/gimp.log" 2>&1 &
gimp_pid=$!

# The running plug-in: the process whose command line names our profile's copy.
find_plugin() {
    for p in /proc/[0-9]*; do
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^$tmp/profile/plug-ins/srgan/srgan " &&
            { echo "${p#/proc/}"; return 0; }
    done
    return 1
}
i=0
while [ ! -s "$tmp/before.png" ] && [ $i -lt 300 ]; do sleep 1; i=$((i + 1)); done
plugin_pid=
i=0
while [ -z "$plugin_pid" ] && [ $i -lt 600 ]; do
    plugin_pid=$(find_plugin) || plugin_pid=
    [ -n "$plugin_pid" ] || { sleep 0.1; i=$((i + 1)); }
done
status=0
if [ -z "$plugin_pid" ]; then
    echo "FAIL: plug-in-srgan never ran"; status=1
else
    # Wait (bounded: 60 s) until the first tiles are done.
    progress=0
    i=0
    while awk -v p="$progress" 'BEGIN { exit !(p <= 0) }' && [ $i -lt 600 ]; do
        sleep 0.1; i=$((i + 1))
        progress=$(cat "$tmp/progress" 2>/dev/null) || progress=0
    done
    if awk -v p="$progress" 'BEGIN { exit !(p > 0 && p < 1) }' &&
       kill -KILL "$plugin_pid" 2>/dev/null; then
        echo "killed plug-in-srgan (pid $plugin_pid) during the upscale, at progress $progress"
    else
        echo "FAIL: plug-in-srgan finished before it could be cancelled"; status=1
    fi
fi
wait "$gimp_pid"
gimp_pid=
if [ ! -s "$tmp/after.png" ]; then
    echo "FAIL: GIMP exported nothing after the cancel"; cat "$tmp/gimp.log"; exit 1
fi
"$core_upscale" --same "$tmp/before.png" "$tmp/after.png" ||
    { echo "FAIL: the cancelled upscale changed the image"; status=1; }
[ $status -eq 0 ] && echo "a cancelled upscale leaves the image as it was (GIMP $api)"
exit $status
