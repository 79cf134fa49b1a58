#!/bin/sh
# corpus.sh — builds a training corpus of freely licensed photos from Debian
# packages, for srgan-train --data.
#
#   train/corpus.sh [-o DIR] [-x MANIFEST.tsv] [PACKAGE ...]
#
# Each package is fetched with `apt-get download` (no root needed, nothing is
# installed) and unpacked with `dpkg -x` in a temporary folder; its photos
# are copied to DIR (default ./srgan-corpus) as <package>__<name>, with
# DIR/MANIFEST.tsv (file, package, version, source path, licence) and each
# package's copyright file in DIR/licenses/.  Photos the project commits as
# test images (tests/data/photos, from shared/data/eval-clean) are left out,
# so that evaluation on them stays honest: the list below, plus any
# deb:… sources in the MANIFEST.tsv given with -x (default
# $SRGAN_SHARED/data/eval-clean/MANIFEST.tsv when it exists).
#
# A package the release does not have (budgie-backgrounds is in Debian 13,
# not 12) is skipped with a note; run the script in a Debian 13 system (for
# example tests/in-debian13.sh 'cd /src && train/corpus.sh -o /src/corpus')
# to get it.  Downloads total about 110 MB with libjxl-testdata.
set -eu

out=./srgan-corpus
manifest=${SRGAN_SHARED:-$(dirname "$0")/../../shared}/data/eval-clean/MANIFEST.tsv
while getopts o:x:h opt; do
    case $opt in
    o) out=$OPTARG ;;
    x) manifest=$OPTARG ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- budgie-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 \
    palapeli-data libjxl-testdata python3-skimage python3-sklearn

for tool in apt-get dpkg dpkg-deb find; do
    command -v $tool >/dev/null || { echo "corpus.sh: $tool is missing (Debian tools needed)" >&2; exit 1; }
done

# Which files of each package are photos (shell patterns on the path inside
# the package), and the licence its copyright file states for them.
photos_of() {
    case $1 in
    budgie-backgrounds) echo "usr/share/backgrounds/budgie/*.jpg usr/share/backgrounds/budgie/*.png" ;;
    lomiri-wallpapers*) echo "usr/share/backgrounds/*.jpg usr/share/backgrounds/*.png" ;;
    palapeli-data) echo "usr/share/palapeli/collection/*.jpg" ;;
    libjxl-testdata) echo "usr/share/libjxl-testdata/external/wesaturate/500px/*_srgb8.png" ;;
    # only the photos skimage documents as CC0 or public domain
    python3-skimage) echo "*/skimage/data/brick.png */skimage/data/grass.png */skimage/data/gravel.png
                           */skimage/data/camera.png */skimage/data/hubble_deep_field.jpg
                           */skimage/data/astronaut.png */skimage/data/coffee.png
                           */skimage/data/chelsea.png */skimage/data/rocket.jpg" ;;
    python3-sklearn) echo "*/sklearn/datasets/images/*.jpg" ;;
    *) echo "*.jpg *.jpeg *.png" ;;
    esac
}
licence_of() {
    case $1 in
    budgie-backgrounds) echo "CC0-1.0 (see licenses/$1.copyright)" ;;
    libjxl-testdata) echo "CC0 (wesaturate; see licenses/$1.copyright)" ;;
    *) echo "per file: see licenses/$1.copyright" ;;
    esac
}

