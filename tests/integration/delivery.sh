#!/bin/sh
# Integration test of delivery between real daemons on 127.0.0.1:
#   - alpha and beta (both listening) exchange 1,000 test documents each
#     way: every one delivered once (inbox counts), every one receipted
#     (nothing unacknowledged), the evidence of a sample verifiable with
#     homeward-keys verify-evidence, the document bytes intact;
#   - gamma has no listener: it dials alpha, and both directions flow over
#     that one connection;
#   - roles: the CLI's errors for an unknown peer and a bad id.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
N=${DELIVERY_N:-1000}
T=$(mktemp -d "${TMPDIR:-/tmp}/delivery.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

step "three agencies: alpha and beta listen, gamma does not"
agency_new alpha listen
agency_new beta listen
agency_new gamma
agency_start alpha
agency_start beta
agency_start gamma
pair alpha beta
pair alpha gamma
step "a second daemon on alpha's configuration refuses to start"
if "$HWD" -f "$T/alpha.conf" 2>"$T/second.log"; then
	fail "a second homewardd started on alpha's socket"
fi
grep -q "another homewardd is running" "$T/second.log" ||
    fail "unclear refusal: $(cat "$T/second.log")"
hw alpha status >/dev/null || fail "the refused start disturbed alpha"
"$HWD" -n -f "$T/alpha.conf" >"$T/out" 2>&1 || fail "homewardd -n refused a good file"
printf '[daemon]\nlisten = nowhere\n' >"$T/bad.conf"
if "$HWD" -n -f "$T/bad.conf" >"$T/out" 2>&1; then fail "homewardd -n accepted a bad file"; fi
grep -q "bad.conf:2: listen must be host:port" "$T/out" || fail "-n error: $(cat "$T/out")"
wait_for 20 peer_connected alpha beta || fail "alpha and beta never connected"
wait_for 20 peer_connected gamma alpha || fail "gamma never reached alpha"

step "$N documents each way between alpha and beta"
head -c 1024 /dev/urandom >"$T/doc"
i=0
while [ "$i" -lt "$N" ]; do
	hw alpha send --to beta --type 0x7f00 --file "$T/doc" >/dev/null
	hw beta send --to alpha --type 0x7f00 --file "$T/doc" >/dev/null
	i=$((i + 1))
done
wait_for 120 all_acked alpha || fail "alpha still has $(status_of alpha outbox_unacked) unacknowledged"
wait_for 120 all_acked beta || fail "beta still has $(status_of beta outbox_unacked) unacknowledged"
[ "$(status_of beta inbox_total)" = "$N" ] || fail "beta received $(status_of beta inbox_total), not $N"
[ "$(status_of alpha inbox_total)" = "$N" ] || fail "alpha received $(status_of alpha inbox_total), not $N"
delivered=$(hw alpha outbox --state delivered --limit 10000 --json | jq '.messages | length')
[ "$delivered" = "$N" ] || fail "alpha shows $delivered delivered, not $N"
held=$(status_of beta inbox_gap_held)
[ "$held" = 0 ] || fail "beta holds $held messages behind a gap"
[ "$(status_of alpha alerts)" = 0 ] || fail "alpha raised alerts"

step "evidence of a sample verifies on both sides; bodies intact"
for id in $(hw alpha outbox --limit 5 --state delivered --json | jq -r '.messages[].message_id'); do
	hw alpha evidence export "$id" -o "$T/ev-$id.a" >/dev/null
	"$KEYS" verify-evidence "$T/ev-$id.a" --sender "$T/alpha.bundle" \
	    --recipient "$T/beta.bundle" >/dev/null || fail "evidence of $id (sender side)"
	hw beta evidence export "$id" -o "$T/ev-$id.b" >/dev/null
	"$KEYS" verify-evidence "$T/ev-$id.b" --sender "$T/alpha.bundle" \
	    --recipient "$T/beta.bundle" >/dev/null || fail "evidence of $id (recipient side)"
	# The wrong pair of bundles is refused.
	if "$KEYS" verify-evidence "$T/ev-$id.a" --sender "$T/beta.bundle" \
	    --recipient "$T/alpha.bundle" >/dev/null 2>&1; then
		fail "evidence of $id verified against swapped bundles"
	fi
	hw beta inbox show "$id" --body "$T/body-$id" >/dev/null
	cmp -s "$T/body-$id" "$T/doc" || fail "body of $id differs"
done

step "gamma (no listener) sends and receives over the connection it dialled"
for i in 1 2 3; do
	hw gamma send --to alpha --type 0x7f00 --file "$T/doc" >/dev/null
	hw alpha send --to gamma --type 0x7f00 --file "$T/doc" >/dev/null
done
wait_for 30 all_acked gamma || fail "gamma's messages not receipted"
wait_for 30 all_acked alpha || fail "alpha's messages to gamma not receipted"
[ "$(status_of gamma inbox_total)" = 3 ] || fail "gamma received $(status_of gamma inbox_total)"

step "a reply in the same thread takes the next position"
id=$(hw alpha send --to beta --type 0x7f00 --file "$T/doc" --json | jq -r .message_id)
tid=$(hw alpha outbox show "$id" --json | jq -r .thread_id)
wait_for 30 all_acked alpha || fail "not receipted"
hw beta send --to alpha --type 0x7f00 --file "$T/doc" --thread "$tid" --reply-to "$id" >/dev/null
wait_for 30 all_acked beta || fail "reply not receipted"
seq=$(hw alpha inbox --json | jq -r ".messages[] | select(.thread_id == \"$tid\") | .seq")
# beta's chain in this thread: its receipt for the first message (1), the reply (2).
[ "$seq" = 2 ] || fail "the reply took position $seq, not 2"

step "clear errors"
set +e
hw alpha send --to nobody --type 0x7f00 --file "$T/doc" >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "send to an unknown peer exited $rc"
grep -q "no peer nobody" "$T/out" || fail "unclear error: $(cat "$T/out")"

step "a clean stop"
agency_stop alpha
agency_stop beta
agency_stop gamma
grep -q "stopped" "$T/alpha.log" || fail "alpha did not stop cleanly"
echo "delivery: ok"
