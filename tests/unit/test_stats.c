// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics against values worked out by hand (and checked by brute-force enumeration of every
 * split): Mann-Whitney exact p-values with and without ties, the normal approximation, the
 * seeded bootstrap's determinism and coverage, the median.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "iovb/stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_median(void **state)
{
	const double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	double m = -1;

	assert_int_equal(stats__median(odd, N(odd), &m), 0);
	assert_true(m == 3);
	assert_int_equal(stats__median(even, N(even), &m), 0);
	assert_true(m == 2.5);
	/* The input stays as it was: callers keep their repetition order. */
	assert_true(odd[0] == 5 && even[0] == 4);
	m = 42;
	assert_int_equal(stats__median(odd, 0, &m), -EINVAL);
	assert_true(m == 42);
}

static void test_mw_separated_exact(void **state)
{
	const double a3[] = { 1, 2, 3 }, b3[] = { 4, 5, 6 };
	const double a5[] = { 10, 11, 12, 13, 14 }, b5[] = { 1, 2, 3, 4, 5 };
	struct stats_mw r;

	/* 3 vs 3 fully separated: 1 split of C(6,3) = 20 per tail, two-sided 2/20. */
	assert_int_equal(stats__mann_whitney(a3, 3, b3, 3, &r), 0);
	assert_true(r.exact);
	assert_true(r.u == 0);
	assert_true(fabs(r.p - 0.1) < 1e-12);
	/* 5 vs 5: 2/252 = 0.0079, the textbook table's value; U counts a > b pairs. */
	assert_int_equal(stats__mann_whitney(a5, 5, b5, 5, &r), 0);
	assert_true(r.u == 25);
	assert_true(fabs(r.p - 2.0 / 252) < 1e-12);
	assert_true(fabs(stats__mw_min_p(5, 5) - 2.0 / 252) < 1e-12);
	assert_true(fabs(stats__mw_min_p(3, 3) - 0.1) < 1e-12);
	assert_true(stats__mw_min_p(4, 4) > 0.01 && stats__mw_min_p(4, 6) < 0.01);
	assert_true(stats__mw_min_p(1, 1) == 1);
}

static void test_mw_interleaved(void **state)
{
	const double a[] = { 1, 3, 5 }, b[] = { 2, 4, 6 };
	double a10[10], b10[10];
	struct stats_mw r;

	/* U = 3, |U - 4.5| = 1.5: U <= 3 or U >= 6 holds 14 of the 20 splits. */
	assert_int_equal(stats__mann_whitney(a, 3, b, 3, &r), 0);
	assert_true(r.u == 3);
	assert_true(fabs(r.p - 0.7) < 1e-12);
	/* 10 vs 10 interleaved: 136602 of the 184756 splits are at least as extreme. */
	for (int i = 0; i < 10; i++) {
		a10[i] = 2 * i;
		b10[i] = 2 * i + 1;
	}
	assert_int_equal(stats__mann_whitney(a10, 10, b10, 10, &r), 0);
	assert_true(r.exact);
	assert_true(fabs(r.p - 136602.0 / 184756) < 1e-9);
}

static void test_mw_ties(void **state)
{
	/*
	 * Pooled 1 2 2 2 3 3: mid-ranks 1, 3, 3, 3, 5.5, 5.5. a's rank sum 7, mean 10.5; sums at
	 * least 3.5 away: a = {1,2,2} (3 ways) and {2,3,3} (3 ways) of 20, p = 0.3. U = 1 (the
	 * two 2-vs-2 ties count a half each).
	 */
	const double a[] = { 1, 2, 2 }, b[] = { 2, 3, 3 }, same[] = { 7, 7, 7 };
	struct stats_mw r;

	assert_int_equal(stats__mann_whitney(a, 3, b, 3, &r), 0);
	assert_true(r.u == 1);
	assert_true(fabs(r.p - 0.3) < 1e-12);
	/* Everything tied: no evidence of anything. */
	assert_int_equal(stats__mann_whitney(same, 3, same, 3, &r), 0);
	assert_true(r.p == 1);
	/* A sample against itself. */
	assert_int_equal(stats__mann_whitney(a, 3, a, 3, &r), 0);
	assert_true(r.p == 1);
}

