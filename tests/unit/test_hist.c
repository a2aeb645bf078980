// SPDX-License-Identifier: GPL-2.0
/* Unit tests for report/hist.c: slot layout, quantile error bound, merge, edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "iovb/hist.h"

/* Slots 0..495 hold all 64-bit values; the rest of IOVB_HIST_SLOTS is unused. */
#define LAST_SLOT 495

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Deterministic xorshift64*: the tests must not depend on the libc's rand(). */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* The exact quantile of sorted[n] as the histogram defines it: the ceil(q * n)-th smallest. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	if ((double)rank < q * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

/* Fill h from v[n], sort v, and check many quantiles against the 12.5% bound. */
static void check_quantiles(uint64_t *v, size_t n)
{
	static const double qs[] = {0.0001, 0.001, 0.01, 0.1,	0.25,	0.5,	  0.75,
				    0.9,    0.95,  0.99, 0.999, 0.9999, 0.123456, 0.87654};
	struct iovb_hist *h = malloc(sizeof(*h));
	uint64_t want, got;
	size_t i;

	assert_non_null(h);
	iovb_hist__init(h);
	for (i = 0; i < n; i++)
		iovb_hist__add(h, v[i]);
	qsort(v, n, sizeof(*v), u64_cmp);
	assert_int_equal(h->count, n);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[n - 1]);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		want = exact_quantile(v, n, qs[i]);
		got = iovb_hist__quantile(h, qs[i]);
		/* The slot's upper bound: never below the truth, above it by less than 1/8. */
		if (got < want || got - want > want / 8)
			fail_msg("q=%g: got %llu want %llu", qs[i], (unsigned long long)got,
				 (unsigned long long)want);
	}
	assert_int_equal(iovb_hist__quantile(h, 0), v[0]);
	assert_int_equal(iovb_hist__quantile(h, 1), v[n - 1]);
	free(h);
}

static void test_slot_small_exact(void **state)
{
	uint64_t v;

	(void)state;
	/* 0..7 have their own slot; with width-1 slots up to 15, everything below 16 is exact. */
	for (v = 0; v < 16; v++) {
		assert_int_equal(iovb_hist__slot(v), v);
		assert_int_equal(iovb_hist__slot_low(v), v);
	}
	assert_int_equal(iovb_hist__slot(16), 16);
	assert_int_equal(iovb_hist__slot(17), 16);
	assert_int_equal(iovb_hist__slot(18), 17);
	assert_int_equal(iovb_hist__slot(UINT64_MAX), LAST_SLOT);
	assert_int_equal(iovb_hist__slot_low(LAST_SLOT), UINT64_C(15) << 60);
}

static void test_slot_low_monotonic(void **state)
{
	unsigned i;

	(void)state;
	assert_int_equal(iovb_hist__slot_low(0), 0);
	for (i = 0; i < LAST_SLOT; i++) {
		/* Strictly increasing, and each slot's lower bound maps back to that slot. */
		assert_true(iovb_hist__slot_low(i) < iovb_hist__slot_low(i + 1));
		assert_int_equal(iovb_hist__slot(iovb_hist__slot_low(i)), i);
		assert_int_equal(iovb_hist__slot(iovb_hist__slot_low(i + 1) - 1), i);
		/* Slot width <= 1/8 of its lower bound (from 8 up): the documented error. */
		if (i >= 8)
			assert_true(iovb_hist__slot_low(i + 1) - iovb_hist__slot_low(i) <=
				    iovb_hist__slot_low(i) / 8);
	}
	/* Unused slots past the last reachable one saturate rather than wrap. */
	for (i = LAST_SLOT + 1; i <= IOVB_HIST_SLOTS; i++)
		assert_int_equal(iovb_hist__slot_low(i), UINT64_MAX);
}

static void test_slot_contains_value(void **state)
{
	uint64_t v, seed = 42, lo, next;
	unsigned s, k, i;

	(void)state;
	/* Powers of two and their neighbours, then random values of every magnitude. */
	for (k = 0; k < 64; k++) {
		for (i = 0; i < 3; i++) {
			v = (UINT64_C(1) << k) + i - 1;
			s = iovb_hist__slot(v);
			assert_true(s <= LAST_SLOT);
			lo = iovb_hist__slot_low(s);
			next = iovb_hist__slot_low(s + 1);
			assert_true(lo <= v);
			assert_true(s == LAST_SLOT || v < next);
		}
	}
	for (i = 0; i < 200000; i++) {
		v = rng_next(&seed) >> (i % 64);
		s = iovb_hist__slot(v);
		assert_true(s <= LAST_SLOT);
		lo = iovb_hist__slot_low(s);
		next = iovb_hist__slot_low(s + 1);
		assert_true(lo <= v);
		assert_true(s == LAST_SLOT || v < next);
	}
	v = UINT64_MAX;
	assert_true(iovb_hist__slot_low(iovb_hist__slot(v)) <= v);
}

static void test_empty(void **state)
{
	struct iovb_hist h;

	(void)state;
	iovb_hist__init(&h);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.sum, 0);
	assert_int_equal(h.min, UINT64_MAX);
	assert_int_equal(h.max, 0);
	assert_int_equal(iovb_hist__quantile(&h, 0), 0);
	assert_int_equal(iovb_hist__quantile(&h, 0.5), 0);
	assert_int_equal(iovb_hist__quantile(&h, 1), 0);
}

