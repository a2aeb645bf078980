// SPDX-License-Identifier: GPL-2.0
/*
 * Record vs record: per path and metric, is the new one worse, and is that more than noise?
 * And a record's medians for github-action-benchmark. Method and exit codes: docs/compare.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iovb/cli.h"
#include "iovb/compare.h"
#include "iovb/history.h"
#include "iovb/parse.h"
#include "iovb/record.h"
#include "iovb/stats.h"
#include "iovb/summary.h"

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static json_t *metric_new(json_t *metrics, const char *name, const char *unit, const char *better,
			  const char *role)
{
	json_t *m = json_pack("{ss ss s[]}", "unit", unit, "better", better, "values");

	if (role)
		json_object_set_new(m, "role", json_string(role));
	json_object_set_new(metrics, name, m);
	return m;
}

/* One path's samples: throughput per run and, when every run has bpf, CPU/byte per role. */
static json_t *path_samples(const json_t *runs, const char *path)
{
	json_t *metrics = json_object(), *tp, *per_run = json_array(), *roles = json_object(), *run;
	const char *role;
	bool bpf_all = true;
	size_t i;

	tp = metric_new(metrics, "throughput", "bit/s", "higher", NULL);
	json_array_foreach(runs, i, run)
	{
		const json_t *eng = json_object_get(run, "engine");
		json_t *rr, *v;
		bool have_bpf;

		if (strcmp(str(run, "path"), path) || strcmp(str(run, "status"), "ok") ||
		    !(num(eng, "bytes") > 0))
			continue;
		json_array_append_new(json_object_get(tp, "values"),
				      record__real(num(eng, "throughput_bps")));
		rr = summary__run_roles(run, &have_bpf);
		bpf_all &= have_bpf;
		json_object_foreach(rr, role, v) json_object_set_new(roles, role, json_true());
		json_array_append_new(
			per_run, json_pack("{sf so}", "bytes", num(eng, "bytes"), "roles", rr));
	}
	/* Without bpf the softirq share is unknown: the report shows no CPU/byte, nor do we. */
	if (bpf_all && json_array_size(per_run)) {
		json_t *dummy;

		json_object_foreach(roles, role, dummy)
		{
			char name[96];
			json_t *m, *pr;

			/*
			 * "other" is devices outside the run's topology (another program's
			 * loopback traffic on a shared CI machine): not the datapath's cost, so
			 * it never gates. `report` still shows it.
			 */
			if (!strcmp(role, "other"))
				continue;
			snprintf(name, sizeof(name), "cpu_ns_per_byte.%s", role);
			m = metric_new(metrics, name, "ns/byte", "lower", role);
			json_array_foreach(per_run, i, pr)
			{
				const json_t *r =
					json_object_get(json_object_get(pr, "roles"), role);
				double sirq = num(r, "softirq_NET_RX_ns"),
				       proc = num(r, "process_ns");

				sirq = isfinite(sirq) ? sirq : 0;
				proc = isfinite(proc) ? proc : 0;
				json_array_append_new(
					json_object_get(m, "values"),
					record__real((sirq + proc) / num(pr, "bytes")));
			}
		}
	}
	json_decref(roles);
	json_decref(per_run);
	return metrics;
}

json_t *compare__samples(const json_t *rec, char *err, size_t errlen)
{
	json_t *runs = json_object_get(rec, "runs"), *out = NULL, *run, *tp;
	size_t i, ok = 0;

	out = json_object();
	json_array_foreach(runs, i, run)
	{
		const char *p = str(run, "path");

		if (!*p || json_object_get(out, p))
			continue;
		json_object_set_new(out, p, path_samples(runs, p));
		tp = json_object_get(json_object_get(json_object_get(out, p), "throughput"),
				     "values");
		ok += json_array_size(tp);
	}
	if (!ok) {
		snprintf(err, errlen, "the record has no completed run (status: %s)",
			 json_string_value(json_object_get(rec, "status")) ?: "unknown");
		json_decref(out);
		out = NULL;
	}
	return out;
}

/* The finite values of a JSON array; *n of them. NULL (n = 0) when there are none. */
static double *values_of(const json_t *m, size_t *n)
{
	const json_t *a = json_object_get(m, "values");
	double *v = calloc(json_array_size(a) + 1, sizeof(*v));
	size_t i;
	json_t *x;

	*n = 0;
	if (!v)
		return NULL;
	json_array_foreach(a, i, x) if (json_is_number(x) && isfinite(json_number_value(x)))
		v[(*n)++] = json_number_value(x);
	if (!*n) {
		free(v);
		v = NULL;
	}
	return v;
}

