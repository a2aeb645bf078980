#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A run killed with SIGKILL leaves namespaces behind; `iovbench topo down --run-id ID` must
# remove all of them and every process the run started. A run stopped with SIGINT cleans up
# by itself and still writes its record. Scoped to this test's run ids: other runs may be up
# on the machine, and a bare `topo down` would remove theirs.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
pid=
id=tk$$$RANDOM
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	"$bin" topo down --run-id "${id}a" >/dev/null 2>&1 || true
	"$bin" topo down --run-id "${id}b" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_for_netns() {
	for _ in $(seq 1 100); do
		ip netns list | grep -q "^iovb-$1-" && return 0
		sleep 0.1
	done
	return 1
}

root_links "$tmp/root"
: >"$tmp/notes"

"$bin" run --bytes 64G --reps 1 --warmup 0 -q --run-id "${id}a" -o "$tmp/killed.json.gz" &
pid=$!
wait_for_netns "${id}a" || fail "no namespace appeared"
sleep 3
run_note "${id}a" "$tmp/notes" "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
ip netns list | grep -q "^iovb-${id}a-" || fail "expected leftovers after kill -9"
"$bin" topo down --run-id "${id}a" || fail "topo down exited $?"
run_clean "${id}a" "$tmp/notes" "$tmp/root" || fail "topo down left something behind"
[ -e "$tmp/killed.json.gz" ] && fail "a killed run must not leave a half-written record"

: >"$tmp/notes"
"$bin" run --bytes 64G --reps 1 --warmup 0 -q --run-id "${id}b" -o "$tmp/int.json.gz" &
pid=$!
wait_for_netns "${id}b" || fail "no namespace appeared"
sleep 3
run_note "${id}b" "$tmp/notes" "$pid"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 130 ] || fail "interrupted run exited $rc, not 130"
run_clean "${id}b" "$tmp/notes" "$tmp/root" || fail "an interrupted run left something behind"
[ "$(zcat "$tmp/int.json.gz" | jq -r .status)" = interrupted ] ||
	fail "the interrupted run's record does not say so"
echo "topo_kill: ok"
