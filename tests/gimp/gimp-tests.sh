#!/bin/sh
# The GIMP plug-in tests, against a real headless GIMP (2.10 or 3.0).
#
#   gimp-tests.sh API PLUGIN PO_BUILD_DIR CORE_UPSCALE
#
# API is 2 or 3; PLUGIN the built plug-in binary; PO_BUILD_DIR the build
# folder of po/ (holding <lang>/LC_MESSAGES/srgan.mo); CORE_UPSCALE the
# reference program (core-upscale.c).  SRGAN_MODEL must name the 4x weights.
# Each GIMP gets a throw-away profile (GIMP2_DIRECTORY / GIMP3_DIRECTORY)
# with the plug-in installed as plug-ins/srgan/srgan and its catalogs in
# plug-ins/srgan/locale, the layout of a user's own plug-ins folder.
#
# Checks: fixtures (RGB, RGBA, grey, grey+alpha, 8 and 16 bit) upscaled by
# plug-in-srgan non-interactively and exported equal the core's output within
# 1/255; a model chosen by name (and by the old alias "x2") equals the core
# running that model, an unknown name is refused; the halo argument (GIMP 3)
# reaches the core; composition (canvas and another layer scaled 4x, offsets kept);
# indexed images, a missing model and a file that is not one are refused
# with a message naming the cause and the image unchanged;
# undo of the plug-in's step restores the original (GIMP 3 only, where the
# PDB can undo); the menu label is translated under LANGUAGE=de.
# Exit 77 when that GIMP is not installed.
set -u
api=$1 plugin=$2 po_build=$3 core_upscale=$4
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/fixtures

if [ "$api" = 3 ]; then
    console=gimp-console-3.0
    batch="--batch-interpreter=plug-in-script-fu-eval"
else
    console=gimp-console-2.10
    batch=""