static void test_mw_normal_approx(void **state)
{
	double a[30], b[30];
	struct stats_mw r;

	/* 30 vs 30 separated: z = (450 - 0.5) / sqrt(900 * 61 / 12) = 6.63, p ~ 3.4e-11. */
	for (int i = 0; i < 30; i++) {
		a[i] = i;
		b[i] = 100 + i;
	}
	assert_int_equal(stats__mann_whitney(a, 30, b, 30, &r), 0);
	assert_false(r.exact);
	assert_true(r.u == 0);
	assert_true(fabs(r.p - erfc((450 - 0.5) / sqrt(900.0 * 61 / 12) / M_SQRT2)) < 1e-15);
	assert_true(r.p < 1e-10 && r.p > 1e-12);
	/* Interleaved, the approximation lands near the exact value's neighbourhood (~0.8). */
	for (int i = 0; i < 30; i++) {
		a[i] = 2 * i;
		b[i] = 2 * i + 1;
	}
	assert_int_equal(stats__mann_whitney(a, 30, b, 30, &r), 0);
	assert_true(r.p > 0.7 && r.p < 0.9);
	/* Ties shrink the variance: all but one value tied still gives a valid p. */
	for (int i = 0; i < 30; i++)
		a[i] = b[i] = 1;
	b[29] = 2;
	assert_int_equal(stats__mann_whitney(a, 30, b, 30, &r), 0);
	assert_true(r.p > 0.2 && r.p <= 1);
}

static void test_mw_bad_input(void **state)
{
	const double a[] = { 1, NAN }, b[] = { 1, 2 };
	struct stats_mw r;

	assert_int_equal(stats__mann_whitney(a, 2, b, 2, &r), -EINVAL);
	assert_int_equal(stats__mann_whitney(b, 0, b, 2, &r), -EINVAL);
	assert_int_equal(stats__mann_whitney(b, 2, b, 0, &r), -EINVAL);
}

static void test_bootstrap(void **state)
{
	const double a[] = { 100, 102, 98, 101, 99 }, b[] = { 50, 51, 49, 52, 48 };
	const double a3[] = { 10, 11, 12 }, b3[] = { 11, 10, 12 }, zero[] = { 0, 1, 2 };
	struct stats_interval i1, i2;

	assert_int_equal(stats__bootstrap_median_diff(a, 5, b, 5, false, 0.01, 5000, 7, &i1), 0);
	assert_true(i1.point == -50);
	/* Resample medians stay within each sample's range: the difference within [-54, -46]. */
	assert_true(i1.lo >= -54 && i1.hi <= -46 && i1.lo <= i1.point && i1.point <= i1.hi);
	/* Same seed, same interval, bit for bit; another seed still covers the point. */
	assert_int_equal(stats__bootstrap_median_diff(a, 5, b, 5, false, 0.01, 5000, 7, &i2), 0);
	assert_memory_equal(&i1, &i2, sizeof(i1));
	assert_int_equal(stats__bootstrap_median_diff(a, 5, b, 5, false, 0.01, 5000, 8, &i2), 0);
	assert_true(i2.lo <= -50 && i2.hi >= -50);
	/* Overlapping samples: the interval holds 0. */
	assert_int_equal(stats__bootstrap_median_diff(a3, 3, b3, 3, false, 0.01, 5000, 1, &i1), 0);
	assert_true(i1.point == 0 && i1.lo < 0 && i1.hi > 0);
	/* Relative: b is half of a, every resample ratio is within [48/102, 52/98] - 1. */
	assert_int_equal(stats__bootstrap_median_diff(a, 5, b, 5, true, 0.01, 5000, 7, &i1), 0);
	assert_true(fabs(i1.point - (50.0 / 100 - 1)) < 1e-12);
	assert_true(i1.lo >= 48.0 / 102 - 1 && i1.hi <= 52.0 / 98 - 1);
	assert_int_equal(stats__bootstrap_median_diff(zero, 3, b3, 3, true, 0.01, 100, 1, &i1),
			 -EDOM);
	assert_int_equal(stats__bootstrap_median_diff(zero, 3, b3, 3, false, 0.01, 100, 1, &i1), 0);
	assert_int_equal(stats__bootstrap_median_diff(a3, 0, b3, 3, false, 0.01, 100, 1, &i1),
			 -EINVAL);
	assert_int_equal(stats__bootstrap_median_diff(a3, 3, b3, 3, false, 0, 100, 1, &i1),
			 -EINVAL);
	assert_int_equal(stats__bootstrap_median_diff(a3, 3, b3, 3, false, 0.01, 1, 1, &i1),
			 -EINVAL);
}

static void test_rng(void **state)
{
	struct stats_rng r1, r2;
	size_t hist[4] = { 0 };

	stats_rng__seed(&r1, 0);
	stats_rng__seed(&r2, 0);
	for (int i = 0; i < 100; i++)
		assert_true(stats_rng__next(&r1) == stats_rng__next(&r2));
	for (int i = 0; i < 40000; i++) {
		size_t k = stats_rng__below(&r1, 4);

		assert_true(k < 4);
		hist[k]++;
	}
	for (int i = 0; i < 4; i++)
		assert_true(hist[i] > 9500 && hist[i] < 10500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),		 cmocka_unit_test(test_mw_separated_exact),
		cmocka_unit_test(test_mw_interleaved),	 cmocka_unit_test(test_mw_ties),
		cmocka_unit_test(test_mw_normal_approx), cmocka_unit_test(test_mw_bad_input),
		cmocka_unit_test(test_bootstrap),	 cmocka_unit_test(test_rng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
