#!/bin/sh
# One case of the ImageMagick module's command-line tests:
#   cli-test.sh CASE
# Runs the real `magick` (7) or `convert` (6) with `-process srgan` on crops
# of tests/data/sample.png (a photo) and checks the result: pixels against
# the core (compare-core), size, alpha, grey, depth, frames, metadata, and
# for bad input the exit status, the message and the absence of a result.
# meson sets the environment (tests/magick/meson.build).
set -u
case=${1:?usage: cli-test.sh CASE}
cli=${SRGAN_MAGICK_CLI:?} major=${SRGAN_MAGICK_MAJOR:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/srgan-magick.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

fail() { echo "FAIL ($case): $*" >&2; exit 1; }
im() { "$cli" "$@"; }
info() { im "$1" -format "$2" info: ; }   # format string per frame
# The test photo, cropped so that no side is a multiple of the core's tiles.
photo() { im "$SRGAN_SAMPLE" -crop 50x34+70+40 +repage "$@"; }

upscale_ok() {  # input output [options...]: run, must succeed
    in=$1 out=$2; shift 2
    im "$in" "$@" -process srgan "$out" 2>err.txt || { cat err.txt >&2; fail "exit status $? for $in"; }
    [ -s "$out" ] || fail "no $out"
}
matches_core() {  # [--any-depth] input result [model]
    depth_opt=
    [ "$1" = --any-depth ] && { depth_opt=$1; shift; }
    # shellcheck disable=SC2086  # depth_opt is empty or one word
    SRGAN_MODEL=${3:-$SRGAN_MODEL} "$SRGAN_COMPARE_CORE" $depth_opt "$1" "$2" ||
        fail "$2 differs from the core's output for $1"
}
# A failing run: exit status 1 (what ImageMagick's command-line tools return
# for a failed operator; a crash would be 128+signal, and must not count as
# the expected refusal), a message matching every pattern given, and no
# upscaled file.  ImageMagick 7 stops at the error and writes nothing.
# ImageMagick 6's convert writes its images after any failed operator (its
# own -resize does the same), so there the file, if any, must be the
# unchanged input — never a partial or wrong-sized result.
upscale_fails() {  # input output "options" pattern...
    in=$1 out=$2 opts=$3; shift 3
    rm -f "$out"
    status=0
    # shellcheck disable=SC2086  # opts is a list of words
    im "$in" $opts -process srgan "$out" 2>err.txt || status=$?
    echo "exit status $status, message: $(cat err.txt)"
    [ "$status" -eq 1 ] || fail "exit status $status, expected 1, for: $opts"
    for pattern in "$@"; do
        grep -q -- "$pattern" err.txt || fail "message lacks '$pattern' for: $opts"
    done
    if [ -e "$out" ]; then
        [ "$major" -lt 7 ] || fail "$out was written despite the error"
        [ "$(info "$out" '%wx%h')" = "$(info "$in" '%wx%h')" ] || fail "$out is not the unchanged input"
    fi
}

case $case in
rgb)      # RGB 8-bit photo, default model (4×) and automatic tiles
    photo -depth 8 in.png
    upscale_ok in.png out.png
    [ "$(info out.png '%wx%h %z')" = "200x136 8" ] || fail "size/depth: $(info out.png '%wx%h %z')"
    matches_core in.png out.png ;;
tiled)    # small tiles and two threads: many regions through the callbacks
    # (ImageMagick's thread limit caps srgan:threads; it follows
    # OMP_NUM_THREADS, 1 in meson's environment, and ImageMagick 7 keeps
    # one core free by default: allow the two asked for)
    OMP_NUM_THREADS=2 MAGICK_THREAD_LIMIT=2; export OMP_NUM_THREADS MAGICK_THREAD_LIMIT
    photo -depth 8 in.png
    upscale_ok in.png out.png -define srgan:tile=16 -define srgan:threads=2
    matches_core in.png out.png ;;
scale-x2) # the scale comes from the model
    photo in.png
    upscale_ok in.png out.png -define "srgan:model=$SRGAN_MODEL_X2"
    [ "$(info out.png '%wx%h')" = "100x68" ] || fail "size $(info out.png '%wx%h'), expected 100x68"
    matches_core in.png out.png "$SRGAN_MODEL_X2" ;;
