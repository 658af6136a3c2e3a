#!/bin/sh
# Integration test of a daemon's ledger, thread order, receipts and
# revocations under attack (crypto-env1.md section 5, tests 14, 15, 22 and
# the rule that a revocation is never dropped; docs/PROTOCOL.md 9.2, 9.4,
# 10 and 3.4).  Two real daemons, alpha (listening) and beta (dialling
# out), are paired and connected; wirepoke (tests/tools/wirepoke.c) plays
# beta over TLS with beta's own keys, its connection the newest (alpha
# answers on it), and sends alpha envelopes made to test the ledger:
#
#   14a  the same message sealed again into a new envelope: a duplicate,
#        one row, the stored receipt again, no alert;
#   14b  the same id at the next position: equivocation, refused, alert,
#        the first version kept;
#   15a  positions 1 and 3, then 2: 3 is held (gap alert, receipted) until
#        2 arrives, then all three are current;
#   15b  a prev_hash that is not the thread's: refused, alert, nothing kept;
#   15c  a new id at a position already taken: refused, alert, nothing kept;
#   22   (beta's daemon stopped) a receipt for alpha's message naming
#        another H_inner: refused, the message not delivered, no receipt
#        for the receipt; the true receipt then delivers it (control);
#   3.4  beta certifies a second DSK, alpha learns it from a bundle and
#        accepts its envelope (control); beta revokes it and alpha imports
#        that bundle; then beta's old bundle is refused as an import and as
#        a Bundle frame (revocation_dropped alert), and, alpha restarted
#        from its store, an envelope signed by the revoked DSK is refused.
#
# Each case asserts alpha's state through the CLI (inbox rows, status
# inbox_total, inbox_gap_held and alerts, receipts in the outbox), alpha's
# log, and, where something is refused, that alpha shows no such message
# and that its body is nowhere in alpha's log or state directory.  Uses
# $BUILD (default build); works in its own temporary directory, removed
# on exit.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
WP=$BUILD/tests/tools/wirepoke
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys" "$WP"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/ledger_faults.XXXXXX")
. tests/integration/lib/agencies.sh
cleanup() {
	agencies_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

LOG=$T/alpha.log
CASES=0

# run NAME COMMAND...: keep its output in $T/NAME.out (shown on failure).
run() {
	name=$1
	shift
	"$@" >"$T/$name.out" 2>&1 || { sed 's/^/    /' "$T/$name.out" >&2; fail "$name: $*"; }
}
has() {
	grep -q -- "$2" "$T/$1.out" ||
	    { sed 's/^/    /' "$T/$1.out" >&2; fail "$1: no '$2'"; }
}
count() { grep -c -- "$2" "$T/$1.out" || true; }
# The id of the Nth envelope (default 1) a mode sent.
sent_id() {
	sed -n "s/^$2: sent \([0-9a-f]*\).*/\1/p" "$T/$1.out" | sed -n "${3:-1}p"
}
# The body wirepoke sealed under an id.
body_of() { sed -n "s/^[^:]*: body $2 //p" "$T/$1.out" | head -n 1; }

# mark: remember where alpha's log ends; logged PATTERN: alpha wrote a
# line matching PATTERN after the mark (waiting for it: the log may trail
# the event by a moment).
mark() { MARK=$(wc -l <"$LOG"); }
since_mark() { tail -n "+$((MARK + 1))" "$LOG" | grep -q -- "$1"; }
logged() {
	wait_for 15 since_mark "$1" ||
	    { tail -n 20 "$LOG" | sed 's/^/    /' >&2; fail "alpha did not log '$1'"; }
}

# Alpha's state as one line: inbox rows, inbox_total, inbox_gap_held,
# receipts it made (outbox rows of type 0x0100), alerts.
state() {
	printf '%s %s %s %s %s\n' \
	    "$(hw alpha inbox --json | jq '.messages | length')" \
	    "$(status_of alpha inbox_total)" \
	    "$(status_of alpha inbox_gap_held)" \
	    "$(hw alpha outbox --json | jq '[.messages[] | select(.msg_type == 256)] | length')" \
	    "$(status_of alpha alerts)"
}
# expect CASE STATE: one more case done, and alpha's state is STATE.
expect() {
	now=$(state)
	[ "$now" = "$2" ] || fail "$1: alpha's state is '$now', wanted '$2'"
	CASES=$((CASES + 1))
}
in_field() { hw alpha inbox show "$1" --json | jq -r ".$2"; }
out_state() { hw alpha outbox show "$1" --json | jq -r .state; }
# unseen CASE OUT ID: alpha shows no message ID (nor its evidence), and the
# body wirepoke sealed under ID is in neither alpha's log nor its state
# directory (database, WAL, keystore): no plaintext of it was kept.
unseen() {
	body=$(body_of "$2" "$3")
	[ -n "$body" ] || fail "$1: wirepoke printed no body for $3"
	if hw alpha inbox show "$3" >/dev/null 2>&1 ||
	    hw alpha evidence export "$3" -o "$T/$3.ev" >/dev/null 2>&1; then
		fail "$1: alpha shows the refused message $3"
	fi
	[ -d "$T/alpha.state" ] || fail "$1: no $T/alpha.state"
	rc=0
	grep -rqF -- "$body" "$LOG" "$T/alpha.state" || rc=$?
	[ "$rc" = 1 ] || fail "$1: the refused body is in alpha's log or state (grep: $rc)"
}
peer_gone() { ! peer_connected "$1" "$2"; }

# alpha's port, known once it started (and again after a restart: a port
# taken meanwhile moves it, tests/integration/lib/agencies.sh), and what
# wirepoke sends to it.
alpha_port() {
	PORT=$(port_of alpha)
	SEND="send 127.0.0.1 $PORT --as $T/beta --pass $T/beta.pass --to $T/alpha.bundle"
}

step "two daemons, alpha listening, beta dialling"
# A gap is alerted once it outlasts gap_alert_ms (a retransmission away
# is not worth an alert): short here, so that 15a sees it.
EXTRA_CONF=$(printf '[delivery]\ngap_alert_ms = 300\n[procedure]\ndeadline_check_ms = 100')
agency_new alpha listen
EXTRA_CONF=
agency_new beta
agency_start alpha
agency_start beta
alpha_port
pair alpha beta
wait_for 30 peer_connected alpha beta || fail "beta never connected to alpha"
[ "$(state)" = "0 0 0 0 0" ] || fail "alpha starts with state '$(state)'"

step "14a: the same message in a new envelope is a duplicate"
mark
# shellcheck disable=SC2086
run reseal "$WP" $SEND --mode reseal
[ "$(count reseal '^reseal: received receipt')" = 2 ] || fail "reseal: not two receipts"
[ "$(sed -n 's/^reseal: received receipt //p' "$T/reseal.out" | sort -u | wc -l)" = 1 ] ||
    fail "reseal: the second receipt is not the stored one"
id=$(sent_id reseal reseal)
[ "$(sent_id reseal reseal 2)" = "$id" ] || fail "reseal: two ids sent"
[ "$(hw alpha inbox --json | jq "[.messages[] | select(.message_id == \"$id\")] | length")" = 1 ] ||
    fail "reseal: not exactly one inbox row"
[ "$(in_field "$id" state)" = accepted ] || fail "reseal: not accepted"
since_mark "refused\|ALERT" && fail "reseal: alpha refused or alerted"
expect reseal "1 1 0 1 0"

step "14b: the same id at the next position is an equivocation"
mark
# shellcheck disable=SC2086
run eqseq "$WP" $SEND --mode equivocate-seq
has eqseq "^equivocate-seq: received receipt"
has eqseq "^equivocate-seq: received Refused"
id=$(sent_id eqseq equivocate-seq)
[ "$(sent_id eqseq equivocate-seq 2)" = "$id" ] || fail "equivocate-seq: two ids sent"
logged "envelope $id from beta refused: equivocation"
logged "ALERT equivocation: message $id"
[ "$(in_field "$id" seq)" = 1 ] || fail "equivocate-seq: the first version was not kept"
[ "$(hw alpha inbox show "$id" --body -)" = "$(body_of eqseq "$id")" ] ||
    fail "equivocate-seq: the stored body is not the first version's"
expect equivocate-seq "2 2 0 2 1"

step "15a: positions 1 and 3 of a thread: 3 is held, receipted"
mark
# shellcheck disable=SC2086
run gap "$WP" $SEND --mode gap --state "$T/gap.env"
[ "$(count gap '^gap: received receipt')" = 2 ] || fail "gap: not two receipts"
thread=$(sed -n 's/^gap: thread //p' "$T/gap.out")
id1=$(sent_id gap gap 1)
id3=$(sent_id gap gap 2)
{ [ -n "$thread" ] && [ -n "$id3" ]; } || fail "gap: nothing sent"
logged "message $id3: thread $thread position 3 held: 1 is the last in order"
[ "$(in_field "$id1" state)" = accepted ] || fail "gap: position 1 not accepted"
[ "$(in_field "$id3" state)" = gap_held ] || fail "gap: position 3 not held"
[ "$(hw alpha inbox --state gap_held --json | jq -r '.messages[].message_id')" = "$id3" ] ||
    fail "gap: the held list is not position 3 alone"
gap_alerted() { [ "$(status_of alpha alerts)" = 2 ]; }
wait_for 20 gap_alerted || fail "gap: no alert after gap_alert_ms"
expect gap "4 4 1 4 2"

step "15a: position 2 arrives: all three current"
mark
# shellcheck disable=SC2086
run fill "$WP" $SEND --mode fill --state "$T/gap.env"
has fill "^fill: received receipt"
id2=$(sent_id fill fill)
logged "message $id3: gap filled, now current"
[ "$(hw alpha inbox --json | jq -r "[.messages[] | select(.thread_id == \"$thread\") |
    \"\(.seq) \(.state)\"] | sort | join(\",\")")" = "1 accepted,2 accepted,3 accepted" ] ||
    fail "fill: the thread is not 1, 2, 3 accepted"
[ "$(in_field "$id2" seq)" = 2 ] || fail "fill: $id2 is not position 2"
expect fill "5 5 0 5 2"

step "15b: a prev_hash that is not the thread's"
mark
# shellcheck disable=SC2086
run badprev "$WP" $SEND --mode badprev
has badprev "^badprev: received receipt"
has badprev "^badprev: received Refused"
id=$(sent_id badprev badprev 2)
logged "envelope $id from beta refused: thread order"
logged "ALERT thread_order: message $id"
unseen badprev badprev "$id"
expect badprev "6 6 0 6 3"

step "15c: a new id at a position already taken"
mark
# shellcheck disable=SC2086
run regress "$WP" $SEND --mode regress
[ "$(count regress '^regress: received receipt')" = 2 ] || fail "regress: not two receipts"
has regress "^regress: received Refused"
id=$(sent_id regress regress 3)
logged "envelope $id from beta refused: thread order"
logged "ALERT thread_order: message $id"
unseen regress regress "$id"
expect regress "8 8 0 8 4"

step "beta's daemon stops: alpha's next message to beta waits for a receipt"
agency_stop beta
wait_for 30 peer_gone alpha beta || fail "alpha still sees beta connected"
printf 'synthetic ledger_faults test document\n' >"$T/doc"
hw alpha send --to beta --type 0x7f00 --file "$T/doc" --json >"$T/asend.json" ||
    fail "alpha cannot send"
aid=$(jq -r .message_id "$T/asend.json")
[ "$(out_state "$aid")" = sealed ] || fail "alpha's message is '$(out_state "$aid")'"

step "22: a receipt for alpha's message naming another H_inner"
mark
# shellcheck disable=SC2086
run unmatched "$WP" $SEND --mode receipt-unmatched
has unmatched "^receipt-unmatched: caught $aid"
has unmatched "^receipt-unmatched: received Refused"
rid=$(sent_id unmatched receipt-unmatched)
logged "envelope $rid from beta refused: receipt_unmatched"
[ "$(out_state "$aid")" = sealed ] || fail "receipt-unmatched: alpha's message is delivered"
[ "$(hw alpha outbox --state delivered --json | jq '.messages | length')" = 0 ] ||
    fail "receipt-unmatched: something is delivered"
if hw alpha inbox show "$rid" >/dev/null 2>&1; then
	fail "receipt-unmatched: alpha kept the refused receipt"
fi
expect receipt-unmatched "8 8 0 8 4"

step "22, control: the true receipt delivers it"
# shellcheck disable=SC2086
run receipt "$WP" $SEND --mode receipt
has receipt "^receipt: caught $aid"
has receipt "^barrier: received receipt"
[ "$(out_state "$aid")" = delivered ] || fail "receipt: alpha's message is not delivered"
[ "$(state)" = "9 9 0 9 4" ] || fail "receipt: alpha's state is '$(state)'"

step "beta certifies a second DSK; alpha takes its bundle and its envelopes"
FP=$(fingerprint_of beta)
"$KEYS" certify --dir "$T/beta" --rik-passphrase-file "$T/beta.rik" \
    --passphrase-file "$T/beta.pass" --json >"$T/certify.json" 2>&1 ||
    { cat "$T/certify.json" >&2; fail "certify"; }
dsk2=$(jq -r .dsk "$T/certify.json")
"$KEYS" export --dir "$T/beta" -o "$T/beta2.bundle" >/dev/null 2>&1 || fail "export 2"
hw alpha peers import "$T/beta2.bundle" --fingerprint "$FP" >/dev/null ||
    fail "alpha refused beta's bundle with the second DSK"
# wirepoke loads beta's daemon.key: it holds the second DSK now.
# shellcheck disable=SC2086
run dsk2 "$WP" $SEND --mode valid
has dsk2 "^valid: received receipt"
[ "$(state)" = "10 10 0 10 4" ] || fail "dsk2: alpha's state is '$(state)'"

step "beta revokes the second DSK; alpha imports that bundle"
"$KEYS" revoke --dir "$T/beta" --dsk "$dsk2" --reason compromised \
    --rik-passphrase-file "$T/beta.rik" >"$T/revoke.out" 2>&1 ||
    { cat "$T/revoke.out" >&2; fail "revoke"; }
"$KEYS" export --dir "$T/beta" -o "$T/beta3.bundle" >/dev/null 2>&1 || fail "export 3"
[ "$("$KEYS" inspect "$T/beta3.bundle" --json | jq '.revocations | length')" = 1 ] ||
    fail "the exported bundle lacks the revocation"
hw alpha peers import "$T/beta3.bundle" --fingerprint "$FP" >/dev/null ||
    fail "alpha refused beta's bundle with the revocation"

step "beta's old bundles, imported: refused"
for b in beta beta2; do
	if hw alpha peers import "$T/$b.bundle" --fingerprint "$FP" >"$T/import-$b.out" 2>&1; then
		fail "alpha imported $b.bundle, which lacks the revocation"
	fi
	has "import-$b" "lacks a revocation already recorded"
done
expect import-old "10 10 0 10 4"

step "beta's old bundle on beta's connection: refused, kept as an alert"
mark
run bundle-old "$WP" frame 127.0.0.1 "$PORT" --as "$T/beta" --kind bundle \
    --other-bundle "$T/beta.bundle"
has bundle-old "^bundle: heartbeat answered"
logged "peer beta: bundle without a revocation we hold refused"
since_mark "bundle updated" && fail "bundle-old: alpha took the old bundle"
expect bundle-old "10 10 0 10 5"

step "alpha, restarted from its store, refuses the revoked DSK's envelope"
agency_stop alpha
agency_start alpha
alpha_port
mark
# shellcheck disable=SC2086
run revoked "$WP" $SEND --mode valid
has revoked "^valid: received Refused"
id=$(sent_id revoked valid)
logged "envelope $id from beta refused: cert_revoked"
unseen revoked revoked "$id"
expect revoked "10 10 0 10 5"

step "alpha survived"
kill -0 "$(cat "$T/alpha.pid")" || fail "alpha is gone"
if grep -q "Sanitizer\|runtime error" "$LOG"; then
	fail "alpha's log shows a sanitizer report"
fi
agency_stop alpha
echo "ledger_faults: $CASES fault cases asserted"
