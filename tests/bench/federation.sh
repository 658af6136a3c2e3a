#!/bin/sh
# make bench-federation: a federation on one machine (issue 11).  AGENCIES
# synthetic agencies (default 50), each with its daemon listening on a
# loopback port of its own (tests/integration/lib/agencies.sh), every pair
# peered (each imports the other's bundle: N(N-1) imports, bundles and
# fingerprints made once per agency) and connected; then one test document
# (0x7f00, DOC_BYTES) from each to each, N(N-1) in all.  Production
# delivery timings (retry 2 s to 5 min, heartbeat 15 s, idle timeout
# 45 s) but a short dial backoff (0.1-1.5 s); log level warn.
#
# Figures (name value unit):
#   rss_started / rss_linked: the daemons' VmRSS summed, all started with
#     no peer, then with every link up and idle for SETTLE seconds;
#   per_conn: (rss_linked - rss_started) / connection ends, a connection
#     end being one daemon's side of a peer connection (N(N-1) of them,
#     two per TCP connection): what a daemon pays per idle authenticated
#     peer, the peer's state (bundle, keys) included; target < 64 KiB;
#   sockets: TCP sockets the daemons hold once linked, beyond those at
#     the start (2 per connection when each pair keeps one);
#   idle_cpu: CPU seconds of all daemons (utime + stime, /proc) over
#     IDLE_SECONDS with every link up, per minute;
#   submit / receipted: from the first document sent to the last one
#     accepted by its sender's daemon, and to the last one receipted
#     (every outbox with nothing unacknowledged).
#
# Variables: AGENCIES (50; e.g. 10 for a quick check), JOBS (2: CLI and
# homeward-keys runs at once), IDLE_SECONDS (60), SETTLE (5), DOC_BYTES
# (1024), KEYS_CACHE (below).  A missed target is printed, not failed;
# exit 1 only when the benchmark cannot run.  Making the agencies' keys
# (the RIK's Argon2id, 1 GiB, about 4 s each on an idle core) is most of
# a first run, so they are kept in KEYS_CACHE (BUILD/bench-agencies) for
# a day: the next runs take a few minutes.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
NAG=${AGENCIES:-50}
AGENCIES=                       # agencies.sh's own list of names
JOBS=${JOBS:-2}
IDLE_SECONDS=${IDLE_SECONDS:-60}
SETTLE=${SETTLE:-5}
DOC_BYTES=${DOC_BYTES:-1024}

T=$(mktemp -d "${TMPDIR:-/tmp}/hw-federation.XXXXXX")
LOG_LEVEL=warn
RETRY_MIN_MS=2000
RETRY_MAX_MS=300000
DIAL_MAX_MS=1500
. tests/integration/lib/agencies.sh

trap 'agencies_cleanup; rm -rf "$T"' EXIT

