// fuzz-srcs: report/profile.c report/tcpreasm.c
// fuzz-libs: -lpcap -ljansson -lz
// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes as a capture file for the profiler (libpcap reads them from memory,
 * then link/IP/TCP decoding, reassembly, Direct TCP framing, SMB2 headers and the JSON document).
 * Built by `make fuzz` with clang -fsanitize=fuzzer; seeds: any small pcap/pcapng.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "iovb/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovb_profile *p;
	char err[256];
	json_t *doc;
	FILE *fp;

	if (!size)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	p = profile__new();
	if (!p) {
		fclose(fp);
		return 0;
	}
	/* Closes fp, also on failure. */
	if (!profile__read_fp(p, fp, "fuzz", err, sizeof(err))) {
		doc = profile__json(p);
		json_decref(doc);
	}
	profile__free(p);
	return 0;
}
