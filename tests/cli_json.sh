#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The --json half of the command-line contract (docs/cli.md), no root needed: for every command
# with --json, a case that succeeds and one that fails. Standard output must be exactly one JSON
# document (jq parses it, nothing before or after) or, for a usage or environment error, empty;
# the exit status must be the documented one; a usage error is one line on stderr.
#
# One line per case in the table below: a new command with --json is one line (or two). A
# command whose help mentions --json but has no success and no error case here fails the test.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
root=$(realpath "$(dirname "$0")/..")
tmp=$(mktemp -d)
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
command -v jq >/dev/null || { echo "FAIL: jq is missing (make deps)"; exit 1; }

rec=$root/tests/fixtures/records/small.json.gz
fix=$root/tests/fixtures
pcap=$root/tests/fuzz/corpus/pcap/engine-mixed-64k.pcap
# sriov enable writes sriov_numvfs: a copy of the fixture tree
cp -a "$fix/sysfs/host" "$tmp/sysfs"

# A file server on a loopback port the kernel picks, for load's cases.
"$bin" serve --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 1 100); do
	grep -q 'listening on' "$tmp/serve.out" 2>/dev/null && break
	sleep 0.05
done
srv=$(sed -n 's/^iovbench serve: listening on //p' "$tmp/serve.out")
[ -n "$srv" ] || { cat "$tmp/serve.err"; echo "FAIL: serve did not start"; exit 1; }

# STATUS | STDOUT (json: one document; empty) | arguments (@REC, @FIX, @TMP, @SRV, @PCAP
# expanded). @TMP/nodir does not exist: writing under it is an environment error (3).
cases=(
	"0 | json  | report --json @REC"
	"2 | empty | report --json @TMP/missing.json.gz"
	"2 | empty | report --json --bogus @REC"
	"0 | json  | report --json -o @TMP/pages @REC @REC"
	"2 | empty | report --json -o @TMP/pages @REC @TMP/missing.json.gz"
	"0 | json  | report --json -v @REC"
	"3 | empty | report --json -o @TMP/nodir/pages @REC"
	"0 | json  | compare --json @REC @REC"
	"2 | empty | compare --json @REC @TMP/missing.json.gz"
	"2 | empty | compare --json --threshold 5 @REC @REC"
	"0 | json  | compare --json -v @REC @REC"
	"0 | json  | history --json @REC @REC"
	"2 | empty | history --json --window 1 @REC"
	"0 | json  | history --export gab-bigger @REC"
	"0 | json  | history --export gab-smaller @REC"
	"2 | empty | history --export gab-bigger @TMP/missing.json.gz"
	"3 | empty | history --export gab-bigger -o @TMP/nodir/gab.json @REC"
	"3 | empty | history --json -o @TMP/nodir/graph.svg @REC @REC"
	"0 | json  | plan --json --target-gbps 1 --host-cores 8 @REC"
	"0 | json  | plan --json -v --target-gbps 1 --host-cores 8 @REC"
	"2 | empty | plan --json --target-gbps 1 @REC"
	"2 | empty | plan --json --target-gbps 1 --host-cores 8 @TMP/missing.json.gz"
	"3 | empty | plan --json --target-gbps 1 --host-cores 8 -o @TMP/nodir/plan @REC"
	"0 | json  | collect --json -c procfs -d 1s -o @TMP/c1.json.gz"
	"0 | json  | collect --json -v -c procfs -o @TMP/c2.json.gz -- echo not-on-stdout"
	"2 | empty | collect --json --bogus"
	"2 | empty | collect --json -c procfs -d 0s"
	"3 | empty | collect --json -c procfs -d 1s -o @TMP/nodir/c.json.gz"
	"0 | json  | profile --json @PCAP"
	"0 | json  | profile --json -v -o @TMP/p.json @PCAP"
	"2 | empty | profile --json @TMP/missing.pcap"
	"3 | empty | profile --json -o @TMP/nodir/p.json @PCAP"
	"0 | json  | topo show --json"
	"0 | json  | topo --json -v show"
	"2 | empty | topo show --json --bogus"
	"2 | empty | topo up --json --paths xx"
	"2 | empty | topo down --json --run-id ../x"
	"0 | json  | sriov list --json --sysfs-root @FIX/sysfs/host"
	"0 | json  | sriov list --json --sysfs-root @FIX/sysfs/broken"
	"2 | empty | sriov list --json --sysfs-root @TMP"
	"0 | json  | sriov enable --json --sysfs-root @TMP/sysfs enp1s0f0 2"
	"2 | empty | sriov enable --json --sysfs-root @TMP/sysfs nosuch 2"
	"0 | json  | load --json --connect @SRV --bytes 4M --io-size 256K"
	"1 | json  | load --json --connect 127.0.0.1:1 --bytes 1M"
	"2 | empty | load --json --bytes 1M"
	"2 | empty | run --json --bogus"
	"2 | empty | run --json --guests 1+x"
	"2 | empty | run --json --workload sideways"
	"2 | empty | run --json --series-interval 1ms"
)
# A real (short) run needs root: namespaces and BPF.
if [ "$(id -u)" -eq 0 ]; then
	cases+=("0 | json  | run --json --guests 1+0 --paths vf --bytes 16M --reps 1 --warmup 0 -o @TMP/r.json.gz"
		"0 | json  | run --json --guests 1+0 --paths vf --workload write --bytes 16M --reps 1 --warmup 0 -o @TMP/w.json.gz"
		"3 | json  | run --json --guests 1+0 --paths vf --bytes 16M --reps 1 --warmup 0 -o @TMP/nodir/r.json.gz")
