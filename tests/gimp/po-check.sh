#!/bin/sh
# The plug-ins' message catalogs are complete and current:
#   po-check.sh SOURCE_ROOT
# 1. po/srgan.pot holds exactly the msgids that xgettext finds in the files
#    of po/POTFILES today (a new string not added with `ninja srgan-pot`
#    fails here);
# 2. every language of po/LINGUAS translates every one of them, none fuzzy
#    (msgcmp counts untranslated and fuzzy entries as missing).
# Exit 77 when gettext's tools are not installed.
set -u
root=$1
for tool in xgettext msgcmp msgcat; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/srgan-po-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

cd "$root" || exit 1
# Same keywords as meson's glib preset.
grep -v '^#' po/POTFILES | xargs xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ \
    --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
    --keyword=g_dpgettext2:2c,3 --flag=N_:1:pass-c-format --add-comments=TRANSLATORS: \
    -o "$tmp/now.pot" || exit 1
msgcat --no-location --no-wrap --sort-output "$tmp/now.pot" | grep -E '^msg(ctxt|id)' >"$tmp/now.ids"
msgcat --no-location --no-wrap --sort-output po/srgan.pot | grep -E '^msg(ctxt|id)' >"$tmp/pot.ids"
if ! diff -u "$tmp/pot.ids" "$tmp/now.ids"; then
    echo "FAIL: po/srgan.pot is out of date (ninja -C build srgan-pot, then srgan-update-po)"
    failures=$((failures + 1))
fi

for lang in $(cat po/LINGUAS); do
    if msgcmp "po/$lang.po" "$tmp/now.pot" 2>"$tmp/$lang.txt"; then
        echo "$lang: every message translated"
    else
        echo "FAIL: po/$lang.po lacks translations:"
        cat "$tmp/$lang.txt"
        failures=$((failures + 1))
    fi
done
[ "$failures" -eq 0 ] || exit 1
