#!/bin/sh
# Install the Debian packages Homeward's build and tests need: only what is
# missing, so running it again does nothing.  Nothing is downloaded from
# anywhere but the system's apt sources.
set -eu

PACKAGES="pkg-config make gcc clang libsodium-dev libuv1-dev libssl-dev
libsqlite3-dev sqlite3 libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
libcmocka-dev libinih-dev libjansson-dev libsystemd-dev libclang-rt-14-dev lcov tzdata
openssl procps jq man-db groff-base faketime gettext libcairo2-dev
libpango1.0-dev poppler-utils fonts-noto-core fonts-dejavu-core"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: not root and no sudo; install as root:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
