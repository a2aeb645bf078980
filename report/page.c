// SPDX-License-Identifier: GPL-2.0
/*
 * Record + summary + rendered figures -> report.md and report.html. One small emitter writes
 * both, so the two pages always hold the same tables; only escaping and figure embedding differ.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/page.h"
#include "iovb/plot.h"

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

json_t *page__merge(json_t *const *recs, const char *const *files, size_t n, char *err,
		    size_t errlen)
{
	static const char *const same[] = { "kind", "read_pct", "bytes", "io_size", "depth" };
	json_t *out = NULL, *runs, *sources, *run;
	size_t i, j;

	if (!n) {
		snprintf(err, errlen, "no record");
		return NULL;
	}
	for (i = 1; i < n; i++) {
		const json_t *w0 = json_object_get(recs[0], "workload");
		const json_t *wi = json_object_get(recs[i], "workload");

		for (j = 0; j < sizeof(same) / sizeof(same[0]); j++) {
			const json_t *a = json_object_get(w0, same[j]);
			const json_t *b = json_object_get(wi, same[j]);

			/* absent in both (read_pct of a read) is the same too */
			if ((a || b) && !json_equal((json_t *)a, (json_t *)b)) {
				snprintf(err, errlen,
					 "%s: workload %s differs from %s's; only "
					 "records of one workload pool",
					 files[i], same[j], files[0]);
				return NULL;
			}
		}
		if (strcmp(str(json_object_get(recs[0], "topology"), "kind"),
			   str(json_object_get(recs[i], "topology"), "kind"))) {
			snprintf(err, errlen, "%s: topology kind differs from %s's", files[i],
				 files[0]);
			return NULL;
		}
	}
	out = json_copy(recs[0]);
	runs = json_array();
	sources = json_array();
	for (i = 0; i < n; i++) {
		const json_t *meta = json_object_get(recs[i], "meta");

		json_array_foreach(json_object_get(recs[i], "runs"), j, run)
			json_array_append(runs, run);
		json_array_append_new(
			sources,
			json_pack("{ss ss ss ss sI}", "file", files[i], "label", str(meta, "label"),
				  "started", str(meta, "started"), "status", str(recs[i], "status"),
				  "runs",
				  (json_int_t)json_array_size(json_object_get(recs[i], "runs"))));
	}
	json_object_set_new(out, "runs", runs);
	json_object_set_new(out, "sources", sources);
	return out;
}

/* The emitter: Markdown or HTML, same calls. */
struct doc {
	FILE *f;
	bool html;
};

static void doc__text(struct doc *d, const char *s)
{
	for (; *s; s++) {
		if (d->html && *s == '&')
			fputs("&amp;", d->f);
		else if (d->html && *s == '<')
			fputs("&lt;", d->f);
		else if (d->html && *s == '>')
			fputs("&gt;", d->f);
		else if (d->html && *s == '"')
			fputs("&quot;", d->f);
		else if (!d->html && (*s == '|' || *s == '*' || *s == '_' || *s == '`'))
			fprintf(d->f, "\\%c", *s);
		else if (!d->html && *s == '\n')
			fputc(' ', d->f);
		else
			fputc(*s, d->f);
	}
}

static void doc__heading(struct doc *d, int level, const char *s)
{
	if (d->html) {
		fprintf(d->f, "<h%d>", level);
		doc__text(d, s);
		fprintf(d->f, "</h%d>\n", level);
	} else {
		fprintf(d->f, "\n%.*s ", level, "######");
		doc__text(d, s);
		fputs("\n\n", d->f);
	}
}

static void doc__para(struct doc *d, const char *s)
{
	fputs(d->html ? "<p>" : "", d->f);
	doc__text(d, s);
	fputs(d->html ? "</p>\n" : "\n\n", d->f);
}

