#!/bin/sh
# homewardd's start, stop and reload (daemon/main.c, daemon/core/keyring.c),
# each checked by its exit code and its message:
#   - the options: --help, --version, -n on a good and on a bad
#     configuration, an unknown option, a stray argument;
#   - what stops a start: a wrong passphrase, a missing passphrase file, a
#     missing agency directory, a daemon key or prekeys.dat others may
#     read, a daemon key that is not one, a missing TLS key, a state_dir
#     under a file, a state_dir the daemon's user cannot write (as another
#     uid: and an agency directory it cannot write, which it starts with
#     and reports at each prekey check), a data.db that is not a
#     database, another agency's daemon key, a passphrase descriptor that
#     is not open, a port another daemon holds, a damaged peer directory;
#     a passphrase from a descriptor that is;
#   - the control socket: refused while a live daemon answers on it (which
#     goes on answering), removed when stale (after SIGKILL), removed by a
#     clean SIGTERM;
#   - SIGHUP: roles granted and changed take effect without a restart, a
#     broken file is refused and the roles in force kept, a broken agency
#     directory keeps the keys loaded, a damaged peer directory the peers
#     loaded.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/startup.XXXXXX")
. tests/integration/lib/agencies.sh
# Daemons started here rather than by agency_start are killed with the rest.
others() {
	for p in ${byfd_pid:-} ${ownro_pid:-}; do
		kill -KILL "$p" 2>/dev/null || true
	done
}
trap 'agencies_cleanup; others; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

OPERATOR=2931          # an operator's uid, not the daemon's
DAEMON_UID=2932        # a daemon run as its own user
chmod 755 "$T"

# expect CODE TEXT CMD...: CMD exits with CODE and says TEXT (on stdout or
# stderr, kept in $T/out).
expect() {
	code=$1
	text=$2
	shift 2
	rc=0
	"$@" >"$T/out" 2>&1 || rc=$?
	[ "$rc" = "$code" ] ||
	    fail "$* exited $rc, not $code: $(head -5 "$T/out")"
	grep -qF -- "$text" "$T/out" ||
	    fail "$* did not say \"$text\": $(head -5 "$T/out")"
}

# conf_with NAME NEW SED...: NAME's configuration edited into $T/NEW.conf.
conf_with() {
	src=$1
	new=$2
	shift 2
	sed "$@" "$T/$src.conf" >"$T/$new.conf"
}

# hup_and_wait: SIGHUP alpha and wait until it logged one more reload (or
# a refusal).
hup_and_wait() {
	before=$(grep -c "configuration reloaded\|reload refused" "$T/alpha.log" || true)
	kill -HUP "$(cat "$T/alpha.pid")"
	wait_for 20 sh -c "[ \$(grep -c 'configuration reloaded\|reload refused' \
	    '$T/alpha.log') -gt $before ]" || fail "alpha never reloaded"
}

step "options"
expect 0 "usage: homewardd [-n] [-f config]" "$HWD" --help
expect 0 "homewardd 0.1.0" "$HWD" --version
expect 2 "invalid option" "$HWD" -x
expect 2 "usage: homewardd" "$HWD" -f "$T/none.conf" stray
expect 2 "usage: homewardd" "$HWD" -f

step "-n checks a configuration without starting"
agency_new alpha listen
expect 0 "homewardd: $T/alpha.conf: configuration OK" "$HWD" -n -f "$T/alpha.conf"
[ ! -e "$T/alpha.sock" ] && [ ! -e "$T/alpha.state" ] ||
    fail "-n created the socket or the state directory"
# The bad line last: homewardd names a bad line elsewhere with the wrong
# message (see tests/unit/test_config.c, test_error_not_on_last_line).
cp "$T/alpha.conf" "$T/badlevel.conf"
printf '[daemon]\nlog_level = loud\n' >>"$T/badlevel.conf"
line=$(wc -l <"$T/badlevel.conf")
expect 1 "homewardd: $T/badlevel.conf:$line: bad value for log_level" \
    "$HWD" -n -f "$T/badlevel.conf"
expect 1 "homewardd: $T/missing.conf: No such file or directory" \
    "$HWD" -n -f "$T/missing.conf"
