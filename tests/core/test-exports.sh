#!/bin/sh
# libsrgan exports its public API and nothing else: the dynamic symbols of
# the built library must be exactly the functions core/srgan.h declares
# (srgan_params_default is inline there), and its soname libsrgan.so.0.
#   test-exports.sh LIBSRGAN.so core/srgan.h
set -eu
lib=$1 header=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
# Declarations: "name(" at the start of a prototype, comments removed.
sed 's|/\*.*\*/||g' "$header" | grep -o '\bsrgan_[a-z0-9_]*(' | tr -d '(' |
    grep -vx 'srgan_params_default' | sort -u >"$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
    echo "FAIL: exported symbols (+) differ from srgan.h's declarations (-)" >&2
    exit 1
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libsrgan.so.0 ] || { echo "FAIL: soname is '$soname', expected libsrgan.so.0" >&2; exit 1; }
echo "ok: $(wc -l <"$tmp/exported") symbols, soname $soname"
