#!/bin/sh
# Called from debian/rules (execute_before_dh_gencontrol).  Writes the
# substitution variables that tie the ImageMagick module and the GIMP
# plug-in to the release they were built for:
#   ${magick:Depends}  the MagickCore library package, limited to the
#                      upstream version whose module folder the module is
#                      in, and the Q16 command-line package (magick/convert);
#   ${magick:Enhances} that command-line package;
#   ${gimp:Depends}    the GIMP whose plug-in folder holds the plug-in.
set -eu

fail() { echo "debian/substvars.sh: $*" >&2; exit 1; }

# --- ImageMagick: .../ImageMagick-X.Y.Z/modules-Q16/filters/srgan.so
module=$(find debian/imagemagick-srgan -name srgan.so -path '*/filters/*')
[ -n "$module" ] || fail "no srgan.so under debian/imagemagick-srgan"
magick_dir_version=$(echo "$module" | sed -n 's|.*/ImageMagick-\([0-9][0-9.]*\)/modules-.*|\1|p')
[ -n "$magick_dir_version" ] || fail "cannot read ImageMagick's version from $module"
# The MagickCore library the module links (libMagickCore-6.Q16.so.6 or
# libMagickCore-7.Q16.so.10) and the package that ships it here.
magick_soname=$(objdump -p "$module" | awk '$1 == "NEEDED" && $2 ~ /^libMagickCore/ { print $2 }')
[ -n "$magick_soname" ] || fail "$module does not link libMagickCore"
magick_pkg=$(dpkg-query -S "/usr/lib/$DEB_HOST_MULTIARCH/$magick_soname" | head -n 1 | sed 's/:.*//')
[ -n "$magick_pkg" ] || fail "no package ships /usr/lib/$DEB_HOST_MULTIARCH/$magick_soname"
magick_epoch=$(dpkg-query -W -f '${Version}' "$magick_pkg" | sed -n 's/^\([0-9]*\):.*/\1:/p')
# Next upstream version X.Y.(Z+1): ImageMagick moves its module folder then.
magick_next=$(echo "$magick_dir_version" | awk -F. '{ printf "%s.%s.%d", $1, $2, $3 + 1 }')
# libmagickcore-6.q16-6 -> imagemagick-6.q16 (the package of convert-im6.q16,
# which registers the convert alternative; on 13 magick-im7.q16 and magick).
magick_cli=$(echo "$magick_pkg" | sed 's/^libmagickcore-\(.*\)-[0-9]*$/imagemagick-\1/')
[ "$magick_cli" != "$magick_pkg" ] || fail "unexpected MagickCore package name $magick_pkg"

echo "magick:Depends=$magick_pkg (>= $magick_epoch$magick_dir_version), $magick_pkg (<< $magick_epoch$magick_next~), $magick_cli" \
    >>debian/imagemagick-srgan.substvars
echo "magick:Enhances=$magick_cli" >>debian/imagemagick-srgan.substvars

# --- GIMP: .../gimp/2.0/plug-ins/srgan/srgan (GIMP 2.10) or
# .../gimp/3.0/plug-ins/srgan/srgan (GIMP 3.x)
plugin=$(find debian/gimp-plugin-srgan -path '*/plug-ins/srgan/srgan' -type f)
[ -n "$plugin" ] || fail "no plug-ins/srgan/srgan under debian/gimp-plugin-srgan"
case $plugin in
    */gimp/2.0/plug-ins/*) gimp_depends="gimp (>= 2.10), gimp (<< 2.99)";;
    */gimp/3.0/plug-ins/*) gimp_depends="gimp (>= 3.0~), gimp (<< 4~)";;
    *) fail "unknown GIMP plug-in folder: $plugin";;
esac
echo "gimp:Depends=$gimp_depends" >>debian/gimp-plugin-srgan.substvars
