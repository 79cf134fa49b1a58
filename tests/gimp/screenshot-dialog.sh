#!/bin/sh
# Opens the SRGAN dialog in a real GIMP under Xvfb and saves a screenshot.
#
#   tests/gimp/screenshot-dialog.sh [OUT.png [MODEL_DIR]]
#       GIMP 3.0 in the Debian 13 root, plug-in from build-gimp3 (made by
#       tests/gimp/run-gimp3.sh); default OUT docs/gimp-dialog.png; the
#       model list shows the models of MODEL_DIR, a folder inside the
#       repository (default weights: the shipped models)
#   tests/gimp/screenshot-dialog.sh --here API PLUGIN PO_BUILD OUT.png [X_SEND_KEY]
#       this machine's GIMP (API 2 or 3), with the given plug-in binary;
#       models from $SRGAN_MODEL_DIR when set, else $SRGAN_MODEL
#
# A second screenshot, OUT-models.png, shows the model list opened: with
# the x-send-key helper (tests/gimp/x-send-key.c, built with the tests),
# Alt+M focuses the list and space opens it.
# The image is chelsea.png (CC0, Stefan van der Walt, from scikit-image) from
# $SRGAN_SHARED/data/eval-clean; it is shown, not committed.  The script waits
# for the dialog's preview to be computed, grabs the screen with ImageMagick's
# `import -window root`, then closes GIMP.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != "--here" ]; then
    out=${1:-docs/gimp-dialog.png}
    models=${2:-weights}
    mkdir -p "$repo/$(dirname "$out")"
    [ -x "$repo/build-gimp3/gimp-plugin/srgan" ] || { echo "build-gimp3 is missing: run tests/gimp/run-gimp3.sh first" >&2; exit 1; }
    [ -d "$repo/$models" ] || { echo "no folder $models in the repository" >&2; exit 1; }
    exec "$repo/tests/in-debian13.sh" "cd /src && LD_LIBRARY_PATH=/src/build-gimp3/core SRGAN_MODEL_DIR=/src/$models \
        sh tests/gimp/screenshot-dialog.sh --here 3 build-gimp3/gimp-plugin/srgan build-gimp3/po /src/$out \
        /src/build-gimp3/tests/gimp/x-send-key"
fi

api=$2 plugin=$3 po_build=$4 out=$5 send_key=${6:-}
models_out=${out%.png}-models.png
shared=${SRGAN_SHARED:-$repo/../shared}
photo=$shared/data/eval-clean/chelsea.png
[ -f "$photo" ] || { echo "no $photo (set SRGAN_SHARED)" >&2; exit 1; }
if [ -z "${SRGAN_MODEL_DIR:-}" ]; then
    : "${SRGAN_MODEL:=$repo/weights/srgan-x4.safetensors}"
    export SRGAN_MODEL
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-shot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
profile=$tmp/profile
mkdir -p "$profile/plug-ins/srgan"
cp "$plugin" "$profile/plug-ins/srgan/srgan"
for mo in "$po_build"/*/LC_MESSAGES/srgan.mo; do
    [ -f "$mo" ] || continue
    lang=$(basename "$(dirname "$(dirname "$mo")")")
    mkdir -p "$profile/plug-ins/srgan/locale/$lang/LC_MESSAGES"
    cp "$mo" "$profile/plug-ins/srgan/locale/$lang/LC_MESSAGES/"
done

if [ "$api" = 3 ]; then
    gimp=gimp-3.0
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$photo\")))
                   (layer (vector-ref (car (gimp-image-get-layers img)) 0)))
              (gimp-display-new img)
              (plug-in-srgan #:run-mode RUN-INTERACTIVE #:image img #:drawables (vector layer)))"
    set -- --batch-interpreter=plug-in-script-fu-eval
    export GIMP3_DIRECTORY=$profile
else
    gimp=gimp-2.10
    script="(let* ((img (car (gimp-file-load RUN-NONINTERACTIVE \"$photo\" \"$photo\")))
                   (layer (car (gimp-image-get-active-layer img))))
              (gimp-display-new img)
              (plug-in-srgan RUN-INTERACTIVE img layer \"x4\" 0 0))"
    set --
    export GIMP2_DIRECTORY=$profile
fi

# Inside Xvfb: start GIMP, wait for the dialog and its preview, grab, quit.
cat >"$tmp/inside.sh" <<INSIDE
#!/bin/sh
$gimp --no-splash --no-data --no-fonts $* -b '$script' >"$tmp/gimp.log" 2>&1 &
gimp_pid=\$!
i=0
if command -v xwininfo >/dev/null; then
    while [ \$i -lt 240 ]; do
        if xwininfo -root -tree 2>/dev/null | grep -q 'SRGAN'; then break; fi
        sleep 1; i=\$((i + 1))
    done
else
    sleep 60   # no xwininfo: give GIMP time to start and open the dialog
fi
sleep 20   # the preview's region is computed on a worker thread
import -window root "$out"
convert "$out" -trim +repage "$out" 2>/dev/null || true   # drop the empty black screen around it
if [ -x "$send_key" ]; then
    "$send_key" SRGAN m alt && sleep 1 && "$send_key" SRGAN space none && sleep 3 &&
        import -window root "$models_out" &&
        { convert "$models_out" -trim +repage "$models_out" 2>/dev/null || true; }
fi
kill \$gimp_pid 2>/dev/null || true
wait \$gimp_pid 2>/dev/null || true
INSIDE
xvfb-run -a -s "-screen 0 1400x900x24" sh "$tmp/inside.sh"
if [ ! -s "$out" ]; then
    echo "no screenshot was written" >&2
    cat "$tmp/gimp.log" >&2
    exit 1
fi
echo "screenshot: $out"
[ ! -s "$models_out" ] || echo "screenshot: $models_out"
