#!/bin/sh
# make deb: build the Debian package from this tree as Debian builds it
# (dpkg-buildpackage -us -uc -b on a copy of the tree, so that nothing is
# written beside the checkout), then check it with lintian.  The .deb and
# the lintian report land in $BUILD/deb/.  Installs what it needs first.
set -eu
BUILD=${BUILD:-build}
OUT=$BUILD/deb
VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null ||
    sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)

need="dpkg-dev debhelper fakeroot lintian"
missing=""
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "deb: installing:$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
	    --no-install-recommends $missing
fi
./scripts/deps.sh >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT/homeward-$VERSION"
# The tree as it is (committed or not), without build output or git.
tar --exclude=./.git --exclude='./build*' --exclude=./debian/build \
    -cf - . | tar -C "$OUT/homeward-$VERSION" -xf -
(cd "$OUT/homeward-$VERSION" && dpkg-buildpackage -us -uc -b) \
    >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
DEB=$(ls "$OUT"/homeward_"$VERSION"_*.deb)
echo "deb: $DEB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p'
# Errors fail the build; warnings are printed for whoever reads the log.
if lintian --fail-on error --info "$DEB" >"$OUT/lintian.txt" 2>&1; then
	echo "deb: lintian: no errors ($(grep -c '^W:' "$OUT/lintian.txt" || true) warnings)"
	cat "$OUT/lintian.txt"
else
	cat "$OUT/lintian.txt"
	echo "deb: lintian found errors" >&2
	exit 1
fi
