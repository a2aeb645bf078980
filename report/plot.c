// SPDX-License-Identifier: GPL-2.0
/*
 * Record -> gnuplot data and scripts -> SVG and PNG. Every figure is a grouped bar chart: one
 * group per category (a module, a role, ...), one bar per path, bar = median over the
 * repetitions, whiskers = min and max, so spread shows everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iovb/plot.h"
#include "iovb/summary.h"

extern char **environ;

static const struct plot_fig figs[] = {
	{ "fig3", "Figure 3: guest CPU per module, VF path vs paravirtual path",
	  "CPU time the guest spent per payload byte, per module: a device's bar is the NET_RX "
	  "softirq time bpf charged to that device of the guest (its driver: tun for the "
	  "paravirtual guest, macvlan for the VF guest); a thread's bar is its CPU time net of the "
	  "interrupt time bpf saw on top of it (the copy client, mostly TCP receive and the copy "
	  "to user space). Each is divided by the payload bytes of its repetition." },
	{ "fig4", "Figure 4: host CPU per module, VF path vs paravirtual path (log scale)",
	  "The same for the host role: NET_RX softirq time of the host's devices (bridge ports) "
	  "and CPU time of the backend relay threads, per payload byte. The y axis is logarithmic, "
	  "as in the study (host ~10^2 on SR-IOV vs 10^3-10^4 on the synthetic path); a value of "
	  "0 cannot be drawn on it, so it is drawn at the axis floor and labelled \"0\"." },
	{ "fig5", "Figure 5: throughput per path",
	  "Payload throughput of the copy (SMB2 READ response payload bits over the time from "
	  "the first READ sent to the last response received), per repetition, in Gbit/s." },
	{ "fig6", "Figure 6: CPU per byte by role and path",
	  "Each role's CPU time per payload byte: NET_RX softirq time bpf charged to the role's "
	  "devices plus its threads' CPU time net of interrupts, divided by the repetition's "
	  "payload bytes. \"nic\" is the emulated adapter and wire (work real hardware does in "
	  "silicon); \"guest\" is the guests of that path together: their CPU summed over the bytes they copied, so per byte the mean guest." },
	{ "fig7", "Figure 7: throughput and CPU per role over time",
	  "Per-second series of each repetition (runs[].series): payload throughput in Gbit/s and, "
	  "per path, each role's CPU in cores (CPU ns in the interval / interval ns). Line: median "
	  "over the repetitions at that second; band: min to max.",
	  "Figure 7 (throughput and CPU per role over time) is not drawn: the record has no "
	  "per-second series (runs[].series)." },
	{ "fig8", "Figure 8: softirq duration histograms per vector",
	  "How long each softirq ran (bpf, softirq_entry to softirq_exit), in log2 buckets: bucket "
	  "k holds durations in [2^k, 2^(k+1)) ns. Bar: share of that vector's softirqs in the "
	  "bucket, median over the repetitions; whiskers: min to max. The vectors with the most "
	  "events are shown.",
	  "Figure 8 (softirq duration histograms) is not drawn: the record has no per-vector "
	  "histograms (runs[].collectors.bpf.softirq_hist)." },
};

#define NBARS 4 /* figs[0..NBARS) are bar charts; the rest are drawn when their data is there */

#define NFIGS (sizeof(figs) / sizeof(figs[0]))

const struct plot_fig *plot__figures(size_t *n)
{
	*n = NFIGS;
	return figs;
}

static const char *const known_paths[][3] = {
	/* name, legend, colour (kept per path across figures) */
	{ "vf", "VF path (vf: SR-IOV-like)", "#2a9d8f" },
	{ "pv", "paravirtual path (pv)", "#e76f51" },
};

#define NKNOWN (sizeof(known_paths) / sizeof(known_paths[0]))

void plot__path_style(const char *path, const char **legend, const char **colour)
{
	*legend = path;
	*colour = "#888888";
	for (size_t j = 0; j < NKNOWN; j++)
		if (!strcmp(path, known_paths[j][0])) {
			*legend = known_paths[j][1];
			*colour = known_paths[j][2];
		}
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static bool run_ok(const json_t *run)
{
	return !strcmp(str(run, "status"), "ok") &&
	       num(json_object_get(run, "engine"), "bytes") > 0;
}

/* One run's own guests (its guests[] roles, else guest_role) share the category "guest". */
static bool run_guest(const json_t *run, const char *role)
{
	const json_t *g;
	size_t i;

	if (!strcmp(role, str(run, "guest_role")))
		return true;
	json_array_foreach(json_object_get(run, "guests"), i, g)
		if (!strcmp(role, str(g, "role")))
			return true;
	return false;
}

/* dst += src, key by key, for the numbers of two role objects (several guests in one). */
static void role_add(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)src, key, v) {
		const json_t *d = json_object_get(dst, key);

		if (json_is_number(v))
			json_object_set_new(dst, key,
					    json_real(json_number_value(v) +
						      (json_is_number(d) ? json_number_value(d) : 0)));
		else if (!d)
			json_object_set(dst, key, v);
	}
}

/* a[i] += b[i], for per-second arrays of several guests (the shorter is padded). */
static void series_add_arr(json_t *a, const json_t *b)
{
	for (size_t i = 0; i < json_array_size(b); i++) {
		double v = json_number_value(json_array_get(b, i));

		if (i < json_array_size(a))
			json_array_set_new(a, i, json_real(json_number_value(json_array_get(a, i)) + v));
		else
			json_array_append_new(a, json_real(v));
	}
}

