#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A short real run on both emulated paths with one guest each (--guests 1+1): a valid record
# whose report meets the foundation's acceptance (bpf vs /proc/softirqs, NET_RX attribution,
# host cost pv >> vf), and nothing left behind. Then the study's 2+2 (two vf guests, two pv
# guests, the guests of a path at once): per-guest figures, guests alike, host work per pv
# guest far above per vf guest, per-second series.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

id=rs$$$RANDOM
root_links "$tmp/root"
# clean ID RECORD: nothing of run ID is left (scoped: other runs may be up on this machine).
clean() {
	record_note "$2" "$tmp/notes.$1"
	run_clean "$1" "$tmp/notes.$1" "$tmp/root"
}
"$bin" run --guests 1+1 --bytes 512M --reps 2 --warmup 64M -q --run-id "${id}a" \
	-o "$tmp/r.json.gz" || fail "run exited $?"
clean "${id}a" "$tmp/r.json.gz" || fail "the run left something behind"
[ -s "$tmp/r.json.gz" ] || fail "no record"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temp file was left beside the record"

"$bin" report --json "$tmp/r.json.gz" >"$tmp/sum.json" || fail "report --json exited $?"
jq -e . "$tmp/sum.json" >/dev/null || fail "report --json is not JSON"
"$bin" report "$tmp/r.json.gz" >"$tmp/sum.txt" || fail "report exited $?"
cat "$tmp/sum.txt"

gz=$(zcat "$tmp/r.json.gz")
[ "$(jq -r .schema <<<"$gz")" = 1 ] || fail "schema is not 1"
[ "$(jq -r .status <<<"$gz")" = ok ] || fail "record status is not ok"
[ "$(jq '[.runs[] | select(.status == "ok")] | length' <<<"$gz")" = 4 ] || fail "expected 4 ok runs"
jq -e '[.collectors[] | select(.name == "bpf")][0].status == "ok"' <<<"$gz" >/dev/null ||
	fail "bpf collector did not load"
jq -e '[.runs[].kernel_threads.list | map(select(.kind == "ksoftirqd" and .role == "host"
	and (.softirq_ns | type == "number"))) | length > 0] | all' <<<"$gz" >/dev/null ||
	fail "a run has no ksoftirqd in kernel_threads (role host, with bpf's softirq_ns)"
jq -e '[.topology.devices[] | .offloads | test("tso=")] | all' <<<"$gz" >/dev/null ||
	fail "offload settings missing for a device"

for p in pv vf; do
	jq -e --arg p "$p" '.paths[$p].throughput_bps > 1e8' "$tmp/sum.json" >/dev/null ||
		fail "$p: throughput missing or below 100 Mbit/s"
	jq -e --arg p "$p" '.paths[$p].net_rx_attributed >= 0.9' "$tmp/sum.json" >/dev/null ||
		fail "$p: less than 90% of NET_RX attributed to a device"
	jq -e --arg p "$p" '.paths[$p].roles.server.cpu_ns_per_byte > 0' "$tmp/sum.json" >/dev/null ||
		fail "$p: no server CPU measured"
	# Every run moved exactly the bytes asked for.
	jq -e --arg p "$p" '[.runs[] | select(.path == $p) | .engine.bytes == 536870912] | all' \
		<<<"$gz" >/dev/null || fail "$p: a run did not move exactly 512 MiB"
done
jq -e '.checks.softirq_count_rel_err < 0.01' "$tmp/sum.json" >/dev/null ||
	fail "bpf softirq counts differ from /proc/softirqs by 1% or more"
jq -e '.paths.pv.roles.host.cpu_ns_per_byte > 0' "$tmp/sum.json" >/dev/null ||
	fail "pv: no host CPU measured"
# The study's central finding: the host pays several times more per byte on the pv path.
jq -e '(.paths.vf.roles.host.cpu_ns_per_byte // 0) * 3 < .paths.pv.roles.host.cpu_ns_per_byte' \
	"$tmp/sum.json" >/dev/null || fail "host CPU per byte on pv is not several times vf's"

# ---- 2+2 -------------------------------------------------------------------------------------
"$bin" run --bytes 256M --reps 2 --warmup 32M -q --run-id "${id}b" -o "$tmp/g.json.gz" ||
	fail "2+2 run exited $?"