/* FNV-1a: a per-row bootstrap seed from the names, so rows do not share resampling noise. */
static uint64_t name_hash(const char *a, const char *b)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const char *s = a; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	h = (h ^ '/') * UINT64_C(0x100000001b3);
	for (const char *s = b; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
	return h;
}

/*
 * One row. The Mann-Whitney test decides significance when the sample sizes can reach alpha at
 * all (2 / C(nb+nn, nb) < alpha: 5 + 5 repetitions for alpha 0.01); with fewer, the (1 - alpha)
 * percentile bootstrap interval of the change of medians must exclude 0 (and each side needs
 * two repetitions: one value says nothing about noise). 0, -EINVAL (a side has no value: the
 * row is left out) or -ENOMEM.
 */
static int compare_row(const char *path, const char *metric, const json_t *bm, const json_t *nm,
		       const struct compare_opts *o, json_t **rowp)
{
	size_t nb = 0, nn = 0;
	double *b = values_of(bm, &nb), *n = values_of(nm, &nn), mb, mn, change, bad;
	bool higher = !strcmp(str(bm, "better"), "higher"), use_mw, sig, ratio;
	const char *verdict;
	struct stats_interval iv;
	struct stats_mw mw = { 0 };
	json_t *row = NULL;
	int err = 0;

	if (!b || !n) {
		err = -EINVAL;
		goto cleanup;
	}
	err = stats__median(b, nb, &mb);
	if (!err)
		err = stats__median(n, nn, &mn);
	if (err)
		goto cleanup;
	/*
	 * The interval is of the relative change, median(new*) / median(base*) - 1 over resamples,
	 * when every base value is > 0. A base with zeros (no host work on the vf path) has no
	 * relative change: the interval is then of the difference, in the metric's unit, which
	 * still says whether it excludes 0, and any rise from a zero median is infinite.
	 */
	ratio = true;
	for (size_t i = 0; i < nb; i++)
		ratio &= b[i] > 0;
	err = stats__bootstrap_median_diff(b, nb, n, nn, ratio, o->alpha, o->iters,
					   o->seed ^ name_hash(path, metric), &iv);
	if (err)
		goto cleanup;
	change = mb != 0 ? (mn - mb) / fabs(mb) : (mn == mb ? 0 : copysign(INFINITY, mn - mb));
	use_mw = stats__mw_min_p(nb, nn) < o->alpha;
	if (use_mw) {
		err = stats__mann_whitney(b, nb, n, nn, &mw);
		if (err)
			goto cleanup;
		sig = mw.p < o->alpha;
	} else {
		sig = nb >= 2 && nn >= 2 && (iv.lo > 0 || iv.hi < 0);
	}
	bad = higher ? -change : change;
	if (!(fabs(change) > o->threshold))
		verdict = "ok";
	else if (!sig)
		verdict = "insignificant";
	else
		verdict = bad > 0 ? "regressed" : "improved";
	row = json_pack("{ss ss ss ss sI sI so so so ss so s[oo] ss ss}", "path", path, "metric",
			metric, "unit", str(bm, "unit"), "better", higher ? "higher" : "lower",
			"n_base", (json_int_t)nb, "n_new", (json_int_t)nn, "base_median",
			record__real(mb), "new_median", record__real(mn), "change",
			record__real(change), "test", use_mw ? "mann-whitney" : "bootstrap", "p",
			use_mw ? record__real(mw.p) : json_null(), "interval", record__real(iv.lo),
			record__real(iv.hi), "interval_of",
			ratio ? "relative change" : "difference", "verdict", verdict);
	if (!row) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (json_object_get(bm, "role"))
		json_object_set(row, "role", json_object_get(bm, "role"));
	*rowp = row;
cleanup:
	free(n);
	free(b);
	return err;
}