/* One path's per-repetition figures (see plot__collect). */
static json_t *path_collect(const json_t *runs, const char *path)
{
	json_t *out = json_object(), *tp = json_array(), *per_run = json_array(), *bytes_a;
	json_t *roles = json_object(), *run, *rr;
	const char *guest = NULL, *role;
	size_t i, k;

	bytes_a = json_array();
	json_array_foreach(runs, i, run) {
		bool have_bpf;
		json_t *raw, *v;

		if (strcmp(str(run, "path"), path) || !run_ok(run))
			continue;
		guest = guest ?: str(run, "guest_role");
		json_array_append_new(
			tp, json_real(num(json_object_get(run, "engine"), "throughput_bps")));
		json_array_append_new(bytes_a,
				      json_real(num(json_object_get(run, "engine"), "bytes")));
		raw = summary__run_roles(run, &have_bpf);
		/*
		 * The path's own guests are "guest" (summed: with several guests, per byte of the
		 * path their CPU is the mean guest's), so both paths' guests share a category.
		 */
		rr = json_object();
		json_object_foreach(raw, role, v) {
			json_t *g;

			if (!run_guest(run, role)) {
				json_object_set(rr, role, v);
				continue;
			}
			g = json_object_get(rr, "guest");
			if (!g) {
				g = json_object();
				json_object_set_new(rr, "guest", g);
			}
			role_add(g, v);
		}
		json_decref(raw);
		json_array_append_new(per_run, rr);
	}
	k = json_array_size(per_run);

	/* Every role and key seen in any repetition; absent in one = spent nothing there. */
	json_array_foreach(per_run, i, rr) {
		json_t *r, *v;
		const char *key;

		json_object_foreach(rr, role, r) {
			json_t *dst = json_object_get(roles, role);

			if (!dst) {
				dst = json_pack("{s[] s{}}", "total", "by");
				json_object_set_new(roles, role, dst);
			}
			json_object_foreach(r, key, v)
				if (!strncmp(key, "dev:", 4) || !strncmp(key, "thread:", 7))
					json_object_set_new(json_object_get(dst, "by"), key,
							    json_array());
		}
	}
	json_object_foreach(roles, role, rr) {
		json_t *by = json_object_get(rr, "by"), *a;
		const char *key;

		for (size_t j = 0; j < k; j++) {
			const json_t *r = json_object_get(json_array_get(per_run, j), role);
			double b = json_number_value(json_array_get(bytes_a, j));
			double sirq = num(r, "softirq_NET_RX_ns"), proc = num(r, "process_ns");

			json_array_append_new(json_object_get(rr, "total"),
					      json_real(((isfinite(sirq) ? sirq : 0) +
							 (isfinite(proc) ? proc : 0)) /
							b));
			json_object_foreach(by, key, a) {
				double v = num(r, key);

				json_array_append_new(a, json_real((isfinite(v) ? v : 0) / b));
			}
		}
	}
	json_object_set_new(out, "reps", json_integer((json_int_t)k));
	json_object_set_new(out, "guest_role", json_string(guest ?: ""));
	json_object_set_new(out, "throughput_bps", tp);
	json_object_set_new(out, "roles", roles);
	json_decref(per_run);
	json_decref(bytes_a);
	return out;
}

json_t *plot__collect(const json_t *rec, char *err, size_t errlen)
{
	const json_t *runs = json_object_get(rec, "runs"), *run;
	json_t *out = json_object();
	size_t i;

	/* Known paths first, in the study's order, then any other path in run order. */
	for (size_t j = 0; j < NKNOWN; j++)
		json_array_foreach(runs, i, run)
			if (!strcmp(str(run, "path"), known_paths[j][0]) && run_ok(run) &&
			    !json_object_get(out, known_paths[j][0]))
				json_object_set_new(out, known_paths[j][0],
						    path_collect(runs, known_paths[j][0]));
	json_array_foreach(runs, i, run)
		if (run_ok(run) && !json_object_get(out, str(run, "path")))
			json_object_set_new(out, str(run, "path"),
					    path_collect(runs, str(run, "path")));
	if (!json_object_size(out)) {
		snprintf(err, errlen, "the record has no completed run to plot (status: %s)",
			 str(rec, "status")[0] ? str(rec, "status") : "unknown");
		json_decref(out);
		return NULL;
	}
	return out;
}

struct stat3 {
	double med, min, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min, max of a JSON array of numbers (NaN for each when there is none). */
static struct stat3 stat3_of(const json_t *a)
{
	struct stat3 s = { NAN, NAN, NAN };
	size_t n = 0, i;
	double *v = calloc(json_array_size(a) + 1, sizeof(*v));
	json_t *x;

	if (!v)
		return s;
	json_array_foreach(a, i, x)
		if (json_is_number(x) && isfinite(json_number_value(x)))
			v[n++] = json_number_value(x);
	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		s.min = v[0];
		s.max = v[n - 1];
		s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
	return s;
}

/* A bar chart: categories (rows) x paths (bars in a group). */
struct bars {
	const struct plot_fig *fig;
	const char *xlabel, *ylabel;
	bool logy;
	double scale; /* applied to every value, e.g. 1e-9 for bit/s -> Gbit/s */
	json_t *cats; /* [{ "label": S, "vals": { PATH: [per rep] } }] */
};

/* Add a path's per-rep values (the reference is stolen) to the category labelled label. */
static void cat_add(json_t *cats, const char *label, const char *path, json_t *vals)
{
	json_t *c = NULL, *x;
	size_t i;

	json_array_foreach(cats, i, x)
		if (!strcmp(str(x, "label"), label))
			c = x;
	if (!c) {
		c = json_pack("{ss s{}}", "label", label, "vals");
		json_array_append_new(cats, c);
	}
	json_object_set_new(json_object_get(c, "vals"), path, vals);
}

/* gnuplot double-quoted string: escape what it interprets, keep our "\n" line breaks. */
void plot__gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void dat_real(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v);
	else
		fputs(" NaN", f);
}

/* A power of ten at least 3x below the smallest positive median or min: the log axis floor. */
static double log_floor(const struct bars *b, const json_t *paths)
{
	double lo = INFINITY;
	const char *path;
	json_t *c, *p;
	size_t i;

	json_array_foreach(b->cats, i, c)
		json_object_foreach((json_t *)paths, path, p) {
			struct stat3 s =
				stat3_of(json_object_get(json_object_get(c, "vals"), path));

			if (s.min > 0 && s.min * b->scale < lo)
				lo = s.min * b->scale;
			if (s.med > 0 && s.med * b->scale < lo)
				lo = s.med * b->scale;
		}
	return isfinite(lo) ? pow(10, floor(log10(lo / 3))) : 1e-3;
}

static void reps_text(char *buf, size_t len, const json_t *paths)
{
	json_int_t lo = -1, hi = -1;
	const char *path;
	json_t *p;

	json_object_foreach((json_t *)paths, path, p) {
		json_int_t r = json_integer_value(json_object_get(p, "reps"));

		lo = lo < 0 || r < lo ? r : lo;
		hi = r > hi ? r : hi;
	}
	if (lo == hi)
		snprintf(buf, len, "%lld", (long long)lo);
	else
		snprintf(buf, len, "%lld-%lld", (long long)lo, (long long)hi);
}

