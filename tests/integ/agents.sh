#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Agents on "other machines": four network namespaces of our own (ctl, srv, g1, g2) on one
# bridge stand for the controller's host, the file server and two guests. An `iovbench agent`
# in each of srv, g1, g2; the controller (`run --server --guest`) in ctl. Checks: one merged
# record with every machine's metadata and each guest's bytes as asked; a wrong token is
# refused, logged by the agent, and fails the controller with a clear message; a guest agent
# killed during the copy fails the run naming it, and the record keeps the other's figures; one
# that stops answering is lost after --agent-timeout; a guest agent whose controller dies stops
# its copy and serves the next one.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
ns=iovbagt-$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true # a stopped agent (case 4) must see its SIGTERM
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in ctl srv g1 g2; do
		ip netns del "$ns-$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ctl holds the bridge; each machine has eth0 on it, 10.99.0.0/24.
ip netns add "$ns-ctl"
ip -n "$ns-ctl" link add br0 type bridge
ip -n "$ns-ctl" link set br0 up
ip -n "$ns-ctl" addr add 10.99.0.1/24 dev br0
ip -n "$ns-ctl" link set lo up
declare -A addr=([srv]=10.99.0.2 [g1]=10.99.0.3 [g2]=10.99.0.4)
for m in srv g1 g2; do
	ip netns add "$ns-$m"
	ip -n "$ns-ctl" link add "v$m" type veth peer name eth0 netns "$ns-$m"
	ip -n "$ns-ctl" link set "v$m" master br0 up
	ip -n "$ns-$m" link set lo up
	ip -n "$ns-$m" addr add "${addr[$m]}/24" dev eth0
	ip -n "$ns-$m" link set eth0 up
done

# the file server's second address: where the guests reach its engine (--server-addr)
ip -n "$ns-srv" addr add 10.99.0.12/24 dev eth0
umask 077
head -c 24 /dev/urandom | base64 >"$tmp/token"
echo wrong-token >"$tmp/bad"

# start_agent MACHINE: an agent listening on the machine's address, its log in $tmp/MACHINE.err
start_agent() {
	ip netns exec "$ns-$1" "$bin" agent --listen "${addr[$1]}:7420" --token-file "$tmp/token" \
		-v >"$tmp/$1.out" 2>"$tmp/$1.err" &
	pids+=($!)
	eval "pid_$1=$!"
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$tmp/$1.out" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$tmp/$1.err"
	fail "agent on $1 did not start"
}
for m in srv g1 g2; do
	start_agent "$m"
done
ctl() {
	ip netns exec "$ns-ctl" "$bin" run --server 10.99.0.2:7420 --guest g1=10.99.0.3:7420 \
		--guest g2=10.99.0.4:7420 "$@"
}

# 1. a run: one record, three machines, each guest's bytes as asked; the guests copy from the
# file server's second address
rc=0
ctl --token-file "$tmp/token" --bytes 64M --reps 2 --collectors procfs,bpf \
	--server-addr 10.99.0.12 -o "$tmp/r.json.gz" 2>"$tmp/ctl1.err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/ctl1.err"; fail "controller exited $rc"; }
gz=$(zcat "$tmp/r.json.gz")
[ "$(jq -r .status <<<"$gz")" = ok ] || fail "record status is not ok"
[ "$(jq -r .topology.kind <<<"$gz")" = agents ] || fail "topology.kind is not agents"
[ "$(jq -r .topology.server.addr <<<"$gz")" = 10.99.0.12 ] || fail "--server-addr not used"
jq -e '[.topology.machines[] | .name] == ["server", "g1", "g2"]' <<<"$gz" >/dev/null ||
	fail "machines are not server, g1, g2"
jq -e '[.topology.machines[] | .meta.kernel.release and .meta.cpu.nproc > 0] | all' \
	<<<"$gz" >/dev/null || fail "a machine's meta is missing"
jq -e '[.runs[] | .guests[] | .bytes == 67108864 and .status == "ok"] | (length == 4 and all)' \
	<<<"$gz" >/dev/null || fail "a guest did not copy 64M in every run"
jq -e '[.runs[] | .status == "ok" and .engine.bytes == 134217728 and
	(.window.start_skew_ns | type == "number") and
	([.machines[] | .collectors.procfs.cpus | length > 0] | all)] | (length == 2 and all)' \
	<<<"$gz" >/dev/null || fail "runs lack engine totals, skews or every machine's procfs"
jq -e '[.runs[] | [.threads.list[] | .role] | unique == ["guest-1", "guest-2", "server"]] | all' \
	<<<"$gz" >/dev/null || fail "runs lack every machine's engine threads"
# each machine's ksoftirqd threads, with its role and (bpf is loaded) their softirq time
jq -e '[.runs[] | .machines[] | .role as $r | .kernel_threads.list |
	length > 0 and (map(.role == $r) | all) and
	([.[] | select(.kind == "ksoftirqd") | .softirq_ns | type == "number"] | length > 0)] |
	(length == 6 and all)' <<<"$gz" >/dev/null || fail "a machine lacks its kernel_threads"
