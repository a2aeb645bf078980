// SPDX-License-Identifier: GPL-2.0
/*
 * Records over time -> per path and metric series, rolling baselines, regressions -> one
 * gnuplot graph. The per-repetition figures come from compare__samples, so a point of the
 * graph is the median `iovbench compare` and `report` would give for that record.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/compare.h"
#include "iovb/errf.h"
#include "iovb/history.h"
#include "iovb/plot.h"
#include "iovb/record.h"
#include "iovb/stats.h"

#define MAD_SIGMA 1.4826 /* MAD x this estimates a normal sigma */

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static const char *rev_of(const json_t *rec)
{
	return str(json_object_get(json_object_get(rec, "meta"), "tool"), "git_rev");
}

static const char *started_of(const json_t *rec)
{
	return str(json_object_get(rec, "meta"), "started");
}

/* Index of rev in revs (prefix either way, at least 4 characters), or -1. */
static long rev_pos(const char *rev, const char *const *revs, size_t nrevs)
{
	size_t lr = strlen(rev);

	if (lr < 4)
		return -1;
	for (size_t i = 0; i < nrevs; i++) {
		size_t l = strlen(revs[i]);

		if (l >= 4 && !strncmp(rev, revs[i], l < lr ? l : lr))
			return (long)i;
	}
	return -1;
}

int history__order(json_t *const *recs, const char *const *files, size_t n, const char *const *revs,
		   size_t nrevs, size_t *idx, char *err, size_t errlen)
{
	long *pos = calloc(n + 1, sizeof(*pos));
	int ret = 0;

	if (!pos) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		idx[i] = i;
		pos[i] = revs ? rev_pos(rev_of(recs[i]), revs, nrevs) : 0;
		if (pos[i] < 0) {
			ret = -ENOENT;
			iovb_errf(err, errlen, "%s: git rev '%s' is not in the --revs list",
				  files[i], rev_of(recs[i]));
			goto cleanup;
		}
	}
	/* Insertion sort: stable, and n is a CI history (hundreds at most). */
	for (size_t i = 1; i < n; i++) {
		size_t k = idx[i], j = i;

		while (j > 0) {
			size_t p = idx[j - 1];
			int c = pos[p] != pos[k] ? (pos[p] > pos[k] ? 1 : -1)
						 : strcmp(started_of(recs[p]), started_of(recs[k]));

			if (c <= 0)
				break;
			idx[j] = p;
			j--;
		}
		idx[j] = k;
	}
cleanup:
	free(pos);
	return ret;
}

