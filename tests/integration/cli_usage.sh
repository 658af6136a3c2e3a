#!/bin/sh
# Integration test of homeward (the CLI) without a daemon: usage, help and
# exit statuses (0 success, 1 failure, 2 usage); what it says when no
# daemon answers (a missing socket, a stale one); then every command
# against ctlstub (tests/tools/ctlstub.c: the real control socket code
# answering from fixed synthetic data), with the output compared to golden
# files and the requests the CLI sent (ctlstub's log) compared too.  The
# fingerprint confirmation on the terminal is driven through script(1).
# Uses the binaries in $BUILD (default build); works in its own temporary
# directory, removed on exit.  UPDATE_GOLDEN=1 rewrites the golden files.
set -eu
LC_ALL=C
export LC_ALL
unset HOMEWARD_SOCKET

BUILD=${BUILD:-build}
CLI=$BUILD/homeward
KEYS=$BUILD/homeward-keys
STUB=$BUILD/tests/tools/ctlstub
GOLDEN=tests/integration/golden/cli
for bin in "$CLI" "$KEYS" "$STUB"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/cli_usage.XXXXXX")
STUB_PID=
cleanup() {
	[ -z "$STUB_PID" ] || kill "$STUB_PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# expect STATUS COMMAND...: run it; stdout in $T/stdout, both in $T/out.
expect() {
	want=$1
	shift
	set +e
	"$@" >"$T/stdout" 2>"$T/stderr"
	got=$?
	set -e
	cat "$T/stdout" "$T/stderr" >"$T/out"
	if [ "$got" -ne "$want" ]; then
		sed 's/^/    /' "$T/out" >&2
		fail "exit status $got, wanted $want: $*"
	fi
}
has() {
	grep -q -- "$1" "$T/out" || { sed 's/^/    /' "$T/out" >&2; fail "output lacks '$1'"; }
}
lacks() {
	if grep -q -- "$1" "$T/out"; then
		sed 's/^/    /' "$T/out" >&2
		fail "output shows '$1'"
	fi
}
# usage2 COMMAND...: a usage error: exit 2, said on stderr, nothing on stdout.
usage2() {
	expect 2 "$@"
	[ -s "$T/stderr" ] || fail "no message on stderr: $*"
	[ ! -s "$T/stdout" ] || { sed 's/^/    /' "$T/out" >&2; fail "stdout not empty: $*"; }
}
err_has() {
	grep -q -- "$1" "$T/stderr" || { sed 's/^/    /' "$T/out" >&2; fail "stderr lacks '$1'"; }
}
# golden NAME [FILE]: FILE (default: the last stdout) is tests/.../NAME.
golden() {
	f=${2:-$T/stdout}
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$f" "$GOLDEN/$1"
		return
	fi
	diff -u "$GOLDEN/$1" "$f" >&2 || fail "output differs from $GOLDEN/$1"
}
mode() {
	m=$(stat -c %a "$1")
	[ "$m" = "$2" ] || fail "$1 has mode $m, wanted $2"
}

step "version, usage, help"
expect 0 "$CLI" --version
has "homeward "
expect 0 "$CLI" --help
for c in status "peers \[list\]" "peers import" "peers verify" "peers suspend" \
    "peers resume" "peers remove" "outbox \[list\]" "outbox show" "inbox \[list\]" \
    "inbox show" "evidence export" send log-level; do
	has "^  $c "
done
expect 2 "$CLI"
has "usage: homeward"
expect 2 "$CLI" no-such-command
has "unknown command no-such-command"
expect 2 "$CLI" --no-such-option
for c in status "peers list" "peers import" "peers verify" "peers suspend" \
    "peers resume" "peers remove" "outbox list" "outbox show" "inbox list" \
    "inbox show" "evidence export" send log-level; do
	# shellcheck disable=SC2086
	expect 0 "$CLI" $c --help
	has "usage: homeward $c "
	has "--json"
done
REF_CMDS="case_open case_list case_show case_close consent_record consent_list
    consent_withdraw request_send request_accept request_decline request_more-info
    reintegration_request reintegration_confirm departure_plan departure_depart
    arrival_confirm arrival_no-show arrival_delayed followup_send held approve
    worklist alerts_list alerts_ack audit_verify audit_list document_show"
expect 0 "$CLI" --help
for c in $REF_CMDS; do
	c=$(printf '%s' "$c" | tr _ ' ')
	case $c in
	"case list"|"alerts list") has "^  ${c% list} \[list\] " ;;
	*) has "^  $c " ;;
	esac
