#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package: dpkg-buildpackage builds it from a copy of this source tree (never in the
# tree itself: its clean step would remove build/), and the .deb, unpacked into a scratch root
# with dpkg -x (the real system is not touched), gives a working iovbench with its man pages,
# completion and data, and declares the libraries and tools it needs.
#
# Fast path (the default, for make check): the copy starts with this tree's build/libperf, so
# libperf is not rebuilt from linux-source-6.1, and DEB_BUILD_OPTIONS=nocheck skips the unit
# tests (make check runs them anyway). IOVB_DEB_FULL=1 builds exactly as a user would from a
# fresh clone: `dpkg-buildpackage -us -uc -b`, libperf and unit tests included.
set -euo pipefail
root=$(realpath "$(dirname "$0")/../..")
. "$(dirname "$0")/lib.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
export LC_ALL=C
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

for c in dpkg-buildpackage dh dpkg-deb fakeroot; do
	command -v "$c" >/dev/null || fail "$c is missing (dpkg-dev, debhelper, fakeroot: make deps)"
done

# The source as a fresh clone would have it: tracked and new files, not what .gitignore hides.
src=$tmp/src
mkdir -p "$src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	# Files deleted but not yet committed are left out; dangling links (fixtures) are kept.
	git -C "$root" ls-files -co --exclude-standard -z |
		(cd "$root" && while IFS= read -r -d '' f; do
			if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf -) | tar -xf - -C "$src"
else
	tar -C "$root" --exclude=./build --exclude=./build-san --exclude=./results -cf - . |
		tar -xf - -C "$src"
fi
[ -x "$src/debian/rules" ] || fail "no executable debian/rules in the source"

opts=(-us -uc -b)
DEB_BUILD_OPTIONS="parallel=$(nproc)"
export DEB_BUILD_OPTIONS
if [ "${IOVB_DEB_FULL:-0}" != 1 ] && [ -f "$root/build/libperf/lib/libperf.a" ] &&
	[ -f "$root/build/libperf/lib/libapi.a" ]; then
	mkdir -p "$src/build"
	cp -a "$root/build/libperf" "$src/build/"
	opts+=(-nc) # the clean step would remove the libperf just copied in
	DEB_BUILD_OPTIONS+=" nocheck"
	echo "deb: fast path (this tree's build/libperf, nocheck); IOVB_DEB_FULL=1 for a full build"
fi
start=$(date +%s)
# In a network namespace of its own with only loopback: proof that the build needs no network
# (and installs nothing). A make started by `make check` passes its flags and jobserver on;
# this build needs neither.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 900 \
	unshare --net sh -c 'ip link set lo up && exec dpkg-buildpackage "$@"' sh "${opts[@]}") \
	>"$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; fail "dpkg-buildpackage ${opts[*]} failed"; }
echo "deb: dpkg-buildpackage ${opts[*]} took $(($(date +%s) - start)) s"
grep -q 'scripts/deps.sh\|apt-get' "$tmp/build.log" && bad "the package build ran make deps"

ver=$(cd "$src" && dpkg-parsechangelog -S Version)
mkver=$(sed -n 's/^VERSION := *//p' "$root/Makefile")
[ "$ver" = "$mkver" ] || bad "debian/changelog says $ver, the Makefile's VERSION $mkver"
deb=$tmp/iovbench_${ver}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb; built: $(ls "$tmp")"

# Dependencies: the shared libraries dpkg-shlibdeps found, the tools the program runs.
depends=$(dpkg-deb -f "$deb" Depends)
for want in libbpf1 libjansson4 zlib1g libc6 gnuplot-nox iproute2; do
	[[ ", $depends," == *", $want"[\ ,]* || "$depends" == *"| $want"* ]] ||
		bad "Depends lacks $want: $depends"
done
[[ $(dpkg-deb -f "$deb" Built-Using) == "linux (= "* ]] ||
	bad "no Built-Using for the static libperf: '$(dpkg-deb -f "$deb" Built-Using)'"
# Each clause is met by an installed package here (a machine that ran make deps).
IFS=',' read -ra clauses <<<"$depends"
for clause in "${clauses[@]}"; do
	ok=0
	IFS='|' read -ra alts <<<"$clause"
	for alt in "${alts[@]}"; do
		name=$(awk '{print $1}' <<<"$alt")
		dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' &&
			ok=1
	done
	[ $ok = 1 ] || bad "Depends clause '${clause# }' has no installed package here"
done

# Contents: everything under /usr, each man page compressed, nothing under /usr/local.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/files"
grep -q '^/usr/local' "$tmp/files" && bad "the package installs into /usr/local"
for f in /usr/bin/iovbench /usr/share/bash-completion/completions/iovbench \
	/usr/share/doc/iovbench/copyright; do
	grep -qx "$f" "$tmp/files" || bad "the package has no $f"
done
for p in "$root"/docs/man/*.1; do
	grep -qx "/usr/share/man/man1/${p##*/}.gz" "$tmp/files" || bad "no man page ${p##*/}.gz"
done
for f in "$root"/data/*; do
	[ -f "$f" ] || continue
	grep -qx "/usr/share/iovbench/${f##*/}" "$tmp/files" || bad "no data file ${f##*/}"
done

# Unpacked into a scratch root: the binary runs and its pages render.
dpkg -x "$deb" "$tmp/root"
ib=$tmp/root/usr/bin/iovbench
"$ib" --version >"$tmp/out" 2>&1 || bad "iovbench --version failed: $(cat "$tmp/out")"
grep -q "^iovbench $ver " "$tmp/out" || bad "--version printed: $(cat "$tmp/out")"
"$ib" report --help >"$tmp/out" 2>&1 || bad "iovbench report --help failed"
grep -q 'usage: iovbench report' "$tmp/out" || bad "report --help printed no usage"
# collect prints its summary on stderr (as perf stat does: stdout stays the command's).
(cd "$tmp" && "$ib" collect -c procfs --duration 1s >"$tmp/out" 2>"$tmp/err") ||
	bad "iovbench collect -c procfs --duration 1s failed: $(head -3 "$tmp/err")"
grep -q '^collect: ok' "$tmp/err" || bad "collect printed no summary: $(head -3 "$tmp/err")"
ls "$tmp"/results/*-collect.json.gz >/dev/null 2>&1 || bad "collect wrote no record"
for p in "$tmp"/root/usr/share/man/man1/*.1.gz; do
	MANWIDTH=80 man --warnings -l "$p" >/dev/null 2>"$tmp/err" || bad "man -l ${p##*/} failed"
	[ -s "$tmp/err" ] && bad "man -l ${p##*/} warns: $(head -3 "$tmp/err")"
done
bash --norc --noprofile -c 'source "$1" && complete -p iovbench' x \
	"$tmp/root/usr/share/bash-completion/completions/iovbench" >/dev/null 2>&1 ||
	bad "the packaged completion does not register"

[ $fails -eq 0 ] && echo "deb: all checks passed ($deb)"
[ $fails -eq 0 ]