"$bin" report "$tmp/r.json.gz" >"$tmp/report.txt" || fail "report exited $?"
grep -q '^  g2 .*guest-2' "$tmp/report.txt" || { cat "$tmp/report.txt"; fail "report has no machine rows"; }
grep -q "controller 10.99.0.1:[0-9]* connected" "$tmp/srv.err" || fail "server agent did not log the controller"
# the default warm-up (256M, no window) and a per-second series per role in every run, its
# bytes the engine's
jq -e '.workload.kind == "read" and .workload.warmup_bytes == 268435456 and
	.workload.series_interval_s == 1' <<<"$gz" >/dev/null || fail "workload: warm-up or series not recorded"
jq -e '[.runs[] | .series as $s | ($s.t_s | length) >= 1 and
	($s.cpu_ns | keys) == ["guest-1", "guest-2", "server"] and
	([$s.cpu_ns[] | length] | unique) == [$s.t_s | length] and
	($s.bytes | add) == .engine.bytes and ($s.cpu_ns["guest-1"] | add) > 0] | all' <<<"$gz" \
	>/dev/null || fail "runs lack a series per role: $(jq -c '.runs[0].series' <<<"$gz")"
[ "$(grep -c ': load$' "$tmp/g1.err")" = 3 ] || fail "g1 did not copy 3 times (warm-up + 2 reps)"

# 1b. --max-stddev on agents: at least --reps (2), at most --max-reps, and why it stopped
rc=0
ctl --token-file "$tmp/token" --bytes 16M --warmup 0 --max-stddev 99 --max-reps 3 \
	--no-series -q -o "$tmp/sd.json.gz" 2>"$tmp/ctl_sd.err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/ctl_sd.err"; fail "--max-stddev run exited $rc"; }
zcat "$tmp/sd.json.gz" | jq -e '.repetitions as $r | ($r.stopped == "max-stddev" or
	$r.stopped == "max-reps") and $r.done >= 2 and $r.done <= 3 and
	(.runs | length) == $r.done and ($r.throughput_rel_stddev.agents | type == "number") and
	.workload.max_stddev_pct == 99 and .workload.max_reps == 3' >/dev/null ||
	fail "--max-stddev: $(zcat "$tmp/sd.json.gz" | jq -c '[.repetitions, .workload]')"
rc=0
ctl --token-file "$tmp/token" --max-reps 3 -o "$tmp/bad.json.gz" 2>"$tmp/ctl_bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'needs --max-stddev' "$tmp/ctl_bad.err" ||
	fail "--max-reps without --max-stddev: exit $rc, $(cat "$tmp/ctl_bad.err")"

# 1b. a write copy, checked by the server, with a 100 ms series: the bytes asked for are the
# bytes written, every guest verified, and the series shows them per interval and role
rc=0
ctl --token-file "$tmp/token" --workload write --verify --bytes 256M --reps 1 --warmup 16M \
	--series-interval 100ms -o "$tmp/w.json.gz" 2>"$tmp/ctl1b.err" || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/ctl1b.err"; fail "write controller exited $rc"; }
gz=$(zcat "$tmp/w.json.gz")
jq -e '.status == "ok" and .workload.kind == "write" and .workload.verify == true and
	.workload.warmup_bytes == 16777216 and .workload.series_interval_s == 0.1' <<<"$gz" \
	>/dev/null || fail "write record: workload not recorded"
jq -e '.runs[0] | .engine.bytes == 536870912 and .engine.write_bytes == 536870912 and
	.engine.read_bytes == 0 and
	[.guests[] | .status == "ok" and .verified == true and .write_bytes == 268435456] ==
	[true, true]' <<<"$gz" >/dev/null ||
	fail "write: not 2 x 256 MiB written and verified: $(jq -c '.runs[0].engine | del(.latency)' <<<"$gz")"
jq -e '.runs[0] | .series as $s | ($s.t_s | length) >= 2 and ($s.bytes | add) == 536870912 and
	($s.t_s == ($s.t_s | sort)) and ([$s.cpu_ns[] | length] | unique) == [$s.t_s | length] and
	($s.cpu_ns.server | add) > 0 and ([$s.throughput_bps[] | select(. != null)] | max) > 0' \
	<<<"$gz" >/dev/null || fail "write: no usable 100 ms series: $(jq -c '.runs[0].series' <<<"$gz")"
"$bin" report "$tmp/w.json.gz" >/dev/null || fail "report of the write record exited $?"
rc=0
ctl --token-file "$tmp/token" --workload sideways --bytes 1M -o "$tmp/x.json.gz" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "--workload sideways exited $rc, not 2"

# 2. a wrong token: refused and logged by the agent; the controller fails saying so, no record
rc=0
ctl --token-file "$tmp/bad" --bytes 1M --reps 1 -o "$tmp/bad.json.gz" 2>"$tmp/ctl2.err" || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/ctl2.err"; fail "controller with a wrong token exited $rc, not 3"; }
grep -q "agent 'server' (10.99.0.2:7420) refused us: bad token" "$tmp/ctl2.err" ||
	{ cat "$tmp/ctl2.err"; fail "no clear message for the refused token"; }