alpha)    # RGBA: alpha kept (bicubic through the core), colour through the net
    photo \( +clone -colorspace gray -fx 'i/w' \) -alpha off -compose copy-opacity -composite -depth 8 in.png
    [ "$(info in.png '%A')" != "False" ] && [ "$(info in.png '%A')" != "Undefined" ] || fail "fixture has no alpha"
    upscale_ok in.png out.png
    matches_core in.png out.png ;;
grey)     # grey stays grey
    photo -colorspace gray -depth 8 in.png
    upscale_ok in.png out.png
    [ "$(info out.png '%[colorspace]')" = "Gray" ] || fail "colourspace $(info out.png '%[colorspace]')"
    matches_core in.png out.png ;;
grey-alpha-16)
    photo -colorspace gray \( +clone -fx 'j/h' \) -alpha off -compose copy-opacity -composite -depth 16 in.png
    upscale_ok in.png out.png
    [ "$(info out.png '%[colorspace] %z')" = "Gray 16" ] || fail "got $(info out.png '%[colorspace] %z')"
    matches_core in.png out.png ;;
depth16)  # 16 bits in, 16 bits out, no 8-bit rounding on the way
    photo -depth 16 -evaluate multiply 0.9 -evaluate add 300 in.png
    [ "$(info in.png '%z')" = 16 ] || fail "fixture is not 16-bit"
    upscale_ok in.png out.png
    [ "$(info out.png '%z')" = 16 ] || fail "depth $(info out.png '%z')"
    matches_core in.png out.png   # tolerance: one 16-bit step
    ;;
palette)  # indexed PNG (PseudoClass) -> full colour result
    photo -colors 16 -type palette PNG8:in.png
    upscale_ok in.png out.png
    matches_core in.png out.png ;;
multiframe) # every frame, in order; frames of different sizes
    im \( "$SRGAN_SAMPLE" -crop 40x30+10+10 +repage \) \( "$SRGAN_SAMPLE" -crop 24x36+100+60 +repage \) -depth 16 in.miff
    upscale_ok in.miff out.miff
    [ "$(info out.miff '%wx%h,')" = "160x120,96x144," ] || fail "frames $(info out.miff '%wx%h,')"
    matches_core in.miff out.miff
    im in.miff -depth 8 in.gif
    upscale_ok in.gif out.gif
    [ "$(info out.gif '%wx%h,')" = "160x120,96x144," ] || fail "GIF frames $(info out.gif '%wx%h,')" ;;
cmyk)     # other colourspaces are converted to sRGB first
    photo -colorspace CMYK in.tif
    [ "$(info in.tif '%[colorspace]')" = CMYK ] || fail "fixture is not CMYK"
    upscale_ok in.tif out.png
    [ "$(info out.png '%wx%h %[colorspace]')" = "200x136 sRGB" ] || fail "got $(info out.png '%wx%h %[colorspace]')"
    im in.tif -colorspace sRGB -depth 16 srgb.png   # the same conversion, unrounded
    matches_core --any-depth srgb.png out.png ;;
metadata) # page geometry and density scale; comments and profiles stay
    cat >meta.xmp <<'XMP'
<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>srgan test</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>
XMP
    icc=/usr/share/color/icc/ghostscript/default_rgb.icc   # libgs-common, when installed
    [ -r "$icc" ] && set -- -profile "$icc" || set --
    photo -density 72 -units PixelsPerInch -page 60x40+3+4 -set comment "srgan test" \
        -profile meta.xmp "$@" in.png
    upscale_ok in.png out.png
    [ "$(info out.png '%g|%c')" = "240x160+12+16|srgan test" ] ||
        fail "geometry/comment: '$(info out.png '%g|%c')', expected '240x160+12+16|srgan test'"
    # PNG keeps density per centimetre: compare as numbers, 4× the input's.
    awk -v i="$(info in.png '%x')" -v o="$(info out.png '%x')" \
        'BEGIN { exit !(i > 0 && o / i > 3.99 && o / i < 4.01) }' ||
        fail "density $(info in.png '%x') -> $(info out.png '%x'), expected ×4"
    [ "$(info out.png '%[profiles]')" = "$(info in.png '%[profiles]')" ] ||
        fail "profiles: in '$(info in.png '%[profiles]')', out '$(info out.png '%[profiles]')'"
    echo "profiles kept: $(info out.png '%[profiles]')"
    upscale_ok "$SRGAN_TEST_DATA/exif.jpg" out.jpg
    [ "$(info out.jpg '%wx%h %[exif:Artist]')" = "200x136 srgan test" ] ||
        fail "EXIF lost: $(info out.jpg '%wx%h %[exif:Artist]')" ;;