# Keys made once: homeward-keys init, through a wrapper, copies an agency
# of an earlier run from KEYS_CACHE (made then with the same id, port and
# passphrases; remade after a day, when its prekeys near their end) or
# makes it and keeps a copy.  KEYS_CACHE= (empty): always made afresh.
KEYS_CACHE=${KEYS_CACHE-$BUILD/bench-agencies}
if [ -n "$KEYS_CACHE" ]; then
	mkdir -p "$KEYS_CACHE"
	KEYS_CACHE=$(cd "$KEYS_CACHE" && pwd)
	case $KEYS in /*) ;; *) KEYS=$(pwd)/$KEYS ;; esac
	cat >"$T/keys-cached" <<EOF_WRAP
#!/bin/sh
set -eu
[ "\${1:-}" = init ] || exec "$KEYS" "\$@"
prev=
for a in "\$@"; do
	case \$prev in
	--dir) dir=\$a ;;
	--agency-id) id=\$a ;;
	--endpoint) port=\${a##*:} ;;
	esac
	prev=\$a
done
c="$KEYS_CACHE/\$id"
if [ -f "\$c/port" ] && [ -z "\$(find "\$c/port" -mmin +1440)" ]; then
	mkdir -m 700 "\$dir"
	cp -pR "\$c/dir/." "\$dir/"
	exit 0
fi
rm -rf "\$c"
"$KEYS" "\$@"
mkdir -p "\$c"
cp -pR "\$dir" "\$c/dir"
echo "\$port" >"\$c/port"
EOF_WRAP
	chmod +x "$T/keys-cached"
	KEYS=$T/keys-cached
fi
trap 'exit 1' INT TERM HUP

say() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${1}f\", ($2) }"; }

[ "$NAG" -ge 2 ] || fail "AGENCIES must be 2 or more"
names=
i=1
while [ "$i" -le "$NAG" ]; do
	names="$names $(printf 'ag%02d' "$i")"
	i=$((i + 1))
done
ends=$((NAG * (NAG - 1)))

# batch CMD ARG...: CMD ARG for each ARG, JOBS at a time (each in a
# subshell: what CMD sets is lost, what it writes in $T stays).  Waits for
# its own jobs only: the daemons are this shell's children too.
batch() {
	cmd=$1
	shift
	rm -f "$T/batch.failed"
	jobs_now=
	for arg in "$@"; do
		{ ( "$cmd" "$arg" ) || : >"$T/batch.failed"; } &
		jobs_now="$jobs_now $!"
		# shellcheck disable=SC2086
		set -- $jobs_now
		if [ "$#" -ge "$JOBS" ]; then
			wait "$1"
			shift
			jobs_now=$*
		fi
	done
	for j in $jobs_now; do
		wait "$j"
	done
	[ ! -f "$T/batch.failed" ] || fail "$cmd failed (its message is above)"
}

make_agency() {
	agency_new "$1" listen
	# An agency from the cache listens where its bundle says.
	if [ -n "$KEYS_CACHE" ] && [ "$(cat "$KEYS_CACHE/$1/port")" != "$(port_of "$1")" ]; then
		conf_edit "$T/$1.conf" "s/^listen = 127\.0\.0\.1:$(port_of "$1")\$/listen = 127.0.0.1:$(cat "$KEYS_CACHE/$1/port")/"
		cat "$KEYS_CACHE/$1/port" >"$T/$1.port"
	fi
	conf_edit "$T/$1.conf" 's/^heartbeat_ms = .*/heartbeat_ms = 15000/;s/^idle_timeout_ms = .*/idle_timeout_ms = 45000/'
	fingerprint_of "$1" >"$T/$1.fp"
}

# import_all A: A imports every other agency's bundle.
import_all() {
	for b in $names; do
		[ "$b" != "$1" ] || continue
		hw "$1" peers import "$T/$b.bundle" --fingerprint "$(cat "$T/$b.fp")" \
		    >/dev/null || fail "$1 cannot import $b"
	done
}

# send_all A: one document from A to every other agency.
send_all() {
	for b in $names; do
		[ "$b" != "$1" ] || continue
		hw "$1" send --to "$b" --type 0x7f00 --file "$T/doc" >/dev/null ||
		    fail "$1 cannot send to $b"
	done
}

gone() { ! kill -0 "$1" 2>/dev/null; }

pids() {
	for a in $names; do cat "$T/$a.pid"; done
}

# rss: the daemons' VmRSS summed, KiB.
rss() {
	for p in $(pids); do
		awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status"
	done | awk '{ s += $1 } END { print s + 0 }'
}

