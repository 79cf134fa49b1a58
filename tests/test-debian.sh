#!/bin/sh
# README's second command, after the first (tests/setup-debian.sh):
#   tests/test-debian.sh
# installs what the tests need beyond the build (clang for the fuzzer,
# debootstrap for the Debian 13 root, Xvfb for GIMP's user interface, torch
# for the weights' tests, debhelper and lintian for the Debian packages)
# and runs tests/run-all.sh as root
# (it needs root for the Debian 13 chroot), through sudo or directly on a
# root shell.  The build folders that run creates are then given back to
# the checkout's owner.  Exits with run-all.sh's status.
set -eu
cd "$(dirname "$0")/.."
. tests/debian-common.sh

apt_install clang llvm debootstrap xvfb xauth libpng-dev libxtst-dev \
    python3-torch python3-numpy python3-pil build-essential debhelper help2man lintian

# sudo resets the environment: pass on the settings run-all.sh reads
# (SRGAN_REQUIRE_ALL=1 from .ci/run above all).  The chown runs in the same
# root shell, so that a long run does not end on a second password prompt.
as_root env SRGAN_REQUIRE_ALL="${SRGAN_REQUIRE_ALL:-}" SRGAN_SHARED="${SRGAN_SHARED:-}" \
    SRGAN_FUZZ_SECONDS="${SRGAN_FUZZ_SECONDS:-60}" sh -c '
    status=0
    tests/run-all.sh || status=$?
    for dir in build build-sanitize build-fuzz build-debian13; do
        [ ! -d "$dir" ] || chown -R "$1" "$dir"
    done
    exit "$status"' sh "$owner"