/* Say what differs between the runs' conditions: a comparison across them may be unfair. */
static void note_conditions(json_t *notes, const json_t *base, const json_t *new)
{
	static const char *const wl_keys[] = { "kind", "read_pct", "bytes", "io_size", "depth" };
	const json_t *bw = json_object_get(base, "workload"),
		     *nw = json_object_get(new, "workload");
	const json_t *bl = json_object_get(json_object_get(base, "topology"), "link_rate_bps");
	const json_t *nl = json_object_get(json_object_get(new, "topology"), "link_rate_bps");
	char buf[256];

	for (size_t i = 0; i < sizeof(wl_keys) / sizeof(wl_keys[0]); i++) {
		const json_t *x = json_object_get(bw, wl_keys[i]),
			     *y = json_object_get(nw, wl_keys[i]);

		if (!json_equal((json_t *)x, (json_t *)y) && (x || y)) {
			char *xs = x ? json_dumps(x, JSON_ENCODE_ANY) : NULL;
			char *ys = y ? json_dumps(y, JSON_ENCODE_ANY) : NULL;

			snprintf(buf, sizeof(buf), "workload %s differs: %s vs %s", wl_keys[i],
				 xs ?: "none", ys ?: "none");
			json_array_append_new(notes, json_string(buf));
			free(xs);
			free(ys);
		}
	}
	/* null (or absent) is "unshaped": written as 0 bit/s here. */
	if ((json_is_number(bl) ? json_number_value(bl) : 0) !=
	    (json_is_number(nl) ? json_number_value(nl) : 0)) {
		snprintf(buf, sizeof(buf), "link rate differs: %.0f vs %.0f bit/s (0 = unshaped)",
			 json_is_number(bl) ? json_number_value(bl) : 0,
			 json_is_number(nl) ? json_number_value(nl) : 0);
		json_array_append_new(notes, json_string(buf));
	}
}

json_t *compare__records(const json_t *base, const json_t *new, const struct compare_opts *o,
			 char *err, size_t errlen)
{
	json_t *sb = NULL, *sn = NULL, *res = NULL, *rows, *notes, *pb, *mb;
	const char *path, *metric;
	size_t nreg = 0, nimp = 0;
	char buf[256];

	sb = compare__samples(base, buf, sizeof(buf));
	if (!sb) {
		snprintf(err, errlen, "base: %s", buf);
		goto cleanup;
	}
	sn = compare__samples(new, buf, sizeof(buf));
	if (!sn) {
		snprintf(err, errlen, "new: %s", buf);
		goto cleanup;
	}
	rows = json_array();
	notes = json_array();
	res = json_pack("{sf sf sI so so}", "threshold", o->threshold, "alpha", o->alpha,
			"bootstrap_iters", (json_int_t)o->iters, "rows", rows, "notes", notes);
	note_conditions(notes, base, new);
	json_object_foreach(sb, path, pb)
	{
		const json_t *pn = json_object_get(sn, path);

		if (!pn) {
			snprintf(buf, sizeof(buf), "path %s: only in base", path);
			json_array_append_new(notes, json_string(buf));
			continue;
		}
		json_object_foreach(pb, metric, mb)
		{
			const json_t *mn = json_object_get(pn, metric);
			json_t *row = NULL;
			int e;

			if (!mn) {
				snprintf(buf, sizeof(buf), "%s %s: only in base", path, metric);
				json_array_append_new(notes, json_string(buf));
				continue;
			}
			e = compare_row(path, metric, mb, mn, o, &row);
			if (e == -EINVAL) {
				snprintf(buf, sizeof(buf), "%s %s: no value on one side", path,
					 metric);
				json_array_append_new(notes, json_string(buf));
				continue;
			}
			if (e) {
				snprintf(err, errlen, "%s", strerror(-e));
				json_decref(res);
				res = NULL;
				goto cleanup;
			}
			nreg += !strcmp(str(row, "verdict"), "regressed");
			nimp += !strcmp(str(row, "verdict"), "improved");
			json_array_append_new(rows, row);
		}
	}
	json_object_foreach(sn, path, pb)
	{
		json_t *dummy;

		json_object_foreach(pb, metric, dummy)
		{
			if (json_object_get(json_object_get(sb, path), metric))
				continue;
			snprintf(buf, sizeof(buf), "%s %s: only in new", path, metric);
			json_array_append_new(notes, json_string(buf));
		}
	}
	if (!json_array_size(rows)) {
		snprintf(err, errlen, "the records have no path and metric in common");
		json_decref(res);
		res = NULL;
		goto cleanup;
	}
	json_object_set_new(res, "regressions", json_integer((json_int_t)nreg));
	json_object_set_new(res, "improvements", json_integer((json_int_t)nimp));
cleanup:
	json_decref(sn);
	json_decref(sb);
	return res;
}

/* A value in the unit a reader expects: Gbit/s for throughput, ns/byte as recorded. */
static void print_value(FILE *f, const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key);

	if (!json_is_number(v))
		fprintf(f, " %12s", "-");
	else if (!strcmp(str(row, "unit"), "bit/s"))
		fprintf(f, " %7.3f Gb/s", json_number_value(v) / 1e9);
	else
		fprintf(f, " %12.4f", json_number_value(v));
}

