#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make install` into a scratch DESTDIR gives a working binary, man pages that render at 80
# columns without a warning and have the sections the project promises, and a bash completion
# that completes commands from the installed binary; `make uninstall` takes every file back.
# Install only copies, so this never rebuilds what the running `make check` built.
set -euo pipefail
bin=$(realpath "${1:-build/iovbench}")
root=$(realpath "$(dirname "$0")/../..")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
fails=0
export LC_ALL=C
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# A make started by `make check` inherits its flags and jobserver; this one needs neither.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" --no-print-directory \
		DESTDIR="$dest" PREFIX=/usr BIN="$bin" "$@"
}

command -v man >/dev/null || fail "man is missing (Debian: man-db, groff-base; see scripts/deps.sh)"
stamp=$(stat -c %Y.%s "$bin")
mk install >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install failed"; }
[ "$(stat -c %Y.%s "$bin")" = "$stamp" ] || bad "make install changed $bin"
grep -E '^ +(CC|LINK|AR|BPF|GEN-SKEL) ' "$tmp/install.log" && bad "make install built something"

# The binary, from its installed place.
"$dest/usr/bin/iovbench" --version >"$tmp/version" 2>&1 || bad "installed iovbench --version failed"
grep -q '^iovbench [0-9]' "$tmp/version" || bad "installed --version printed: $(cat "$tmp/version")"
"$dest/usr/bin/iovbench" --help >"$tmp/help" || bad "installed iovbench --help failed"

# Data files the program reads, beside it under the prefix.
for f in "$root"/data/*; do
	[ -f "$f" ] || continue
	cmp -s "$f" "$dest/usr/share/iovbench/${f##*/}" || bad "data/${f##*/} not installed"
done

# Man pages: each renders silently at 80 columns and has every section; each command has one.
sections=(NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS" FILES PRIVILEGES OVERHEAD
	"SEE ALSO")
pages=("$dest"/usr/share/man/man1/iovbench*.1)
[ -e "${pages[0]}" ] || fail "no man page installed in $dest/usr/share/man/man1"
[ -f "$dest/usr/share/man/man1/iovbench.1" ] || bad "no iovbench(1)"
for p in "${pages[@]}"; do
	name=${p##*/}
	MANWIDTH=80 man --warnings -l "$p" >"$tmp/page" 2>"$tmp/err" || bad "man -l $name failed"
	[ -s "$tmp/err" ] && bad "man -l $name warns: $(head -3 "$tmp/err")"
	for s in "${sections[@]}"; do
		grep -q "^$s\$" "$tmp/page" || bad "$name has no $s section"
	done
	grep -q '@VERSION@' "$p" && bad "$name: @VERSION@ not filled in"
done
# Commands added since the pages were written get a note, not a failure, until they have one.
while read -r cmd; do
	[ -f "$dest/usr/share/man/man1/iovbench-$cmd.1" ] ||
		echo "note: 'iovbench $cmd' has no man page iovbench-$cmd(1) yet"
done < <(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$tmp/help")

# bash completion: sources cleanly, and completes from the installed binary.
comp=$dest/usr/share/bash-completion/completions/iovbench
[ -f "$comp" ] || fail "no bash completion installed"
complete_words() { # words...: what the completion offers for the last word
	bash --norc --noprofile -c '
		source "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_iovbench
		printf "%s\n" "${COMPREPLY[@]}"' complete "$comp" "$@"
}
bash --norc --noprofile -c 'source "$1" && complete -p iovbench' x "$comp" >"$tmp/c.out" \
	2>"$tmp/c.err" || bad "the completion does not source or register: $(cat "$tmp/c.err")"
[ -s "$tmp/c.err" ] && bad "sourcing the completion printed: $(cat "$tmp/c.err")"
got=$(complete_words "$dest/usr/bin/iovbench" r | sort | tr '\n' ' ')
[[ " $got" == *" report "* && " $got" == *" run "* ]] ||
	bad "iovbench r<TAB> gives '$got', not run and report"
for w in $got; do
	[[ $w == r* ]] || bad "iovbench r<TAB> offers '$w'"
done
got=$(complete_words "$dest/usr/bin/iovbench" run --rep | sort | tr '\n' ' ')
[ "$got" = "--report --reps " ] || bad "iovbench run --rep<TAB> gives '$got'"
got=$(complete_words "$dest/usr/bin/iovbench" topo "" | sort | tr '\n' ' ')
[ "$got" = "down show up " ] || bad "iovbench topo <TAB> gives '$got'"
mkdir "$tmp/recs"
touch "$tmp/recs/a.json.gz" "$tmp/recs/b.txt"
got=$(complete_words "$dest/usr/bin/iovbench" report "$tmp/recs/" | tr '\n' ' ')
[ "$got" = "$tmp/recs/a.json.gz " ] || bad "iovbench report DIR/<TAB> gives '$got'"

# Uninstall: no file left (empty directories may stay: others may share them).
mk uninstall >"$tmp/uninstall.log" 2>&1 ||
	{ cat "$tmp/uninstall.log"; bad "make uninstall failed"; }
left=$(find "$dest" ! -type d)
[ -z "$left" ] || bad "make uninstall left: $left"

[ $fails -eq 0 ] && echo "install: all checks passed"
[ $fails -eq 0 ]