grep -q "refused controller 10.99.0.1:[0-9]*: bad token" "$tmp/srv.err" ||
	fail "the agent did not log the refusal"
[ ! -e "$tmp/bad.json.gz" ] || fail "a record was written though nothing ran"

# 3. a guest agent killed during its copy: the run fails naming it, the other's figures stay
rc=0
loads=$(grep -c ': load$' "$tmp/g2.err")
ip netns exec "$ns-ctl" "$bin" run --server 10.99.0.2:7420 --guest g1=10.99.0.3:7420 \
	--guest g2=10.99.0.4:7420 --token-file "$tmp/token" --bytes 3G --reps 2 --warmup 0 \
	-o "$tmp/lost.json.gz" 2>"$tmp/ctl3.err" &
ctlpid=$!
pids+=("$ctlpid")
for _ in $(seq 1 200); do
	[ "$(grep -c ': load$' "$tmp/g2.err")" -gt "$loads" ] && break
	sleep 0.05
done
[ "$(grep -c ': load$' "$tmp/g2.err")" -gt "$loads" ] || fail "g2 never got its copy"
kill -9 "$pid_g2"
wait "$pid_g2" 2>/dev/null || true
wait "$ctlpid" || rc=$?
[ "$rc" = 3 ] || { cat "$tmp/ctl3.err"; fail "controller exited $rc after losing g2, not 3"; }
grep -q "agent 'g2' (10.99.0.4:7420) lost during the copy" "$tmp/ctl3.err" ||
	{ cat "$tmp/ctl3.err"; fail "no message naming the lost agent"; }
gz=$(zcat "$tmp/lost.json.gz")
[ "$(jq -r .status <<<"$gz")" = incomplete ] || fail "record status is not incomplete"
[ "$(jq '.runs | length' <<<"$gz")" = 1 ] || fail "the run went on after losing g2"
jq -e '.runs[0].guests[0] | .machine == "g1" and .status == "ok" and .bytes == 3221225472' \
	<<<"$gz" >/dev/null || fail "g1's copy was not kept whole"
jq -e '.runs[0].guests[1] | .machine == "g2" and .status == "lost"' <<<"$gz" >/dev/null ||
	fail "g2 is not marked lost"
jq -e '.runs[0].machines.server.collectors.procfs and .runs[0].machines.g1.collectors.procfs and
	.runs[0].machines.g2.status == "lost"' <<<"$gz" >/dev/null ||
	fail "the others' collector figures were not kept"
rc=0
"$bin" report "$tmp/lost.json.gz" >"$tmp/report3.txt" 2>&1 || rc=$?
[ "$rc" -le 2 ] || { cat "$tmp/report3.txt"; fail "report of the incomplete record exited $rc"; }

# 4. an agent that stops answering (SIGSTOP) is lost after --agent-timeout, named
kill -STOP "$pid_g1"
rc=0
ctl --token-file "$tmp/token" --bytes 1M --reps 1 --agent-timeout 1s -o "$tmp/t.json.gz" \
	2>"$tmp/ctl4.err" || rc=$?
kill -CONT "$pid_g1"
[ "$rc" = 3 ] || { cat "$tmp/ctl4.err"; fail "controller exited $rc with a silent agent, not 3"; }
grep -q "agent 'g1' (10.99.0.3:7420) lost during the hello (busy with another controller?): no answer in time" "$tmp/ctl4.err" ||
	{ cat "$tmp/ctl4.err"; fail "no message naming the silent agent"; }

# 5. the controller killed during the copy: the guest's agent stops its copy at once, says so,
# and serves the next controller
ctl1() {
	ip netns exec "$ns-ctl" "$bin" run --server 10.99.0.2:7420 --guest g1=10.99.0.3:7420 "$@"
}
loads=$(grep -c ': load$' "$tmp/g1.err")
# not through ctl1: a function in the background is a subshell, and $! would not be the controller
ip netns exec "$ns-ctl" "$bin" run --server 10.99.0.2:7420 --guest g1=10.99.0.3:7420 \
	--token-file "$tmp/token" --bytes 64G --reps 1 -o "$tmp/k.json.gz" 2>/dev/null &
ctlpid=$!
pids+=("$ctlpid")
for _ in $(seq 1 200); do
	[ "$(grep -c ': load$' "$tmp/g1.err")" -gt "$loads" ] && break
	sleep 0.05
done
kill -9 "$ctlpid"
wait "$ctlpid" 2>/dev/null || true
for _ in $(seq 1 50); do
	grep -q 'lost during the copy: copy stopped' "$tmp/g1.err" && break
	sleep 0.1
done
grep -q 'lost during the copy: copy stopped' "$tmp/g1.err" ||
	{ cat "$tmp/g1.err"; fail "g1's agent did not stop its copy when the controller went"; }
rc=0
ctl1 --token-file "$tmp/token" --bytes 16M --reps 1 -o "$tmp/after.json.gz" 2>"$tmp/ctl5.err" ||
	rc=$?
[ "$rc" = 0 ] || { cat "$tmp/ctl5.err"; fail "the agents did not serve the next controller ($rc)"; }
echo "agents: all checks passed"
