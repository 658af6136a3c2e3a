#!/bin/sh
# The manual pages in docs/man: each renders without a warning (man-db, and
# groff with every warning on; mandoc's lint too where it is installed),
# and each stays in step with the code it documents: every command of
# `homeward --help` has its item in homeward.1 and every command of
# `homeward-keys --help` in homeward-keys.1, every option of
# `homewardd --help` is in homewardd.8, and every section and key that
# daemon/base/config*.c handles is in homewardd.conf.5 (and no key
# documented there is unknown to it).  Uses the binaries in $BUILD (default build);
# reads only, writes nothing.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
MAN=docs/man
PAGES="$MAN/homeward.1 $MAN/homeward-keys.1 $MAN/homewardd.conf.5 $MAN/homewardd.8"
for bin in homeward homeward-keys homewardd; do
	[ -x "$BUILD/$bin" ] || { echo "FAIL: $BUILD/$bin not built" >&2; exit 1; }
done
for tool in man groff; do
	command -v $tool >/dev/null 2>&1 || { echo "FAIL: $tool not installed" \
	    "(man-db, groff-base: scripts/deps.sh)" >&2; exit 1; }
done

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/manpages.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

step "each page renders without warnings"
for page in $PAGES; do
	[ -f "$page" ] || fail "$page is missing"
	man --warnings -l -Tutf8 "$page" >"$T/out" 2>"$T/err" ||
	    fail "$page does not render"
	[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "$page: warnings from man"; }
	[ -s "$T/out" ] || fail "$page renders as nothing"
	# Every groff warning (man's --warnings=all does not enable them).
	groff -mandoc -ww -z "$page" 2>"$T/err" || fail "$page: groff failed"
	[ ! -s "$T/err" ] || { cat "$T/err" >&2; fail "$page: warnings from groff"; }
	# mandoc is stricter about mdoc usage; STYLE notes (such as pages
	# not installed here) are not warnings.
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -Tlint -W warning "$page" >"$T/err" 2>&1 ||
		    { cat "$T/err" >&2; fail "$page: warnings from mandoc"; }
	fi
done

# item PAGE COMMAND...: the page has an item (.It Cm WORD1 ...) for the
# command, whose other words appear on that line ("peers [list]" is
# ".It Cm peers Op Cm list", "request decline" is in
# ".It Cm request accept | decline | more-info").
item() {
	page=$1
	first=$2
	shift 2
	grep -E "^\.It Cm $first( |$)" "$page" >"$T/items" ||
	    fail "$page: no item for '$first'"
	for word in "$@"; do
		word=$(printf '%s' "$word" | tr -d '[]')
		grep -qw -- "$word" "$T/items" ||
		    fail "$page: no item for '$first $word'"
	done
}

step "every command of homeward --help is in homeward.1"
"$BUILD/homeward" --help >"$T/help"
sed -n '/^commands:/,/^options:/p' "$T/help" | sed -n 's/^  \([a-z].*\)/\1/p' |
    sed 's/  .*//' >"$T/cmds"
[ "$(wc -l <"$T/cmds")" -ge 40 ] || fail "homeward --help lists too few commands"
while read -r cmd; do
	# shellcheck disable=SC2086
	item "$MAN/homeward.1" $cmd
done <"$T/cmds"

step "every command of homeward-keys --help is in homeward-keys.1"
"$BUILD/homeward-keys" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' \
    >"$T/kcmds"
[ "$(wc -l <"$T/kcmds")" -ge 8 ] || fail "homeward-keys --help lists too few commands"
while read -r cmd; do
	item "$MAN/homeward-keys.1" "$cmd"
done <"$T/kcmds"

step "every option of homewardd --help is in homewardd.8"
"$BUILD/homewardd" --help | sed -n 's/^  \(-[-a-z]*\).*/\1/p' >"$T/opts"
[ "$(wc -l <"$T/opts")" -ge 4 ] || fail "homewardd --help lists too few options"
while read -r opt; do
	# -f is "Fl f", --version is "Fl \-version".
	case $opt in
	--*)	macro="Fl \\-${opt#--}" ;;
	*)	macro="Fl ${opt#-}" ;;
	esac
	grep -Fq -- "$macro" "$MAN/homewardd.8" ||
	    fail "homewardd.8 does not document $opt"
done <"$T/opts"

step "every section and key of daemon/base/config*.c is in homewardd.conf.5"
grep -ho 'strcmp(section, "[a-z_]*")' daemon/base/config*.c |
    sed 's/.*"\(.*\)".*/\1/' >"$T/sections"
[ "$(wc -l <"$T/sections")" -ge 7 ] || fail "found too few sections in config.c"
while read -r s; do
	grep -q "^\.Ss \[$s\]$" "$MAN/homewardd.conf.5" ||
	    fail "homewardd.conf.5 has no section [$s]"
done <"$T/sections"
{
	grep -ho 'strcmp(name, "[a-z_]*")' daemon/base/config*.c | sed 's/.*"\(.*\)".*/\1/'
	sed -n 's/^	{ "\([a-z_]*_ms\)",.*/\1/p' daemon/base/config*.c
} | sort -u >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 25 ] || fail "found too few keys in config.c"
while read -r k; do
	grep -q "^\.It Cm $k No = " "$MAN/homewardd.conf.5" ||
	    fail "homewardd.conf.5 does not document the key $k"
done <"$T/keys"
sed -n 's/^\.It Cm \([a-z_]*\) No = .*/\1/p' "$MAN/homewardd.conf.5" | sort -u >"$T/documented"
unknown=$(comm -23 "$T/documented" "$T/keys")
[ -z "$unknown" ] || fail "homewardd.conf.5 documents keys config.c does not know: $unknown"

echo "manpages: OK"
