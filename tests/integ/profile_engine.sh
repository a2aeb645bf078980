#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The profiler against the engine's own wire: capture `iovbench load` copies (READ and WRITE,
# snaplen 256 and full) on a private loopback and require `iovbench profile` to find exactly
# what load was told and did: I/O count, bytes, I/O size, requests in flight (= --depth), and
# TCP payload bytes per direction equal to the engine's own socket byte counts. Then replay:
# `load --profile` of a written profile must make the same copy again.
#
# Runs in a private network namespace (nothing collides, nothing is left behind). Full captures
# copy a few MiB only, so dumpcap's 64 MiB buffer holds the burst; a capture that dropped
# packets anyway is taken again. (Pacing the loopback with tbf would also avoid drops, but it
# changes what is measured: a WRITE's header then waits behind the data before it, and the
# wire never shows --depth WRITEs in flight.)
# Needs root and dumpcap (tshark package); skips without dumpcap. KEEP=DIR keeps the captures.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"

if ! command -v dumpcap >/dev/null; then
	echo "SKIP: dumpcap is not installed (apt-get install tshark)"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || fail "needs root (a network namespace and a capture on lo)"

tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && cp "$tmp"/*.pcapng "$KEEP"/; rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # dumpcap may drop privileges before writing the capture

# capture NAME SNAPLEN LOAD-ARGS...: $tmp/NAME.pcapng and $tmp/NAME.load.json
capture() {
	local name=$1 snap=$2
	shift 2
	timeout 120 unshare --net bash -s "$bin" "$tmp" "$name" "$snap" "$@" <<'EOF'
set -euo pipefail
bin=$1 tmp=$2 name=$3 snap=$4
shift 4
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
ip link set lo up
"$bin" serve --listen 127.0.0.1:0 >"$tmp/serve.out" &
pids+=($!)
for _ in $(seq 300); do # up to 30 s: a loaded machine starts a process slowly
	grep -q listening "$tmp/serve.out" && break
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/serve.out")
[ -n "$port" ] || { echo "serve did not say where it listens: $(cat "$tmp/serve.out")" >&2; exit 1; }
dumpcap -i lo -s "$snap" -B 64 -f "tcp port $port" -w "$tmp/$name.pcapng" 2>"$tmp/dumpcap.err" &
pids+=($!)
for _ in $(seq 50); do
	grep -q 'Capturing on' "$tmp/dumpcap.err" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
"$bin" load -c "127.0.0.1:$port" --json -t 60s "$@" >"$tmp/$name.load.json"
sleep 0.5 # let the capture see the last segments
kill -INT "${pids[1]}"
wait "${pids[1]}" || true
unset 'pids[1]'
EOF
	# dumpcap says how many packets the kernel dropped before it saw them.
	sed -n 's/.*received\/dropped on interface.*: [0-9]*\/\([0-9]*\) .*/\1/p' "$tmp/dumpcap.err"
}

# check NAME KIND SNAPLEN SIZE DEPTH BYTES [LOAD-ARGS...]
check() {
	local name=$1 kind=$2 snap=$3 size=$4 depth=$5 bytes=$6 dropped attempt got want
	shift 6
	for attempt in 1 2 3; do
		dropped=$(capture "$name" "$snap" -w "$kind" -s "$size" -d "$depth" -n "$bytes" "$@")
		[ "${dropped:-0}" = 0 ] && break
		echo "$name: attempt $attempt: the capture dropped $dropped packets; capturing again"
	done
	[ "${dropped:-0}" = 0 ] || fail "$name: the capture kept dropping packets"
	jq -e '.status == "ok"' "$tmp/$name.load.json" >/dev/null || fail "$name: load failed"
	"$bin" profile --json "$tmp/$name.pcapng" >"$tmp/$name.prof.json" ||
		fail "$name: profile failed"
	want=$(jq -c --arg k "$kind" --argjson size "$(numfmt --from=iec "$size")" \
		--argjson depth "$depth" '{conversations: 1, count: .ios, bytes: .bytes,
		io_size: $size, max_in_flight: $depth, to_server: .wire_tx_bytes,
		to_client: .wire_bytes}' "$tmp/$name.load.json")
	got=$(jq -c --arg k "$kind" '.conversations as $c | $c[0] as $v | {conversations: ($c |
		length), count: $v[$k].count, bytes: $v[$k].bytes, io_size: $v[$k].io_size,
		max_in_flight: $v[$k].max_in_flight, to_server: $v.tcp_payload_bytes.to_server,
		to_client: $v.tcp_payload_bytes.to_client}' "$tmp/$name.prof.json")
	[ "$got" = "$want" ] || fail "$name: profile $got, load $want"
	echo "ok: $name: $got"
}

