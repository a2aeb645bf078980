// SPDX-License-Identifier: GPL-2.0
/*
 * Record -> capacity plan: cores per guest at a target rate, guests per host, headroom. The
 * per-repetition CPU ns per byte come from compare__samples (the report's definition), so a
 * plan, a report and a comparison of one record always agree on what a byte costs.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iovb/cli.h"
#include "iovb/compare.h"
#include "iovb/parse.h"
#include "iovb/plan.h"
#include "iovb/plot.h"
#include "iovb/record.h"

/* Fewer repetitions than this give a spread that says little: the plan notes it. */
#define PLAN_MIN_REPS 3

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

double plan__cores(double ns_per_byte, double rate_bps)
{
	/* ns of CPU per byte x bytes per second = ns of CPU per second = 1e9 x cores. */
	return ns_per_byte * (rate_bps / 8) / 1e9;
}

long plan__fit(double budget, double per_guest)
{
	if (per_guest == 0)
		return -1;
	if (!isfinite(per_guest) || per_guest < 0 || !(budget > 0))
		return 0;
	/* A hair of slack so 8 / 0.5 is 16, not 15.999...; far below any measured spread. */
	return (long)floor(budget / per_guest * (1 + 1e-12));
}

struct stat3 {
	double med, min, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stat3 stat3_of(const double *v, size_t n)
{
	struct stat3 s = { NAN, NAN, NAN };
	double *c = calloc(n + 1, sizeof(*c));
	size_t k = 0;

	if (!c)
		return s;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			c[k++] = v[i];
	if (k) {
		qsort(c, k, sizeof(*c), cmp_double);
		s.min = c[0];
		s.max = c[k - 1];
		s.med = k % 2 ? c[k / 2] : (c[k / 2 - 1] + c[k / 2]) / 2;
	}
	free(c);
	return s;
}

static json_t *stat3_json(struct stat3 s)
{
	return json_pack("{so so so}", "median", record__real(s.med), "min", record__real(s.min),
			 "max", record__real(s.max));
}

static bool is_guest(const char *role)
{
	return !strncmp(role, "guest", 5);
}

static void note(json_t *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(json_t *notes, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(notes, json_string(buf));
}

/* One path's plan from its samples (compare__samples' shape); NULL when it has no CPU figures. */
static json_t *path_plan(const char *path, const json_t *ps, const struct plan_opts *o,
			 json_int_t guests)
{
	const json_t *tpv = json_object_get(json_object_get(ps, "throughput"), "values"), *m;
	size_t n = json_array_size(tpv), nguest = 0;
	double *h = calloc(n + 1, sizeof(*h)), *g = calloc(n + 1, sizeof(*g));
	double *tpg = calloc(n + 1, sizeof(*tpg)), *ch = calloc(n + 1, sizeof(*ch));
	double *cg = calloc(n + 1, sizeof(*cg)), *ct = calloc(n + 1, sizeof(*ct));
	json_t *out = NULL, *hr = json_array(), *gr = json_array(), *nc = json_array();
	json_t *notes = json_array(), *nspb, *cores;
	struct stat3 sh, sg, st, s_ch, s_cg, s_ct, stp;
	const char *metric;
	bool have_cpu = false;
	long fit_med, fit_worst;
	double placed;

	if (!h || !g || !tpg || !ch || !cg || !ct || !n)
		goto cleanup;
	json_object_foreach((json_t *)ps, metric, m) {
		const char *role = str(m, "role");
		const json_t *vals = json_object_get(m, "values");

		if (strncmp(metric, "cpu_ns_per_byte.", 16))
			continue;
		have_cpu = true;
		if (!strcmp(role, "host"))
			json_array_append_new(hr, json_string(role));
		else if (is_guest(role))
			json_array_append_new(gr, json_string(role)), nguest++;
		else {
			json_array_append_new(nc, json_string(role));
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			double v = json_number_value(json_array_get(vals, i));

			if (!strcmp(role, "host"))
				h[i] += v;
			else
				g[i] += v;
		}
	}
	if (!have_cpu)
		goto cleanup;
	/* Records with several guests per path say how many (workload.guests.PATH): trust that
	 * over the roles seen, since an idle guest's role may be missing from a run. */
	if (guests > 0)
		nguest = (size_t)guests;
	for (size_t i = 0; i < n; i++) {
		tpg[i] = json_number_value(json_array_get(tpv, i)) / (nguest ? (double)nguest : 1);
		ch[i] = plan__cores(h[i], o->target_bps);
		cg[i] = plan__cores(g[i], o->target_bps);
		ct[i] = ch[i] + cg[i];
		h[i] += g[i]; /* from here on h is the total ns per byte */
	}
	sg = stat3_of(g, n);
	st = stat3_of(h, n);
	for (size_t i = 0; i < n; i++)
		h[i] -= g[i];
	sh = stat3_of(h, n);
	s_ch = stat3_of(ch, n);
	s_cg = stat3_of(cg, n);
	s_ct = stat3_of(ct, n);
	stp = stat3_of(tpg, n);
	fit_med = plan__fit(o->host_cores, s_ct.med);
	fit_worst = plan__fit(o->host_cores, s_ct.max);
	nspb = json_pack("{so so so}", "host", stat3_json(sh), "guest", stat3_json(sg), "total",
			 stat3_json(st));
	cores = json_pack("{so so so}", "host", stat3_json(s_ch), "guest", stat3_json(s_cg),
			  "total", stat3_json(s_ct));
	out = json_pack("{sI sI so so so so sb so so}", "repetitions", (json_int_t)n,
			"guests_per_run", (json_int_t)nguest, "guest_roles", gr, "host_roles", hr,
			"not_counted", nc, "throughput_bps_per_guest", stat3_json(stp),
			"extrapolated", o->target_bps > stp.max, "ns_per_byte", nspb,
			"cores_per_guest", cores);
	gr = hr = nc = NULL;
	json_object_set_new(out, "guests_per_host",
			    json_pack("{sI sI sI}", "median", (json_int_t)fit_med, "worst",
				      (json_int_t)fit_worst, "best",
				      (json_int_t)plan__fit(o->host_cores, s_ct.min)));
	json_object_set_new(out, "guests_per_host_host_work_only",
			    json_pack("{sI sI}", "median",
				      (json_int_t)plan__fit(o->host_cores, s_ch.med), "worst",
				      (json_int_t)plan__fit(o->host_cores, s_ch.max)));
	placed = o->guests ? (double)o->guests : fit_med >= 0 ? (double)fit_med : 0;
	json_object_set_new(out, "placed", json_integer((json_int_t)placed));
	json_object_set_new(out, "host_cores_used",
			    json_pack("{so so}", "median", record__real(placed * s_ct.med), "worst",
				      record__real(placed * s_ct.max)));
	json_object_set_new(out, "headroom_cores",
			    json_pack("{so so}", "median",
				      record__real(o->host_cores - placed * s_ct.med), "worst",
				      record__real(o->host_cores - placed * s_ct.max)));
	json_object_set_new(out, "fits",
			    json_pack("{sb sb}", "median",
				      o->host_cores - placed * s_ct.med >= -1e-9 * o->host_cores,
				      "worst",
				      o->host_cores - placed * s_ct.max >= -1e-9 * o->host_cores));
	if (o->target_bps > stp.max)
		note(notes,
		     "target %.3f Gbit/s per guest is above the highest measured %.3f Gbit/s: the "
		     "cost per byte is extrapolated linearly",
		     o->target_bps / 1e9, stp.max / 1e9);
	else if (o->target_bps < stp.min)
		note(notes,
		     "target %.3f Gbit/s per guest is below the lowest measured %.3f Gbit/s: at a "
		     "lower rate batching (GRO, NAPI) may make a byte dearer",
		     o->target_bps / 1e9, stp.min / 1e9);
	if (n < PLAN_MIN_REPS)
		note(notes, "only %zu repetition(s): the spread says little (run --reps 5 or more)",
		     n);
	if (!json_array_size(json_object_get(out, "host_roles")))
		note(notes, "no host role on path %s: no host work was measured there", path);
	json_object_set_new(out, "notes", notes);
	notes = NULL;
cleanup:
	json_decref(notes);
	json_decref(nc);
	json_decref(gr);
	json_decref(hr);
	free(ct);
	free(cg);
	free(ch);
	free(tpg);
	free(g);
	free(h);
	return out;
}

json_t *plan__build(const json_t *rec, const struct plan_opts *o, char *err, size_t errlen)
{
	json_t *samples = compare__samples(rec, err, errlen), *plan = NULL, *paths, *notes, *ps;
	json_t *asm_;
	const char *path;
	char buf[512];

	if (!samples)
		return NULL;
	if (!(o->target_bps > 0) || !(o->host_cores > 0)) {
		snprintf(err, errlen, "the target rate and the core budget must be > 0");
		goto cleanup;
	}
	paths = json_object();
	notes = json_array();
	asm_ = json_array();
	plan = json_pack("{sf sf so so so so}", "target_bps", o->target_bps, "host_cores",
			 o->host_cores, "guests",
			 o->guests ? json_integer((json_int_t)o->guests) : json_null(),
			 "assumptions", asm_, "paths", paths, "notes", notes);
	json_array_append_new(
		asm_,
		json_string("CPU scales linearly with the payload rate: cores = CPU ns per "
			    "payload byte x bytes per second / 1e9, at the per-byte cost "
			    "measured in each repetition (spread: min, median, max over them)"));
	json_array_append_new(
		asm_, json_string("host cores count the host role (virtual switch, backend relay "
				  "threads, its devices' NET_RX softirq); the guest's are its "
				  "vCPUs' work, which also runs on the host's cores, so guests per "
				  "host divide the budget by host + guest cores"));
	json_array_append_new(
		asm_,
		json_string("not counted: the file server (another machine) and, in "
			    "emulation, nic (the adapter and wire: silicon on real hardware)"));
	json_array_append_new(
		asm_, json_string("guests do not contend: N guests cost N times one guest (no "
				  "cache, memory-bandwidth or lock contention; valid within the "
				  "measured throughput range)"));
	json_object_foreach(samples, path, ps) {
		json_t *pp = path_plan(
			path, ps, o,
			json_integer_value(json_object_get(
				json_object_get(json_object_get(rec, "workload"), "guests"),
				path)));

		if (!pp) {
			snprintf(
				buf, sizeof(buf),
				"path %s: no CPU per byte (bpf was not measured on every run): not "
				"planned",
				path);
			json_array_append_new(notes, json_string(buf));
			continue;
		}
		json_object_set_new(paths, path, pp);
	}
	if (!json_object_size(paths)) {
		snprintf(err, errlen,
			 "no path has CPU per byte figures (bpf collector missing): nothing to "
			 "plan");
		json_decref(plan);
		plan = NULL;
	}
cleanup:
	json_decref(samples);
	return plan;
}

static void print_fit(FILE *f, long n)
{
	if (n < 0)
		fputs("no CPU bound", f);
	else
		fprintf(f, "%ld", n);
}

void plan__print(FILE *f, const json_t *plan)
{
	const json_t *paths = json_object_get(plan, "paths"), *p, *x;
	double g = num(plan, "target_bps") / 1e9;
	const char *path;
	size_t i;

	fprintf(f, "capacity plan: %.3f Gbit/s of payload per guest, host budget %g cores, ", g,
		num(plan, "host_cores"));
	if (json_is_integer(json_object_get(plan, "guests")))
		fprintf(f, "%lld guests\n", (long long)num(plan, "guests"));
	else
		fputs("as many guests as fit\n", f);
	fputs("assumptions:\n", f);
	json_array_foreach(json_object_get(plan, "assumptions"), i, x)
		fprintf(f, "  - %s\n", json_string_value(x));
	json_object_foreach((json_t *)paths, path, p) {
		const json_t *tp = json_object_get(p, "throughput_bps_per_guest");
		const json_t *nb = json_object_get(p, "ns_per_byte");
		const json_t *cg = json_object_get(p, "cores_per_guest");
		const json_t *gph = json_object_get(p, "guests_per_host");
		const json_t *gho = json_object_get(p, "guests_per_host_host_work_only");
		const json_t *used = json_object_get(p, "host_cores_used");
		const json_t *hd = json_object_get(p, "headroom_cores");
		const json_t *fits = json_object_get(p, "fits");
		static const char *const parts[] = { "host", "guest", "total" };

		fprintf(f, "\npath %s\n", path);
		fprintf(f,
			"  measured: %lld repetition(s), %lld guest(s) per run, %.3f Gbit/s per "
			"guest (median; min %.3f, max %.3f)\n",
			(long long)num(p, "repetitions"), (long long)num(p, "guests_per_run"),
			num(tp, "median") / 1e9, num(tp, "min") / 1e9, num(tp, "max") / 1e9);
		fputs("  CPU ns per payload byte, median [min, max]:", f);
		for (size_t k = 0; k < 3; k++) {
			x = json_object_get(nb, parts[k]);
			fprintf(f, "%s %s %.4f [%.4f, %.4f]", k ? "," : "", parts[k],
				num(x, "median"), num(x, "min"), num(x, "max"));
		}
		fprintf(f, "\n  cores per guest at %.3f Gbit/s, median [min, max]:", g);
		for (size_t k = 0; k < 3; k++) {
			x = json_object_get(cg, parts[k]);
			fprintf(f, "%s %s %.3f [%.3f, %.3f]", k ? "," : "", parts[k],
				num(x, "median"), num(x, "min"), num(x, "max"));
		}
		fprintf(f, "\n  guests per host (%g cores): ", num(plan, "host_cores"));
		print_fit(f, (long)num(gph, "median"));
		fputs(" at the median cost, ", f);
		print_fit(f, (long)num(gph, "worst"));
		fputs(" at the worst; host work alone: ", f);
		print_fit(f, (long)num(gho, "median"));
		fputs(" (worst ", f);
		print_fit(f, (long)num(gho, "worst"));
		fputs(")\n", f);
		fprintf(f,
			"  placing %lld guest(s): %.2f cores used (median), %.2f at the worst; "
			"headroom %.2f cores (%.0f%%), %.2f at the worst%s\n",
			(long long)num(p, "placed"), num(used, "median"), num(used, "worst"),
			num(hd, "median"), 100 * num(hd, "median") / num(plan, "host_cores"),
			num(hd, "worst"),
			!json_is_true(json_object_get(fits, "median")) ? ": DOES NOT FIT"
			: !json_is_true(json_object_get(fits, "worst"))
				? ": does not fit at the worst"
				: "");
		json_array_foreach(json_object_get(p, "notes"), i, x)
			fprintf(f, "  note: %s\n", json_string_value(x));
	}
	json_array_foreach(json_object_get(plan, "notes"), i, x)
		fprintf(f, "note: %s\n", json_string_value(x));
}

static int plan__write_gp(const json_t *plan, FILE *dat, FILE *gp)
{
	const json_t *paths = json_object_get(plan, "paths"), *p;
	double budget = num(plan, "host_cores"), g = num(plan, "target_bps") / 1e9, xmax = 2;
	double ymax = budget * 1.25;
	size_t j = 0;
	const char *path;

	json_object_foreach((json_t *)paths, path, p) {
		double fit = num(json_object_get(p, "guests_per_host"), "median");

		xmax = fmax(xmax, num(p, "placed"));
		xmax = fmax(xmax, fit);
	}
	xmax = ceil(xmax * 1.25);
	fprintf(dat,
		"# Written by iovbench plan: host cores used (host work + guest vCPUs) against "
		"the number of guests,\n# each at %.6g Gbit/s of payload; one block per path: "
		"guests, median, min, max (over repetitions)\n",
		g);
	json_object_foreach((json_t *)paths, path, p) {
		const json_t *t = json_object_get(json_object_get(p, "cores_per_guest"), "total");

		fprintf(dat, "# path %s: cores per guest median %.6g min %.6g max %.6g\n", path,
			num(t, "median"), num(t, "min"), num(t, "max"));
		/* The band is clamped to the plot's top where it leaves it: gnuplot clips
		 * filled curves badly. Points at 0, at each clamp's kink and at the right edge. */
		double xs[5] = { 0, xmax, ymax / num(t, "max"), ymax / num(t, "min"),
				 ymax / num(t, "median") };

		qsort(xs, 5, sizeof(xs[0]), cmp_double);
		for (int k = 0; k < 5; k++) {
			double n = xs[k];

			if (!(n >= 0 && n <= xmax) || (k && n == xs[k - 1]))
				continue;
			fprintf(dat, "%.6g %.6g %.6g %.6g\n", n, n * num(t, "median"),
				fmin(n * num(t, "min"), ymax), fmin(n * num(t, "max"), ymax));
		}
		fputs("\n\n", dat);
	}
	fprintf(gp,
		"# Written by iovbench plan: edit and re-run with `gnuplot plan.gp` in this "
		"directory;\n# it redraws plan.svg and plan.png from plan.dat.\nreset\n"
		"dat = 'plan.dat'\nbudget = %g\n",
		budget);
	fputs("set title ", gp);
	{
		char t[256];

		snprintf(
			t, sizeof(t),
			"Capacity plan: host cores used at %.3g Gbit/s of payload per guest\nline: "
			"median cost over the repetitions; band: min to max",
			g);
		plot__gp_string(gp, t);
	}
	fprintf(gp, "\nset xlabel \"guests on the host (each at %.3g Gbit/s of payload)\"\n", g);
	fputs("set ylabel \"host cores used (cores: host work + guest vCPUs)\"\n", gp);
	fprintf(gp, "set xrange [0:%g]\nset yrange [0:%g]\n", xmax, ymax);
	fputs("set grid lc rgb \"#dddddd\"\nset border 3\nset xtics nomirror\nset ytics nomirror\n"
	      "set key top left\n",
	      gp);
	json_object_foreach((json_t *)paths, path, p) {
		const json_t *t = json_object_get(json_object_get(p, "cores_per_guest"), "total");
		long fit = (long)num(json_object_get(p, "guests_per_host"), "median");
		char lab[128];

		if (fit <= 0)
			continue;
		snprintf(lab, sizeof(lab), "%s: %ld guests", path, fit);
		fputs("set label ", gp);
		plot__gp_string(gp, lab);
		fprintf(gp, " at %ld,%g point pt 7 ps 1 offset 0.5,-0.8\n", fit,
			(double)fit * num(t, "median"));
	}
	fputs("set terminal svg size 960,560 font \"sans,13\" noenhanced background \"white\"\n"
	      "set output 'plan.svg'\nplot ",
	      gp);
	json_object_foreach((json_t *)paths, path, p) {
		const char *legend, *colour;

		plot__path_style(path, &legend, &colour);
		fprintf(gp,
			"dat index %zu using 1:3:4 with filledcurves fc rgb \"%s\" "
			"fs transparent solid 0.2 noborder notitle, \\\n"
			"     dat index %zu using 1:2 with lines lw 2 lc rgb \"%s\" title ",
			j, colour, j, colour);
		plot__gp_string(gp, legend);
		fputs(", \\\n     ", gp);
		j++;
	}
	fprintf(gp,
		"budget with lines dt 2 lw 2 lc rgb \"black\" title \"budget: %g cores\"\n"
		"set terminal pngcairo size 960,560 font \"sans,11\" noenhanced "
		"background \"white\"\nset output 'plan.png'\nreplot\nunset output\n",
		budget);
	return ferror(dat) || ferror(gp) ? -EIO : 0;
}

int plan__write_plot(const json_t *plan, const char *dir, char *err, size_t errlen)
{
	char dat_fn[4096], gp_fn[4096];
	FILE *dat = NULL, *gp = NULL;
	int ret = 0;

	snprintf(dat_fn, sizeof(dat_fn), "%s/plan.dat", dir);
	snprintf(gp_fn, sizeof(gp_fn), "%s/plan.gp", dir);
	dat = fopen(dat_fn, "w");
	gp = dat ? fopen(gp_fn, "w") : NULL;
	if (!dat || !gp) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", dat ? gp_fn : dat_fn, strerror(-ret));
		goto cleanup;
	}
	ret = plan__write_gp(plan, dat, gp);
	if (fclose(gp) && !ret)
		ret = -errno;
	gp = NULL;
	if (fclose(dat) && !ret)
		ret = -errno;
	dat = NULL;
	if (ret) {
		snprintf(err, errlen, "cannot write %s or %s: %s", dat_fn, gp_fn, strerror(-ret));
		goto cleanup;
	}
cleanup:
	if (gp)
		fclose(gp);
	if (dat)
		fclose(dat);
	return ret;
}

static const char *const plan_usage =
	"usage: iovbench plan RECORD --target-gbps G --host-cores C [--guests N] [--json]\n"
	"                     [-o DIR] [-q|-v]\n"
	"\n"
	"Capacity plan per path from a record: the host and guest cores one guest needs to move\n"
	"G Gbit/s of payload (from the measured CPU ns per byte of each role, with its spread\n"
	"over repetitions), how many such guests fit in C host cores, and the headroom left. The\n"
	"assumptions (linear scaling, which roles count as host) are printed with the plan.\n"
	"\n"
	"  --target-gbps G  payload rate per guest, Gbit/s (\"10\", \"2.5\") or a rate "
	"(\"500mbit\")\n"
	"  --host-cores C   the host's core budget\n"
	"  --guests N       guests to place (default: as many as fit at the median cost)\n"
	"  --json           print the plan as one JSON document on stdout\n"
	"  -o, --output DIR also write DIR/plan.dat, plan.gp and render plan.svg, plan.png\n"
	"  -q, --quiet      nothing on stderr but errors\n"
	"  -v, --verbose    say each step on stderr\n"
	"  -h, --help       this text\n"
	"\n"
	"exit status: 0 the guests fit (at the median cost), 1 they do not, 2 bad usage or\n"
	"input, 3 (with -o) DIR cannot be written, gnuplot missing or failed\n";

/* "10" or "2.5" is Gbit/s; anything with a unit is a tc-style rate ("500mbit"). */
static int parse_gbps(const char *s, double *out)
{
	char buf[64];
	uint64_t bps;
	size_t n = strlen(s);
	int err;

	if (!n || n + 5 > sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s%s", s, s[n - 1] >= '0' && s[n - 1] <= '9' ? "gbit" : "");
	err = iovb_parse_rate_bps(buf, &bps);
	if (!err && !bps)
		err = -ERANGE;
	if (!err)
		*out = (double)bps;
	return err;
}

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target-gbps", required_argument, NULL, 'g' },
		{ "host-cores", required_argument, NULL, 'c' },
		{ "guests", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const exts[] = { "svg", "png", NULL };
	struct plan_opts o = { 0 };
	const char *dir = NULL;
	json_t *rec = NULL, *plan = NULL;
	bool json = false;
	uint64_t v;
	char err[1024];
	int ch, ret = IOVB_EXIT_USAGE, verbosity = CLI_NORMAL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "ho:qv", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(ch, &verbosity))
			continue;
		switch (ch) {
		case 'g':
			if (parse_gbps(optarg, &o.target_bps)) {
				fprintf(stderr,
					"iovbench plan: bad --target-gbps '%s' (e.g. 10, 2.5 "
					"or 500mbit)\n",
					optarg);
				goto cleanup;
			}
			break;
		case 'c':
			if (iovb_parse_u64(optarg, 1, 1 << 20, &v)) {
				fprintf(stderr,
					"iovbench plan: bad --host-cores '%s' (a whole number "
					">= 1)\n",
					optarg);
				goto cleanup;
			}
			o.host_cores = (double)v;
			break;
		case 'n':
			if (iovb_parse_u64(optarg, 1, 1 << 20, &v)) {
				fprintf(stderr,
					"iovbench plan: bad --guests '%s' (a whole number "
					">= 1)\n",
					optarg);
				goto cleanup;
			}
			o.guests = (unsigned)v;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			fputs(plan_usage, stdout);
			ret = IOVB_EXIT_OK;
			goto cleanup;
		default:
			fprintf(stderr,
				"iovbench plan: bad option '%s' (see 'iovbench plan --help')\n",
				argv[optind - 1]);
			goto cleanup;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "iovbench plan: expects one RECORD (see 'iovbench plan --help')\n");
		goto cleanup;
	}
	if (!(o.target_bps > 0) || !(o.host_cores > 0)) {
		fprintf(stderr, "iovbench plan: --target-gbps and --host-cores are required (see "
				"'iovbench plan --help')\n");
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench plan", "reading %s", argv[optind]);
	rec = record__read(argv[optind], err, sizeof(err));
	if (!rec) {
		fprintf(stderr, "iovbench plan: %s\n", err);
		goto cleanup;
	}
	plan = plan__build(rec, &o, err, sizeof(err));
	if (!plan) {
		fprintf(stderr, "iovbench plan: %s: %s\n", argv[optind], err);
		goto cleanup;
	}
	json_object_set_new(plan, "record", json_string(argv[optind]));
	if (dir) {
		if (mkdir(dir, 0755) && errno != EEXIST) {
			fprintf(stderr, "iovbench plan: cannot create %s: %s\n", dir,
				strerror(errno));
			ret = IOVB_EXIT_ENV;
			goto cleanup;
		}
		cli__say(verbosity, CLI_VERBOSE, "iovbench plan",
			 "writing %s/plan.dat and plan.gp, rendering them with gnuplot", dir);
		if (plan__write_plot(plan, dir, err, sizeof(err))) {
			fprintf(stderr, "iovbench plan: %s\n", err);
			ret = IOVB_EXIT_ENV;
			goto cleanup;
		}
		if (plot__render_script(dir, NULL, "plan", exts, err, sizeof(err))) {
			fprintf(stderr,
				"iovbench plan: %s; the data and gnuplot script are in %s\n", err,
				dir);
			ret = IOVB_EXIT_ENV;
			goto cleanup;
		}
	}
	if (json) {
		json_dumpf(plan, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		printf("record %s\n", argv[optind]);
		plan__print(stdout, plan);
		if (dir)
			printf("plot: %s/plan.svg\n", dir);
	}
	ret = IOVB_EXIT_OK;
	{
		const char *path;
		json_t *p;

		json_object_foreach(json_object_get(plan, "paths"), path, p)
			if (!json_is_true(json_object_get(json_object_get(p, "fits"), "median")))
				ret = 1;
	}
cleanup:
	json_decref(plan);
	json_decref(rec);
	return ret;
}
