/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capacity plans from a record (docs/report.md): per path, the host and guest cores one guest
 * needs at a target rate, from the measured CPU ns per payload byte of each role with its spread
 * over repetitions, and how many such guests a host's core budget holds.
 */
#ifndef IOVB_PLAN_H
#define IOVB_PLAN_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

struct plan_opts {
	double target_bps; /* payload rate each guest must sustain, bit/s, > 0 */
	double host_cores; /* the host's core budget, > 0 */
	unsigned guests;   /* guests to place (headroom is for these); 0: as many as fit */
};

/* Cores kept busy when each payload byte costs ns_per_byte of CPU at rate_bps (bit/s). */
double plan__cores(double ns_per_byte, double rate_bps);

/*
 * Whole guests that fit in budget cores when each needs per_guest cores; -1 when per_guest is 0
 * (CPU sets no bound) and 0 when per_guest is not a finite positive number or 0.
 */
long plan__fit(double budget, double per_guest);

/*
 * The plan: { "target_bps", "host_cores", "guests" (null: as many as fit), "assumptions": [],
 * "paths": { PATH: { "repetitions", "guests_per_run", "guest_roles": [], "host_roles": [],
 * "not_counted": [], "throughput_bps_per_guest": {median,min,max}, "extrapolated",
 * "ns_per_byte": { "host"|"guest"|"total": {median,min,max} }, "cores_per_guest": (same keys),
 * "guests_per_host": {median,worst,best} (-1: no CPU bound), "placed", "host_cores_used" and
 * "headroom_cores": {median,worst}, "fits": {median,worst}, "notes": [] } }, "notes": [] }.
 * min/median/max are over repetitions of the per-repetition figure; "worst" uses the largest
 * cost. A path without bpf figures is left out with a note. NULL with a one-line reason in err
 * when no path can be planned.
 */
json_t *plan__build(const json_t *rec, const struct plan_opts *o, char *err, size_t errlen);

/* The plan as text: assumptions first, then one block per path. */
void plan__print(FILE *f, const json_t *plan);

/*
 * Write dir/plan.dat and dir/plan.gp: host cores used against guests placed, per path, with the
 * budget line; render with plot__render_script(dir, gnuplot, "plan", ...). 0 or -errno with a
 * one-line reason in err.
 */
int plan__write_plot(const json_t *plan, const char *dir, char *err, size_t errlen);

/* `iovbench plan RECORD --target-gbps G --host-cores C [--guests N] [--json] [-o DIR]`. */
int cmd_plan(int argc, char **argv);

#endif
