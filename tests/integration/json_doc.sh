#!/bin/sh
# Every key that a command prints with --json is documented: each command
# of `homeward --help` and `homeward-keys --help` runs here with --json
# (against real daemons on 127.0.0.1, ci-abidjan referring a case to
# ml-bamako through every step, and on real key files), must print one
# JSON object, and every key on every path of it (jq paths; the decoded
# document under "document" is proto/referral.proto's and documented
# there) must be named by a .Va of the JSON OUTPUT section of homeward.1,
# or homeward-keys.1, where each command has its item.  A command missing
# from the runs below fails too: a new command is one more line
# `j AGENCY COMMAND ARGS...` (or `k COMMAND ARGS...` for homeward-keys),
# and its item and keys in the man page.  Synthetic data only.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/json_doc.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

SUPERVISOR1=2951
SUPERVISOR2=2952
IN=$T/input
mkdir -p "$IN" "$T/out"
chmod 755 "$T"
N=0

# run PROGRAM CLI... : one --json run of PROGRAM's command, its output kept
# as $T/out/N.PROGRAM with its command (the first words of CLI that name
# one in PROGRAM's --help) in $T/out/N.cmd.  Any exit status will do
# (a refused step, a broken audit chain, check's verdicts and a failed
# proof print JSON too), but the output must be one JSON object.
run() {
	prog=$1
	shift
	N=$((N + 1))
	set +e
	"$@" --json >"$T/out/$N.$prog" 2>"$T/out/$N.err"
	rc=$?
	set -e
	if ! jq -se 'length == 1 and (.[0] | type) == "object"' "$T/out/$N.$prog" \
	    >/dev/null 2>&1; then
		sed 's/^/    /' "$T/out/$N.$prog" "$T/out/$N.err" >&2
		fail "not one JSON object (exit $rc): $*"
	fi
}
# cmd_of HELPLIST WORD1 [WORD2]: the command these words run.
cmd_of() {
	if [ -n "${3:-}" ] && grep -qx "$2 $3" "$1"; then echo "$2 $3"
	elif grep -qx "$2 list" "$1"; then echo "$2 list"
	else echo "$2"
	fi
}
# j [-u UID] AGENCY COMMAND ARGS...: homeward against AGENCY's daemon.
j() {
	uid=
	if [ "$1" = -u ]; then uid=$2; shift 2; fi
	name=$1
	shift
	cmd_of "$T/cmds.homeward" "$1" "${2:-}" >"$T/out/$((N + 1)).cmd"
	if [ -n "$uid" ]; then
		run homeward as "$uid" "$HWCLI" -s "$T/$name.sock" "$@"
	else
		run homeward "$HWCLI" -s "$T/$name.sock" "$@"
	fi
}
# k COMMAND ARGS...: homeward-keys.
k() {
	echo "$1" >"$T/out/$((N + 1)).cmd"
	run homeward-keys "$KEYS" "$@"
}
# last FILTER: jq FILTER of the last output.
last() { jq -r "$1" "$T/out/$N.homeward"; }

"$HWCLI" --help | sed -n '/^commands:/,/^options:/p' |
    sed -n 's/^  \([a-z].*\)/\1/p' | sed 's/  .*//; s/\[//; s/\]//' >"$T/cmds.homeward"
"$KEYS" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' \
    >"$T/cmds.homeward-keys"
[ "$(wc -l <"$T/cmds.homeward")" -ge 40 ] || fail "homeward --help lists too few commands"
[ "$(wc -l <"$T/cmds.homeward-keys")" -ge 8 ] || fail "homeward-keys --help lists too few"

# Each command has its item in the JSON OUTPUT section: an .It line with
# every word of the command ("outbox list" in ".It Cm outbox list | Cm
# inbox list", "peers list" in ".It Cm peers Op Cm list").
step "every command has its item in the JSON OUTPUT section"
for prog in homeward homeward-keys; do
	sed -n '/^\.Sh JSON OUTPUT$/,/^\.Sh /p' "docs/man/$prog.1" | grep '^\.It ' >"$T/items"
	while read -r cmd; do
		cp "$T/items" "$T/found"
		for word in $cmd; do
			grep -w -- "$word" "$T/found" >"$T/found.next" || true
			mv "$T/found.next" "$T/found"
		done
		[ -s "$T/found" ] || fail "$prog.1: JSON OUTPUT has no item for '$cmd'"
	done <"$T/cmds.$prog"
done

PROC="[procedure]
deadline_check_ms = 200
arrival_grace_ms = 500
[roles]
$SUPERVISOR1 = supervisor
$SUPERVISOR2 = supervisor"

