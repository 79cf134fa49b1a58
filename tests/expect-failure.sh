#!/bin/sh
# expect-failure.sh STATUS CAUSE... -- PROGRAM [ARG...]
#
# A bad-input test: runs PROGRAM and passes only when it exits with exactly
# STATUS (its documented error status) and its standard error contains every
# CAUSE (fixed strings naming what is wrong, such as the bad file's name).
#
# meson's `should_fail: true` is not enough for this: it counts any non-zero
# exit as the expected failure, a segfault or an abort() included, so a
# program that crashes on bad input would pass.  Here a crash (killed by a
# signal: status 128+N from the shell), another error status, or a message
# that does not name the cause fails the test.
set -eu
usage() { echo "usage: expect-failure.sh STATUS CAUSE... -- PROGRAM [ARG...]" >&2; exit 2; }
[ $# -ge 4 ] || usage
want=$1
shift
causes=$(mktemp "${TMPDIR:-/tmp}/srgan-expect-causes.XXXXXX")
err=$(mktemp "${TMPDIR:-/tmp}/srgan-expect-failure.XXXXXX")
trap 'rm -f "$err" "$causes"' EXIT
while [ $# -gt 0 ] && [ "$1" != -- ]; do printf '%s\n' "$1" >>"$causes"; shift; done
[ $# -ge 2 ] && [ -s "$causes" ] || usage
shift   # --

echo "+ $*"
status=0
"$@" 2>"$err" || status=$?
echo "exit status $status; standard error:"
cat "$err"

if [ "$status" -ne "$want" ]; then
    if [ "$status" -gt 128 ]; then
        echo "FAIL: killed by signal $((status - 128)) (a crash), expected exit status $want"
    else
        echo "FAIL: exit status $status, expected $want"
    fi
    exit 1
fi
while IFS= read -r cause; do
    if ! grep -qF -- "$cause" "$err"; then
        echo "FAIL: the message does not name the cause: no '$cause' in it"
        exit 1
    fi
done <"$causes"
echo "ok: exit status $want, and the message says: $(tr '\n' '|' <"$causes")"
