#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The profiler against a real SMB stack: Samba's smbclient copies a file from and to smbd (SMB3,
# guest share) at several I/O sizes (smbd's "smb2 max read/write"), captured whole on a private
# loopback. `iovbench profile` must report exactly: READ/WRITE count and bytes as tshark decodes
# them (smb2.read_length, smb2.write_length), bytes equal to the file size smbclient reported,
# the dominant I/O size, requests in flight as a sweep over tshark's decode finds them; and the
# same capture cut to a 256-byte snaplen (editcap -s 256) must profile the same, saying it
# recovered the headers the snaplen cut.
#
# smbd runs in a network namespace of its own (iovbprof-PID) with its own config, state and
# passdb in a temp dir; the namespace and smbd's process group are removed on exit.
# Needs root, smbd, smbclient, dumpcap, editcap and tshark; skips without them. KEEP=DIR keeps
# the captures.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
. "$(dirname "$0")/lib.bash"

for t in smbd smbclient dumpcap editcap tshark; do
	if ! command -v "$t" >/dev/null; then
		echo "SKIP: $t is not installed (apt-get install samba smbclient tshark)"
		exit 0
	fi
done
[ "$(id -u)" -eq 0 ] || fail "needs root (a network namespace, smbd, a capture)"

ns=iovbprof-$$
tmp=$(mktemp -d)
smbd_pid=
serve_pid=
cleanup() {
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null || true
	if [ -n "$smbd_pid" ]; then
		kill -TERM -- "-$smbd_pid" 2>/dev/null || kill -TERM "$smbd_pid" 2>/dev/null || true
		wait "$smbd_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT; [ -n "${KEEP:-}" ] && trap "cp \"\$tmp\"/*.pcapng \"\$KEEP\"/ 2>/dev/null; cleanup" EXIT
chmod 755 "$tmp" # dumpcap may drop privileges before writing the capture
ip netns add "$ns"
ip -n "$ns" link set lo up

size=12345678 # not a multiple of any I/O size: the last READ and WRITE are short
mkdir -p "$tmp/share" && chmod 777 "$tmp/share"
head -c "$size" /dev/urandom >"$tmp/share/file.bin"
cp "$tmp/share/file.bin" "$tmp/upload.bin"

start_smbd() { # IOSIZE
	local d=$tmp/smbd-$1
	mkdir -p "$d"/{private,lock,state,cache,pid,ncalrpc}
	cat >"$d/smb.conf" <<EOF
[global]
	server role = standalone server
	map to guest = Bad User
	private dir = $d/private
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/pid
	ncalrpc dir = $d/ncalrpc
	passdb backend = tdbsam:$d/passdb.tdb
	log file = $d/log.smbd
	interfaces = lo
	bind interfaces only = yes
	smb ports = 445
	disable netbios = yes
	load printers = no
	printcap name = /dev/null
	disable spoolss = yes
	smb2 max read = $1
	smb2 max write = $1
[share]
	path = $tmp/share
	guest ok = yes
	read only = no
	force user = root
EOF
	ip netns exec "$ns" smbd --foreground -s "$d/smb.conf" >"$d/smbd.out" 2>&1 &
	smbd_pid=$!
	for _ in $(seq 100); do
		ip netns exec "$ns" ss -ltn | grep -q '127.0.0.1:445 ' && return 0
		sleep 0.1
	done
	fail "smbd did not listen: $(cat "$d/smbd.out" "$d/log.smbd" 2>/dev/null | tail -5)"
}

stop_smbd() {
	kill -TERM -- "-$smbd_pid" 2>/dev/null || kill -TERM "$smbd_pid"
	wait "$smbd_pid" 2>/dev/null || true
	smbd_pid=
}

# Requests in flight per command, from tshark's decode: each PDU dated by the frame that holds
# its first byte (Direct TCP lengths laid end to end over each direction's stream, as tshark
# lists them in stream order), +1 at a request, -1 at its final response (not an interim
# STATUS_PENDING), completions first within a frame (as the profile sweeps).
tshark_inflight() { # CAPTURE CMD
	tshark -r "$1" -Y 'tcp.len > 0' -T fields -E occurrence=a -E aggregator=' ' \
		-e frame.number -e tcp.srcport -e tcp.seq -e tcp.len -e nbss.length -e smb2.cmd \
		-e smb2.flags.response -e smb2.nt_status -e smb2.chain_offset 2>/dev/null |
		awk -F'\t' -v want="$2" '
		{
			d = $2 == 445; nf[d]++; fs[d, nf[d]] = $3 - 1; fl[d, nf[d]] = $4
			fn[d, nf[d]] = $1
			np = split($5, nb, " "); nm = split($6, c, " "); split($7, r, " ")
			split($8, s, " "); split($9, nx, " ")
			m = 1
			for (i = 1; i <= np; i++) {
				pdu[d]++; off[d, pdu[d]] = end[d]; end[d] += 4 + nb[i]
				# This PDU'"'"'s messages: up to one whose NextCommand is 0.
				for (; m <= nm; m++) {
					if (c[m] == want) {
						is = r[m] == "True" || r[m] == 1
						if (!is || s[m] != "0x00000103") {
							ne++; eo[ne] = off[d, pdu[d]]; ed[ne] = d
							ev[ne] = is ? -1 : 1
						}
					}
					if (nx[m] == "" || nx[m] ~ /^(0x)?0+$/) { m++; break }
				}
			}
		}
		END {
			for (k = 1; k <= ne; k++) {
				d = ed[k]; o = eo[k]; lo = 1; hi = nf[d]
				while (lo < hi) { # the last frame whose seq <= o
					mid = int((lo + hi + 1) / 2)
					if (fs[d, mid] <= o) lo = mid; else hi = mid - 1
				}
				print fn[d, lo], ev[k]
			}
		}' | sort -n -k1,1 -k2,2n | awk '{ cur += $2; if (cur > max) max = cur }
			END { print max + 0 }'
}

# Did tshark decode every PDU? Its Direct TCP lengths must add up to each direction's stream
# (tshark_inflight lays them end to end); "TO_SERVER TO_CLIENT" missing bytes.
tshark_missing() { # CAPTURE
	tshark -r "$1" -Y 'tcp.len > 0' -T fields -E occurrence=a -E aggregator=' ' \
		-e tcp.srcport -e tcp.seq -e tcp.len -e nbss.length 2>/dev/null |
		awk -F'\t' '{ d = $1 == 445; n = split($4, nb, " ")
			for (i = 1; i <= n; i++) tot[d] += 4 + nb[i]
			if ($2 - 1 + $3 > end[d]) end[d] = $2 - 1 + $3 }
			END { printf "%d %d\n", end[0] - tot[0], end[1] - tot[1] }'
}

