#!/bin/sh
# run-fuzz.sh — fuzz srgan's weights loader with libFuzzer.
#
#   tests/fuzz/run-fuzz.sh [SECONDS] [BUILDDIR]
#       configures BUILDDIR (default build-fuzz) with clang and -Dfuzz=true,
#       builds the harness and its seed corpus, fuzzes for SECONDS (default
#       $FUZZ_SECONDS or 60).
#   tests/fuzz/run-fuzz.sh --binary FUZZER --seeds DIR [--seconds N]
#       fuzzes with an already built harness (what `meson test` does).
#
# Exits non-zero if libFuzzer finds a crash, leak, sanitizer report or
# timeout; the offending input is left in $FUZZ_ARTIFACTS (default
# <builddir>/fuzz-artifacts).  Prints libFuzzer's final stats, including
# stat::number_of_executed_units.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
binary=
seeds=

case "${1:-}" in
--binary)
    while [ $# -gt 0 ]; do
        case "$1" in
        --binary) binary=$2; shift 2 ;;
        --seeds) seeds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        *) echo "run-fuzz.sh: unknown argument $1" >&2; exit 2 ;;
        esac
    done
    artifacts=${FUZZ_ARTIFACTS:-$(dirname "$binary")/fuzz-artifacts}
    ;;
*)
    seconds=${1:-$seconds}
    build=${2:-$root/build-fuzz}
    if ! command -v clang >/dev/null 2>&1; then
        # 77: reported as not run, with this reason (tests/run-all.sh).
        echo "SKIP: clang is not installed (apt-get install clang), so the fuzzer cannot be built"
        exit 77
    fi
    if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$root" -Dfuzz=true -Dmagick=disabled \
            -Dgimp=disabled -Dtrainer=disabled --buildtype=debugoptimized
    fi
    ninja -C "$build" tests/fuzz/fuzz-model tests/fuzz/seed-corpus
    binary=$build/tests/fuzz/fuzz-model
    seeds=$build/tests/fuzz/seed-corpus
    artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
    ;;
esac

[ -x "$binary" ] || { echo "run-fuzz.sh: no fuzzer at $binary" >&2; exit 2; }
[ -d "$seeds" ] || { echo "run-fuzz.sh: no seed corpus at $seeds" >&2; exit 2; }

# libFuzzer adds what it finds to the first corpus folder: work in a copy.
work=$(mktemp -d "${TMPDIR:-/tmp}/srgan-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$seeds"/* "$work"/
# The shipped models' real headers (plus a little data) as extra seeds:
# whole files are megabytes, far beyond -max_len.
for f in "$root"/weights/srgan-x*.safetensors; do
    [ -f "$f" ] || continue
    n=$(od -An -t u8 -N8 "$f" | tr -d ' ')
    head -c $((8 + n + 256)) "$f" > "$work/shipped-$(basename "$f" .safetensors)-head"
done
mkdir -p "$artifacts"

echo "fuzzing $binary for $seconds s over $(ls "$work" | wc -l) seeds"
status=0
"$binary" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=20 -print_final_stats=1 -dict="$here/safetensors.dict" \
    -artifact_prefix="$artifacts/" "$work" \
    > "$work.log" 2>&1 || status=$?
grep -E '^(stat::|#[0-9]+ +DONE|==[0-9]+==ERROR|SUMMARY|Done )' "$work.log" || true
if [ "$status" -ne 0 ]; then
    tail -n 60 "$work.log"
    echo "run-fuzz.sh: the fuzzer failed (exit $status); inputs in $artifacts" >&2
fi
rm -f "$work.log"
exit "$status"
