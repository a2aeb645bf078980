/* SPDX-License-Identifier: GPL-2.0 */
/* Log-linear histogram of nanosecond values: 8 sub-buckets per power of two (<= 12.5% error). */
#ifndef IOVB_HIST_H
#define IOVB_HIST_H

#include <stdint.h>

#define IOVB_HIST_SUB 8
#define IOVB_HIST_SLOTS (64 * IOVB_HIST_SUB)

struct iovb_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t slot[IOVB_HIST_SLOTS];
};

/* Reset to empty (min = UINT64_MAX). */
void iovb_hist__init(struct iovb_hist *h);
/* Add one value. No allocation: safe on the hot path. */
void iovb_hist__add(struct iovb_hist *h, uint64_t v);
/* Add all of src into dst. */
void iovb_hist__merge(struct iovb_hist *dst, const struct iovb_hist *src);
/* Value at quantile q in [0, 1]: the upper bound of the slot holding it, clamped to [min, max]. 0 if empty. */
uint64_t iovb_hist__quantile(const struct iovb_hist *h, double q);
/* Slot index for v and the inclusive lower bound of slot i (for writing slots out). */
unsigned iovb_hist__slot(uint64_t v);
uint64_t iovb_hist__slot_low(unsigned i);

#endif
