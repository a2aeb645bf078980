#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --vf PF:INDEX with a stand-in: the sysfs fixture's PF enp1s0f0 names VF 7 enp1s0f0v7, and a
# veth end of that name plays the VF's netdev in the root netns. topo up moves it into the vf
# guest as eth0; topo down --run-id, a run that ends, and topo down after a SIGKILLed run all
# give it back with its name, MTU, MAC and up state. Scoped to this test's run ids.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"
fix=$(realpath "$(dirname "$0")/../fixtures/sysfs/host")
vf=enp1s0f0v7
peer=iovbvp$$
tmp=$(mktemp -d)
pid=
ids=()
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	for i in "${ids[@]}"; do "$bin" topo down --run-id "$i" >/dev/null 2>&1 || true; done
	ip link del "$peer" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

if ip link show "$vf" >/dev/null 2>&1; then
	echo "topo_vf: skipped ($vf exists on this machine)"
	exit 0
fi
ip link add "$vf" mtu 1400 address 02:00:00:00:07:07 type veth peer name "$peer"
ip link set "$vf" up
# shape: NAME MTU MAC UP?
look() { ip -o link show "$vf" 2>/dev/null | awk -v n="$vf" '{
	mtu = ""; mac = ""; up = ($3 ~ /[<,]UP[,>]/) ? "up" : "down"
	for (i = 1; i <= NF; i++) { if ($i == "mtu") mtu = $(i + 1); if ($i == "link/ether") mac = $(i + 1) }
	print n, mtu, mac, up }'; }
want="$vf 1400 02:00:00:00:07:07 up"
[ "$(look)" = "$want" ] || fail "stand-in not as set up: $(look)"
root_links "$tmp/root"

# topo up / down
out=$("$bin" topo up --paths vf --guests 1+0 --vf enp1s0f0:7 --sysfs-root "$fix") ||
	fail "topo up --vf exited $?"
id=$(awk '/^run /{print $2}' <<<"$out")
ids+=("$id")
grep -q "real VF $vf as eth0" <<<"$out" || fail "topo up does not say it took $vf"
ip link show "$vf" >/dev/null 2>&1 && fail "$vf still in the root netns"
ip -n "iovb-$id-g1" -o link show eth0 | grep -q 02:00:00:00:07:07 || fail "eth0 in g1 is not $vf"
ip -n "iovb-$id-g1" -o addr show eth0 | grep -q 10.77.0.11/24 || fail "guest address missing"
"$bin" topo down --run-id "$id" >/dev/null || fail "topo down exited $?"
[ "$(look)" = "$want" ] || fail "after topo down: '$(look)', want '$want'"

# a run that ends by itself gives it back (its copy cannot reach a server: exit 1)
: >"$tmp/notes"
rc=0
"$bin" run --paths vf --guests 1+0 --vf enp1s0f0:7 --sysfs-root "$fix" --bytes 16M --reps 1 \
	--warmup 0 --timeout 5s -q --run-id "vf$$a" -o "$tmp/a.json.gz" 2>/dev/null || rc=$?
ids+=("vf$$a")
[ "$rc" -eq 1 ] || fail "run with an unreachable server exited $rc, not 1"
[ "$(look)" = "$want" ] || fail "after the run: '$(look)', want '$want'"
zcat "$tmp/a.json.gz" | jq -e '.topology.guests[0].vf_netdev == "enp1s0f0v7" and
	([.topology.devices[] | select(.kind == "vf")] | length) == 1' >/dev/null ||
	fail "the record does not show the real VF"
run_clean "vf$$a" "$tmp/notes" "$tmp/root" || fail "run vf$$a left the above"

# SIGKILL while the VF is inside, then topo down --run-id
"$bin" run --paths vf --guests 1+0 --vf enp1s0f0:7 --sysfs-root "$fix" --bytes 16M --reps 1 \
	--warmup 0 --timeout 30s -q --run-id "vf$$b" -o "$tmp/b.json.gz" 2>/dev/null &
pid=$!
ids+=("vf$$b")
for _ in $(seq 1 100); do
	ip link show "$vf" >/dev/null 2>&1 || break
	sleep 0.1
done
ip link show "$vf" >/dev/null 2>&1 && fail "the run never took $vf"
sleep 0.5
run_note "vf$$b" "$tmp/notes" "$pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
ip link show "$vf" >/dev/null 2>&1 && fail "$vf came back without topo down"
"$bin" topo down --run-id "vf$$b" >/dev/null || fail "topo down after SIGKILL exited $?"
[ "$(look)" = "$want" ] || fail "after SIGKILL + topo down: '$(look)', want '$want'"
run_clean "vf$$b" "$tmp/notes" "$tmp/root" || fail "run vf$$b left the above"
echo "topo_vf: ok"
