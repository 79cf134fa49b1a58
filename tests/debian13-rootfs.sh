#!/bin/sh
# Creates (once) and caches a Debian 13 (trixie) root filesystem with GIMP 3.0,
# ImageMagick 7 and the build tools, for the tests that need them.  Prints the
# root's path.  Rebuilt when missing or when the package list below changes.
#
#   tests/debian13-rootfs.sh            -> /var/cache/srgan/trixie-<hash>
#   SRGAN_ROOTFS_CACHE=/somewhere tests/debian13-rootfs.sh
#
# Run a command inside it with tests/in-debian13.sh.
set -eu

# build-essential, debhelper, help2man and lintian: tests/packaging builds the Debian
# packages here with dpkg-buildpackage and checks them with Debian 13's lintian.
packages="gimp libgimp-3.0-dev imagemagick libmagickcore-7.q16-dev
libopenblas-dev libglib2.0-dev meson ninja-build gcc dpkg-dev pkg-config gettext
libgdk-pixbuf-2.0-dev libpng-dev libxtst-dev locales xvfb xauth time ca-certificates
build-essential debhelper help2man lintian"

cache=${SRGAN_ROOTFS_CACHE:-/var/cache/srgan}
tag=$(printf '%s' "$packages" | sha256sum | cut -c1-12)
root="$cache/trixie-$tag"

if [ -f "$root/.srgan-rootfs-complete" ]; then
    echo "$root"
    exit 0
fi

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$cache"
# A lock so that two test runs do not build the same root at once.
exec 9>"$cache/.lock"
flock 9
if [ -f "$root/.srgan-rootfs-complete" ]; then echo "$root"; exit 0; fi

mirror=${SRGAN_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p; s/^deb \(\[[^]]*\] \)*\([^ ]*\) .*/\2/p' \
    /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}

tmp="$root.tmp"
rm -rf "$tmp"
echo "debootstrap trixie from $mirror into $tmp" >&2
debootstrap --variant=minbase trixie "$tmp" "$mirror" >&2
cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
# The de_DE locale is needed by the translated-menu test.
echo "de_DE.UTF-8 UTF-8" >"$tmp/etc/locale.gen"
echo "en_US.UTF-8 UTF-8" >>"$tmp/etc/locale.gen"
chroot "$tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends $(echo $packages)" >&2
chroot "$tmp" locale-gen >&2 || true
touch "$tmp/.srgan-rootfs-complete"
rm -rf "$root"
mv "$tmp" "$root"
echo "$root"
