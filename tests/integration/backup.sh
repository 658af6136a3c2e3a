#!/bin/sh
# Backup and restore (issue 12, item 4), with real daemons on 127.0.0.1.
# ci-abidjan refers two cases to ml-bamako and is backed up while it runs
# (`homeward backup`); then it sends more and one of the cases is erased
# (closed, retention over).  Stopped, restored from the backup
# (`homewardd --restore`), started: the erased case stays erased (the
# erasure journal, replayed), the case and the messages from before the
# backup are there.  Refused, with nothing changed: a tampered backup, a
# cut one, a restore while the daemon runs, a backup by a caseworker, an
# existing output file.  Synthetic data only.  Uses $BUILD (default build).
set -eu
LC_ALL=C
TZ=UTC
export LC_ALL TZ
BUILD=${BUILD:-build}
for bin in "$BUILD/homewardd" "$BUILD/homeward" "$BUILD/homeward-keys"; do
	[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
done
umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/backup.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

CASEWORKER=2921
PROC="[roles]
$CASEWORKER = caseworker
[procedure]
deadline_check_ms = 200
retention_ms = 1000
erasure_wait_ms = 3000"
DEST=ci-abidjan
ORIG=ml-bamako
ST=$T/$DEST.state

step "two agencies, paired"
EXTRA_CONF=$PROC agency_new $DEST listen
TZONE=Africa/Bamako EXTRA_CONF=$PROC agency_new $ORIG
agency_start $DEST
agency_start $ORIG
pair $DEST $ORIG
peer_endpoint "$T/$ORIG.conf" $DEST "$(port_of $DEST)"
kill -HUP "$(cat "$T/$ORIG.pid")"
wait_for 20 peer_connected $ORIG $DEST || fail "$ORIG never connected"
cat >"$T/request.json" <<EOF
{ "scenario": "police_or_ngo",
  "profile": { "sex": "female", "age": 30, "nationality": "ML" },
  "needs": ["shelter"] }
EOF

# refer CODE: open CODE, record consent, send the request.
refer() {
	hw $DEST case open "$1" --sex female --age 30 >/dev/null || fail "case open $1"
	hw $DEST consent record "$1" --to $ORIG --steps all --categories all \
	    --method oral >"$T/out" 2>&1 || fail "consent $1: $(cat "$T/out")"
	hw $DEST request send "$1" --to $ORIG --file "$T/request.json" --json \
	    >"$T/out" 2>&1 || fail "request $1: $(cat "$T/out")"
}
# state_of CODE: its state, "" when there is no such case.
state_of() {
	{ hw $DEST case list --json; hw $DEST case list --state erased --json; } |
	    jq -r ".cases[] | select(.code == \"$1\") | .state"
}
erased() { [ "$(hw $DEST case list --state erased --json |
    jq -r ".cases[] | select(.code == \"$1\") | .state")" = erased ]; }
outbox_count() { hw $DEST outbox --json | jq '.messages | length'; }
sums() { sha256sum "$ST/data.db" "$ST/keystore.db"; }

refer CI-BAK-1
refer CI-BAK-2
wait_for 30 all_acked $DEST || fail "the requests were never receipted"
before=$(outbox_count)

step "a caseworker is denied the backup; no file is left"
chmod 755 "$T"
chmod 666 "$T/$DEST.sock"
expect 1 as $CASEWORKER "$HWCLI" -s "$T/$DEST.sock" backup -o /tmp/backup-denied.$$
says "needs the role supervisor"
[ ! -e /tmp/backup-denied.$$ ] || { rm -f /tmp/backup-denied.$$; fail "a denied backup left a file"; }

step "backup while running"
expect 0 hw $DEST backup -o "$T/one.hwbak"
prints "wrote $T/one.hwbak: "
[ "$(stat -c %a "$T/one.hwbak")" = 600 ] || fail "the backup is not mode 0600"
sha=$(sha256sum "$T/one.hwbak" | cut -d' ' -f1)
prints "sha256 $sha"
[ "$(head -c 8 "$T/one.hwbak")" = HWBACKUP ] || fail "no magic"
ls -a "$ST" | grep -q '^\.backup-' && fail "temporary copies left in $ST"
hw $DEST audit list --json | jq -e '[.audit[] | select(.action == "backup")] |
    length == 1' >/dev/null || fail "the backup is not in the audit log"
expect 1 hw $DEST backup -o "$T/one.hwbak"
says "exists"
[ "$(sha256sum "$T/one.hwbak" | cut -d' ' -f1)" = "$sha" ] ||
    fail "an existing backup was changed"
expect 0 hw $DEST backup -o "$T/two.hwbak" --json
[ "$(jq -r .sha256 "$T/stdout")" = "$(sha256sum "$T/two.hwbak" | cut -d' ' -f1)" ] ||
    fail "--json names another sha256"

step "after the backup: more is sent, a plain copy taken, CI-BAK-1 erased"
refer CI-BAK-3
wait_for 30 all_acked $DEST || fail "CI-BAK-3 was never receipted"
orig_in=$(hw $ORIG inbox --limit 10000 --json | jq '.messages | length')
agency_stop $DEST
mkdir "$T/old"
cp "$ST/data.db" "$ST/keystore.db" "$T/old/"
agency_start $DEST
hw $DEST case close CI-BAK-1 >/dev/null || fail "case close"
wait_for 30 erased CI-BAK-1 || fail "CI-BAK-1 was not erased"
[ -s "$ST/erasures.journal" ] || fail "no erasure journal"
[ "$(stat -c %a "$ST/erasures.journal")" = 600 ] || fail "the journal is not 0600"
[ $(($(stat -c %s "$ST/erasures.journal") % 64)) = 0 ] || fail "a torn journal"

expect 0 hw $ORIG backup -o "$T/other.hwbak"

step "restore is refused while the daemon runs"
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/one.hwbak"
says "another homewardd"
says "stop it first"
expect 0 hw $DEST status

step "stopped: a tampered backup and a cut one are refused, nothing changed"
agency_stop $DEST
sums >"$T/sums.before"
size=$(stat -c %s "$T/one.hwbak")
cp "$T/one.hwbak" "$T/bad.hwbak"
printf '\001' | dd of="$T/bad.hwbak" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$T/one.hwbak" "$T/bad.hwbak" && printf '\002' |
    dd of="$T/bad.hwbak" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/bad.hwbak"
says "is damaged or was cut short; nothing was changed"
head -c $((size - 10)) "$T/one.hwbak" >"$T/cut.hwbak"
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/cut.hwbak"
says "is damaged or was cut short; nothing was changed"
head -c $((size - 22)) "$T/one.hwbak" >"$T/cut.hwbak"   # FINAL piece gone
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/cut.hwbak"
says "nothing was changed"
{ cat "$T/one.hwbak"; printf 'x'; } >"$T/long.hwbak"
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/long.hwbak"
says "nothing was changed"
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/other.hwbak"
says "does not open with this agency's daemon.key"
printf 'not a backup at all, synthetic\n' >"$T/junk.hwbak"
expect 1 "$HWD" -f "$T/$DEST.conf" --restore "$T/junk.hwbak"
says "is not a homeward backup file"
sums | cmp -s - "$T/sums.before" || fail "a refused restore changed the databases"
ls "$ST" | grep -q 'restore' && fail "a refused restore left files: $(ls "$ST")"

step "restore"
expect 0 "$HWD" -f "$T/$DEST.conf" --restore "$T/one.hwbak"
prints "1 erasure(s) applied again"
[ -f "$ST/data.db.pre-restore" ] && [ -f "$ST/keystore.db.pre-restore" ] ||
    fail "the replaced databases were not kept"
[ "$(stat -c %a "$ST/data.db")" = 600 ] || fail "data.db is not 0600"
ls -a "$ST" | grep -Eq '\.restore$|^\.backup-' && fail "temporaries left: $(ls -a "$ST")"

step "started: CI-BAK-1 stays erased; what came before the backup is there"
agency_start $DEST
[ "$(state_of CI-BAK-1)" = erased ] || fail "CI-BAK-1 came back: $(state_of CI-BAK-1)"
[ "$(state_of CI-BAK-2)" = open ] || fail "CI-BAK-2 is $(state_of CI-BAK-2)"
[ -z "$(state_of CI-BAK-3)" ] || fail "CI-BAK-3 (after the backup) is there"
[ "$(outbox_count)" -ge "$before" ] || fail "messages from before the backup are gone"
expect 0 hw $DEST document show "$(hw $DEST outbox --json |
    jq -r '[.messages[] | select(.msg_type == 1)][0].message_id')"
hw $DEST audit list --limit 10000 --json | jq -e '[.audit[] |
    select(.action == "restore")] | length == 1' >/dev/null ||
    fail "the restore is not in the audit log"
