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
#define TRACE_MAX 65536 /* reports come about every 10 ms: minutes of failback */

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

/* Bytes at t, interpolated between the reports around it; NaN outside the trace. */
static double trace_bytes_at(const uint64_t *trace, size_t n, uint64_t t)
{
	size_t lo = 0, hi;

	if (!n || t < trace[0] || t > trace[2 * (n - 1)])
		return NAN;
	hi = n - 1;
	/* the last report at or before t */
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;

		if (trace[2 * mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo == n - 1 || trace[2 * lo] == t)
		return (double)trace[2 * lo + 1];
	return (double)trace[2 * lo + 1] +
	       (double)(trace[2 * lo + 3] - trace[2 * lo + 1]) * (double)(t - trace[2 * lo]) /
		       (double)(trace[2 * lo + 2] - trace[2 * lo]);
}

void failover__bins(const uint64_t *trace, size_t n, uint64_t from, uint64_t iv, size_t nbins,
		    double *bps)
{
	for (size_t k = 0; k < nbins; k++) {
		double a = trace_bytes_at(trace, n, from + k * iv);
		double b = trace_bytes_at(trace, n, from + (k + 1) * iv);

		bps[k] = isfinite(a) && isfinite(b) && iv ? (b - a) * 8 / ((double)iv / 1e9) : NAN;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double failover__median(const double *v, size_t n)
{
	double *f = calloc(n ? n : 1, sizeof(*f)), m = NAN;
	size_t k = 0;

	if (!f)
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			f[k++] = v[i];
	if (k) {
		qsort(f, k, sizeof(*f), cmp_double);
		m = k % 2 ? f[k / 2] : (f[k / 2 - 1] + f[k / 2]) / 2;
	}
	free(f);
	return m;
}

void failover__event(const double *post, size_t n, double ref_bps, double iv_s, double frac,
		     struct failover_event *out)
{
	*out = (struct failover_event){ NAN, NAN, NAN };
	if (!(ref_bps > 0))
		return;
	out->dip_lost_s = 0;
	for (size_t k = 0; k < n && isfinite(post[k]); k++) {
		if (post[k] >= frac * ref_bps) {
			out->recovery_s = (double)k * iv_s;
			return;
		}
		if (!isfinite(out->dip_min_bps) || post[k] < out->dip_min_bps)
			out->dip_min_bps = post[k];
		out->dip_lost_s += (1 - post[k] / ref_bps) * iv_s;
	}
}

void failover__lost(const uint64_t *trace, size_t n, uint64_t switched, uint64_t until,
		    double rate_bps, double *lost_s, double *moved_ratio)
{
	double a = trace_bytes_at(trace, n, switched), b, want;

	*lost_s = *moved_ratio = NAN;
	/* to the last report when until is past the trace (the copy ended first) */
	if (n && until > trace[2 * (n - 1)])
		until = trace[2 * (n - 1)];
	b = trace_bytes_at(trace, n, until);
	if (!isfinite(a) || !isfinite(b) || !(rate_bps > 0) || until <= switched)
		return;
	want = rate_bps / 8 * (double)(until - switched) / 1e9;
	*moved_ratio = (b - a) / want;
	*lost_s = want > b - a ? (want - (b - a)) / (rate_bps / 8) : 0;
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
				      "the guest's client progress reports (about every 10 ms), "
				      "from 2 s before the switch to 3 s after the VF is back: "
				      "seconds since the window opened, bytes so far",
				      "t_s", t, "bytes", b));
	json_object_set_new(o, "longest_gap_ms",
			    moves >= 2 ? json_real((double)gap / 1e6) : json_null());
}

static double s_of(uint64_t ns)
{
	return (double)ns / 1e9;
}

static json_t *event_json(const struct failover_event *e)
{
	return json_pack("{so so so}", "recovery_s", record__real(e->recovery_s), "dip_min_bps",
			 record__real(e->dip_min_bps), "dip_lost_s", record__real(e->dip_lost_s));
}

/*
 * The guest's bins around the switch: up to FAILOVER_PRE_NS before it (pre[]), and from it to
 * the trace's end (post[]), and the figures. Fills o.
 */
static void figures_json(const struct failover *f, uint64_t iv, json_t *o)
{
	uint64_t sw = f->switched_ns, last = f->ntrace ? f->trace[2 * (f->ntrace - 1)] : 0;
	size_t npre = 0, npost = 0, nback = 0;
	double *pre = NULL, *post = NULL, *back = NULL, ref = NAN, lost, ratio;
	struct failover_event ev = { NAN, NAN, NAN }, evb = { NAN, NAN, NAN };
	json_t *ft = json_array(), *fb = json_array();

	if (sw && f->ntrace && last > sw) {
		npre = (size_t)((sw > FAILOVER_PRE_NS ? FAILOVER_PRE_NS : sw) / iv);
		npost = (size_t)((last - sw) / iv);
		if (f->restored_ns && last > f->restored_ns)
			nback = (size_t)((last - f->restored_ns) / iv);
		pre = calloc(npre + 1, sizeof(*pre));
		post = calloc(npost + 1, sizeof(*post));
		back = calloc(nback + 1, sizeof(*back));
	}
	if (pre && post && back) {
		failover__bins(f->trace, f->ntrace, sw - npre * iv, iv, npre, pre);
		failover__bins(f->trace, f->ntrace, sw, iv, npost, post);
		failover__bins(f->trace, f->ntrace, f->restored_ns, iv, nback, back);
		ref = failover__median(pre, npre);
		failover__event(post, npost, ref, (double)iv / 1e9, FAILOVER_RECOVERY_FRAC, &ev);
		if (f->restored_ns)
			failover__event(back, nback, ref, (double)iv / 1e9, FAILOVER_RECOVERY_FRAC,
					&evb);
		for (size_t k = 0; k < npre + npost; k++) {
			double v = k < npre ? pre[k] : post[k - npre];

			json_array_append_new(ft, json_real(s_of(sw - npre * iv + (k + 1) * iv)));
			json_array_append_new(fb, record__real(v));
		}
	}
	json_object_set_new(o, "pre_switch_median_bps", record__real(ref));
	json_object_set_new(o, "recovery_frac", json_real(FAILOVER_RECOVERY_FRAC));
	json_object_set_new(o, "recovery_s", record__real(ev.recovery_s));
	json_object_set_new(o, "dip_min_bps", record__real(ev.dip_min_bps));
	json_object_set_new(o, "dip_lost_s", record__real(ev.dip_lost_s));
	json_object_set_new(o, "failback", f->restored_ns ? event_json(&evb) : json_null());
	/* From the switch to 1 s after the VF came back, or to the copy's end when it came back late. */
	failover__lost(f->trace, f->ntrace, sw, f->restored_ns ? f->restored_ns + 1000000000ULL :
								  UINT64_MAX,
		       ref, &lost, &ratio);
	json_object_set_new(o, "guest_before_bps", record__real(ref));
	json_object_set_new(o, "guest_lost_s", record__real(sw ? lost : NAN));
	json_object_set_new(o, "guest_moved_ratio", record__real(sw ? ratio : NAN));
	json_object_set_new(o, "bins",
			    json_pack("{sf so so ss}", "interval_s", (double)iv / 1e9, "t_s", ft,
				      "throughput_bps", fb, "source",
				      "the guest's progress, bytes interpolated at the bin edges; "
				      "bins aligned on the switch: t_s is each bin's end, seconds "
				      "since the window opened"));
	free(pre);
	free(post);
	free(back);
}

json_t *failover__json(const struct failover *f, uint64_t iv)
{
	json_t *o = json_object();

	if (!iv)
		iv = 100000000ULL;
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
	figures_json(f, iv, o);
	json_object_set_new(o, "status",
			    json_string(f->error[0]	 ? "failed"
					: f->switched_ns ? "ok"
							 : "not reached"));
	if (f->error[0])
		json_object_set_new(o, "error", json_string(f->error));
	trace_json(f, o);
	return o;
}
