#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run options beyond the defaults, each on a small copy: --max-stddev/--max-reps stop and say
# why, --link-rate shapes the wire and is recorded, --offload is applied and recorded,
# --concurrent puts every guest of both paths in one window, bad values are usage errors.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for bad in "--guests 2" "--guests 5+4" "--guests 0+0" "--max-stddev 0" "--max-reps 5" \
	"--offload eth0" "--offload host/br0:gro=maybe" "--offload x:bogus=on" "--run-id a-b" \
	"--paths pv --guests 1+0" "--workload copy" "--workload mixed:101"; do
	rc=0
	# shellcheck disable=SC2086
	"$bin" run $bad -q -o "$tmp/bad.json.gz" 2>/dev/null || rc=$?
	[ "$rc" -eq 2 ] || fail "run $bad exited $rc, not 2 (usage)"
done

id=ro$$$RANDOM
root_links "$tmp/root"
# clean ID RECORD: nothing of run ID is left (scoped: other runs may be up on this machine).
clean() {
	record_note "$2" "$tmp/notes.$1"
	run_clean "$1" "$tmp/notes.$1" "$tmp/root" || fail "run $1 left something behind"
}

# Repeat until the spread is small or the bound is hit; the record says which, and how many.
"$bin" run --paths vf --guests 1+0 --bytes 64M --warmup 0 --max-stddev 50 --max-reps 3 -q \
	--run-id "${id}a" -o "$tmp/sd.json.gz" || fail "--max-stddev run exited $?"
clean "${id}a" "$tmp/sd.json.gz"
gz=$(zcat "$tmp/sd.json.gz")
jq -e '.repetitions.done >= 2 and .repetitions.done <= 3 and
	(.repetitions.stopped == "max-stddev" or .repetitions.stopped == "max-reps") and
	(.runs | length) == .repetitions.done and .workload.max_stddev_pct == 50 and
	.workload.max_reps == 3 and (.repetitions.throughput_rel_stddev.vf | type) == "number"' \
	<<<"$gz" >/dev/null || fail "--max-stddev: repetitions not recorded as expected"
jq -e '(.repetitions.stopped != "max-stddev") or (.repetitions.throughput_rel_stddev.vf < 0.5)' \
	<<<"$gz" >/dev/null || fail "--max-stddev: stopped on a spread above the bound"

# A shaped wire and an offload change, both recorded; the copy cannot beat the shaped rate.
"$bin" run --paths pv --guests 0+1 --bytes 32M --warmup 0 --reps 1 --link-rate 500mbit \
	--offload 'guest-1/eth0:gro=off' --offload 'nic/*:tso=off' -q --run-id "${id}b" \
	-o "$tmp/lr.json.gz" || fail "--link-rate/--offload run exited $?"
clean "${id}b" "$tmp/lr.json.gz"
gz=$(zcat "$tmp/lr.json.gz")
jq -e '.topology.link_rate_bps == 500000000' <<<"$gz" >/dev/null || fail "link rate not recorded"
jq -e '.topology.offloads_requested == ["guest-1/eth0:gro=off", "nic/*:tso=off"]' <<<"$gz" \
	>/dev/null || fail "requested offloads not recorded"
jq -e '[.topology.devices[] | select(.role == "guest-1" and .name == "eth0") | .offloads |
	test("gro=off")] == [true]' <<<"$gz" >/dev/null || fail "guest-1/eth0 gro=off not applied"
jq -e '[.topology.devices[] | select(.role == "nic") | .offloads | test("tso=off")] | all' \
	<<<"$gz" >/dev/null || fail "nic/* tso=off not applied"
jq -e '.runs[0].status == "ok" and .runs[0].engine.throughput_bps < 500000000 * 1.1' \
	<<<"$gz" >/dev/null || fail "the shaped copy failed or beat 500 Mbit/s by more than 10%"

# Every guest of both paths in one window.
"$bin" run --guests 1+1 --concurrent --bytes 64M --warmup 16M --reps 1 -q --run-id "${id}c" \
	-o "$tmp/cc.json.gz" || fail "--concurrent run exited $?"
clean "${id}c" "$tmp/cc.json.gz"
gz=$(zcat "$tmp/cc.json.gz")
jq -e '(.runs | length) == 1 and .runs[0].path == "pv+vf" and .runs[0].status == "ok" and
	([.runs[0].guests[] | "\(.role)=\(.path)"] == ["guest-1=pv", "guest-2=vf"]) and
	.runs[0].engine.bytes == 134217728 and .workload.windows == "concurrent"' <<<"$gz" \
	>/dev/null || fail "--concurrent: not one window with both guests"
"$bin" report "$tmp/cc.json.gz" >/dev/null || fail "report of a --concurrent record exited $?"

# A write copy (guests to the server), every byte checked by the server, and a mixed one:
# the bytes moved are the bytes asked for, split as asked, and report/compare read them.
"$bin" run --paths pv --guests 0+1 --workload write --verify --bytes 48M --warmup 8M --reps 1 -q \
	--run-id "${id}d" -o "$tmp/wr.json.gz" || fail "--workload write run exited $?"
clean "${id}d" "$tmp/wr.json.gz"
gz=$(zcat "$tmp/wr.json.gz")
jq -e '.workload.kind == "write" and .workload.verify == true and (.workload | has("read_pct") | not) and
	.runs[0].status == "ok" and .runs[0].engine.bytes == 50331648 and
	.runs[0].engine.write_bytes == 50331648 and .runs[0].engine.read_bytes == 0 and
	.runs[0].engine.wire_tx_bytes > 50331648 and (.runs[0].engine.source | test("WRITE")) and
	[.runs[0].guests[] | .verified == true and .write_bytes == 50331648] == [true]' \
	<<<"$gz" >/dev/null || fail "--workload write: not 48 MiB written and verified: $(jq -c \
		'.runs[0].engine | del(.latency)' <<<"$gz")"
"$bin" report "$tmp/wr.json.gz" >/dev/null || fail "report of a write record exited $?"
"$bin" run --paths vf --guests 1+0 --workload mixed:25 --verify --bytes 64M --warmup 0 --reps 1 \
	--io-size 256K -q --run-id "${id}e" -o "$tmp/mx.json.gz" || fail "--workload mixed run exited $?"
clean "${id}e" "$tmp/mx.json.gz"
gz=$(zcat "$tmp/mx.json.gz")
# 256 I/Os of 256 KiB, exactly 25 in every 100 are READs: 64 READs, 192 WRITEs.
jq -e '.workload.kind == "mixed" and .workload.read_pct == 25 and .runs[0].status == "ok" and
	.runs[0].engine.bytes == 67108864 and .runs[0].engine.read_bytes == 64 * 262144 and
	.runs[0].engine.write_bytes == 192 * 262144 and .runs[0].engine.ios == 256' \
	<<<"$gz" >/dev/null || fail "--workload mixed:25: not the asked split: $(jq -c \
		'.runs[0].engine | del(.latency)' <<<"$gz")"
"$bin" compare "$tmp/lr.json.gz" "$tmp/wr.json.gz" >"$tmp/cmp.txt" 2>&1 ||
	fail "compare read vs write exited $?"
grep -q 'workload kind differs: "read" vs "write"' "$tmp/cmp.txt" ||
	fail "compare did not say the workloads differ: $(cat "$tmp/cmp.txt")"

echo "run_options: ok"