/* A table row of ncols cells; header rows also draw Markdown's separator. */
static void doc__row(struct doc *d, bool header, size_t ncols, const char *const *cells)
{
	const char *tag = header ? "th" : "td";

	if (d->html && header)
		fputs("<table>\n", d->f);
	fputs(d->html ? "<tr>" : "|", d->f);
	for (size_t i = 0; i < ncols; i++) {
		if (d->html)
			fprintf(d->f, "<%s>", tag);
		else
			fputc(' ', d->f);
		doc__text(d, cells[i]);
		if (d->html)
			fprintf(d->f, "</%s>", tag);
		else
			fputs(" |", d->f);
	}
	fputc('\n', d->f);
	if (!d->html && header) {
		fputc('|', d->f);
		for (size_t i = 0; i < ncols; i++)
			fputs(" --- |", d->f);
		fputc('\n', d->f);
	}
}

static void doc__table_end(struct doc *d)
{
	fputs(d->html ? "</table>\n" : "\n", d->f);
}

static void kv(struct doc *d, const char *k, const char *v)
{
	const char *cells[] = { k, v };

	doc__row(d, false, 2, cells);
}

static void fmt_real(char *buf, size_t len, double v, const char *fmt)
{
	if (isfinite(v))
		snprintf(buf, len, fmt, v);
	else
		snprintf(buf, len, "-");
}

static void meta_table(struct doc *d, const json_t *rec, const json_t *sum)
{
	const json_t *meta = json_object_get(rec, "meta"), *topo = json_object_get(rec, "topology");
	const json_t *wl = json_object_get(rec, "workload"), *x, *kern, *cpu;
	const char *head[] = { "what", "value" };
	char buf[1024];
	size_t i, o;

	doc__row(d, true, 2, head);
	o = 0;
	buf[0] = 0;
	json_array_foreach(json_object_get(rec, "sources"), i, x)
		o += snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0,
			      "%s%s (%s, started %s, %s, %lld runs)", i ? "; " : "", str(x, "file"),
			      str(x, "label"), str(x, "started"), str(x, "status"),
			      (long long)num(x, "runs"));
	if (buf[0])
		kv(d, "records", buf);
	kv(d, "label", str(meta, "label"));
	snprintf(buf, sizeof(buf), "%s (git %s)", str(json_object_get(meta, "tool"), "version"),
		 str(json_object_get(meta, "tool"), "git_rev"));
	kv(d, "iovbench", buf);
	snprintf(buf, sizeof(buf), "%s to %s", str(meta, "started"), str(meta, "ended"));
	kv(d, "time (UTC)", buf);
	kv(d, "status", str(rec, "status"));
	kern = json_object_get(meta, "kernel");
	snprintf(buf, sizeof(buf), "%s %s %s", str(kern, "release"), str(kern, "version"),
		 str(kern, "machine"));
	kv(d, "kernel", buf);
	cpu = json_object_get(meta, "cpu");
	snprintf(buf, sizeof(buf), "%s, %lld CPUs", str(cpu, "model"),
		 (long long)num(cpu, "nproc"));
	kv(d, "CPU", buf);
	x = json_object_get(sum, "cpu_clock");
	if (json_is_number(json_object_get(x, "nominal_mhz")))
		snprintf(buf, sizeof(buf), "%.0f MHz (%s)", num(x, "nominal_mhz"),
			 str(x, "source"));
	else
		snprintf(buf, sizeof(buf), "%s", str(x, "source"));
	kv(d, "CPU nominal clock", buf);
	if (json_is_number(json_object_get(topo, "link_rate_bps")))
		snprintf(buf, sizeof(buf), "%s, link shaped to %g Gbit/s, server %s",
			 str(topo, "kind"), num(topo, "link_rate_bps") / 1e9,
			 str(topo, "server_addr"));
	else
		snprintf(buf, sizeof(buf), "%s, link unshaped, server %s", str(topo, "kind"),
			 str(topo, "server_addr"));
	kv(d, "topology", buf);
	snprintf(buf, sizeof(buf),
		 "%s: %g MiB per repetition, %g KiB I/Os, %g in flight, %g repetitions asked, "
		 "%g MiB warm-up, %s",
		 str(wl, "kind"), num(wl, "bytes") / (1 << 20), num(wl, "io_size") / 1024,
		 num(wl, "depth"), num(wl, "reps"), num(wl, "warmup_bytes") / (1 << 20),
		 str(wl, "order"));
	kv(d, "workload", buf);
	/* Newer records: guests per path and how the repetitions ended (docs/record.md). */
	x = json_object_get(wl, "guests");
	if (json_is_object(x)) {
		const char *path;
		json_t *g;

		o = 0;
		buf[0] = 0;
		json_object_foreach((json_t *)x, path, g)
			o += snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s: %lld",
				      o ? ", " : "", path, (long long)json_integer_value(g));
		kv(d, "guests per path", buf);
	}
	x = json_object_get(rec, "repetitions");
	if (json_is_object(x)) {
		snprintf(buf, sizeof(buf), "%lld done, stopped by %s", (long long)num(x, "done"),
			 str(x, "stopped"));
		kv(d, "repetitions", buf);
	}
	o = 0;
	buf[0] = 0;
	json_array_foreach(json_object_get(rec, "collectors"), i, x)
		o += snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s: %s%s%s",
			      i ? ", " : "", str(x, "name"), str(x, "status"),
			      json_object_get(x, "error") ? " - " : "", str(x, "error"));
	kv(d, "collectors", buf);
	o = 0;
	buf[0] = 0;
	json_array_foreach(json_object_get(meta, "command_line"), i, x)
		o += snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s",
			      i ? " " : "iovbench ", json_string_value(x) ?: "");
	kv(d, "command", buf);
	fmt_real(buf, sizeof(buf),
		 num(json_object_get(sum, "checks"), "softirq_count_rel_err") * 100, "%.2f %%");
	kv(d, "check: bpf vs /proc/softirqs counts, largest difference", buf);
	doc__table_end(d);
}

