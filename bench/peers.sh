#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Peer benchmark: the engine against iperf3 (single stream, and -Z zero-copy) and Samba
# (smbd + smbclient) moving the same bytes server -> client, on loopback and on each emulated
# path, with system-wide CPU per byte from /proc/stat. Repetitions interleave the tools (the
# order rotates each repetition); prints medians with min-max, the ratios of the medians against
# the targets (engine >= 1.0x iperf3 throughput at <= its CPU/byte; engine >= 3x smbclient), the
# same ratios paired repetition by repetition, and each path's capacity (the best of iperf3 -P N
# and the engine) against smbclient's throughput.
# Not a test: the figures depend on the machine and on whatever else runs on it. See docs/peers.md.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/peers.sh [--bytes SIZE] [--reps N] [--streams N] [--paths LIST]
                      [--link-rate RATE] [--iovbench PATH] [--tsv FILE] [--smoke]

Copy SIZE bytes server -> client with iperf3 -R, iperf3 -R -Z, `iovbench load --workload
read --io-size 1M --depth 8`, smbclient `get` from smbd and iperf3 -R -P N (the path's
capacity), on loopback and on the emulated pv and vf paths (server in the srv netns, client
in the path's guest netns), N times each, the tools in a rotating order; print median
throughput and CPU per byte and the engine's ratios to iperf3 and smbclient.

  --bytes SIZE      bytes per transfer (512M, 2G...), default 512M
  --reps N          repetitions (medians are printed), default 5
  --streams N       parallel streams of the capacity run (iperf3 -P N), default 4;
                    0 leaves it out
  --paths LIST      any of loopback,pv,vf; default loopback,pv,vf
  --link-rate RATE  shape the emulated physical link (iovbench topo up --link-rate)
  --iovbench PATH   the binary, default build/iovbench beside this script's tree
  --tsv FILE        also write every measurement, one per line
  --smoke           8M, 1 repetition, loopback only: proves the script works (make check)

Needs root (namespaces; smbd), iperf3, smbd, smbclient, jq (make deps).
Exit: 0 all measured (whether or not targets are met), 1 a tool failed, 2 usage, 3 environment.
EOF
}

die() { # exit code, message
	echo "peers: $2" >&2
	exit "$1"
}

IOVB=$(dirname "$0")/../build/iovbench
BYTES_ARG=512M
REPS=5
STREAMS=4
PATHS=loopback,pv,vf
LINK_RATE=
TSV=
while [ $# -gt 0 ]; do
	case $1 in
	--bytes) BYTES_ARG=${2:?}; shift ;;
	--bytes=*) BYTES_ARG=${1#*=} ;;
	--reps) REPS=${2:?}; shift ;;
	--reps=*) REPS=${1#*=} ;;
	--streams) STREAMS=${2:?}; shift ;;
	--streams=*) STREAMS=${1#*=} ;;
	--paths) PATHS=${2:?}; shift ;;
	--paths=*) PATHS=${1#*=} ;;
	--link-rate) LINK_RATE=${2:?}; shift ;;
	--link-rate=*) LINK_RATE=${1#*=} ;;
	--iovbench) IOVB=${2:?}; shift ;;
	--iovbench=*) IOVB=${1#*=} ;;
	--tsv) TSV=${2:?}; shift ;;
	--tsv=*) TSV=${1#*=} ;;
	--smoke) BYTES_ARG=8M REPS=1 PATHS=loopback ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

BYTES=$(numfmt --from=iec "$BYTES_ARG" 2>/dev/null) || die 2 "--bytes: '$BYTES_ARG' is not a size"
[ "$BYTES" -ge 65536 ] 2>/dev/null || die 2 "--bytes: at least 64K"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die 2 "--reps: '$REPS' is not a positive count"
if ! [[ $STREAMS =~ ^[0-9]+$ ]] || [ "$STREAMS" -gt 128 ]; then
	die 2 "--streams: '$STREAMS' is not a count of 0..128"
fi
TOOLS=(iperf3 iperf3-Z engine smbclient)
[ "$STREAMS" -gt 0 ] && TOOLS+=("iperf3-P$STREAMS")
want_topo=0
IFS=, read -r -a path_list <<<"$PATHS"
for p in "${path_list[@]}"; do
	case $p in
	loopback) ;;
	pv | vf) want_topo=1 ;;
	*) die 2 "--paths: '$p' is not loopback, pv or vf" ;;
	esac
