// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for bench/failover.c: the figures the failing-over guest's progress gives (bins,
 * pre-switch median, dip, recovery time, time lost) and the record's `failover` object. No root, no topology.
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

/* A trace from a rate function: (ms, bytes) every step ms from 0 to end ms. */
static size_t trace_of(uint64_t *tr, size_t cap, uint64_t step, uint64_t end,
		       uint64_t (*bytes_at)(uint64_t ms))
{
	size_t n = 0;

	for (uint64_t ms = 0; ms <= end && n < cap; ms += step, n++) {
		tr[2 * n] = ms * 1000000;
		tr[2 * n + 1] = bytes_at(ms);
	}
	return n;
}

/* 1 GB/s until 2 s, stalled 2.0-2.5 s, half speed to 3.5 s, then 1 GB/s again. */
static uint64_t dip_bytes(uint64_t ms)
{
	return ms <= 2000   ? ms * 1000000
	       : ms <= 2500 ? 2000000000ULL
	       : ms <= 3500 ? 2000000000ULL + (ms - 2500) * 500000
			    : 2500000000ULL + (ms - 3500) * 1000000;
}

static void test_bins(void **state)
{
	uint64_t tr[2 * 600];
	size_t n = trace_of(tr, 600, 10, 5000, dip_bytes);
	double b[8];

	(void)state;
	/* 100 ms bins from 1.9 s: 8 Gbit/s, then the stall, interpolated exactly */
	failover__bins(tr, n, 1900000000ULL, 100000000ULL, 8, b);
	assert_true(fabs(b[0] - 8e9) < 1);
	assert_true(fabs(b[1]) < 1);
	assert_true(fabs(b[5]) < 1 && fabs(b[6] - 4e9) < 1);
	/* Reports 7 ms apart, a bin edge between two: still exact (linear in between). */
	n = trace_of(tr, 600, 7, 4000, dip_bytes);
	failover__bins(tr, n, 1000000000ULL, 100000000ULL, 2, b);
	assert_true(fabs(b[0] - 8e9) < 1 && fabs(b[1] - 8e9) < 1);
	/* Outside the trace: unknown. */
	failover__bins(tr, n, 3950000000ULL, 100000000ULL, 2, b);
	assert_true(isnan(b[0]) && isnan(b[1]));
	failover__bins(NULL, 0, 0, 100000000ULL, 1, b);
	assert_true(isnan(b[0]));
}

static void test_median(void **state)
{
	const double v[] = { 3, NAN, 1, 2, 10 };

	(void)state;
	assert_true(failover__median(v, 5) == 2.5);
	assert_true(failover__median(v, 3) == 2);
	assert_true(isnan(failover__median(v + 1, 1)));
	assert_true(isnan(failover__median(NULL, 0)));
}

static void test_event(void **state)
{
	/* 10 Gbit/s before; after the switch a stall, 4-5 Gbit/s, then 9 */
	const double post[] = { 0, 4e9, 5e9, 9e9, 2e9 };
	const double flat[] = { 9.7e9, 10.3e9, 1e9 };
	const double ended[] = { 1e9, 2e9, NAN, 9e9 };
	struct failover_event e;

	(void)state;
	failover__event(post, 5, 10e9, 0.1, 0.8, &e);
	assert_true(fabs(e.recovery_s - 0.3) < 1e-12); /* the 4th bin starts 0.3 s after */
	assert_true(e.dip_min_bps == 0);
	assert_true(fabs(e.dip_lost_s - (0.1 + 0.06 + 0.05)) < 1e-12);
	/* No bin below 80%: recovered at once, no dip, nothing lost (not a dip above the median) */
	failover__event(flat, 3, 10e9, 0.1, 0.8, &e);
	assert_true(e.recovery_s == 0 && isnan(e.dip_min_bps) && e.dip_lost_s == 0);
	/* The trace ends in the dip: no recovery; the dip so far. */
	failover__event(ended, 4, 10e9, 0.1, 0.8, &e);
	assert_true(isnan(e.recovery_s) && e.dip_min_bps == 1e9);
	assert_true(fabs(e.dip_lost_s - 0.17) < 1e-12);
	/* No reference: nothing can be said. */
	failover__event(post, 5, NAN, 0.1, 0.8, &e);
	assert_true(isnan(e.recovery_s) && isnan(e.dip_min_bps) && isnan(e.dip_lost_s));
}