check read-256 read 256 1M 8 48M
check write-256 write 256 512K 4 40M
check read-full read 262144 1M 4 8M
check write-full write 262144 256K 6 6M
# An odd size whose last I/O is short: 20 I/Os of 100000 bytes and one of 12345. Exact with
# the whole payload captured.
check read-odd read 262144 100000 3 2012345
# Cut at 256 bytes: the short last READ's request and response headers can both fall past the
# snaplen (the engine batches requests, and the short response follows a long one inside one
# TSO segment). The framing search (docs/profile.md) must still find it: exact, and the profile
# says whether it had to recover headers.
check_cut() { # NAME LOAD-ARGS...: [ios, read bytes, write bytes, depth] equal to load's
	local name=$1 dropped got want attempt
	shift
	for attempt in 1 2 3; do
		dropped=$(capture "$name" 256 "$@")
		[ "${dropped:-0}" = 0 ] && break
		echo "$name: attempt $attempt: the capture dropped $dropped packets; capturing again"
	done
	[ "${dropped:-0}" = 0 ] || fail "$name: the capture kept dropping packets"
	jq -e '.status == "ok"' "$tmp/$name.load.json" >/dev/null || fail "$name: load failed"
	"$bin" profile --json "$tmp/$name.pcapng" >"$tmp/$name.prof.json"
	want=$(jq -c '[.ios, .read_bytes, .write_bytes, .depth, true]' "$tmp/$name.load.json")
	got=$(jq -c '.conversations[0] | [.read.count + .write.count, .read.bytes, .write.bytes,
		.io_max_in_flight, .inference.recovered]' "$tmp/$name.prof.json")
	[ "$got" = "$want" ] || fail "$name: profile $got, load $want ($(jq -c \
		'.conversations[0] | {smb2_messages, inference}' "$tmp/$name.prof.json"))"
	echo "ok: $name: [ios, read bytes, write bytes, depth, recovered] $got" \
		"($(jq -c '.conversations[0].inference | del(.exact, .recovered)' \
		"$tmp/$name.prof.json"))"
}
check_cut read-odd-256 -w read -s 100000 -d 3 -n 2012345
check_cut write-odd-256 -w write -s 100000 -d 3 -n 2012345

# Mixed: READs and WRITEs interleaved, cut and whole; sizes per command must be exact too.
check_cut mixed-256 -w mixed:30 -s 256K -d 4 -n 8M
check_cut mixed-64k-256 -w mixed:50 -s 64K -d 8 -n 8M
dropped=$(capture mixed-full 262144 -w mixed:30 -s 256K -d 4 -n 8M)
if [ "${dropped:-0}" = 0 ]; then
	"$bin" profile --json "$tmp/mixed-full.pcapng" >"$tmp/mixed.prof.json"
	want=$(jq -c '[.ios, .read_bytes, .write_bytes, 4]' "$tmp/mixed-full.load.json")
	got=$(jq -c '.conversations[0] | [.read.count + .write.count, .read.bytes, .write.bytes,
		.io_max_in_flight]' "$tmp/mixed.prof.json")
	[ "$got" = "$want" ] || fail "mixed-full: profile $got, load $want"
	echo "ok: mixed-full: [ios, read bytes, write bytes, depth] $got"
else
	echo "mixed-full: capture dropped packets; not judged"
fi

# Replay: the written profile drives load to the same copy (workload, size, depth, bytes).
"$bin" profile "$tmp/write-256.pcapng" -o "$tmp/write.profile.json"
capture replay 256 --profile "$tmp/write.profile.json" >/dev/null
jq -e '.workload == "write" and .io_size == 524288 and .depth == 4 and
	.requested_bytes == 41943040 and .status == "ok"' "$tmp/replay.load.json" >/dev/null ||
	fail "replay ran $(jq -c '{workload, io_size, depth, requested_bytes, status}' \
		"$tmp/replay.load.json")"
# Explicit options override the profile.
capture replay2 256 --profile "$tmp/write.profile.json" -d 2 -n 1M >/dev/null
jq -e '.workload == "write" and .depth == 2 and .requested_bytes == 1048576' \
	"$tmp/replay2.load.json" >/dev/null || fail "options did not override the profile"
echo "ok: load --profile replays the profile; options override it"
