#!/bin/sh
# What `make install` lays down (issue 12), checked without touching the
# machine: everything goes under a temporary DESTDIR.
#   - homewardd in sbin/, the CLIs in bin/, the man pages, the systemd
#     unit (pointing at the sbin/ it was installed to), sysusers.d and
#     tmpfiles.d entries, and under share/homeward/ the example
#     configuration, the .proto schemas and one example document per step;
#   - the unit's hardening: `systemd-analyze security --offline=true`
#     exposure at most 2.5 (where systemd-analyze exists);
#   - each example document is one the CLI accepts for its step;
#   - the example configuration, with this run's paths, passes homewardd -n;
#   - homewardd -n refuses a control_group its user is not in, and says
#     how to fix it (run as root only: it needs another user);
#   - readiness: with NOTIFY_SOCKET set, the daemon says READY=1 once it
#     answers, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at
#     SIGTERM (systemd's side played by tests/tools/notifyrecv).
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/install.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
NOTIFY_PID=
trap 'agencies_cleanup; [ -z "$NOTIFY_PID" ] || kill "$NOTIFY_PID" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

R=$T/root
step "make install into a DESTDIR, PREFIX=/usr"
make -s --no-print-directory install BUILD="$BUILD" DESTDIR="$R" PREFIX=/usr \
    >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in usr/sbin/homewardd usr/bin/homeward usr/bin/homeward-keys \
    usr/lib/systemd/system/homewardd.service usr/lib/sysusers.d/homeward.conf \
    usr/lib/tmpfiles.d/homeward.conf usr/share/homeward/homewardd.conf.example \
    usr/share/homeward/proto/referral.proto usr/share/homeward/proto/control.proto \
    usr/share/homeward/examples/request.json \
    usr/share/homeward/examples/reintegration.json \
    usr/share/homeward/examples/reintegration-confirm.json \
    usr/share/homeward/examples/itinerary.json \
    usr/share/man/man8/homewardd.8 usr/share/man/man5/homewardd.conf.5 \
    usr/share/man/man1/homeward.1 usr/share/man/man1/homeward-keys.1 \
    usr/share/locale/fr/LC_MESSAGES/homeward.mo \
    usr/share/locale/ar/LC_MESSAGES/homeward.mo; do
	[ -f "$R/$f" ] || fail "make install did not install $f"
done
[ ! -e "$R/usr/bin/homewardd" ] || fail "homewardd is in bin/, not sbin/"
[ -d "$R/etc/homeward" ] || fail "no /etc/homeward for the configuration"
UNIT=$R/usr/lib/systemd/system/homewardd.service
grep -q '^ExecStart=/usr/sbin/homewardd -f /etc/homeward/homewardd.conf$' "$UNIT" ||
    fail "the unit does not start the installed homewardd"
grep -q '^Type=notify$' "$UNIT" || fail "the unit does not wait for readiness"
grep -q '^u homeward ' "$R/usr/lib/sysusers.d/homeward.conf" ||
    fail "no service user in sysusers.d"
# Another PREFIX moves the unit's paths with it.
make -s --no-print-directory install BUILD="$BUILD" DESTDIR="$T/local" \
    >/dev/null 2>&1 || fail "make install (default PREFIX)"
grep -q '^ExecStart=/usr/local/sbin/homewardd ' \
    "$T/local/usr/local/lib/systemd/system/homewardd.service" ||
    fail "PREFIX=/usr/local: the unit still names /usr/sbin"

step "the unit's exposure is at most 2.5"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze security --offline=true --threshold=25 "$UNIT" \
	    >"$T/exposure.txt" 2>&1 || { tail -3 "$T/exposure.txt"; fail "exposure over 2.5"; }
	grep "Overall exposure" "$T/exposure.txt"
else
	echo "(no systemd-analyze here: skipped)"
fi

step "each example document is accepted for its step"
EX=$R/usr/share/homeward/examples
# The CLI checks the document before it looks for the daemon: reaching the
# missing socket means the document passed.
example_ok() {
	if out=$("$HWCLI" -s "$T/no.sock" "$@" 2>&1); then fail "no daemon, yet: $*"; fi
	case $out in
	*"is homewardd running?"*) ;;
	*) fail "example refused: $* -> $out" ;;
	esac
}
example_ok request send CI-INST-1 --to ml-bamako --file "$EX/request.json"
example_ok reintegration request CI-INST-1 --file "$EX/reintegration.json"
example_ok reintegration confirm CI-INST-1 --file "$EX/reintegration-confirm.json"
example_ok departure plan CI-INST-1 --file "$EX/itinerary.json"

step "the example configuration, with this run's paths, passes homewardd -n"
agency_new ci-inst
GROUP=$(id -gn)
sed -e "s|^dir = .*|dir = $T/ci-inst|" \
    -e "s|^passphrase_file = .*|passphrase_file = $T/ci-inst.pass|" \
    -e "s|^state_dir = .*|state_dir = $T/ci-inst.state|" \
    -e "s|^control_socket = .*|control_socket = $T/ci-inst.sock|" \
    -e "s|^control_group = .*|control_group = $GROUP|" \
    "$R/usr/share/homeward/homewardd.conf.example" >"$T/example.conf"
expect 0 "$HWD" -n -f "$T/example.conf"
prints "configuration OK"

step "homewardd -n refuses a control_group its user is not in"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
    id nobody >/dev/null 2>&1; then
	chmod 0755 "$T"
	chmod 0644 "$T/example.conf"
	expect 1 setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
	    "$HWD" -n -f "$T/example.conf"
	says "control_group: user nobody is not in group $GROUP"
	says "usermod -a -G $GROUP nobody"
	chmod 0700 "$T"
else
	echo "(not root: skipped)"
fi

step "readiness, reload and stop reach the service manager"
"$BUILD/tests/tools/notifyrecv" "$T/notify" >"$T/notify.out" 2>&1 &
NOTIFY_PID=$!
wait_for 10 test -S "$T/notify" || fail "notifyrecv did not start"
NOTIFY_SOCKET=$T/notify
export NOTIFY_SOCKET
agency_start ci-inst
unset NOTIFY_SOCKET
wait_for 10 grep -q '^READY=1$' "$T/notify.out" || fail "no READY=1: $(cat "$T/notify.out")"
kill -HUP "$(cat "$T/ci-inst.pid")"
wait_for 10 grep -q '^RELOADING=1$' "$T/notify.out" || fail "no RELOADING=1"
wait_for 10 sh -c "[ \$(grep -c '^READY=1\$' '$T/notify.out') -ge 2 ]" ||
    fail "no READY=1 after the reload"
agency_stop ci-inst
wait_for 10 grep -q '^STOPPING=1$' "$T/notify.out" || fail "no STOPPING=1"
wait "$NOTIFY_PID" 2>/dev/null || true
NOTIFY_PID=

echo "install: all checks passed ($CHECKS CLI checks)"
