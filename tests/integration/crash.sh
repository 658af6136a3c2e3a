#!/bin/sh
# Integration test: exactly-once delivery across kill -9.
#   1. alpha sends 2,000 documents to beta while beta is killed with
#      SIGKILL at ten random moments and restarted each time;
#   2. the same with alpha (the sender) killed ten times.
# Afterwards every message alpha committed to its outbox is in beta's
# ledger exactly once (inbox count and distinct ids), every one is
# receipted, and nothing is held behind a gap.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
N=${CRASH_N:-2000}
KILLS=${CRASH_KILLS:-10}
T=$(mktemp -d "${TMPDIR:-/tmp}/crash.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

# Each message opens a thread of its own: more in minutes than a partner
# opens in a year, past the default new_threads_per_day, which would
# suspend the sender (homewardd.conf(5) [quotas]; quotas.sh tests them).
EXTRA_CONF='[quotas]
new_threads_per_day = 0' agency_new alpha listen
EXTRA_CONF='[quotas]
new_threads_per_day = 0' agency_new beta listen
agency_start alpha
agency_start beta
pair alpha beta
wait_for 20 peer_connected alpha beta || fail "alpha and beta never connected"
head -c 1024 /dev/urandom >"$T/doc"

# send_all COUNT: COUNT successful submissions to beta, retrying through
# the moments alpha is down; writes how many were refused to $T/refused.
send_all() {
	ok=0
	refused=0
	while [ "$ok" -lt "$1" ]; do
		if hw alpha send --to beta --type 0x7f00 --file "$T/doc" >/dev/null 2>&1; then
			ok=$((ok + 1))
		else
			refused=$((refused + 1))
			sleep 0.05
		fi
	done
	echo "$refused" >"$T/refused"
}

random_pause() {
	# 0.2 to 1.4 s, from /dev/urandom (no $RANDOM in sh).
	r=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	sleep "$(awk "BEGIN { print 0.2 + $r / 212 }")"
}

check_exactly_once() {
	wait_for 120 all_acked alpha ||
	    fail "$(status_of alpha outbox_unacked) message(s) never receipted"
	sent=$(hw alpha outbox --limit 10000 --json |
	    jq '[.messages[] | select(.msg_type != 256)] | length')
	got=$(status_of beta inbox_total)
	ids=$(hw beta inbox --limit 10000 --json | jq -r '.messages[].message_id' |
	    sort -u | wc -l)
	[ "$got" = "$sent" ] || fail "beta's ledger has $got rows for $sent sent"
	[ "$ids" = "$sent" ] || fail "beta shows $ids distinct messages for $sent sent"
	[ "$(status_of beta inbox_gap_held)" = 0 ] || fail "messages held behind a gap"
	[ "$(status_of beta alerts)" = 0 ] || fail "beta raised alerts"
	echo "   $sent sent, $got stored once each, all receipted"
}

step "receiver killed $KILLS times during $N messages"
send_all "$N" &
sender=$!
k=0
while [ "$k" -lt "$KILLS" ]; do
	random_pause
	agency_kill beta
	agency_start beta
	k=$((k + 1))
done
wait "$sender"
check_exactly_once

step "sender killed $KILLS times during $N more messages"
send_all "$N" &
sender=$!
k=0
while [ "$k" -lt "$KILLS" ]; do
	random_pause
	agency_kill alpha
	agency_start alpha
	k=$((k + 1))
done
wait "$sender"
echo "   $(cat "$T/refused") submission(s) refused while alpha was down"
check_exactly_once

agency_stop alpha
agency_stop beta
echo "crash: ok"
