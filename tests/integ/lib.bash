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
