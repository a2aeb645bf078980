// SPDX-License-Identifier: GPL-2.0
/* Small-sample statistics (contract in include/iovb/stats.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/stats.h"

void stats_rng__seed(struct stats_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t stats_rng__next(struct stats_rng *r)
{
	uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

size_t stats_rng__below(struct stats_rng *r, size_t n)
{
	/* The top 32 bits scaled by n: no modulo bias worth the name for n far below 2^32. */
	return (size_t)(((stats_rng__next(r) >> 32) * (uint64_t)n) >> 32);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v, sorting it in place. */
static double median_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool all_finite(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

int stats__median(const double *v, size_t n, double *out)
{
	double *tmp = NULL;
	int err = 0;

	if (!n) {
		err = -EINVAL;
		goto cleanup;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(tmp, v, n * sizeof(*tmp));
	*out = median_sort(tmp, n);
cleanup:
	free(tmp);
	return err;
}

int stats__median_mad(const double *v, size_t n, double *med, double *mad)
{
	double *tmp = NULL, m;
	int err = 0;

	if (!n) {
		err = -EINVAL;
		goto cleanup;
	}
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(tmp, v, n * sizeof(*tmp));
	m = median_sort(tmp, n);
	for (size_t i = 0; i < n; i++)
		tmp[i] = fabs(v[i] - m);
	*mad = median_sort(tmp, n);
	*med = m;
cleanup:
	free(tmp);
	return err;
}

struct pooled {
	double v;
	int from_a;
};

static int cmp_pooled(const void *a, const void *b)
{
	return cmp_double(&((const struct pooled *)a)->v, &((const struct pooled *)b)->v);
}

double stats__mw_min_p(size_t na, size_t nb)
{
	double c = 1;

	/* C(na+nb, na) built up as a product of exact ratios; doubles are plenty for a bound. */
	for (size_t i = 1; i <= na; i++)
		c = c * (double)(nb + i) / (double)i;
	return c > 2 ? 2 / c : 1;
}

/*
 * The exact conditional distribution of the doubled rank sum of a: over all ways to pick na of
 * the pooled doubled mid-ranks, how many give each sum. Doubled, mid-ranks of tied groups are
 * whole numbers, so ties need no approximation. Counts reach C(40, 20) ~ 1.4e11, exact in a
 * double.
 */
static int mw_exact_p(const int *rank2, size_t n, size_t na, long obs2, double *p)
{
	long max_sum = (long)(n * (n + 1)), mean2 = (long)(na * (n + 1));
	long dev = labs(obs2 - mean2);
	size_t width = (size_t)max_sum + 1;
	double *cnt = calloc((na + 1) * width, sizeof(*cnt)), hit = 0, total = 0;
	int err = 0;

	if (!cnt) {
		err = -ENOMEM;
		goto cleanup;
	}
	cnt[0] = 1;
	for (size_t i = 0; i < n; i++) {
		size_t kmax = i + 1 < na ? i + 1 : na;

		for (size_t k = kmax; k >= 1; k--)
			for (long s = max_sum; s >= rank2[i]; s--)
				cnt[k * width + s] += cnt[(k - 1) * width + s - rank2[i]];
	}
	for (long s = 0; s <= max_sum; s++) {
		double c = cnt[na * width + s];

		total += c;
		if (labs(s - mean2) >= dev)
			hit += c;
	}
	*p = hit / total;
cleanup:
	free(cnt);
	return err;
}

int stats__mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct stats_mw *res)
{
	size_t n = na + nb;
	struct pooled *pool = NULL;
	int *rank2 = NULL;
	double ties = 0; /* sum of t^3 - t over tie groups */
	long obs2 = 0;
	int err = 0;

	if (!na || !nb || !all_finite(a, na) || !all_finite(b, nb)) {
		err = -EINVAL;
		goto cleanup;
	}
	pool = malloc(n * sizeof(*pool));
	rank2 = malloc(n * sizeof(*rank2));
	if (!pool || !rank2) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < na; i++)
		pool[i] = (struct pooled){ a[i], 1 };
	for (size_t i = 0; i < nb; i++)
		pool[na + i] = (struct pooled){ b[i], 0 };
	qsort(pool, n, sizeof(*pool), cmp_pooled);
	for (size_t i = 0, j; i < n; i = j + 1) {
		double t;

		for (j = i; j + 1 < n && pool[j + 1].v == pool[i].v; j++)
			;
		/* 1-based ranks i+1..j+1 share the mid-rank (i+j+2)/2; doubled, a whole number. */
		for (size_t k = i; k <= j; k++) {
			rank2[k] = (int)(i + j + 2);
			if (pool[k].from_a)
				obs2 += rank2[k];
		}
		t = (double)(j - i + 1);
		ties += t * t * t - t;
	}
	res->u = obs2 / 2.0 - (double)na * (na + 1) / 2;
	res->exact = n <= STATS_MW_EXACT_MAX;
	if (ties == (double)n * n * n - n) {
		/* One tie group: every split has the same rank sum, there is nothing to test. */
		res->p = 1;
	} else if (res->exact) {
		err = mw_exact_p(rank2, n, na, obs2, &res->p);
		if (err)
			goto cleanup;
	} else {
		double mu = (double)na * nb / 2;
		double var = (double)na * nb / 12 * ((n + 1) - ties / ((double)n * (n - 1)));
		double z = (fabs(res->u - mu) - 0.5) / sqrt(var);

		res->p = z > 0 ? erfc(z / M_SQRT2) : 1;
	}
	if (res->p > 1)
		res->p = 1;
cleanup:
	free(rank2);
	free(pool);
	return err;
}

