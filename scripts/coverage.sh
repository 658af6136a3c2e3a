#!/bin/sh
# Coverage of the suite for `make coverage`, on the --coverage build in BUILD:
#
#   scripts/coverage.sh --zero BUILD    before the tests: every counter file
#                                       empty, writable by anyone (a test
#                                       runs the CLI under other uids)
#   scripts/coverage.sh BUILD HTMLDIR   after them: capture with lcov
#                                       (branches too), keep our own
#                                       sources in BUILD/coverage.info, write
#                                       genhtml's HTMLDIR/index.html and
#                                       print the summary
#   scripts/coverage.sh --summary INFO  the summary of a tracefile
#
# The summary gives lines and branches per top-level folder (keys/tool/
# apart from keys/), per subfolder of daemon/, and every file under
# COV_WEAK % of branches taken (default 70), lowest first.  Files no test
# reaches count at 0 (lcov's initial capture).  Left out: generated code
# (BUILD, *.pb-c.[ch]), the build-time generator proto/gen/, system headers
# and tests/.
set -eu

RC="--rc lcov_branch_coverage=1"
ROOT=$(pwd)

summarise() {
	awk -v root="$ROOT/" -v weak="${COV_WEAK:-70}" '
	function pct(h, f) { return f ? sprintf("%5.1f%%", 100 * h / f) : "    -" }
	function row(name, k) {
		printf "  %-24s %s %6d/%-6d  %s %5d/%d\n", name,
		    pct(LH[k], LF[k]), LH[k], LF[k], pct(BH[k], BF[k]), BH[k], BF[k]
	}
	function add(k, isfolder) {
		if (!(k in LF) && isfolder) order[++n] = k
		LF[k] += lf; LH[k] += lh; BF[k] += bf; BH[k] += bh
	}
	/^SF:/ {
		file = substr($0, 4)
		if (index(file, root) == 1)
			file = substr(file, length(root) + 1)
		lf = lh = bf = bh = 0
	}
	/^LF:/ { lf = substr($0, 4) }
	/^LH:/ { lh = substr($0, 4) }
	/^BRF:/ { bf = substr($0, 5) }
	/^BRH:/ { bh = substr($0, 5) }
	/^end_of_record/ {
		c = split(file, p, "/")
		top = c > 1 ? p[1] "/" : "./"
		if (top == "keys/" && c > 2 && p[2] == "tool")
			top = "keys/tool/"
		add(top, 1)
		add("total", 0)
		if (top == "daemon/")
			add(c > 2 ? "daemon/" p[2] "/" : "daemon/ (own files)", 0)
		files[++nf] = file
		fLF[nf] = lf; fLH[nf] = lh; fBF[nf] = bf; fBH[nf] = bh
	}
	END {
		printf "  %-24s %s %13s  %s %11s\n", "coverage", " lines", "hit/found",
		    "branches", "hit/found"
		split("common/ proto/ keys/ keys/tool/ daemon/ cli/", want, " ")
		for (i = 1; i in want; i++)
			if (want[i] in LF) { row(want[i], want[i]); shown[want[i]] = 1 }
		for (i = 1; i <= n; i++)
			if (!(order[i] in shown)) row(order[i], order[i])
		row("total", "total")
		sub_n = 0
		for (k in LF)
			if (k ~ /^daemon\/./) sub_list[++sub_n] = k
		if (sub_n) {
			print "daemon/ by subfolder:"
			# a few names: an insertion sort is enough
			for (i = 2; i <= sub_n; i++)
				for (j = i; j > 1 && sub_list[j - 1] > sub_list[j]; j--) {
					t = sub_list[j]; sub_list[j] = sub_list[j - 1]; sub_list[j - 1] = t
				}
			for (i = 1; i <= sub_n; i++) row(sub_list[i], sub_list[i])
		}
		cmd = "sort | cut -f2-"
		printf "files under %s%% of branches, lowest first:\n", weak
		for (i = 1; i <= nf; i++)
			if (fBF[i] && 100 * fBH[i] / fBF[i] < weak)
				printf "%011.6f\t  %-32s %s %6d/%-6d  %s %5d/%d\n",
				    100 * fBH[i] / fBF[i], files[i],
				    pct(fLH[i], fLF[i]), fLH[i], fLF[i],
				    pct(fBH[i], fBF[i]), fBH[i], fBF[i] | cmd
		fflush()
		close(cmd)
	}' "$1"
}

# lcov 1.16 on Debian 12 warns about its own geninfo ("Subroutine ...
# redefined"): that noise is dropped, anything else shown.
quiet() {
	st=0
	"$@" 2>"$BUILD/coverage-lcov.log" || st=$?
	grep -v '^Subroutine .* redefined at ' "$BUILD/coverage-lcov.log" >&2 || :
	return "$st"
}

case ${1:-} in
--summary)
	[ $# -eq 2 ] || { echo "usage: $0 --summary INFO" >&2; exit 2; }
	summarise "$2"
	exit 0
	;;
--zero)
	[ $# -eq 2 ] || { echo "usage: $0 --zero BUILD" >&2; exit 2; }
	find "$2/obj" -name '*.gcda' -delete
	# libgcov writes into an empty file as into a new one and keeps
	# its mode; it could not create one in a directory of root's.
	find "$2/obj" -name '*.gcno' | while read -r f; do
		: >"${f%.gcno}.gcda"
		chmod 666 "${f%.gcno}.gcda"
	done
	exit 0
	;;
esac
[ $# -eq 2 ] || { echo "usage: $0 BUILD HTMLDIR | --summary INFO | --zero BUILD" >&2; exit 2; }
BUILD=${1%/}
HTML=${2%/}
info=$BUILD/coverage.info
# Counter files no process wrote are left empty: gcov would refuse them.
find "$BUILD/obj" -name '*.gcda' -size 0 -delete
# Every object but the generated code's (proto-gen/): a test that includes
# a source file counts that file's lines in its own object.
set --
for d in "$BUILD"/obj/*/; do
	[ "$d" = "$BUILD/obj/proto-gen/" ] || set -- "$@" --directory "$d"
done
# shellcheck disable=SC2086
{
	quiet lcov -q $RC --capture --initial "$@" --base-directory "$ROOT" \
	    -o "$BUILD/coverage-base.info"
	quiet lcov -q $RC --capture "$@" --base-directory "$ROOT" \
	    -o "$BUILD/coverage-run.info"
	quiet lcov -q $RC -a "$BUILD/coverage-base.info" \
	    -a "$BUILD/coverage-run.info" -o "$BUILD/coverage-all.info"
	quiet lcov -q $RC --remove "$BUILD/coverage-all.info" "$ROOT/$BUILD/*" \
	    '*.pb-c.c' '*.pb-c.h' '/usr/*' "$ROOT/tests/*" "$ROOT/proto/gen/*" \
	    -o "$info"
	rm -rf "$HTML"
	quiet genhtml -q $RC --branch-coverage --prefix "$ROOT" --title Homeward \
	    -o "$HTML" "$info"
}
summarise "$info"
echo "coverage: tracefile $info, HTML report $HTML/index.html"