expect 0 hw $DEST audit verify

step "the partner: the link recovers, nothing sent after the backup lost or doubled there"
wait_for 30 peer_connected $DEST $ORIG || fail "$DEST never connected again"
wait_for 60 grep -q "re-synchronised after the restore" "$T/$DEST.log" ||
    fail "$DEST never re-synchronised with $ORIG"
[ "$(hw $ORIG inbox --limit 10000 --json | jq '.messages | length')" = "$orig_in" ] ||
    fail "$ORIG's inbox changed: $(hw $ORIG inbox --limit 10000 --json)"
hw $DEST alerts --all --json | jq -e '[.alerts[] | select(.kind == "resync_lost")] |
    length == 1' >/dev/null || fail "no alert for what $DEST lost: $(hw $DEST alerts --all --json)"
refer CI-BAK-4
wait_for 30 all_acked $DEST || fail "CI-BAK-4, after the restore, was never receipted"
! grep -Eq "ALERT (equivocation|thread)" "$T/$ORIG.log" || fail "$ORIG raised: $(grep ALERT "$T/$ORIG.log")"

step "a damaged data.db is replaced, kept as it was found"
agency_stop $DEST
head -c 8192 /dev/zero | tr '\0' 'x' >"$ST/data.db"
rm -f "$ST/data.db-wal" "$ST/data.db-shm"
# As under systemd once the unit stopped: the socket's directory is gone.
sed "s#^control_socket = .*#control_socket = $T/gone/$DEST.sock#" \
    "$T/$DEST.conf" >"$T/restore.conf"
