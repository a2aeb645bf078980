#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `iovbench run --collectors procfs,bpf,perf,wire --overhead`: on the server's eth0 the TCP
# payload the server sent, less its retransmissions, is exactly what each copy's client read;
# perf samples are split per role; the extra copies with the collectors closed land in
# overhead_runs[] and report --json gives overhead.throughput_ratio per path.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" run --collectors procfs,bpf,perf,wire --overhead --bytes 256M --reps 1 --warmup 0 -q \
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
[ "$(jq '.overhead_runs | length' <<<"$gz")" = 2 ] || fail "expected 2 overhead runs"
jq -e '[.overhead_runs[] | .collectors | has("bpf") or has("perf") or has("wire")] | any | not' \
	<<<"$gz" >/dev/null || fail "an overhead run has collector figures"
"$bin" report --json "$tmp/r.json.gz" >"$tmp/sum.json" || fail "report --json exited $?"
jq -c .overhead "$tmp/sum.json"
jq -e '.overhead.throughput_ratio.pv > 0 and .overhead.throughput_ratio.vf > 0 and
	.overhead.cpu_per_byte_ratio.pv > 0' "$tmp/sum.json" >/dev/null ||
	fail "no overhead ratios in report --json"
[ "$(jq '.paths.pv.repetitions' "$tmp/sum.json")" = 1 ] ||
	fail "overhead runs were pooled with the measured repetitions"
echo "run_wire: ok"
