#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# How long do the reporter's commands take over a CI history? Makes 100 records (copies of one
# small real record, or of RECORD when given, with throughput and CPU varied by jq and their
# started/git_rev set in order), then times `iovbench report -o` pooling all 100 and `iovbench
# history -o graph.svg` over them, and says how much of it was gnuplot (a wrapper on PATH times
# each gnuplot process). Target: each under 2 s. Prints the seconds; a benchmark, not a test.
#
# usage: bench/report-bench.sh [BIN [RECORD]]     (BIN defaults to build/iovbench; without
#        RECORD a 64 MiB, 2-repetition run is made first, which needs root)
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
src=${2:-}
n=${N:-100}
target=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "$src" ]; then
	src=$tmp/src.json.gz
	"$bin" run --bytes 64M --reps 2 --warmup 0 -q -o "$src"
fi

# A gnuplot that logs its own wall time, so the share spent plotting can be told apart.
real_gnuplot=$(command -v gnuplot)
mkdir -p "$tmp/wrap"
cat >"$tmp/wrap/gnuplot" <<EOF
#!/bin/bash
s=\$(date +%s.%N)
"$real_gnuplot" "\$@"
rc=\$?
echo "\$s \$(date +%s.%N)" >>"$tmp/gnuplot.times"
exit \$rc
EOF
chmod +x "$tmp/wrap/gnuplot"

zcat "$src" >"$tmp/src.json"
for i in $(seq 1 "$n"); do
	# Deterministic spread: +-5% throughput and CPU, a slow trend in the last tenth.
	f=$(awk -v i="$i" -v n="$n" 'BEGIN { srand(i); f = 1 + 0.1 * (rand() - 0.5);
		if (i > n * 0.9) f *= 0.9; printf "%.4f", f }')
	jq -c --arg s "$(date -u -d "2026-01-01 + $i hours" +%Y-%m-%dT%H:%M:%SZ)" \
		--arg r "$(printf 'bench%07d' "$i")" --argjson f "$f" \
		'.meta.started = $s | .meta.tool.git_rev = $r
		 | .runs |= map(.engine.throughput_bps *= $f
			| if .threads.list then .threads.list |= map(.cpu_ns /= $f) else . end)' \
		"$tmp/src.json" | gzip -1 >"$tmp/r$(printf %03d "$i").json.gz"
done

# time_cmd NAME CMD...: wall seconds of CMD, and of the gnuplot processes it ran.
time_cmd() {
	local name=$1 s e total gp
	shift
	: >"$tmp/gnuplot.times"
	s=$(date +%s.%N)
	PATH=$tmp/wrap:$PATH "$@" >/dev/null
	e=$(date +%s.%N)
	total=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
	gp=$(awk '{ t += $2 - $1 } END { printf "%.3f", t }' "$tmp/gnuplot.times")
	printf '%-34s %6.3f s, of which gnuplot %6.3f s (%d runs), iovbench %6.3f s; %s\n' \
		"$name" "$total" "$gp" "$(wc -l <"$tmp/gnuplot.times")" \
		"$(awk -v t="$total" -v g="$gp" 'BEGIN { printf "%.3f", t - g }')" \
		"$(awk -v t="$total" -v m="$target" 'BEGIN { print (t < m ? "under" : "OVER") }') the ${target} s target"
}

echo "report-bench: $n records of $(du -h "$tmp/r001.json.gz" | cut -f1) each, from $src"
time_cmd "report -o DIR (pooling $n records)" "$bin" report -o "$tmp/rep" "$tmp"/r*.json.gz
time_cmd "report --json, one record" "$bin" report --json "$tmp/r001.json.gz"
time_cmd "history -o graph.svg ($n records)" "$bin" history -o "$tmp/graph.svg" "$tmp"/r*.json.gz ||
	true
time_cmd "history --json ($n records)" "$bin" history --json "$tmp"/r*.json.gz || true
time_cmd "plan -o DIR" "$bin" plan "$tmp/r001.json.gz" --target-gbps 10 --host-cores 32 \
	-o "$tmp/plan"