done

[ -z "$TSV" ] || TSV=$(realpath -m "$TSV")
[ "$(id -u)" -eq 0 ] || die 3 "needs root (network namespaces, smbd)"
for t in iperf3 smbd smbclient jq ss numfmt; do
	command -v "$t" >/dev/null || die 3 "$t not found: run 'make deps'"
done
[ -x "$IOVB" ] || die 3 "no $IOVB: run 'make' first"
IOVB=$(realpath "$IOVB")
HZ=$(getconf CLK_TCK)

# The shared file lives in RAM, as the engine's synthetic file does.
TMP=$(mktemp -d -p "${PEERS_TMP:-/dev/shm}" iovb-peers.XXXXXX)
RUN_ID=
RELAY_PID=
PIDS=()
# Every process of a transfer (servers, clients, the pv path's backend relay) runs in one cgroup
# v1 cpuacct group, whose usage is the transfer's own CPU, whatever else the machine runs.
CGROOT=/sys/fs/cgroup/cpuacct
CG=
if [ -w "$CGROOT/cgroup.procs" ] && [ -r "$CGROOT/cpuacct.usage" ]; then
	CG=$CGROOT/${TMP##*/}
	mkdir "$CG" || CG=
fi
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	# The relay belongs to the topology: give it back before the topology goes.
	if [ -n "$RELAY_PID" ] && [ -n "$CG" ]; then
		echo "$RELAY_PID" >"$CGROOT/cgroup.procs" 2>/dev/null || true
	fi
	if [ -n "$RUN_ID" ]; then
		"$IOVB" topo down "$RUN_ID" >/dev/null || echo "peers: topo down $RUN_ID failed" >&2
	fi
	if [ -n "$CG" ]; then
		for _ in $(seq 1 50); do
			rmdir "$CG" 2>/dev/null && break
			sleep 0.1
		done
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "peers: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
trap 'exit 130' INT TERM

# NSCMD: a command to run in a netns ('' = this one), inside our cgroup when there is one. Each
# wrapper execs the next, so a background "${NSCMD[@]}" & leaves $! the server's own pid (a
# backgrounded function would be a subshell, and killing it would leave the server running).
# Servers run in their own directory under $TMP, so a leftover one is easy to find (its cwd).
nscmd() { # netns, command...
	local ns=$1
	shift
	NSCMD=("$@")
	[ -n "$ns" ] && NSCMD=(ip netns exec "$ns" "${NSCMD[@]}")
	# shellcheck disable=SC2016 # $$ and $0 belong to the inner shell
	[ -n "$CG" ] && NSCMD=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "${NSCMD[@]}")
	return 0
}

nsx() { # netns, command...: run it in the foreground
	nscmd "$@"
	"${NSCMD[@]}"
}

cg_usage() { # ns of CPU the cgroup's tasks have used so far, or '' without one
	if [ -n "$CG" ]; then cat "$CG/cpuacct.usage"; fi
}

# A free TCP port on loopback (others run tests there too); the netns ones are ours alone.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		[ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
	done
	die 3 "no free port on loopback"
}