clean "${id}b" "$tmp/g.json.gz" || fail "the 2+2 run left something behind"
"$bin" report --json "$tmp/g.json.gz" >"$tmp/gsum.json" || fail "report --json (2+2) exited $?"
"$bin" report "$tmp/g.json.gz" | sed -n '/^path/,/softirq ns/p' | grep -E '^path|guest' || true
gz=$(zcat "$tmp/g.json.gz")
[ "$(jq -r .status <<<"$gz")" = ok ] || fail "2+2: record status is not ok"
jq -e '.workload.guests == {"vf": 2, "pv": 2} and (.topology.guests | length) == 4' \
	<<<"$gz" >/dev/null || fail "2+2: workload/topology do not say four guests"
jq -e '[.topology.guests[] | "\(.role)=\(.path)"] == ["guest-1=pv","guest-2=pv","guest-3=vf","guest-4=vf"]' \
	<<<"$gz" >/dev/null || fail "2+2: guests are not numbered pv first"
jq -e '.repetitions.done == 2 and .repetitions.stopped == "reps"' <<<"$gz" >/dev/null ||
	fail "2+2: repetitions do not say 2 done, stopped at --reps"
[ "$(jq '[.runs[] | select(.status == "ok")] | length' <<<"$gz")" = 4 ] ||
	fail "2+2: expected 4 ok windows (2 paths x 2 reps)"
# Each window: both guests of its path, each exactly --bytes; the aggregate is their sum.
jq -e '[.runs[] | (.guests | length) == 2 and ([.guests[] | .bytes == 268435456 and
	.status == "ok"] | all) and .engine.bytes == 536870912 and .engine.guests == 2] | all' \
	<<<"$gz" >/dev/null || fail "2+2: a window lacks a guest, or bytes do not add up"
jq -e '([.runs[] | select(.path == "pv") | [.guests[].role] == ["guest-1","guest-2"]] | all) and
	([.runs[] | select(.path == "vf") | [.guests[].role] == ["guest-3","guest-4"]] | all)' \
	<<<"$gz" >/dev/null || fail "2+2: wrong guests in a window"
# The host's per-guest work is attributable: every relay thread says which guest it serves.
jq -e '[.runs[] | .threads.list[] | select(.comm | startswith("iovb-relay")) | .for_guest] |
	(length > 0) and all(. == "guest-1" or . == "guest-2")' <<<"$gz" >/dev/null ||
	fail "2+2: relay threads not tagged with their guest"
jq -e '[.topology.devices[] | select(.for_guest) | "\(.name)=\(.for_guest)"] == ["vnet0=guest-1","vnet1=guest-2"]' \
	<<<"$gz" >/dev/null || fail "2+2: host TAP ports not tagged with their guest"
# Series: one element per interval, equal lengths, bytes adding up to the window's bytes.
jq -e '[.runs[] | .series as $s | ($s.t_s | length) >= 1 and ($s.bytes | length) == ($s.t_s | length)
	and ($s.throughput_bps | length) == ($s.t_s | length)
	and ([$s.cpu_ns[] | length == ($s.t_s | length)] | all)
	and ($s.bytes | add) == .engine.bytes] | all' <<<"$gz" >/dev/null ||
	fail "2+2: a series is malformed or its bytes do not add up"
jq -e '[.runs[] | select(.path == "pv") | .series.cpu_ns | has("guest-1") and has("guest-2")
	and has("host") and has("server")] | all' <<<"$gz" >/dev/null ||
	fail "2+2: pv series lack a role"
for g in guest-1 guest-2; do
	jq -e --arg g "$g" '.paths.pv.guests[$g].throughput_bps > 1e8 and
		.paths.pv.guests[$g].cpu_ns_per_byte > 0 and .paths.pv.guests[$g].host_ns_per_byte > 0 and
		.paths.pv.roles[$g].cpu_ns_per_byte > 0' "$tmp/gsum.json" >/dev/null ||
		fail "2+2: $g lacks its own figures"
done
for g in guest-3 guest-4; do
	jq -e --arg g "$g" '.paths.vf.guests[$g].throughput_bps > 1e8 and
		.paths.vf.guests[$g].cpu_ns_per_byte > 0 and .paths.vf.roles[$g].cpu_ns_per_byte > 0' \
		"$tmp/gsum.json" >/dev/null || fail "2+2: $g lacks its own figures"
	# The study's finding per guest: the host does several times more for each pv guest.
	jq -e --arg g "$g" '(.paths.vf.guests[$g].host_ns_per_byte // 0) * 3 <
		([.paths.pv.guests[].host_ns_per_byte] | min)' "$tmp/gsum.json" >/dev/null ||
		fail "2+2: host work for $g is not several times below each pv guest's"
done
echo "run_short: ok"
