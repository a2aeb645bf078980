#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# How fast is `iovbench profile` next to tshark on the same capture? Makes a capture of a few
# hundred MB with the engine (a READ and a WRITE copy on a private loopback, full snaplen), then
# times `iovbench profile CAP --json` against `tshark -r CAP -Y smb2` (rows counted) in one run
# and prints the ratio. Target: >= 20x. Needs root (a network namespace), dumpcap and tshark.
#
# usage: bench/profile-bench.sh [BIN] [--bytes SIZE] [--io-size SIZE] [--capture FILE (reuse or
#        keep it)]
set -euo pipefail
bin=build/iovbench
bytes=160M # per copy: READ + WRITE make ~320 MB of capture
io=1M
cap=
while [ $# -gt 0 ]; do
	case $1 in
	--bytes) bytes=$2; shift 2 ;;
	--io-size) io=$2; shift 2 ;;
	--capture) cap=$2; shift 2 ;;
	-h | --help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# Wall and CPU (user + system) seconds of each; the machine may be busy, so both are shown.
/usr/bin/time -f '%e %U %S' -o "$tmp/ours.t" "$bin" profile --json "$cap" >"$tmp/profile.json"
/usr/bin/time -f '%e %U %S' -o "$tmp/theirs.t" sh -c "tshark -r '$cap' -Y smb2 2>/dev/null |
	wc -l >'$tmp/rows'"
read -r ow ou os <"$tmp/ours.t"
read -r tw tu ts <"$tmp/theirs.t"
awk -v ow="$ow" -v oc="$(awk -v u="$ou" -v s="$os" 'BEGIN { print u + s }')" \
	-v tw="$tw" -v tc="$(awk -v u="$tu" -v s="$ts" 'BEGIN { print u + s }')" \
	-v conv="$(jq -c '[.conversations[] | {read: .read.count, write: .write.count}]' \
		"$tmp/profile.json")" -v rows="$(cat "$tmp/rows")" 'BEGIN {
	printf "iovbench profile  %8.3f s wall %8.3f s cpu  (%s)\n", ow, oc, conv
	printf "tshark -Y smb2    %8.3f s wall %8.3f s cpu  (%s rows)\n", tw, tc, rows
	# CPU times are in 10 ms ticks: never divide by a zero.
	printf "ratio             %8.1fx wall %7.1fx cpu  (target >= 20x)\n", tw / ow,
		tc / (oc > 0 ? oc : 0.01)
}'
