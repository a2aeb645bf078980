// SPDX-License-Identifier: GPL-2.0
/* `run --failover-at`: the switch in a copy window and its figures (contract in failover.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "failover.h"
#include "iovb/record.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t failover__next(const struct failover *f)
{
	if (f->error[0] || (f->switched_ns && !f->out))
		return UINT64_MAX;
	return f->w0 + (f->out ? f->switched_ns + f->back_ns : f->at_ns);
}

int failover__step(struct failover *f, struct topo *t)
{
	uint64_t t0 = mono_ns();
	int err = 0;

	if (t0 < failover__next(f))
		goto cleanup;
	if (!f->out) {
		err = topo__failover(t, f->guest, f->error, sizeof(f->error));
		f->switch_cost_ns = mono_ns() - t0;
		/* Even a half-done switch (rule in, VF still there) must be undone at the end. */
		f->out = true;
		f->switched_ns = mono_ns() - f->w0;
	} else {
		err = topo__failback(t, f->guest, f->error, sizeof(f->error));
		f->restore_cost_ns = mono_ns() - t0;
		if (!err) {
			f->out = false;
			f->restored_ns = mono_ns() - f->w0;
		}
	}
cleanup:
	return err;
}

int failover__end(struct failover *f, struct topo *t)
{
	char e[256];
	uint64_t t0 = mono_ns();
	int err = 0;

	if (!f->out)
		goto cleanup;
	err = topo__failback(t, f->guest, e, sizeof(e));
	if (err) {
		if (!f->error[0])
			snprintf(f->error, sizeof(f->error), "%s", e);
		goto cleanup;
	}
	f->restore_cost_ns = mono_ns() - t0;
	f->out = false;
	f->restored_late = true;
cleanup:
	return err;
}

#define TRACE_BEFORE_NS 2000000000ULL
#define TRACE_AFTER_NS 3000000000ULL
#define TRACE_MAX 8192 /* reports come about every 100 ms: minutes of failback */

void failover__progress(struct failover *f, uint64_t now, uint64_t bytes)
{
	uint64_t since = now > f->w0 ? now - f->w0 : 0, *p;

	if (since + TRACE_BEFORE_NS < f->at_ns || f->error[0])
		return;
	if (f->switched_ns && !f->out && since > f->switched_ns + f->back_ns + TRACE_AFTER_NS)
		return;
	if (f->restored_ns && since > f->restored_ns + TRACE_AFTER_NS)
		return;
	if (f->ntrace == f->trace_cap) {
		size_t cap = f->trace_cap ? f->trace_cap * 2 : 128;

		if (cap > TRACE_MAX)
			return;
		p = realloc(f->trace, cap * 2 * sizeof(*p));
		if (!p)
			return;
		f->trace = p;
		f->trace_cap = cap;
	}
	f->trace[2 * f->ntrace] = since;
	f->trace[2 * f->ntrace + 1] = bytes;
	f->ntrace++;
}

void failover__free(struct failover *f)
{
	if (!f)
		return;
	free(f->trace);
	f->trace = NULL;
	f->ntrace = f->trace_cap = 0;
}

/* Index of the last report at or before t, or n when none. */
static size_t trace_at(const uint64_t *trace, size_t n, uint64_t t)
{
	size_t k = n;

	for (size_t i = 0; i < n && trace[2 * i] <= t; i++)
		k = i;
	return k;
}

void failover__lost(const uint64_t *trace, size_t n, uint64_t switched, uint64_t until,
		    double *rate_bps, double *lost_s)
{
	size_t a, s, e;
	double rate, dt;

	*rate_bps = *lost_s = NAN;
	s = trace_at(trace, n, switched);
	a = trace_at(trace, n, switched > 1000000000ULL ? switched - 1000000000ULL : 0);
	if (s == n)
		return;
	if (a == n)
		a = 0;
	dt = (double)(trace[2 * s] - trace[2 * a]) / 1e9;
	if (dt < 0.3 || trace[2 * s + 1] <= trace[2 * a + 1])
		return;
	rate = (double)(trace[2 * s + 1] - trace[2 * a + 1]) / dt;
	*rate_bps = rate * 8;
	e = trace_at(trace, n, until);
	if (e == n || e <= s)
		return;
	dt = (double)(trace[2 * e] - trace[2 * s]) / 1e9;
	*lost_s = (rate * dt - (double)(trace[2 * e + 1] - trace[2 * s + 1])) / rate;
}

/* The trace as {"t_s": [..], "bytes": [..]} and its longest gap between reports that saw
 * bytes move (ms; null with fewer than two moves). */
