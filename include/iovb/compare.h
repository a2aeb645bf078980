/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Comparing records (docs/compare.md): per path and metric, the repetitions of a base record
 * against a new one, direction-aware, a regression only when the change of the medians exceeds
 * a threshold and is significant over the repetitions. And the export of a record's medians
 * for github-action-benchmark, the CI history.
 */
#ifndef IOVB_COMPARE_H
#define IOVB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define COMPARE_THRESHOLD 0.05 /* default: a 5% change of the medians matters */
#define COMPARE_ALPHA 0.01     /* default significance level */
#define COMPARE_ITERS 10000    /* bootstrap resamples */
#define COMPARE_SEED 0x10b7    /* bootstrap seed: the same records always give the same table */

struct compare_opts {
	double threshold; /* relative change of the medians beyond which a change matters, >= 0 */
	double alpha;	  /* significance level, in (0, 1) */
	unsigned iters;	  /* bootstrap resamples, >= 2 */
	uint64_t seed;	  /* bootstrap seed, mixed with the path and metric names per row */
};

/*
 * The per-repetition samples of a record, from its runs with status "ok":
 * { PATH: { METRIC: { "unit", "better": "higher"|"lower", "role" (CPU metrics), "values": [] } } }
 * with METRIC "throughput" (engine throughput_bps, bit/s) and "cpu_ns_per_byte.ROLE" (bpf NET_RX
 * of the role's devices + its threads' CPU net of bpf task_irq, per engine payload byte: the
 * definition of `iovbench report`). A path whose runs lack bpf has no CPU metrics, as in the
 * report. NULL with a one-line reason in err when the record has no usable run.
 */
json_t *compare__samples(const json_t *rec, char *err, size_t errlen);

/*
 * Compare base with new: { "threshold", "alpha", "bootstrap_iters", "rows": [ { "path",
 * "metric", "unit", "better", "n_base", "n_new", "base_median", "new_median", "change" (relative,
 * null when the base median is 0 and the new one is not), "test" ("mann-whitney" or
 * "bootstrap"), "p" (Mann-Whitney only), "interval" ([lo, hi], bootstrap), "interval_of"
 * ("relative change", or "difference" in the metric's unit when a base value is 0), "verdict"
 * ("ok", "regressed", "improved", "insignificant") } ], "regressions", "improvements",
 * "notes": [] }. NULL with a one-line reason in err when the records share no path and metric.
 */
json_t *compare__records(const json_t *base, const json_t *new, const struct compare_opts *o,
			 char *err, size_t errlen);

/* The comparison as a table, one row per path and metric, notes and a verdict line after. */
void compare__print(FILE *f, const json_t *res);

/*
 * github-action-benchmark's custom tool input (an array of { "name", "unit", "value", "range",
 * "extra" }) for the newest of recs (by meta.started; on a tie the later in the array): bigger
 * selects the customBiggerIsBetter metrics (throughput, Gbit/s), else the
 * customSmallerIsBetter ones (CPU ns per byte per role). The older records, when given, only
 * serve as a baseline mentioned in "extra". NULL with a reason in err on a bad record.
 */
json_t *compare__gab(json_t *const *recs, size_t n, bool bigger, char *err, size_t errlen);

/* `iovbench compare BASE NEW [--threshold P] [--alpha A] [--json]`: the exit status. */
int cmd_compare(int argc, char **argv);

/* `iovbench history --export gab-bigger|gab-smaller [-o FILE] RECORD...`: the exit status. */
int cmd_history(int argc, char **argv);

#endif