# tshark's count and sum of a length field over requests: "COUNT SUM".
tshark_sum() { # CAPTURE FIELD
	tshark -r "$1" -Y "$2" -T fields -E occurrence=a -E aggregator=' ' -e "$2" 2>/dev/null |
		tr ' ' '\n' | awk 'NF { n++; s += $1 } END { printf "%d %d\n", n, s }'
}

for io in 65536 1048576 4194304; do
	start_smbd "$io"
	cap=$tmp/smb-$io.pcapng
	for attempt in 1 2 3 4 5; do
		ip netns exec "$ns" dumpcap -i lo -s 262144 -B 64 -f 'tcp port 445' -w "$cap" \
			2>"$tmp/dumpcap.err" &
		dpid=$!
		for _ in $(seq 50); do
			grep -q 'Capturing on' "$tmp/dumpcap.err" 2>/dev/null && break
			sleep 0.1
		done
		sleep 0.3
		ip netns exec "$ns" smbclient //127.0.0.1/share -N -m SMB3 \
			-c "get file.bin /dev/null; put $tmp/upload.bin up.bin" >"$tmp/smbclient.out" 2>&1 ||
			fail "smbclient: $(tail -3 "$tmp/smbclient.out")"
		sleep 0.5
		kill -INT "$dpid"
		wait "$dpid" || true
		dropped=$(sed -n 's/.*received\/dropped on interface.*: [0-9]*\/\([0-9]*\) .*/\1/p' \
			"$tmp/dumpcap.err")
		if [ "${dropped:-0}" != 0 ]; then
			echo "io $io: attempt $attempt: the capture dropped $dropped packets; capturing again"
			continue
		fi
		# tshark is the reference only when it decoded the whole copy: its reassembly of
		# MiB-sized PDUs over loopback segments has been seen to lose some (9 of 12 WRITEs,
		# a 64K READ response): every PDU, or its depth sweep is off.
		read -r rn rsum < <(tshark_sum "$cap" smb2.read_length)
		read -r wn wsum < <(tshark_sum "$cap" smb2.write_length)
		miss=$(tshark_missing "$cap")
		[ "$rsum" = "$size" ] && [ "$wsum" = "$size" ] && [ "$miss" = "0 0" ] && break
		echo "io $io: attempt $attempt: tshark decoded $rsum read and $wsum written bytes" \
			"of $size, missed $miss stream bytes (to server, to client); capturing again"
		dropped=tshark
	done
	[ "${dropped:-0}" = 0 ] || fail "io $io: no usable capture after 5 attempts ($dropped)"
	stop_smbd
	grep -q "of size $size as" "$tmp/smbclient.out" ||
		fail "smbclient did not get $size bytes: $(cat "$tmp/smbclient.out")"
	[ "$(stat -c %s "$tmp/share/up.bin")" = "$size" ] || fail "the upload is not $size bytes"

	"$bin" profile --json "$cap" >"$tmp/full.json" || fail "io $io: profile failed"
	want=$(jq -nc --argjson rn "$rn" --argjson rsum "$rsum" --argjson wn "$wn" \
		--argjson wsum "$wsum" --argjson size "$size" --argjson io "$io" \
		'{read: [$rn, $rsum, $size, $io], write: [$wn, $wsum, $size, $io]}')
	prof='.conversations as $c | if ($c | length) != 1 then "conversations: \($c | length)"
		else $c[0] | {read: [.read.count, .read.bytes, .read.bytes_done, .read.io_size],
		write: [.write.count, .write.bytes, .write.bytes_done, .write.io_size]} end'
	got=$(jq -c "$prof" "$tmp/full.json")
	[ "$got" = "$want" ] || fail "io $io: profile $got, want (tshark, file size) $want"
	echo "ok: io $io: [count, bytes, bytes done, io size] $got"
	# Requests in flight: exactly tshark's sweep.
	for k in 8:read 9:write; do
		t=$(tshark_inflight "$cap" "${k%%:*}")
		m=$(jq ".conversations[0].${k#*:}.max_in_flight" "$tmp/full.json")
		[ "$m" = "$t" ] || fail "io $io: ${k#*:} max in flight $m, tshark's sweep $t"
		echo "ok: io $io: ${k#*:} max in flight $m (tshark's sweep $t)"
	done
	jq -e '.conversations[0].inference.exact' "$tmp/full.json" >/dev/null ||
		fail "io $io: the full capture's profile says it inferred something"

	# The same traffic as a 256-byte snaplen would have kept it: smbd interleaves STATUS_PENDING
	# interim responses with READ data and smbclient batches requests, so headers fall in the
	# cut part; the framing search must recover them all: the same counts, bytes, sizes and
	# depth as the full capture (so as tshark and the file size), and say it recovered them.
	editcap -s 256 "$cap" "$tmp/cut.pcapng"
	"$bin" profile --json "$tmp/cut.pcapng" >"$tmp/cut.json" || fail "io $io: profile (cut) failed"
	for k in read write; do
		sel=".conversations[0].$k | [.count, .bytes, .bytes_done, .io_sizes, .max_in_flight,
			.unknown_size, .guessed_size, .unanswered]"
		f=$(jq -c "$sel" "$tmp/full.json")
		c=$(jq -c "$sel" "$tmp/cut.json")
		[ "$f" = "$c" ] || fail "io $io: snaplen 256 $k $c, full $f ($(jq -c \
			'.conversations[0] | {smb2_messages, inference}' "$tmp/cut.json"))"
		echo "ok: io $io: snaplen 256 profiles $k the same: $c"
	done
	jq -e '.conversations[0].inference.recovered' "$tmp/cut.json" >/dev/null || fail "io $io: snaplen 256: inference $(jq -c \
		'.conversations[0].inference' "$tmp/cut.json")"
	echo "ok: io $io: snaplen 256 recovered: $(jq -c '.conversations[0].inference' \
		"$tmp/cut.json")"
	"$bin" profile "$cap" -o "$tmp/smb-$io.profile.json" >/dev/null ||
		fail "io $io: profile -o failed"
