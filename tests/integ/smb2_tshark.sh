#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The engine's wire format as Wireshark sees it: capture READ, WRITE and mixed copies (with
# --verify on both ends) and require every SMB2 message to decode with the Length and Offset the
# client asked for, CREATE and CLOSE around them with the FileId the I/O used, interim
# STATUS_PENDING responses (the server defers with --pending-after 1) matched by async final
# responses, and no malformed packet.
#
# Runs in a private network namespace on port 445: Wireshark's NBSS dissector only reads the
# Direct TCP 24-bit length on port 445 (decoded "as nbss" elsewhere, it takes a 17-bit NetBIOS
# length and calls every message above 128 KiB malformed), and a namespace cannot collide with
# a real SMB server or leave anything behind. Needs root and tshark; skips without tshark.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"

if ! command -v tshark >/dev/null; then
	echo "SKIP: tshark is not installed (apt-get install tshark)"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || fail "needs root (a network namespace and a capture on lo)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # dumpcap may drop privileges before writing the capture

# Everything that listens or captures lives in the namespace and dies with the inner shell.
capture() {
	rm -f "$tmp/cap.pcapng" "$tmp/load.json"
	timeout 120 unshare --net bash -s "$bin" "$tmp" <<'EOF'
set -euo pipefail
bin=$1
tmp=$2
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait' EXIT
ip link set lo up
# Pace the private loopback: at full speed 8 MiB bursts outrun dumpcap on a busy 2-CPU machine
# and the capture (not the wire) loses segments. tbf keeps the ~25 MB here to about a second.
tc qdisc add dev lo root tbf rate 300mbit burst 256kb latency 100ms
# -B: a big capture buffer, or fast loopback copies lose segments to the capture (not the wire).
tshark -i lo -B 64 -f 'tcp port 445' -w "$tmp/cap.pcapng" -q 2>"$tmp/tshark.err" &
pids+=($!)
for _ in $(seq 50); do
	grep -q 'Capture started\|Capturing on' "$tmp/tshark.err" 2>/dev/null && break
	sleep 0.1
done
sleep 0.5
"$bin" serve --listen 127.0.0.1:445 --verify --pending-after 1 >"$tmp/serve.out" &
pids+=($!)
for _ in $(seq 50); do
	grep -q listening "$tmp/serve.out" && break
	sleep 0.1
done
load() { "$bin" load -c 127.0.0.1:445 --verify --json -t 30s "$@" >>"$tmp/load.json"; }
load -w read -n 3M -s 1M -d 2
load -w write -n 3M -s 1M -d 2
load -w mixed:50 -n 100003 -s 12345 -d 4
load -w mixed:50 -n 16M -s 8M -d 2
load -w read -n 6M -s 1M -d 2 --conns 3
sleep 1 # let the capture see the last segments
EOF
}

# Fast loopback bursts can outrun dumpcap ("previous segment not captured"): that is the
# capture's loss, not the wire's, so capture again rather than judge a partial picture.
for attempt in 1 2 3; do
	capture
	lost=$(tshark -r "$tmp/cap.pcapng" -Y 'tcp.analysis.lost_segment' 2>/dev/null | wc -l)
	[ "$lost" -eq 0 ] && break
	echo "attempt $attempt: the capture missed $lost segments; capturing again"
done
[ "$lost" -eq 0 ] || fail "the capture kept missing segments (dumpcap too slow here)"

[ "$(jq -s '[.[] | select(.status == "ok" and .verified)] | length' "$tmp/load.json")" = 5 ] ||
	fail "a verified copy failed: $(cat "$tmp/load.json")"

# The single-connection copies are TCP streams 0-3, in order; the 3-connection one follows.
tshark -r "$tmp/cap.pcapng" -Y 'smb2 && smb2.flags.response == 0 && tcp.stream < 4' \
	-T fields -E occurrence=a \
	-E aggregator=' ' -e smb2.cmd -e smb2.read_length -e smb2.write_length -e smb2.file_offset \
	2>/dev/null >"$tmp/req.txt"
# One line per request message, in send order (a frame may carry several: split them).
awk -F'\t' '{ n = split($1, c, " "); split($2, r, " "); split($3, w, " "); split($4, o, " ");
	ri = wi = 0;
	for (i = 1; i <= n; i++) {
		if (c[i] == 8) print "R", r[++ri], o[ri + wi];
		else if (c[i] == 9) print "W", w[++wi], o[ri + wi];
		else if (c[i] == 5) print "C";
		else if (c[i] == 6) print "L";
		else print "N";
	} }' "$tmp/req.txt" >"$tmp/got.txt"