void compare__print(FILE *f, const json_t *res)
{
	const json_t *row, *note;
	size_t i;

	fprintf(f, "threshold %.4g%%, alpha %.4g; CPU in ns per payload byte\n",
		num(res, "threshold") * 100, num(res, "alpha"));
	fprintf(f, "%-4s %-24s %12s %12s %9s  %-28s %s\n", "path", "metric", "base median",
		"new median", "change", "p or interval", "verdict");
	json_array_foreach(json_object_get(res, "rows"), i, row)
	{
		const json_t *iv = json_object_get(row, "interval");
		double ch = num(row, "change");
		char test[64];

		fprintf(f, "%-4s %-24s", str(row, "path"), str(row, "metric"));
		print_value(f, row, "base_median");
		print_value(f, row, "new_median");
		if (isfinite(ch))
			fprintf(f, " %+8.1f%%", ch * 100);
		else
			fprintf(f, " %9s", num(row, "new_median") > 0 ? "+inf" : "-");
		if (!strcmp(str(row, "test"), "mann-whitney"))
			snprintf(test, sizeof(test), "MW p=%.3g", num(row, "p"));
		else if (!strcmp(str(row, "interval_of"), "relative change"))
			snprintf(test, sizeof(test), "boot [%+.1f%%, %+.1f%%]",
				 json_number_value(json_array_get(iv, 0)) * 100,
				 json_number_value(json_array_get(iv, 1)) * 100);
		else
			snprintf(test, sizeof(test), "boot diff [%+.3g, %+.3g]",
				 json_number_value(json_array_get(iv, 0)),
				 json_number_value(json_array_get(iv, 1)));
		fprintf(f, "  %-28s %s\n", test, str(row, "verdict"));
	}
	json_array_foreach(json_object_get(res, "notes"), i, note)
		fprintf(f, "note: %s\n", json_string_value(note));
	fprintf(f, "%lld regression(s), %lld improvement(s)\n", (long long)num(res, "regressions"),
		(long long)num(res, "improvements"));
}

/*
 * A fraction from user text: "5%" or "0.05". The integer and fraction digits each go through
 * iovb_parse_u64, so signs, blanks, exponents and "nan" are refused as everywhere else.
 */
static int parse_fraction(const char *s, double *out)
{
	char buf[32], *dot, *pct;
	uint64_t ip, fp = 0;
	size_t flen = 0;
	int err = 0;

	if (strlen(s) >= sizeof(buf)) {
		err = -ERANGE;
		goto cleanup;
	}
	strcpy(buf, s);
	pct = strchr(buf, '%');
	if (pct) {
		if (pct[1]) {
			err = -EINVAL;
			goto cleanup;
		}
		*pct = '\0';
	}
	dot = strchr(buf, '.');
	if (dot) {
		*dot = '\0';
		flen = strlen(dot + 1);
		if (flen > 9) {
			err = -ERANGE;
			goto cleanup;
		}
		err = iovb_parse_u64(dot + 1, 0, UINT64_MAX, &fp);
		if (err)
			goto cleanup;
	}
	err = iovb_parse_u64(buf, 0, 1000000, &ip);
	if (err)
		goto cleanup;
	*out = (ip + fp / pow(10, (double)flen)) / (pct ? 100 : 1);
cleanup:
	return err;
}