/* The record's per-path metrics, guest roles summed into one "cpu_ns_per_byte.guest". */
static json_t *record_metrics(const json_t *rec, char *err, size_t errlen)
{
	json_t *s = compare__samples(rec, err, errlen), *out, *pm, *m;
	const char *path, *metric;

	if (!s)
		return NULL;
	out = json_object();
	json_object_foreach(s, path, pm) {
		json_t *po = json_object(), *guest = NULL;

		json_object_foreach(pm, metric, m) {
			const char *role = str(m, "role");
			json_t *vals = json_object_get(m, "values");

			if (strncmp(role, "guest", 5)) {
				json_object_set(po, metric, m);
				continue;
			}
			if (!guest) {
				guest = json_deep_copy(m);
				json_object_set_new(guest, "role", json_string("guest"));
				continue;
			}
			/* Per repetition: the same runs in the same order in every metric. */
			for (size_t i = 0; i < json_array_size(vals); i++) {
				json_t *g = json_array_get(json_object_get(guest, "values"), i);

				if (g)
					json_real_set(g, json_number_value(g) +
								 json_number_value(
									 json_array_get(vals, i)));
			}
		}
		if (guest)
			json_object_set_new(po, "cpu_ns_per_byte.guest", guest);
		json_object_set_new(out, path, po);
	}
	json_decref(s);
	return out;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of the finite values of a JSON array; false when there are none. */
static bool stat_of(const json_t *a, double *med, double *min, double *max, size_t *n)
{
	double *v = calloc(json_array_size(a) + 1, sizeof(*v));
	size_t k = 0, i;
	json_t *x;

	if (!v)
		return false;
	json_array_foreach(a, i, x)
		if (json_is_number(x) && isfinite(json_number_value(x)))
			v[k++] = json_number_value(x);
	if (k) {
		qsort(v, k, sizeof(*v), cmp_double);
		*min = v[0];
		*max = v[k - 1];
		*med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	}
	*n = k;
	free(v);
	return k > 0;
}

/* Series order: throughput first, then CPU by role (host, guest, server, nic, others). */
static int metric_rank(const char *metric)
{
	static const char *const order[] = { "throughput", "cpu_ns_per_byte.host",
					     "cpu_ns_per_byte.guest", "cpu_ns_per_byte.server",
					     "cpu_ns_per_byte.nic" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(metric, order[i]))
			return i;
	return 5;
}

static json_t *series_get(json_t *series, const char *path, const char *metric, const json_t *m)
{
	size_t i;
	json_t *s;

	json_array_foreach(series, i, s)
		if (!strcmp(str(s, "path"), path) && !strcmp(str(s, "metric"), metric))
			return s;
	s = json_pack("{ss ss ss ss s[]}", "path", path, "metric", metric, "unit", str(m, "unit"),
		      "better", str(m, "better"), "points");
	json_array_append_new(series, s);
	return s;
}

static int cmp_series(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int rx = metric_rank(str(x, "metric")), ry = metric_rank(str(y, "metric"));

	if (rx != ry)
		return rx - ry;
	if (strcmp(str(x, "metric"), str(y, "metric")))
		return strcmp(str(x, "metric"), str(y, "metric"));
	/* vf before pv, as in the report's figures; other paths after, by name. */
	rx = !strcmp(str(x, "path"), "vf") ? 0 : !strcmp(str(x, "path"), "pv") ? 1 : 2;
	ry = !strcmp(str(y, "path"), "vf") ? 0 : !strcmp(str(y, "path"), "pv") ? 1 : 2;
	return rx != ry ? rx - ry : strcmp(str(x, "path"), str(y, "path"));
}

/* Baselines, bands and verdicts along one series' points. */
static int series_judge(json_t *s, const struct history_opts *o, json_t *regs, json_t *records,
			size_t newest, bool *newest_regressed)
{
	json_t *pts = json_object_get(s, "points"), *p;
	size_t np = json_array_size(pts), i;
	bool higher = !strcmp(str(s, "better"), "higher");
	size_t min_base = o->window < HISTORY_MIN_BASE ? o->window : HISTORY_MIN_BASE;
	double *prev = calloc(o->window + 1, sizeof(*prev));

	if (!prev)
		return -ENOMEM;
	json_array_foreach(pts, i, p) {
		size_t k = 0, from = i > o->window ? i - o->window : 0;
		double v = num(p, "value"), med, mad, half, lo, hi;
		const char *verdict;

		for (size_t j = from; j < i; j++)
			prev[k++] = num(json_array_get(pts, j), "value");
		if (k < min_base || stats__median_mad(prev, k, &med, &mad)) {
			json_object_set_new(p, "baseline", json_null());
			json_object_set_new(p, "lo", json_null());
			json_object_set_new(p, "hi", json_null());
			json_object_set_new(p, "verdict", json_string("no baseline"));
			continue;
		}
		half = fmax(o->mads * MAD_SIGMA * mad, o->min_rel * fabs(med));
		lo = med - half;
		hi = med + half;
		if (higher ? v < lo : v > hi)
			verdict = "regressed";
		else if (higher ? v > hi : v < lo)
			verdict = "improved";
		else
			verdict = "ok";
		json_object_set_new(p, "baseline", json_real(med));
		json_object_set_new(p, "lo", json_real(lo));
		json_object_set_new(p, "hi", json_real(hi));
		json_object_set_new(p, "verdict", json_string(verdict));
		if (strcmp(verdict, "regressed"))
			continue;
		json_array_append_new(
			regs,
			json_pack("{ss ss sI ss sf sf sf sf}", "path", str(s, "path"), "metric",
				  str(s, "metric"), "record", (json_int_t)num(p, "record"), "file",
				  str(json_array_get(records, (size_t)num(p, "record")), "file"),
				  "value", v, "baseline", med, "lo", lo, "hi", hi));
		if ((size_t)num(p, "record") == newest)
			*newest_regressed = true;
	}
	(void)np;
	free(prev);
	return 0;
}

json_t *history__series(json_t *const *recs, const char *const *files, size_t n,
			const struct history_opts *o, char *err, size_t errlen)
{
	json_t *out = NULL, *records = json_array(), *series = json_array(), *regs = json_array();
	json_t **sorted = NULL;
	bool newest_regressed = false;
	char buf[512];
	size_t i, ns;

	if (!n || o->window < 2) {
		iovb_errf(err, errlen, "%s", n ? "the window must be >= 2" : "no record");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		const json_t *meta = json_object_get(recs[i], "meta");
		json_t *pm, *m, *metrics = record_metrics(recs[i], buf, sizeof(buf));
		const char *path, *metric;

		if (!metrics) {
			iovb_errf(err, errlen, "%s: %s", files[i], buf);
			goto cleanup;
		}
		json_array_append_new(records,
				      json_pack("{ss ss ss ss}", "file", files[i], "started",
						str(meta, "started"), "rev", rev_of(recs[i]),
						"label", str(meta, "label")));
		json_object_foreach(metrics, path, pm)
			json_object_foreach(pm, metric, m) {
				double med, min, max;
				size_t k;

				if (!stat_of(json_object_get(m, "values"), &med, &min, &max, &k))
					continue;
				json_array_append_new(
					json_object_get(series_get(series, path, metric, m),
							"points"),
					json_pack("{sI sf sf sf sI}", "record", (json_int_t)i,
						  "value", med, "min", min, "max", max, "n",
						  (json_int_t)k));
			}
		json_decref(metrics);
	}
	/* Sort the series for the graph's panels and legend. */
	ns = json_array_size(series);
	sorted = calloc(ns + 1, sizeof(*sorted));
	if (!sorted) {
		iovb_errf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < ns; i++)
		sorted[i] = json_incref(json_array_get(series, i));
	qsort(sorted, ns, sizeof(*sorted), cmp_series);
	json_array_clear(series);
	for (i = 0; i < ns; i++) {
		json_array_append_new(series, sorted[i]);
		if (series_judge(sorted[i], o, regs, records, n - 1, &newest_regressed)) {
			iovb_errf(err, errlen, "out of memory");
			goto cleanup;
		}
	}
	out = json_pack("{sI sf sf sO sO sO sb}", "window", (json_int_t)o->window, "mads", o->mads,
			"min_rel", o->min_rel, "records", records, "series", series, "regressions",
			regs, "newest_regressed", newest_regressed);
cleanup:
	free(sorted);
	json_decref(regs);
	json_decref(series);
	json_decref(records);
	return out;
}

static const char *metric_title(const char *metric, char *buf, size_t len)
{
	if (!strcmp(metric, "throughput"))
		snprintf(buf, len, "throughput (Gbit/s of payload, higher is better)");
	else if (!strncmp(metric, "cpu_ns_per_byte.", 16))
		snprintf(buf, len, "%s CPU per payload byte (ns/byte, lower is better)",
			 metric + 16);
	else
		snprintf(buf, len, "%s", metric);
	return buf;
}

static void dat_real(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fputs(" NaN", f);
}

static int history__write_dat(const json_t *hist, FILE *f)
{
	const json_t *s, *p;
	size_t i, j;

	fprintf(f,
		"# Written by iovbench history: one block per series (gnuplot index = block "
		"number).\n# Baseline: median of the previous %lld records' medians; band: "
		"+-max(%g "
		"x 1.4826 x MAD, %g x baseline).\n# columns: record (1-based) value min max "
		"baseline lo hi mark (the value when regressed, else NaN) verdict\n",
		(long long)num(hist, "window"), num(hist, "mads"), num(hist, "min_rel"));
	json_array_foreach(json_object_get(hist, "series"), i, s) {
		double scale = !strcmp(str(s, "metric"), "throughput") ? 1e-9 : 1;
		char t[160];

		fprintf(f, "# block %zu: %s %s, %s\n", i, str(s, "path"), str(s, "metric"),
			metric_title(str(s, "metric"), t, sizeof(t)));
		json_array_foreach(json_object_get(s, "points"), j, p) {
			bool reg = !strcmp(str(p, "verdict"), "regressed");

			fprintf(f, "%lld", (long long)num(p, "record") + 1);
			dat_real(f, num(p, "value") * scale);
			dat_real(f, num(p, "min") * scale);
			dat_real(f, num(p, "max") * scale);
			dat_real(f, num(p, "baseline") * scale);
			dat_real(f, num(p, "lo") * scale);
			dat_real(f, num(p, "hi") * scale);
			dat_real(f, reg ? num(p, "value") * scale : NAN);
			/* One word, so the file stays whitespace-separated for awk and gnuplot. */
			fprintf(f, " %s\n",
				!strcmp(str(p, "verdict"), "no baseline") ? "no-baseline"
									  : str(p, "verdict"));
		}
		fputs("\n\n", f);
	}
	return ferror(f) ? -EIO : 0;
}

static int history__write_gp(const json_t *hist, const char *stem, const char *ext, FILE *f)
{
	const json_t *series = json_object_get(hist, "series"), *records, *s, *r;
	size_t ns = json_array_size(series), npanels = 0, i, j, nrec, step;
	const char *last = "";
	char t[256];

	records = json_object_get(hist, "records");
	nrec = json_array_size(records);
	for (i = 0; i < ns; i++) {
		const char *m = str(json_array_get(series, i), "metric");

		npanels += strcmp(m, last) != 0;
		last = m;
	}
	fprintf(f,
		"# Written by iovbench history: edit and re-run with `gnuplot %s.gp` in this "
		"directory;\n# it redraws %s.%s from %s.dat.\nreset\ndat = '%s.dat'\n",
		stem, stem, ext, stem, stem);
	if (!strcmp(ext, "svg"))
		fprintf(f,
			"set terminal svg size 1100,%zu font \"sans,12\" noenhanced background "
			"\"white\"\n",
			npanels * 300 + 120);
	else
		fprintf(f,
			"set terminal pngcairo size 1100,%zu font \"sans,10\" noenhanced "
			"background "
			"\"white\"\n",
			npanels * 300 + 120);
	fprintf(f, "set output '%s.%s'\n", stem, ext);
	/* At most ~25 labelled ticks, whatever the number of records. */
	step = nrec > 25 ? (nrec + 24) / 25 : 1;
	fputs("set xtics nomirror rotate by -30 (", f);
	json_array_foreach(records, i, r) {
		char lab[96];

		if (i % step && i != nrec - 1)
			continue;
		snprintf(lab, sizeof(lab), "%.8s %.10s", str(r, "rev"), str(r, "started"));
		fputs(i ? ", " : "", f);
		plot__gp_string(f, lab);
		fprintf(f, " %zu", i + 1);
	}
	fprintf(f,
		")\nset xrange [0.5:%zu.5]\nset ytics nomirror\nset grid lc rgb \"#dddddd\"\n"
		"set border 3\nset key outside right top\nset lmargin 12\nset rmargin 30\n",
		nrec);
	snprintf(
		t, sizeof(t),
		"iovbench history: %zu records; points: median over repetitions, whiskers min to "
		"max;\ndashed: baseline (median of the previous %lld records), band: +-max(%g MAD, "
		"%g%%); circles: regressions",
		nrec, (long long)num(hist, "window"), num(hist, "mads"),
		num(hist, "min_rel") * 100);
	fprintf(f, "set multiplot layout %zu,1 title ", npanels ? npanels : 1);
	plot__gp_string(f, t);
	fputc('\n', f);
	for (i = 0; i < ns;) {
		const char *metric = str(json_array_get(series, i), "metric");
		bool tp = !strcmp(metric, "throughput");

		fputs("set title ", f);
		plot__gp_string(f, metric_title(metric, t, sizeof(t)));
		fprintf(f,
			"\nset ylabel \"%s\"\nset xlabel \"record (git rev, date started; "
			"oldest left)\"\nplot ",
			tp ? "Gbit/s" : "ns/byte");
		size_t end = i;

		while (end < ns && !strcmp(str(json_array_get(series, end), "metric"), metric))
			end++;
		for (j = i; j < end; j++) {
			const char *legend, *colour;

			s = json_array_get(series, j);
			plot__path_style(str(s, "path"), &legend, &colour);
			fprintf(f,
				"%sdat index %zu using 1:6:7 with filledcurves fc rgb \"%s\" fs "
				"transparent solid 0.15 noborder notitle, \\\n"
				"     dat index %zu using 1:5 with lines dt 2 lc rgb \"%s\" "
				"notitle, \\\n"
				"     dat index %zu using 1:2:3:4 with yerrorlines lc rgb \"%s\" "
				"pt 7 "
				"ps 0.6 title ",
				j > i ? ", \\\n     " : "", j, colour, j, colour, j, colour);
			plot__gp_string(f, legend);
			fprintf(f,
				", \\\n     dat index %zu using 1:8 with points pt 6 ps 2.5 lw 2 "
				"lc "
				"rgb \"#d62828\" %s",
				j, j + 1 < end ? "notitle" : "title \"regression\"");
		}
		fputc('\n', f);
		i = j;
	}
	fputs("unset multiplot\nunset output\n", f);
	return ferror(f) ? -EIO : 0;
}

/* graph -> its directory, stem and extension; -EINVAL unless it is NAME.svg or NAME.png. */
static int graph_split(const char *graph, char *dir, size_t dlen, char *stem, size_t slen,
		       const char **ext, char *err, size_t errlen)
{
	const char *base = strrchr(graph, '/'), *dot;

	if (base) {
		snprintf(dir, dlen, "%.*s", (int)(base - graph) ?: 1, graph);
		base++;
	} else {
		snprintf(dir, dlen, ".");
		base = graph;
	}
	dot = strrchr(base, '.');
	if (!dot || dot == base || (strcmp(dot, ".svg") && strcmp(dot, ".png")) ||
	    (size_t)(dot - base) >= slen) {
		iovb_errf(err, errlen, "%s: the graph must be NAME.svg or NAME.png", graph);
		return -EINVAL;
	}
	snprintf(stem, slen, "%.*s", (int)(dot - base), base);
	*ext = dot + 1;
	return 0;
}

int history__render(const char *graph, const char *gnuplot, char *err, size_t errlen)
{
	char dir[4096], stem[256];
	const char *e[2] = { NULL, NULL };
	int ret = graph_split(graph, dir, sizeof(dir), stem, sizeof(stem), &e[0], err, errlen);

	if (!ret)
		ret = plot__render_script(dir, gnuplot, stem, e, err, errlen);
	return ret;
}

int history__write(const json_t *hist, const char *graph, char *err, size_t errlen)
{
	char dir[4096], stem[256], fn[4096 + 300];
	const char *ext;
	FILE *dat = NULL, *gp = NULL;
	int ret = graph_split(graph, dir, sizeof(dir), stem, sizeof(stem), &ext, err, errlen);

	if (ret)
		goto cleanup;
	snprintf(fn, sizeof(fn), "%s/%s.dat", dir, stem);
	dat = fopen(fn, "w");
	if (!dat) {
		ret = -errno;
		iovb_errf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
	ret = history__write_dat(hist, dat);
	if (fclose(dat) && !ret)
		ret = -errno;
	dat = NULL;
	if (ret) {
		iovb_errf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
	snprintf(fn, sizeof(fn), "%s/%s.gp", dir, stem);
	gp = fopen(fn, "w");
	if (!gp) {
		ret = -errno;
		iovb_errf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
	ret = history__write_gp(hist, stem, ext, gp);
	if (fclose(gp) && !ret)
		ret = -errno;
	gp = NULL;
	if (ret) {
		iovb_errf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
cleanup:
	if (gp)
		fclose(gp);
	if (dat)
		fclose(dat);
	return ret;
}