done

# Replay: `load --profile` of smbclient's profile, its READ copy then its WRITE copy (-w read,
# -w write: each command's part of the profile, as smbclient did one after the other), against
# `iovbench serve` in the same namespace, captured (256-byte snaplen) and profiled: per command
# the bytes within 1% of smbclient's and the same I/O sizes, I/O for I/O.
for io in 65536 1048576 4194304; do
	rcap=$tmp/replay-$io.pcapng
	ip netns exec "$ns" "$bin" serve --listen 127.0.0.1:4450 >"$tmp/serve.out" 2>&1 &
	serve_pid=$!
	for _ in $(seq 100); do
		grep -q listening "$tmp/serve.out" && break
		sleep 0.1
	done
	ip netns exec "$ns" dumpcap -i lo -s 256 -B 64 -f 'tcp port 4450' -w "$rcap" \
		2>"$tmp/dumpcap.err" &
	dpid=$!
	for _ in $(seq 50); do
		grep -q 'Capturing on' "$tmp/dumpcap.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.3
	for k in read write; do
		ip netns exec "$ns" "$bin" load -c 127.0.0.1:4450 --profile "$tmp/smb-$io.profile.json" \
			-w "$k" -t 60s --json >"$tmp/replay-$k.json" ||
			fail "io $io: load --profile -w $k: $(cat "$tmp/replay-$k.json")"
	done
	sleep 0.5
	kill -INT "$dpid"
	wait "$dpid" || true
	kill "$serve_pid"
	wait "$serve_pid" 2>/dev/null || true
	"$bin" profile --json "$rcap" >"$tmp/replay.json" || fail "io $io: profile of the replay"
	for k in read write; do
		sel="[.conversations[].$k | select(.count > 0)] | if length != 1
			then \"$k in \\(length) conversations\" else .[0] end"
		orig=$(jq -c ".conversations[0].$k" "$tmp/smb-$io.profile.json")
		rep=$(jq -c "$sel" "$tmp/replay.json")
		jq -e --argjson o "$orig" --argjson r "$rep" -n '($r | type) == "object" and
			($r.bytes - $o.bytes | fabs) <= $o.bytes / 100 and $r.io_sizes == $o.io_sizes and
			$r.io_sizes_other == $o.io_sizes_other' >/dev/null ||
			fail "io $io: replayed $k $(jq -c '{bytes, io_sizes}' <<<"$rep"), smbclient's" \
				"$(jq -c '{bytes, io_sizes}' <<<"$orig")"
		echo "ok: io $io: the replay's $k: bytes $(jq .bytes <<<"$rep") (smbclient's" \
			"$(jq .bytes <<<"$orig")), io sizes $(jq -c .io_sizes <<<"$rep"), depth" \
			"$(jq .max_in_flight <<<"$rep") (smbclient's $(jq .max_in_flight <<<"$orig"))"
	done
done
