#!/bin/sh
# Runs a command inside the cached Debian 13 root (see debian13-rootfs.sh),
# with the repository bind-mounted at /src and /proc, /dev mounted.
#   tests/in-debian13.sh 'cd /src && meson setup /tmp/b && ninja -C /tmp/b'
# The mounts live in a private mount namespace, so nothing leaks on exit.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
root=$("$here/tests/debian13-rootfs.sh")
shared=$(cd "$here/../shared" 2>/dev/null && pwd || true)
exec unshare --mount --propagation private sh -eu -c '
root=$1; src=$2; shared=$3; require_all=$4; shift 4
mkdir -p "$root/src" "$root/shared"
mount --bind "$src" "$root/src"
[ -n "$shared" ] && mount --bind "$shared" "$root/shared"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
# SRGAN_SHARED only when the shared folder is really mounted, else empty:
# the tests then report themselves as not run instead of reading an empty
# mount point.  SRGAN_REQUIRE_ALL passes through (env -i drops the rest).
exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    SRGAN_SHARED=${shared:+/shared} SRGAN_REQUIRE_ALL="$require_all" sh -c "$*"
' sh "$root" "$here" "$shared" "${SRGAN_REQUIRE_ALL:-0}" "$@"
