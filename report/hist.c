// SPDX-License-Identifier: GPL-2.0
/*
 * Log-linear histogram (contract in include/iovb/hist.h).
 *
 * Values 0..7 get a slot each. From 8 up, each power of two [2^k, 2^(k+1)) is cut into
 * IOVB_HIST_SUB equal sub-buckets of width 2^(k-3); the top 3 bits below the leading one pick the
 * sub-bucket. A slot's width is then at most 1/8 of any value in it, which is where the 12.5%
 * error bound comes from. 8..15 have width 1, so everything below 16 is exact.
 *
 * Slot layout: v < 8 -> v; else with k = msb(v): (k - 2) * 8 + ((v >> (k - 3)) & 7). The largest
 * value, UINT64_MAX, lands in slot 61 * 8 + 7 = 495; slots 496..511 of IOVB_HIST_SLOTS are never
 * used, and iovb_hist__slot_low() returns UINT64_MAX for them (their lower bound would be 2^64 or
 * more).
 */
#include <string.h>

#include "iovb/hist.h"

#define SUB_BITS 3
_Static_assert(IOVB_HIST_SUB == 1 << SUB_BITS, "SUB_BITS must match IOVB_HIST_SUB");

/* The last slot a 64-bit value can reach. */
#define LAST_SLOT ((64 - SUB_BITS) * IOVB_HIST_SUB + IOVB_HIST_SUB - 1)
_Static_assert(LAST_SLOT < IOVB_HIST_SLOTS, "slot array too small");

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		r = UINT64_MAX;
	return r;
}

void iovb_hist__init(struct iovb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned iovb_hist__slot(uint64_t v)
{
	unsigned msb, slot;

	if (v < IOVB_HIST_SUB) {
		slot = v;
	} else {
		msb = 63 - __builtin_clzll(v);
		slot = (msb - SUB_BITS + 1) * IOVB_HIST_SUB +
		       ((v >> (msb - SUB_BITS)) & (IOVB_HIST_SUB - 1));
	}
	return slot;
}

uint64_t iovb_hist__slot_low(unsigned i)
{
	unsigned group = i / IOVB_HIST_SUB, sub = i % IOVB_HIST_SUB;
	uint64_t low;

	if (i < IOVB_HIST_SUB)
		low = i;
	else if (i > LAST_SLOT)
		low = UINT64_MAX;
	else
		low = (uint64_t)(IOVB_HIST_SUB + sub) << (group - 1);
	return low;
}

/* Inclusive upper bound of slot i. */
static uint64_t slot_high(unsigned i)
{
	return i >= LAST_SLOT ? UINT64_MAX : iovb_hist__slot_low(i + 1) - 1;
}

void iovb_hist__add(struct iovb_hist *h, uint64_t v)
{
	h->count++;
	/* Saturate rather than wrap: a wrapped sum would give a plausible but wrong mean. */
	h->sum = add_sat(h->sum, v);
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->slot[iovb_hist__slot(v)]++;
}

void iovb_hist__merge(struct iovb_hist *dst, const struct iovb_hist *src)
{
	unsigned i;

	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum = add_sat(dst->sum, src->sum);
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (i = 0; i < IOVB_HIST_SLOTS; i++)
		dst->slot[i] += src->slot[i];
}

uint64_t iovb_hist__quantile(const struct iovb_hist *h, double q)
{
	uint64_t rank, seen = 0, v = 0;
	double r;
	unsigned i;

	if (!h->count)
		goto cleanup;
	/* The ends are known exactly; no need to report a slot bound for them. NaN counts as 0. */
	if (!(q > 0)) {
		v = h->min;
		goto cleanup;
	}
	if (q >= 1) {
		v = h->max;
		goto cleanup;
	}
	/* The value at q is the rank-th smallest, rank = ceil(q * count), at least 1. */
	r = q * (double)h->count;
	rank = (uint64_t)r;
	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	v = h->max;
	for (i = 0; i < IOVB_HIST_SLOTS; i++) {
		seen += h->slot[i];
		if (seen >= rank) {
			v = slot_high(i);
			break;
		}
	}
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
cleanup:
	return v;
}
