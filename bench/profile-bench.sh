#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# How fast is `iovbench profile` next to tshark on the same capture? Makes a capture of a few
# hundred MB with the engine (a READ and a WRITE copy on a private loopback, full snaplen), then
# times `iovbench profile CAP --json` against `tshark -r CAP -Y smb2` (rows counted) in one run,
# several times interleaved, and prints the medians' ratio, wall and CPU; then the same for the
# capture cut to 256 bytes (editcap -s 256: how docs/profile.md says to capture). Target: >= 20x.
# Needs root (a network namespace), dumpcap and tshark.
#
# usage: bench/profile-bench.sh [BIN] [--bytes SIZE] [--io-size SIZE] [--capture FILE (reuse or
#        keep it)] [--runs N (5)]
set -euo pipefail
bin=build/iovbench
runs=5
bytes=160M # per copy: READ + WRITE make ~320 MB of capture
io=1M
cap=
while [ $# -gt 0 ]; do
	case $1 in
	--bytes) bytes=$2; shift 2 ;;
	--io-size) io=$2; shift 2 ;;
	--capture) cap=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	-h | --help) sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) bin=$1; shift ;;
	esac
done
bin=$(realpath "$bin")
for t in dumpcap tshark; do
	command -v "$t" >/dev/null || { echo "profile-bench: $t is not installed" >&2; exit 3; }
done

# tmpfs when there is one: the comparison is of parsing, not of the disk.
tmp=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
if [ -z "$cap" ]; then
	cap=$tmp/bench.pcapng
fi
if [ ! -s "$cap" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "profile-bench: making a capture needs root" >&2; exit 3; }
	echo "making a capture: READ and WRITE copies of $bytes each, $io I/Os, depth 8"
	timeout 300 unshare --net bash -s "$bin" "$tmp" "$cap" "$bytes" "$io" <<'EOF'
set -euo pipefail
bin=$1 tmp=$2 cap=$3 bytes=$4 io=$5
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
ip link set lo up
# Paced so dumpcap keeps every packet (the copy's speed does not matter here); port 445, where
# Wireshark decodes SMB2 over Direct TCP.
tc qdisc add dev lo root tbf rate 700mbit burst 1mb latency 200ms
"$bin" serve --listen 127.0.0.1:445 >"$tmp/serve.out" &
pids+=($!)
dumpcap -i lo -B 256 -f 'tcp port 445' -w "$cap" -q 2>"$tmp/dumpcap.err" &
pids+=($!)
sleep 1
"$bin" load -c 127.0.0.1:445 -w read -n "$bytes" -s "$io" -d 8 >/dev/null
"$bin" load -c 127.0.0.1:445 -w write -n "$bytes" -s "$io" -d 8 >/dev/null
sleep 0.5
kill -INT "${pids[1]}"
wait "${pids[1]}" || true
unset 'pids[1]'
tail -1 "$tmp/dumpcap.err" >&2
EOF
fi
echo "capture: $cap, $(du -m "$cap" | cut -f1) MB"

# Warm the page cache once so neither side pays for the disk.
cat "$cap" >/dev/null

median() { # FILE: median wall, median CPU, then the ranges
	local w c
	w=$(awk '{ print $1 }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		m = int((NR + 1) / 2); printf "%.3f %.3f %.3f", NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2,
		v[1], v[NR] }')
	c=$(awk '{ print $2 + $3 }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		m = int((NR + 1) / 2); printf "%.3f %.3f %.3f", NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2,
		v[1], v[NR] }')
	set -- $w $c
	echo "$1 $4 $2 $3 $5 $6"
}

# Interleaved runs (ours, theirs, ours, theirs ...) so a busy machine slows both alike; the
# median of each, wall and CPU (user + system) seconds (bash's time: millisecond resolution),
# and the ratio of the medians.
bench() { # CAPTURE LABEL
	local c=$1 ow oc owl owh ocl och tw tc twl twh tcl tch TIMEFORMAT='%3R %3U %3S'
	: >"$tmp/ours.t"
	: >"$tmp/theirs.t"
	for i in $(seq "$runs"); do
		{ time "$bin" profile --json "$c" >"$tmp/profile.json"; } 2>>"$tmp/ours.t"
		{ time tshark -r "$c" -Y smb2 2>/dev/null | wc -l >"$tmp/rows"; } 2>>"$tmp/theirs.t"
	done
	read -r ow oc owl owh ocl och < <(median "$tmp/ours.t")
	read -r tw tc twl twh tcl tch < <(median "$tmp/theirs.t")
	awk -v ow="$ow" -v oc="$oc" -v tw="$tw" -v tc="$tc" -v runs="$runs" -v label="$2" \
		-v orng="$owl-$owh s wall, $ocl-$och s cpu" \
		-v trng="$twl-$twh s wall, $tcl-$tch s cpu" \
		-v conv="$(jq -c '[.conversations[] | {read: .read.count, write: .write.count}]' \
			"$tmp/profile.json")" -v rows="$(cat "$tmp/rows")" 'BEGIN {
		printf "%s: medians of %d interleaved runs\n", label, runs
		printf "iovbench profile  %8.3f s wall %8.3f s cpu  (range %s; %s)\n", ow, oc,
			orng, conv
		printf "tshark -Y smb2    %8.3f s wall %8.3f s cpu  (range %s; %s rows)\n", tw, tc,
			trng, rows
		printf "ratio             %8.1fx wall %7.1fx cpu  (target >= 20x)\n",
			tw / (ow > 0 ? ow : 0.001), tc / (oc > 0 ? oc : 0.001)
	}'
}

bench "$cap" "full capture"
# The documented way to capture (tcpdump -s 256): the same packets cut to 256 bytes.
if command -v editcap >/dev/null; then
	editcap -s 256 "$cap" "$tmp/cut.pcapng"
	bench "$tmp/cut.pcapng" "cut to 256 bytes ($(du -m "$tmp/cut.pcapng" | cut -f1) MB)"
fi