conf_with alpha nodir "s#^dir = .*#dir = $T/nowhere#"
expect 1 "cannot read $T/nowhere/agency.pub: No such file or directory" \
    "$HWD" -n -f "$T/nodir.conf"

step "what stops a start, and says so"
printf 'not the passphrase\n' >"$T/wrong.pass"
chmod 600 "$T/wrong.pass"
conf_with alpha wrongpass "s#^passphrase_file = .*#passphrase_file = $T/wrong.pass#"
expect 1 "$T/alpha/daemon.key: wrong passphrase" "$HWD" -f "$T/wrongpass.conf"
conf_with alpha nopass "s#^passphrase_file = .*#passphrase_file = $T/absent.pass#"
expect 1 "cannot read the daemon key passphrase" "$HWD" -f "$T/nopass.conf"
grep -q "$T/absent.pass: No such file or directory" "$T/out" ||
    fail "the missing passphrase file is not named: $(cat "$T/out")"
expect 1 "$T/nowhere: cannot load the agency directory" "$HWD" -f "$T/nodir.conf"
chmod 644 "$T/alpha/daemon.key"
expect 1 "$T/alpha/daemon.key: key file is readable by others" "$HWD" -f "$T/alpha.conf"
chmod 600 "$T/alpha/daemon.key"
chmod 640 "$T/alpha/prekeys.dat"
expect 1 "$T/alpha: cannot load the agency directory" "$HWD" -f "$T/alpha.conf"
grep -q "prekeys.dat: refused: group or others may access it" "$T/out" ||
    fail "prekeys.dat's mode is not named: $(cat "$T/out")"
chmod 600 "$T/alpha/prekeys.dat"
mv "$T/alpha/tls.key" "$T/tls.key.aside"
expect 1 "TLS: $T/alpha/tls.key: No such file or directory" "$HWD" -f "$T/alpha.conf"
mv "$T/tls.key.aside" "$T/alpha/tls.key"
: >"$T/plainfile"
conf_with alpha understate "s#^state_dir = .*#state_dir = $T/plainfile/state#"
expect 1 "$T/plainfile/state: Not a directory" "$HWD" -f "$T/understate.conf"
mkdir -m 700 "$T/junkstate"
head -c 8192 /dev/zero | tr '\0' 'x' >"$T/junkstate/data.db"
cp "$T/junkstate/data.db" "$T/junk.copy"
conf_with alpha junk "s#^state_dir = .*#state_dir = $T/junkstate#"
expect 1 "store: $T/junkstate/data.db: cannot set its pragmas" "$HWD" -f "$T/junk.conf"
cmp -s "$T/junkstate/data.db" "$T/junk.copy" || fail "a data.db that is not a database was changed"
agency_new beta
cp -rp "$T/alpha" "$T/mixed"
cp -p "$T/beta/daemon.key" "$T/mixed/daemon.key"
conf_with alpha mixed -e "s#^dir = .*#dir = $T/mixed#" \
    -e "s#^passphrase_file = .*#passphrase_file = $T/beta.pass#"
expect 1 "$T/mixed/daemon.key: the daemon key is not certified by this agency" \
    "$HWD" -f "$T/mixed.conf"
cp -rp "$T/alpha" "$T/garbled"
head -c 300 /dev/zero | tr '\0' 'k' >"$T/garbled/daemon.key"
conf_with alpha garbled "s#^dir = .*#dir = $T/garbled#"
expect 1 "$T/garbled/daemon.key: not a valid key file" "$HWD" -f "$T/garbled.conf"
# The passphrase from a descriptor: one that is not open.
conf_with alpha byfd "s#^passphrase_file = .*#passphrase_fd = 7#"
expect 1 "cannot read the daemon key passphrase" "$HWD" -f "$T/byfd.conf"
# None of these left a daemon behind or a socket that answers.
if hw alpha status >/dev/null 2>&1; then fail "a refused start answers on its socket"; fi

