#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run --failover-at: a vf guest's VF is removed mid-copy, its copy goes on over the standby
# paravirtual NIC (same address and MAC), the VF comes back. Every byte arrives and is
# verified, the record's failover object is consistent, the series shows the switch (the host
# role works only while the guest is on the standby), nothing is left behind. Then a 1+1 run:
# only the vf window fails over, each guest's relay is tagged with its guest. Bad option
# combinations are usage errors. About 20-30 s.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for bad in "--failover-at 0s" "--failover-at soon" "--failback-after 1s" \
	"--paths pv --guests 0+1 --failover-at 1s" "--failover-at 1s --failback-after 0" \
	"--paths vf --guests 1+0 --failover-at 1s --vf netdev:nosuch0"; do
	rc=0
	# shellcheck disable=SC2086
	"$bin" run $bad -q -o "$tmp/bad.json.gz" 2>/dev/null || rc=$?
	[ "$rc" -eq 2 ] || fail "run $bad exited $rc, not 2 (usage)"
done

id=fo$$$RANDOM
root_links "$tmp/root"
clean() {
	record_note "$2" "$tmp/notes.$1"
	run_clean "$1" "$tmp/notes.$1" "$tmp/root" || fail "run $1 left something behind"
}

# 768 MiB over a 1 Gbit/s wire: about 7 s, so the VF is away from ~2 s to ~4 s mid-copy.
bytes=$((768 << 20))
"$bin" run --guests 1+0 --paths vf --bytes 768M --reps 1 --warmup 0 --link-rate 1gbit \
	--failover-at 2s --failback-after 2s -q --run-id "${id}a" -o "$tmp/f.json.gz" ||
	fail "failover run exited $?"
clean "${id}a" "$tmp/f.json.gz"
"$bin" report "$tmp/f.json.gz" | sed -n '/^failover/,$p'
gz=$(zcat "$tmp/f.json.gz")
jq -e '.status == "ok" and .workload.verify == true and
	.workload.failover == {"at_s": 2, "failback_after_s": 2}' <<<"$gz" >/dev/null ||
	fail "record status or workload (verify, failover) wrong"
jq -e --argjson b "$bytes" '.runs[0] | .status == "ok" and .engine.bytes == $b and
	[.guests[] | .status == "ok" and .verified == true and .bytes == $b] == [true]' \
	<<<"$gz" >/dev/null || fail "the copy did not move and verify exactly 768 MiB"
jq -e '.topology.guests[0].standby == {"dev": "eth1", "host_dev": "vnet0"} and
	([.topology.devices[] | select(.for_guest == "guest-1") | .name] == ["vnet0"])' \
	<<<"$gz" >/dev/null || fail "the standby NIC is not in the topology"
echo "failover: $(jq -c '.runs[0].failover | del(.progress)' <<<"$gz")"
jq -e '.status == "ok" and .guest == "guest-1" and .at_s == 2 and .failback_s == 2 and
	.switched_at_s >= 2 and .switched_at_s < 4 and
	.restored_at_s - .switched_at_s >= 2 and .restored_at_s - .switched_at_s < 4 and
	.restored_after_window == false and .longest_gap_ms > 0 and
	(.progress.t_s | length) == (.progress.bytes | length) and
	(.progress.t_s | length) > 10 and .progress.bytes == (.progress.bytes | sort) and
	.progress.t_s[0] <= .switched_at_s and (.progress.t_s | last) >= .restored_at_s' \
	<<<"$(jq -c '.runs[0].failover' <<<"$gz")" >/dev/null ||
	fail "failover figures missing or inconsistent"