done
for c in $REF_CMDS; do
	c=$(printf '%s' "$c" | tr _ ' ')
	# shellcheck disable=SC2086
	expect 0 "$CLI" $c --help
	has "usage: homeward $c "
	has "--json"
done
expect 0 "$CLI" request --help
has "usage: homeward request more-info CODE"
expect 0 "$CLI" help arrival no-show
has "usage: homeward arrival no-show CODE"
expect 0 "$CLI" peers --help
has "usage: homeward peers import"
has "usage: homeward peers remove"
expect 0 "$CLI" help outbox show
has "usage: homeward outbox show ID"

step "usage errors exit 2 before anything is sent"
S=$T/none.sock
expect 2 "$CLI" -s "$S" status extra
expect 2 "$CLI" -s "$S" status --frobnicate
has "unknown option --frobnicate"
expect 2 "$CLI" -s "$S" status --json=yes
has "takes no value"
expect 2 "$CLI" -s "$S" peers frob
has "unknown subcommand frob"
expect 2 "$CLI" -s "$S" evidence
expect 2 "$CLI" -s "$S" outbox show 0011
has "32 hex digits"
expect 2 "$CLI" -s "$S" outbox show --body
has "needs a value"
expect 2 "$CLI" -s "$S" outbox show 00112233445566778899aabbccddeeff --body - --json
expect 2 "$CLI" -s "$S" outbox list --limit 0
expect 2 "$CLI" -s "$S" outbox list --limit 10001
expect 2 "$CLI" -s "$S" inbox list --peer Not_An_Id
expect 2 "$CLI" -s "$S" peers verify beta
has "fingerprint is required"
expect 2 "$CLI" -s "$S" peers verify beta --fingerprint 1234
has "40 digits"
expect 2 "$CLI" -s "$S" peers suspend beta --fingerprint 1234
expect 2 "$CLI" -s "$S" peers import
expect 2 "$CLI" -s "$S" evidence export 00112233445566778899aabbccddeeff
has "\-o FILE is required"
expect 2 "$CLI" -s "$S" send --to beta --type 0x7f00
expect 2 "$CLI" -s "$S" send --to beta --type 0x10000 --file /dev/null
expect 2 "$CLI" -s "$S" send --to beta --type text --file /dev/null
expect 2 "$CLI" -s "$S" send --to beta --type 7 --file /dev/null --thread 12
expect 2 "$CLI" -s "$S" log-level loud

