# Shared by the integration scripts that run real daemons (sourced, not run):
# synthetic agencies made with homeward-keys, their configuration, daemons
# started on 127.0.0.1 with ports and sockets of their own in $T, and the
# CLI pointed at each.  The caller sets BUILD and T (a temporary directory)
# and removes T itself; agencies_cleanup stops every daemon started here.
#
#   agency_new NAME [PORT]   keys and config in $T/NAME*; no PORT: no listener
#                            (TZONE: its time zone; EXTRA_CONF: lines appended
#                            to its configuration)
#   agency_start NAME        start homewardd, wait until it answers
#   agency_stop NAME         SIGTERM, wait for it to exit
#   agency_kill NAME         SIGKILL, wait for it to exit
#   hw NAME ARGS...          the CLI against NAME's daemon
#   pair A B                 each imports the other's bundle, fingerprint confirmed
#   wait_for SECONDS CMD...  poll CMD every 0.1 s until it succeeds
#   status_of NAME FIELD     one field of `homeward status --json`

KEYS=$BUILD/homeward-keys
HWD=$BUILD/homewardd
HWCLI=$BUILD/homeward
# Ports of our own: a base derived from the pid, 40 apart per script run.
PORT_BASE=${PORT_BASE:-$((20000 + ($$ % 1000) * 40))}

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }

agency_new() {
	name=$1
	port=${2:-}
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
	"$KEYS" export --dir "$T/$name" -o "$T/$name.bundle" >/dev/null 2>&1 ||
	    fail "export $name"
	AGENCIES="${AGENCIES:-} $name"
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

agency_start() {
	name=$1
	"$HWD" -f "$T/$name.conf" 2>>"$T/$name.log" &
	echo $! >"$T/$name.pid"
	wait_for 30 hw "$name" status ||
	    { tail -20 "$T/$name.log" >&2; fail "homewardd $name did not start"; }
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
peer_connected() {
	[ "$(hw "$1" peers --json | jq -r ".peers[] | select(.agency_id == \"$2\") | .connected")" = true ]
}

# all_acked NAME: nothing waits for a receipt.
all_acked() {
	[ "$(status_of "$1" outbox_unacked)" = 0 ]
}