/* Type-7 quantile (linear between order statistics) of sorted x[0..n). */
static double quantile_sorted(const double *x, size_t n, double q)
{
	double h = (n - 1) * q;
	size_t lo = (size_t)floor(h);

	if (lo + 1 >= n)
		return x[n - 1];
	return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

int stats__bootstrap_median_diff(const double *a, size_t na, const double *b, size_t nb, bool ratio,
				 double alpha, unsigned iters, uint64_t seed,
				 struct stats_interval *out)
{
	double *diffs = NULL, *ra = NULL, *rb = NULL, ma, mb;
	struct stats_rng rng;
	int err = 0;

	if (!na || !nb || !all_finite(a, na) || !all_finite(b, nb) || !(alpha > 0 && alpha < 1) ||
	    iters < 2) {
		err = -EINVAL;
		goto cleanup;
	}
	/* Resample medians of a are its values or means of two: all > 0, never a division by 0. */
	for (size_t i = 0; ratio && i < na; i++) {
		if (!(a[i] > 0)) {
			err = -EDOM;
			goto cleanup;
		}
	}
	diffs = malloc(iters * sizeof(*diffs));
	ra = malloc(na * sizeof(*ra));
	rb = malloc(nb * sizeof(*rb));
	if (!diffs || !ra || !rb) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = stats__median(a, na, &ma);
	if (!err)
		err = stats__median(b, nb, &mb);
	if (err)
		goto cleanup;
	out->point = ratio ? mb / ma - 1 : mb - ma;
	stats_rng__seed(&rng, seed);
	for (unsigned it = 0; it < iters; it++) {
		for (size_t i = 0; i < na; i++)
			ra[i] = a[stats_rng__below(&rng, na)];
		for (size_t i = 0; i < nb; i++)
			rb[i] = b[stats_rng__below(&rng, nb)];
		ma = median_sort(ra, na);
		mb = median_sort(rb, nb);
		diffs[it] = ratio ? mb / ma - 1 : mb - ma;
	}
	qsort(diffs, iters, sizeof(*diffs), cmp_double);
	out->lo = quantile_sorted(diffs, iters, alpha / 2);
	out->hi = quantile_sorted(diffs, iters, 1 - alpha / 2);
cleanup:
	free(rb);
	free(ra);
	free(diffs);
	return err;
}