fi
command -v "$console" >/dev/null 2>&1 || { echo "SKIP: $console not installed"; exit 77; }
[ -n "${SRGAN_MODEL:-}" ] && [ -f "$SRGAN_MODEL" ] || { echo "FAIL: SRGAN_MODEL does not name a file"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-gimp-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Models by name: a model folder of our own, searched first, with srgan-x2
# under a new name and under its own (for the alias "x2"); GIMP passes its
# environment to the plug-in.
weights=$(dirname "$SRGAN_MODEL")
mkdir -p "$tmp/models"
cp "$weights/srgan-x2.safetensors" "$tmp/models/test-renamed-x2.safetensors"
cp "$weights/srgan-x2.safetensors" "$tmp/models/srgan-x2.safetensors"
export SRGAN_MODEL_DIR="$tmp/models"

# A fresh GIMP profile with the plug-in and its catalogs installed.
make_profile() {
    profile=$1
    mkdir -p "$profile/plug-ins/srgan" "$profile/gradients" "$profile/brushes" \
             "$profile/patterns" "$profile/palettes"
    cp "$plugin" "$profile/plug-ins/srgan/srgan"
    for mo in "$po_build"/*/LC_MESSAGES/srgan.mo; do
        [ -f "$mo" ] || continue
        lang=$(basename "$(dirname "$(dirname "$mo")")")
        mkdir -p "$profile/plug-ins/srgan/locale/$lang/LC_MESSAGES"
        cp "$mo" "$profile/plug-ins/srgan/locale/$lang/LC_MESSAGES/"
    done
}

run_gimp() {   # profile, log, script-fu expression
    if [ "$api" = 3 ]; then
        GIMP3_DIRECTORY=$1 timeout 600 "$console" -i -d -f --quit $batch -b "$3" -b '(gimp-quit 0)' >"$2" 2>&1
    else
        GIMP2_DIRECTORY=$1 timeout 600 "$console" -i -d -f -b "$3" -b '(gimp-quit 0)' >"$2" 2>&1
    fi
}

# 1. One GIMP run: every upscale and check of tests-gimpN.scm.
mkdir -p "$tmp/out"
make_profile "$tmp/profile"
run_gimp "$tmp/profile" "$tmp/run.log" \
    "(begin (load \"$here/tests-gimp$api.scm\") (srgan-tests \"$fixtures\" \"$tmp/out\"))"
grep -E 'SRGAN-TEST' "$tmp/run.log"
grep -q 'SRGAN-TEST END' "$tmp/run.log" || { fail "the Script-Fu tests did not finish"; cat "$tmp/run.log"; }
n_fail=$(grep -c 'SRGAN-TEST FAIL' "$tmp/run.log")
[ "$n_fail" -eq 0 ] || fail "$n_fail Script-Fu checks failed"
n_ok=$(grep -c 'SRGAN-TEST ok' "$tmp/run.log")
[ "$n_ok" -ge 8 ] || fail "only $n_ok Script-Fu checks passed"

# 2. GIMP's exports against the core's own output.
for name in rgb8 rgba8 grey8 greya8 rgb16 rgba16; do
    if [ ! -f "$tmp/out/$name.png" ]; then
        fail "GIMP exported no $name.png"
        continue
    fi
    "$core_upscale" "$fixtures/$name.png" "$tmp/out/$name.png" || fail "$name differs from the core"
done
if [ "$api" = 3 ]; then   # 32-bit float precision (GIMP 3 test only)
    if [ -f "$tmp/out/rgba8-float.png" ]; then
        "$core_upscale" --any-depth "$fixtures/rgba8.png" "$tmp/out/rgba8-float.png" ||
            fail "the float image differs from the core"
    else
        fail "GIMP exported no rgba8-float.png"
    fi
fi

# 2b. Models by name and alias: the core running srgan-x2 on the same file.
for name in rgb8-by-name rgb8-alias-x2; do
    if [ -f "$tmp/out/$name.png" ]; then
        SRGAN_MODEL=$weights/srgan-x2.safetensors "$core_upscale" "$fixtures/rgb8.png" "$tmp/out/$name.png" ||
            fail "$name differs from the core's srgan-x2"
    else
        fail "GIMP exported no $name.png"
    fi
done
# 2c. The halo (GIMP 3's argument): equal to the core with the same tiles
#     and halo, and not to the automatic halo's result (its seams show).
if [ "$api" = 3 ]; then
    if [ -f "$tmp/out/rgb8-halo2.png" ]; then
        SRGAN_COMPARE_TILE=16 SRGAN_COMPARE_HALO=2 "$core_upscale" "$fixtures/rgb8.png" "$tmp/out/rgb8-halo2.png" ||
            fail "the halo-2 result differs from the core's with tile 16, halo 2"
        if "$core_upscale" "$fixtures/rgb8.png" "$tmp/out/rgb8-halo2.png" >/dev/null 2>&1; then
            fail "halo 2 gave the automatic halo's result: the argument did not reach the core"
        fi
    else
        fail "GIMP exported no rgb8-halo2.png"
    fi
fi

# 3. The documented batch job: every PNG/JPEG of a folder, through the
#    installed Script-Fu file (gimp-plugin/srgan-batch-gimpN.scm).
mkdir -p "$tmp/batch-in" "$tmp/batch-out"
cp "$fixtures/rgb8.png" "$fixtures/grey8.png" "$tmp/batch-in/"
cp "$fixtures/photo.jpg" "$tmp/batch-in/photo.jpg"
run_gimp "$tmp/profile" "$tmp/batch.log" \
    "(begin (load \"$here/../../gimp-plugin/srgan-batch-gimp$api.scm\") (srgan-batch-upscale \"$tmp/batch-in\" \"$tmp/batch-out\" 0))"
for name in rgb8 grey8; do
    if [ -f "$tmp/batch-out/$name.png" ]; then
        "$core_upscale" "$fixtures/$name.png" "$tmp/batch-out/$name.png" || fail "batch $name.png differs from the core"
    else
        fail "the batch job wrote no $name.png"; cat "$tmp/batch.log"
    fi
done
# The JPEG: written, as a JPEG, 4x the size (its pixels went through the
# same path as the PNGs above).
if [ -f "$tmp/batch-out/photo.jpg" ]; then
    head -c 3 "$tmp/batch-out/photo.jpg" | od -An -tx1 | grep -q 'ff d8 ff' || fail "batch photo.jpg is not a JPEG"
    if command -v identify >/dev/null 2>&1; then
        size=$(identify -format '%wx%h' "$tmp/batch-out/photo.jpg")
        [ "$size" = 64x48 ] || fail "batch photo.jpg is $size, not 64x48"
    fi
else
    fail "the batch job wrote no photo.jpg"; cat "$tmp/batch.log"
fi

# 4. The menu label in German.  GIMP records each procedure's menu label
#    in its pluginrc when it queries the plug-in: GIMP 3 plug-ins translate
#    it themselves (set_i18n), so the record is already German; GIMP 2.10
#    records the msgid with the gettext domain and folder the plug-in
#    registered (gimp_plugin_domain_register) and translates it with
#    dgettext when it builds its menus, so the test does that lookup.
#    (Neither GIMP's Script-Fu offers the menu label: 2.10's
#    gimp-plugins-query returns the msgid, 3.0 hides gimp-pdb-get-proc-menu-label.)
#    The expected text is whatever the German catalog says, which must
#    differ from the English.
de_lang=C.UTF-8
locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$' && de_lang=de_DE.UTF-8
english="SRGAN 4x…"
german=$(LANG=$de_lang LC_ALL= LANGUAGE=de TEXTDOMAINDIR="$po_build" gettext -d srgan "_SRGAN 4x…" | tr -d _)
[ "$german" != "$english" ] || fail "the German catalog does not translate the menu label (LANG=$de_lang)"
make_profile "$tmp/profile-de"
LANG=$de_lang LC_ALL= LANGUAGE=de run_gimp "$tmp/profile-de" "$tmp/label.log" '(gimp-message "SRGAN-LABEL-RUN")'
block=$(sed -n '/(proc-def "plug-in-srgan"/,/menu-path/p' "$tmp/profile-de/pluginrc" 2>/dev/null)
recorded=$(printf '%s\n' "$block" | sed -n '7s/^ *"\(.*\)"$/\1/p')
if [ "$api" = 3 ]; then
    label=$(printf '%s' "$recorded" | tr -d _)
else
    domain=$(sed -n '/plug-ins\/srgan\/srgan"/,/locale-def/s/.*(locale-def "\([^"]*\)".*/\1/p' "$tmp/profile-de/pluginrc")
    dir=$(sed -n '/plug-ins\/srgan\/srgan"/,/locale-def/s/.*(locale-def "[^"]*" "\([^"]*\)").*/\1/p' "$tmp/profile-de/pluginrc" |
          sed "s|\${gimp_dir}|$tmp/profile-de|")
    echo "GIMP recorded gettext domain '$domain', catalogs '$dir'"
    [ "$domain" = srgan ] || fail "GIMP recorded gettext domain '$domain', not srgan"
    label=$(LANG=$de_lang LC_ALL= LANGUAGE=de TEXTDOMAINDIR="$dir" gettext -d "$domain" "$recorded" | tr -d _)
fi
echo "GIMP recorded menu label '$recorded'; shown in German as '$label' (catalog: '$german')"
[ "$label" = "$german" ] || { fail "menu label '$label' is not the German '$german'"; cat "$tmp/label.log"; }

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all GIMP $api checks passed"