static void spread3(char (*cells)[32], const json_t *sp, double scale, const char *fmt)
{
	fmt_real(cells[0], 32, num(sp, "median") * scale, fmt);
	fmt_real(cells[1], 32, num(sp, "min") * scale, fmt);
	fmt_real(cells[2], 32, num(sp, "max") * scale, fmt);
}

static void throughput_table(struct doc *d, const json_t *sum)
{
	const char *head[] = { "path", "stands for", "repetitions", "median Gbit/s", "min", "max" };
	const char *path;
	json_t *p;

	doc__row(d, true, 6, head);
	json_object_foreach(json_object_get(sum, "paths"), path, p) {
		char c[4][32];
		const char *cells[6] = { path, str(p, "stands_for"), c[3], c[0], c[1], c[2] };

		spread3(c, json_object_get(p, "throughput_bps_spread"), 1e-9, "%.3f");
		snprintf(c[3], 32, "%lld", (long long)num(p, "repetitions"));
		doc__row(d, false, 6, cells);
	}
	doc__table_end(d);
}

static void roles_table(struct doc *d, const json_t *sum)
{
	const char *head[] = { "path",
			       "role",
			       "CPU ns/byte (median)",
			       "min",
			       "max",
			       "softirq ns/byte",
			       "process ns/byte",
			       "cycles/byte at nominal clock (median [min, max])" };
	const char *path, *role;
	json_t *p, *r;

	doc__row(d, true, 8, head);
	json_object_foreach(json_object_get(sum, "paths"), path, p)
		json_object_foreach(json_object_get(p, "roles"), role, r) {
			const json_t *cy = json_object_get(r, "cycles_per_byte_spread");
			char c[5][32], cyc[96];
			const char *cells[8] = { path, role, c[0], c[1], c[2], c[3], c[4], cyc };

			spread3(c, json_object_get(r, "cpu_ns_per_byte_spread"), 1, "%.4f");
			fmt_real(c[3], 32, num(r, "softirq_ns_per_byte"), "%.4f");
			fmt_real(c[4], 32, num(r, "process_ns_per_byte"), "%.4f");
			if (cy)
				snprintf(cyc, sizeof(cyc), "%.3f [%.3f, %.3f]", num(cy, "median"),
					 num(cy, "min"), num(cy, "max"));
			else
				snprintf(cyc, sizeof(cyc), "-");
			doc__row(d, false, 8, cells);
		}
	doc__table_end(d);
}

