// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for bench/failover.c: the figures a failover window's series gives (pre-switch
 * median, dip, recovery time) and the record's `failover` object. No root, no topology.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../bench/failover.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_dip_and_recovery(void **state)
{
	/* 10 Gbit/s on the VF, 4-5 on the standby, back to 10 after the VF returns. */
	const double t[] = { 1, 2, 3, 4, 5, 6, 6.5 };
	const double tp[] = { 8e9, 10e9, 5e9, 4e9, 9e9, 10e9, 10e9 };
	struct failover_figures f;

	(void)state;
	failover__figures(t, tp, N(t), 2.04, 0.8, &f);
	assert_true(f.pre_median_bps == 9e9); /* median of 8 and 10 */
	assert_true(f.dip_min_bps == 4e9);
	/* First interval after the switch at >= 7.2e9: the one ending at 5 s. */
	assert_true(fabs(f.recovery_s - (5 - 2.04)) < 1e-9);
}

static void test_no_dip(void **state)
{
	const double t[] = { 1, 2, 3, 4 };
	const double tp[] = { 1e9, 1e9, 0.95e9, 1e9 };
	struct failover_figures f;

	(void)state;
	failover__figures(t, tp, N(t), 2.0, 0.8, &f);
	assert_true(f.pre_median_bps == 1e9);
	/* Recovered in the switch's own interval; its end is the recovery (1 s resolution). */
	assert_true(fabs(f.recovery_s - 1.0) < 1e-9);
	assert_true(f.dip_min_bps == 0.95e9);
}

static void test_unknowable(void **state)
{
	const double t[] = { 1, 2, 3 };
	const double tp[] = { 1e9, 0.1e9, NAN };
	struct failover_figures f;

	(void)state;
	/* No interval ended before the switch: no median, hence no recovery; the dip is known. */
	failover__figures(t, tp, N(t), 0.5, 0.8, &f);
	assert_true(isnan(f.pre_median_bps));
	assert_true(isnan(f.recovery_s));
	assert_true(f.dip_min_bps == 0.1e9);
	/* Never back to 80% before the end. */
	failover__figures(t, tp, N(t), 1.5, 0.8, &f);
	assert_true(f.pre_median_bps == 1e9);
	assert_true(isnan(f.recovery_s));
	assert_true(f.dip_min_bps == 0.1e9);
	/* No switch at all, or an empty series. */
	failover__figures(t, tp, N(t), NAN, 0.8, &f);
	assert_true(isnan(f.pre_median_bps) && isnan(f.recovery_s) && isnan(f.dip_min_bps));
	failover__figures(NULL, NULL, 0, 1, 0.8, &f);
	assert_true(isnan(f.pre_median_bps) && isnan(f.recovery_s) && isnan(f.dip_min_bps));
}

static void test_json(void **state)
{
	struct failover fo = { .role = "guest-3",
			       .at_ns = 2000000000ULL,
			       .back_ns = 1000000000ULL,
			       .switched_ns = 2040000000ULL,
			       .restored_ns = 3100000000ULL };
	json_t *t = json_pack("[fff]", 1.0, 2.0, 3.0), *tp = json_pack("[ffn]", 1e9, 1e9, NULL);
	json_t *o = failover__json(&fo, t, tp);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(o, "guest")), "guest-3");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
	assert_true(json_real_value(json_object_get(o, "at_s")) == 2.0);
	assert_true(json_real_value(json_object_get(o, "failback_s")) == 1.0);
	assert_true(fabs(json_real_value(json_object_get(o, "switched_at_s")) - 2.04) < 1e-9);
	assert_true(fabs(json_real_value(json_object_get(o, "restored_at_s")) - 3.1) < 1e-9);
	assert_true(json_real_value(json_object_get(o, "pre_switch_median_bps")) == 1e9);
	/* null throughput in the series stays unknown: no recovery, no dip */
	assert_true(json_is_null(json_object_get(o, "recovery_s")));
	assert_true(json_is_null(json_object_get(o, "dip_min_bps")));
	json_decref(o);
	/* A copy that ended before T: nothing happened, nothing invented. */
	fo.switched_ns = fo.restored_ns = 0;
	o = failover__json(&fo, t, tp);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "not reached");
	assert_true(json_is_null(json_object_get(o, "switched_at_s")));
	assert_true(json_is_null(json_object_get(o, "recovery_s")));
	json_decref(o);
	snprintf(fo.error, sizeof(fo.error), "tc: failed");
	o = failover__json(&fo, NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(o, "error")), "tc: failed");
	json_decref(o);
	json_decref(t);
	json_decref(tp);
}

static void test_lost(void **state)
{
	/* 1 GB/s until 2 s, stalled 2.0-2.5 s, half speed to 3.5 s, then 1 GB/s again. */
	uint64_t tr[2 * 64];
	size_t n = 0;
	double rate, lost;

	(void)state;
	for (uint64_t ms = 0; ms <= 5000; ms += 100) {
		uint64_t b = ms <= 2000	  ? ms * 1000000
			     : ms <= 2500 ? 2000000000ULL
			     : ms <= 3500 ? 2000000000ULL + (ms - 2500) * 500000
					  : 2500000000ULL + (ms - 3500) * 1000000;

		tr[2 * n] = ms * 1000000;
		tr[2 * n + 1] = b;
		n++;
	}
	failover__lost(tr, n, 2000000000ULL, 4500000000ULL, &rate, &lost);
	assert_true(fabs(rate - 8e9) < 1);
	/* 0.5 s stalled + 1 s at half speed = 1 s lost */
	assert_true(fabs(lost - 1.0) < 1e-9);
	/* Switch before enough reports: unknown rate, unknown loss. */
	failover__lost(tr, n, 200000000ULL, 4500000000ULL, &rate, &lost);
	assert_true(isnan(rate) && isnan(lost));
	/* Nothing after the switch: rate known, loss not. */
	failover__lost(tr, 21, 2000000000ULL, 4500000000ULL, &rate, &lost);
	assert_true(fabs(rate - 8e9) < 1 && isnan(lost));
	failover__lost(NULL, 0, 1, 2, &rate, &lost);
	assert_true(isnan(rate) && isnan(lost));
}

static void test_next(void **state)
{
	struct failover fo = { .w0 = 1000, .at_ns = 2000, .back_ns = 500 };

	(void)state;
	assert_true(failover__next(&fo) == 3000);
	fo.out = true;
	fo.switched_ns = 2100;
	assert_true(failover__next(&fo) == 1000 + 2100 + 500);
	fo.out = false;
	fo.restored_ns = 2700;
	assert_true(failover__next(&fo) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dip_and_recovery),
		cmocka_unit_test(test_no_dip),
		cmocka_unit_test(test_unknowable),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