# The figures, from the guest's 100 ms bins aligned on the switch, are sane by their
# definitions: the reference is about the shaped 1 Gbit/s; either no bin fell below 80% of it
# (recovery 0, no dip, nothing lost in it) or the dip is below 80% and the recovery at least a
# bin later; lost time is never negative and moved at most all that was asked.
jq -e '.bins.interval_s == 0.1 and (.bins.t_s | length) == (.bins.throughput_bps | length) and
	(.bins.t_s | length) >= 20 and .bins.t_s == (.bins.t_s | sort) and
	.pre_switch_median_bps > 0.6e9 and .pre_switch_median_bps < 1.05e9 and
	.guest_before_bps == .pre_switch_median_bps and
	(.recovery_s | type) == "number" and .recovery_s >= 0 and
	((.dip_min_bps == null and .recovery_s == 0 and .dip_lost_s == 0) or
	 (.dip_min_bps >= 0 and .dip_min_bps < .recovery_frac * .pre_switch_median_bps and
	  .recovery_s >= 0.1 and .dip_lost_s > 0 and .dip_lost_s <= .recovery_s)) and
	(.failback.recovery_s | type) == "number" and .failback.recovery_s >= 0 and
	.failback.dip_lost_s >= 0 and
	.guest_lost_s >= 0 and .guest_lost_s < .failback_s + 1 and
	.guest_moved_ratio > 0 and .guest_moved_ratio < 1.2' \
	<<<"$(jq -c '.runs[0].failover' <<<"$gz")" >/dev/null ||
	fail "failover figures not sane by their definitions"
# The switch in the series (100 ms intervals with --failover-at): host CPU only while guest-1
# is on the standby (the relay, the bridge), essentially none on the VF before it. An interval
# counts for the standby when at least half of it was.
jq -e '.runs[0] | .failover as $f | .series as $s | [range(0; $s.t_s | length)] as $i |
	$s.interval_s == 0.1 and
	([$i[] | select($s.t_s[.] <= $f.switched_at_s) | $s.cpu_ns.host[.]] as $before |
	[$i[] | select($s.t_s[.] > $f.switched_at_s + 0.05 and
		$s.t_s[.] <= $f.restored_at_s + 0.05) | $s.cpu_ns.host[.]] as $pv |
	($before | length) >= 10 and ($pv | length) >= 15 and ($pv | min) > 1000000 and
	($pv | min) > 10 * ($before | max))' <<<"$gz" >/dev/null ||
	fail "the series does not show host work during the standby period only: $(jq -c \
		'.runs[0].series | {t_s, host: .cpu_ns.host}' <<<"$gz")"
"$bin" report --json "$tmp/f.json.gz" >"$tmp/sum.json" || fail "report --json exited $?"
jq -e '.failover | length == 1 and (.[0] | .path == "vf" and .rep == 1 and
	.guest == "guest-1" and (has("progress") | not) and
	.host_cpu_ms_per_s_standby > 10 * .host_cpu_ms_per_s_before)' "$tmp/sum.json" \
	>/dev/null || fail "report --json: failover summary missing or wrong"
jq -e '[.runs[0].threads.list[] | select(.comm | startswith("iovb-relay")) | .for_guest] |
	length > 0 and all(. == "guest-1")' <<<"$gz" >/dev/null ||
	fail "the standby's relay is not tagged with its guest"

# 1+1: the pv window has no failover, the vf guest (guest-2) fails over in its window.
"$bin" run --guests 1+1 --bytes 384M --reps 1 --warmup 0 --link-rate 1gbit \
	--failover-at 1s --failback-after 1s -q --run-id "${id}b" -o "$tmp/g.json.gz" ||
	fail "1+1 failover run exited $?"
clean "${id}b" "$tmp/g.json.gz"
gz=$(zcat "$tmp/g.json.gz")
jq -e '[.runs[] | select(.path == "pv") | has("failover")] == [false] and
	[.runs[] | select(.path == "vf") | .failover | .status == "ok" and .guest == "guest-2"] ==
	[true]' <<<"$gz" >/dev/null || fail "1+1: failover in the wrong window or guest"
jq -e '[.runs[] | .status == "ok" and .engine.bytes == 402653184 and
	([.guests[].verified] | all)] | all' <<<"$gz" >/dev/null || fail "1+1: a copy failed"
jq -e '[.topology.devices[] | select(.for_guest) | "\(.name)=\(.for_guest)"] ==
	["vnet0=guest-1","vnet1=guest-2"]' <<<"$gz" >/dev/null ||
	fail "1+1: host ports not tagged with their guests"
echo "failover: ok"
