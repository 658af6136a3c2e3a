#!/bin/sh
# The test runner: every unit test binary given, then the vector checks and
# integration scripts, each with a timeout.  Prints one summary line:
#   "tests: N passed, M failed (of T)"
# and exits non-zero when anything failed.
set -u
BUILD=${BUILD:-build}
TIMEOUT=${TEST_TIMEOUT:-600}
export BUILD
# The tests compare English output: not the operator's language (LANGUAGE
# or a LC_MESSAGES of the caller's).  i18n.sh asks for its languages itself.
unset LANGUAGE LC_MESSAGES
# Third-party caches LeakSanitizer would report (tests/lsan.supp).
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
pass=0
fail=0
failed=""
log_dir="$BUILD/test-logs"
mkdir -p "$log_dir"

run_one() {
	name=$1; shift
	log="$log_dir/$name.log"
	if timeout "$TIMEOUT" "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf 'PASS %s\n' "$name"
	else
		rc=$?
		fail=$((fail + 1))
		failed="$failed $name"
		printf 'FAIL %s (exit %s)\n' "$name" "$rc"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

for bin in "$@"; do
	run_one "$(basename "$bin")" "$bin"
done
for script in tests/integration/*.sh; do
	[ -e "$script" ] || continue
	run_one "$(basename "$script" .sh)" sh "$script"
done

total=$((pass + fail))
echo "tests: $pass passed, $fail failed (of $total)"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
