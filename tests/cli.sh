#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The command line as a user meets it, no root needed: help, version, and bad input giving one
# clear line on stderr and a non-zero status, never a crash or a half-written file.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect STATUS CMD...: the exit status, stderr exactly one line when STATUS is 2.
expect() {
	local want=$1 rc lines
	shift
	rc=0
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne "$want" ] || { [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; } ||
		grep -q -E 'AddressSanitizer|runtime error' "$tmp/err"; then
		echo "FAIL: '$*' exit $rc (want $want), stderr $lines line(s):"
		sed 's/^/  | /' "$tmp/err"
		fails=$((fails + 1))
	fi
}

expect 0 "$bin" --version
grep -q '^iovbench [0-9]' "$tmp/out" || { echo "FAIL: --version prints no version"; fails=$((fails + 1)); }
expect 0 "$bin" --help
# help CMD renders the man page (docs/cli.md), for every command that has one, as plain text
# into a pipe; CMD --help stays the short usage.
man=$(dirname "$0")/../docs/man
for page in "$man"/iovbench-*.1; do
	cmd=${page##*/iovbench-}
	cmd=${cmd%.1}
	expect 0 "$bin" help "$cmd"
	up=$(echo "iovbench-$cmd" | tr '[:lower:]' '[:upper:]')
	if ! head -1 "$tmp/out" | grep -q "^$up(1)" || ! grep -q '^NAME' "$tmp/out" ||
		grep -q $'\b' "$tmp/out" || [ -s "$tmp/err" ]; then
		echo "FAIL: 'help $cmd' is not the plain man page iovbench-$cmd(1)"
		fails=$((fails + 1))
	fi
	expect 0 "$bin" "$cmd" --help
	grep -q "^usage: iovbench $cmd" "$tmp/out" ||
		{ echo "FAIL: '$cmd --help' shows no usage"; fails=$((fails + 1)); }
done
# No page beside the binary, no man program: CMD --help, and one line on stderr saying so.
mkdir -p "$tmp/bare" "$tmp/prefix/bin" "$tmp/prefix/share/man/man1"
cp "$bin" "$tmp/bare/iovbench"
expect 0 "$tmp/bare/iovbench" help run
grep -q 'usage: iovbench run' "$tmp/out" && grep -q 'no man page' "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: help without a page"; fails=$((fails + 1)); }
expect 0 env PATH=/nonexistent "$bin" help run
grep -q 'usage: iovbench run' "$tmp/out" && grep -q 'cannot run man' "$tmp/err" ||
	{ echo "FAIL: help without man"; fails=$((fails + 1)); }
