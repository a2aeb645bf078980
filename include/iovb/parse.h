/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsing of numbers, sizes, durations and rates: the one place user text becomes a number. */
#ifndef IOVB_PARSE_H
#define IOVB_PARSE_H

#include <stdint.h>

/*
 * Each function parses the whole string (no trailing garbage, no empty string, no sign),
 * stores the value in *out only on success and returns 0, -EINVAL (not a number of that
 * kind) or -ERANGE (overflow, or outside [min, max] where bounds are given).
 */

/* Plain decimal integer within [min, max]. */
int iovb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A byte count: "4096", "4K", "4KiB", "1M", "1.5G", "20GB"... K/M/G/T and KiB/MiB/GiB/TiB are
 * powers of 1024, kB/KB/MB/GB/TB are powers of 1000; "B" alone is bytes. A fraction is allowed
 * with a suffix and must give a whole number of bytes after rounding down.
 */
int iovb_parse_size(const char *s, uint64_t *out);

/* A duration in nanoseconds: "10s", "500ms", "250us", "100ns", "2m", "1h", "1.5s"; bare = s. */
int iovb_parse_duration_ns(const char *s, uint64_t *out);

/* A bit rate in bits/s, tc style: "10gbit", "100mbit", "1kbit", "800bit", "10G" (= 10gbit). */
int iovb_parse_rate_bps(const char *s, uint64_t *out);

#endif
