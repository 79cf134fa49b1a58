#!/bin/sh
# Builds srgan inside the Debian 13 root (GIMP 3.0, libgimp-3.0-dev) and runs
# the 'gimp' test suite there: the same gimp-tests.sh as on this machine's
# GIMP 2.10, now against gimp-console-3.0 and the GIMP 3 plug-in.
#   tests/gimp/run-gimp3.sh
# The build folder is build-gimp3 at the repository root (kept between runs).
# Exit status: that of `meson test`; 77 when the root cannot be made.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
"$here/tests/debian13-rootfs.sh" >/dev/null || { echo "SKIP: no Debian 13 root"; exit 77; }
exec "$here/tests/in-debian13.sh" '
set -e
cd /src
if [ ! -f build-gimp3/build.ninja ]; then
    meson setup build-gimp3 -Dmagick=disabled -Dtrainer=disabled >/dev/null
fi
ninja -C build-gimp3 -j2 >/dev/null
meson test -C build-gimp3 --suite gimp --print-errorlogs --verbose
'