static int bars__write_dat(const struct bars *b, const json_t *paths, FILE *f)
{
	const char *path;
	json_t *c, *p;
	size_t i;

	fprintf(f,
		"# %s\n# written by iovbench report; one row per category: index, label, "
		"then per path median min max over its repetitions\n# index label",
		b->fig->title);
	json_object_foreach((json_t *)paths, path, p)
		fprintf(f, " %s_median %s_min %s_max", path, path, path);
	fputc('\n', f);
	json_array_foreach(b->cats, i, c) {
		fprintf(f, "%zu ", i);
		plot__gp_string(f, str(c, "label"));
		json_object_foreach((json_t *)paths, path, p) {
			struct stat3 s =
				stat3_of(json_object_get(json_object_get(c, "vals"), path));

			dat_real(f, s.med * b->scale);
			dat_real(f, s.min * b->scale);
			dat_real(f, s.max * b->scale);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static int bars__write_gp(const struct bars *b, const json_t *paths, FILE *f)
{
	const char *name = b->fig->name, *path;
	size_t n = json_object_size(paths), i;
	double fl = b->logy ? log_floor(b, paths) : 0, pad;
	char reps[32];
	json_t *c, *p;

	reps_text(reps, sizeof(reps), paths);
	fprintf(f,
		"# %s\n# Written by iovbench report: edit and re-run with `gnuplot %s.gp` in "
		"this directory;\n# it redraws %s.svg and %s.png from %s.dat.\nreset\n",
		b->fig->title, name, name, name, name);
	fprintf(f, "dat = '%s.dat'\nn = %zu\nw = 0.8 / n\n", name, n);
	if (b->logy)
		fprintf(f,
			"# Log scale: a zero cannot be drawn; it sits on this floor, labelled "
			"\"0\".\nfloor = %g\nlift(v) = v > floor ? v : floor\n",
			fl);
	else
		fprintf(f, "floor = 0\nlift(v) = v\n");
	fprintf(f, "x(i, j) = i + (j - (n - 1) / 2.0) * w\narray T[%zu]\narray C[%zu]\n", n, n);
	i = 0;
	json_object_foreach((json_t *)paths, path, p) {
		const char *legend = path, *colour = "#888888";

		for (size_t j = 0; j < NKNOWN; j++)
			if (!strcmp(path, known_paths[j][0])) {
				legend = known_paths[j][1];
				colour = known_paths[j][2];
			}
		fprintf(f, "T[%zu] = ", ++i);
		plot__gp_string(f, legend);
		fprintf(f, "\nC[%zu] = \"%s\"\n", i, colour);
	}
	fputs("set title ", f);
	plot__gp_string(f, b->fig->title);
	fprintf(f, " . \"\\nbars: median of %s repetitions per path; whiskers: min to max\"\n",
		reps);
	fputs("set xlabel ", f);
	plot__gp_string(f, b->xlabel);
	fputs("\nset ylabel ", f);
	plot__gp_string(f, b->ylabel);
	fputc('\n', f);
	if (b->logy)
		fputs("set logscale y 10\nset yrange [floor:*]\n", f);
	else
		fputs("set yrange [0:*]\n", f);
	/* A lone group would fill the width: pad it. */
	pad = json_array_size(b->cats) == 1 ? 0.6 : 0;
	fprintf(f, "set xrange [%g:%g]\nset xtics nomirror (", -0.6 - pad,
		(double)json_array_size(b->cats) - 0.4 + pad);
	json_array_foreach(b->cats, i, c) {
		fputs(i ? ", " : "", f);
		plot__gp_string(f, str(c, "label"));
		fprintf(f, " %zu", i);
	}
	fputs(")\nset ytics nomirror\nset grid ytics lc rgb \"#dddddd\"\nset border 3\n"
	      "set key outside bottom center horizontal\n"
	      "set xlabel offset 0,-0.6\nset bmargin 7\n"
	      "set style fill solid 0.85 border rgb \"#333333\"\n"
	      "set terminal svg size 960,560 font \"sans,13\" noenhanced background \"white\"\n",
	      f);
	fprintf(f, "set output '%s.svg'\n", name);
	fputs("plot for [j=0:n-1] dat using (x($1,j)):(lift(column(3+3*j))):(x($1,j)-w/2):"
	      "(x($1,j)+w/2):(floor):(lift(column(3+3*j))) \\\n"
	      "\twith boxxyerror lc rgb C[j+1] title T[j+1], \\\n"
	      "     for [j=0:n-1] dat using (x($1,j)):(lift(column(3+3*j))):(lift(column(4+3*j))):"
	      "(lift(column(5+3*j))) \\\n"
	      "\twith yerrorbars lc rgb \"black\" pt 7 ps 0.35 notitle, \\\n"
	      "     for [j=0:n-1] dat using (x($1,j)):(floor):(column(3+3*j) == 0 ? \"0\" : \"\") "
	      "\\\n"
	      "\twith labels offset 0,0.7 notitle\n",
	      f);
	fprintf(f,
		"set terminal pngcairo size 960,560 font \"sans,11\" noenhanced "
		"background \"white\"\nset output '%s.png'\nreplot\nunset output\n",
		name);
	return ferror(f) ? -EIO : 0;
}

static int bars__write(const struct bars *b, const json_t *paths, const char *dir, char *err,
		       size_t errlen)
{
	char dat_fn[4096], gp_fn[4096];
	FILE *dat = NULL, *gp = NULL;
	int ret = 0;

	snprintf(dat_fn, sizeof(dat_fn), "%s/%s.dat", dir, b->fig->name);
	snprintf(gp_fn, sizeof(gp_fn), "%s/%s.gp", dir, b->fig->name);
	dat = fopen(dat_fn, "w");
	gp = dat ? fopen(gp_fn, "w") : NULL;
	if (!dat || !gp) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", dat ? gp_fn : dat_fn, strerror(-ret));
		goto cleanup;
	}
	ret = bars__write_dat(b, paths, dat);
	if (!ret)
		ret = bars__write_gp(b, paths, gp);
	if (fclose(gp) && !ret)
		ret = -errno;
	gp = NULL;
	if (fclose(dat) && !ret)
		ret = -errno;
	dat = NULL;
	if (ret)
		snprintf(err, errlen, "cannot write %s or %s: %s", dat_fn, gp_fn, strerror(-ret));
cleanup:
	if (gp)
		fclose(gp);
	if (dat)
		fclose(dat);
	return ret;
}

/* "dev:eth0 (tun)" -> "eth0 (tun)\nNET_RX"; "thread:iovbench" -> "iovbench\nthread". */
static void module_label(char *buf, size_t len, const char *key)
{
	if (!strncmp(key, "dev:", 4))
		snprintf(buf, len, "%s\nNET_RX softirq", key + 4);
	else if (!strncmp(key, "thread:", 7))
		snprintf(buf, len, "%s\nthread", key + 7);
	else
		snprintf(buf, len, "%s", key);
}

static int cmp_key(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	/* Devices (the drivers, as the study's modules) before threads. */
	int dx = !strncmp(x, "dev:", 4), dy = !strncmp(y, "dev:", 4);

	return dx != dy ? dy - dx : strcmp(x, y);
}

/* Figures 3 and 4: one role's modules (devices and threads), plus the role's total. */
static int modules__fill(json_t *cats, const json_t *paths, const char *role)
{
	const char **keys = NULL, *path, *key;
	size_t nk = 0, cap = 0;
	json_t *p, *a;
	char label[160];
	int err = 0;

	json_object_foreach((json_t *)paths, path, p)
		json_object_foreach(
			json_object_get(json_object_get(json_object_get(p, "roles"), role), "by"),
			key, a) {
			bool seen = false;

			for (size_t i = 0; i < nk; i++)
				seen |= !strcmp(keys[i], key);
			if (seen)
				continue;
			if (nk == cap) {
				const char **k2 =
					realloc(keys, (cap = cap * 2 + 8) * sizeof(*keys));

				if (!k2) {
					err = -ENOMEM;
					goto cleanup;
				}
				keys = k2;
			}
			keys[nk++] = key;
		}
	if (nk)
		qsort(keys, nk, sizeof(*keys), cmp_key);
	for (size_t i = 0; i < nk; i++) {
		module_label(label, sizeof(label), keys[i]);
		json_object_foreach((json_t *)paths, path, p) {
			const json_t *r = json_object_get(json_object_get(p, "roles"), role);

			a = json_object_get(json_object_get(r, "by"), keys[i]);
			/* The role ran but never used this module on this path: it spent 0. */
			if (!a && r)
				a = json_pack("[f]", 0.0);
			else
				json_incref(a);
			if (a)
				cat_add(cats, label, path, a);
		}
	}
	json_object_foreach((json_t *)paths, path, p) {
		a = json_object_get(json_object_get(json_object_get(p, "roles"), role), "total");
		if (a)
			cat_add(cats, "role total", path, json_incref(a));
	}
cleanup:
	free(keys);
	return err;
}

static int role_rank(const char *role)
{
	static const char *const order[] = { "host", "guest", "server", "nic" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(role, order[i]))
			return i;
	return 4;
}

static int cmp_role(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return role_rank(x) != role_rank(y) ? role_rank(x) - role_rank(y) : strcmp(x, y);
}

/* Figure 6: every role's total, host first (the study's question). */
static int roles__fill(json_t *cats, const json_t *paths)
{
	const char *roles[64], *path, *role;
	size_t nr = 0;
	json_t *p, *r;

	json_object_foreach((json_t *)paths, path, p)
		json_object_foreach(json_object_get(p, "roles"), role, r) {
			bool seen = false;

			for (size_t i = 0; i < nr; i++)
				seen |= !strcmp(roles[i], role);
			if (!seen && nr < sizeof(roles) / sizeof(roles[0]))
				roles[nr++] = role;
		}
	qsort(roles, nr, sizeof(*roles), cmp_role);
	for (size_t i = 0; i < nr; i++)
		json_object_foreach((json_t *)paths, path, p) {
			r = json_object_get(json_object_get(p, "roles"), roles[i]);
			if (r)
				cat_add(cats, roles[i], path,
					json_incref(json_object_get(r, "total")));
		}
	return 0;
}

/* ---- optional figures: drawn when the record holds their data ------------------------- */

/* Remove a figure's files: a report rewritten into a directory must not show stale ones. */
static void fig_unlink(const char *dir, const char *name)
{
	static const char *const exts[] = { "dat", "gp", "svg", "png" };
	char fn[4096];

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(fn, sizeof(fn), "%s/%s.%s", dir, name, exts[i]);
		unlink(fn);
	}
}

static int fig_open(const char *dir, const char *name, FILE **dat, FILE **gp, char *err,
		    size_t errlen)
{
	char fn[4096];
	int ret = 0;

	snprintf(fn, sizeof(fn), "%s/%s.dat", dir, name);
	*dat = fopen(fn, "w");
	if (*dat) {
		snprintf(fn, sizeof(fn), "%s/%s.gp", dir, name);
		*gp = fopen(fn, "w");
	}
	if (!*dat || !*gp) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		if (*dat)
			fclose(*dat);
		*dat = *gp = NULL;
	}
	return ret;
}