model-name) # srgan:model takes an installed model's short name
    photo in.png
    # A model folder of our own (searched first) holding a shipped model
    # under a new name: by name and by path must give the same pixels.
    mkdir models
    cp "$SRGAN_MODEL_X2" models/test-renamed-x2.safetensors
    cp "$SRGAN_MODEL" models/test-renamed-x4.safetensors
    SRGAN_MODEL_DIR=$work/models upscale_ok in.png by-name.png -define srgan:model=test-renamed-x2
    upscale_ok in.png by-path.png -define "srgan:model=$SRGAN_MODEL_X2"
    [ "$(info by-name.png '%wx%h')" = "100x68" ] || fail "size $(info by-name.png '%wx%h'), expected 100x68"
    ae=$(im by-name.png by-path.png -metric AE -compare -format '%[distortion]' info: 2>&1) ||
        fail "compare failed: $ae"
    [ "$ae" = 0 ] || fail "by name and by path differ in $ae pixels"
    matches_core in.png by-name.png "$SRGAN_MODEL_X2"
    # An unknown name: the message names it and lists the installed names.
    SRGAN_MODEL_DIR=$work/models upscale_fails in.png out.png "-define srgan:model=no-such-model" \
        "no-such-model" "installed models are .*test-renamed-x2.*test-renamed-x4" ;;
halo)     # srgan:halo reaches the core: small tiles with a 2-pixel halo
    photo in.png
    upscale_ok in.png out.png -define srgan:tile=16 -define srgan:halo=2
    # the core with the same tiles and halo gives the same pixels ...
    SRGAN_COMPARE_TILE=16 SRGAN_COMPARE_HALO=2 matches_core in.png out.png
    # ... and they differ from the untiled result (seams: the halo is short)
    if "$SRGAN_COMPARE_CORE" in.png out.png >/dev/null 2>&1; then
        fail "halo=2 gave the same result as the automatic halo: the define was not used"
    fi
    # a halo beyond the model's reach changes nothing
    upscale_ok in.png big.png -define srgan:tile=16 -define srgan:halo=1024
    matches_core in.png big.png ;;
twice)    # ImageMagick unloads the module after each call: load it again
    photo in.png
    upscale_ok in.png out.png -define "srgan:model=$SRGAN_MODEL_X2" -process srgan
    [ "$(info out.png '%wx%h')" = "200x136" ] || fail "size $(info out.png '%wx%h'), expected 200x136" ;;
monitor)  # -monitor shows the module's progress up to 100%
    photo in.png
    im in.png -monitor -define srgan:tile=16 -process srgan out.png 2>err.txt || fail "exit status $?"
    tr '\r' '\n' <err.txt | grep -q 'Srgan.*100% complete' || { cat err.txt; fail "no Srgan progress to 100%"; } ;;
cancel)   # a monitor returning false: error, image list unchanged
    photo -resize 64x64! in.png
    "$SRGAN_CANCEL_TEST" in.png || fail "cancel-test failed on one frame"
    # cancelled in the second frame, after the first was done
    im \( in.png -crop 40x30+0+0 +repage \) in.png in.miff
    "$SRGAN_CANCEL_TEST" in.miff || fail "cancel-test failed on two frames" ;;
