#!/bin/sh
# Undo restores the original: GIMP's PDB has no "undo" procedure, so this
# runs the real GIMP user interface under Xvfb, upscales an image with
# plug-in-srgan, presses Ctrl+Z once in the image window (x-send-key), and
# checks that the image is back to its original size and pixels — which
# also shows the whole upscale is a single undo step.
#
#   undo-test.sh API PLUGIN X_SEND_KEY CORE_UPSCALE
# SRGAN_MODEL must name the 4x weights.  Exit 77 when GIMP or Xvfb is absent.
set -u
api=$1 plugin=$2 x_send_key=$3 core_upscale=$4
here=$(cd "$(dirname "$0")" && pwd)
fixture=$here/fixtures/rgba8.png

if [ "$api" = 3 ]; then gimp=gimp-3.0; else gimp=gimp-2.10; fi
for tool in "$gimp" xvfb-run; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $tool not installed"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-undo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile/plug-ins/srgan"
cp "$plugin" "$tmp/profile/plug-ins/srgan/srgan"

# The Script-Fu side: upscale, export "ready" (the signal to press Ctrl+Z),
# wait (bounded) until the width changes back, export "after".
if [ "$api" = 3 ]; then
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$fixture\")))
                   (layer (vector-ref (car (gimp-image-get-layers img)) 0))
                   (w (car (gimp-image-get-width img))))
              (gimp-display-new img)
              (plug-in-srgan #:run-mode RUN-NONINTERACTIVE #:image img #:drawables (vector layer))
              (gimp-displays-flush)
              (gimp-file-save RUN-NONINTERACTIVE img \"$tmp/ready.png\" -1)
              (let loop ((n 100000))
                (if (and (> n 0) (not (= (car (gimp-image-get-width img)) w))) (loop (- n 1))))
              (gimp-file-save RUN-NONINTERACTIVE img \"$tmp/after.png\" -1))"
    export GIMP3_DIRECTORY=$tmp/profile
    set -- --batch-interpreter=plug-in-script-fu-eval
else
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$fixture\" \"$fixture\")))
                   (layer (car (gimp-image-get-active-layer img)))
                   (w (car (gimp-image-width img))))
              (gimp-display-new img)
              (plug-in-srgan RUN-NONINTERACTIVE img layer \"x4\" 0 0)
              (gimp-displays-flush)
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \"$tmp/ready.png\" \"ready.png\")
              (let loop ((n 100000))
                (if (and (> n 0) (not (= (car (gimp-image-width img)) w))) (loop (- n 1))))
              (gimp-file-save RUN-NONINTERACTIVE img (car (gimp-image-get-active-drawable img)) \"$tmp/after.png\" \"after.png\"))"
    export GIMP2_DIRECTORY=$tmp/profile
    set --
fi

cat >"$tmp/inside.sh" <<INSIDE
$gimp --no-splash --no-data --no-fonts $* -b '$script' >"$tmp/gimp.log" 2>&1 &
gimp_pid=\$!
i=0
while [ ! -s "$tmp/ready.png" ] && [ \$i -lt 300 ]; do sleep 1; i=\$((i + 1)); done
sleep 3   # let the display show the new size
"$x_send_key" 92x68 z ctrl   # the image window, titled with its new size
i=0
while [ ! -s "$tmp/after.png" ] && [ \$i -lt 200 ]; do sleep 1; i=\$((i + 1)); done
sleep 1
kill \$gimp_pid 2>/dev/null
wait \$gimp_pid 2>/dev/null
INSIDE
xvfb-run -a -s "-screen 0 1280x800x24" sh "$tmp/inside.sh"

status=0
if [ ! -s "$tmp/ready.png" ]; then
    echo "FAIL: GIMP did not upscale the image"; cat "$tmp/gimp.log"; exit 1
fi
"$core_upscale" "$fixture" "$tmp/ready.png" || { echo "FAIL: the upscaled image differs from the core"; status=1; }
if [ ! -s "$tmp/after.png" ]; then
    echo "FAIL: GIMP exported nothing after Ctrl+Z"; cat "$tmp/gimp.log"; exit 1
fi
"$core_upscale" --same "$fixture" "$tmp/after.png" || { echo "FAIL: one undo did not restore the original"; status=1; }
[ $status -eq 0 ] && echo "undo restores the original (GIMP $api)"
exit $status