static void clock_para(struct doc *d, const json_t *sum)
{
	const json_t *c = json_object_get(sum, "cpu_clock");
	char line[512];

	if (json_is_number(json_object_get(c, "nominal_mhz")))
		snprintf(
			line, sizeof(line),
			"Cycles per byte are ntttcp's: CPU ns x the nominal clock, %.0f MHz, taken "
			"from %s; not the cycles a counter would count at the real, varying clock.",
			num(c, "nominal_mhz"), str(c, "source"));
	else
		snprintf(line, sizeof(line), "Cycles per byte: %s.", str(c, "source"));
	doc__para(d, line);
}

static void devices_table(struct doc *d, const json_t *rec)
{
	const char *head[] = { "device", "role", "kind", "stands for", "offloads" };
	size_t i;
	json_t *x;

	doc__row(d, true, 5, head);
	json_array_foreach(json_object_get(json_object_get(rec, "topology"), "devices"), i, x) {
		const char *cells[5] = { str(x, "name"), str(x, "role"), str(x, "kind"),
					 str(x, "stands_for"), str(x, "offloads") };

		doc__row(d, false, 5, cells);
	}
	doc__table_end(d);
}

/* Copy one SVG from its <svg element on, its ids prefixed by name: figures share one page. */
static int svg__inline(FILE *out, const char *dir, const char *name, char *err, size_t errlen)
{
	static const char *const refs[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	char fn[4096], *buf = NULL, *s;
	size_t len = 0;
	FILE *in;
	int ret = 0;

	snprintf(fn, sizeof(fn), "%s/%s.svg", dir, name);
	in = fopen(fn, "r");
	if (!in) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
	if (getdelim(&buf, &len, '\0', in) < 0 || !(s = strstr(buf, "<svg")) ||
	    !strstr(s, "</svg>")) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s is not an SVG document", fn);
		goto cleanup;
	}
	while (*s) {
		size_t i, n = 0;

		for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
			if (!strncmp(s, refs[i], strlen(refs[i])))
				break;
		if (i < sizeof(refs) / sizeof(refs[0])) {
			n = strlen(refs[i]);
			fprintf(out, "%.*s%s-", (int)n, s, name);
			s += n;
			continue;
		}
		fputc(*s++, out);
	}
	fputc('\n', out);
cleanup:
	free(buf);
	if (in)
		fclose(in);
	return ret;
}

static const char css[] =
	"body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;"
	"color:#222;line-height:1.4}\n"
	"table{border-collapse:collapse;margin:1em 0;font-size:0.9em}\n"
	"th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}\n"
	"th{background:#f3f3f3}\n"
	"figure{margin:2em 0}\nfigure svg{max-width:100%;height:auto;display:block}\n"
	"figcaption{font-size:0.9em;color:#444;margin-top:0.5em}\n";