static void trace_json(const struct failover *f, json_t *o)
{
	json_t *t = json_array(), *b = json_array();
	uint64_t last_move = 0, gap = 0;
	size_t moves = 0;

	for (size_t i = 0; i < f->ntrace; i++) {
		uint64_t ts = f->trace[2 * i], by = f->trace[2 * i + 1];

		json_array_append_new(t, json_real((double)ts / 1e9));
		json_array_append_new(b, json_integer((json_int_t)by));
		if (i && by > f->trace[2 * i - 1]) {
			if (moves && ts - last_move > gap)
				gap = ts - last_move;
			last_move = ts;
			moves++;
		}
	}
	json_object_set_new(o, "progress",
			    json_pack("{ss so so}", "source",
				      "the guest's client progress reports (about every 100 ms), "
				      "from 2 s before the switch to 3 s after the VF is back: "
				      "seconds since the window opened, bytes so far",
				      "t_s", t, "bytes", b));
	json_object_set_new(o, "longest_gap_ms",
			    moves >= 2 ? json_real((double)gap / 1e6) : json_null());
	if (f->switched_ns) {
		/* Up to 1 s after the VF came back, or to the copy's end when it came back late. */
		uint64_t until = f->restored_ns ? f->restored_ns + 1000000000ULL : UINT64_MAX;
		double rate, lost;

		failover__lost(f->trace, f->ntrace, f->switched_ns, until, &rate, &lost);
		json_object_set_new(o, "guest_before_bps", record__real(rate));
		json_object_set_new(o, "guest_lost_s", record__real(lost));
	} else {
		json_object_set_new(o, "guest_before_bps", json_null());
		json_object_set_new(o, "guest_lost_s", json_null());
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void failover__figures(const double *t_s, const double *tp, size_t n, double switched_s,
		       double frac, struct failover_figures *out)
{
	double *pre = calloc(n ? n : 1, sizeof(*pre));
	size_t npre = 0, i, first = n;

	*out = (struct failover_figures){ NAN, NAN, NAN };
	if (!pre || !isfinite(switched_s))
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (t_s[i] <= switched_s) {
			if (isfinite(tp[i]))
				pre[npre++] = tp[i];
		} else if (first == n) {
			first = i; /* the interval the switch falls in */
		}
	}
	if (npre) {
		qsort(pre, npre, sizeof(*pre), cmp_double);
		out->pre_median_bps =
			npre % 2 ? pre[npre / 2] : (pre[npre / 2 - 1] + pre[npre / 2]) / 2;
	}
	for (i = first; i < n; i++) {
		if (isfinite(tp[i]) && (!isfinite(out->dip_min_bps) || tp[i] < out->dip_min_bps))
			out->dip_min_bps = tp[i];
		if (isfinite(out->pre_median_bps) && isfinite(tp[i]) &&
		    tp[i] >= frac * out->pre_median_bps) {
			out->recovery_s = t_s[i] - switched_s;
			break;
		}
	}
cleanup:
	free(pre);
}

static double s_of(uint64_t ns)
{
	return (double)ns / 1e9;
}

json_t *failover__json(const struct failover *f, const json_t *t_s, const json_t *tp)
{
	size_t n =
		t_s && tp && json_array_size(t_s) == json_array_size(tp) ? json_array_size(t_s) : 0;
	double *a = calloc(n ? 2 * n : 1, sizeof(*a));
	struct failover_figures fig = { NAN, NAN, NAN };
	json_t *o = json_object();

	for (size_t i = 0; a && i < n; i++) {
		json_t *v = json_array_get(tp, i);

		a[i] = json_number_value(json_array_get(t_s, i));
		a[n + i] = json_is_number(v) ? json_number_value(v) : NAN;
	}
	if (a && f->switched_ns)
		failover__figures(a, a + n, n, s_of(f->switched_ns), FAILOVER_RECOVERY_FRAC, &fig);
	free(a);
	json_object_set_new(o, "guest", json_string(f->role));
	json_object_set_new(o, "at_s", json_real(s_of(f->at_ns)));
	json_object_set_new(o, "failback_s", json_real(s_of(f->back_ns)));
	json_object_set_new(o, "switched_at_s",
			    f->switched_ns ? json_real(s_of(f->switched_ns)) : json_null());
	json_object_set_new(o, "restored_at_s",
			    f->restored_ns ? json_real(s_of(f->restored_ns)) : json_null());
	json_object_set_new(o, "restored_after_window", json_boolean(f->restored_late));
	json_object_set_new(o, "switch_ms",
			    f->switched_ns ? json_real((double)f->switch_cost_ns / 1e6)
					   : json_null());
	json_object_set_new(o, "restore_ms",
			    f->restored_ns || f->restored_late
				    ? json_real((double)f->restore_cost_ns / 1e6)
				    : json_null());
	json_object_set_new(o, "pre_switch_median_bps", record__real(fig.pre_median_bps));
	json_object_set_new(o, "recovery_frac", json_real(FAILOVER_RECOVERY_FRAC));
	json_object_set_new(o, "recovery_s", record__real(fig.recovery_s));
	json_object_set_new(o, "dip_min_bps", record__real(fig.dip_min_bps));
	json_object_set_new(o, "status",
			    json_string(f->error[0]	 ? "failed"
					: f->switched_ns ? "ok"
							 : "not reached"));
	if (f->error[0])
		json_object_set_new(o, "error", json_string(f->error));
	trace_json(f, o);
	return o;
}