step "the referral procedure: usage errors exit 2, said on stderr"
ID2=00112233445566778899aabbccddeeff
CR="consent record ABJ-1 --to ml-ngo --steps all --categories all"
usage2 "$CLI" -s "$S" case open
err_has "give one case code"
usage2 "$CLI" -s "$S" case open "Synthetic Person B"
err_has "a case code is 1-48 of letters"
usage2 "$CLI" -s "$S" case open ABJ-1 --sex f
err_has "female, male or other"
usage2 "$CLI" -s "$S" case open ABJ-1 --age 0
usage2 "$CLI" -s "$S" case open ABJ-1 --age 121
usage2 "$CLI" -s "$S" case open ABJ-1 --age 30 --minor
err_has "contradict"
usage2 "$CLI" -s "$S" case list --state shut
usage2 "$CLI" -s "$S" case list ABJ-1
usage2 "$CLI" -s "$S" case show
usage2 "$CLI" -s "$S" case show ABJ-1 --home Not_An_Id
err_has "agency id"
usage2 "$CLI" -s "$S" case close ABJ-1 ABJ-2
usage2 "$CLI" -s "$S" case frob
err_has "unknown subcommand frob"
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo --steps all --categories all
err_has "are required"
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo --steps 8 --categories all --method oral
err_has "\-\-steps is 'all' or a list"
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo --steps request,1 --categories all --method oral
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo --steps all --categories case --method oral
err_has "\-\-categories is 'all' or a list"
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo,,bf-ngo --steps all --categories all --method oral
err_has "\-\-to is one or more agency ids"
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo,ml-ngo --steps all --categories all --method oral
usage2 "$CLI" -s "$S" consent record ABJ-1 --to ML_NGO --steps all --categories all --method oral
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method signed
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method written
err_has "needs --form FILE"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral --form /dev/null
err_has "\-\-form is for --method written"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral-interpreted
err_has "needs --language"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral-interpreted --language "b m"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral --child-consulted
err_has "goes with --guardian"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral --expires 2020-01-01T00:00:00Z
err_has "in the past"
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral --expires tomorrow
# shellcheck disable=SC2086
usage2 "$CLI" -s "$S" $CR --method oral --given 2999-01-01T00:00:00Z
usage2 "$CLI" -s "$S" consent list
usage2 "$CLI" -s "$S" consent withdraw ABJ-1 0011
err_has "32 hex digits"
usage2 "$CLI" -s "$S" consent withdraw ABJ-1 $ID2 extra
usage2 "$CLI" -s "$S" request send ABJ-1 --to ml-ngo
err_has "\-\-file is required"
usage2 "$CLI" -s "$S" request send --file /dev/null
err_has "give one case code"
usage2 "$CLI" -s "$S" request send ABJ-1 --file /dev/null --reason why
err_has "\-\-reason is not an option of this step"
usage2 "$CLI" -s "$S" request send ABJ-1 --file /dev/null --reply-by soon
err_has "\-\-reply-by is a time"
usage2 "$CLI" -s "$S" request send ABJ-1 --file /dev/null --to Not_An_Id
usage2 "$CLI" -s "$S" request accept ABJ-1 --reply-by 2026-12-08T12:00:00Z
err_has "\-\-reply-by is not an option"
usage2 "$CLI" -s "$S" request decline ABJ-1 --met-by "A. Person"
usage2 "$CLI" -s "$S" request accept ABJ-1 --reason ""
err_has "1 to 4096 bytes"
usage2 "$CLI" -s "$S" request frob ABJ-1
usage2 "$CLI" -s "$S" reintegration confirm ABJ-1 --reply-by 2026-12-08T12:00:00Z --file /dev/null
usage2 "$CLI" -s "$S" departure plan ABJ-1 --file /dev/null --waive arrival_hour
err_has "\-\-waive and --waiver-reason go together"
usage2 "$CLI" -s "$S" departure depart ABJ-1 --file /dev/null --waiver-reason "no other flight"
usage2 "$CLI" -s "$S" departure plan ABJ-1 --file /dev/null --waive "Arrival Hour" --waiver-reason r
err_has "travel rule names"
usage2 "$CLI" -s "$S" departure plan ABJ-1 --file /dev/null --safety-reason ""
usage2 "$CLI" -s "$S" arrival confirm ABJ-1 --at 2999-01-01T00:00:00Z
err_has "\-\-at is in the future"
usage2 "$CLI" -s "$S" arrival confirm ABJ-1 --at 7:30
usage2 "$CLI" -s "$S" arrival no-show ABJ-1 --at 2026-12-01T07:30:00Z
err_has "\-\-at is not an option of this step"
usage2 "$CLI" -s "$S" arrival delayed ABJ-1 --met-by-agency ml-ngo
usage2 "$CLI" -s "$S" followup send ABJ-1
usage2 "$CLI" -s "$S" held ABJ-1 ABJ-2
usage2 "$CLI" -s "$S" held --home ml-ngo
err_has "\-\-home goes with a case code"
usage2 "$CLI" -s "$S" approve $ID2
err_has "\-\-reason is required"
usage2 "$CLI" -s "$S" approve 1234 --reason "safety at issue"
usage2 "$CLI" -s "$S" worklist now
usage2 "$CLI" -s "$S" alerts --limit 0
usage2 "$CLI" -s "$S" alerts list --limit 10001
usage2 "$CLI" -s "$S" alerts ack
usage2 "$CLI" -s "$S" alerts ack 0
usage2 "$CLI" -s "$S" alerts ack x1
usage2 "$CLI" -s "$S" audit verify all
usage2 "$CLI" -s "$S" audit list --after -1
usage2 "$CLI" -s "$S" audit list ABJ-1 ABJ-2
usage2 "$CLI" -s "$S" audit
err_has "audit: which one?"
usage2 "$CLI" -s "$S" document show
usage2 "$CLI" -s "$S" document show 0011 --json
err_has "32 hex digits"