wait_listen() { # netns, port, pid
	for _ in $(seq 1 100); do
		[ -n "$(nsx "$1" ss -Hltn "sport = :$2")" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

cpu_busy() { # non-idle jiffies of all CPUs: user nice system irq softirq steal
	awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}

# smbd for one netns: its own dirs, a guest share holding the file. Sets SMB_PORT.
start_smbd() { # netns, address, dir
	local ns=$1 addr=$2 d=$3
	mkdir -p "$d"/{private,lock,state,cache,pid,ncalrpc,log,client}
	SMB_PORT=$(if [ -z "$ns" ]; then free_port; else echo 445; fi)
	cat >"$d/smb.conf" <<EOF
[global]
	server role = standalone server
	smb ports = $SMB_PORT
	interfaces = $addr
	bind interfaces only = yes
	disable netbios = yes
	private dir = $d/private
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/pid
	ncalrpc dir = $d/ncalrpc
	passdb backend = tdbsam:$d/private/passdb.tdb
	log file = $d/log/smbd.log
	log level = 1
	map to guest = Bad User
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	server min protocol = SMB2_10
[share]
	path = $TMP/share
	guest ok = yes
	read only = yes
EOF
	cat >"$d/client.conf" <<EOF
[global]
	lock directory = $d/client
	state directory = $d/client
	cache directory = $d/client
	private dir = $d/client
	client min protocol = SMB2_10
EOF
	# Not --no-process-group: its SIGTERM handler would signal our process group.
	nscmd "$ns" smbd --foreground -s "$d/smb.conf"
	(cd "$d" && exec "${NSCMD[@]}") </dev/null >"$d/log/stdout" 2>&1 &
	PIDS+=($!)
	wait_listen "$ns" "$SMB_PORT" $! || die 3 "smbd did not start: $(tail -3 "$d/log/smbd.log" 2>/dev/null)"
}

# The three servers of one netns. Sets ENG_PORT, IPF_PORT, SMB_PORT.
start_servers() { # netns, address, tag
	local ns=$1 addr=$2 d=$TMP/$3 pid
	mkdir -p "$d"
	IPF_PORT=$(if [ -z "$ns" ]; then free_port; else echo 5201; fi)
	nscmd "$ns" iperf3 -s -B "$addr" -p "$IPF_PORT"
	(cd "$d" && exec "${NSCMD[@]}") </dev/null >"$d/iperf3.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_listen "$ns" "$IPF_PORT" "$pid" || die 3 "iperf3 -s did not start: $(tail -3 "$d/iperf3.log")"
	nscmd "$ns" "$IOVB" serve --listen "$addr:0"
	(cd "$d" && exec "${NSCMD[@]}") </dev/null >"$d/serve.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 100); do
		ENG_PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$d/serve.log")
		[ -n "$ENG_PORT" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$ENG_PORT" ] || die 3 "iovbench serve did not start: $(tail -3 "$d/serve.log")"
	start_smbd "$ns" "$addr" "$d/smb"
}

FAILED=0
SEQ=0
REP=0
row() { # path, tool, bytes, bps, cpu_ns, wall_ns, proc_ns ('' = not measured); then $REP
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "$REP" >>"$TMP/rows.tsv"
}

# One transfer: run the client, take /proc/stat and the clock around it, parse its figure.
measure() { # path, tool, netns, address, smb dir
	local path=$1 tool=$2 ns=$3 addr=$4 sd=$5 out b0 b1 t0 t1 c0 c1 got bps rc=0 opt=()
	SEQ=$((SEQ + 1))
	out=$TMP/out.$SEQ
	local tmo=$((60 + BYTES / 10000000)) # >= 10 MB/s, or it is broken
	case $tool in
	iperf3-Z) opt=(-Z) ;;
	iperf3-P*) opt=(-P "${tool#iperf3-P}") ;; # -n counts the bytes of all streams together
	esac
	c0=$(cg_usage)
	b0=$(cpu_busy)
	t0=$(date +%s%N)
	case $tool in
	iperf3*)
		nsx "$ns" timeout "$tmo" iperf3 -c "$addr" -p "$IPF_PORT" -R -n "$BYTES" -J "${opt[@]}" \
			>"$out" 2>&1 || rc=$?
		;;
	engine)
		nsx "$ns" timeout "$tmo" "$IOVB" load --connect "$addr:$ENG_PORT" --bytes "$BYTES" \
			--workload read --io-size 1M --depth 8 --json >"$out" 2>&1 || rc=$?
		;;
	smbclient)
		nsx "$ns" timeout "$tmo" smbclient "//$addr/share" -p "$SMB_PORT" -N -m SMB3 \
			-s "$sd/client.conf" -c 'get file /dev/null' >"$out" 2>&1 || rc=$?
		;;
	esac
	t1=$(date +%s%N)
	b1=$(cpu_busy)
	c1=$(cg_usage)
	got=
	bps=
	if [ $rc -eq 0 ]; then
		case $tool in
		iperf3*)
			# The sender's count: -n is rounded up to whole 128 KiB writes (one more
			# block now and then), and it is what crossed the path.
			got=$(jq -r 'if .error then empty else .end.sum_sent.bytes end' "$out" 2>/dev/null)
			bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$out" 2>/dev/null)
			;;
		engine)
			if [ "$(jq -r .status "$out" 2>/dev/null)" = ok ]; then
				got=$(jq -r .bytes "$out")
				bps=$(jq -r .throughput_bps "$out")
			fi
			;;
		smbclient)
			# "getting file \file of size N as /dev/null (X KiloBytes/sec) (average ...)"
			got=$(sed -n 's/.* of size \([0-9]*\) as .*/\1/p' "$out")
			bps=$(sed -n 's/.* (\([0-9.]*\) KiloBytes\/sec).*/\1/p' "$out" | head -1)
			[ -n "$bps" ] && bps=$(awk -v k="$bps" 'BEGIN { printf "%.0f", k * 1024 * 8 }')
			;;
		esac
	fi
	if [ -z "$got" ] || [ -z "$bps" ] || [ "$got" -lt "$BYTES" ]; then
		echo "peers: $path $tool failed (exit $rc, ${got:-no} bytes, ${bps:-no} bit/s):" \
			"$(jq -r '.error // empty' "$out" 2>/dev/null || tail -3 "$out" | tr '\n' ' ')" >&2
		FAILED=1
		return 0
	fi
	row "$path" "$tool" "$got" "$bps" $(((b1 - b0) * 1000000000 / HZ)) $((t1 - t0)) \
		"${c1:+$((c1 - c0))}"
}

