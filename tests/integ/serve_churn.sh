#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Clients that die must cost the server nothing lasting. Against one `iovbench serve` (two
# serving threads): 1000 connections opened and abandoned from bash (closed at once, closed
# after NEGOTIATE with its answer unread, so with a reset, or closed halfway through a
# NEGOTIATE), then 100 `iovbench load` processes of 1-4 connections each killed with SIGKILL at
# varied points (around NEGOTIATE and CREATE, in the middle of READs and WRITEs), ten at a
# time. After that the server must hold as many file descriptors as before, its resident memory
# must stay bounded, it must have logged nothing (a peer going away is no protocol error), and
# it must still serve a whole verified copy. Then the server is killed (SIGKILL) under a copy:
# the client must exit 1 with a clear line and still print its JSON, "status": "aborted".
# Loopback only, kernel-chosen ports.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"

tmp=$(mktemp -d)
spid=
loads=()
cleanup() {
	for p in "${loads[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	[ -n "$spid" ] && kill "$spid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --verify --threads 2 >"$tmp/serve.out" 2>"$tmp/serve.err" &
spid=$!
for _ in $(seq 50); do
	grep -q listening "$tmp/serve.out" && break
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/serve.out")
[ -n "$port" ] || fail "serve did not say its port: $(cat "$tmp/serve.out" "$tmp/serve.err")"

fds() { find "/proc/$spid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status"; }
# Connections close asynchronously after a kill: wait (up to 5 s) for the count to settle.
settled_fds() {
	local want=$1 n
	for _ in $(seq 50); do
		n=$(fds)
		[ "$n" -le "$want" ] && break
		sleep 0.1
	done
	echo "$n"
}

# batch N: ten loads, killed after 0-39 ms, workloads and connection counts varied.
batch() {
	local i kinds=(read write mixed:50 read)
	loads=()
	for i in $(seq 0 9); do
		"$bin" load -c "127.0.0.1:$port" -n 1T -s 256K -d 8 -C $((1 + (i + $1) % 4)) \
			-w "${kinds[$(((i + $1) % 4))]}" >/dev/null 2>&1 &
		loads+=($!)
	done
	sleep "0.0$(($1 % 4))"
	for p in "${loads[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	wait "${loads[@]}" 2>/dev/null || true
	loads=()
}

# A one-dialect NEGOTIATE request (MS-SMB2 2.2.3) as printf escapes: transport header, SMB2
# header asking 10 credits, body.
z8='\x00\x00\x00\x00\x00\x00\x00\x00'
neg="\x00\x00\x00\x66\xfeSMB\x40\x00\x00\x00${z8:0:16}\x00\x00\x0a\x00${z8}${z8}${z8}${z8}"
neg+="${z8}${z8}\x24\x00\x01\x00\x01\x00\x00\x00${z8:0:16}${z8}${z8}${z8}\x10\x02"
half="\x00\x00\x00\x66\xfeSMB\x40\x00"

# cycles N: N connections from bash, abandoned three ways in turn.
cycles() {
	local i fd
	for i in $(seq 1 "$1"); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port"
		case $((i % 3)) in
		1) # Take 4 bytes of the answer, leave the rest unread: the close sends a reset.
			printf "$neg" >&"$fd"
			read -r -t 2 -N 4 -u "$fd" _ || true ;;
		2) printf "$half" >&"$fd" ;;
		esac
		exec {fd}>&-
	done
}

# Warm up (allocator arenas, socket buffers), then take the baseline.
for b in $(seq 1 3); do batch "$b"; done
cycles 30
base_fds=$(settled_fds 4)
base_rss=$(rss_kib)
cycles 1000
mid_fds=$(settled_fds "$base_fds")
for b in $(seq 1 10); do batch "$b"; done
after_fds=$(settled_fds "$base_fds")
after_rss=$(rss_kib)
echo "server fds: $base_fds before, $mid_fds after 1000 abandoned connections, $after_fds" \
	"after 100 killed clients; RSS: $base_rss KiB before, $after_rss KiB after"
[ "$mid_fds" -eq "$base_fds" ] || fail "the server kept $((mid_fds - base_fds)) fds"
[ "$after_fds" -eq "$base_fds" ] || fail "the server kept $((after_fds - base_fds)) fds"
# A connection's state is ~200 KiB and freed on close; 1000 leaked would be ~200 MiB.
[ "$after_rss" -lt $((base_rss + 32768)) ] || fail "RSS grew by $((after_rss - base_rss)) KiB"
kill -0 "$spid" || fail "the server died"
"$bin" load -c "127.0.0.1:$port" -n 64M -C 2 --verify >/dev/null ||
	fail "the server no longer serves a verified copy"
# Killed peers are not protocol errors: nothing logged.
[ ! -s "$tmp/serve.err" ] || fail "the server logged: $(head -3 "$tmp/serve.err")"

# The other way round: the server killed mid-copy. The client exits 1, says so in one line, and
# its JSON still holds what it measured, with "status": "aborted".
kill "$spid"
wait "$spid" 2>/dev/null || true
spid=
"$bin" serve --listen 127.0.0.1:0 >"$tmp/serve2.out" 2>&1 &
spid=$!
for _ in $(seq 50); do
	grep -q listening "$tmp/serve2.out" && break
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/serve2.out")
rc=0
"$bin" load -c "127.0.0.1:$port" -n 1T -C 2 -t 60s --json >"$tmp/load.json" 2>"$tmp/load.err" &
lpid=$!
loads=("$lpid")
sleep 1
kill -9 "$spid"
wait "$spid" 2>/dev/null || true
spid=
wait "$lpid" || rc=$?
loads=()
[ "$rc" -eq 1 ] || fail "load exited $rc after the server died"
grep -q 'server closed the connection after [0-9]* of 1099511627776 bytes' "$tmp/load.err" ||
	fail "load said: $(cat "$tmp/load.err")"
[ "$(jq -r .status "$tmp/load.json")" = aborted ] || fail "JSON status: $(jq -c . "$tmp/load.json")"
[ "$(jq -r '.bytes > 0 and .ios > 0 and .seconds > 0' "$tmp/load.json")" = true ] ||
	fail "the JSON lost what was measured: $(jq -c '{bytes, ios, seconds}' "$tmp/load.json")"
echo "ok: 1000 abandoned connections and 100 killed clients, no fd or memory kept;" \
	"the server killed mid-copy: load exit 1, status aborted, $(jq .bytes "$tmp/load.json") bytes kept"
