#!/bin/sh
# The metrics file for Prometheus' node exporter (metrics_file,
# homewardd(8) "Metrics"): a real daemon writes it at start; it parses as
# the text exposition format 0.0.4 (every sample a homeward_* gauge with
# its HELP and TYPE, partners labelled by agency id only); its figures are
# those of `homeward status --json` and `homeward peers --json`; a reload
# rewrites it (a partner gone, a message waiting for its receipt); a
# directory that cannot be written is logged once and the daemon carries
# on; a relative path is refused.  Synthetic data only.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/metrics.XXXXXX")
. tests/integration/lib/agencies.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

PROM=$T/textfile/homeward.prom
mkdir -p "$T/textfile"
A=ci-abidjan
B=ml-bamako

# metric NAME [LABELS]: its value in the file ("" when absent).
metric() {
	K=$1
	[ -z "${2:-}" ] || K="$1{$2}"
	K=$K awk '$1 == ENVIRON["K"] { print $2 }' "$PROM"
}
# near A B SLACK: |A - B| <= SLACK (numbers awk can read).
near() {
	awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= s) }'
}
# same NAME VALUE [SLACK] [LABELS]: the file's NAME is VALUE.
same() {
	v=$(metric "$1" "${4:-}")
	[ -n "$v" ] || fail "$1 ${4:-} is not in the file"
	near "$v" "$2" "${3:-0}" || fail "$1 ${4:-} is $v, status says $2"
}
secs() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }
reloads() { grep -c "configuration reloaded" "$T/$A.log" || true; }
# reload: SIGHUP to A, and wait until it says it reloaded.
reload() {
	n=$(reloads)
	kill -HUP "$(cat "$T/$A.pid")"
	wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' $T/$A.log) -gt $n ]" ||
	    fail "$A did not reload"
}

step "a relative metrics_file is refused"
EXTRA_CONF="[daemon]
metrics_file = $PROM" agency_new $A listen
agency_new $B listen
printf '[daemon]\nmetrics_file = homeward.prom\n' >>"$T/$B.conf"
if "$HWD" -n -f "$T/$B.conf" >"$T/out" 2>&1; then fail "a relative metrics_file was accepted"; fi
grep -q "metrics_file must be an absolute path" "$T/out" || fail "unclear: $(cat "$T/out")"
conf_edit "$T/$B.conf" '/^metrics_file = homeward.prom$/d'

step "written at start, in the text format"
agency_start $A
agency_start $B
wait_for 10 test -s "$PROM" || fail "no metrics file"
pair $A $B
wait_for 20 peer_connected $A $B || fail "$B never connected"
rm -f "$PROM"
reload
[ -s "$PROM" ] || fail "a reload did not rewrite the file"
grep -v '^#' "$PROM" | grep -Ev '^homeward_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$' &&
    fail "lines above are not samples of homeward_* metrics"
names=$(grep -v '^#' "$PROM" | sed 's/[{ ].*//' | sort -u)
[ "$(echo "$names" | wc -l)" -ge 15 ] || fail "too few metrics: $names"
for n in $names; do
	grep -q "^# HELP $n [A-Za-z0-9]" "$PROM" || fail "$n has no HELP"
	grep -qx "# TYPE $n gauge" "$PROM" || fail "$n has no TYPE"
	# HELP and TYPE come before the samples.
	awk -v n="$n" '$0 ~ "^# TYPE " n " " { t = 1 } $1 ~ "^" n "([{]|$)" && !t { exit 1 }' \
	    "$PROM" || fail "a sample of $n before its TYPE"
done
grep '{' "$PROM" | grep -v '^#' | grep -v "{agency=\"$B\"} " &&
    fail "a label other than agency=\"$B\""
stat -c %a "$PROM" | grep -qx 644 || fail "mode $(stat -c %a "$PROM"), not 644"
ls "$T/textfile" | grep -vqx homeward.prom && fail "a temporary file was left: $(ls "$T/textfile")"

