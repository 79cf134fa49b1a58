#!/bin/bash
# The whole test suite, as README.md's second command runs it:
#   1. build/ (release) — every meson suite that can run on this machine
#      (core, weights, quality, trainer, ImageMagick 6, GIMP 2.10);
#   2. build-sanitize/ — the core, weights and trainer suites under
#      AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. the libFuzzer harness on the weights parser (SRGAN_FUZZ_SECONDS, 60);
#   4. the Debian packages, built, linted, installed into a fresh minimal
#      root, used and purged (tests/packaging/test-packages.sh 12);
#   5. every suite again inside the cached Debian 13 root, where they meet
#      ImageMagick 7, GIMP 3.0 and GCC 14, and its packages (… 13).
# Prints one summary line "N passed, N failed, N skipped" and exits non-zero
# when anything failed.  Needs root for steps 4 and 5 (chroot).
set -u
cd "$(dirname "$0")/.."
top=$PWD
export SRGAN_SHARED=${SRGAN_SHARED:-$(cd "$top/../shared" 2>/dev/null && pwd)}
passed=0 failed=0 skipped=0
failures=()

# Adds the results of a meson test run (its testlog.json) to the totals.
count_meson() {  # builddir label
    local log="$1/meson-logs/testlog.json" p f s
    if [ ! -s "$log" ]; then
        failed=$((failed + 1)); failures+=("$2: no test log"); return
    fi
    read -r p f s < <(/usr/bin/python3 -c '
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)' "$log")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failures+=("$2: $f failed (see $1/meson-logs/testlog.txt)")
    return 0
}

# Runs one step that is a test in itself (exit 0 pass, 77 skip, else fail).
step() {  # label command...
    local label=$1; shift
    echo "=== $label"
    "$@"; local rc=$?
    case $rc in
        0) passed=$((passed + 1));;
        77) skipped=$((skipped + 1)); echo "--- $label: skipped";;
        *) failed=$((failed + 1)); failures+=("$label (exit $rc)");;
    esac
}

meson_suite() {  # label builddir setup-args... -- test-args...
    local label=$1 dir=$2; shift 2
    local setup=() targs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do setup+=("$1"); shift; done
    [ $# -gt 0 ] && shift; targs=("$@")
    echo "=== $label"
    # --reconfigure: the README's first command may have configured build/
    # before the test packages (libxtst-dev, ...) were installed.
    local reconf=()
    [ -f "$dir/build.ninja" ] && reconf=(--reconfigure)
    meson setup "${reconf[@]}" "$dir" "${setup[@]}" || { failed=$((failed + 1)); failures+=("$label: meson setup"); return; }
    if ! ninja -C "$dir"; then failed=$((failed + 1)); failures+=("$label: build"); return; fi
    meson test -C "$dir" --print-errorlogs --num-processes 2 "${targs[@]}"
    count_meson "$dir" "$label"
}

# A test that meson never defined (a missing optional dependency) would
# otherwise vanish silently from the totals, and a skip here means a missing
# package: insist that the ones we ship ran.
require_tests() {  # label builddir name...
    local label=$1 dir=$2; shift 2
    local listed missing=()
    listed=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] != "SKIP": print(r["name"].split(" / ")[-1])' "$dir/meson-logs/testlog.json" 2>/dev/null)
    for t in "$@"; do grep -qx -- "$t" <<<"$listed" || missing+=("$t"); done
    if [ ${#missing[@]} -gt 0 ]; then
        failed=$((failed + 1)); failures+=("$label: tests not run (missing package?): ${missing[*]}")
    fi
}
core_tests="kernels fixtures fixtures-portable tiler rss conv-fast test-shipped test-malformed
test-reproducible fuzz-replay metrics matlab-reference photos-x4-gain trainer-train trainer-cli"
frontend_tests="gimp-plugin gimp-cancel gimp-undo rgb alpha grey depth16 multiframe cmyk limits cancel"

meson_suite "Debian 12 build, all suites" build -Dmagick=enabled -Dgimp=enabled -Dtrainer=enabled --
require_tests "Debian 12 build" build $core_tests $frontend_tests
meson_suite "sanitizers (address, undefined): core, weights and trainer" build-sanitize \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dgimp=disabled -Dmagick=disabled -Dtrainer=enabled -- --suite core --suite weights --suite trainer
[ -x tests/fuzz/run-fuzz.sh ] && step "libFuzzer on the weights parser (${SRGAN_FUZZ_SECONDS:-60} s)" \
    tests/fuzz/run-fuzz.sh "${SRGAN_FUZZ_SECONDS:-60}"

# The Debian packages (debian/): built here, checked by lintian, installed
# into a fresh minimal Debian 12 root, used, purged (tests/packaging).
step "Debian 12 packages: build, lintian, install, ImageMagick + GIMP, purge" \
    tests/packaging/test-packages.sh 12

# Debian 13: GIMP 3.0 and ImageMagick 7 (built inside the cached root, in
# build-debian13/ of this checkout, which the chroot sees as /src).
echo "=== Debian 13 root filesystem"
if tests/debian13-rootfs.sh; then
    meson_suite_debian13() {  # label -- test-args...
        local label=$1; shift 2
        echo "=== $label"
        rm -f build-debian13/meson-logs/testlog.json
        tests/in-debian13.sh "cd /src && r= && { [ ! -f build-debian13/build.ninja ] || r=--reconfigure; } \
            && meson setup \$r build-debian13 -Dmagick=enabled -Dgimp=enabled -Dtrainer=enabled \
            && ninja -C build-debian13 && meson test -C build-debian13 --print-errorlogs --num-processes 2 $*"
        count_meson build-debian13 "$label"
        require_tests "$label" build-debian13 $frontend_tests \
            kernels fixtures tiler test-malformed matlab-reference photos-x4-gain trainer-train
    }
    meson_suite_debian13 "Debian 13: every suite, ImageMagick 7 and GIMP 3.0" --
    step "Debian 13 packages: build, lintian, install, ImageMagick + GIMP, purge" \
        tests/packaging/test-packages.sh 13
else
    failed=$((failed + 1)); failures+=("Debian 13 root filesystem could not be made")
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