# Others' work on the machine over one second: every cpu/B figure includes it.
background() { # path
	local b0 b1 t0 t1
	b0=$(cpu_busy)
	t0=$(date +%s%N)
	sleep 1
	t1=$(date +%s%N)
	b1=$(cpu_busy)
	row "$1" background 0 0 $(((b1 - b0) * 1000000000 / HZ)) $((t1 - t0)) ""
}

mkdir -p "$TMP/share"
head -c "$BYTES" /dev/zero >"$TMP/share/file"
chmod -R a+rX "$TMP"
: >"$TMP/rows.tsv"

declare -A NS
if [ $want_topo -eq 1 ]; then
	topo_args=(--paths "$(printf '%s\n' "${path_list[@]}" | grep -E '^(pv|vf)$' | paste -sd,)")
	[ -n "$LINK_RATE" ] && topo_args+=(--link-rate "$LINK_RATE")
	"$IOVB" topo up "${topo_args[@]}" >"$TMP/topo.out" 2>&1 &
	topo_pid=$!
	# The run id comes first: take it at once, so the trap can remove a half-made topology.
	while kill -0 $topo_pid 2>/dev/null && [ -z "$RUN_ID" ]; do
		RUN_ID=$(sed -n 's/^run \([0-9a-f]*\)$/\1/p' "$TMP/topo.out")
		sleep 0.05
	done
	rc=0
	wait $topo_pid || rc=$?
	[ -n "$RUN_ID" ] || RUN_ID=$(sed -n 's/^run \([0-9a-f]*\)$/\1/p' "$TMP/topo.out")
	[ $rc -eq 0 ] || die 3 "topo up failed: $(tail -3 "$TMP/topo.out")"
	# "server 10.77.0.1 in iovb-ID-srv", then one line per guest: "pv guest iovb-ID-g1
	# (guest-1, 10.77.0.11), backend relay pid N on host/vnet0", "vf guest iovb-ID-g2 (...)".
	srvline=$(grep '^server ' "$TMP/topo.out")
	srv_addr=$(awk '{print $2}' <<<"$srvline")
	srv_ns=$(awk '{print $4}' <<<"$srvline" | tr -d ';')
	for p in pv vf; do
		NS[$p]=$(grep -o "^$p guest [^ ]*" "$TMP/topo.out" | head -1 | awk '{print $3}' || true)
	done
	RELAY_PID=$(sed -n 's/.*backend relay pid \([0-9]*\) .*/\1/p' "$TMP/topo.out" | head -1)
	if [ -n "$RELAY_PID" ] && [ -n "$CG" ] && [ "$(cat "/proc/$RELAY_PID/comm" 2>/dev/null)" = iovb-relay ]; then
		echo "$RELAY_PID" >"$CG/cgroup.procs" || RELAY_PID=
	fi
fi

link="unshaped"
[ -n "$LINK_RATE" ] && link="shaped to $LINK_RATE"
printf 'peers: %s bytes server -> client, %s repetition(s), paths %s (emulated link %s)\n' \
	"$BYTES" "$REPS" "$PATHS" "$link"
printf 'peers: kernel %s, %s CPUs; cpu/B = non-idle ns of all CPUs (/proc/stat) per payload byte\n' \
	"$(uname -r)" "$(nproc)"

