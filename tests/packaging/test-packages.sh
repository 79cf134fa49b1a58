#!/bin/sh
# The Debian packages (debian/), end to end, for one release:
#
#   tests/packaging/test-packages.sh 12    # built here (Debian 12)
#   tests/packaging/test-packages.sh 13    # built inside the cached Debian 13
#                                          # root (tests/debian13-rootfs.sh)
#
#  1. dpkg-buildpackage -us -uc -b on a copy of this checkout;
#  2. lintian on the result (that release's lintian): no error, no warning
#     that debian/*.lintian-overrides does not explain;
#  3. a fresh minimal root of the same release (debootstrap --variant=minbase,
#     cached once as a tarball under /var/cache/srgan and unpacked anew for
#     every run) gets `apt-get install --no-install-recommends ./*.deb`, so a
#     missing Depends shows up as a broken step below;
#  4. there, with no environment variables: ImageMagick's
#     `-process srgan` on a 32×32 crop of tests/data/sample.png, and the
#     installed Script-Fu batch job (srgan-batch.scm) in gimp-console on a
#     folder with that PNG; both outputs must be 128×128;
#  5. `apt-get purge` of the packages; no file from their `dpkg -L` lists may
#     be left, and no folder of theirs that no other package owns.
#
# Exit 0 pass, 77 not run (with the reason), anything else fail.  Needs root
# (chroot, mounts) and debootstrap.  Downloaded .debs are kept in
# /var/cache/srgan/apt-archives-<release> for the next run.
set -eu

release=${1:-}
case $release in
    12) codename=bookworm;;
    13) codename=trixie;;
    *) echo "usage: $0 12|13" >&2; exit 2;;
esac

here=$(cd "$(dirname "$0")/../.." && pwd)
cache=${SRGAN_ROOTFS_CACHE:-/var/cache/srgan}
start=$(date +%s)

say() { echo "[packages $release] $*"; }
fail() { echo "[packages $release] FAILED: $*" >&2; exit 1; }
not_run() { echo "[packages $release] not run: $*" >&2; exit 77; }

[ "$(id -u)" = 0 ] || not_run "needs root (chroot and mounts)"
command -v debootstrap >/dev/null || not_run "debootstrap is missing (apt-get install debootstrap)"
command -v unshare >/dev/null || not_run "unshare is missing (util-linux)"
# The whole test runs in a private mount namespace: the fresh root is a
# tmpfs (unpacking GIMP and its dependencies there is several times faster
# than on a disk shared with other jobs, and nothing is left to delete),
# and every mount disappears with the test, however it ends.
if [ -z "${SRGAN_PACKAGE_TEST_NS:-}" ]; then
    SRGAN_PACKAGE_TEST_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
if [ "$release" = 12 ]; then
    grep -q '^VERSION_ID="12"' /etc/os-release ||
        not_run "the Debian 12 packages are built on the host, which is not Debian 12"
    for tool in dpkg-buildpackage dh help2man lintian; do
        command -v $tool >/dev/null ||
            not_run "$tool is missing (apt-get install build-essential debhelper help2man lintian)"
    done
    # Build dependencies: dpkg-buildpackage checks them too, but say so
    # as "not installed" rather than as a failed build.
    missing=$(cd "$here" && dpkg-checkbuilddeps 2>&1) ||
        not_run "build dependencies missing: $missing"
fi

# The native package's version is the project's: a release that bumps one
# must bump the other (debian/changelog).
meson_version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$here/meson.build" | head -n 1)
deb_version=$(sed -n '1s/^srgan (\([^)]*\)).*/\1/p' "$here/debian/changelog")
[ -n "$meson_version" ] && [ "$deb_version" = "$meson_version" ] ||
    fail "debian/changelog says version '$deb_version', meson.build '$meson_version'"

