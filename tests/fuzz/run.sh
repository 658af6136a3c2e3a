#!/bin/sh
# Run each libFuzzer target for FUZZ_SECONDS on its seed corpus (committed
# under tests/fuzz/corpus/<target>/, copied so the run never writes there).
set -u
secs=${FUZZ_SECONDS:-30}
fail=0
artifacts=${FUZZ_ARTIFACTS:-build-fuzz/artifacts}
mkdir -p "$artifacts"
for bin in "$@"; do
	name=$(basename "$bin")
	work=$(mktemp -d)
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -r "tests/fuzz/corpus/$name/." "$work/"
	fi
	printf 'fuzz %s for %ss\n' "$name" "$secs"
	if "$bin" -max_total_time="$secs" -max_len=70000 -timeout=20 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$artifacts/$name-" "$work" \
	    >"$work.log" 2>&1; then
		grep -E 'stat::number_of_executed_units' "$work.log" | sed "s/^/  $name: /"
	else
		fail=1
		echo "FUZZ FAIL $name (input kept in $artifacts/)"
		tail -n 60 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
[ $fail -eq 0 ] && echo "fuzz: all targets clean" || exit 1
