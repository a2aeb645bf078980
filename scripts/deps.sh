#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what iovbench needs to build, run and test, from Debian 12 packages.
# Idempotent: packages already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

pkgs=(
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev
	libpcap-dev zlib1g-dev libjansson-dev libcmocka-dev
	gnuplot-nox iproute2 ethtool iperf3 procps jq man-db groff-base chromium tshark
	samba smbclient
	linux-source-6.1 xz-utils flex bison
	libclang-rt-14-dev samba smbclient dpkg-dev debhelper fakeroot python3-yaml
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 3
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