work=$(mktemp -d /var/tmp/srgan-packages-$release.XXXXXX)
keep=${SRGAN_KEEP_PACKAGE_TEST:-}
cleanup() {
    if [ -n "$keep" ]; then echo "kept $work (the fresh root was a tmpfs, now gone)" >&2; fi
    ! mountpoint -q "$work/root" || umount "$work/root"
    [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/src/srgan" "$work/out"

# Runs a command (sh -c) in a root, in a private mount namespace, with
# /proc, /dev, a fresh /tmp, $work at /tmp/pkgtest and, when given, an apt
# archive cache.  env -i: nothing of the caller's environment leaks in.
in_root() {  # root archives-dir-or-empty command
    unshare --mount --propagation private sh -eu -c '
root=$1 work=$2 archives=$3 cmd=$4
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
mkdir "$root/tmp/pkgtest"
mount --bind "$work" "$root/tmp/pkgtest"
[ -z "$archives" ] || mount --bind "$archives" "$root/var/cache/apt/archives"
exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -eu -c "$cmd"
' sh "$1" "$work" "$2" "$3"
}

# --- 1. build ---------------------------------------------------------------
# The working tree as git sees it (tracked and new files, not ignored build
# folders), so uncommitted changes are tested too.
(cd "$here" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
    tar -cf - --null -T -) | tar -xf - -C "$work/src/srgan"
# noautodbgsym: the -dbgsym packages are not under test.
build_cmd='cd /tmp/pkgtest/src/srgan && DEB_BUILD_OPTIONS="noautodbgsym parallel=2" dpkg-buildpackage -us -uc -b'
say "building the packages (log: build.log)"
if [ "$release" = 12 ]; then
    (cd "$work/src/srgan" && DEB_BUILD_OPTIONS="noautodbgsym parallel=2" dpkg-buildpackage -us -uc -b) \
        >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; fail "dpkg-buildpackage failed"; }
    buildroot=/
else
    buildroot=$("$here/tests/debian13-rootfs.sh") || fail "the cached Debian 13 root could not be made"
    in_root "$buildroot" "" "$build_cmd" >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log" >&2; fail "dpkg-buildpackage failed in the Debian 13 root"; }
fi
mv "$work/src"/*.deb "$work/src"/*.changes "$work/src"/*.buildinfo "$work/out/"
debs=$(cd "$work/out" && ls *.deb)
for p in libsrgan0 libsrgan-dev srgan-models imagemagick-srgan gimp-plugin-srgan srgan-train; do
    echo "$debs" | grep -q "^${p}_" || fail "package $p was not built"
done
packages=$(for d in $debs; do echo "${d%%_*}"; done)
for d in $debs; do
    echo "    $d $(stat -c %s "$work/out/$d") bytes; Depends: $(dpkg-deb -f "$work/out/$d" Depends)"
done
say "built in $(($(date +%s) - start)) s"

# --- 2. lintian -----------------------------------------------------------
# --fail-on error,warning: every warning must be fixed or overridden with a
# reason in debian/*.lintian-overrides.
lintian_cmd='cd /tmp/pkgtest/out && lintian --fail-on error,warning --show-overrides --display-info --pedantic *.changes'
if [ "$release" = 12 ]; then
    (cd "$work/out" && lintian --fail-on error,warning --show-overrides --display-info --pedantic *.changes) \
        >"$work/lintian.log" 2>&1 && lrc=0 || lrc=$?
else
    in_root "$buildroot" "" "$lintian_cmd" >"$work/lintian.log" 2>&1 && lrc=0 || lrc=$?
fi
sed 's/^/    /' "$work/lintian.log"
[ "$lrc" = 0 ] || fail "lintian found errors or unexplained warnings (exit $lrc)"
say "lintian: $(grep -c '^[EW]: ' "$work/lintian.log" || true) errors/warnings, $(grep -c '^[IP]: ' "$work/lintian.log" || true) info/pedantic notes, $(grep -c '^O: ' "$work/lintian.log" || true) overridden (reasons in debian/*.lintian-overrides)"

# --- 3. a fresh minimal root ----------------------------------------------------
# The pristine tarball: debootstrap --variant=minbase, nothing else, made
# once (under a lock, so parallel runs do not make it twice).
pristine="$cache/pristine-$codename-minbase.tar"
mkdir -p "$cache"
(
    flock 9
    if [ ! -s "$pristine" ]; then
        mirror=${SRGAN_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p; s/^deb \(\[[^]]*\] \)*\([^ ]*\) .*/\2/p' \
            /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null | head -n 1)}
        mirror=${mirror:-http://deb.debian.org/debian}
        say "making the pristine $codename root $pristine (once)"
        rm -rf "$pristine.d"
        debootstrap --variant=minbase "$codename" "$pristine.d" "$mirror" >"$work/debootstrap.log" 2>&1 ||
            { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
        rm -f "$pristine.d"/var/cache/apt/archives/*.deb
        tar -C "$pristine.d" -cf "$pristine.tmp" .
        mv "$pristine.tmp" "$pristine"
        rm -rf "$pristine.d"
    fi
) 9>"$cache/.lock-pristine-$codename" || fail "debootstrap of $codename failed"

root="$work/root"
mkdir "$root"
mount -t tmpfs -o mode=0755 tmpfs "$root"
tar -C "$root" -xf "$pristine"
# The archive the packages were built against: the host's sources (Debian
# 12, with its updates and security suites) or the Debian 13 root's.
rm -f "$root/etc/apt/sources.list"
cp -a "$buildroot/etc/apt/sources.list.d/." "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ ! -f "$buildroot/etc/apt/sources.list" ] || cp "$buildroot/etc/apt/sources.list" "$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# A throw-away root: dpkg need not fsync every file.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/srgan-test-unsafe-io"
archives="$cache/apt-archives-$codename"
mkdir -p "$archives/partial"

# The tested commands: IM7's `magick` on Debian 13, IM6's `convert` on 12.
if [ "$release" = 12 ]; then
    im=convert identify=identify
    gimp_batch='gimp-console-2.10 -i'
else
    im=magick identify="magick identify"
    gimp_batch='gimp-console-3.0 -i --batch-interpreter=plug-in-script-fu-eval'
fi
cp "$here/tests/data/sample.png" "$work/sample.png"
echo "$packages" >"$work/packages"

say "installing into a fresh $codename root: $(echo $packages)"
t0=$(date +%s)
in_root "$root" "$archives" '
cd /tmp/pkgtest/out
apt-get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; echo "STEP apt-get update failed"; exit 1; }
debs=$(ls ./*.deb)
apt-get install -y -q --no-install-recommends $debs >/tmp/pkgtest/install.log 2>&1 ||
    { tail -n 30 /tmp/pkgtest/install.log; echo "STEP apt-get install ./*.deb failed (a missing or wrong Depends?)"; exit 1; }
' >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "$(grep STEP "$work/step.log" | sed 's/STEP //' || echo install)"; }
say "installed in $(($(date +%s) - t0)) s"

# --- 4. ImageMagick and GIMP, as a user runs them ---------------------------------
t0=$(date +%s)
in_root "$root" "$archives" "
cd /tmp/pkgtest
step() { echo \"STEP \$*\"; }
# Every tested command with a time limit, so a hang fails instead of waiting.
command -v $im >/dev/null ||
    { step '$im is not installed: imagemagick-srgan must pull in the ImageMagick command-line package'; exit 1; }
$im sample.png -crop 32x32+80+40 +repage in32.png || { step 'cropping the sample with $im failed'; exit 1; }
timeout 300 $im in32.png -process srgan out-im.png ||
    { step '$im in32.png -process srgan out-im.png failed'; exit 1; }
size=\$($identify -format '%wx%h' out-im.png)
[ \"\$size\" = 128x128 ] || { step \"ImageMagick's output is \$size, not 128x128\"; exit 1; }
echo \"ImageMagick: $im -process srgan: 32x32 -> \$size\"

mkdir -p gimp-in gimp-out /tmp/home
cp in32.png gimp-in/photo.png
HOME=/tmp/home timeout 300 $gimp_batch \
    -b '(begin (load \"/usr/share/srgan/gimp/srgan-batch.scm\") (srgan-batch-upscale \"/tmp/pkgtest/gimp-in\" \"/tmp/pkgtest/gimp-out\" 0))' \
    -b '(gimp-quit 0)' >gimp.log 2>&1 || { cat gimp.log; step 'the GIMP batch job failed'; exit 1; }
[ -f gimp-out/photo.png ] || { cat gimp.log; step 'the GIMP batch job wrote no gimp-out/photo.png'; exit 1; }
size=\$($identify -format '%wx%h' gimp-out/photo.png)
[ \"\$size\" = 128x128 ] || { step \"GIMP's output is \$size, not 128x128\"; exit 1; }
echo \"GIMP: srgan-batch-upscale: 32x32 -> \$size\"

# --- 5. purge: nothing may be left
mkdir lists
for p in \$(cat packages); do dpkg -L \$p >lists/\$p || { step \"dpkg -L \$p failed\"; exit 1; }; done
apt-get purge -y -q \$(cat packages) >purge.log 2>&1 || { cat purge.log; step 'apt-get purge failed'; exit 1; }
left=0
for p in \$(cat packages); do
    dpkg -s \$p >/dev/null 2>&1 && { echo \"\$p is still installed\"; left=1; }
    while read -r path; do
        [ \"\$path\" != /. ] || continue
        if [ -d \"\$path\" ] && [ ! -L \"\$path\" ]; then
            # A shared folder (/usr/lib, a locale folder) stays if another
            # package owns it; one only ours owned must be gone.
            dpkg-query -S \"\$path\" >/dev/null 2>&1 || { echo \"left behind: \$path/ (from \$p)\"; left=1; }
        elif [ -e \"\$path\" ] || [ -L \"\$path\" ]; then
            echo \"left behind: \$path (from \$p)\"; left=1
        fi
    done <lists/\$p
done
[ \$left = 0 ] || { step 'files of the purged packages are left'; exit 1; }
echo \"purge: $(echo $packages | wc -w) packages, \$(cat lists/* | wc -l) paths checked, none left\"
" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "$(grep STEP "$work/step.log" | sed 's/STEP //' || echo 'a test step')"; }
sed 's/^/    /' "$work/step.log"
say "ImageMagick, GIMP and purge checked in $(($(date +%s) - t0)) s"
say "passed in $(($(date +%s) - start)) s"