step "no daemon: exit 1 and say what to do"
expect 1 "$CLI" -s "$S" status
has "is homewardd running? socket $S: No such file or directory"
expect 1 env HOMEWARD_SOCKET="$T/env.sock" "$CLI" peers
has "socket $T/env.sock"
expect 1 "$CLI" -s "$S" send --to beta --type 0x7f00 --file "$T/missing"
has "cannot read $T/missing"
head -c 1048577 /dev/zero >"$T/big"
expect 1 "$CLI" -s "$S" send --to beta --type 0x7f00 --file "$T/big"
has "larger than the 1048576 bytes"

step "the referral procedure: documents and forms are checked before connecting"
cat >"$T/request.json" <<'DOC'
{
  "scenario": "police_or_ngo",
  "profile": { "sex": "female", "age": 17, "minor": true, "nationality": "ML",
               "languages": ["bm", "fr"] },
  "needs": ["shelter", "medical"],
  "security": { "risk": "medium", "trafficker_aware": true },
  "proposed_return": { "earliest": "2026-12-01T00:00:00Z",
                       "latest": "2026-12-15T00:00:00Z" }
}
DOC
# A valid document gets as far as the socket.
expect 1 "$CLI" -s "$S" request send ABJ-1 --to ml-ngo --file "$T/request.json" --reply-by 2026-12-08T12:00:00Z
has "is homewardd running? socket $S"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/missing.json"
has "cannot read $T/missing.json"
printf '{ "scenario": "police_or_ngo",\n  "profile": { "sex": "female" \n' >"$T/cut.json"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/cut.json"
has "$T/cut.json: not valid JSON (line 3"
printf '["police_or_ngo"]\n' >"$T/array.json"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/array.json"
has "a document is a JSON object"
printf '{ "scenario": "police_or_ngo", "full_name": "Synthetic Person B" }\n' >"$T/unknown.json"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/unknown.json"
has "full_name"
has "AssistanceRequest in proto/referral.proto"
printf '{ "identity": { "full_name": "Synthetic Person B", "date_of_birth": 20090101 } }\n' >"$T/badtype.json"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/badtype.json"
has "identity.date_of_birth"
# What is wrong is named, the person's data is not echoed.
lacks "Synthetic Person B"
printf '{ "header": { "case_code": "ABJ-1" }, "scenario": "police_or_ngo" }\n' >"$T/header.json"
expect 1 "$CLI" -s "$S" request send ABJ-1 --file "$T/header.json"
has "leave out \"header\": homewardd fills it"
printf '{ "decision": "decline", "reasons": "no shelter place" }\n' >"$T/decline.json"
expect 1 "$CLI" -s "$S" request accept ABJ-1 --file "$T/decline.json"
has "\"decision\" contradicts the command"
expect 1 "$CLI" -s "$S" request decline ABJ-1 --file "$T/decline.json"
has "is homewardd running?"
printf '{ "kind": "provisional", "rules_waived": ["arrival_hour"] }\n' >"$T/waived.json"
expect 1 "$CLI" -s "$S" departure plan ABJ-1 --file "$T/waived.json"
has "give --waive and --waiver-reason"
printf '{ "kind": "provisional" }\n' >"$T/plan.json"
expect 1 "$CLI" -s "$S" departure depart ABJ-1 --file "$T/plan.json"
has "\"kind\" contradicts the command"
expect 1 "$CLI" -s "$S" arrival confirm ABJ-1 --met-by "duty officer" --met-by-agency ml-ngo
has "is homewardd running?"
# shellcheck disable=SC2086
expect 1 "$CLI" -s "$S" $CR --method written --form "$T/missing.pdf"
has "cannot read the consent form $T/missing.pdf"
: >"$T/empty.pdf"
# shellcheck disable=SC2086
expect 1 "$CLI" -s "$S" $CR --method written --form "$T/empty.pdf"
has "is empty"
expect 1 "$CLI" -s "$S" consent record ABJ-1 --to ml-ngo,bf-ngo --steps 1,2,departure --categories profile,travel --method written --form "$T/request.json" --expires 2099-01-01T00:00:00Z
has "is homewardd running?"

