#!/bin/sh
# The package on a fresh Debian 12, as a new office would meet it: a
# debootstrap minbase root with only build-essential and git added, where
#   1. the source is cloned and `make deb` builds the package (installing
#      its build dependencies itself) and lintian checks it;
#   2. the .deb is installed with apt (its dependencies from Debian);
#   3. the service user, group and directories exist (sysusers, tmpfiles);
#   4. an agency is made as the service user, the example configuration
#      adapted, `homewardd -n` accepts it;
#   5. homewardd runs as the service user with the unit's settings that a
#      chroot can give (systemd itself cannot run here: the unit's
#      hardening is checked offline by systemd-analyze), and `homeward
#      check` answers.
# Not part of `make test` (it downloads a Debian root: minutes).  Needs
# root, debootstrap and network access to a Debian mirror.
#   scripts/fresh-debian.sh [ROOT]     (default build/fresh-debian)
set -eu
ROOT=${1:-build/fresh-debian}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SRC=$(pwd)

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian: run as root" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }

say() { printf '\n=== %s\n' "$*"; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
cleanup() {
	for m in proc dev/pts dev sys; do
		umount "$ROOT/$m" 2>/dev/null || true
	done
}
trap cleanup EXIT

say "0. a Debian 12 minbase root in $ROOT, plus build-essential and git"
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	rm -rf "$ROOT"
	debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 ||
	    { tail -20 "$ROOT.log"; exit 1; }
fi
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t sysfs sys "$ROOT/sys"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
in_root apt-get update -q >/dev/null
in_root apt-get install -y -q --no-install-recommends build-essential git \
    ca-certificates >/dev/null

say "1. clone and make deb"
rm -rf "$ROOT/src"
git clone -q "$SRC" "$ROOT/src/homeward"
in_root sh -c 'cd /src/homeward && make deb' | tail -25

say "2. apt install the package"
DEB=$(cd "$ROOT/src/homeward" && ls build/deb/homeward_*_*.deb)
in_root apt-get install -y -q "/src/homeward/$DEB" | tail -3
in_root dpkg -s homeward | sed -n '/^Status/p;/^Depends/p'

say "3. the service user, group and directories"
in_root getent passwd homeward
in_root getent group homeward-operators
in_root ls -ld /var/lib/homeward /usr/lib/systemd/system/homewardd.service \
    /lib/systemd/system/homewardd.service 2>/dev/null || true

say "4. an agency, the example configuration, homewardd -n"
printf 'root passphrase of the fresh agency\n' >"$ROOT/root/rik.pass"
printf 'daemon passphrase of the fresh agency\n' >"$ROOT/etc/homeward/passphrase"
chmod 0600 "$ROOT/root/rik.pass" "$ROOT/etc/homeward/passphrase"
# The daemon reads the passphrase where systemd would hand it over.
mkdir -p "$ROOT/run/credentials/homewardd.service"
cp "$ROOT/etc/homeward/passphrase" "$ROOT/run/credentials/homewardd.service/passphrase"
in_root chown -R homeward:homeward /run/credentials/homewardd.service
cp "$ROOT/root/rik.pass" "$ROOT/var/lib/homeward/rik.pass"
in_root chown homeward:homeward /var/lib/homeward/rik.pass
in_root setpriv --reuid homeward --regid homeward --init-groups \
    homeward-keys init --dir /var/lib/homeward/agency --agency-id ci-fresh \
    --name "Fresh office" --country CI --time-zone Africa/Abidjan \
    --endpoint 127.0.0.1:7400 --rik-passphrase-file /var/lib/homeward/rik.pass \
    --passphrase-file /run/credentials/homewardd.service/passphrase
rm -f "$ROOT/var/lib/homeward/rik.pass"
# The operator here is root (a chroot has no other login).
sed -e 's|^listen = .*|listen = 127.0.0.1:0|' -e 's|^;amina = supervisor$|root = supervisor|' \
    "$ROOT/usr/share/homeward/homewardd.conf.example" \
    >"$ROOT/etc/homeward/homewardd.conf"
in_root setpriv --reuid homeward --regid homeward --init-groups \
    homewardd -n -f /etc/homeward/homewardd.conf

say "5. homewardd as the service user; homeward check"
mkdir -p "$ROOT/run/homeward"
in_root chown homeward:homeward /run/homeward
in_root sh -c 'ulimit -c 0; umask 077; exec setpriv --reuid homeward \
    --regid homeward --init-groups --no-new-privs --bounding-set=-all \
    homewardd -f /etc/homeward/homewardd.conf' 2>"$ROOT.daemon.log" &
DPID=$!
i=0
until in_root homeward check >/dev/null 2>&1 || [ $i -ge 100 ]; do
	i=$((i + 1)); sleep 0.2
done
rc=0
in_root homeward check || rc=$?
in_root homeward status | head -4
kill "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
echo "homeward check exit status: $rc"
systemd-analyze security --offline=true \
    "$ROOT/lib/systemd/system/homewardd.service" 2>&1 | tail -1
[ "$rc" -eq 0 ] || { cat "$ROOT.daemon.log"; exit 1; }
echo "fresh-debian: the package built, installed and ran on a fresh Debian 12"