static int fig_close(const char *dir, const char *name, FILE *dat, FILE *gp, char *err,
		     size_t errlen)
{
	int ret = ferror(dat) || ferror(gp) ? -EIO : 0;

	if (fclose(gp) && !ret)
		ret = -errno;
	if (fclose(dat) && !ret)
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "cannot write %s/%s.dat or .gp: %s", dir, name,
			 strerror(-ret));
	return ret;
}

static void fig_head(FILE *gp, const struct plot_fig *fig, size_t panels)
{
	fprintf(gp,
		"# %s\n# Written by iovbench report: edit and re-run with `gnuplot %s.gp` in "
		"this directory;\n# it redraws %s.svg and %s.png from %s.dat.\nreset\n"
		"dat = '%s.dat'\nset terminal svg size 960,%zu font \"sans,13\" noenhanced "
		"background \"white\"\nset output '%s.svg'\nset grid lc rgb \"#dddddd\"\n"
		"set border 3\nset xtics nomirror\nset ytics nomirror\nset key outside right top\n"
		"set rmargin 26\n",
		fig->title, fig->name, fig->name, fig->name, fig->name, fig->name,
		panels * 300 + 80, fig->name);
}

/* The body is written once into a memory stream, then emitted for SVG and again for PNG. */
static void fig_tail(FILE *gp, const struct plot_fig *fig, const char *body, size_t panels)
{
	fputs(body, gp);
	fprintf(gp,
		"set terminal pngcairo size 960,%zu font \"sans,11\" noenhanced background "
		"\"white\"\nset output '%s.png'\n",
		panels * 300 + 80, fig->name);
	fputs(body, gp);
	fputs("unset output\n", gp);
}

