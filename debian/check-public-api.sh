#!/bin/sh
# Called from debian/rules after dh_makeshlibs.  There is no committed
# debian/libsrgan0.symbols template yet: the library's export list (and so
# its symbol versions) is still being settled upstream (a version script
# that exports only core/srgan.h), so dpkg-gensymbols writes the symbols
# file from what the library exports at build time, every symbol at this
# version.  What must hold whatever the export list: every function that
# core/srgan.h declares is exported, and is in that symbols file.
set -eu
symbols=debian/libsrgan0/DEBIAN/symbols
[ -s "$symbols" ] || { echo "check-public-api.sh: $symbols is missing" >&2; exit 1; }
# Names of the prototypes (a line "type name(", not static inline).
api=$(grep -E '^[A-Za-z_][A-Za-z0-9_ *]*[ *]srgan_[a-z0-9_]+[[:space:]]*\(' core/srgan.h |
      grep -v '^static' | grep -oE 'srgan_[a-z0-9_]+[[:space:]]*\(' | tr -d '( \t' | sort -u)
[ -n "$api" ] || { echo "check-public-api.sh: no functions found in core/srgan.h" >&2; exit 1; }
missing=
for f in $api; do
    grep -qE "^ $f@" "$symbols" || missing="$missing $f"
done
if [ -n "$missing" ]; then
    echo "check-public-api.sh: public functions of core/srgan.h not exported by libsrgan:$missing" >&2
    exit 1
fi
echo "check-public-api.sh: every function of core/srgan.h is in $symbols"
