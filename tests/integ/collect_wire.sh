#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `iovbench collect` around a real copy between two namespaces made here (a veth pair,
# 10.79.0.0/24): the wire collector's TCP payload on the server's interface equals, byte for
# byte, what the engine's client read (wire_bytes) and wrote (wire_tx_bytes); the bpf softirq
# histogram has NET_RX buckets; the command's exit status is ours; a collector that cannot load
# says so and the rest goes on. Also the exit statuses when no collector can load.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
id=$$
srv=iovb-cw$id-srv
cli=iovb-cw$id-cli
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null || true
	ip netns del "$srv" 2>/dev/null || true
	ip netns del "$cli" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$srv"
ip netns add "$cli"
ip link add cw0 netns "$srv" type veth peer name cw1 netns "$cli"
ip -n "$srv" addr add 10.79.0.1/24 dev cw0
ip -n "$cli" addr add 10.79.0.2/24 dev cw1
for n in "$srv" "$cli"; do ip -n "$n" link set lo up; done
ip -n "$srv" link set cw0 up
ip -n "$cli" link set cw1 up

ip netns exec "$srv" "$bin" serve --listen 10.79.0.1:0 >"$tmp/serve.out" &
spid=$!
for _ in $(seq 1 50); do grep -q listening "$tmp/serve.out" && break; sleep 0.1; done
port=$(sed -n 's/.*10\.79\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.out")
[ -n "$port" ] || fail "serve did not say its port"

rc=0
"$bin" collect -c procfs,bpf,wire --wire-if cw0 --wire-netns "$srv" --pcap "$tmp/hdr.pcap" \
	--json -o "$tmp/c.json.gz" -- sh -c 'ip netns exec "$0" "$1" load --connect "$2" \
	--bytes 256M --json >"$3"' "$cli" "$bin" "10.79.0.1:$port" "$tmp/load.json" \
	>"$tmp/sum.json" 2>"$tmp/err" || rc=$?
cat "$tmp/err"
[ $rc -eq 0 ] || fail "collect exited $rc"
jq -e . "$tmp/sum.json" >/dev/null || fail "collect --json is not JSON"
gz=$(zcat "$tmp/c.json.gz")
[ "$(jq -r .workload.kind <<<"$gz")" = collect ] || fail "workload.kind is not collect"
[ "$(jq -r .runs[0].command.exit_code <<<"$gz")" = 0 ] || fail "command exit code not recorded"

rx_payload=$(jq '.wire.interfaces.cw0.rx.tcp_payload_bytes' "$tmp/sum.json")
tx_payload=$(jq '.wire.interfaces.cw0.tx.tcp_payload_bytes' "$tmp/sum.json")
tx_retrans=$(jq '.runs[0].collectors.wire.interfaces[0].tx.retrans_bytes' <<<"$gz")
rx_retrans=$(jq '.runs[0].collectors.wire.interfaces[0].rx.retrans_bytes' <<<"$gz")
drops=$(jq '.wire.dropped' "$tmp/sum.json")
wire_bytes=$(jq .wire_bytes "$tmp/load.json")
wire_tx=$(jq .wire_tx_bytes "$tmp/load.json")
echo "server cw0: tx payload $tx_payload (retrans $tx_retrans), client read $wire_bytes;" \
	"rx payload $rx_payload (retrans $rx_retrans), client wrote $wire_tx; pcap drops $drops"
[ "$drops" = 0 ] || fail "pcap dropped $drops packets: the byte check needs all of them"
[ $((tx_payload - tx_retrans)) -eq "$wire_bytes" ] ||
	fail "server->client TCP payload $tx_payload - $tx_retrans != engine wire_bytes $wire_bytes"
[ $((rx_payload - rx_retrans)) -eq "$wire_tx" ] ||
	fail "client->server TCP payload $rx_payload - $rx_retrans != engine wire_tx_bytes $wire_tx"
# GSO: the server's segments leave as super-packets far above the 1500-byte MTU.
jq -e '[.runs[0].collectors.wire.interfaces[0].tx.size_hist.log2[] | select(.[0] >= 16384)]
	| length > 0' <<<"$gz" >/dev/null || fail "no GSO super-packets (>= 16 KiB) seen"
[ -s "$tmp/hdr.pcap" ] || fail "--pcap kept nothing"
if command -v tshark >/dev/null; then
	n=$(tshark -r "$tmp/hdr.pcap" 2>/dev/null | wc -l)
	total=$(jq '.wire.interfaces.cw0 | .rx.packets + .tx.packets' "$tmp/sum.json")
	[ "$n" -eq "$total" ] || fail "pcap file has $n packets, the collector counted $total"
fi
# bpf: per-vector duration histograms, the NET_RX one summing to at most the NET_RX count
jq -e '.runs[0].collectors.bpf.softirq_hist.NET_RX.log2 | length > 0' <<<"$gz" >/dev/null ||
	fail "no NET_RX histogram buckets"
jq -e '.runs[0].collectors.bpf | ([.softirq_hist.NET_RX.log2[][1]] | add) as $h
	| ([.softirq.NET_RX.count[]] | add) as $c | $h <= $c and $h >= $c - 2 * (.softirq.NET_RX.count | length)' \
	<<<"$gz" >/dev/null || fail "NET_RX histogram total does not match its event count"
jq -e '.overhead.bpf.cpu_ns > 0 and .overhead.wire.cpu_ns > 0 and .overhead.procfs.cpu_ns > 0' \
	"$tmp/sum.json" >/dev/null || fail "collector overhead missing"
jq -e '[.runs[0].collectors.bpf.overhead.programs[] | .run_cnt] | length >= 5' <<<"$gz" \
	>/dev/null || fail "bpf overhead is not per program"

# The command's exit status and signal are ours; a command that cannot run is 127.
rc=0
"$bin" collect -q -c procfs -o "$tmp/e.json.gz" -- sh -c 'exit 7' || rc=$?
[ $rc -eq 7 ] || fail "exit 7 came back as $rc"
rc=0
"$bin" collect -q -c procfs -o "$tmp/k.json.gz" -- sh -c 'kill -TERM $$' || rc=$?
[ $rc -eq 143 ] || fail "SIGTERM came back as $rc"
[ "$(zcat "$tmp/k.json.gz" | jq .runs[0].command.signal)" = 15 ] || fail "signal not recorded"
rc=0
"$bin" collect -q -c procfs -o "$tmp/n.json.gz" -- /nonexistent/cmd 2>/dev/null || rc=$?
[ $rc -eq 127 ] || fail "a missing command gave $rc, not 127"
[ "$(zcat "$tmp/n.json.gz" | jq -r .status)" = incomplete ] || fail "missing command: status"

# Without privileges: procfs alone works (exit 0), bpf is said unavailable; bpf alone is exit 3.
if id nobody >/dev/null 2>&1; then
	chmod 755 "$tmp"
	mkdir "$tmp/np"
	chown nobody "$tmp/np"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" collect -c procfs,bpf \
		-d 200ms -o "$tmp/np/np.json.gz" 2>"$tmp/np.err" >/dev/null || rc=$?
	[ $rc -eq 0 ] || { cat "$tmp/np.err"; fail "unprivileged procfs,bpf exited $rc"; }
	grep -q "bpf collector unavailable" "$tmp/np.err" || fail "no word on the bpf collector"
	zcat "$tmp/np/np.json.gz" | jq -e '[.collectors[] | select(.name == "bpf")][0]
		| .status == "unavailable" and (.error | length > 0)' >/dev/null ||
		fail "record does not say bpf is unavailable"
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" collect -c bpf -d 200ms \
		-o "$tmp/np/np2.json.gz" 2>/dev/null || rc=$?
	[ $rc -eq 3 ] || fail "no loadable collector gave $rc, not 3"
fi
echo "collect_wire: ok"