static int page__write_one(const json_t *rec, const json_t *sum, const char *dir, bool html,
			   char *err, size_t errlen)
{
	const json_t *checks = json_object_get(sum, "checks");
	const struct plot_fig *figs;
	char fn[4096], line[512];
	struct doc d = { NULL, html };
	size_t nfigs;
	int ret = 0;

	figs = plot__figures(&nfigs);
	snprintf(fn, sizeof(fn), "%s/report.%s", dir, html ? "html" : "md");
	d.f = fopen(fn, "w");
	if (!d.f) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
		goto cleanup;
	}
	snprintf(line, sizeof(line), "iovbench report: %s, %s",
		 str(json_object_get(rec, "meta"), "label"),
		 str(json_object_get(rec, "meta"), "started"));
	if (html) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>",
		      d.f);
		doc__text(&d, line);
		fprintf(d.f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
	}
	doc__heading(&d, 1, line);
	{
		const json_t *paths = json_object_get(sum, "paths");
		double hp =
			num(json_object_get(json_object_get(json_object_get(paths, "pv"), "roles"),
					    "host"),
			    "cpu_ns_per_byte");
		double hv =
			num(json_object_get(json_object_get(json_object_get(paths, "vf"), "roles"),
					    "host"),
			    "cpu_ns_per_byte");
		int o = snprintf(line, sizeof(line),
				 "Host CPU per payload byte (median): "
				 "paravirtual path %.4f ns/byte, VF path %.4f ns/byte",
				 hp, hv);

		if (json_is_number(json_object_get(checks, "host_cpu_per_byte_pv_over_vf")))
			snprintf(line + o, sizeof(line) - o,
				 ": %.1fx more on the paravirtual path.",
				 num(checks, "host_cpu_per_byte_pv_over_vf"));
		else
			snprintf(line + o, sizeof(line) - o, ".");
	}
	doc__para(&d, line);
	doc__heading(&d, 2, "Run");
	meta_table(&d, rec, sum);
	doc__heading(&d, 2, "Throughput per path");
	throughput_table(&d, sum);
	doc__heading(&d, 2, "CPU per payload byte, by role");
	doc__para(&d,
		  "Softirq = bpf NET_RX time charged to the role's devices; process = the "
		  "role's threads net of the interrupt time bpf saw on top of them. Median, min "
		  "and max over the repetitions.");
	roles_table(&d, sum);
	clock_para(&d, sum);
	doc__heading(&d, 2, "Figures");
	doc__para(&d, "Each figure's data (NAME.dat) and gnuplot script (NAME.gp) are beside this "
		      "page: running \"gnuplot NAME.gp\" in this directory redraws NAME.svg and "
		      "NAME.png.");
	for (size_t i = 0; i < nfigs && !ret; i++) {
		if (!plot__drawn(dir, &figs[i])) {
			doc__para(&d, figs[i].absent ?: "A figure is missing.");
			continue;
		}
		if (html) {
			fprintf(d.f, "<figure id=\"%s\">\n", figs[i].name);
			ret = svg__inline(d.f, dir, figs[i].name, err, errlen);
			fputs("<figcaption><b>", d.f);
			doc__text(&d, figs[i].title);
			fputs(".</b> ", d.f);
			doc__text(&d, figs[i].caption);
			fputs("</figcaption>\n</figure>\n", d.f);
		} else {
			fprintf(d.f, "![%s](%s.png)\n\n**", figs[i].title, figs[i].name);
			doc__text(&d, figs[i].title);
			fputs(".** ", d.f);
			doc__text(&d, figs[i].caption);
			fputs("\n\n", d.f);
		}
	}
	if (ret)
		goto cleanup;
	doc__heading(&d, 2, "Devices");
	devices_table(&d, rec);
	if (html)
		fputs("</body>\n</html>\n", d.f);
	if (ferror(d.f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot write %s: %s", fn, strerror(EIO));
	}
cleanup:
	if (d.f && fclose(d.f) && !ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", fn, strerror(-ret));
	}
	return ret;
}

int page__write(const json_t *rec, const json_t *sum, const char *dir, char *err, size_t errlen)
{
	int ret = page__write_one(rec, sum, dir, false, err, errlen);

	if (!ret)
		ret = page__write_one(rec, sum, dir, true, err, errlen);
	return ret;
}
