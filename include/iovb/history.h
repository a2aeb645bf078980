/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CI regression graph (docs/compare.md): per path and metric, each record's median across
 * a series of records, a rolling baseline (median of the previous K records' medians) with a
 * band of a few median absolute deviations, and the points outside the band on the bad side.
 */
#ifndef IOVB_HISTORY_H
#define IOVB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define HISTORY_WINDOW 5     /* default K: previous records forming the baseline */
#define HISTORY_MIN_BASE 3   /* fewest previous records that make a baseline (or K if smaller) */
#define HISTORY_MADS 3.0     /* band half-width in scaled MADs (1.4826 x MAD ~ one sigma) */
#define HISTORY_MIN_REL 0.05 /* and at least this share of the baseline median */

struct history_opts {
	unsigned window; /* K >= 2 */
	double mads;	 /* > 0 */
	double min_rel;	 /* >= 0 */
};

/*
 * Order records for the graph: by meta.started (ISO 8601 UTC sorts as text; ties keep argument
 * order) or, with revs (oldest first, any prefix length), by the position of meta.tool.git_rev
 * in it, then by started. Fills idx[0..n) with the order. -ENOENT with a one-line reason in err
 * when a record's rev is not in revs.
 */
int history__order(json_t *const *recs, const char *const *files, size_t n, const char *const *revs,
		   size_t nrevs, size_t *idx, char *err, size_t errlen);

/*
 * The series of recs taken in that order: { "window", "mads", "min_rel", "records": [ { "file",
 * "started", "rev", "label" } ], "series": [ { "path", "metric", "unit", "better", "points":
 * [ { "record" (index in records), "value" (median over repetitions), "min", "max", "n",
 * "baseline", "lo", "hi" (null without a baseline), "verdict": "ok" | "regressed" | "improved"
 * | "no baseline" } ] } ], "regressions": [ { "path", "metric", "record", "file", "value",
 * "baseline", "lo", "hi" } ], "newest_regressed": bool }. Metrics as compare__samples, with the
 * guest roles summed into "cpu_ns_per_byte.guest"; throughput in bit/s. NULL with a one-line
 * reason in err on a record with no usable run.
 */
json_t *history__series(json_t *const *recs, const char *const *files, size_t n,
			const struct history_opts *o, char *err, size_t errlen);

/*
 * Write STEM.dat and STEM.gp beside graph (graph = DIR/STEM.svg or DIR/STEM.png): one panel per
 * metric, one line per path with min-max error bars, the baseline and its band, regressions
 * circled. 0, -EINVAL (graph is not .svg or .png) or -errno, with a one-line reason in err.
 */
int history__write(const json_t *hist, const char *graph, char *err, size_t errlen);

/*
 * Render graph from the STEM.gp history__write left beside it, with gnuplot (NULL: from PATH).
 * As plot__render_script: -ENOENT when gnuplot is missing, -EIO when it failed.
 */
int history__render(const char *graph, const char *gnuplot, char *err, size_t errlen);

#endif
