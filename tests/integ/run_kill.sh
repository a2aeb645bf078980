#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Cleanup guarantee: a run killed at a random moment (topology setup, warm-up, a measured
# window, teardown) with SIGINT or SIGTERM removes everything itself; after SIGKILL,
# `iovbench topo down --run-id ID` does. Afterwards none of the run's namespaces, run
# directory, relays, processes holding its namespaces, root-netns links/qdiscs of the kinds a
# topology makes, or BPF links the run held may be left.
#
# The check is scoped to this test's run ids (tests/integ/lib.bash, run_left): other runs may
# be up on the machine at the same time, so a global before/after diff would see theirs.
# Bounded to about a minute: iterations stop starting after RUN_KILL_BUDGET seconds (45).
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
pid=
id=
cleanup() {
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	[ -n "$id" ] && "$bin" topo down --run-id "$id" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

budget=${RUN_KILL_BUDGET:-45}
start=$SECONDS
root_links "$tmp/root"
sigs=(INT TERM KILL)
i=0
while [ $((SECONDS - start)) -lt "$budget" ] && [ "$i" -lt 12 ]; do
	sig=${sigs[$((i % 3))]}
	id=rk$$x$i
	notes=$tmp/notes.$i
	: >"$notes"
	# 0.2 to 4.2 s: setup takes about 1-2 s, then a 64M warm-up, then the windows.
	delay_ms=$((200 + RANDOM % 4000))
	# Alternately one and two guests per path (two relays to stop and find).
	guests=$((i % 2 + 1))+$((i % 2 + 1))
	"$bin" run --guests "$guests" --bytes 1G --reps 2 --warmup 64M -q --run-id "$id" \
		-o "$tmp/k$i.json.gz" 2>"$tmp/err.$i" &
	pid=$!
	t0=$(date +%s%N)
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt "$delay_ms" ] && kill -0 "$pid" 2>/dev/null; do
		run_note "$id" "$notes" "$pid"
		sleep 0.1
	done
	run_note "$id" "$notes" "$pid"
	kill -"$sig" "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	pid=
	echo "iteration $i: $guests guests, SIG$sig after ${delay_ms} ms, exit $rc, noted" \
		"$(grep -c . "$notes" || true) objects"
	if [ "$sig" = KILL ]; then
		[ "$rc" -eq 137 ] || [ "$rc" -eq 0 ] || fail "SIGKILLed run exited $rc"
		"$bin" topo down --run-id "$id" >/dev/null || fail "topo down --run-id $id exited $?"
	else
		# 130: stopped by the signal; 0 only if the run had already finished.
		[ "$rc" -eq 130 ] || [ "$rc" -eq 0 ] || { cat "$tmp/err.$i"; fail "SIG$sig: run exited $rc"; }
		if [ "$rc" -eq 130 ]; then
			[ "$(zcat "$tmp/k$i.json.gz" | jq -r .status)" = interrupted ] ||
				fail "SIG$sig: the record does not say interrupted"
		fi
	fi
	# Never a half-written record: either none or a whole one.
	if [ -e "$tmp/k$i.json.gz" ]; then
		zcat "$tmp/k$i.json.gz" | jq -e .schema >/dev/null || fail "a broken record was left"
	fi
	run_clean "$id" "$notes" "$tmp/root" || fail "SIG$sig after ${delay_ms} ms: run $id left the above"
	id=
	i=$((i + 1))
done
[ "$i" -ge 3 ] || fail "only $i iterations within the budget"
echo "run_kill: ok ($i iterations)"