define-errors)
    photo in.png
    upscale_fails in.png out.png "-define srgan:tiles=64" "srgan:tiles" "unknown"
    upscale_fails in.png out.png "-define srgan:tile=8" "srgan:tile=8" "16"
    upscale_fails in.png out.png "-define srgan:tile=abc" "srgan:tile=abc"
    upscale_fails in.png out.png "-define srgan:threads=-2" "srgan:threads=-2"
    upscale_fails in.png out.png "-define srgan:model=" "srgan:model"
    upscale_fails in.png out.png "-define srgan:halo=-1" "srgan:halo=-1" "1 to 1024"
    upscale_fails in.png out.png "-define srgan:halo=1025" "srgan:halo=1025" "1 to 1024"
    upscale_fails in.png out.png "-define srgan:halo=wide" "srgan:halo=wide" "automatic"
    rm -f out.png
    status=0
    im in.png -process 'srgan extra' out.png 2>err.txt || status=$?
    [ "$status" -eq 1 ] || fail "exit status $status with an argument, expected 1"
    grep -q "extra" err.txt || fail "message does not name the argument: $(cat err.txt)" ;;
model-errors)
    photo in.png
    upscale_fails in.png out.png "-define srgan:model=$work/none.safetensors" "none.safetensors" "srgan:model"
    head -c 4000 "$SRGAN_MODEL" >truncated.safetensors
    upscale_fails in.png out.png "-define srgan:model=$work/truncated.safetensors" "truncated.safetensors"
    printf 'this is not a model' >garbage.safetensors
    upscale_fails in.png out.png "-define srgan:model=$work/garbage.safetensors" "garbage.safetensors"
    # the default model comes from SRGAN_MODEL
    SRGAN_MODEL=$work/missing-default.safetensors upscale_fails in.png out.png "" "missing-default.safetensors" ;;
limits)   # policy.xml / -limit: refused before allocating, remedy named
    photo in.png
    upscale_fails in.png out.png "-limit width 150" "width" "-limit width 200" "policy.xml"
    upscale_fails in.png out.png "-limit height 100" "height" "-limit height 136"
    upscale_fails in.png out.png "-limit area 20000" "area" "-limit area 27200" "policy.xml"
    # The second frame over the limit, after the first was upscaled: the
    # first is put back (convert then writes both frames unchanged).
    im \( in.png -crop 30x30+0+0 +repage \) \( in.png -crop 40x30+0+0 +repage \) frames.miff
    upscale_fails frames.miff out.miff "-limit width 150" "width" "-limit width 160" ;;
limits-policy) # Debian's own policy.xml, not a -limit option
    # Debian's policy.xml allows 128 MP in area and 16000 pixels in width on
    # 12, 256 MP on 13: a 16.8 MP image would become 16384x16384, 268 MP.
    # Only where that policy is in force, since elsewhere this would really
    # start a very long upscale; then the test is reported as not run (77),
    # and tests/run-all.sh requires it where CI knows the policy is Debian's.
    area=$(im -list resource | sed -n 's/^ *Area: *//p')
    case $area in
    128MP|256MP) ;;
    *) echo "SKIP: ImageMagick's area limit is '$area', not Debian's policy.xml (128MP or 256MP)"
       exit 77 ;;
    esac
    rm -f big.png
    status=0
    im -size 4096x4096 xc:'#808080' -process srgan big.png 2>err.txt || status=$?
    echo "exit status $status, message: $(cat err.txt)"
    [ "$status" -eq 1 ] || fail "exit status $status for a 16384x16384 result under the $area policy, expected 1"
    grep -q -- "-limit" err.txt && grep -q "policy.xml" err.txt || fail "message: $(cat err.txt)"
    [ "$major" -lt 7 ] || [ ! -e big.png ] || fail "big.png written despite the error" ;;