fi

for c in "${cases[@]}"; do
	IFS='|' read -r want out args <<<"$c"
	want=${want// /}
	out=${out// /}
	args=${args//@REC/$rec}
	args=${args//@FIX/$fix}
	args=${args//@TMP/$tmp}
	args=${args//@SRV/$srv}
	args=${args//@PCAP/$pcap}
	read -ra argv <<<"$args"
	rc=0
	"$bin" "${argv[@]}" >"$tmp/out" 2>"$tmp/err" || rc=$?
	what="iovbench${args}"
	[ "$rc" -eq "$want" ] || bad "$what: exit $rc, want $want: $(head -c 300 "$tmp/err")"
	if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/err"; then
		bad "$what: sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$tmp/err")"
	fi
	if [ "$out" = json ]; then
		n=$(jq -s 'length' <"$tmp/out" 2>/dev/null) || n=unparsable
		[ "$n" = 1 ] ||
			bad "$what: stdout is not one JSON document ($n): $(head -c 200 "$tmp/out")"
		[ "$(tail -c 1 "$tmp/out" | od -An -c | tr -d ' ')" = '\n' ] ||
			bad "$what: the document does not end with a newline"
	else
		[ -s "$tmp/out" ] && bad "$what: stdout is not empty: $(head -c 200 "$tmp/out")"
	fi
	if [ "$want" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		bad "$what: a usage error is not one line on stderr: $(head -c 300 "$tmp/err")"
	fi
done

# Every command whose help offers --json has a success and an error case above.
while read -r cmd; do
	"$bin" "$cmd" --help 2>/dev/null | grep -q -- '--json' || continue
	ok=0 err=0
	for c in "${cases[@]}"; do
		IFS='|' read -r want _ args <<<"$c"
		read -ra argv <<<"$args"
		[ "${argv[0]}" = "$cmd" ] || continue
		if [ "${want// /}" -eq 0 ]; then ok=1; else err=1; fi
	done
	[ $ok = 1 ] && [ $err = 1 ] && continue
	bad "'iovbench $cmd' has --json but no success and error case in tests/cli_json.sh"
done < <("$bin" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')

if [ $fails -eq 0 ]; then
	echo "cli_json: all checks passed (${#cases[@]} cases)"
fi
[ $fails -eq 0 ]