if [ "$(id -u)" = 0 ]; then
	step "a state directory the daemon's user cannot write"
	# The daemon as its own user, owning its keys; the state directory
	# root's.
	mkdir -m 700 "$T/own"
	cp -rp "$T/alpha" "$T/own/alpha"
	cp -p "$T/alpha.pass" "$T/own/alpha.pass"
	chown -R "$DAEMON_UID:$DAEMON_UID" "$T/own"
	mkdir -m 755 "$T/rootonly"
	conf_with alpha own -e "s#^dir = .*#dir = $T/own/alpha#" \
	    -e "s#^passphrase_file = .*#passphrase_file = $T/own/alpha.pass#" \
	    -e "s#^control_socket = .*#control_socket = $T/own/alpha.sock#" \
	    -e "s#^state_dir = .*#state_dir = $T/rootonly/state#" \
	    -e "/^listen/d"
	expect 1 "$T/rootonly/state: Permission denied" as "$DAEMON_UID" "$HWD" -f "$T/own.conf"
	# It exists, but is root's: the store cannot open its files.
	mkdir -m 755 "$T/rootonly/state"
	expect 1 "store: $T/rootonly/state/data.db: " as "$DAEMON_UID" "$HWD" -f "$T/own.conf"
	[ -z "$(ls "$T/rootonly/state")" ] || fail "files made in a state directory not ours"

	step "an agency directory the daemon's user cannot write"
	# It starts, and says (at start and at each prekey check) that
	# prekeys.dat could not be rewritten: an agency made ten days ago
	# needs new prekeys at once.
	INIT_NOW=$(($(date +%s) * 1000 - 10 * 86400000))
	agency_new aged
	unset INIT_NOW
	cp -rp "$T/aged" "$T/own/aged"
	cp -p "$T/aged.pass" "$T/own/aged.pass"
	mkdir -m 700 "$T/own/state"
	chown -R "$DAEMON_UID:$DAEMON_UID" "$T/own"
	chmod 500 "$T/own/aged"
	conf_with own ownro -e "s#^state_dir = .*#state_dir = $T/own/state#" \
	    -e "s#^dir = .*#dir = $T/own/aged#" \
	    -e "s#^passphrase_file = .*#passphrase_file = $T/own/aged.pass#" \
	    -e "/^\[delivery\]/a prekey_check_ms = 200"
	# setpriv itself, not the function: $! is the daemon's pid then.
	setpriv --reuid "$DAEMON_UID" --regid "$DAEMON_UID" --clear-groups \
	    "$HWD" -f "$T/ownro.conf" 2>"$T/ownro.log" &
	ownro_pid=$!
	# Its own uid holds every role; root holds none there.
	wait_for 30 as "$DAEMON_UID" "$HWCLI" -s "$T/own/alpha.sock" status ||
	    fail "no start with a read-only agency directory: $(tail -3 "$T/ownro.log")"
	wait_for 20 sh -c "[ \$(grep -c 'prekeys.dat not rewritten; will retry' \
	    '$T/ownro.log') -ge 2 ]" ||
	    fail "prekeys.dat's failed rewrite not reported and retried: $(tail -3 "$T/ownro.log")"
	kill -TERM "$ownro_pid"
	wait "$ownro_pid" || fail "homewardd exited $? on SIGTERM"
	ownro_pid=
	cmp -s "$T/aged/prekeys.dat" "$T/own/aged/prekeys.dat" ||
	    fail "prekeys.dat changed in a directory the daemon may not write"
fi

step "a live daemon keeps its socket; a second one is refused"
LOG_LEVEL=debug
agency_start alpha
conf_with alpha second -e "s#^state_dir = .*#state_dir = $T/second.state#" -e "/^listen/d"
expect 1 "control socket: another homewardd is running on $T/alpha.sock" \
    "$HWD" -f "$T/second.conf"
hw alpha status >/dev/null || fail "the first daemon stopped answering"
[ ! -e "$T/second.state" ] || fail "the refused daemon made its state directory"
# Another daemon, on a socket of its own but alpha's port.
conf_with beta beta2 -e "/^\[daemon\]/a listen = 127.0.0.1:$(port_of alpha)"
expect 1 "listen 127.0.0.1:$(port_of alpha): address already in use" "$HWD" -f "$T/beta2.conf"
hw alpha status >/dev/null || fail "alpha stopped answering"

step "the passphrase from a descriptor"
conf_with alpha byfd2 -e "s#^passphrase_file = .*#passphrase_fd = 7#" \
    -e "s#^control_socket = .*#control_socket = $T/byfd.sock#" \
    -e "s#^state_dir = .*#state_dir = $T/byfd.state#" -e "/^listen/d"