# sockets: the TCP sockets the daemons hold (their listeners included).
sockets() {
	for p in $(pids); do
		for fd in /proc/"$p"/fd/*; do
			readlink "$fd"
		done
	done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort >"$T/inodes"
	awk 'NR > 1 { print $10 }' /proc/net/tcp /proc/net/tcp6 | sort >"$T/tcp"
	comm -12 "$T/inodes" "$T/tcp" | wc -l
}

# cpu: the daemons' utime + stime, clock ticks.
cpu() {
	for p in $(pids); do
		# The command name is in parentheses and has no spaces here.
		awk '{ print $14 + $15 }' "/proc/$p/stat"
	done | awk '{ s += $1 } END { print s + 0 }'
}

# connected_ends: peer connections every daemon shows up, summed.
connected_ends() {
	for a in $names; do
		hw "$a" peers --json | jq '[.peers[] | select(.connected)] | length'
	done | awk '{ s += $1 } END { print s + 0 }'
}
all_linked() { [ "$(connected_ends)" = "$ends" ]; }

unacked_total() {
	for a in $names; do
		status_of "$a" outbox_unacked
	done | awk '{ s += $1 } END { print s + 0 }'
}
all_receipted() { [ "$(unacked_total)" = 0 ]; }

t_start=$(now)
step "$NAG agencies: keys, configuration, bundle and fingerprint ($JOBS at a time)"
# shellcheck disable=SC2086
batch make_agency $names
AGENCIES=$names
for a in $names; do
	[ -f "$T/$a.fp" ] || fail "agency $a was not made"
done
step "$NAG daemons started ($JOBS at a time)"
# shellcheck disable=SC2086
batch agency_start $names
rss_started=$(rss)
sockets_started=$(sockets)
t_made=$(now)

step "every pair peered: $ends imports"
# shellcheck disable=SC2086
batch import_all $names
t_imported=$(now)
wait_for 300 all_linked || fail "only $(connected_ends) of $ends connection ends up after 300 s"
t_linked=$(now)
sleep "$SETTLE"
rss_linked=$(rss)
sockets_linked=$(sockets)
# Each figure as soon as it is known: a long run cut short keeps them.
p=federation
per_conn=$(calc 1 "($rss_linked - $rss_started) / $ends")
printf '%s.agencies %s agencies\n' "$p" "$NAG"
printf '%s.connection_ends %s ends\n' "$p" "$ends"
printf '%s.setup %s s\n' "$p" "$(calc 1 "$t_made - $t_start")"
printf '%s.imports %s s\n' "$p" "$(calc 1 "$t_imported - $t_made")"
printf '%s.links_up %s s\n' "$p" "$(calc 1 "$t_linked - $t_made")"
printf '%s.rss_started %s KiB\n' "$p" "$rss_started"
printf '%s.rss_linked %s KiB\n' "$p" "$rss_linked"
printf '%s.sockets %s sockets\n' "$p" "$((sockets_linked - sockets_started))"
printf '%s.per_conn %s KiB\n' "$p" "$per_conn"
printf '%s.per_conn_per_target %s ratio (target < 1: %s)\n' "$p" \
    "$(calc 2 "$per_conn / 64")" \
    "$( [ "$(calc 0 "$per_conn < 64")" = 1 ] && echo met || echo missed)"

step "idle for $IDLE_SECONDS s"
tick=$(getconf CLK_TCK)
c0=$(cpu)
t0=$(now)
sleep "$IDLE_SECONDS"
c1=$(cpu)
t1=$(now)
[ "$(connected_ends)" = "$ends" ] || say "federation: links went down while idle"
printf '%s.idle_cpu %s s/min\n' "$p" "$(calc 3 "($c1 - $c0) / $tick / ($t1 - $t0) * 60")"

step "one document from each to each: $ends"
head -c "$DOC_BYTES" /dev/urandom >"$T/doc"
s0=$(now)
# shellcheck disable=SC2086
batch send_all $names
s1=$(now)
wait_for 600 all_receipted || fail "$(unacked_total) documents still unacknowledged after 600 s"
s2=$(now)
for a in $names; do
	got=$(status_of "$a" inbox_total)
	[ "$got" = $((NAG - 1)) ] || fail "$a received $got documents, not $((NAG - 1))"
done
printf '%s.submit %s s\n' "$p" "$(calc 1 "$s1 - $s0")"
printf '%s.receipted %s s\n' "$p" "$(calc 1 "$s2 - $s0")"


# The daemons were started in subshells: not this shell's children to wait for.
for p in $(pids); do
	kill -TERM "$p" 2>/dev/null || true
done
for a in $names; do
	wait_for 30 gone "$(cat "$T/$a.pid")" || say "federation: $a did not stop in 30 s"
	rm -f "$T/$a.pid"
done
