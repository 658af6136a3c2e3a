#!/bin/sh
# The house rules of docs/DESIGN.md, checked on the tree and on the objects
# in $BUILD (default build):
#   - no source file in common/ proto/ keys/ daemon/ cli/ over 800 lines;
#   - every #include crosses folders only downwards: the rooms of daemon/
#     and the top-level folders each name what they may include;
#   - no two files of a program call each other, directly or round a
#     circle (read from the objects' defined and undefined symbols).
# Reads only, writes nothing outside a temporary directory.
set -eu
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
MAX_LINES=800

T=$(mktemp -d "${TMPDIR:-/tmp}/house.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

step() { printf '== %s\n' "$*"; }
bad=0
broken() { printf 'FAIL: %s\n' "$*" >&2; bad=1; }

step "no source file over $MAX_LINES lines"
for f in $(find common proto keys daemon cli -name '*.[ch]' | sort); do
	n=$(wc -l <"$f")
	[ "$n" -le "$MAX_LINES" ] || broken "$f has $n lines"
done

# What each folder may include besides itself and system headers.  A room
# of daemon/ is daemon/NAME/; daemon/main.c is the composition root and
# may include every room.
allowed() {
	case $1 in
	common)         echo "" ;;
	proto)          echo "common" ;;
	proto/gen)      echo "common proto" ;;
	keys)           echo "common proto" ;;
	keys/tool)      echo "common proto keys" ;;
	cli)            echo "common proto keys" ;;
	daemon/base)    echo "common proto keys" ;;
	daemon/rules)   echo "common proto keys daemon/base" ;;
	daemon/net)     echo "common proto keys daemon/base" ;;
	daemon/store)   echo "common proto keys daemon/base daemon/rules" ;;
	daemon/core)    echo "common proto keys daemon/base daemon/rules daemon/net daemon/store" ;;
	daemon/case)    echo "common proto keys daemon/base daemon/rules daemon/store daemon/core" ;;
	daemon/ctl)     echo "common proto keys daemon/base daemon/rules daemon/store daemon/core daemon/case" ;;
	daemon)         echo "common proto keys daemon/base daemon/rules daemon/net daemon/store daemon/core daemon/case daemon/ctl" ;;
	*)              echo "?" ;;
	esac
}

step "includes cross folders only downwards"
for f in $(find common proto keys daemon cli -name '*.[ch]' | sort); do
	dir=${f%/*}
	ok=$(allowed "$dir")
	[ "$ok" != "?" ] || { broken "$dir: a folder the house rules do not know"; continue; }
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		to=${inc%/*}
		[ "$to" != "$inc" ] || continue          # a generated header
		[ "$to" != "$dir" ] || continue
		# Generated protobuf-c headers belong to proto/.
		case $inc in proto/*.pb-c.h|google/protobuf/*.pb-c.h) to=proto ;; esac
		case " $ok " in
		*" $to "*) ;;
		*) broken "$f includes $inc: $dir may include only: ${ok:-nothing}" ;;
		esac
	done
done

# One edge "a b" for every object a that uses a symbol b defines.
calls() {
	for o in "$@"; do
		nm "$o" | awk -v o="${o#$BUILD/obj/}" '
		    NF == 3 && $2 ~ /^[TDBR]$/ { print "D", o, $3 }
		    NF == 2 && $1 == "U"      { print "U", o, $2 }'
	done | awk '
	    $1 == "D" { owner[$3] = $2; next }
	              { use[++n] = $2 " " $3 }
	    END {
		for (i = 1; i <= n; i++) {
			split(use[i], u, " ")
			if ((u[2] in owner) && owner[u[2]] != u[1])
				print u[1], owner[u[2]]
		}
	    }' | sort -u
}

# Kahn: peel files that call no one left; what remains is on a circle or
# calls into one.
cycles() {
	awk '
	    { out[$1] = out[$1] " " $2; node[$1]; node[$2]; deg[$1]++ }
	    END {
		do {
			changed = 0
			for (v in node) {
				if (deg[v] > 0 || (v in gone)) continue
				gone[v]; changed = 1
				for (w in node) {
					if ((w in gone) || index(out[w] " ", " " v " ") == 0) continue
					deg[w]--
				}
			}
		} while (changed)
		for (v in node) if (!(v in gone)) print v
	    }' "$1" | sort
}

step "no file calls back into a file that calls it"
for prog in daemon cli keys common proto; do
	# Objects of sources that still exist: a file moved or removed since
	# the last build leaves a stale object behind.
	objs=$(find "$BUILD/obj/$prog" -name '*.o' 2>/dev/null | sort |
	    while read -r o; do
		src=${o#"$BUILD/obj/"}
		[ ! -f "${src%.o}.c" ] || echo "$o"
	    done)
	[ -n "$objs" ] || { broken "$BUILD/obj/$prog: no objects (build first)"; continue; }
	# shellcheck disable=SC2086
	calls $objs >"$T/edges.$(echo "$prog" | tr / _)"
	left=$(cycles "$T/edges.$(echo "$prog" | tr / _)" | tr '\n' ' ')
	[ -z "$left" ] || broken "$prog: files on (or calling into) a circle of calls: $left"
done

[ "$bad" -eq 0 ] || exit 1
echo "house: all rules hold"
