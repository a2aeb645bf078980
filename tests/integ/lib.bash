# SPDX-License-Identifier: GPL-2.0
# Shared by the integration scripts: state snapshots (namespaces, links, qdiscs, our live
# processes) so a test can prove a run left the machine as it found it.
state() {
	{
		echo "# netns"
		ip netns list 2>/dev/null | awk '{print $1}' | sort
		echo "# links"
		ip -o link show | awk -F': ' '{print $2}' | sort
		echo "# qdiscs"
		tc qdisc show | sort
		echo "# processes"
		# Zombies are already dead: they only wait to be reaped by whoever inherited them.
		ps -eo stat=,comm= | awk '$1 !~ /^Z/ && $2 ~ /^iovb/ {print $2}' | sort
	} 2>/dev/null
}

# same_state BEFORE_FILE OUT_FILE: wait up to 5 s for processes to finish exiting, then diff.
same_state() {
	for _ in $(seq 1 50); do
		state >"$2"
		cmp -s "$1" "$2" && return 0
		sleep 0.1
	done
	diff -u "$1" "$2"
	return 1
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# ---- checks scoped to one run id ------------------------------------------------------------
# Other helpers and CI jobs run topologies on the same machine at the same time, so the global
# snapshot above can change under a test. These look only at what belongs to run ID: its
# namespaces (by name, and by inode for processes still holding one after its name is gone),
# its run directory and relays, root-netns links/qdiscs of the kinds a topology makes that
# were absent before, and BPF links held by the run's own process.

# run_note ID NOTES [PID]: while run ID is up, append its netns inodes, relay pids and the
# BPF links process PID (the run) holds to NOTES. bpftool here cannot name a link's owner
# (no pid iterator), so link ids come from the run's own /proc/PID/fdinfo.
run_note() {
	local f
	if [ -n "${3:-}" ]; then
		{ cat /proc/"$3"/fdinfo/* 2>/dev/null || true; } |
			awk '$1 == "link_id:" {print "bpflink " $2}' >>"$2"
	fi
	for f in /run/netns/iovb-"$1"-*; do
		[ -e "$f" ] && echo "ino $(stat -L -c %i "$f")"
	done >>"$2" 2>/dev/null
	if [ -r "/run/iovbench/$1/relay.pid" ]; then
		sed 's/^/relay /' "/run/iovbench/$1/relay.pid" >>"$2" 2>/dev/null || true
	fi
	return 0
}

# root_links FILE: the root netns's links and qdiscs, one per line, for run_left.
root_links() {
	{
		ip -o link show | awk -F': ' '{print "link " $2}'
		tc qdisc show | sed 's/^/qdisc /'
	} 2>/dev/null | sort >"$1"
}

# run_left ID NOTES ROOT_BEFORE: print whatever of run ID is still there (nothing = clean).
run_left() {
	local id=$1 notes=$2 before=$3 p ino pid
	ip netns list 2>/dev/null | awk '{print $1}' | grep "^iovb-$id-" | sed 's/^/netns /' || true
	[ -e "/run/iovbench/$id" ] && echo "run directory /run/iovbench/$id"
	local inos
	inos=" $(awk '$1 == "ino" {print $2}' "$notes" 2>/dev/null | sort -u | tr '\n' ' ') "
	if [ "$inos" != "  " ]; then
		for p in /proc/[0-9]*; do
			ino=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
			case "$inos" in *" $ino "*) echo "process ${p#/proc/} ($(cat "$p/comm" 2>/dev/null)) holds netns inode $ino" ;; esac
		done
	fi
	for pid in $(awk '$1 == "relay" {print $2}' "$notes" 2>/dev/null | sort -u); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = iovb-relay ] && echo "relay $pid alive"
	done
	# A topology creates its devices inside its namespaces only: none may surface in root.
	root_links "$before.now"
	comm -13 "$before" "$before.now" |
		grep -E '^(link|qdisc) .*\b(wire0|pfw|pf0|br0|vnet[0-9]+)\b' || true
	rm -f "$before.now"
	local links
	links=$(awk '$1 == "bpflink" {print $2}' "$notes" 2>/dev/null | sort -u | tr '\n' ,)
	if [ -n "$links" ] && command -v bpftool >/dev/null; then
		bpftool link list -j 2>/dev/null | jq -r --argjson ids "[${links%,}]" \
			'.[] | select(.id as $i | $ids | index($i)) | "bpf link \(.id) still attached"' ||
			true
	fi
	return 0
}

# run_clean ID NOTES ROOT_BEFORE: wait up to 5 s for run ID to be gone, else show it.
run_clean() {
	local left
	for _ in $(seq 1 50); do
		left=$(run_left "$@")
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
	return 1
}

# record_note RECORD NOTES: the namespaces' inodes and relay pids a finished run recorded.
record_note() {
	zcat "$1" | jq -r '(.topology.namespaces[]? | "ino \(.netns_ino)"),
		([.runs[]?.threads.list[]? | select(.comm == "iovb-relay") | .pid] | unique[] |
		 "relay \(.)")' >>"$2"
}
