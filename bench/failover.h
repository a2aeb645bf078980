/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `run --failover-at T`: one vf guest's VF is removed mid-copy and its traffic goes on over its
 * standby paravirtual NIC, then the VF comes back (docs/paths.md, "Failover"). This drives the
 * switch from the run's copy loop and turns the window's per-second series into the record's
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
 * from 2 s before it to 3 s after the VF is back. Best effort (no memory: not kept). */
void failover__progress(struct failover *f, uint64_t now, uint64_t bytes);

/* Free what f holds (the trace); f stays readable otherwise. NULL-safe. */
void failover__free(struct failover *f);

/* CLOCK_MONOTONIC ns when the next step is due, UINT64_MAX when none is left. */
uint64_t failover__next(const struct failover *f);

/* Take the step that is due by now, if any. 0, or the step's -errno with f->error set. */
int failover__step(struct failover *f, struct topo *t);

/* The window closed: give the VF back if it is still away (restored_late). 0 or -errno. */
int failover__end(struct failover *f, struct topo *t);

/* What the series says about a switch at switched_s (seconds since the window opened). */
struct failover_figures {
	double pre_median_bps; /* median throughput of the intervals that ended by the switch */
	double recovery_s;     /* switch -> end of the first later interval at >= 80% of it */
	double dip_min_bps;    /* lowest throughput from the switch's interval to the recovery */
};

/*
 * From a series of n intervals (t_s[i]: end of interval i, seconds since the window opened;
 * tp[i] its throughput, NaN allowed): see struct failover_figures. NaN for what the series
 * cannot tell (no interval before the switch, no recovery before the window ended).
 */
void failover__figures(const double *t_s, const double *tp, size_t n, double switched_s,
		       double frac, struct failover_figures *out);

/*
 * From a progress trace (n (ns, bytes) pairs, times in increasing order): the guest's rate in
 * the last second up to switched (bit/s, over at least 300 ms of reports) and the seconds of
 * that rate lost from the last report by switched to the last report by until: (what that rate
 * would have moved - what moved) / rate, negative when it went faster. NaN when the trace
 * cannot tell.
 */
void failover__lost(const uint64_t *trace, size_t n, uint64_t switched, uint64_t until,
		    double *rate_bps, double *lost_s);

/* The run's `failover` object from f and the window's series arrays (either may be NULL). */
json_t *failover__json(const struct failover *f, const json_t *t_s, const json_t *tp);

#endif
