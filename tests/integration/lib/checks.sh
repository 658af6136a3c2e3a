# Shared by the scripts that check what the CLI answers (sourced, not run;
# after agencies.sh, whose fail it uses).  Each check counts in CHECKS.
#
#   expect STATUS CMD...   run CMD: its exit status must be STATUS; stdout
#                          in $T/stdout, stderr in $T/stderr
#   says TEXT              the last stderr has TEXT (a fixed string)
#   prints TEXT            the last stdout has TEXT
#   show                   the last stdout and stderr, indented, on stderr
CHECKS=0

show() { sed 's/^/    /' "$T/stdout" "$T/stderr" >&2; }

expect() {
	want=$1
	shift
	set +e
	"$@" >"$T/stdout" 2>"$T/stderr"
	got=$?
	set -e
	CHECKS=$((CHECKS + 1))
	[ "$got" -eq "$want" ] || { show; fail "exit status $got, wanted $want: $*"; }
}

says() {
	grep -qF -- "$1" "$T/stderr" || { show; fail "stderr lacks: $1"; }
}

prints() {
	grep -qF -- "$1" "$T/stdout" || { show; fail "stdout lacks: $1"; }
}
