#!/bin/sh
# README's first command, on Debian 12 or 13, from the top of a clone:
#   tests/setup-debian.sh
# installs the build dependencies (the package names of this release),
# builds as the user who owns the checkout, installs (library, weights,
# ImageMagick module, GIMP plug-in) as root, and upscales the bundled sample
# photo with ImageMagick.  Root's steps go through sudo, or run directly on
# a root shell, which a fresh Debian gives without sudo.
set -eu
cd "$(dirname "$0")/.."
. tests/debian-common.sh

echo "== Debian $codename: installing the build dependencies"
as_root apt-get update
# dpkg-dev: without it meson on Debian 13 installs libsrgan into
# /usr/local/lib64, which is not on the loader's path.
apt_install meson ninja-build gcc dpkg-dev pkg-config libglib2.0-dev libopenblas-dev \
    "$magick_dev" imagemagick "$gimp_dev" gimp libgdk-pixbuf-2.0-dev gettext

echo "== building in build/ as the checkout's owner ($(stat -c %U .), uid:gid $owner)"
if [ -f build/build.ninja ]; then
    as_user meson setup --reconfigure build
else
    as_user meson setup build
fi
as_user meson compile -C build

echo "== installing"
# --no-rebuild: root only copies what the user built.  meson still writes
# its install log into build/: give build/ back to its owner afterwards.
as_root meson install -C build --no-rebuild
as_root chown -R "$owner" build
as_root ldconfig

as_user "$magick_cli" tests/data/sample.png -process srgan sample-4x.png
size=$("$magick_cli" sample-4x.png -format '%wx%h' info:)
[ "$size" = 768x512 ] || { echo "$0: sample-4x.png is $size, expected 768x512" >&2; exit 1; }
echo "Upscaled tests/data/sample.png (192x128) to $PWD/sample-4x.png ($size)"
