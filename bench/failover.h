/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `run --failover-at T`: one vf guest's VF is removed mid-copy and its traffic goes on over its
 * standby paravirtual NIC, then the VF comes back (docs/paths.md, "Failover"). This drives the
 * switch from the run's copy loop and turns the guest's progress trace into the record's
 * `failover` figures (docs/record.md).
 */
#ifndef IOVB_FAILOVER_H
#define IOVB_FAILOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "topo.h"

/* Recovered: throughput back to 80% of the pre-switch median. */
#define FAILOVER_RECOVERY_FRAC 0.8

/* One window's failover; times in CLOCK_MONOTONIC ns, or ns since the window opened. */
struct failover {
	size_t guest;	  /* topo__guest() index of the guest that fails over */
	const char *role; /* its role */
	uint64_t w0;	  /* CLOCK_MONOTONIC when the window opened */
	uint64_t at_ns;	  /* when the VF goes, since w0 */
	uint64_t back_ns; /* how long it stays away */
	/* Since w0, when each step completed (0 = not yet), and how long the steps took. */
	uint64_t switched_ns, restored_ns;
	uint64_t switch_cost_ns, restore_cost_ns;
	bool out;	    /* the VF is away now */
	bool restored_late; /* given back after the window closed (the copy ended first) */
	char error[256];    /* the step that failed, "" if none */
	/* The guest's progress reports near the switch: (ns since w0, bytes so far) pairs. */
	uint64_t *trace;
	size_t ntrace, trace_cap;
};

/* Keep a progress report of the guest (now: CLOCK_MONOTONIC ns) if it is near the switch:
 * from 2 s before it to 3 s after the VF is back. Best effort (no memory: not kept). The run
 * has the guest report every 10 ms or so (engine_client_conf.progress_ns). */
void failover__progress(struct failover *f, uint64_t now, uint64_t bytes);

/* Free what f holds (the trace); f stays readable otherwise. NULL-safe. */
void failover__free(struct failover *f);

/* CLOCK_MONOTONIC ns when the next step is due, UINT64_MAX when none is left. */
uint64_t failover__next(const struct failover *f);

/* Take the step that is due by now, if any. 0, or the step's -errno with f->error set. */
int failover__step(struct failover *f, struct topo *t);

/* The window closed: give the VF back if it is still away (restored_late). 0 or -errno. */
int failover__end(struct failover *f, struct topo *t);

/*
 * The figures come from the guest's own progress trace (reports every few ms), cut into bins of
 * a fine interval aligned on the event: bins after it start at the event, so no bin mixes the
 * time before and after. Bytes at a bin edge are interpolated linearly between the reports
 * around it. Definitions in docs/record.md ("Failover").
 */

/* The reference: the guest's rate before the switch, the median of these bins. */
#define FAILOVER_PRE_NS 1000000000ULL

/*
 * The rates (bit/s) of nbins bins of iv ns from `from` (ns since the window opened): bin k is
 * [from + k iv, from + (k + 1) iv). NaN for a bin the trace (n (ns, bytes) pairs, times in
 * increasing order) does not cover.
 */
void failover__bins(const uint64_t *trace, size_t n, uint64_t from, uint64_t iv, size_t nbins,
		    double *bps);

/* Median of the finite values of v; NaN without one. */
double failover__median(const double *v, size_t n);

/* What the bins after an event say, against the pre-switch reference ref_bps. */
struct failover_event {
	/*
	 * From the event to the start of the first bin at or above frac x ref_bps: 0 when the
	 * first bin already was (no dip); a multiple of the bin interval. NaN when the trace ends
	 * (a NaN bin) first, or without a reference.
	 */
	double recovery_s;
	/* The lowest bin before the recovery, below frac x ref_bps; NaN without a dip. */
	double dip_min_bps;
	/* Sum over those dip bins of (1 - rate / ref_bps) x interval: >= 0, 0 without a dip. */
	double dip_lost_s;
};

/* From the n bins after an event (post[0] starts at it), each iv_s seconds long. */
void failover__event(const double *post, size_t n, double ref_bps, double iv_s, double frac,
		     struct failover_event *out);

/*
 * From a progress trace: what the guest moved from switched to until (ns since the window
 * opened, bytes interpolated) against what rate_bps would have moved: *lost_s = max(0, (that
 * - moved) / rate) seconds, *moved_ratio = moved / that (above 1: faster than before). NaN
 * when the trace does not cover both ends or the rate is unknown.
 */
void failover__lost(const uint64_t *trace, size_t n, uint64_t switched, uint64_t until,
		    double rate_bps, double *lost_s, double *moved_ratio);

/* The run's `failover` object from f, its figures from bins of iv ns (0: 100 ms). */
json_t *failover__json(const struct failover *f, uint64_t iv);

#endif