# What the four copies must have sent: NEGOTIATE, CREATE, each I/O with its length and offset,
# CLOSE.
{
	echo N; echo C; for i in 0 1 2; do echo "R 1048576 $((i << 20))"; done; echo L
	echo N; echo C; for i in 0 1 2; do echo "W 1048576 $((i << 20))"; done; echo L
	echo N; echo C
	for i in $(seq 0 7); do
		if [ $((i * 50 % 100)) -lt 50 ]; then k=R; else k=W; fi
		echo "$k 12345 $((i * 12345))"
	done
	echo "R $((100003 - 8 * 12345)) $((8 * 12345))" # I/O 8: a READ, the short last one
	echo L
	echo N; echo C; echo "R 8388608 0"; echo "W 8388608 8388608"; echo L
} >"$tmp/want.txt"
diff -u "$tmp/want.txt" "$tmp/got.txt" || fail "tshark decoded other requests than were sent"

# Every request answered with STATUS_SUCCESS (interim STATUS_PENDING ones aside).
status() {
	tshark -r "$tmp/cap.pcapng" -Y "smb2 && smb2.flags.response == 1 && $1" -T fields \
		-E occurrence=a -E aggregator=' ' -e smb2.nt_status 2>/dev/null | tr ' ' '\n'
}
nrsp=$(status 'tcp.stream < 4' | grep -c '^0x00000000$' || true)
nreq=$(wc -l <"$tmp/want.txt")
[ "$nrsp" = "$nreq" ] || fail "$nrsp successful responses, want $nreq"
other=$(status 'tcp.stream >= 0' | grep -v '^0x00000000$\|^0x00000103$' || true)
[ -z "$other" ] || fail "responses with other statuses: $other"

# CREATE names as the engine documents them; the 3-connection copy opened three.
tshark -r "$tmp/cap.pcapng" -Y 'smb2.cmd == 5 && smb2.flags.response == 0' -T fields \
	-e smb2.filename 2>/dev/null | sort >"$tmp/names.txt"
printf 'iovbench-%s.bin\n' 0 0 0 0 0 1 2 | sort | diff -u - "$tmp/names.txt" ||
	fail "CREATE names differ"
# READ/WRITE/CLOSE use FileIds the CREATE responses handed out, and no other.
fids() {
	tshark -r "$tmp/cap.pcapng" -Y "$1" -T fields -E occurrence=a -E aggregator=' ' \
		-e smb2.fid 2>/dev/null | tr ' ' '\n' | grep . | sort -u
}
fids 'smb2.cmd == 5 && smb2.flags.response == 1' >"$tmp/fid_open.txt"
fids '(smb2.cmd == 8 || smb2.cmd == 9 || smb2.cmd == 6) && smb2.flags.response == 0' \
	>"$tmp/fid_used.txt"
nopen=$(wc -l <"$tmp/fid_open.txt")
[ "$nopen" = 7 ] || fail "$nopen FileIds opened, want 7"
diff -u "$tmp/fid_open.txt" "$tmp/fid_used.txt" || fail "I/O used FileIds no CREATE gave"

# Deferred READs: each interim STATUS_PENDING (async, with an AsyncId) has one async final
# response on its connection with the same AsyncId, and there were some. AsyncIds are per
# connection; only async messages carry one, so walk each frame's messages in order.
tshark -r "$tmp/cap.pcapng" -Y 'smb2.flags.response == 1 && smb2.flags.async == 1' -T fields \
	-E occurrence=a -E aggregator=' ' -e tcp.stream -e smb2.flags.async -e smb2.nt_status \
	-e smb2.aid 2>/dev/null |
	awk -F'\t' '{ n = split($2, a, " "); split($3, st, " "); split($4, id, " "); j = 0;
		for (i = 1; i <= n; i++) if (a[i] == 1 || a[i] == "True") print $1, id[++j], st[i] }' \
	>"$tmp/async.txt"
awk '$3 == "0x00000103" { print $1, $2 }' "$tmp/async.txt" | sort >"$tmp/aid_int.txt"
awk '$3 == "0x00000000" { print $1, $2 }' "$tmp/async.txt" | sort >"$tmp/aid_fin.txt"
[ -s "$tmp/aid_int.txt" ] || fail "no interim STATUS_PENDING response was seen"
[ -z "$(uniq -d "$tmp/aid_int.txt")" ] || fail "an AsyncId was used twice on a connection"
diff -u "$tmp/aid_int.txt" "$tmp/aid_fin.txt" ||
	fail "interim responses and async final responses do not pair up"

bad=$(tshark -r "$tmp/cap.pcapng" -Y '_ws.malformed || (_ws.expert.severity >= "error")' \
	2>/dev/null)
[ -z "$bad" ] || fail "malformed or erroneous packets: $bad"
echo "ok: $(wc -l <"$tmp/want.txt") SMB2 requests decoded as sent, $(wc -l <"$tmp/aid_int.txt")" \
	"deferred with STATUS_PENDING, 7 files opened and closed, none malformed"
