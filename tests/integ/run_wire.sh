#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `iovbench run --collectors procfs,bpf,perf,wire --overhead`: on the server's eth0 the TCP
# payload the server sent, less its retransmissions, is exactly what each copy's client read;
# perf samples are split per role; --overhead=2 gives 2 interleaved pairs per path of a window
# with every collector closed and one with them open, in overhead_runs[], and report --json
# gives per path the paired ratios (median, min, max, 95% CI) of throughput and CPU per byte.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" run --collectors procfs,bpf,perf,wire --overhead=2 --bytes 256M --reps 1 --warmup 0 -q \
	-o "$tmp/r.json.gz" || fail "run exited $?"
gz=$(zcat "$tmp/r.json.gz")
jq -e '[.collectors[] | select(.name == "wire")][0].status == "ok"' <<<"$gz" >/dev/null ||
	fail "wire collector did not load"
jq -c '.runs[] | [.path, .engine.wire_bytes, (.collectors.wire.interfaces[0]
	| .tx.tcp_payload_bytes, .tx.retrans_bytes), .collectors.wire.pcap.dropped]' <<<"$gz"
jq -e '[.runs[] | .collectors.wire as $w | ($w.interfaces[0].name == "eth0") and
	($w.pcap.dropped > 0 or $w.interfaces[0].tx.tcp_payload_bytes -
	 $w.interfaces[0].tx.retrans_bytes == .engine.wire_bytes)] | all' <<<"$gz" >/dev/null ||
	fail "server eth0 TCP payload - retransmissions != engine wire_bytes"
jq -e '[.runs[] | .collectors.perf.roles.server.samples > 0] | all' <<<"$gz" >/dev/null ||
	fail "no perf samples charged to the server role"
jq -e '[.runs[] | select(.path == "pv") | .collectors.perf.roles.host.samples > 0] | all' \
	<<<"$gz" >/dev/null || fail "no perf samples charged to the host role (relay) on pv"
# interrupt-context samples: every one has a rule; task-bh ones are charged to the role of
# the process whose thread ran the softirq, the rest are unattributed, and nothing is lost
jq -e '[.runs[] | .collectors.perf | ([.contexts | to_entries[] |
	select(.key != "process" and .key != "idle") | .value] | add // 0) as $irq |
	([.interrupt_rules[] | .samples] | add) == $irq and
	([.interrupt_roles[] | .samples] | add) + .bh_untracked == $irq and
	.interrupt_rules["task-bh"].samples > 0 and
	([.interrupt_roles | to_entries[] | select(.key != "unattributed") | .value.rule] |
	 all(. == "task-bh"))] | all' <<<"$gz" >/dev/null ||
	fail "perf interrupt samples do not add up per rule and role"
[ "$(jq '.overhead_runs | length' <<<"$gz")" = 8 ] || fail "expected 8 overhead windows"
# each path: pairs 1 and 2, one off and one on each; off windows have no collector figures
# and no series, on windows have all of them
jq -e '[.overhead_runs[] | [.path, .overhead.pair, .overhead.collectors]] | sort ==
	[["pv",1,"off"],["pv",1,"on"],["pv",2,"off"],["pv",2,"on"],
	 ["vf",1,"off"],["vf",1,"on"],["vf",2,"off"],["vf",2,"on"]]' <<<"$gz" >/dev/null ||
	fail "overhead windows are not 2 off/on pairs per path"
jq -e '[.overhead_runs[] | select(.overhead.collectors == "off") | .collectors
	| has("bpf") or has("perf") or has("wire")] | any | not' <<<"$gz" >/dev/null ||
	fail "a collector-off window has collector figures"
jq -e '[.overhead_runs[] | select(.overhead.collectors == "off") | has("series")] | any | not' \
	<<<"$gz" >/dev/null || fail "a collector-off window has a series"
jq -e '[.overhead_runs[] | select(.overhead.collectors == "on") | .collectors
	| has("bpf") and has("perf") and has("wire")] | all' <<<"$gz" >/dev/null ||
	fail "a collector-on window lacks bpf, perf or wire"
jq -e '[.overhead_runs[] | .window.run_process_cpu_ns > 0 and .engine.bytes == 2 * 268435456]
	| all' <<<"$gz" >/dev/null || fail "overhead windows: no run process CPU or wrong bytes"
# pair 1 is off then on, pair 2 on then off
jq -e '[.overhead_runs[] | select(.path == "pv")] | sort_by(.overhead.seq)
	| map(.overhead.collectors) == ["off","on","on","off"]' <<<"$gz" >/dev/null ||
	fail "overhead windows are not interleaved off,on,on,off"
"$bin" report --json "$tmp/r.json.gz" >"$tmp/sum.json" || fail "report --json exited $?"
jq -c .overhead "$tmp/sum.json"
jq -e '.overhead.throughput_ratio.pv > 0 and .overhead.throughput_ratio.vf > 0 and
	.overhead.cpu_per_byte_ratio.pv > 0' "$tmp/sum.json" >/dev/null ||
	fail "no overhead ratios in report --json"
for p in pv vf; do
	jq -e --arg p "$p" '.overhead.paths[$p] | .pairs == 2 and .windows.on == 2 and
		.windows.off == 2 and ([.throughput_bps, .procfs_cpu_ns_per_byte,
		.run_cpu_ns_per_byte][] | (.paired_ratio.values | length) == 2 and
		.paired_ratio.min <= .paired_ratio.median and .paired_ratio.median <=
		.paired_ratio.max and .ci95.lo <= .ci95.hi and .on_median > 0 and
		.off_median > 0) and .throughput_97pct == "too few pairs"' \
		"$tmp/sum.json" >/dev/null || fail "overhead.paths.$p is not well formed"
done
"$bin" report "$tmp/r.json.gz" >"$tmp/rep.txt" || fail "report exited $?"
grep -q "collectors on / off, pv, 2 pair(s)" "$tmp/rep.txt" ||
	fail "report text has no overhead pairs"
[ "$(jq '.paths.pv.repetitions' "$tmp/sum.json")" = 1 ] ||
	fail "overhead runs were pooled with the measured repetitions"
echo "run_wire: ok"