static void test_single_value_clamped(void **state)
{
	struct iovb_hist h;

	(void)state;
	/* 1000 sits in slot [960, 1023]: the slot bound must be clamped to the one value seen. */
	iovb_hist__init(&h);
	iovb_hist__add(&h, 1000);
	assert_int_equal(iovb_hist__quantile(&h, 0), 1000);
	assert_int_equal(iovb_hist__quantile(&h, 0.5), 1000);
	assert_int_equal(iovb_hist__quantile(&h, 1), 1000);
	assert_int_equal(h.sum, 1000);

	/* Two values in one slot: p50 is the slot top clamped to max, p0 the min. */
	iovb_hist__add(&h, 970);
	assert_int_equal(iovb_hist__quantile(&h, 0), 970);
	assert_int_equal(iovb_hist__quantile(&h, 0.5), 1000);
	assert_int_equal(iovb_hist__quantile(&h, 1), 1000);

	/* Out-of-range q is clamped, NaN counts as 0. */
	assert_int_equal(iovb_hist__quantile(&h, -1), 970);
	assert_int_equal(iovb_hist__quantile(&h, 2), 1000);
	assert_int_equal(iovb_hist__quantile(&h, __builtin_nan("")), 970);
}

static void test_extremes(void **state)
{
	struct iovb_hist h;

	(void)state;
	iovb_hist__init(&h);
	iovb_hist__add(&h, 0);
	iovb_hist__add(&h, UINT64_MAX);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, UINT64_MAX);
	assert_int_equal(h.slot[0], 1);
	assert_int_equal(h.slot[LAST_SLOT], 1);
	assert_int_equal(iovb_hist__quantile(&h, 0.5), 0);
	assert_int_equal(iovb_hist__quantile(&h, 0.51), UINT64_MAX);
	/* The sum saturates instead of wrapping to something plausible. */
	iovb_hist__add(&h, 5);
	assert_int_equal(h.sum, UINT64_MAX);
}

static void test_exact_small(void **state)
{
	struct iovb_hist h;
	uint64_t v;

	(void)state;
	/* 1..10 once each: every value is below 16, so quantiles are exact. */
	iovb_hist__init(&h);
	for (v = 1; v <= 10; v++)
		iovb_hist__add(&h, v);
	assert_int_equal(h.sum, 55);
	assert_int_equal(iovb_hist__quantile(&h, 0.1), 1);
	assert_int_equal(iovb_hist__quantile(&h, 0.11), 2);
	assert_int_equal(iovb_hist__quantile(&h, 0.5), 5);
	assert_int_equal(iovb_hist__quantile(&h, 0.55), 6);
	assert_int_equal(iovb_hist__quantile(&h, 0.9), 9);
	assert_int_equal(iovb_hist__quantile(&h, 0.99), 10);
}

static void test_uniform(void **state)
{
	size_t n = 1000000, i;
	uint64_t *v = malloc(n * sizeof(*v));

	(void)state;
	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = i + 1;
	check_quantiles(v, n);
	free(v);
}

static void test_log_uniform(void **state)
{
	/* Latency-like: spread over 1 ns .. ~1 s, every magnitude equally likely. */
	size_t n = 200000, i;
	uint64_t *v = malloc(n * sizeof(*v)), seed = 7;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = 1 + (rng_next(&seed) >> (34 + rng_next(&seed) % 30));
	check_quantiles(v, n);
	free(v);
}

static void test_bimodal_heavy_tail(void **state)
{
	/* A fast path around 20 us, a slow one around 5 ms, and a few huge outliers. */
	size_t n = 100000, i;
	uint64_t *v = malloc(n * sizeof(*v)), seed = 99, r;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		r = rng_next(&seed);
		if (i % 1000 == 0)
			v[i] = UINT64_C(1) << (40 + r % 23);
		else if (i % 10 == 0)
			v[i] = 5000000 + r % 1000000;
		else
			v[i] = 20000 + r % 5000;
	}
	check_quantiles(v, n);
	free(v);
}

static void test_merge(void **state)
{
	struct iovb_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)),
			 *all = malloc(sizeof(*all));
	struct iovb_hist empty;
	uint64_t seed = 3, v;
	unsigned i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(all);
	iovb_hist__init(a);
	iovb_hist__init(b);
	iovb_hist__init(all);
	iovb_hist__init(&empty);
	for (i = 0; i < 50000; i++) {
		v = rng_next(&seed) >> (20 + i % 40);
		iovb_hist__add(i % 3 ? a : b, v);
		iovb_hist__add(all, v);
	}
	/* Merging an empty histogram changes nothing, in particular not min. */
	iovb_hist__merge(a, &empty);
	assert_true(a->min != UINT64_MAX);
	iovb_hist__merge(a, b);
	assert_memory_equal(a, all, sizeof(*all));

	/* Into an empty one: a copy. */
	iovb_hist__merge(&empty, all);
	assert_memory_equal(&empty, all, sizeof(*all));
	assert_int_equal(iovb_hist__quantile(&empty, 0.5), iovb_hist__quantile(all, 0.5));
	free(all);
	free(b);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_small_exact),
		cmocka_unit_test(test_slot_low_monotonic),
		cmocka_unit_test(test_slot_contains_value),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_value_clamped),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_exact_small),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_log_uniform),
		cmocka_unit_test(test_bimodal_heavy_tail),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
