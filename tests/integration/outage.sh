#!/bin/sh
# Integration test: faults of the machine, not of the protocol.
#   1. a peer down for a while: messages wait, the redial backoff stays
#      within its bound, and everything is delivered once it returns;
#   2. a full store at the receiver (max_data_mb): envelopes are not
#      stored and not receipted, the daemon keeps running, and after the
#      operator makes room (SIGHUP) the retransmissions deliver everything
#      exactly once;
#   3. a full store at the sender: `homeward send` fails with a clear
#      error and nothing half-written, and works again after SIGHUP.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/outage.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

LOG_LEVEL=debug
agency_new alpha listen
agency_new beta listen
agency_start alpha
agency_start beta
pair alpha beta
wait_for 20 peer_connected alpha beta || fail "alpha and beta never connected"
head -c 1024 /dev/urandom >"$T/doc"

send() {
	i=0
	while [ "$i" -lt "$2" ]; do
		hw "$1" send --to "$3" --type 0x7f00 --file "$T/doc" >/dev/null ||
		    fail "send $i from $1"
		i=$((i + 1))
	done
}

step "beta down: 50 messages wait, redials stay within dial_max_ms"
agency_stop beta
send alpha 50 beta
[ "$(status_of alpha outbox_unacked)" = 50 ] || fail "not 50 waiting"
sleep 6
# Every redial delay the log names is within [dial_min_ms, dial_max_ms].
delays=$(sed -n 's/.*peer beta: redial in \([0-9]*\) ms.*/\1/p' "$T/alpha.log")
[ -n "$delays" ] || fail "alpha never redialled"
for ms in $delays; do
	[ "$ms" -ge 100 ] && [ "$ms" -le 1500 ] || fail "redial delay $ms ms out of bounds"
done
echo "   $(echo "$delays" | wc -l) redials, longest $(echo "$delays" | sort -n | tail -1) ms"
agency_start beta
wait_for 60 all_acked alpha || fail "$(status_of alpha outbox_unacked) not delivered after beta returned"
[ "$(status_of beta inbox_total)" = 50 ] || fail "beta has $(status_of beta inbox_total), not 50"

step "beta's store full: nothing stored or receipted, then delivered after SIGHUP"
printf '[daemon]\nmax_data_mb = 1\n' >>"$T/beta.conf"
kill -HUP "$(cat "$T/beta.pid")"
wait_for 10 grep -q "configuration reloaded" "$T/beta.log" || fail "beta did not reload"
send alpha 400 beta
wait_for 30 grep -q "not stored" "$T/beta.log" || fail "beta never ran out of room"
before=$(status_of beta inbox_total)
unacked=$(status_of alpha outbox_unacked)
[ "$unacked" -gt 0 ] || fail "every message was receipted despite a full store"
sleep 2
[ "$(status_of beta inbox_total)" = "$before" ] || fail "beta stored while full"
hw beta status >/dev/null || fail "beta stopped answering while full"
sed -i 's/^max_data_mb = 1$/max_data_mb = 256/' "$T/beta.conf"
kill -HUP "$(cat "$T/beta.pid")"
wait_for 60 all_acked alpha || fail "$(status_of alpha outbox_unacked) not delivered after room was made"
[ "$(status_of beta inbox_total)" = 450 ] || fail "beta has $(status_of beta inbox_total), not 450"
ids=$(hw beta inbox --limit 10000 --json | jq -r '.messages[].message_id' | sort -u | wc -l)
[ "$ids" = 450 ] || fail "beta shows $ids distinct messages, not 450"

step "alpha's store full: send refused with a clear error, nothing half-written"
printf '[daemon]\nmax_data_mb = 1\n' >>"$T/alpha.conf"
kill -HUP "$(cat "$T/alpha.pid")"
n=0
while :; do
	before=$(hw alpha outbox --limit 10000 --json | jq '.messages | length')
	if ! hw alpha send --to beta --type 0x7f00 --file "$T/doc" >"$T/out" 2>&1; then
		break
	fi
	n=$((n + 1))
	[ "$n" -lt 2000 ] || fail "alpha never filled up"
done
grep -q "disk is full; nothing was changed" "$T/out" || fail "unclear error: $(cat "$T/out")"
after=$(hw alpha outbox --limit 10000 --json | jq '.messages | length')
[ "$after" = "$before" ] || fail "a refused send left a row ($before -> $after)"
sed -i 's/^max_data_mb = 1$/max_data_mb = 256/' "$T/alpha.conf"
kill -HUP "$(cat "$T/alpha.pid")"
wait_for 10 hw alpha send --to beta --type 0x7f00 --file "$T/doc" ||
    fail "alpha still refuses after room was made"
wait_for 60 all_acked alpha || fail "not delivered after alpha made room"

agency_stop alpha
agency_stop beta
echo "outage: ok"
