#!/bin/sh
# Re-synchronisation after a restore (PROTOCOL.md 9.5), between real
# daemons on 127.0.0.1: ci-abidjan (the destination, restored) and
# ml-bamako (its partner).
#   - a copy of ci-abidjan's stopped databases is taken; one message of its
#     is then sealed but not yet receipted (ml-bamako down);
#   - after the copy both send more: test documents in one thread both ways,
#     and a departure notification in case CI-RS-1;
#   - the copy is put back (a naive copy-back: the instance nonce tells);
#   - at start ci-abidjan asks; its chains move past what ml-bamako holds,
#     ml-bamako sends again what ci-abidjan lost, nothing is duplicated at
#     either side, new messages flow both ways without "thread order",
#     and the only alerts are resync_lost: an urgent one naming CI-RS-1
#     (a departure notification), one for the test thread.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/resync.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

DEST=ci-abidjan
ORIG=ml-bamako
IN=$T/input
mkdir -p "$IN"

# docs NAME FROM: documents (not receipts) NAME's inbox holds from FROM.
docs() {
	hw "$1" inbox --limit 10000 --json |
	    jq "[.messages[] | select(.peer == \"$2\")] | length"
}
# thread_docs NAME TID: documents of thread TID in NAME's inbox.
thread_docs() {
	hw "$1" inbox --limit 10000 --json |
	    jq "[.messages[] | select(.thread_id == \"$2\")] | length"
}
# ids NAME TID: the message ids of thread TID in NAME's inbox, sorted.
ids() {
	hw "$1" inbox --limit 10000 --json |
	    jq -r ".messages[] | select(.thread_id == \"$2\") | .message_id" | sort
}
alerts_of() { hw "$1" alerts --all --json | jq -r '.alerts[].kind' | sort | uniq -c; }
no_alerts() {
	[ "$(hw "$1" alerts --all --json | jq '.alerts | length')" = 0 ] ||
	    fail "$1 raised alerts: $(alerts_of "$1")"
}
acked_both() { all_acked $DEST && all_acked $ORIG; }

step "two agencies, one case accepted, one thread of test documents"
agency_new $DEST listen
TZONE=Africa/Bamako agency_new $ORIG listen
agency_start $DEST
agency_start $ORIG
pair $DEST $ORIG
wait_for 20 peer_connected $DEST $ORIG || fail "never connected"
hw $DEST case open CI-RS-1 --sex female --age 30 >/dev/null || fail "case open"
hw $DEST consent record CI-RS-1 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req.json"
hw $DEST request send CI-RS-1 --to $ORIG --file "$IN/req.json" >/dev/null || fail "request"
wait_for 20 sh -c "$HWCLI -s $T/$ORIG.sock case show CI-RS-1 >/dev/null 2>&1" ||
    fail "the request never reached $ORIG"
hw $ORIG request accept CI-RS-1 --met-by-agency $ORIG \
    --met-by-contact "duty officer" >/dev/null || fail "accept"
wait_for 20 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock case show CI-RS-1 --json | jq -r '.case.threads[0].request')\" = 2 ]" ||
    fail "the acceptance never reached $DEST"
head -c 512 /dev/urandom >"$IN/doc"
id=$(hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" --json | jq -r .message_id)
tid=$(hw $DEST outbox show "$id" --json | jq -r .thread_id)
hw $ORIG send --to $DEST --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
wait_for 30 acked_both || fail "not receipted before the copy"

step "two messages not receipted when the copy is taken: one sealed, one still queued"
agency_stop $ORIG
hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
x2=$(hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" --thread "$tid" --json |
    jq -r .message_id)
[ "$(status_of $DEST outbox_unacked)" = 2 ] || fail "the messages are not waiting"
agency_stop $DEST
mkdir "$T/copy"
for f in data.db data.db-wal data.db-shm keystore.db keystore.db-wal keystore.db-shm; do
	[ ! -f "$T/$DEST.state/$f" ] || cp "$T/$DEST.state/$f" "$T/copy/"
done
# In the copy, the second is as a message queued before the copy and
# sealed after it: waiting, its position kept, the chain one short.
sqlite3 "$T/copy/data.db" "
UPDATE threads SET sealed_seq = sealed_seq - 1, out_last_h_inner =
    (SELECT p.h_inner FROM outbox p, outbox x WHERE x.message_id = x'$x2'
     AND p.thread_id = x.thread_id AND p.seq = x.seq - 1)
  WHERE thread_id = x'$tid';
UPDATE outbox SET state = 0, envelope = NULL, signed = NULL, h_env = NULL,
    h_inner = NULL WHERE message_id = x'$x2';" || fail "cannot edit the copy"
agency_start $DEST
agency_start $ORIG
wait_for 30 acked_both || fail "the waiting message was not receipted"

step "after the copy: more both ways, and a departure notification"
for i in 1 2 3; do
	hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
	hw $ORIG send --to $DEST --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
done
hw $ORIG send --to $DEST --type 0x7f00 --file "$IN/doc" >/dev/null      # a new thread
now=$(date +%s)
cat >"$IN/plan.json" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(date -u -d "@$((now + 3 * 86400))" +%Y-%m-%dT%H:%M:%SZ)",
              "arrival": "$(date -u -d "@$((now + 3 * 86400 + 7200))" +%Y-%m-%dT%H:%M:%SZ)" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "female", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "$ORIG", "name": "Agency $ORIG", "contact": "duty officer" } }