static const char *const compare_usage =
	"usage: iovbench compare [--threshold P] [--alpha A] [--json] [-q|-v] BASE NEW\n"
	"\n"
	"Compare two run records path by path: throughput (higher is better) and CPU ns per\n"
	"byte of each role (lower is better). A metric regressed when its median got worse by\n"
	"more than the threshold and the change is significant over the repetitions (Mann-Whitney\n"
	"U when there are enough of them to reach alpha, else a bootstrap interval of the change\n"
	"of medians). See docs/compare.md.\n"
	"\n"
	"  --threshold P  relative change that matters, \"5%\" or \"0.05\" (default 5%)\n"
	"  --alpha A      significance level, \"0.01\" or \"1%\" (default 0.01)\n"
	"  --json         print the comparison as one JSON document on stdout\n"
	"  -q, --quiet    nothing on stderr but errors\n"
	"  -v, --verbose  say each step on stderr\n"
	"  -h, --help     this text\n"
	"\n"
	"exit status: 0 no regression, 1 a regression, 2 bad usage or input\n";

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct compare_opts o = { COMPARE_THRESHOLD, COMPARE_ALPHA, COMPARE_ITERS, COMPARE_SEED };
	json_t *base = NULL, *new = NULL, *res = NULL;
	bool json = false;
	char err[512];
	int ch, ret = IOVB_EXIT_USAGE, verbosity = CLI_NORMAL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "hqv", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(ch, &verbosity))
			continue;
		switch (ch) {
		case 't':
			if (parse_fraction(optarg, &o.threshold) ||
			    (!strchr(optarg, '%') && o.threshold > 1)) {
				fprintf(stderr,
					"iovbench compare: bad --threshold '%s' (e.g. 5%% or "
					"0.05)\n",
					optarg);
				goto cleanup;
			}
			break;
		case 'a':
			if (parse_fraction(optarg, &o.alpha) || !(o.alpha > 0 && o.alpha < 0.5)) {
				fprintf(stderr,
					"iovbench compare: bad --alpha '%s' (a level in (0, "
					"0.5), e.g. 0.01)\n",
					optarg);
				goto cleanup;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(compare_usage, stdout);
			ret = IOVB_EXIT_OK;
			goto cleanup;
		default:
			fprintf(stderr,
				"iovbench compare: bad option '%s' (see 'iovbench compare "
				"--help')\n",
				argv[optind - 1]);
			goto cleanup;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "iovbench compare: expects BASE and NEW records (see 'iovbench "
				"compare --help')\n");
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench compare", "reading %s", argv[optind]);
	base = record__read(argv[optind], err, sizeof(err));
	if (!base) {
		fprintf(stderr, "iovbench compare: %s\n", err);
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench compare", "reading %s", argv[optind + 1]);
	new = record__read(argv[optind + 1], err, sizeof(err));
	if (!new) {
		fprintf(stderr, "iovbench compare: %s\n", err);
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench compare",
		 "comparing per path and metric: threshold %g, alpha %g", o.threshold, o.alpha);
	res = compare__records(base, new, &o, err, sizeof(err));
	if (!res) {
		fprintf(stderr, "iovbench compare: %s\n", err);
		goto cleanup;
	}
	json_object_set_new(res, "base", json_string(argv[optind]));
	json_object_set_new(res, "new", json_string(argv[optind + 1]));
	if (json) {
		json_dumpf(res, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		printf("base %s\nnew  %s\n", argv[optind], argv[optind + 1]);
		compare__print(stdout, res);
	}
	ret = num(res, "regressions") > 0 ? IOVB_EXIT_FINDING : IOVB_EXIT_OK;
cleanup:
	json_decref(res);
	json_decref(new);
	json_decref(base);
	return ret;
}

/* Median, min and max of a metric's values; false when it has none. */
static bool metric_stat(const json_t *m, double *med, double *min, double *max, size_t *n)
{
	double *v = values_of(m, n);
	bool ok = v && !stats__median(v, *n, med);

	if (ok) {
		*min = *max = v[0];
		for (size_t i = 1; i < *n; i++) {
			*min = fmin(*min, v[i]);
			*max = fmax(*max, v[i]);
		}
	}
	free(v);
	return ok;
}

/* Index of the newest record by meta.started (ISO 8601 UTC sorts as text); later wins ties. */
static size_t newest_of(json_t *const *recs, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (strcmp(str(json_object_get(recs[i], "meta"), "started"),
			   str(json_object_get(recs[best], "meta"), "started")) >= 0)
			best = i;
	return best;
}

json_t *compare__gab(json_t *const *recs, size_t n, bool bigger, char *err, size_t errlen)
{
	json_t **samples = calloc(n + 1, sizeof(*samples)), *out = NULL, *pm, *m;
	double *base = calloc(n + 1, sizeof(*base));
	size_t last = n ? newest_of(recs, n) : 0;
	const char *path, *metric;
	char buf[256];

	if (!samples || !base || !n) {
		snprintf(err, errlen, "%s", n ? strerror(ENOMEM) : "no record");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		samples[i] = compare__samples(recs[i], buf, sizeof(buf));
		if (!samples[i]) {
			snprintf(err, errlen, "record %zu: %s", i + 1, buf);
			goto cleanup;
		}
	}
	out = json_array();
	json_object_foreach(samples[last], path, pm)
	{
		json_object_foreach(pm, metric, m)
		{
			bool tp = !strcmp(metric, "throughput"),
			     hb = !strcmp(str(m, "better"), "higher");
			double med, min, max, scale = tp ? 1e9 : 1;
			size_t k, nb = 0;
			char name[128], extra[512], range[64];
			const json_t *meta = json_object_get(recs[last], "meta");

			if (hb != bigger || !metric_stat(m, &med, &min, &max, &k))
				continue;
			/* gab keys the series on the name: stable "PATH METRIC" (role for CPU). */
			if (tp)
				snprintf(name, sizeof(name), "%s throughput", path);
			else
				snprintf(name, sizeof(name), "%s %s cpu_ns_per_byte", path,
					 str(m, "role"));
			for (size_t i = 0; i < n; i++) {
				double bm, bmin, bmax;
				size_t bk;
				const json_t *om =
					json_object_get(json_object_get(samples[i], path), metric);

				if (i != last && metric_stat(om, &bm, &bmin, &bmax, &bk))
					base[nb++] = bm;
			}
			snprintf(range, sizeof(range), "± %.4g", (max - min) / 2 / scale);
			snprintf(extra, sizeof(extra),
				 "median of %zu reps (min %.4g, max %.4g); "
				 "rev %s; started %s",
				 k, min / scale, max / scale,
				 str(json_object_get(meta, "tool"), "git_rev"),
				 str(meta, "started"));
			if (nb) {
				double bmed;
				size_t len = strlen(extra);

				stats__median(base, nb, &bmed);
				snprintf(extra + len, sizeof(extra) - len,
					 "; median of %zu earlier record(s) %.4g", nb,
					 bmed / scale);
			}
			json_array_append_new(out, json_pack("{ss ss sf ss ss}", "name", name,
							     "unit", tp ? "Gbit/s" : "ns/byte",
							     "value", med / scale, "range", range,
							     "extra", extra));
		}
	}
cleanup:
	for (size_t i = 0; samples && i < n; i++)
		json_decref(samples[i]);
	free(samples);
	free(base);
	return out;
}

static const char *const history_usage =
	"usage: iovbench history -o GRAPH.svg|GRAPH.png [--window K] [--threshold P]\n"
	"                        [--revs FILE] [--json] [-q|-v] RECORD...\n"
	"       iovbench history --json [--window K] [--threshold P] [--revs FILE] [-q|-v]\n"
	"                        RECORD...\n"
	"       iovbench history --export gab-bigger|gab-smaller [-o FILE.json] [-q|-v]\n"
	"                        RECORD...\n"
	"\n"
	"The CI regression graph: per path and metric (throughput; CPU ns per byte per role), each\n"
	"record's median over its repetitions, in order of meta.started (or of --revs), against a\n"
	"rolling baseline: the median of the previous K records' medians, with a band of\n"
	"+-max(3 x 1.4826 x MAD, P x baseline). A point outside the band on the bad side is a\n"
	"regression, circled on the graph. GRAPH's data (GRAPH.dat) and gnuplot script (GRAPH.gp)\n"
	"are written beside it: `gnuplot GRAPH.gp` in that directory redraws it.\n"
	"\n"
	"--export writes github-action-benchmark's input instead: the newest record's medians,\n"
	"gab-bigger the customBiggerIsBetter ones (throughput per path, Gbit/s), gab-smaller the\n"
	"customSmallerIsBetter ones (CPU ns per byte per path and role). See docs/compare.md.\n"
	"\n"
	"  -o FILE        the graph (.svg or .png), or with --export the JSON (default stdout)\n"
	"  --window K     previous records forming the baseline (default 5, >= 2)\n"
	"  --threshold P  the band is at least this share of the baseline (default 5%)\n"
	"  --revs FILE    order records by the position of meta.tool.git_rev in FILE (one rev\n"
	"                 per line, oldest first: git rev-list --reverse HEAD > FILE)\n"
	"  --json         print the series, baselines and regressions as one JSON document\n"
	"  --export KIND  gab-bigger or gab-smaller\n"
	"  -q, --quiet    nothing on stderr but errors\n"
	"  -v, --verbose  say each step on stderr\n"
	"  -h, --help     this text\n"
	"\n"
	"exit status: 0 ok, 1 the newest record regressed (graph mode), 2 bad usage or input,\n"
	"3 an output file cannot be written, gnuplot missing or failed\n";

/* Write doc to path whole or not at all: a temp file beside it, then rename. */
static int write_json(const json_t *doc, const char *path)
{
	char tmp[4096];
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
		err = -EIO;
		unlink(tmp);
		goto cleanup;
	}
	if (rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
	}
cleanup:
	return err;
}

/* One rev per line (blank lines and "#" comments skipped); NULL with errno on failure. */
static char **read_revs(const char *path, size_t *n)
{
	char **revs = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	FILE *f = fopen(path, "re");
	int e = 0;

	*n = 0;
	if (!f)
		return NULL;
	while (getline(&line, &len, f) > 0) {
		char *p = line + strspn(line, " \t"), **nr;

		p[strcspn(p, " \t\r\n")] = '\0';
		if (!*p || *p == '#')
			continue;
		if (*n == cap) {
			nr = realloc(revs, (cap = cap * 2 + 16) * sizeof(*revs));
			if (!nr) {
				e = ENOMEM;
				break;
			}
			revs = nr;
		}
		revs[*n] = strdup(p);
		if (!revs[*n]) {
			e = ENOMEM;
			break;
		}
		(*n)++;
	}
	free(line);
	fclose(f);
	if (!e && !*n)
		e = ENODATA;
	if (e) {
		for (size_t i = 0; i < *n; i++)
			free(revs[i]);
		free(revs);
		errno = e;
		return NULL;
	}
	return revs;
}

static void history_print(FILE *f, const json_t *hist, const char *graph)
{
	const json_t *recs = json_object_get(hist, "records"), *r;
	size_t i, nrec = json_array_size(recs);

	fprintf(f, "history: %zu record(s), oldest %s, newest %s; %zu series; baseline: median of "
		   "the previous %lld\n",
		nrec, str(json_array_get(recs, 0), "file"), str(json_array_get(recs, nrec - 1), "file"),
		json_array_size(json_object_get(hist, "series")), (long long)num(hist, "window"));
	json_array_foreach(json_object_get(hist, "regressions"), i, r) {
		double sc = !strcmp(str(r, "metric"), "throughput") ? 1e-9 : 1;

		fprintf(f, "regressed: %s %s at %s: %.4g %s, band [%.4g, %.4g] around %.4g\n",
			str(r, "path"), str(r, "metric"), str(r, "file"), num(r, "value") * sc,
			sc < 1 ? "Gbit/s" : "ns/byte", num(r, "lo") * sc, num(r, "hi") * sc,
			num(r, "baseline") * sc);
	}
	fprintf(f, "%zu regression(s)%s\n", json_array_size(json_object_get(hist, "regressions")),
		json_is_true(json_object_get(hist, "newest_regressed")) ?
			", the newest record among them" : "");
	if (graph)
		fprintf(f, "graph: %s\n", graph);
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "export", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "window", required_argument, NULL, 'w' },
		{ "threshold", required_argument, NULL, 't' },
		{ "revs", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct history_opts ho = { HISTORY_WINDOW, HISTORY_MADS, HISTORY_MIN_REL };
	const char *export = NULL, *outp = NULL, *ext, *revs_fn = NULL;
	json_t **recs = NULL, *doc = NULL, **ordered = NULL;
	const char **files = NULL;
	char **revs = NULL;
	size_t nrec = 0, nrevs = 0, *idx = NULL;
	bool json = false;
	uint64_t w;
	char err[512];
	int ch, ret = IOVB_EXIT_USAGE, e, verbosity = CLI_NORMAL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "ho:qv", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(ch, &verbosity))
			continue;
		switch (ch) {
		case 'e':
			export = optarg;
			break;
		case 'o':
			outp = optarg;
			break;
		case 'w':
			if (iovb_parse_u64(optarg, 2, 1000, &w)) {
				fprintf(stderr, "iovbench history: bad --window '%s' (2 to 1000)\n",
					optarg);
				goto cleanup;
			}
			ho.window = (unsigned)w;
			break;
		case 't':
			if (parse_fraction(optarg, &ho.min_rel) ||
			    (!strchr(optarg, '%') && ho.min_rel > 1)) {
				fprintf(stderr,
					"iovbench history: bad --threshold '%s' (e.g. 5%% or 0.05)\n",
					optarg);
				goto cleanup;
			}
			break;
		case 'r':
			revs_fn = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(history_usage, stdout);
			ret = IOVB_EXIT_OK;
			goto cleanup;
		default:
			fprintf(stderr,
				"iovbench history: bad option '%s' (see 'iovbench history "
				"--help')\n",
				argv[optind - 1]);
			goto cleanup;
		}
	}
	ext = outp ? strrchr(outp, '.') : NULL;
	if (export && ext && (!strcmp(ext, ".svg") || !strcmp(ext, ".png"))) {
		fprintf(stderr, "iovbench history: --export writes JSON, not a graph: drop --export "
				"to draw %s\n", outp);
		goto cleanup;
	}
	if (export && strcmp(export, "gab-bigger") && strcmp(export, "gab-smaller")) {
		fprintf(stderr,
			"iovbench history: unknown --export '%s' (gab-bigger or "
			"gab-smaller)\n",
			export);
		goto cleanup;
	}
	if (!export && !json && !outp) {
		fprintf(stderr, "iovbench history: give -o GRAPH.svg|png, --json or --export (see "
				"'iovbench history --help')\n");
		goto cleanup;
	}
	if (!export && outp && (!ext || (strcmp(ext, ".svg") && strcmp(ext, ".png")))) {
		fprintf(stderr, "iovbench history: -o %s: the graph must be NAME.svg or NAME.png\n",
			outp);
		goto cleanup;
	}
	if (optind >= argc) {
		fprintf(stderr, "iovbench history: expects at least one RECORD (see 'iovbench "
				"history --help')\n");
		goto cleanup;
	}
	if (revs_fn) {
		revs = read_revs(revs_fn, &nrevs);
		if (!revs) {
			fprintf(stderr, "iovbench history: --revs %s: %s\n", revs_fn,
				errno == ENODATA ? "no rev in it" : strerror(errno));
			goto cleanup;
		}
	}
	recs = calloc(argc - optind, sizeof(*recs));
	ordered = calloc(argc - optind, sizeof(*ordered));
	files = calloc(argc - optind, sizeof(*files));
	idx = calloc(argc - optind, sizeof(*idx));
	if (!recs || !ordered || !files || !idx) {
		fprintf(stderr, "iovbench history: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	for (int i = optind; i < argc; i++) {
		json_t *run;
		size_t k;

		cli__say(verbosity, CLI_VERBOSE, "iovbench history", "reading %s", argv[i]);
		recs[nrec] = record__read(argv[i], err, sizeof(err));
		if (!recs[nrec]) {
			fprintf(stderr, "iovbench history: %s\n", err);
			goto cleanup;
		}
		/* Keep only what the metrics read: a CI history holds hundreds of records. */
		json_array_foreach(json_object_get(recs[nrec], "runs"), k, run) {
			json_t *coll = json_object_get(run, "collectors");

			json_object_del(coll, "procfs");
			json_object_del(coll, "perf");
			json_object_del(json_object_get(coll, "bpf"), "softirq");
			json_object_del(json_object_get(coll, "bpf"), "softirq_hist");
			json_object_del(json_object_get(coll, "bpf"), "hardirqs");
			json_object_del(run, "series");
			json_object_del(json_object_get(run, "engine"), "latency");
		}
		nrec++;
	}
	if (export) {
		doc = compare__gab(recs, nrec, !strcmp(export, "gab-bigger"), err, sizeof(err));
		if (!doc) {
			fprintf(stderr, "iovbench history: %s\n", err);
			goto cleanup;
		}
		if (outp) {
			cli__say(verbosity, CLI_VERBOSE, "iovbench history", "writing %s", outp);
			e = write_json(doc, outp);
			if (e) {
				fprintf(stderr, "iovbench history: %s: %s\n", outp, strerror(-e));
				ret = IOVB_EXIT_ENV;
				goto cleanup;
			}
		} else {
			json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		}
		ret = IOVB_EXIT_OK;
		goto cleanup;
	}
	if (history__order(recs, (const char *const *)argv + optind, nrec,
			   (const char *const *)revs, nrevs, idx, err, sizeof(err))) {
		fprintf(stderr, "iovbench history: %s\n", err);
		goto cleanup;
	}
	for (size_t i = 0; i < nrec; i++) {
		ordered[i] = recs[idx[i]];
		files[i] = argv[optind + idx[i]];
	}
	doc = history__series(ordered, files, nrec, &ho, err, sizeof(err));
	if (!doc) {
		fprintf(stderr, "iovbench history: %s\n", err);
		goto cleanup;
	}
	json_object_set_new(doc, "order", json_string(revs ? "revs" : "started"));
	if (outp) {
		cli__say(verbosity, CLI_VERBOSE, "iovbench history",
			 "writing the graph's data and gnuplot script beside %s", outp);
		e = history__write(doc, outp, err, sizeof(err));
		if (e) {
			fprintf(stderr, "iovbench history: %s\n", err);
			ret = e == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
			goto cleanup;
		}
		cli__say(verbosity, CLI_VERBOSE, "iovbench history", "rendering %s with gnuplot",
			 outp);
		if (history__render(outp, NULL, err, sizeof(err))) {
			fprintf(stderr, "iovbench history: %s\n", err);
			ret = IOVB_EXIT_ENV;
			goto cleanup;
		}
		json_object_set_new(doc, "graph", json_string(outp));
	}
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		history_print(stdout, doc, outp);
	}
	ret = json_is_true(json_object_get(doc, "newest_regressed")) ? IOVB_EXIT_FINDING : IOVB_EXIT_OK;
cleanup:
	json_decref(doc);
	for (size_t i = 0; i < nrec; i++)
		json_decref(recs[i]);
	for (size_t i = 0; i < nrevs; i++)
		free(revs[i]);
	free(revs);
	free(idx);
	free(files);
	free(ordered);
	free(recs);
	return ret;
}
