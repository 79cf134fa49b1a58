#!/bin/sh
# The 'magick' suite against ImageMagick 7, inside the cached Debian 13 root
# (tests/debian13-rootfs.sh), built in build-magick7/ of this checkout.
#   tests/magick/run-im7.sh [extra `meson test` arguments]
# Needs root (chroot).  Exit status: meson test's.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
exec "$here/tests/in-debian13.sh" "cd /src && \
  { [ -f build-magick7/build.ninja ] || meson setup build-magick7 -Dgimp=disabled -Dtrainer=disabled; } && \
  ninja -C build-magick7 && \
  meson test -C build-magick7 --suite magick --print-errorlogs --num-processes 2 $*"