started_topo_servers=0
for p in "${path_list[@]}"; do
	if [ "$p" = loopback ]; then
		start_servers "" 127.0.0.1 lo
		lo_eng=$ENG_PORT lo_ipf=$IPF_PORT lo_smb=$SMB_PORT
	elif [ $started_topo_servers -eq 0 ]; then
		start_servers "$srv_ns" "$srv_addr" srv
		srv_eng=$ENG_PORT srv_ipf=$IPF_PORT srv_smb=$SMB_PORT
		started_topo_servers=1
	fi
done

for rep in $(seq 1 "$REPS"); do
	REP=$rep
	for p in "${path_list[@]}"; do
		if [ "$p" = loopback ]; then
			ns='' addr=127.0.0.1 sd=$TMP/lo/smb
			ENG_PORT=$lo_eng IPF_PORT=$lo_ipf SMB_PORT=$lo_smb
		else
			ns=${NS[$p]} addr=$srv_addr sd=$TMP/srv/smb
			ENG_PORT=$srv_eng IPF_PORT=$srv_ipf SMB_PORT=$srv_smb
		fi
		[ -n "$ns" ] || [ "$p" = loopback ] || die 3 "topo up gave no $p guest"
		echo "peers: rep $rep/$REPS $p" >&2
		background "$p"
		# The order rotates: over as many repetitions as tools, each tool runs once in
		# every position, so none always follows the same one (a server still busy
		# freeing memory, the cache another tool warmed).
		nt=${#TOOLS[@]}
		for i in $(seq 0 $((nt - 1))); do
			measure "$p" "${TOOLS[$(((i + rep - 1) % nt))]}" "$ns" "$addr" "$sd"
		done
	done
done

[ -n "$TSV" ] && { printf 'path\ttool\tbytes\tbps\tcpu_ns\twall_ns\tproc_ns\trep\n'; cat "$TMP/rows.tsv"; } >"$TSV"

# Medians per path and tool, then the ratios and the targets.
awk -F'\t' -v paths="$PATHS" -v tools="${TOOLS[*]}" -v reps="$REPS" \
	-v relay="${RELAY_PID:+ and the pv relay}" '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n == 0)
		return ""
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function range(list, scale, fmt,   a, n, i, lo, hi) {
	n = split(list, a, " ")
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) {
		if (a[i] + 0 < lo)
			lo = a[i] + 0
		if (a[i] + 0 > hi)
			hi = a[i] + 0
	}
	return sprintf(fmt "-" fmt, lo / scale, hi / scale)
}
function verdict(ok) {
	return ok ? "met" : "not met"
}
# The ratio a/b repetition by repetition (the two ran minutes apart at most): "median (min-max),
# n of N >= goal", or "" when no repetition has both.
function paired(p, a, b, goal,   r, list, k, n, ok) {
	list = ""
	n = ok = 0
	for (r = 1; r <= reps; r++) {
		k = p SUBSEP r
		if (!((k SUBSEP a) in rb) || !((k SUBSEP b) in rb) || rb[k, b] <= 0)
			continue
		list = list " " rb[k, a] / rb[k, b]
		n++
		ok += rb[k, a] / rb[k, b] >= goal
	}
	if (!n)
		return ""
	return sprintf("paired %5.2fx (%s, %d/%d >= %.1fx)", median(list), range(list, 1, "%.2f"),
		       ok, n, goal)
}
{
	k = $1 SUBSEP $2
	n[k]++
	if ($2 == "background") {
		bg[k] = bg[k] " " $5 / ($6 / 1e9)
		next
	}
	rb[$1, $8, $2] = $4
	bps[k] = bps[k] " " $4
	cpb[k] = cpb[k] " " $5 / $3
	if ($7 != "")
		ppb[k] = ppb[k] " " $7 / $3
	wall[k] = wall[k] " " $6 / 1e9
}
END {
	np = split(paths, P, ",")
	nt = split(tools, T, " ")
	cap = T[nt] ~ /^iperf3-P/ ? T[nt] : ""
	printf "\n%-9s %-10s %4s %8s %13s %10s %10s %7s\n", "path", "tool", "runs", "Gbit/s",
	       "(min-max)", "cpu ns/B", "proc ns/B", "wall s"
	for (i = 1; i <= np; i++) {
		p = P[i]
		for (j = 1; j <= nt; j++) {
			k = p SUBSEP T[j]
			if (!n[k]) {
				printf "%-9s %-10s %4d %8s %13s %10s %10s %7s\n", p, T[j], 0, "-", "", "-", "-",
				       "-"
				continue
			}
			m_bps[k] = median(bps[k])
			m_cpb[k] = median(cpb[k])
			m_ppb[k] = median(ppb[k])
			printf "%-9s %-10s %4d %8.2f %13s %10.3f %10s %7.2f\n", p, T[j], n[k],
			       m_bps[k] / 1e9, "(" range(bps[k], 1e9, "%.2f") ")", m_cpb[k],
			       m_ppb[k] == "" ? "-" : sprintf("%.3f", m_ppb[k]), median(wall[k])
		}
		kb = p SUBSEP "background"
		if (n[kb])
			printf "%-9s %-10s: %.2f CPUs busy in the second before each repetition (others'"'"' work)\n",
			       p, "background", median(bg[kb]) / 1e9
	}
	printf "\ncpu ns/B: non-idle CPU of the whole machine (/proc/stat) over the client'"'"'s run per byte\n"
	printf "proc ns/B: CPU of the server and client processes%s (cgroup cpuacct) per byte\n", relay
	printf "targets: engine >= 1.0x iperf3 (single stream) throughput at <= its CPU per byte;"
	printf " engine >= 3x smbclient throughput\n"
	printf "ratios: of the medians (the verdict); paired: median (min-max) of the per-repetition ratios\n"
	for (i = 1; i <= np; i++) {
		p = P[i]
		e = p SUBSEP "engine"; f = p SUBSEP "iperf3"; z = p SUBSEP "iperf3-Z"
		s = p SUBSEP "smbclient"
		if (n[e] && n[f]) {
			tr = m_bps[e] / m_bps[f]; cr = m_cpb[e] / m_cpb[f]
			line = sprintf("%-9s engine/iperf3     throughput %5.2fx  cpu/B %5.2fx", p, tr, cr)
			if (m_ppb[e] != "" && m_ppb[f] != "") {
				pr = m_ppb[e] / m_ppb[f]
				line = line sprintf("  proc/B %5.2fx  %s (by proc/B: %s)",  pr,
						    verdict(tr >= 1.0 && cr <= 1.0),
						    verdict(tr >= 1.0 && pr <= 1.0))
			} else {
				line = line sprintf("  %s", verdict(tr >= 1.0 && cr <= 1.0))
			}
			print line
			pl = paired(p, "engine", "iperf3", 1.0)
			if (pl != "")
				printf "%-9s engine/iperf3     throughput %s\n", p, pl
		} else {
			printf "%-9s engine/iperf3     no figure (a tool failed)\n", p
		}
		if (n[e] && n[z]) {
			line = sprintf("%-9s engine/iperf3-Z   throughput %5.2fx  cpu/B %5.2fx", p,
				       m_bps[e] / m_bps[z], m_cpb[e] / m_cpb[z])
			if (m_ppb[e] != "" && m_ppb[z] != "")
				line = line sprintf("  proc/B %5.2fx", m_ppb[e] / m_ppb[z])
			print line "  (reference)"
		}
		if (n[e] && n[s]) {
			tr = m_bps[e] / m_bps[s]
			line = sprintf("%-9s engine/smbclient  throughput %5.2fx  cpu/B %5.2fx", p, tr,
				       m_cpb[e] / m_cpb[s])
			if (m_ppb[e] != "" && m_ppb[s] != "")
				line = line sprintf("  proc/B %5.2fx", m_ppb[e] / m_ppb[s])
			print line "  " verdict(tr >= 3.0)
			pl = paired(p, "engine", "smbclient", 3.0)
			if (pl != "")
				printf "%-9s engine/smbclient  throughput %s\n", p, pl
		} else {
			printf "%-9s engine/smbclient  no figure (a tool failed)\n", p
		}
		# The path carries at most what the best client got; smbclient already took a
		# share of that, and no client can beat it by more than capacity / smbclient.
		c = p SUBSEP cap
		if (cap != "" && n[c] && n[s] && m_bps[s] > 0) {
			best = m_bps[c]; by = cap
			if (n[e] && m_bps[e] > best) {
				best = m_bps[e]; by = "engine"
			}
			if (n[f] && m_bps[f] > best) {
				best = m_bps[f]; by = "iperf3"
			}
			printf "%-9s capacity          %5.2f Gbit/s (%s median); smbclient has %3.0f%% of it:" \
			       " at most %4.2fx smbclient here\n", p, best / 1e9, by,
			       100 * m_bps[s] / best, best / m_bps[s]
		}
	}
}' "$TMP/rows.tsv"

exit $FAILED
