#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A short real run on both emulated paths: a valid record whose report meets the foundation's
# acceptance (bpf vs /proc/softirqs, NET_RX attribution, host cost pv >> vf), and nothing left
# behind.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

state >"$tmp/before"
"$bin" run --bytes 512M --reps 2 --warmup 64M -q -o "$tmp/r.json.gz" || fail "run exited $?"
same_state "$tmp/before" "$tmp/after" || fail "the run left something behind"
[ -s "$tmp/r.json.gz" ] || fail "no record"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temp file was left beside the record"

"$bin" report --json "$tmp/r.json.gz" >"$tmp/sum.json" || fail "report --json exited $?"
jq -e . "$tmp/sum.json" >/dev/null || fail "report --json is not JSON"
"$bin" report "$tmp/r.json.gz" >"$tmp/sum.txt" || fail "report exited $?"
cat "$tmp/sum.txt"

gz=$(zcat "$tmp/r.json.gz")
[ "$(jq -r .schema <<<"$gz")" = 1 ] || fail "schema is not 1"
[ "$(jq -r .status <<<"$gz")" = ok ] || fail "record status is not ok"
[ "$(jq '[.runs[] | select(.status == "ok")] | length' <<<"$gz")" = 4 ] || fail "expected 4 ok runs"
jq -e '[.collectors[] | select(.name == "bpf")][0].status == "ok"' <<<"$gz" >/dev/null ||
	fail "bpf collector did not load"
jq -e '[.topology.devices[] | .offloads | test("tso=")] | all' <<<"$gz" >/dev/null ||
	fail "offload settings missing for a device"

for p in pv vf; do
	jq -e --arg p "$p" '.paths[$p].throughput_bps > 1e8' "$tmp/sum.json" >/dev/null ||
		fail "$p: throughput missing or below 100 Mbit/s"
	jq -e --arg p "$p" '.paths[$p].net_rx_attributed >= 0.9' "$tmp/sum.json" >/dev/null ||
		fail "$p: less than 90% of NET_RX attributed to a device"
	jq -e --arg p "$p" '.paths[$p].roles.server.cpu_ns_per_byte > 0' "$tmp/sum.json" >/dev/null ||
		fail "$p: no server CPU measured"
	# Every run moved exactly the bytes asked for.
	jq -e --arg p "$p" '[.runs[] | select(.path == $p) | .engine.bytes == 536870912] | all' \
		<<<"$gz" >/dev/null || fail "$p: a run did not move exactly 512 MiB"
done
jq -e '.checks.softirq_count_rel_err < 0.01' "$tmp/sum.json" >/dev/null ||
	fail "bpf softirq counts differ from /proc/softirqs by 1% or more"
jq -e '.paths.pv.roles.host.cpu_ns_per_byte > 0' "$tmp/sum.json" >/dev/null ||
	fail "pv: no host CPU measured"
# The study's central finding: the host pays several times more per byte on the pv path.
jq -e '(.paths.vf.roles.host.cpu_ns_per_byte // 0) * 3 < .paths.pv.roles.host.cpu_ns_per_byte' \
	"$tmp/sum.json" >/dev/null || fail "host CPU per byte on pv is not several times vf's"
echo "run_short: ok"