threads)  # ImageMagick's thread limit caps the workers (-limit, policy.xml)
    photo in.png
    # Two are allowed by ImageMagick here (OMP_NUM_THREADS bounds its limit,
    # and ImageMagick 7 keeps one core free unless MAGICK_THREAD_LIMIT says
    # otherwise); the core reports the workers it starts in a debug line
    # (core/tiler.c).
    OMP_NUM_THREADS=2 MAGICK_THREAD_LIMIT=2; export OMP_NUM_THREADS MAGICK_THREAD_LIMIT
    workers() {  # options...: prints the number of worker threads used
        G_MESSAGES_DEBUG=srgan im in.png "$@" -define srgan:tile=16 -process srgan out.png \
            >log.txt 2>&1 || { cat log.txt >&2; fail "exit status $? for: $*"; }
        n=$(sed -n 's/.* tiles, \([0-9]*\) thread(s).*/\1/p' log.txt)
        [ -n "$n" ] || { cat log.txt >&2; fail "no thread count in the core's debug output"; }
        echo "$n"
    }
    check_workers() {  # expected options...
        want=$1; shift
        got=$(workers "$@")
        echo "$* -> $got thread(s)"
        [ "$got" = "$want" ] || fail "$got worker threads for '$*', expected $want"
    }
    check_workers 2 -define srgan:threads=2               # the limit allows two
    check_workers 1 -limit thread 1 -define srgan:threads=2
    check_workers 1 -limit thread 1                       # automatic: one per core, capped
    # Environment and policy in subshells, so that each check stands alone.
    (MAGICK_THREAD_LIMIT=1; export MAGICK_THREAD_LIMIT
     check_workers 1 -define srgan:threads=2) || exit 1
    mkdir policy
    cat >policy/policy.xml <<'XML'
<policymap>
  <policy domain="resource" name="thread" value="1"/>
</policymap>
XML
    (MAGICK_CONFIGURE_PATH=$work/policy; export MAGICK_CONFIGURE_PATH
     check_workers 1 -define srgan:threads=2) || exit 1
    matches_core in.png out.png ;;
memory)   # -limit memory bounds the core's tile buffers
    im "$SRGAN_SAMPLE" -resize '256x256!' in.png
    # An explicit tile whose buffers exceed the limit: refused before any
    # allocation, with the limit, a tile size that fits, and the remedy.
    upscale_fails in.png out.png "-limit memory 64MiB -define srgan:tile=256" \
        "memory limit of 64.0 MiB" "-limit memory" "srgan:tile"
    fits=$(sed -n 's/.*; tile size \([0-9]*\) fits.*/\1/p' err.txt)
    [ -n "$fits" ] && [ "$fits" -lt 256 ] || fail "no smaller tile size suggested: $(cat err.txt)"
    upscale_fails in.png out.png "-limit memory 8MiB -define srgan:tile=256" \
        "memory limit of 8.0 MiB" "smallest tile"
    # The suggestion works under the same limit, with the same pixels.
    upscale_ok in.png out.png -limit memory 64MiB -define "srgan:tile=$fits"
    matches_core in.png out.png
    # An automatic tile shrinks to fit.
    tile_of() {  # options...: the automatic tile side the core chose
        G_MESSAGES_DEBUG=srgan im in.png "$@" -process srgan out.png >log.txt 2>&1 ||
            { cat log.txt >&2; fail "exit status $? for: $*"; }
        sed -n 's/.*: tiles \([0-9]*\)×.*/\1/p' log.txt
    }
    free_tile=$(tile_of -limit memory unlimited)
    tight_tile=$(tile_of -limit memory 32MiB)
    echo "automatic tile: $free_tile without a limit, $tight_tile under 32 MiB"
    [ -n "$tight_tile" ] && [ "$tight_tile" -lt "$free_tile" ] ||
        fail "the automatic tile did not shrink under -limit memory 32MiB ($free_tile -> $tight_tile)"
    matches_core in.png out.png
    # Peak RSS under -limit memory 32MiB: at most what ImageMagick itself
    # needs for the same output (-scale 400%), plus the fixed cost of the
    # library, OpenBLAS and the model (an srgan run on a 16x16 image, minus
    # -scale on it), plus the 32 MiB, plus 4 MiB of allocator slack.  The
    # same bound must catch an upscale that ignores the limit: an explicit
    # 256 tile with no limit (its buffers are over 100 MiB) exceeds it.
    im in.png -resize '16x16!' tiny.png
    peak_kib() {  # input operation...: peak RSS in KiB
        in=$1; shift
        /usr/bin/time -v -o time.txt "$cli" "$in" "$@" out.miff 2>err.txt ||
            { cat err.txt >&2; fail "exit status $? for $in $*"; }
        sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt
    }
    base=$(peak_kib in.png -limit memory 32MiB -scale 400%)
    fixed=$(( $(peak_kib tiny.png -limit memory 32MiB -process srgan) - $(peak_kib tiny.png -limit memory 32MiB -scale 400%) ))
    limited=$(peak_kib in.png -limit memory 32MiB -process srgan)
    unlimited=$(peak_kib in.png -limit memory unlimited -define srgan:tile=256 -process srgan)
    bound=$((base + fixed + 32 * 1024 + 4 * 1024))
    echo "peak RSS (KiB): -scale $base, library cost $fixed, srgan under 32 MiB $limited," \
         "srgan tile 256 unlimited $unlimited; bound $bound"
    [ "$limited" -le "$bound" ] || fail "peak RSS $limited KiB under -limit memory 32MiB, over $bound"
    [ "$unlimited" -gt "$bound" ] || fail "the bound $bound does not tell an unlimited run ($unlimited KiB) apart" ;;