static const char *const role_colours[] = { "#264653", "#e9c46a", "#8338ec", "#6c757d",
					    "#d62828", "#2a9d8f", "#f4a261" };

/* Median, min, max over reps of column k of the per-rep arrays (skipping reps too short). */
static bool col_stat(json_t *const *arrs, size_t nrep, size_t k, double scale, struct stat3 *s,
		     size_t *n)
{
	json_t *a = json_array();

	for (size_t r = 0; r < nrep; r++) {
		const json_t *x = json_array_get(arrs[r], k);

		if (json_is_number(x))
			json_array_append_new(a, json_real(json_number_value(x) * scale));
	}
	*n = json_array_size(a);
	*s = stat3_of(a);
	json_decref(a);
	return *n > 0;
}

/* One block of the series figure: t, median, min, max, n, for arrays per rep. */
static void series_block(FILE *dat, const char *what, json_t *const *arrs, const json_t *t0,
			 size_t nrep, double interval_s, double scale)
{
	size_t len = 0;

	for (size_t r = 0; r < nrep; r++)
		len = json_array_size(arrs[r]) > len ? json_array_size(arrs[r]) : len;
	fprintf(dat, "# %s: t_s median min max n_reps\n", what);
	for (size_t k = 0; k < len; k++) {
		const json_t *t = json_array_get(t0, k);
		struct stat3 s;
		size_t n;

		if (!col_stat(arrs, nrep, k, scale, &s, &n))
			continue;
		fprintf(dat, "%.6g",
			json_is_number(t) ? json_number_value(t) : (double)(k + 1) * interval_s);
		dat_real(dat, s.med);
		dat_real(dat, s.min);
		dat_real(dat, s.max);
		fprintf(dat, " %zu\n", n);
	}
	fputs("\n\n", dat);
}

/* A line with its min-max band, drawn bands first so no band veils another series' line. */
struct band_line {
	size_t block;
	const char *colour;
	char title[128];
};

static void band_lines_plot(FILE *f, const struct band_line *bl, size_t n)
{
	fputs("plot ", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
			"dat index %zu using 1:3:4 with filledcurves fc rgb \"%s\" fs transparent "
			"solid 0.2 noborder notitle, \\\n     ",
			bl[i].block, bl[i].colour);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "dat index %zu using 1:2 with lines lw 2 lc rgb \"%s\" title ",
			bl[i].block, bl[i].colour);
		plot__gp_string(f, bl[i].title);
		fputs(i + 1 < n ? ", \\\n     " : "\n", f);
	}
}

#define SERIES_MAX_LINES 32

/*
 * run --failover-at: dashed vertical lines at the mean time the VF went and came back
 * (runs[].failover), over every panel; nothing without a failover.
 */
static void failover_marks(FILE *f, const json_t *runs)
{
	static const char *const keys[2] = { "switched_at_s", "restored_at_s" };
	static const char *const labels[2] = { "VF out", "VF back" };
	const json_t *run;
	size_t i;

	for (int k = 0; k < 2; k++) {
		double sum = 0;
		size_t n = 0;

		json_array_foreach(runs, i, run) {
			const json_t *v = json_object_get(json_object_get(run, "failover"), keys[k]);

			if (run_ok(run) && json_is_number(v)) {
				sum += json_number_value(v);
				n++;
			}
		}
		if (!n)
			continue;
		fprintf(f, "set arrow %d from first %.3f, graph 0 to first %.3f, graph 1 nohead "
			   "dt 2 lw 1.5 lc rgb \"#555555\"\n", 10 + k, sum / n, sum / n);
		fprintf(f, "set label %d \"%s\" at first %.3f, graph 0.97 left offset 0.5,0 "
			   "font \",9\"\n", 10 + k, labels[k], sum / n);
	}
}