# Installed: PREFIX/bin/iovbench finds PREFIX/share/man/man1/iovbench-CMD.1.gz.
cp "$bin" "$tmp/prefix/bin/iovbench"
gzip -c "$man/iovbench-plan.1" >"$tmp/prefix/share/man/man1/iovbench-plan.1.gz"
expect 0 "$tmp/prefix/bin/iovbench" help plan
head -1 "$tmp/out" | grep -q '^IOVBENCH-PLAN(1)' || { echo "FAIL: installed help plan"; fails=$((fails + 1)); }
expect 0 "$bin" run --help
expect 0 "$bin" report --help
expect 2 "$bin"
expect 2 "$bin" nosuchcommand
expect 2 "$bin" help nosuchcommand
expect 2 "$bin" run --bogus
expect 2 "$bin" run --bytes 12Q
expect 2 "$bin" run --bytes
expect 2 "$bin" run --reps 0
expect 2 "$bin" run --depth 999
expect 2 "$bin" run --paths pv,xx
expect 2 "$bin" run --link-rate fast
expect 2 "$bin" run --overhead=0
expect 2 "$bin" run --overhead=21
expect 2 "$bin" run --overhead=x
expect 2 "$bin" run --perf-freq 5
expect 2 "$bin" run --perf-freq 1k0
expect 2 "$bin" run extra-arg
expect 2 "$bin" report
expect 2 "$bin" report --bogus x
expect 2 "$bin" report "$tmp/missing.json.gz"
head -c 3000 /dev/urandom >"$tmp/random.json.gz"
expect 2 "$bin" report "$tmp/random.json.gz"
printf '{"schema": 1, "runs": [' | gzip -c >"$tmp/trunc-json.json.gz"
expect 2 "$bin" report "$tmp/trunc-json.json.gz"
printf '{"schema": 1, "runs": []}' | gzip -c | head -c 20 >"$tmp/trunc-gz.json.gz"
expect 2 "$bin" report "$tmp/trunc-gz.json.gz"
printf '{"schema": 2, "runs": []}' | gzip -c >"$tmp/schema2.json.gz"
expect 2 "$bin" report "$tmp/schema2.json.gz"
grep -q 'schema 2' "$tmp/err" || { echo "FAIL: schema mismatch not named"; fails=$((fails + 1)); }
printf '[1, 2]' >"$tmp/notrec.json"
expect 2 "$bin" report "$tmp/notrec.json"
printf '{"schema": 1, "runs": []}' | gzip -c >"$tmp/empty.json.gz"
expect 2 "$bin" report "$tmp/empty.json.gz"
expect 2 "$bin" topo --bogus
expect 0 "$bin" compare --help
expect 0 "$bin" history --help
expect 0 "$bin" sriov --help
expect 2 "$bin" compare
expect 2 "$bin" compare "$tmp/missing.json.gz" "$tmp/missing.json.gz"
expect 2 "$bin" history
expect 2 "$bin" sriov bogus
expect 2 "$bin" run --collectors procfs,nosuch
expect 2 "$bin" load --bogus
expect 2 "$bin" serve --bogus
expect 0 "$bin" collect --help
expect 2 "$bin" collect --bogus
expect 2 "$bin" collect -c procfs,nosuch
expect 2 "$bin" collect --duration 1s -- true
expect 2 "$bin" collect -c wire -d 1s
expect 2 "$bin" collect --duration soon
expect 2 "$bin" collect stray-arg
# agent and run --server/--guest: a token is required, addresses are checked before any connect
expect 0 "$bin" agent --help
expect 2 "$bin" agent
expect 2 "$bin" agent --listen nowhere --token-file /dev/null
expect 3 "$bin" agent --token-file "$tmp/missing-token"
: >"$tmp/empty-token"
expect 3 "$bin" agent --token-file "$tmp/empty-token"
expect 0 "$bin" run --server 127.0.0.1:9 --guest g=127.0.0.1:9 --help
expect 2 "$bin" run --server 127.0.0.1:9 --token-file "$tmp/empty-token"
expect 2 "$bin" run --server 127.0.0.1:9 --guest 127.0.0.1:9 --token-file "$tmp/empty-token"
expect 2 "$bin" run --server 127.0.0.1:9 --guest g=127.0.0.1:9
expect 2 "$bin" run --server 127.0.0.1:9 --guest g=127.0.0.1:9 --paths pv --token-file x
expect 2 "$bin" run --server 127.0.0.1:9 --guest g=127.0.0.1:9 --collectors procfs,wire --token-file x
expect 3 "$bin" run --server 127.0.0.1:9 --guest g=127.0.0.1:9 --token-file "$tmp/empty-token"

# Records that are no records, for every command that reads them: 2, one line naming the
# problem, and nothing on stdout even with --json (a JSON reader must not get half a document).
printf '{"schema": 1, "meta": {"started": "x"}, "runs": [%s{"path": "pv", "status": "ok"}]}' \
	"$(for i in $(seq 1 400); do printf '{"path": "pv", "rep": %d, "status": "aborted"}, ' "$i"; done)" |
	gzip -c >"$tmp/valid.json.gz"
cp "$tmp/valid.json.gz" "$tmp/corrupt.json.gz"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$tmp/corrupt.json.gz" bs=1 seek=200 conv=notrunc 2>/dev/null
head -c $(($(stat -c %s "$tmp/valid.json.gz") - 4)) "$tmp/valid.json.gz" >"$tmp/trunc-end.json.gz"
for bad in trunc-gz:'truncated' trunc-end:'truncated' corrupt:'corrupt' random:'not valid JSON' \
	schema2:'schema 2' trunc-json:'not valid JSON'; do
	f=$tmp/${bad%%:*}.json.gz
	for cmd in "report --json" "compare --json $tmp/valid.json.gz" "history --json" \
		"plan --json --target-gbps 10 --host-cores 8"; do
		# shellcheck disable=SC2086
		expect 2 "$bin" $cmd "$f"
		if ! grep -q "${bad#*:}" "$tmp/err" || [ -s "$tmp/out" ]; then
			echo "FAIL: '$cmd ${bad%%:*}': stderr lacks '${bad#*:}' or stdout not empty"
			fails=$((fails + 1))
		fi
	done
done
expect 0 "$bin" plan --help
expect 2 "$bin" plan
expect 2 "$bin" plan "$tmp/valid.json.gz" --target-gbps 10
expect 2 "$bin" plan "$tmp/valid.json.gz" --target-gbps fast --host-cores 8
expect 2 "$bin" history -o "$tmp/graph.pdf" "$tmp/valid.json.gz"
expect 2 "$bin" history --window 1 --json "$tmp/valid.json.gz"