# Test images (shared/data/eval-clean/MANIFEST.tsv as of this writing):
# package and the path's tail.
builtin_exclusions='python3-skimage skimage/data/astronaut.png
python3-skimage skimage/data/coffee.png
python3-skimage skimage/data/chelsea.png
python3-skimage skimage/data/rocket.jpg
python3-sklearn sklearn/datasets/images/china.jpg
python3-sklearn sklearn/datasets/images/flower.jpg
libjxl-testdata external/wesaturate/500px/cvo9xd_keong_macan_srgb8.png
libjxl-testdata external/wesaturate/500px/tmshre_riaphotographs_srgb8.png
libjxl-testdata external/wesaturate/500px/u76c0g_bliznaca_srgb8.png
libjxl-testdata jxl/flower/flower.png
budgie-backgrounds backgrounds/budgie/lake-sherburne.jpg
budgie-backgrounds backgrounds/budgie/casa-mila.jpg
budgie-backgrounds backgrounds/budgie/perched-osprey.jpg
budgie-backgrounds backgrounds/budgie/tea-gardens.jpg
budgie-backgrounds backgrounds/budgie/singaporean-cityscape.jpg
lomiri-wallpapers-16.04 backgrounds/seeding_by_Clements_Engelhardt.jpg
palapeli-data palapeli/collection/citrus-fruits.jpg
palapeli-data palapeli/collection/european-honey-bee.jpg
palapeli-data palapeli/collection/cincinnati-bridge.jpg'

work=$(mktemp -d "${TMPDIR:-/tmp}/srgan-corpus-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
exclusions=$work/exclusions
printf '%s\n' "$builtin_exclusions" > "$exclusions"
if [ -f "$manifest" ]; then
    # source column: deb:PACKAGE[(suite)]:/PATH [(note)]
    awk -F'\t' 'NR > 1 && $2 ~ /^deb:/ {
        split($2, f, ":"); pkg = f[2]; sub(/\(.*/, "", pkg)
        path = f[3]; sub(/ .*/, "", path); sub(/^\//, "", path)
        print pkg, path }' "$manifest" >> "$exclusions"
fi
same_source() {   # the two lomiri-wallpapers packages share files
    [ "$1" = "$2" ] && return 0
    case "$1 $2" in lomiri-wallpapers*" "lomiri-wallpapers*) return 0 ;; esac
    return 1
}
excluded() {   # package, path inside the package
    # (x-prefixed names: sh has no locals, and the caller's $pkg must survive)
    while read -r xpkg xtail; do
        same_source "$xpkg" "$1" || continue
        case $2 in *"$xtail") return 0 ;; esac
    done < "$exclusions"
    return 1
}

mkdir -p "$out/licenses"
[ -f "$out/MANIFEST.tsv" ] || printf 'file\tpackage\tversion\tsource\tlicense\n' > "$out/MANIFEST.tsv"
total=0
for pkg in "$@"; do
    mkdir -p "$work/$pkg"
    if ! (cd "$work/$pkg" && apt-get download "$pkg" > "$work/$pkg.log" 2>&1); then
        echo "skip $pkg: not downloadable in this release ($(tail -n 1 "$work/$pkg.log"))"
        continue
    fi
    deb=$(ls "$work/$pkg"/*.deb)
    version=$(dpkg-deb -f "$deb" Version)
    dpkg -x "$deb" "$work/$pkg/root"
    cp "$work/$pkg/root/usr/share/doc/$pkg/copyright" "$out/licenses/$pkg.copyright" 2>/dev/null ||
        echo "note: $pkg has no copyright file at the usual place"
    count=0 skipped=0
    for pattern in $(photos_of "$pkg"); do
        # find -path matches the whole path, so patterns start below root/
        (cd "$work/$pkg/root" && find . -type f -path "./$pattern" | sort) > "$work/files"
        while IFS= read -r f; do
            rel=${f#./}
            if excluded "$pkg" "$rel"; then
                skipped=$((skipped + 1))
                continue
            fi
            name="${pkg}__$(basename "$rel")"
            cp "$work/$pkg/root/$rel" "$out/$name"
            grep -q "^$name	" "$out/MANIFEST.tsv" ||
                printf '%s\t%s\t%s\t/%s\t%s\n' "$name" "$pkg" "$version" "$rel" \
                    "$(licence_of "$pkg")" >> "$out/MANIFEST.tsv"
            count=$((count + 1))
        done < "$work/files"
    done
    echo "$pkg $version: $count photos ($skipped left out: test images)"
    total=$((total + count))
    rm -rf "$work/$pkg"
done
echo "corpus: $total photos in $out (list and licences: $out/MANIFEST.tsv, $out/licenses/)"