# agree: the file's figures are status --json's and peers --json's.
agree() {
	hw $A status --json >"$T/status"
	hw $A peers --json >"$T/peers"
	s() { jq -r ".$1 // 0" "$T/status"; }
	p() { jq -r ".peers[] | select(.agency_id == \"$B\") | .$1 // 0" "$T/peers"; }
	same homeward_start_time_seconds "$(secs "$(s started_at)")"
	same homeward_peers "$(s peers_total)"
	same homeward_peers_connected "$(s peers_connected)"
	same homeward_outbox_unacked "$(s outbox_unacked)"
	same homeward_outbox_waiting "$(s outbox_waiting)"
	same homeward_inbox_gap_held "$(s inbox_gap_held)"
	same homeward_alerts_open "$(s open_alerts)"
	same homeward_alerts_urgent_open "$(s urgent_alerts)"
	same homeward_tls_cert_expiry_seconds "$(secs "$(s tls_not_after)")"
	same homeward_dsk_cert_expiry_seconds "$(secs "$(s dsk_not_after)")"
	same homeward_data_max_bytes "$(s data_max_bytes)"
	# What others write to this disk, or a page of data.db, may move.
	same homeward_data_bytes "$(s data_bytes)" 262144
	same homeward_disk_free_bytes "$(s disk_free_bytes)" \
	    "$(awk -v f="$(s disk_free_bytes)" 'BEGIN { printf "%d", f / 10 }')"
	# An age: the file's is at most status's (it was written before).
	age=$(metric homeward_outbox_oldest_unacked_age_seconds)
	near "$age" "$(secs "$(s oldest_unacked_age_ms)")" 120 ||
	    fail "oldest unacked age $age, status $(s oldest_unacked_age_ms) ms"
	same homeward_peer_connected "$(p connected | sed 's/true/1/; s/false/0/')" 0 "agency=\"$B\""
	same homeward_peer_unreachable_since_seconds "$(secs "$(p unreachable_since)")" 0 "agency=\"$B\""
	same homeward_peer_outbox_unacked "$(p outbox_unacked)" 0 "agency=\"$B\""
	same homeward_peer_cert_expiry_seconds "$(secs "$(p dsk_not_after)")" 0 "agency=\"$B\""
}

step "the figures are homeward status's"
agree
[ "$(metric homeward_peer_connected "agency=\"$B\"")" = 1 ] || fail "$B not connected"

step "a reload rewrites it: the partner gone, a message waiting for its receipt"
agency_stop $B
wait_for 20 sh -c "! $HWCLI -s $T/$A.sock peers --json | jq -e '.peers[0].connected' >/dev/null" ||
    fail "$B still connected"
printf 'opaque synthetic bytes\n' >"$T/opaque"
hw $A send --to $B --type 0x7f00 --file "$T/opaque" >/dev/null || fail "send"
sleep 1.1                       # an age of at least a second
rm -f "$PROM"
reload
[ -s "$PROM" ] || fail "a reload did not rewrite the file"
agree
[ "$(metric homeward_peer_connected "agency=\"$B\"")" = 0 ] || fail "$B still connected"
near "$(metric homeward_peer_unreachable_since_seconds "agency=\"$B\"")" 0 0 &&
    fail "no unreachable_since for $B"
[ "$(metric homeward_outbox_unacked)" -ge 1 ] || fail "the message is not counted"
near "$(metric homeward_outbox_oldest_unacked_age_seconds)" 0 0.999 &&
    fail "the oldest unacked message has no age"

step "a directory it cannot write: logged once, the daemon carries on"
conf_edit "$T/$A.conf" "s|^metrics_file = .*|metrics_file = $T/no-such-dir/homeward.prom|"
reload
grep -q "metrics_file $T/no-such-dir/homeward.prom: cannot write it" "$T/$A.log" ||
    fail "the failure was not logged"
hw $A status >/dev/null || fail "the daemon stopped answering"
[ "$(grep -c "metrics_file .*: cannot write it" "$T/$A.log")" = 1 ] ||
    fail "the failure was logged more than once"
grep "cannot write it" "$T/$A.log" | grep -q ReadWritePaths || fail "no hint of what to do"

step "empty: no file"
conf_edit "$T/$A.conf" "s|^metrics_file = .*|metrics_file =|"
rm -f "$PROM"
reload
hw $A status >/dev/null || fail "the daemon stopped answering"
[ ! -e "$PROM" ] || fail "a metrics file was written with metrics_file empty"
echo "metrics: OK"