EOF
hw $DEST departure plan CI-RS-1 --to $ORIG --file "$IN/plan.json" \
    --waive notice,daytime,workday,escort_female --waiver-reason synthetic >"$T/out" ||
    fail "departure plan: $(cat "$T/out")"
wait_for 30 acked_both || fail "not receipted after the copy"
orig_docs=$(docs $ORIG $DEST)
dest_docs=$(docs $DEST $ORIG)
ids $ORIG "$tid" >"$T/orig-ids.before"
ids $DEST "$tid" >"$T/dest-ids.before"
no_alerts $ORIG
no_alerts $DEST

step "the copy is put back (a naive copy-back of data.db and keystore.db)"
agency_stop $DEST
rm -f "$T/$DEST.state"/data.db "$T/$DEST.state"/data.db-* \
    "$T/$DEST.state"/keystore.db "$T/$DEST.state"/keystore.db-*
cp "$T/copy"/* "$T/$DEST.state/"
[ "$(docs $ORIG $DEST)" = "$orig_docs" ] || fail "$ORIG changed while $DEST was down"
agency_start $DEST
grep -q "data.db was put back from an older copy" "$T/$DEST.log" ||
    fail "the copy-back was not noticed"
resynced() { grep -q "peer $ORIG: re-synchronised after the restore" "$T/$DEST.log"; }
wait_for 30 resynced || { tail -30 "$T/$DEST.log" >&2; fail "no re-synchronisation"; }
wait_for 60 acked_both ||
    fail "unacknowledged: $DEST $(status_of $DEST outbox_unacked), $ORIG $(status_of $ORIG outbox_unacked)"

step "nothing lost at $DEST, nothing duplicated at $ORIG"
wait_for 30 sh -c "[ \"\$($HWCLI -s $T/$DEST.sock inbox --limit 10000 --json | jq '[.messages[] | select(.peer == \"$ORIG\")] | length')\" = $dest_docs ]" ||
    fail "$DEST holds $(docs $DEST $ORIG) documents of $ORIG, not $dest_docs"
ids $DEST "$tid" | cmp -s - "$T/dest-ids.before" || fail "$DEST's thread differs"
[ "$(docs $ORIG $DEST)" = "$orig_docs" ] || fail "$ORIG holds $(docs $ORIG $DEST), not $orig_docs"
ids $ORIG "$tid" | cmp -s - "$T/orig-ids.before" || fail "$ORIG's thread differs"
[ "$(status_of $ORIG inbox_gap_held)" = 0 ] || fail "$ORIG holds a gap"
# The message queued before the copy was not sealed again: delivered, by
# the receipt ml-bamako had given it.
[ "$(hw $DEST outbox show "$x2" --json | jq -r .state)" = delivered ] ||
    fail "the queued message: $(hw $DEST outbox show "$x2" --json)"
! grep -q "ALERT equivocation" "$T/$ORIG.log" || fail "$ORIG saw an equivocation"
x2_receipt() {
	sqlite3 "$T/$DEST.state/data.db" \
	    "SELECT hex(receipt_id) FROM outbox WHERE message_id = x'$x2'"
}
x2_receipt | grep -q '[1-9A-F]' || fail "the queued message has no receipt id"
[ "$(status_of $DEST inbox_gap_held)" = 0 ] || fail "$DEST holds a gap"

step "new messages both ways, in the old thread and a new one"
hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
hw $DEST send --to $ORIG --type 0x7f00 --file "$IN/doc" >/dev/null
hw $ORIG send --to $DEST --type 0x7f00 --file "$IN/doc" --thread "$tid" >/dev/null
wait_for 30 acked_both || fail "new messages not receipted"
[ "$(docs $ORIG $DEST)" = $((orig_docs + 2)) ] || fail "$ORIG: $(docs $ORIG $DEST) documents"
[ "$(docs $DEST $ORIG)" = $((dest_docs + 1)) ] || fail "$DEST: $(docs $DEST $ORIG) documents"
[ "$(thread_docs $ORIG "$tid")" = $(($(wc -l <"$T/orig-ids.before") + 1)) ] ||
    fail "$ORIG's thread: $(thread_docs $ORIG "$tid")"
! grep -q "thread order" "$T/$ORIG.log" || fail "$ORIG refused for thread order"
no_alerts $ORIG

step "$DEST's alerts: what it lost, naming the case; urgent for the departure"
hw $DEST alerts --all --json >"$T/alerts.json"
kinds=$(jq -r '.alerts[].kind' "$T/alerts.json" | sort -u)
[ "$kinds" = resync_lost ] || fail "$DEST raised: $kinds"
jq -e '.alerts[] | select(.case_code == "CI-RS-1" and .urgent)' "$T/alerts.json" >/dev/null ||
    fail "no urgent alert naming CI-RS-1: $(cat "$T/alerts.json")"
jq -r '.alerts[] | select(.case_code == "CI-RS-1") | .detail' "$T/alerts.json" |
    grep -q "departure notification" || fail "the alert does not say departure"
[ "$(jq '[.alerts[] | select(.urgent | not)] | length' "$T/alerts.json")" = 1 ] ||
    fail "the test thread's loss: $(cat "$T/alerts.json")"

step "a second start: nothing to re-synchronise"
agency_stop $DEST
agency_start $DEST
wait_for 20 peer_connected $DEST $ORIG || fail "not connected again"
[ "$(grep -c "re-synchronised after the restore" "$T/$DEST.log")" = 1 ] ||
    fail "a needless re-synchronisation"

step "a hostile partner: unasked states ignored, a malformed request closes, a flood is cut"
agency_stop $ORIG
RP=$BUILD/tests/tools/resyncpoke
[ -x "$RP" ] || fail "$RP not built"
thread_before=$(sqlite3 "$T/$DEST.state/data.db" \
    "SELECT group_concat(sealed_seq) FROM (SELECT sealed_seq FROM threads ORDER BY thread_id)")
"$RP" 127.0.0.1 "$(port_of $DEST)" "$T/$ORIG" unasked >"$T/poke.out" 2>&1 ||
    fail "unasked: $(cat "$T/poke.out")"
grep -q "unasked: heartbeat answered" "$T/poke.out" || fail "unasked: $(cat "$T/poke.out")"
"$RP" 127.0.0.1 "$(port_of $DEST)" "$T/$ORIG" malformed >"$T/poke.out" 2>&1 ||
    fail "malformed: $(cat "$T/poke.out")"
grep -q "malformed: closed by peer" "$T/poke.out" || fail "malformed: $(cat "$T/poke.out")"
grep -q "peer $ORIG: malformed re-synchronisation request; closing" "$T/$DEST.log" ||
    fail "the malformed request is not logged"
"$RP" 127.0.0.1 "$(port_of $DEST)" "$T/$ORIG" request >"$T/poke.out" 2>&1 ||
    fail "request: $(cat "$T/poke.out")"
grep -q "request: done" "$T/poke.out" || fail "request: $(cat "$T/poke.out")"
[ "$(grep -c "request: state" "$T/poke.out")" = 4 ] ||
    fail "request: not one state per thread: $(cat "$T/poke.out")"
"$RP" 127.0.0.1 "$(port_of $DEST)" "$T/$ORIG" flood 40 >"$T/poke.out" 2>&1 ||
    fail "flood: $(cat "$T/poke.out")"
answered=$(sed -n 's/^flood: \([0-9]*\) answered$/\1/p' "$T/poke.out")
[ -n "$answered" ] && [ "$answered" -le 32 ] || fail "flood: $(cat "$T/poke.out")"
grep -q "more than 32 re-synchronisation requests a minute" "$T/$DEST.log" ||
    fail "the flood is not logged"
# Nothing a partner said unasked moved our chains.
[ "$(sqlite3 "$T/$DEST.state/data.db" \
    "SELECT group_concat(sealed_seq) FROM (SELECT sealed_seq FROM threads ORDER BY thread_id)")" = \
    "$thread_before" ] || fail "our chains moved"
hw $DEST status >/dev/null || fail "$DEST did not survive"
# What we hold no envelope of is not sent again, whatever a partner claims.
[ "$(hw $DEST outbox show "$x2" --json | jq -r .state)" = delivered ] ||
    fail "a message without its envelope was queued again"
agency_stop $DEST
echo "resync: ok"
