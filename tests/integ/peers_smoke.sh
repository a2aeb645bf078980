#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/peers.sh --smoke end to end: on loopback, iperf3, iperf3 -Z, the engine and smbclient
# each move the bytes and yield a non-zero throughput and CPU figure, the ratios are printed,
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

for tool in iperf3 iperf3-Z engine smbclient; do
	awk -F'\t' -v t="$tool" '$1 == "loopback" && $2 == t && $3 > 0 && $4 > 0 && $5 >= 0 && $6 > 0 \
		{ ok = 1 } END { exit !ok }' "$tmp/rows.tsv" || fail "no throughput line for $tool"
	grep -Eq "^loopback +$tool +1 +[0-9.]+ " "$tmp/out" || fail "no table row for $tool"
done
grep -Eq '^loopback +engine/iperf3 +throughput +[0-9.]+x' "$tmp/out" || fail "no engine/iperf3 ratio"
grep -Eq '^loopback +engine/smbclient +throughput +[0-9.]+x' "$tmp/out" ||
	fail "no engine/smbclient ratio"

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
