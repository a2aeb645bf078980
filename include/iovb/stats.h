/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small-sample statistics for comparing repetitions: median, the Mann-Whitney U test (exact
 * for small samples, ties included) and a seeded percentile bootstrap of a difference of
 * medians. No global state: the bootstrap's generator lives on the caller's stack, so the same
 * seed gives the same interval on every machine.
 */
#ifndef IOVB_STATS_H
#define IOVB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exact Mann-Whitney p-values up to this many values in both samples together. */
#define STATS_MW_EXACT_MAX 40

/* splitmix64: tiny, fast, and every 64-bit seed (0 included) is a good one. */
struct stats_rng {
	uint64_t state;
};

void stats_rng__seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng__next(struct stats_rng *r);
/* Uniform in [0, n), n > 0 (multiply-shift: bias below 2^-32 for the n used here). */
size_t stats_rng__below(struct stats_rng *r, size_t n);

/* Median of v[0..n) (mean of the middle two for even n), v untouched. -EINVAL if n is 0. */
int stats__median(const double *v, size_t n, double *out);

/*
 * Median of v[0..n) and its median absolute deviation, median(|v_i - median|) (unscaled:
 * multiply by 1.4826 for a normal sigma). v untouched. -EINVAL if n is 0, or -ENOMEM.
 */
int stats__median_mad(const double *v, size_t n, double *med, double *mad);

struct stats_mw {
	double u;   /* U of sample a: pairs (a_i, b_j) with a_i > b_j, ties counting 1/2 */
	double p;   /* two-sided p-value */
	bool exact; /* p from the exact permutation distribution, else normal approximation */
};

/*
 * Two-sided Mann-Whitney U test of a against b (finite values only). Up to STATS_MW_EXACT_MAX
 * values together, p is exact: the share of all C(na+nb, na) splits of the pooled mid-ranks
 * whose rank sum lies at least as far from its mean as the observed one, which stays exact with
 * ties. Above, the normal approximation with tie and continuity corrections. All values tied
 * gives p = 1. 0, -EINVAL (an empty sample or a non-finite value) or -ENOMEM.
 */
int stats__mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct stats_mw *res);

/*
 * The smallest two-sided p-value an exact Mann-Whitney test of samples this size can give
 * (complete separation, no ties): 2 / C(na+nb, na), at most 1. When it is not below alpha the
 * test cannot find anything at that level, whatever the data.
 */
double stats__mw_min_p(size_t na, size_t nb);

struct stats_interval {
	double point; /* median(b) - median(a), or median(b) / median(a) - 1 with ratio */
	double lo, hi;
};

/*
 * Percentile bootstrap of median(b) - median(a) or, with ratio, of the relative change
 * median(b) / median(a) - 1: `iters` times resample each sample with replacement (generator
 * seeded with `seed`), compute the statistic on the resample medians, and return the alpha/2
 * and 1 - alpha/2 quantiles of those (linear interpolation). 0, -EINVAL (empty sample,
 * non-finite value, alpha outside (0, 1), iters < 2), -EDOM (ratio with a value of a not > 0)
 * or -ENOMEM.
 */
int stats__bootstrap_median_diff(const double *a, size_t na, const double *b, size_t nb, bool ratio,
				 double alpha, unsigned iters, uint64_t seed,
				 struct stats_interval *out);

#endif
