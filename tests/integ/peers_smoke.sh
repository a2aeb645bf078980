#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/peers.sh --smoke end to end: on loopback, iperf3, iperf3 -Z, the engine, smbclient and
# iperf3 -P 4 each move the bytes and yield a non-zero throughput and CPU figure, the ratios
# (of medians and paired) and the capacity line are printed,
# and nothing the script started (servers, cgroup, temp files) outlives it. No timing target:
# whether the engine meets its targets is the benchmark's business, not this test's.
set -euo pipefail
IOVB=${1:-build/iovbench}
cd "$(dirname "$0")/../.."
. tests/integ/lib.bash

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ls -d /sys/fs/cgroup/cpuacct/iovb-peers.* 2>/dev/null | sort >"$tmp/cg.before" || true
chmod 755 "$tmp" # smbd serves the file as the guest account (nobody)
rc=0
PEERS_TMP=$tmp bash bench/peers.sh --smoke --iovbench "$IOVB" --tsv "$tmp/rows.tsv" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "peers.sh --smoke exited $rc"; }
cat "$tmp/out"

for tool in iperf3 iperf3-Z engine smbclient iperf3-P4; do
	awk -F'\t' -v t="$tool" '$1 == "loopback" && $2 == t && $3 > 0 && $4 > 0 && $5 >= 0 && $6 > 0 \
		{ ok = 1 } END { exit !ok }' "$tmp/rows.tsv" || fail "no throughput line for $tool"
	grep -Eq "^loopback +$tool +1 +[0-9.]+ " "$tmp/out" || fail "no table row for $tool"
done
grep -Eq '^loopback +engine/iperf3 +throughput +[0-9.]+x' "$tmp/out" || fail "no engine/iperf3 ratio"
grep -Eq '^loopback +engine/smbclient +throughput +[0-9.]+x' "$tmp/out" ||
	fail "no engine/smbclient ratio"
grep -Eq '^loopback +engine/iperf3 +throughput paired +[0-9.]+x \([0-9.]+-[0-9.]+, [01]/1 ' \
	"$tmp/out" || fail "no paired engine/iperf3 ratio"
grep -Eq '^loopback +capacity +[0-9.]+ Gbit/s .* smbclient has +[0-9]+% of it' "$tmp/out" ||
	fail "no capacity line"
# The rep column: every row of the one repetition says 1.
awk -F'\t' 'NR > 1 && $8 != 1 { exit 1 }' "$tmp/rows.tsv" || fail "rep column missing or wrong"

# The script removed its own directory, cgroup and servers (they run with a cwd under it).
for f in "$tmp"/* "$tmp"/.[!.]*; do
	case ${f##*/} in
	rows.tsv | out | err | cg.before | '*' | '.[!.]*') ;;
	*) fail "left behind in $tmp: ${f##*/}" ;;
	esac
done
for d in /proc/[0-9]*; do
	case $(readlink "$d/cwd" 2>/dev/null) in
	"$tmp"/*) fail "process ${d#/proc/} ($(tr '\0' ' ' <"$d/cmdline")) left running" ;;
	esac
done
ls -d /sys/fs/cgroup/cpuacct/iovb-peers.* 2>/dev/null | sort >"$tmp/cg.after" || true
comm -13 "$tmp/cg.before" "$tmp/cg.after" | grep . && fail "cgroup left behind"
echo "peers_smoke: ok"