# -q / -v (docs/cli.md): -q leaves only errors on stderr, -v says steps; stdout unchanged.
fixsys=$(dirname "$0")/fixtures/sysfs
expect 0 "$bin" sriov list --sysfs-root "$fixsys/broken"
cp "$tmp/out" "$tmp/out.normal"
grep -q 'warning' "$tmp/err" || { echo "FAIL: sriov list shows no warning"; fails=$((fails + 1)); }
expect 0 "$bin" sriov -q list --sysfs-root "$fixsys/broken"
[ -s "$tmp/err" ] && { echo "FAIL: sriov -q wrote to stderr"; fails=$((fails + 1)); }
cmp -s "$tmp/out" "$tmp/out.normal" || { echo "FAIL: -q changed stdout"; fails=$((fails + 1)); }
expect 0 "$bin" sriov list --sysfs-root "$fixsys/host" -v
grep -q 'reading' "$tmp/err" || { echo "FAIL: sriov -v says no step"; fails=$((fails + 1)); }
expect 2 "$bin" sriov -q
# Every command that reads or writes files: -q leaves stderr empty, -v says steps, neither
# changes stdout.
rec=$(dirname "$0")/fixtures/records/small.json.gz
pcap=$(dirname "$0")/fuzz/corpus/pcap/engine-mixed-64k.pcap
for cmd in "report $rec" "compare $rec $rec" "history --json $rec $rec" \
	"plan --target-gbps 1 --host-cores 8 $rec" "profile $pcap" "topo show" \
	"collect -c procfs -d 0.2s -o $tmp/qv.json.gz"; do
	# shellcheck disable=SC2086
	expect 0 "$bin" $cmd
	# collect's summary and its numbers are on stderr and change run to run
	sed -e '/window_ns/d' "$tmp/out" >"$tmp/out.normal"
	# shellcheck disable=SC2086
	expect 0 "$bin" $cmd -q
	[ -s "$tmp/err" ] && { echo "FAIL: '$cmd -q' wrote to stderr"; fails=$((fails + 1)); }
	sed -e '/window_ns/d' "$tmp/out" | cmp -s - "$tmp/out.normal" ||
		{ echo "FAIL: '$cmd -q' changed stdout"; fails=$((fails + 1)); }
	# shellcheck disable=SC2086
	expect 0 "$bin" $cmd -v
	grep -q -E 'reading|writing|window' "$tmp/err" ||
		{ echo "FAIL: '$cmd -v' says no step"; fails=$((fails + 1)); }
	sed -e '/window_ns/d' "$tmp/out" | cmp -s - "$tmp/out.normal" ||
		{ echo "FAIL: '$cmd -v' changed stdout"; fails=$((fails + 1)); }
done
expect 2 "$bin" topo -q
expect 2 "$bin" topo down -x
# profile: bad captures are one line and exit 2 (pcap headers written here, little-endian).
expect 0 "$bin" profile --help
expect 2 "$bin" profile
expect 2 "$bin" profile --bogus x
expect 2 "$bin" profile "$tmp/missing.pcap"
expect 2 "$bin" profile "$tmp/random.json.gz"
pcaphdr() { printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0%b\x01\0\0\0' "$1"; }
pcaphdr '\0\0\0\0' >"$tmp/empty-snap0.pcap"
expect 0 "$bin" profile "$tmp/empty-snap0.pcap"
pcaphdr '\0\0\4\0' | head -c 13 >"$tmp/short.pcap"
expect 2 "$bin" profile "$tmp/short.pcap"
{ pcaphdr '\0\0\4\0'; printf '\0\0\0\0\0\0\0\0\x40\0\0\0\x40\0\0\0'; head -c 20 /dev/zero; } >"$tmp/trunc.pcap"
expect 2 "$bin" profile "$tmp/trunc.pcap"
{ pcaphdr '\0\0\0\0'; printf '\0\0\0\0\0\0\0\0\xff\xff\xff\x7f\xff\xff\xff\x7f'; } >"$tmp/absurd.pcap"
expect 2 "$bin" profile "$tmp/absurd.pcap"
gzip -c "$tmp/trunc.pcap" | head -c 30 >"$tmp/trunc.pcap.gz"
expect 2 "$bin" profile "$tmp/trunc.pcap.gz"
expect 2 "$bin" profile -o "$tmp/p.json" "$tmp/absurd.pcap"
[ ! -e "$tmp/p.json" ] || { echo "FAIL: profile -o left a file after an error"; fails=$((fails + 1)); }
expect 2 "$bin" load -c 127.0.0.1:9 --profile "$tmp/missing.json"
expect 2 "$bin" load -c 127.0.0.1:9 --profile "$tmp/empty-snap0.pcap"

if [ $fails -eq 0 ]; then
	echo "cli: all checks passed"
fi
[ $fails -eq 0 ]