"$HWD" -f "$T/byfd2.conf" 7<"$T/alpha.pass" 2>"$T/byfd.log" &
byfd_pid=$!
wait_for 30 "$HWCLI" -s "$T/byfd.sock" status ||
    { kill -KILL "$byfd_pid"; fail "no start with passphrase_fd: $(tail -3 "$T/byfd.log")"; }
kill -TERM "$byfd_pid"
wait "$byfd_pid" || fail "homewardd exited $? on SIGTERM"

step "a stale socket is removed; a clean stop removes the socket"
agency_kill alpha
[ -S "$T/alpha.sock" ] || fail "SIGKILL should leave the socket behind"
agency_start alpha
grep -q "control: removed the stale socket $T/alpha.sock" "$T/alpha.log" ||
    fail "the stale socket's removal is not logged"
agency_stop alpha
[ ! -e "$T/alpha.sock" ] || fail "a clean stop left the socket"
grep -q "stopped" "$T/alpha.log" || fail "no clean stop logged"

step "SIGHUP: roles without a restart"
agency_start alpha
chmod 666 "$T/alpha.sock"
ROOT=$(id -u)
if [ "$ROOT" = 0 ]; then
	expect 1 "uid $OPERATOR has no role in $T/alpha.conf" as "$OPERATOR" \
	    "$HWCLI" -s "$T/alpha.sock" status
	printf '[roles]\n%s = auditor\n' "$OPERATOR" >>"$T/alpha.conf"
	hup_and_wait
	as "$OPERATOR" "$HWCLI" -s "$T/alpha.sock" status >/dev/null ||
	    fail "the auditor role was not taken up on SIGHUP"
	expect 1 "changing the log level needs the role supervisor" as "$OPERATOR" \
	    "$HWCLI" -s "$T/alpha.sock" log-level debug
	sed -i "s/^$OPERATOR = auditor/$OPERATOR = supervisor/" "$T/alpha.conf"
	hup_and_wait
	as "$OPERATOR" "$HWCLI" -s "$T/alpha.sock" log-level debug >/dev/null ||
	    fail "the supervisor role was not taken up on SIGHUP"
fi

step "SIGHUP: a broken file is refused, the roles in force kept"
cp "$T/alpha.conf" "$T/alpha.conf.good"
printf '[delivery]\nretry_min_ms = soon\n' >>"$T/alpha.conf"
line=$(wc -l <"$T/alpha.conf")
hup_and_wait
grep -q "reload refused: $T/alpha.conf:$line: " "$T/alpha.log" ||
    fail "the refused reload does not name the line: $(tail -3 "$T/alpha.log")"
if [ "$ROOT" = 0 ]; then
	as "$OPERATOR" "$HWCLI" -s "$T/alpha.sock" log-level info >/dev/null ||
	    fail "a refused reload dropped the roles in force"
fi
cp "$T/alpha.conf.good" "$T/alpha.conf"

step "SIGHUP: an unreadable agency directory keeps the keys loaded"
fp=$(status_of alpha fingerprint)
chmod 644 "$T/alpha/prekeys.dat"
hup_and_wait
grep -q "reload: agency directory unreadable; keeping what was loaded" "$T/alpha.log" ||
    fail "the unreadable agency directory is not reported"
[ "$(status_of alpha fingerprint)" = "$fp" ] || fail "the keys changed on a failed reload"
chmod 600 "$T/alpha/prekeys.dat"
hup_and_wait

step "a damaged peer directory: kept on SIGHUP, and it stops a start"
hw alpha peers import "$T/beta.bundle" --fingerprint "$(fingerprint_of beta)" \
    >/dev/null || fail "alpha cannot import beta"
sqlite3 "$T/alpha.state/data.db" "UPDATE peers SET bundle = X''"
hup_and_wait
grep -q "reload: peer directory not reloaded" "$T/alpha.log" ||
    fail "the damaged peer directory is not reported on reload"
[ "$(hw alpha peers --json | jq -r '.peers[0].agency_id')" = beta ] ||
    fail "the peers loaded before the reload were dropped"
agency_stop alpha
expect 1 "peer directory: Bad message" "$HWD" -f "$T/alpha.conf"
echo "startup: all checks passed"