/* Figure 7: runs[].series, per path. */
static int series__write(const json_t *rec, const json_t *paths, const struct plot_fig *fig,
			 const char *dir, char *err, size_t errlen)
{
	const json_t *runs = json_object_get(rec, "runs"), *run, *p;
	json_t **tp = NULL, *roles_by_path = json_object();
	size_t nruns = json_array_size(runs), i, block = 0, panels = 1;
	FILE *dat = NULL, *gp = NULL, *body = NULL;
	char *bodybuf = NULL, *tpplot = NULL;
	size_t bodylen = 0, tplen = 0, nbl = 0;
	struct band_line bl[SERIES_MAX_LINES];
	bool any = false;
	const char *path;
	int ret = 0;

	json_array_foreach(runs, i, run)
		any |= run_ok(run) && json_is_array(json_object_get(json_object_get(run, "series"),
								    "throughput_bps"));
	if (!any) {
		fig_unlink(dir, fig->name);
		goto cleanup;
	}
	tp = calloc(nruns + 1, sizeof(*tp));
	if (!tp) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	ret = fig_open(dir, fig->name, &dat, &gp, err, errlen);
	if (ret)
		goto cleanup;
	fprintf(dat,
		"# %s\n# Written by iovbench report: one block per path and quantity "
		"(gnuplot index = block number).\n",
		fig->title);
	body = open_memstream(&bodybuf, &bodylen);
	{
		FILE *tpf = open_memstream(&tpplot, &tplen);

		if (!body || !tpf) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			if (tpf)
				fclose(tpf);
			goto cleanup;
		}
		/* Throughput blocks first (panel 1), then CPU per role, per path. */
		json_object_foreach((json_t *)paths, path, p) {
			const char *legend, *colour;
			const json_t *t0 = NULL;
			double interval = 1;
			size_t nrep = 0;

			json_array_foreach(runs, i, run) {
				const json_t *se = json_object_get(run, "series");

				if (strcmp(str(run, "path"), path) || !run_ok(run) ||
				    !json_is_array(json_object_get(se, "throughput_bps")))
					continue;
				t0 = t0 ?: json_object_get(se, "t_s");
				interval =
					isfinite(num(se, "interval_s")) ? num(se, "interval_s") : 1;
				tp[nrep++] = json_object_get(se, "throughput_bps");
			}
			if (!nrep)
				continue;
			plot__path_style(path, &legend, &colour);
			series_block(dat, path, tp, t0, nrep, interval, 1e-9);
			if (nbl < SERIES_MAX_LINES) {
				bl[nbl].block = block;
				bl[nbl].colour = colour;
				snprintf(bl[nbl].title, sizeof(bl[nbl].title), "%s", legend);
				nbl++;
			}
			block++;
			json_object_set_new(roles_by_path, path, json_object());
		}
		band_lines_plot(tpf, bl, nbl);
		fclose(tpf);
	}
	fprintf(body,
		"set multiplot layout %%PANELS%%,1\nset title \"payload throughput per "
		"second\"\nset xlabel \"time since the window opened (s)\"\n"
		"set ylabel \"throughput (Gbit/s)\"\nset yrange [0:*]\n");
	failover_marks(body, runs);
	fputs(tpplot, body);
	/* CPU per role: one panel per path that has cpu_ns. */
	json_object_foreach((json_t *)paths, path, p) {
		const char *guest = str(p, "guest_role"), *role;
		json_t *roles = json_object(), *arr;
		const json_t *t0 = NULL;
		double interval = 1;
		size_t nrep = 0, nr = 0;

		json_array_foreach(runs, i, run) {
			const json_t *se = json_object_get(run, "series");
			json_t *c;

			if (strcmp(str(run, "path"), path) || !run_ok(run) ||
			    !json_is_object(json_object_get(se, "cpu_ns")))
				continue;
			t0 = t0 ?: json_object_get(se, "t_s");
			interval = isfinite(num(se, "interval_s")) ? num(se, "interval_s") : 1;
			json_object_foreach(json_object_get(se, "cpu_ns"), role, c) {
				const char *r = run_guest(run, role) ? "guest" : role;

				arr = json_object_get(roles, r);
				if (!arr) {
					arr = json_array();
					json_object_set_new(roles, r, arr);
				}
				/* Index = repetition; a rep without this role has a hole. */
				while (json_array_size(arr) < nrep)
					json_array_append_new(arr, json_array());
				if (json_array_size(arr) > nrep) /* another guest of this rep: add */
					series_add_arr(json_array_get(arr, nrep), c);
				else
					json_array_append_new(arr, json_deep_copy(c));
			}
			nrep++;
		}
		(void)guest;
		if (!nrep) {
			json_decref(roles);
			continue;
		}
		panels++;
		fprintf(body,
			"set title \"%s path: CPU per role per second\"\nset xlabel \"time since "
			"the "
			"window opened (s)\"\nset ylabel \"CPU (cores)\"\n",
			path);
		nbl = 0;
		json_object_foreach(roles, role, arr) {
			json_t *reps[256];
			size_t n = json_array_size(arr) < 256 ? json_array_size(arr) : 256;
			const char *colour =
				role_colours[nr % (sizeof(role_colours) / sizeof(role_colours[0]))];
			char what[128];

			for (size_t r = 0; r < n; r++)
				reps[r] = json_array_get(arr, r);
			snprintf(what, sizeof(what), "%s cpu %s (cores)", path, role);
			series_block(dat, what, reps, t0, n, interval, 1 / (interval * 1e9));
			if (nbl < SERIES_MAX_LINES) {
				bl[nbl].block = block;
				bl[nbl].colour = colour;
				snprintf(bl[nbl].title, sizeof(bl[nbl].title), "%s", role);
				nbl++;
			}
			block++;
			nr++;
		}
		band_lines_plot(body, bl, nbl);
		json_decref(roles);
	}
	if (panels == 1)
		fputs("set label 1 \"CPU per role: not in the series (no cpu_ns)\" at graph 0.5,"
		      "-0.25 center\n",
		      body);
	fputs("unset multiplot\n", body);
	fclose(body);
	body = NULL;
	fig_head(gp, fig, panels);
	{
		/* The panel count is known only now: put it in the layout line. */
		char *at = strstr(bodybuf, "%PANELS%"), *fixed;

		if (at && asprintf(&fixed, "%.*s%zu%s", (int)(at - bodybuf), bodybuf, panels,
				   at + 8) > 0) {
			free(bodybuf);
			bodybuf = fixed;
		}
	}
	fig_tail(gp, fig, bodybuf, panels);
	ret = fig_close(dir, fig->name, dat, gp, err, errlen);
	dat = gp = NULL;
cleanup:
	if (body)
		fclose(body);
	if (gp)
		fclose(gp);
	if (dat)
		fclose(dat);
	free(bodybuf);
	free(tpplot);
	free(tp);
	json_decref(roles_by_path);
	return ret;
}

/* "1.0 us"-style label of a power of two of ns. */
static void ns_label(char *buf, size_t len, double ns)
{
	if (ns >= 1e6)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else
		snprintf(buf, len, "%.0f ns", ns);
}

static int cmp_vec(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	double nx = num(x, "events"), ny = num(y, "events");
	const char *vx = str(x, "vector"), *vy = str(y, "vector");
	int px = !strcmp(vx, "NET_RX") ? 0 : !strcmp(vx, "NET_TX") ? 1 : 2;
	int py = !strcmp(vy, "NET_RX") ? 0 : !strcmp(vy, "NET_TX") ? 1 : 2;

	if (px != py)
		return px - py;
	return (nx < ny) - (nx > ny);
}

#define SHIST_MAX_VECTORS 4
#define SHIST_BUCKETS 64

