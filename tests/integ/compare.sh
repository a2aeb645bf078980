#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# compare on real records: a record against itself finds nothing (exit 0); a normal run against
# one whose link is shaped far below what the unshaped path does here (500 Mbit/s against
# several Gbit/s) is a throughput regression (exit 1); bad input is exit 2. And history's
# github-action-benchmark export of the same records.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" run --bytes 256M --reps 3 --warmup 0 -q -o "$tmp/base.json.gz" || fail "base run exited $?"
# 64 MiB at 500 Mbit/s is ~1 s a repetition: the slowed record stays quick.
"$bin" run --bytes 64M --reps 3 --warmup 0 --link-rate 500mbit -q -o "$tmp/slow.json.gz" ||
	fail "slowed run exited $?"

rc=0
"$bin" compare "$tmp/base.json.gz" "$tmp/base.json.gz" >"$tmp/self.txt" || rc=$?
cat "$tmp/self.txt"
[ "$rc" -eq 0 ] || fail "compare of a record with itself exited $rc"
grep -q 'regressed' "$tmp/self.txt" && fail "a record regressed against itself"

# Unshaped throughput must be well above the shaped rate, or the test proves nothing.
zcat "$tmp/base.json.gz" | jq -e '[.runs[] | select(.status == "ok") | .engine.throughput_bps]
	| min > 2.5e9' >/dev/null || fail "unshaped runs below 2.5 Gbit/s: cannot test a 500 Mbit/s slowdown"

rc=0
"$bin" compare "$tmp/base.json.gz" "$tmp/slow.json.gz" >"$tmp/slow.txt" || rc=$?
cat "$tmp/slow.txt"
[ "$rc" -eq 1 ] || fail "compare normal vs slowed exited $rc, want 1"
for p in pv vf; do
	grep -E "^$p +throughput .* regressed$" "$tmp/slow.txt" >/dev/null ||
		fail "$p throughput not named as regressed"
done

rc=0
"$bin" compare --json "$tmp/base.json.gz" "$tmp/slow.json.gz" >"$tmp/slow.json" || rc=$?
[ "$rc" -eq 1 ] || fail "compare --json exited $rc, want 1"
jq -e '[.rows[] | select(.metric == "throughput") | .verdict == "regressed" and .change < -0.8]
	| length == 2 and all' "$tmp/slow.json" >/dev/null || fail "--json rows do not show the regression"
jq -e '.notes | any(test("link rate differs"))' "$tmp/slow.json" >/dev/null ||
	fail "the link-rate difference is not noted"

# The other way round throughput is an improvement. CPU per byte may still move either way
# (shaping changes how work batches), so the exit status is not asserted here.
"$bin" compare --json "$tmp/slow.json.gz" "$tmp/base.json.gz" >"$tmp/rev.json" || true
jq -e '[.rows[] | select(.metric == "throughput") | .verdict == "improved"]
	| length == 2 and all' "$tmp/rev.json" >/dev/null ||
	fail "compare slowed vs normal does not show throughput improved"

# Bad input: 2, one line on stderr.
for args in "$tmp/base.json.gz" "$tmp/base.json.gz $tmp/nonexistent.json.gz" \
	"--threshold 5 $tmp/base.json.gz $tmp/slow.json.gz" "$tmp/base.json.gz /etc/hostname"; do
	rc=0
	# shellcheck disable=SC2086
	"$bin" compare $args >/dev/null 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "compare $args exited $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "compare $args: stderr is not one line"
done

"$bin" history --export gab-bigger -o "$tmp/bigger.json" "$tmp/slow.json.gz" "$tmp/base.json.gz" ||
	fail "history --export gab-bigger exited $?"
jq -e 'map(.name) | sort == ["pv throughput", "vf throughput"]' "$tmp/bigger.json" >/dev/null ||
	fail "gab-bigger does not hold the two throughputs"
"$bin" history --export gab-smaller "$tmp/base.json.gz" >"$tmp/smaller.json" ||
	fail "history --export gab-smaller exited $?"
jq -e 'any(.name == "pv host cpu_ns_per_byte" and .unit == "ns/byte" and .value > 0)' \
	"$tmp/smaller.json" >/dev/null || fail "gab-smaller has no pv host CPU per byte"
# The regression graph of real records: too few for a baseline, so nothing is marked, but
# the graph, its data and its script are there and the script re-runs.
"$bin" history -o "$tmp/graph.svg" "$tmp/base.json.gz" "$tmp/slow.json.gz" >"$tmp/hist.txt" ||
	fail "history -o graph.svg exited $?"
for f in graph.svg graph.dat graph.gp; do
	[ -s "$tmp/$f" ] || fail "history left no $f"
done
grep -q '^0 regression' "$tmp/hist.txt" || fail "history marked a regression without a baseline"
(cd "$tmp" && rm graph.svg && gnuplot graph.gp) && [ -s "$tmp/graph.svg" ] ||
	fail "gnuplot graph.gp did not redraw the graph"
echo "compare: ok"