expect 0 "$HWD" -f "$T/restore.conf" --restore "$T/two.hwbak"
cmp -s "$ST/data.db.pre-restore" /dev/null && fail "nothing kept"
[ "$(head -c 4 "$ST/data.db.pre-restore")" = xxxx ] ||
    fail "the damaged data.db was not kept as found"
agency_start $DEST
[ "$(state_of CI-BAK-1)" = erased ] || fail "CI-BAK-1 came back from the second backup"
[ "$(state_of CI-BAK-2)" = open ] || fail "CI-BAK-2 is $(state_of CI-BAK-2)"

step "a plain copy from before the erasure put back: erased again at start"
agency_stop $DEST
rm -f "$ST"/*.db-wal "$ST"/*.db-shm
cp "$T/old/data.db" "$T/old/keystore.db" "$ST/"
agency_start $DEST
[ "$(state_of CI-BAK-1)" = erased ] || fail "CI-BAK-1 came back from the copy"
[ "$(state_of CI-BAK-3)" = open ] || fail "CI-BAK-3 is $(state_of CI-BAK-3)"
grep -q "erasure(s) of the erasure journal applied again" "$T/$DEST.log" ||
    fail "the start did not say it erased again"
expect 0 hw $DEST audit verify

printf 'backup.sh: OK (%d checks)\n' "$CHECKS"