/* Figure 8: runs[].collectors.bpf.softirq_hist, per vector and path. */
static int shist__write(const json_t *rec, const json_t *paths, const struct plot_fig *fig,
			const char *dir, char *err, size_t errlen)
{
	const json_t *runs = json_object_get(rec, "runs"), *run, *h, *p;
	json_t *vecs = json_object(), *list = json_array(), *v;
	FILE *dat = NULL, *gp = NULL, *body = NULL;
	size_t i, nv, block = 0, npaths = json_object_size(paths);
	char *bodybuf = NULL;
	size_t bodylen = 0;
	const char *vec, *path;
	int ret = 0;

	/* Events per vector over every ok run, to pick the busiest. */
	json_array_foreach(runs, i, run) {
		if (!run_ok(run))
			continue;
		json_object_foreach(
			json_object_get(json_object_get(json_object_get(run, "collectors"), "bpf"),
					"softirq_hist"),
			vec, h) {
			const json_t *b;
			double ev = num(vecs, vec);
			size_t k;

			ev = isfinite(ev) ? ev : 0;
			json_array_foreach(json_object_get(h, "log2"), k, b)
				ev += json_number_value(json_array_get(b, 1));
			json_object_set_new(vecs, vec, json_real(ev));
		}
	}
	json_object_foreach(vecs, vec, v)
		if (json_number_value(v) > 0)
			json_array_append_new(list, json_pack("{ss sf}", "vector", vec, "events",
							      json_number_value(v)));
	nv = json_array_size(list);
	if (!nv) {
		fig_unlink(dir, fig->name);
		goto cleanup;
	}
	{
		json_t **sorted = calloc(nv, sizeof(*sorted));

		if (!sorted) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto cleanup;
		}
		for (i = 0; i < nv; i++)
			sorted[i] = json_incref(json_array_get(list, i));
		qsort(sorted, nv, sizeof(*sorted), cmp_vec);
		json_array_clear(list);
		for (i = 0; i < nv; i++)
			json_array_append_new(list, sorted[i]);
		free(sorted);
	}
	nv = nv > SHIST_MAX_VECTORS ? SHIST_MAX_VECTORS : nv;
	ret = fig_open(dir, fig->name, &dat, &gp, err, errlen);
	if (ret)
		goto cleanup;
	body = open_memstream(&bodybuf, &bodylen);
	if (!body) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	fprintf(dat,
		"# %s\n# Written by iovbench report: one block per vector and path "
		"(gnuplot index = block number);\n# columns: k (bucket [2^k, 2^(k+1)) ns) "
		"lower_ns median_pct min_pct max_pct (share of the vector's softirqs, over "
		"repetitions)\n",
		fig->title);
	fprintf(body,
		"set multiplot layout %zu,1\nn = %zu\nw = 0.8 / n\n"
		"x(k, j) = k + (j - (n - 1) / 2.0) * w\n"
		"set style fill solid 0.85 border rgb \"#333333\"\nset yrange [0:*]\n",
		nv, npaths);
	for (size_t vi = 0; vi < nv; vi++) {
		double share[SHIST_BUCKETS][64];
		size_t nrep_path, j = 0;
		int kmin = SHIST_BUCKETS, kmax = -1;

		vec = str(json_array_get(list, vi), "vector");
		fprintf(body,
			"set title \"%s softirq duration (bpf)\"\nset xlabel \"softirq "
			"duration, log2 bucket (lower bound)\"\nset ylabel \"share of %s "
			"softirqs (%%)\"\n",
			vec, vec);
		/* Buckets present on any path: the x range and labels. */
		json_array_foreach(runs, i, run) {
			const json_t *b;
			size_t k;

			if (!run_ok(run))
				continue;
			h = json_object_get(
				json_object_get(
					json_object_get(json_object_get(run, "collectors"), "bpf"),
					"softirq_hist"),
				vec);
			json_array_foreach(json_object_get(h, "log2"), k, b) {
				double lo = json_number_value(json_array_get(b, 0));
				int kk = lo >= 1 ? (int)floor(log2(lo) + 1e-9) : 0;

				kmin = kk < kmin ? kk : kmin;
				kmax = kk > kmax ? kk : kmax;
			}
		}
		if (kmax < 0 || kmax >= SHIST_BUCKETS)
			kmin = 0, kmax = 0;
		fprintf(body, "set xrange [%g:%g]\nset xtics (", kmin - 0.6, kmax + 0.6);
		for (int k = kmin; k <= kmax; k++) {
			char lab[32];

			ns_label(lab, sizeof(lab), ldexp(1, k));
			fprintf(body, "%s\"%s\" %d", k > kmin ? ", " : "", lab, k);
		}
		fputs(") rotate by -30\nplot ", body);
		json_object_foreach((json_t *)paths, path, p) {
			const char *legend, *colour;

			nrep_path = 0;
			memset(share, 0, sizeof(share));
			json_array_foreach(runs, i, run) {
				const json_t *b;
				double tot = 0;
				size_t k;

				if (strcmp(str(run, "path"), path) || !run_ok(run) ||
				    nrep_path >= 64)
					continue;
				h = json_object_get(
					json_object_get(
						json_object_get(json_object_get(run, "collectors"),
								"bpf"),
						"softirq_hist"),
					vec);
				if (!h)
					continue;
				json_array_foreach(json_object_get(h, "log2"), k, b)
					tot += json_number_value(json_array_get(b, 1));
				json_array_foreach(json_object_get(h, "log2"), k, b) {
					double lo = json_number_value(json_array_get(b, 0));
					int kk = lo >= 1 ? (int)floor(log2(lo) + 1e-9) : 0;

					if (kk >= 0 && kk < SHIST_BUCKETS && tot > 0)
						share[kk][nrep_path] +=
							100 *
							json_number_value(json_array_get(b, 1)) /
							tot;
				}
				nrep_path++;
			}
			fprintf(dat, "# block %zu: %s %s\n", block, vec, path);
			for (int k = kmin; k <= kmax && nrep_path; k++) {
				json_t *a = json_array();
				struct stat3 st;

				for (size_t r = 0; r < nrep_path; r++)
					json_array_append_new(a, json_real(share[k][r]));
				st = stat3_of(a);
				json_decref(a);
				fprintf(dat, "%d %.0f", k, ldexp(1, k));
				dat_real(dat, st.med);
				dat_real(dat, st.min);
				dat_real(dat, st.max);
				fputc('\n', dat);
			}
			if (!nrep_path)
				fprintf(dat, "%d NaN NaN NaN NaN\n", kmin);
			fputs("\n\n", dat);
			plot__path_style(path, &legend, &colour);
			fprintf(body,
				"%sdat index %zu using "
				"(x($1,%zu)):3:(x($1,%zu)-w/2):(x($1,%zu)+w/2):"
				"(0):3 with boxxyerror lc rgb \"%s\" title ",
				j ? ", \\\n     " : "", block, j, j, j, colour);
			plot__gp_string(body, legend);
			fprintf(body,
				", \\\n     dat index %zu using (x($1,%zu)):3:4:5 with yerrorbars "
				"lc rgb \"black\" pt 7 ps 0.3 notitle",
				block, j);
			block++;
			j++;
		}
		fputc('\n', body);
	}
	fputs("unset multiplot\n", body);
	fclose(body);
	body = NULL;
	fig_head(gp, fig, nv);
	fig_tail(gp, fig, bodybuf, nv);
	ret = fig_close(dir, fig->name, dat, gp, err, errlen);
	dat = gp = NULL;
