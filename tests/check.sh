#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: unit tests, root integration tests, then the sanitizer build's tests.
# Each test program or script counts once; the last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()

run_one() { # name, command...
	local name=$1 rc start
	shift
	start=$(date +%s)
	echo "=== $name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "--- PASS $name ($(($(date +%s) - start))s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAIL $name (exit $rc, $(($(date +%s) - start))s)"
	fi
}

for t in build/tests/test_*; do
	[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done

# libFuzzer targets (tests/fuzz), bounded: only a finding (crash, sanitizer report) fails it.
run_one fuzz make --no-print-directory fuzz FUZZ_SECONDS=20

if [ "$(id -u)" -eq 0 ]; then
	for t in build/tests/integ/*; do
		[ -x "$t" ] && [ ! -d "$t" ] && run_one "integ/$(basename "$t")" "$t"
	done
	for t in tests/integ/*.sh; do
		[ -f "$t" ] && run_one "integ/$(basename "$t")" bash "$t" build/iovbench
	done
else
	echo "not root: skipping the integration tests (namespaces, BPF)"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in build-san/tests/test_*; do
	[ -x "$t" ] && run_one "san/$(basename "$t")" "$t"
done
[ -x build-san/iovbench ] && run_one "san/cli" bash tests/cli.sh build-san/iovbench
[ -x build-san/iovbench ] && run_one "san/cli_json" bash tests/cli_json.sh build-san/iovbench

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