step "two agencies: ci-abidjan refers, ml-bamako receives"
EXTRA_CONF=$PROC agency_new ci-abidjan listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new ml-bamako listen
agency_start ci-abidjan
agency_start ml-bamako
pair ci-abidjan ml-bamako
chmod 666 "$T"/*.sock
wait_for 20 peer_connected ci-abidjan ml-bamako || fail "ml-bamako never connected"
DEST=ci-abidjan
ORIG=ml-bamako
has_case() { hw "$1" case show "$2" >/dev/null 2>&1; }
thread_is() {  # thread_is AGENCY CODE FIELD VALUE
	[ "$(hw "$1" case show "$2" --json | jq -r ".case.threads[0].$3")" = "$4" ]
}
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
plan() {  # plan FILE DEPARTURE ARRIVAL (epoch seconds) ESCORT_GENDER
	cat >"$1" <<EOF
{ "legs": [ { "mode": "air", "carrier": "XX", "number": "XX123",
              "from_place": "ABJ", "from_zone": "Africa/Abidjan",
              "to_place": "BKO", "to_zone": "Africa/Bamako",
              "departure": "$(rfc3339 "$2")", "arrival": "$(rfc3339 "$3")" } ],
  "arrival_place": "BKO", "arrival_zone": "Africa/Bamako",
  "escorts": [ { "role": "operational", "gender": "$4", "contact": "escort desk" } ],
  "fit_to_travel": true,
  "met_by": { "agency_id": "ml-bamako", "name": "Agency ml-bamako", "contact": "duty officer" } }
EOF
}
WAIVE="--waive notice,daytime,workday,escort_female --waiver-reason synthetic"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "female", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req-f.json"
printf '{ "scenario": "police_or_ngo", "profile": { "sex": "male", "age": 30 }, "needs": ["shelter"] }\n' \
    >"$IN/req-m.json"
printf '{ "wanted": ["education"], "assessment": "synthetic assessment" }\n' >"$IN/reint.json"
printf '{ "committed": [ { "kind": "psychosocial", "provider": "synthetic provider" } ] }\n' \
    >"$IN/reint-confirm.json"
printf '{ "status": "in_progress", "report": "synthetic follow-up" }\n' >"$IN/followup.json"
printf 'opaque synthetic bytes\n' >"$IN/opaque"
printf 'scan of a signed consent form (synthetic)\n' >"$IN/form.pdf"
NOW=$(date +%s)
plan "$IN/gone.json" $((NOW - 3600)) $((NOW + 3600)) female
plan "$IN/soon.json" $((NOW - 3600)) $((NOW + 1)) male
chmod 644 "$IN"/*

step "the daemon and its partners"
j $DEST status
j $DEST check
j $DEST log-level info
j $DEST peers
j $DEST send --to $ORIG --type 0x7f00 --file "$IN/opaque"

step "a third agency's keys, and the key tool"
printf 'synthetic root passphrase of sn-dakar\n' >"$T/sn-dakar.rik"
printf 'synthetic daemon passphrase of sn-dakar\n' >"$T/sn-dakar.pass"
chmod 600 "$T/sn-dakar.rik" "$T/sn-dakar.pass"
SN=$T/sn-dakar
PASS="--passphrase-file $T/sn-dakar.pass"
RIK="--rik-passphrase-file $T/sn-dakar.rik"
# shellcheck disable=SC2086
k init --dir "$SN" --agency-id sn-dakar --name "Agency sn-dakar" --country SN \
    --time-zone Africa/Dakar --duty-contact "+221 00 00 00 00" $RIK $PASS
k contact --dir "$SN" --duty-contact "+221 00 00 00 00"
k export --dir "$SN" -o "$T/sn-dakar.bundle"
k fingerprint --dir "$SN" --peer "$T/ci-abidjan.bundle"
# shellcheck disable=SC2086
k rotate-prekeys --dir "$SN" --ahead 5 $PASS
spk=$("$KEYS" inspect "$SN/prekeys.dat" --json | jq -r '.prekeys[-1].spk_id')
# shellcheck disable=SC2086
k certify --dir "$SN" $RIK $PASS
# shellcheck disable=SC2086
k revoke --dir "$SN" --spk "$spk" --reason retired $RIK
k inspect "$SN/agency.pub"
k inspect "$SN/rik.key"
# shellcheck disable=SC2086
k inspect "$SN/daemon.key" $PASS
k inspect "$SN/prekeys.dat"
"$KEYS" export --dir "$SN" -o "$T/sn-dakar.bundle" --force >/dev/null 2>&1
FP=$(fingerprint_of sn-dakar)
j $DEST peers import "$T/sn-dakar.bundle" --fingerprint "$FP"
[ "$(last .peer.agency_id)" = sn-dakar ] || fail "import: no peer in $(last .)"
j $DEST peers verify sn-dakar --fingerprint "$FP"
[ "$(last .peer.verified)" = true ] || fail "verify: no peer in $(last .)"
j $DEST peers suspend sn-dakar
j $DEST peers resume sn-dakar
j $DEST peers remove sn-dakar
[ "$(last .peer)" = null ] || fail "remove: a peer in $(last .)"

step "a case through every step"
j $DEST case open JSON-0001 --sex female --age 30
j $DEST request send JSON-0001 --to $ORIG --file "$IN/req-f.json" --reply-by 2030-01-15T12:00:00Z
[ "$(last .state)" = held ] || fail "the request was not held: $(last .)"
HELD=$(last .held_id)
j $DEST held
j $DEST held show "$HELD"
j $DEST worklist
j $DEST consent record JSON-0001 --to $ORIG --steps all --categories all \
    --method written --form "$IN/form.pdf"
j $DEST consent list JSON-0001
j $DEST consent notice JSON-0001 --to $ORIG --steps all --categories all \
    --language fr --text "$T/notice.txt"
j $DEST consent record JSON-0001 --to $ORIG --steps all --categories all \
    --method oral --notice "$T/notice.txt"
j $DEST consent list JSON-0001
wait_for 20 has_case $ORIG JSON-0001 || fail "ml-bamako never saw JSON-0001"
j $ORIG request accept JSON-0001 --met-by-agency $ORIG --met-by-contact "duty officer"
wait_for 20 thread_is $DEST JSON-0001 request 2 || fail "the acceptance never came"
j $DEST reintegration request JSON-0001 --to $ORIG --file "$IN/reint.json"
wait_for 20 thread_is $ORIG JSON-0001 reintegration 1 || fail "no reintegration request"
j $ORIG reintegration confirm JSON-0001 --file "$IN/reint-confirm.json"
wait_for 20 thread_is $DEST JSON-0001 reintegration 2 || fail "no reintegration confirmation"
# shellcheck disable=SC2086
j $DEST departure plan JSON-0001 --to $ORIG --file "$IN/gone.json" $WAIVE
# shellcheck disable=SC2086
j $DEST departure depart JSON-0001 --to $ORIG --file "$IN/gone.json" $WAIVE
wait_for 20 thread_is $ORIG JSON-0001 departure 2 || fail "no final departure"
j $ORIG arrival confirm JSON-0001 --met-by "duty officer" --met-by-agency $ORIG
j $ORIG followup send JSON-0001 --file "$IN/followup.json"
j $DEST case update JSON-0001 --age 31
# Answers out of order: refused, and said in JSON.
j $ORIG request more-info JSON-0001 --reason "synthetic: which shelter"
j $ORIG request decline JSON-0001 --reason "synthetic"

step "a no-show, its outcome; refused steps"
hw $DEST case open JSON-0002 --sex male --age 30 >/dev/null
hw $DEST consent record JSON-0002 --to $ORIG --steps all --categories all \
    --method oral-interpreted --language bm >/dev/null || fail "consent JSON-0002"
hw $DEST request send JSON-0002 --to $ORIG --file "$IN/req-m.json" >/dev/null ||
    fail "request JSON-0002"
wait_for 20 has_case $ORIG JSON-0002 || fail "ml-bamako never saw JSON-0002"
hw $ORIG request accept JSON-0002 --met-by-agency $ORIG --met-by-contact "duty officer" \
    >/dev/null || fail "accept JSON-0002"
wait_for 20 thread_is $DEST JSON-0002 request 2 || fail "JSON-0002's acceptance"
# shellcheck disable=SC2086
hw $DEST departure plan JSON-0002 --file "$IN/soon.json" $WAIVE >/dev/null ||
    fail "plan JSON-0002"
# shellcheck disable=SC2086
hw $DEST departure depart JSON-0002 --file "$IN/soon.json" $WAIVE >/dev/null ||
    fail "depart JSON-0002"
wait_for 20 thread_is $ORIG JSON-0002 departure 2 || fail "JSON-0002's departure"
j $ORIG arrival no-show JSON-0002 --next-steps "synthetic: family contacted"
j -u $SUPERVISOR2 $ORIG case outcome JSON-0002 --outcome located
j $ORIG arrival delayed JSON-0002 --expected 2030-01-15T09:00:00Z
j $ORIG alerts --all
j $ORIG alerts ack "$(last '.alerts[0].id')"

step "the safety exception, a cancelled draft, a withdrawal"
hw $DEST case open JSON-0003 --sex male --age 30 >/dev/null
hw $DEST request send JSON-0003 --to $ORIG --file "$IN/req-m.json" \
    --safety-reason "synthetic imminent threat" --json >"$T/safety" || fail "safety"
SAFE=$(jq -r .held_id "$T/safety")
j -u $SUPERVISOR1 $DEST approve "$SAFE" --reason "synthetic: concur"
j -u $SUPERVISOR2 $DEST approve "$SAFE" --reason "synthetic: concur"
hw $DEST case open JSON-0004 --sex male --age 30 >/dev/null
DRAFT=$(hw $DEST request send JSON-0004 --to $ORIG --file "$IN/req-m.json" --json |
    jq -r .held_id)
j $DEST held cancel "$DRAFT" --reason "synthetic"
hw $DEST consent record JSON-0004 --to $ORIG --steps all --categories all \
    --method oral >/dev/null || fail "consent JSON-0004"
j $DEST consent withdraw JSON-0004
j $DEST case close JSON-0004

step "messages, evidence, documents, the audit log"
wait_for 30 all_acked $DEST || fail "ci-abidjan's messages were never receipted"
j $DEST outbox
MID=$(jq -r '[.messages[] | select(.msg_type == 1)][-1].message_id' "$T/out/$N.homeward")
j $DEST outbox show "$MID"
j $DEST inbox
IID=$(last '.messages[0].message_id')
j $DEST inbox show "$IID" --body "$T/body"
j $DEST document show "$MID"
j $DEST evidence export "$MID" -o "$T/evidence"
k inspect "$T/evidence"
k verify-evidence "$T/evidence" --sender "$T/ci-abidjan.bundle" \
    --recipient "$T/ml-bamako.bundle"
k verify-evidence "$T/evidence" --sender "$T/ml-bamako.bundle" \
    --recipient "$T/ci-abidjan.bundle"
j $DEST case show JSON-0001
j $DEST case report JSON-0001 --for file --language fr -o "$T/report.pdf"
install -d -o "$SUPERVISOR1" "$T/sup"
j -u $SUPERVISOR1 $DEST backup -o "$T/sup/backup.hwb"
j $DEST case list
j $DEST alerts
j $DEST audit verify
j $DEST audit list JSON-0001
j $DEST status
j $ORIG worklist
printf 'synthetic new root passphrase of sn-dakar\n' >"$T/sn-dakar.rik2"
chmod 600 "$T/sn-dakar.rik2"
# shellcheck disable=SC2086
k rotate-rik --dir "$SN" $RIK --new-rik-passphrase-file "$T/sn-dakar.rik2" $PASS

step "every command ran"
for prog in homeward homeward-keys; do
	cat "$T"/out/*.cmd | sort -u >"$T/ran"
	sort -u "$T/cmds.$prog" | comm -23 - "$T/ran" >"$T/missed"
	[ ! -s "$T/missed" ] || fail "no --json run here of $prog:" \
	    "$(tr '\n' ',' <"$T/missed") (add a line to $0)"
done

# documented PAGE: the names that the .Va lines of PAGE's JSON OUTPUT
# section give, each up to the first macro of its line (".Va a , b Pq c").
documented() {
	sed -n '/^\.Sh JSON OUTPUT$/,/^\.Sh /p' "$1" | awk '
	    $1 == ".Va" {
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^[A-Z][a-z]+$/) break
			if ($i ~ /^[a-z][a-z0-9_]*$/) print $i
		}
	    }' | sort -u
}

step "every key printed is documented"
for prog in homeward homeward-keys; do
	documented "docs/man/$prog.1" >"$T/doc.$prog"
	[ "$(wc -l <"$T/doc.$prog")" -ge 40 ] ||
	    fail "$prog.1: found too few documented keys (no JSON OUTPUT section?)"
done
bad=0
for f in "$T"/out/*.homeward "$T"/out/*.homeward-keys; do
	prog=${f##*.}
	n=${f##*/}
	n=${n%%.*}
	jq -r 'del(.document?) | paths | .[] | strings' "$f" | sort -u |
	    comm -23 - "$T/doc.$prog" >"$T/undoc"
	if [ -s "$T/undoc" ]; then
		printf 'FAIL: %s %s --json prints keys %s.1 does not document: %s\n' \
		    "$prog" "$(cat "$T/out/$n.cmd")" "$prog" \
		    "$(tr '\n' ' ' <"$T/undoc")" >&2
		bad=1
	fi
done
[ "$bad" = 0 ] || exit 1
echo "json_doc: OK ($N commands, $(cat "$T"/out/*.homeward "$T"/out/*.homeward-keys |
    jq -r 'del(.document?) | paths | .[] | strings' | sort -u | wc -l) distinct keys)"