cleanup:
	if (body)
		fclose(body);
	if (gp)
		fclose(gp);
	if (dat)
		fclose(dat);
	free(bodybuf);
	json_decref(list);
	json_decref(vecs);
	return ret;
}

int plot__write(const json_t *rec, const char *dir, char *err, size_t errlen)
{
	const json_t *wl = json_object_get(rec, "workload");
	json_t *paths = plot__collect(rec, err, errlen), *p;
	struct bars b[NBARS] = {
		{ &figs[0], "guest module (device: NET_RX softirq; thread: CPU net of interrupts)",
		  "guest CPU time per payload byte (ns/byte)", false, 1 },
		{ &figs[1], "host module (device: NET_RX softirq; thread: CPU net of interrupts)",
		  "host CPU time per payload byte (ns/byte, log scale)", true, 1 },
		{ &figs[2], "workload", "throughput (Gbit/s of payload)", false, 1e-9 },
		{ &figs[3], "role", "CPU time per payload byte (ns/byte)", false, 1 },
	};
	char label[128];
	const char *path;
	int ret = 0;
	size_t i;

	if (!paths)
		return -EINVAL;
	for (i = 0; i < NBARS; i++)
		b[i].cats = json_array();
	ret = modules__fill(b[0].cats, paths, "guest");
	if (!ret)
		ret = modules__fill(b[1].cats, paths, "host");
	if (!ret)
		ret = roles__fill(b[3].cats, paths);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	snprintf(label, sizeof(label), "SMB2 %s copy: %g MiB per %s, %g KiB I/Os, %g in flight",
		 str(wl, "kind"), num(wl, "bytes") / (1 << 20),
		 !strcmp(str(wl, "bytes_per"), "guest") ? "guest" : "repetition",
		 num(wl, "io_size") / 1024, num(wl, "depth"));
	json_object_foreach(paths, path, p)
		cat_add(b[2].cats, label, path, json_incref(json_object_get(p, "throughput_bps")));
	for (i = 0; i < NBARS && !ret; i++) {
		if (!json_array_size(b[i].cats))
			cat_add(b[i].cats, "(nothing measured)", "", json_array());
		ret = bars__write(&b[i], paths, dir, err, errlen);
	}
	if (!ret)
		ret = series__write(rec, paths, &figs[NBARS], dir, err, errlen);
	if (!ret)
		ret = shist__write(rec, paths, &figs[NBARS + 1], dir, err, errlen);
cleanup:
	for (i = 0; i < NBARS; i++)
		json_decref(b[i].cats);
	json_decref(paths);
	return ret;
}

/* Non-empty regular file? */
static bool file_ok(const char *dir, const char *name, const char *ext)
{
	char fn[4096];
	struct stat st;

	snprintf(fn, sizeof(fn), "%s/%s.%s", dir, name, ext);
	return !stat(fn, &st) && S_ISREG(st.st_mode) && st.st_size > 0;
}

bool plot__drawn(const char *dir, const struct plot_fig *fig)
{
	return file_ok(dir, fig->name, "gp");
}

/* Run `gnuplot SCRIPT...` with cwd dir, stdout and stderr appended to dir/gnuplot.log. */
static int gnuplot__run(const char *dir, const char *gnuplot, char *const *scripts, size_t n,
			int *status)
{
	posix_spawn_file_actions_t fa;
	char **argv = calloc(n + 2, sizeof(*argv));
	pid_t pid;
	int err;

	if (!argv)
		return -ENOMEM;
	argv[0] = (char *)gnuplot;
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = scripts[i];
	err = posix_spawn_file_actions_init(&fa);
	if (err)
		goto cleanup;
	err = posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "gnuplot.log",
						       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
						       0644);
	if (!err)
		err = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	if (!err)
		err = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (!err)
		err = posix_spawnp(&pid, gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		goto cleanup;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR) {
			err = errno;
			goto cleanup;
		}
cleanup:
	free(argv);
	return -err;
}

/* Check gnuplot's exit status and that every NAME.EXT is there. */
static int gnuplot__check(const char *dir, const char *gnuplot, const char *what, int ret,
			  int status, const char *const *names, size_t n, const char *const *exts,
			  char *err, size_t errlen)
{
	if (ret == -ENOENT) {
		snprintf(err, errlen, "%s not found (install gnuplot, e.g. gnuplot-nox)", gnuplot);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot run %s %s in %s: %s", gnuplot, what, dir,
			 strerror(-ret));
		return ret;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(err, errlen, "%s %s failed (%s %d), see %s/gnuplot.log", gnuplot, what,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), dir);
		return -EIO;
	}
	for (size_t i = 0; i < n; i++)
		for (const char *const *e = exts; *e; e++)
			if (!file_ok(dir, names[i], *e)) {
				snprintf(err, errlen, "%s %s left no %s.%s in %s", gnuplot, what,
					 names[i], *e, dir);
				return -EIO;
			}
	return 0;
}

int plot__render_script(const char *dir, const char *gnuplot, const char *name,
			const char *const *exts, char *err, size_t errlen)
{
	char script[256], *scripts[] = { script };
	int ret, status = 0;

	gnuplot = gnuplot ?: "gnuplot";
	snprintf(script, sizeof(script), "%s.gp", name);
	ret = gnuplot__run(dir, gnuplot, scripts, 1, &status);
	return gnuplot__check(dir, gnuplot, script, ret, status, &name, 1, exts, err, errlen);
}

int plot__render(const char *dir, const char *gnuplot, char *err, size_t errlen)
{
	static const char *const exts[] = { "svg", "png", NULL };
	char scripts[NFIGS][32], *argv[NFIGS], what[NFIGS * 12];
	const char *names[NFIGS];
	int ret, status = 0;
	size_t n = 0, o = 0;

	gnuplot = gnuplot ?: "gnuplot";
	/* One gnuplot for every figure: its start-up (fonts, cairo) costs more than a plot. */
	for (size_t i = 0; i < NFIGS; i++) {
		if (!plot__drawn(dir, &figs[i]))
			continue;
		snprintf(scripts[n], sizeof(scripts[n]), "%s.gp", figs[i].name);
		o += snprintf(what + o, sizeof(what) - o, "%s%s", n ? " " : "", scripts[n]);
		argv[n] = scripts[n];
		names[n++] = figs[i].name;
	}
	ret = gnuplot__run(dir, gnuplot, argv, n, &status);
	return gnuplot__check(dir, gnuplot, what, ret, status, names, n, exts, err, errlen);
}