static void test_lost(void **state)
{
	uint64_t tr[2 * 64];
	size_t n = trace_of(tr, 64, 100, 5000, dip_bytes);
	double lost, ratio;

	(void)state;
	/* 0.5 s stalled + 1 s at half speed = 1 s lost of 2.5 s: moved 60% */
	failover__lost(tr, n, 2000000000ULL, 4500000000ULL, 8e9, &lost, &ratio);
	assert_true(fabs(lost - 1.0) < 1e-9);
	assert_true(fabs(ratio - 0.6) < 1e-9);
	/* Faster than the reference: nothing lost, and the ratio says how much faster. */
	failover__lost(tr, n, 3500000000ULL, 4500000000ULL, 4e9, &lost, &ratio);
	assert_true(lost == 0 && fabs(ratio - 2) < 1e-9);
	/* Past the trace's end: up to its last report. */
	failover__lost(tr, n, 4000000000ULL, UINT64_MAX, 8e9, &lost, &ratio);
	assert_true(fabs(lost) < 1e-9 && fabs(ratio - 1) < 1e-9);
	/* Unknown rate or a switch outside the trace: unknown. */
	failover__lost(tr, n, 2000000000ULL, 4500000000ULL, NAN, &lost, &ratio);
	assert_true(isnan(lost) && isnan(ratio));
	failover__lost(tr, n, 6000000000ULL, UINT64_MAX, 8e9, &lost, &ratio);
	assert_true(isnan(lost) && isnan(ratio));
	failover__lost(NULL, 0, 1, 2, 8e9, &lost, &ratio);
	assert_true(isnan(lost) && isnan(ratio));
}

static double jnum(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void test_json(void **state)
{
	uint64_t tr[2 * 600];
	struct failover fo = { .role = "guest-3",
			       .at_ns = 2000000000ULL,
			       .back_ns = 1000000000ULL,
			       .switched_ns = 2000000000ULL,
			       .restored_ns = 3100000000ULL,
			       .trace = tr };
	json_t *o, *fb;

	(void)state;
	fo.ntrace = trace_of(tr, 600, 10, 5000, dip_bytes);
	o = failover__json(&fo, 100000000ULL);
	assert_string_equal(json_string_value(json_object_get(o, "guest")), "guest-3");
	assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
	assert_true(jnum(o, "at_s") == 2.0 && jnum(o, "failback_s") == 1.0);
	assert_true(fabs(jnum(o, "switched_at_s") - 2.0) < 1e-9);
	assert_true(fabs(jnum(o, "restored_at_s") - 3.1) < 1e-9);
	assert_true(fabs(jnum(o, "pre_switch_median_bps") - 8e9) < 1);
	assert_true(fabs(jnum(o, "guest_before_bps") - 8e9) < 1);
	/* stalled 0.5 s, then half speed (not >= 80%) until 3.5 s: back 1.5 s after the switch */
	assert_true(fabs(jnum(o, "recovery_s") - 1.5) < 1e-9);
	assert_true(fabs(jnum(o, "dip_min_bps")) < 1);
	assert_true(fabs(jnum(o, "dip_lost_s") - 1.0) < 1e-9);
	/* from the switch to 1 s after the VF came back (4.1 s): 1 s lost, 2.1 s asked */
	assert_true(fabs(jnum(o, "guest_lost_s") - 1.0) < 1e-9);
	assert_true(fabs(jnum(o, "guest_moved_ratio") - 1.1 / 2.1) < 1e-9);
	/* the VF back at 3.1 s: half speed until 3.5 s, then full: 0.4 s to recover */
	fb = json_object_get(o, "failback");
	assert_true(fabs(jnum(fb, "recovery_s") - 0.4) < 1e-9);
	assert_true(fabs(jnum(fb, "dip_min_bps") - 4e9) < 1);
	/* the bins: 10 before, 30 after the switch (to the trace's end), ends on the grid */
	fb = json_object_get(o, "bins");
	assert_true(json_array_size(json_object_get(fb, "t_s")) == 40);
	assert_true(fabs(json_number_value(json_array_get(json_object_get(fb, "t_s"), 10)) -
			 2.1) < 1e-9);
	assert_true(json_array_size(json_object_get(o, "progress") ?
					    json_object_get(json_object_get(o, "progress"), "t_s") :
					    NULL) == fo.ntrace);
	json_decref(o);
	/* A copy that ended before T: nothing happened, nothing invented. */
	fo.switched_ns = fo.restored_ns = 0;
	o = failover__json(&fo, 100000000ULL);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "not reached");
	assert_true(json_is_null(json_object_get(o, "switched_at_s")));
	assert_true(json_is_null(json_object_get(o, "recovery_s")));
	assert_true(json_is_null(json_object_get(o, "dip_min_bps")));
	assert_true(json_is_null(json_object_get(o, "guest_lost_s")));
	json_decref(o);
	/* A switch with no trace around it: no figures. */
	fo.switched_ns = 2000000000ULL;
	fo.ntrace = 0;
	snprintf(fo.error, sizeof(fo.error), "tc: failed");
	o = failover__json(&fo, 0);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(o, "error")), "tc: failed");
	assert_true(json_is_null(json_object_get(o, "pre_switch_median_bps")));
	assert_true(json_is_null(json_object_get(o, "recovery_s")));
	json_decref(o);
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
		cmocka_unit_test(test_bins),
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