frames-memory) # a 40-frame GIF needs one frame's working memory, not 40
    # 40 different 64x64 crops of the photo, and its first frame alone.
    set --
    for i in $(seq 0 39); do
        set -- "$@" \( "$SRGAN_SAMPLE" -crop "64x64+$((i * 3 % 128))+$((i * 2 % 64))" +repage \)
    done
    im "$@" -depth 8 in40.gif
    im 'in40.gif[0]' in1.gif
    [ "$(info in40.gif '%n,' | cut -d, -f1)" = 40 ] || fail "fixture has $(info in40.gif '%n,' | cut -d, -f1) frames"
    peak_kib() {  # input operation...: peak RSS in KiB of the command
        in=$1; shift
        /usr/bin/time -v -o time.txt "$cli" "$in" "$@" out.miff 2>err.txt ||
            { cat err.txt >&2; fail "exit status $? for $in $*"; }
        sed -n 's/.*Maximum resident set size (kbytes): //p' time.txt
    }
    # The list must hold every upscaled frame for the writer, after
    # -process srgan as after ImageMagick's own -scale 400% (same output
    # size): so the growth from 1 to 40 frames of -scale is the part that
    # is ImageMagick's, and srgan may add to it only a little allocator
    # noise, not anything per frame.  Margin: 8 upscaled frames' worth of
    # float RGBA (8 x 256x256 x 16 bytes = 8 MiB) -- far below 40 frames of
    # the core's working memory (tens of MiB each) or even 39 kept copies of
    # the result (39 x 256x256 x 8 bytes = 19.5 MiB at ImageMagick's Q16).
    scale1=$(peak_kib in1.gif -scale 400%)
    scale40=$(peak_kib in40.gif -scale 400%)
    srgan1=$(peak_kib in1.gif -process srgan)
    [ "$(info out.miff '%wx%h')" = 256x256 ] || fail "1 frame: $(info out.miff '%wx%h')"
    srgan40=$(peak_kib in40.gif -process srgan)
    [ "$(info out.miff '%n %wx%h,' | cut -d, -f1)" = "40 256x256" ] ||
        fail "40 frames: $(info out.miff '%n %wx%h,' | cut -d, -f1)"
    margin=$((8 * 256 * 256 * 16 / 1024))
    echo "peak RSS (KiB): -scale 400% 1 frame $scale1, 40 frames $scale40;" \
         "-process srgan 1 frame $srgan1, 40 frames $srgan40; margin $margin"
    echo "growth 1 -> 40 frames: -scale $((scale40 - scale1)) KiB, srgan $((srgan40 - srgan1)) KiB;" \
         "one frame's srgan working memory (srgan - scale, 1 frame) $((srgan1 - scale1)) KiB"
    [ $((srgan40 - srgan1)) -le $((scale40 - scale1 + margin)) ] ||
        fail "40 frames grew peak RSS by $((srgan40 - srgan1)) KiB, over -scale's $((scale40 - scale1)) + $margin" ;;
*) fail "unknown case" ;;
esac
echo "ok: $case"