step "ctlstub, the control socket with synthetic answers"
SOCK=$T/control.sock
mkfifo "$T/ready"
"$STUB" serve "$SOCK" "$T/ready" >"$T/stub.log" 2>"$T/stub.err" &
STUB_PID=$!
read -r state <"$T/ready"
[ "$state" = ready ] || { cat "$T/stub.err" >&2; fail "ctlstub did not start"; }
mode "$SOCK" 660
C="$CLI -s $SOCK"
ID=00112233445566778899aabbccddeeff
TH=f0e1d2c3b4a5968778695a4b3c2d1e0f

step "status, peers, outbox, inbox: text and JSON"
expect 0 $C status
golden status.txt
expect 0 $C status --json
golden status.json
expect 0 $C peers
golden peers.txt
expect 0 $C peers list --json
golden peers.json
expect 0 $C outbox --peer beta --state sealed --limit 5
golden outbox.txt
expect 0 $C outbox list --json
golden outbox.json
expect 0 $C inbox
golden inbox.txt

step "show, and the document only when asked"
expect 0 $C outbox show $ID
golden outbox-show.txt
lacks "synthetic test body"
expect 0 $C inbox show $ID --json
golden inbox-show.json
expect 0 $C outbox show $ID --body "$T/body"
has "written to"
mode "$T/body" 600
[ "$(cat "$T/body")" = "synthetic test body" ] || fail "wrong body in $T/body"
# An existing file is refused before the daemon is asked (no audited read).
expect 1 $C outbox show $ID --body "$T/body"
has "exists: use --force"
expect 0 $C outbox show $ID --body "$T/body" --force
expect 0 $C inbox show $ID --body -
[ "$(cat "$T/stdout")" = "synthetic test body" ] || fail "--body - printed more than the body"
expect 1 $C inbox show ffeeddccbbaa99887766554433221100
has "homeward: no message ffeeddccbbaa99887766554433221100"

step "evidence export"
expect 0 $C evidence export $ID -o "$T/evidence"
has "homeward-keys verify-evidence $T/evidence"
mode "$T/evidence" 600
[ "$(cat "$T/evidence")" = "synthetic evidence" ] || fail "wrong evidence bytes"
expect 1 $C evidence export $ID -o "$T/evidence"
has "exists"
expect 0 $C evidence export $ID -o "$T/evidence" --force --json
has "\"bytes\": 19"

step "send"
printf 'synthetic test document\n' >"$T/doc"
expect 0 $C send --to beta --type 0x7f00 --file "$T/doc" --thread $TH --reply-to $ID
golden send.txt
expect 0 $C send --to beta --type 32512 --file "$T/doc" --json
has "\"message_id\": \"$ID\""
has "\"thread_id\": \"$TH\""

