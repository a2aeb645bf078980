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
	  "silicon); \"guest\" is the guest that copied on that path." },
};

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
		/* The path's own guest is "guest", so both paths' guests share a category. */
		rr = json_object();
		json_object_foreach(raw, role, v)
			json_object_set(rr, strcmp(role, str(run, "guest_role")) ? role : "guest",
					v);
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

int plot__write(const json_t *rec, const char *dir, char *err, size_t errlen)
{
	const json_t *wl = json_object_get(rec, "workload");
	json_t *paths = plot__collect(rec, err, errlen), *p;
	struct bars b[NFIGS] = {
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
	for (i = 0; i < NFIGS; i++)
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
	snprintf(label, sizeof(label),
		 "SMB2 %s copy: %g MiB per repetition, %g KiB I/Os, %g in flight", str(wl, "kind"),
		 num(wl, "bytes") / (1 << 20), num(wl, "io_size") / 1024, num(wl, "depth"));
	json_object_foreach(paths, path, p)
		cat_add(b[2].cats, label, path, json_incref(json_object_get(p, "throughput_bps")));
	for (i = 0; i < NFIGS && !ret; i++) {
		if (!json_array_size(b[i].cats))
			cat_add(b[i].cats, "(nothing measured)", "", json_array());
		ret = bars__write(&b[i], paths, dir, err, errlen);
	}
cleanup:
	for (i = 0; i < NFIGS; i++)
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

/* Run `gnuplot SCRIPT` with cwd dir, stdout and stderr appended to dir/gnuplot.log. */
static int gnuplot__run(const char *dir, const char *gnuplot, const char *script, int *status)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)gnuplot, (char *)script, NULL };
	pid_t pid;
	int err;

	err = posix_spawn_file_actions_init(&fa);
	if (err)
		return -err;
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
		return -err;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int plot__render_script(const char *dir, const char *gnuplot, const char *name,
			const char *const *exts, char *err, size_t errlen)
{
	char script[256];
	int ret = 0, status;

	gnuplot = gnuplot ?: "gnuplot";
	snprintf(script, sizeof(script), "%s.gp", name);
	ret = gnuplot__run(dir, gnuplot, script, &status);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "%s not found (install gnuplot, e.g. gnuplot-nox)", gnuplot);
		goto cleanup;
	}
	if (ret) {
		snprintf(err, errlen, "cannot run %s %s in %s: %s", gnuplot, script, dir,
			 strerror(-ret));
		goto cleanup;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ret = -EIO;
		snprintf(err, errlen, "%s %s failed (%s %d), see %s/gnuplot.log", gnuplot, script,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), dir);
		goto cleanup;
	}
	for (; *exts; exts++)
		if (!file_ok(dir, name, *exts)) {
			ret = -EIO;
			snprintf(err, errlen, "%s %s left no %s.%s in %s", gnuplot, script, name,
				 *exts, dir);
			goto cleanup;
		}
cleanup:
	return ret;
}

int plot__render(const char *dir, const char *gnuplot, char *err, size_t errlen)
{
	static const char *const exts[] = { "svg", "png", NULL };
	int ret = 0;

	for (size_t i = 0; i < NFIGS && !ret; i++)
		if (plot__drawn(dir, &figs[i]))
			ret = plot__render_script(dir, gnuplot, figs[i].name, exts, err, errlen);
	return ret;
}
