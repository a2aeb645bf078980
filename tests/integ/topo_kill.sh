#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A run killed with SIGKILL leaves namespaces behind; `iovbench topo down` must remove all of
# them and every process the run started. A run stopped with SIGINT cleans up by itself and
# still writes its record.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	"$bin" topo down >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_for_netns() {
	for _ in $(seq 1 100); do
		ip netns list | grep -q '^iovb-' && return 0
		sleep 0.1
	done
	return 1
}

state >"$tmp/before"

"$bin" run --bytes 64G --reps 1 --warmup 0 -q -o "$tmp/killed.json.gz" &
pid=$!
wait_for_netns || fail "no namespace appeared"
sleep 3
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
ip netns list | grep -q '^iovb-' || fail "expected leftovers after kill -9"
"$bin" topo down || fail "topo down exited $?"
sleep 0.5
same_state "$tmp/before" "$tmp/after" || fail "topo down left something behind"
[ -e "$tmp/killed.json.gz" ] && fail "a killed run must not leave a half-written record"

"$bin" run --bytes 64G --reps 1 --warmup 0 -q -o "$tmp/int.json.gz" &
pid=$!
wait_for_netns || fail "no namespace appeared"
sleep 3
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" -eq 130 ] || fail "interrupted run exited $rc, not 130"
same_state "$tmp/before" "$tmp/after2" || fail "an interrupted run left something behind"
[ "$(zcat "$tmp/int.json.gz" | jq -r .status)" = interrupted ] ||
	fail "the interrupted run's record does not say so"
echo "topo_kill: ok"
