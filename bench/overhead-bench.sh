#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What do the collectors cost the engine? One `iovbench run --overhead=PAIRS` (interleaved
# windows with every collector closed and with them open, same bytes) and, per path, the
# median over pairs of on / off for engine throughput, /proc/stat busy CPU per byte (all of the
# machine) and the run's own CPU per byte (its threads + the run process), with min-max and a
# 95% bootstrap interval. Target: throughput on / off >= 0.97. Needs root.
#
# usage: bench/overhead-bench.sh [BIN] [--pairs N] [--bytes SIZE] [--collectors LIST]
#        [--paths LIST] [--keep FILE (the record)] [-- RUN-OPTIONS (e.g. --perf-freq 199)]
# --collectors procfs is the A/A control: on and off then differ by the series sampling only,
# and what its ratios spread is the machine's noise.
set -euo pipefail
bin=build/iovbench
pairs=5
bytes=1G
colls=procfs,bpf,perf,wire
paths=pv,vf
keep=
extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--) shift; extra=("$@"); break ;;
	--pairs) pairs=$2; shift 2 ;;
	--bytes) bytes=$2; shift 2 ;;
	--collectors) colls=$2; shift 2 ;;
	--paths) paths=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) bin=$1; shift ;;
	esac
done
bin=$(realpath "$bin")
[ "$(id -u)" -eq 0 ] || { echo "overhead-bench: needs root" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rec=${keep:-$tmp/r.json.gz}

echo "overhead-bench: collectors $colls, $pairs pairs per path of $bytes per guest, paths $paths" \
	"${extra[*]}"
# One repetition: the comparison is in the pairs, runs[] is only the run's usual part.
"$bin" run --collectors "$colls" --paths "$paths" --overhead="$pairs" --bytes "$bytes" \
	--reps 1 --warmup 256M -q -o "$rec" "${extra[@]}"
"$bin" report --json "$rec" >"$tmp/sum.json"
jq -r --arg c "$colls" '.overhead.paths | to_entries[] | .key as $p | .value as $v |
	($v.throughput_bps | "\($p) throughput on/off \(.paired_ratio.median * 1000 | round / 1000) " +
	 "(min \(.paired_ratio.min * 1000 | round / 1000), max \(.paired_ratio.max * 1000 | round /
	 1000), CI \(.ci95.lo * 1000 | round / 1000)-\(.ci95.hi * 1000 | round / 1000)), " +
	 "\(.off_median / 1e9 * 100 | round / 100) -> \(.on_median / 1e9 * 100 | round / 100) " +
	 "Gbit/s, >= 0.97: \($v.throughput_97pct)"),
	($v.run_cpu_ns_per_byte | "\($p) run CPU/byte on/off \(.paired_ratio.median * 1000 |
	 round / 1000) (min \(.paired_ratio.min * 1000 | round / 1000), max \(.paired_ratio.max *
	 1000 | round / 1000))"),
	($v.procfs_cpu_ns_per_byte | "\($p) /proc/stat CPU/byte on/off \(.paired_ratio.median *
	 1000 | round / 1000) (min \(.paired_ratio.min * 1000 | round / 1000), max " +
	 "\(.paired_ratio.max * 1000 | round / 1000))")' "$tmp/sum.json"
# What the collectors' own accounting says they spent in the on windows (per window, median).
zcat "$rec" | jq -r '.overhead_runs | group_by(.path)[] | .[0].path as $p |
	[.[] | select(.overhead.collectors == "on")] as $on |
	"\($p) on windows: bpf programs \([$on[] | .collectors.bpf.overhead.prog_run_ns // 0] |
	 sort | .[length / 2 | floor] / 1e6 | round) ms, perf reader \([$on[] |
	 .collectors.perf.overhead.reader_cpu_ns // 0] | sort | .[length / 2 | floor] / 1e6 |
	 round) ms, wire capture \([$on[] | .collectors.wire.overhead.cpu_ns // 0] | sort |
	 .[length / 2 | floor] / 1e6 | round) ms, window \([$on[] | .window.duration_ns] | sort |
	 .[length / 2 | floor] / 1e6 | round) ms"'
