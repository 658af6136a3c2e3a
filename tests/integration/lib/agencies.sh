# Shared by the integration scripts that run real daemons (sourced, not run):
# synthetic agencies made with homeward-keys, their configuration, daemons
# started on 127.0.0.1 with ports and sockets of their own in $T, and the
# CLI pointed at each.  The caller sets BUILD and T (a temporary directory)
# and removes T itself; agencies_cleanup stops every daemon started here.
#
#   agency_new NAME [listen] keys and config in $T/NAME*; "listen": with a
#                            listener on a port of its own (port_of), else
#                            none (TZONE: its time zone; EXTRA_CONF: lines
#                            appended to its configuration)
#   agency_start NAME        start homewardd, wait until it answers; on
#                            another port if its own is taken (agency_move)
#   port_of NAME             the port NAME listens on (it may change at start)
#   agency_stop NAME         SIGTERM, wait for it to exit
#   agency_kill NAME         SIGKILL, wait for it to exit
#   hw NAME ARGS...          the CLI against NAME's daemon
#   as UID CMD...            run CMD as another operator (uid and gid UID)
#   pair A B                 each imports the other's bundle, fingerprint confirmed
#   wait_for SECONDS CMD...  poll CMD every 0.1 s until it succeeds
#   status_of NAME FIELD     one field of `homeward status --json`
#   sanitized                homewardd was built with AddressSanitizer
#
# The programs find this build's message catalogues (HOMEWARD_LOCALEDIR)
# and speak English: LANGUAGE is unset here.
#
# Ports: no choice made here can be sure that nobody else takes the port
# before the daemon binds it, so agency_start checks: a daemon that exits
# with "address already in use" is started again on another port, up to
# PORT_TRIES times.  PORT_FIRST (a test's, e.g. ports.sh): ports to take
# first, in order, before random ones.

KEYS=$BUILD/homeward-keys
HWD=$BUILD/homewardd
HWCLI=$BUILD/homeward
# The catalogues of this build (po/); the tests expect English, so no
# LANGUAGE from the caller's environment: i18n.sh asks for a language
# command by command.
HOMEWARD_LOCALEDIR=$BUILD/locale
export HOMEWARD_LOCALEDIR
unset LANGUAGE
# Ports are drawn at random from 10000-19999: below the kernel's ephemeral
# range (Linux: 32768-60999), where connect() takes its local ports, so no
# outgoing connection on the machine can take a daemon's port while the
# daemon restarts; and below 20000, out of the way of other checkouts
# whose suites still take fixed ports from 20000 up.
PORT_LO=${PORT_LO:-10000}
PORT_HI=${PORT_HI:-19999}
PORT_TRIES=${PORT_TRIES:-20}
PORT_FIRST=${PORT_FIRST:-}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }

# port_pick: a port for a listener, in $picked (not printed: a command
# substitution's subshell could not take it off PORT_FIRST): the next of
# PORT_FIRST, else a random one that no agency of this run has.
port_pick() {
	if [ -n "$PORT_FIRST" ]; then
		# shellcheck disable=SC2086
		set -- $PORT_FIRST
		picked=$1
		shift
		PORT_FIRST=$*
		return 0
	fi
	while :; do
		rnd=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		picked=$((PORT_LO + rnd % (PORT_HI - PORT_LO + 1)))
		cat "$T"/*.port 2>/dev/null | grep -qx "$picked" || return 0
	done
}

port_of() {
	cat "$T/$1.port"
}

# conf_edit FILE SED-SCRIPT: edit FILE in place (sed -i is not POSIX).
conf_edit() {
	sed "$2" "$1" >"$1.tmp" && cat "$1.tmp" >"$1" && rm -f "$1.tmp"
}

# peer_endpoint FILE NAME PORT: FILE's configuration dials NAME at PORT,
# whatever NAME's bundle says ([peers] wins, homewardd.conf(5)); an earlier
# line of ours for NAME goes, since the first one would win.
peer_endpoint() {
	conf_edit "$1" "/^$2 = 127\.0\.0\.1:[0-9]*\$/d"
	printf '[peers]\n%s = 127.0.0.1:%s\n' "$2" "$3" >>"$1"
}

agency_new() {
	name=$1
	port=
	if [ -n "${2:-}" ]; then
		port_pick
		port=$picked
		echo "$port" >"$T/$name.port"
	fi
	printf 'synthetic root passphrase of %s\n' "$name" >"$T/$name.rik"
	printf 'synthetic daemon passphrase of %s\n' "$name" >"$T/$name.pass"
	chmod 600 "$T/$name.rik" "$T/$name.pass"
	if [ -n "$port" ]; then
		set -- --endpoint "127.0.0.1:$port"
	else
		set --
	fi
	# INIT_NOW (ms): make the keys as if at that time (homeward-keys --now).
	"$KEYS" ${INIT_NOW:+--now "$INIT_NOW"} init --dir "$T/$name" \
	    --agency-id "$name" --name "Agency $name" \
	    --country CI --time-zone "${TZONE:-Africa/Abidjan}" "$@" \
	    --rik-passphrase-file "$T/$name.rik" \
	    --passphrase-file "$T/$name.pass" >"$T/$name.init" 2>&1 ||
	    { cat "$T/$name.init" >&2; fail "init $name"; }
	{
		echo "[agency]"
		echo "dir = $T/$name"
		echo "passphrase_file = $T/$name.pass"
		echo "[daemon]"
		echo "state_dir = $T/$name.state"
		echo "control_socket = $T/$name.sock"
		echo "test_documents = yes"
		[ -z "$port" ] || echo "listen = 127.0.0.1:$port"
		echo "log_level = ${LOG_LEVEL:-info}"
		echo "[delivery]"
		echo "retry_min_ms = ${RETRY_MIN_MS:-400}"
		echo "retry_max_ms = ${RETRY_MAX_MS:-3000}"
		echo "dial_min_ms = 100"
		echo "dial_max_ms = ${DIAL_MAX_MS:-1500}"
		echo "heartbeat_ms = 1000"
		echo "idle_timeout_ms = 4000"
		[ -z "${PREKEY_CHECK_MS:-}" ] || echo "prekey_check_ms = $PREKEY_CHECK_MS"
		[ -z "${EXTRA_CONF:-}" ] || printf '%s\n' "$EXTRA_CONF"
	} >"$T/$name.conf"
	# Agencies that had to move before this one was made.
	for other in ${AGENCIES:-}; do
		[ ! -f "$T/$other.moved" ] ||
		    peer_endpoint "$T/$name.conf" "$other" "$(port_of "$other")"
	done
	"$KEYS" export --dir "$T/$name" -o "$T/$name.bundle" >/dev/null 2>&1 ||
	    fail "export $name"
	AGENCIES="${AGENCIES:-} $name"
}

as() {
	uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"
}

hw() {
	name=$1
	shift
	"$HWCLI" -s "$T/$name.sock" "$@"
}

wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

# agency_up NAME: NAME's daemon answers, or has exited (the shell reaps
# an exited child while it waits for a command it runs, so kill -0 then
# fails).
agency_up() {
	hw "$1" status || ! kill -0 "$(cat "$T/$1.pid")"
}

agency_start() {
	name=$1
	tries=1
	: >>"$T/$name.log"
	while :; do
		# Only this attempt's lines count: an earlier start may have logged
		# the same error.
		log_from=$(($(wc -l <"$T/$name.log") + 1))
		"$HWD" -f "$T/$name.conf" 2>>"$T/$name.log" &
		echo $! >"$T/$name.pid"
		wait_for 30 agency_up "$name" && hw "$name" status >/dev/null 2>&1 &&
		    return 0
		if [ -f "$T/$name.port" ] && [ "$tries" -lt "$PORT_TRIES" ] &&
		    ! kill -0 "$(cat "$T/$name.pid")" 2>/dev/null &&
		    tail -n "+$log_from" "$T/$name.log" | grep -q "address already in use"; then
			agency_reap "$name"
			agency_move "$name"
			tries=$((tries + 1))
			continue
		fi
		tail -20 "$T/$name.log" >&2
		fail "homewardd $name did not start"
	done
}

# agency_move NAME: another program holds NAME's port; NAME gets another.
# Its bundle keeps naming the old one (partners may have pinned it
# already, and new keys would change its fingerprint), so every other
# agency is told in its configuration, and a running daemon reloads it.
agency_move() {
	old=$(port_of "$1")
	port_pick
	printf 'agencies.sh: 127.0.0.1:%s is taken; %s moves to %s\n' \
	    "$old" "$1" "$picked" >&2
	conf_edit "$T/$1.conf" "s/^listen = 127\.0\.0\.1:$old\$/listen = 127.0.0.1:$picked/"
	echo "$picked" >"$T/$1.port"
	: >"$T/$1.moved"
	for other in ${AGENCIES:-}; do
		[ "$other" != "$1" ] || continue
		peer_endpoint "$T/$other.conf" "$1" "$picked"
		[ ! -f "$T/$other.pid" ] || kill -HUP "$(cat "$T/$other.pid")"
	done
}

# Wait for a daemon's process to end (it is our child: wait works).
agency_reap() {
	pid=$(cat "$T/$1.pid")
	wait "$pid" 2>/dev/null || true
	rm -f "$T/$1.pid"
}

agency_stop() {
	[ -f "$T/$1.pid" ] || return 0
	kill -TERM "$(cat "$T/$1.pid")" 2>/dev/null || true
	agency_reap "$1"
}

agency_kill() {
	[ -f "$T/$1.pid" ] || return 0
	kill -KILL "$(cat "$T/$1.pid")" 2>/dev/null || true
	agency_reap "$1"
}

agencies_cleanup() {
	for a in ${AGENCIES:-}; do
		[ -f "$T/$a.pid" ] && kill -KILL "$(cat "$T/$a.pid")" 2>/dev/null
	done
	return 0
}

fingerprint_of() {
	"$KEYS" fingerprint --dir "$T/$1" --json | jq -r .fingerprint
}

pair() {
	hw "$1" peers import "$T/$2.bundle" --fingerprint "$(fingerprint_of "$2")" \
	    >/dev/null || fail "$1 cannot import $2"
	hw "$2" peers import "$T/$1.bundle" --fingerprint "$(fingerprint_of "$1")" \
	    >/dev/null || fail "$2 cannot import $1"
}

status_of() {
	hw "$1" status --json | jq -r ".$2"
}

# peer_connected NAME PEER: NAME shows PEER connected.
# sanitized: homewardd is built with AddressSanitizer, whose padding,
# quarantine and shadow make process sizes and memory scans meaningless.
sanitized() { ldd "$HWD" 2>/dev/null | grep -q libasan; }

peer_connected() {
	[ "$(hw "$1" peers --json | jq -r ".peers[] | select(.agency_id == \"$2\") | .connected")" = true ]
}

# all_acked NAME: nothing waits for a receipt.
all_acked() {
	[ "$(status_of "$1" outbox_unacked)" = 0 ]
}
