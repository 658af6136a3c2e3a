#!/bin/sh
# A control-socket client that sends without reading (issue 11 item 9),
# against a real daemon:
#   - a uid in the socket's group but in no [roles] flooding status
#     requests gets one refusal and is closed; the daemon logs one line for
#     it, however often it comes back, and the CLI still tells such an
#     operator which uid and file;
#   - an operator with a role flooding status requests without reading
#     the answers: the daemon stops reading it once its answers pile up,
#     closes it when they stay unread, and its memory stays bounded; other
#     operators are answered meanwhile.
# Synthetic data only.
set -eu
LC_ALL=C
export LC_ALL
BUILD=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/ctlflood.XXXXXX")
. tests/integration/lib/agencies.sh
. tests/integration/lib/checks.sh
trap 'agencies_cleanup; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
RAW=$BUILD/tests/tools/ctlraw
NOBODY=2914                     # in no [roles]
chmod 755 "$T"

# rss_kb NAME: the resident memory of NAME's daemon.
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$T/$1.pid")/status"
}

step "a daemon whose socket others may reach"
agency_new alpha
agency_start alpha
chmod 666 "$T/alpha.sock"
hw alpha status >/dev/null || fail "status"
RSS0=$(rss_kb alpha)

step "a uid with no role flooding status requests is answered once and closed"
expect 0 as $NOBODY "$RAW" flood "$T/alpha.sock" 200000 15
prints "closed after"
n=$(grep -c "uid $NOBODY" "$T/alpha.log" || true)
[ "$n" = 1 ] || { grep "uid $NOBODY" "$T/alpha.log" | tail -5 >&2; \
    fail "$n log lines for one refused connection, wanted 1"; }
for i in 1 2 3 4 5; do
	expect 1 as $NOBODY "$HWCLI" -s "$T/alpha.sock" status
	says "homeward: uid $NOBODY has no role in $T/alpha.conf"
done
n=$(grep -c "uid $NOBODY" "$T/alpha.log" || true)
[ "$n" = 1 ] || fail "$n log lines for six refused connections within a minute, wanted 1"

step "an operator flooding status requests without reading is stopped, then closed"
"$RAW" flood "$T/alpha.sock" 400000 40 >"$T/flood.out" 2>&1 &
FLOOD=$!
# Meanwhile the daemon answers everyone else.
for i in 1 2 3 4 5; do
	hw alpha status >/dev/null || fail "status during the flood"
	sleep 0.2
done
wait "$FLOOD" || { cat "$T/flood.out" >&2; fail "the flooding client was never closed"; }
grep -q "closed after" "$T/flood.out" || fail "flood: $(cat "$T/flood.out")"
grep -q "has not read .* bytes of answers for 10 s, closing" "$T/alpha.log" ||
    fail "the closing is not logged"
RSS1=$(rss_kb alpha)
GROWTH=$(((RSS1 - RSS0) / 1024))
echo "RSS before $((RSS0 / 1024)) MB, after both floods $((RSS1 / 1024)) MB"
# AddressSanitizer keeps freed memory in its quarantine (256 MB) and pads
# every block: the process size says nothing there, the checks above do.
if sanitized; then
	echo "(the size bound is not checked under AddressSanitizer)"
else
	[ "$GROWTH" -lt 24 ] || fail "the daemon grew by $GROWTH MB for one client's answers"
fi
expect 0 hw alpha status
echo "ctlflood: $CHECKS checks passed"