step "peers: verify, suspend, resume, remove; the daemon's refusal is exit 1"
expect 0 $C peers verify beta --fingerprint "1111122222 33333-44444 55555 66666 77777 88888"
has "beta verified"
expect 0 $C peers suspend beta
expect 0 $C peers resume beta --json
has '"action": "resume"'
expect 0 $C peers remove beta
expect 1 $C peers suspend gamma
has "homeward: no peer gamma: see 'homeward peers'"
expect 0 $C log-level debug

step "a step reaches the daemon; its refusal is exit 1, with what came"
# ctlstub answers no request of the referral procedure: each is refused.
expect 1 $C request send ABJ-1 --to beta --file "$T/request.json"
has "homeward: unknown request"
expect 1 $C request send ABJ-1 --to beta --file "$T/request.json" --json
has '"state": "refused"'
has '"result": "usage"'
expect 1 $C case list
has "homeward: unknown request"
expect 1 $C audit verify --json
has "homeward: unknown request"

step "peers import: the fingerprint must be confirmed"
"$STUB" bundle beta "$T/beta.bundle"
FP=$("$KEYS" fingerprint "$T/beta.bundle" --json | sed -n 's/.*"fingerprint": "\(.*\)".*/\1/p')
[ -n "$FP" ] || fail "no fingerprint for the beta bundle"
last=${FP#"${FP%?}"}
BAD="${FP%?}$(((last + 1) % 10))"
expect 1 $C peers import "$T/beta.bundle" --fingerprint "$BAD"
has "FINGERPRINT MISMATCH"
has "fingerprint      $FP"
expect 0 $C peers import "$T/beta.bundle" --fingerprint "$FP" --endpoint beta.example:9000
has "imported beta, fingerprint confirmed"
has "(given with --endpoint)"
# No terminal (setsid: no controlling tty) and no --fingerprint: refused.
expect 1 setsid $C peers import "$T/beta.bundle"
has "no terminal to confirm the fingerprint"
printf 'not a bundle' >"$T/junk.bundle"
expect 1 $C peers import "$T/junk.bundle" --fingerprint "$FP"
has "bundle refused"
# Everything the CLI sent so far, in order (the stub flushes every line).
golden requests.log "$T/stub.log"
n=$(grep -c '^import' "$T/stub.log")
if command -v script >/dev/null 2>&1; then
	printf 'yes\n' >"$T/answer"
	expect 0 script -qec "$C peers import $T/beta.bundle" /dev/null <"$T/answer"
	has "Type it here"
	has "imported beta"
	printf '%s\n' "$FP" >"$T/answer"
	expect 0 script -qec "$C peers import $T/beta.bundle --json" /dev/null <"$T/answer"
	has '"agency_id": "beta"'
	printf '%s\n' "$BAD" >"$T/answer"
	expect 1 script -qec "$C peers import $T/beta.bundle" /dev/null <"$T/answer"
	has "FINGERPRINT MISMATCH"
	printf 'no\n' >"$T/answer"
	expect 1 script -qec "$C peers import $T/beta.bundle" /dev/null <"$T/answer"
	has "import cancelled"
	# Only the two confirmed imports reached the daemon.
	[ "$(grep -c '^import' "$T/stub.log")" -eq $((n + 2)) ] ||
	    fail "a refused confirmation still sent the import"
else
	echo "   (script(1) missing: terminal confirmation not exercised)"
fi

step "the stub stops cleanly and removes its socket"
kill "$STUB_PID"
wait "$STUB_PID" || fail "ctlstub did not exit cleanly"
STUB_PID=
[ ! -e "$SOCK" ] || fail "control_close left $SOCK behind"

step "a stale socket: exit 1"
"$STUB" serve "$SOCK" "$T/ready" >/dev/null 2>&1 &
STUB_PID=$!
read -r state <"$T/ready"
kill -9 "$STUB_PID"
wait "$STUB_PID" 2>/dev/null || true
STUB_PID=
[ -S "$SOCK" ] || fail "no stale socket left by kill -9"
expect 1 $C status
has "is homewardd running? socket $SOCK: Connection refused"

echo "cli_usage: all checks passed"
