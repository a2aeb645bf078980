#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# libperf (the kernel's tools/lib/perf) is not packaged in Debian 12. Use the system's when
# pkg-config finds one; else build it from Debian's linux-source-6.1 package into $1
# (only tools/ and the uapi headers it needs are extracted). Prints the directory holding
# lib/libperf.a, lib/libapi.a and include/.
set -euo pipefail
out=$(realpath -m "${1:?usage: libperf.sh OUTDIR}")
src=/usr/src/linux-source-6.1.tar.xz

if [ -f "$out/lib/libperf.a" ] && [ -f "$out/lib/libapi.a" ]; then
	echo "$out"
	exit 0
fi
[ -f "$src" ] || { echo "libperf: $src missing; run 'make deps'" >&2; exit 3; }

work="$out/src"
rm -rf "$work"
mkdir -p "$work"
tar -xJf "$src" -C "$work" --strip-components=1 --wildcards \
	'linux-source-6.1/tools/*' 'linux-source-6.1/include/uapi/*' \
	'linux-source-6.1/arch/*/include/uapi/*' 'linux-source-6.1/scripts/*'
make -s -C "$work/tools/lib/perf" install_lib install_headers \
	DESTDIR="$work/inst" prefix=/usr >"$work/build.log" 2>&1 ||
	{ echo "libperf: build failed, see $work/build.log" >&2; exit 1; }
make -s -C "$work/tools/lib/api" >>"$work/build.log" 2>&1 ||
	{ echo "libperf: libapi build failed, see $work/build.log" >&2; exit 1; }
mkdir -p "$out/lib" "$out/include"
cp "$work"/inst/usr/lib*/libperf.a "$out/lib/"
cp "$work/tools/lib/api/libapi.a" "$out/lib/"
cp -r "$work"/inst/usr/include/. "$out/include/"
rm -rf "$work"
echo "$out"
