# debian-common.sh — sourced by setup-debian.sh and test-debian.sh (README's
# two commands): which Debian release this is, and how to run a command as
# root or as the user who owns the checkout.  POSIX sh.

# The release decides the package names: Debian 12 (bookworm) has GIMP 2.10
# and ImageMagick 6, Debian 13 (trixie) GIMP 3.0 and ImageMagick 7.
codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
case $codename in
bookworm)
    gimp_dev=libgimp2.0-dev magick_dev=libmagickcore-dev magick_cli=convert ;;
trixie)
    gimp_dev=libgimp-3.0-dev magick_dev=libmagickcore-7.q16-dev magick_cli=magick ;;
*)
    echo "$0: this is '${codename:-an unknown system}', not Debian 12 (bookworm) or 13 (trixie)" >&2
    exit 1 ;;
esac

# Root's commands: directly when we are root (a fresh Debian's root shell has
# no sudo), else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "$0: '$*' needs root, and sudo is not installed: run this as root" >&2
        exit 1
    fi
}

# The user's commands (building, upscaling) run as the owner of the
# checkout, so that build/ never becomes root's: a root-owned build/ breaks
# a later `meson test` or `meson compile` by that user.  That is the user
# who typed the command, also under `sudo tests/setup-debian.sh`.
owner_uid=$(stat -c %u .)
owner=$(stat -c %u:%g .)
as_user() {
    if [ "$(id -u)" -ne 0 ] || [ "$owner_uid" -eq 0 ]; then
        "$@"
    else
        # Root in a user's checkout (sudo tests/setup-debian.sh): act as them.
        home=$(getent passwd "$owner_uid" | cut -d: -f6 || true)
        groups=--init-groups
        [ -n "$home" ] || groups=--clear-groups   # a uid without a passwd entry
        setpriv --reuid="$owner_uid" --regid="$(stat -c %g .)" "$groups" \
            env HOME="${home:-$PWD}" "$@"
    fi
}

# apt-get as root, without questions (sudo drops DEBIAN_FRONTEND: pass it).
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}
