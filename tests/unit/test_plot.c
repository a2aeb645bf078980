// SPDX-License-Identifier: GPL-2.0
/*
 * The figures' data: from a small in-memory record, the .dat files hold the medians, minima
 * and maxima over repetitions, per path, in the right units; no gnuplot needed.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "iovb/page.h"
#include "iovb/plot.h"
#include "iovb/summary.h"

/* One run: bytes = 1000, so ns per byte = ns / 1000. */
static json_t *run(const char *path, const char *status, const char *guest, double tp, json_t *devs,
		   json_t *task_irq, json_t *threads)
{
	return json_pack("{ss ss ss s{sf sf} s{s{so so}} s{so}}", "path", path, "status", status,
			 "guest_role", guest, "engine", "bytes", 1000.0, "throughput_bps", tp,
			 "collectors", "bpf", "net_rx_devices", devs, "task_irq", task_irq,
			 "threads", "list", threads);
}

static json_t *dev(const char *name, const char *kind, const char *role, double ns)
{
	return json_pack("{ss ss ss sf}", "name", name, "kind", kind, "role", role, "ns", ns);
}

static json_t *thr(int tid, const char *comm, const char *role, double ns)
{
	return json_pack("{si ss ss sf}", "tid", tid, "comm", comm, "role", role, "cpu_ns", ns);
}

static json_t *sample(void)
{
	json_t *runs = json_array();

	json_array_append_new(runs, run("pv", "ok", "guest-1", 4e9,
					json_pack("[o o]", dev("pf0", "veth", "host", 100),
						  dev("eth0", "tun", "guest-1", 200)),
					json_pack("[{si sf}]", "tid", 10, "irq_ns", 100.0),
					json_pack("[o o]", thr(10, "relay-rx", "host", 500),
						  thr(20, "client", "guest-1", 300))));
	json_array_append_new(runs, run("vf", "ok", "guest-2", 8e9,
					json_pack("[o]", dev("eth0", "macvlan", "guest-2", 50)),
					json_array(),
					json_pack("[o]", thr(30, "client", "guest-2", 200))));
	/* An aborted run says nothing about the path: it must not count. */
	json_array_append_new(runs, run("pv", "aborted", "guest-1", 1e3,
					json_pack("[o]", dev("pf0", "veth", "host", 1e9)),
					json_array(), json_array()));
	json_array_append_new(runs, run("pv", "ok", "guest-1", 6e9,
					json_pack("[o o]", dev("pf0", "veth", "host", 300),
						  dev("eth0", "tun", "guest-1", 400)),
					json_array(),
					json_pack("[o o]", thr(10, "relay-rx", "host", 900),
						  thr(20, "client", "guest-1", 500))));
	json_array_append_new(runs, run("vf", "ok", "guest-2", 10e9,
					json_pack("[o]", dev("eth0", "macvlan", "guest-2", 150)),
					json_array(),
					json_pack("[o]", thr(30, "client", "guest-2", 400))));
	return json_pack("{si so s{ss sf sf sf} ss}", "schema", 1, "runs", runs, "workload", "kind",
			 "read", "bytes", 1000.0, "io_size", 100.0, "depth", 2.0, "status", "ok");
}

struct fx {
	char dir[64];
	json_t *rec;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/iovb-test-plot-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->rec = sample();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	json_decref(f->rec);
	free(f);
	return 0;
}

/* The numbers after the quoted label of the row whose label starts with `label`. */
static int dat_row(const char *dir, const char *fig, const char *label, double *v, int n)
{
	char fn[256], line[1024];
	int got = -1;
	FILE *f;

	snprintf(fn, sizeof(fn), "%s/%s.dat", dir, fig);
	f = fopen(fn, "r");
	assert_non_null(f);
	while (got < 0 && fgets(line, sizeof(line), f)) {
		char *q = strchr(line, '"'), *e;

		if (line[0] == '#' || !q || strncmp(q + 1, label, strlen(label)))
			continue;
		e = strchr(q + 1, '"');
		assert_non_null(e);
		for (got = 0, e++; got < n; got++) {
			char *end;

			v[got] = strtod(e, &end);
			if (end == e)
				break;
			e = end;
		}
	}
	fclose(f);
	return got;
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9 * (1 + fabs(b)))

static void assert_row(const char *dir, const char *fig, const char *label, const double *want)
{
	double v[6];

	assert_int_equal(dat_row(dir, fig, label, v, 6), 6);
	for (int i = 0; i < 6; i++) {
		if (isnan(want[i]))
			assert_true(isnan(v[i]));
		else
			assert_near(v[i], want[i]);
	}
}

static void test_dat_numbers(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	/* Columns: vf median min max, pv median min max (vf first: the study's order). */
	const double host_pf0[] = { NAN, NAN, NAN, 0.2, 0.1, 0.3 };
	const double host_relay[] = { NAN, NAN, NAN, 0.65, 0.4, 0.9 }; /* 500 - 100 irq, 900 */
	const double host_total[] = { NAN, NAN, NAN, 0.85, 0.5, 1.2 };
	const double g_macvlan[] = { 0.1, 0.05, 0.15, 0, 0, 0 }; /* pv's guest has none */
	const double g_tun[] = { 0, 0, 0, 0.3, 0.2, 0.4 };
	const double g_client[] = { 0.3, 0.2, 0.4, 0.4, 0.3, 0.5 };
	const double g_total[] = { 0.4, 0.25, 0.55, 0.7, 0.5, 0.9 };
	const double tput[] = { 9, 8, 10, 5, 4, 6 }; /* Gbit/s */
	double v[6];

	assert_int_equal(plot__write(f->rec, f->dir, err, sizeof(err)), 0);
	assert_row(f->dir, "fig4", "pf0 (veth)", host_pf0);
	assert_row(f->dir, "fig4", "relay-rx", host_relay);
	assert_row(f->dir, "fig4", "role total", host_total);
	assert_row(f->dir, "fig3", "eth0 (macvlan)", g_macvlan);
	assert_row(f->dir, "fig3", "eth0 (tun)", g_tun);
	assert_row(f->dir, "fig3", "client", g_client);
	assert_row(f->dir, "fig3", "role total", g_total);
	assert_row(f->dir, "fig5", "SMB2 read copy", tput);
	assert_row(f->dir, "fig6", "host", host_total);
	assert_row(f->dir, "fig6", "guest", g_total);
	/* The guests of both paths share one category; no per-guest name leaks in. */
	assert_int_equal(dat_row(f->dir, "fig6", "guest-", v, 6), -1);
	/* Devices (drivers) come before threads in the module figures. */
	{
		char fn[256], line[512];
		int row = 0, mac = -1, cli = -1;
		FILE *d;

		snprintf(fn, sizeof(fn), "%s/fig3.dat", f->dir);
		d = fopen(fn, "r");
		assert_non_null(d);
		while (fgets(line, sizeof(line), d))
			if (line[0] != '#') {
				if (strstr(line, "macvlan"))
					mac = row;
				if (strstr(line, "\"client"))
					cli = row;
				row++;
			}
		fclose(d);
		assert_true(mac >= 0 && cli > mac);
	}
}

static void test_scripts(void **state)
{
	struct fx *f = *state;
	char err[256] = "", fn[256], buf[8192];
	size_t n, nfigs;
	const struct plot_fig *figs = plot__figures(&nfigs);
	FILE *g;

	assert_int_equal(nfigs, 6);
	assert_int_equal(plot__write(f->rec, f->dir, err, sizeof(err)), 0);
	/* No series nor softirq histograms in the sample: figures 7 and 8 are not drawn. */
	for (size_t i = 0; i < nfigs; i++)
		assert_int_equal(plot__drawn(f->dir, &figs[i]), !figs[i].absent);
	for (size_t i = 0; i < nfigs && !figs[i].absent; i++) {
		snprintf(fn, sizeof(fn), "%s/%s.gp", f->dir, figs[i].name);
		g = fopen(fn, "r");
		assert_non_null(g);
		n = fread(buf, 1, sizeof(buf) - 1, g);
		buf[n] = 0;
		fclose(g);
		/* Re-runnable from the directory: relative names only, both outputs, units. */
		assert_non_null(strstr(buf, "dat = '"));
		assert_null(strstr(buf, f->dir));
		assert_non_null(strstr(buf, "set terminal svg"));
		assert_non_null(strstr(buf, "set terminal pngcairo"));
		assert_non_null(strstr(buf, "yerrorbars"));
		assert_true(strstr(buf, "(ns/byte") || strstr(buf, "(Gbit/s"));
		assert_int_equal(!!strstr(buf, "set logscale y"), !strcmp(figs[i].name, "fig4"));
	}
}

/* Per-second series and softirq histograms on every ok run of the sample. */
static void add_optional(json_t *rec)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(rec, "runs"), i, r) {
		double k = (double)i;

		json_object_set_new(r, "series",
				    json_pack("{sf s[ff] s[ff] s{s[ff] s[ff]}}", "interval_s", 0.5,
					      "t_s", 0.5, 1.0, "throughput_bps", 1e9 * (1 + k),
					      2e9 * (1 + k), "cpu_ns", "host", 1e8 * (1 + k), 2e8,
					      json_string_value(json_object_get(r, "guest_role")),
					      5e7, 5e7));
		json_object_set_new(json_object_get(json_object_get(r, "collectors"), "bpf"),
				    "softirq_hist",
				    json_pack("{s{ss s[[if][if]]}}", "NET_RX", "unit", "ns", "log2",
					      1024, 1.0 + k, 4096, 3.0 - k / 4));
	}
}

static void test_optional_figures(void **state)
{
	struct fx *f = *state;
	char err[256] = "", fn[256], buf[16384], line[256];
	size_t nfigs, n;
	const struct plot_fig *figs = plot__figures(&nfigs);
	bool seen = false;
	FILE *g;

	add_optional(f->rec);
	assert_int_equal(plot__write(f->rec, f->dir, err, sizeof(err)), 0);
	for (size_t i = 0; i < nfigs; i++)
		assert_true(plot__drawn(f->dir, &figs[i]));
	/* fig7: pv throughput at t = 0.5 s over reps 1 and 4 (index 0 and 3): 1 and 4 Gbit/s. */
	snprintf(fn, sizeof(fn), "%s/fig7.dat", f->dir);
	g = fopen(fn, "r");
	assert_non_null(g);
	while (fgets(line, sizeof(line), g))
		if (!strncmp(line, "# pv:", 5)) {
			double t, med, mn, mx;

			assert_non_null(fgets(line, sizeof(line), g));
			assert_int_equal(sscanf(line, "%lf %lf %lf %lf", &t, &med, &mn, &mx), 4);
			assert_true(t == 0.5 && mn == 1 && mx == 4 && med == 2.5);
			seen = true;
		}
	fclose(g);
	assert_true(seen);
	/* CPU in cores: host 1e8 ns in 0.5 s on rep 1 = 0.2 cores, 4e8 on rep 4 = 0.8. */
	g = fopen(fn, "r");
	n = fread(buf, 1, sizeof(buf) - 1, g);
	buf[n] = 0;
	fclose(g);
	assert_non_null(strstr(buf, "# pv cpu host (cores)"));
	assert_non_null(strstr(buf, "# pv cpu guest (cores)"));
	assert_non_null(strstr(strstr(buf, "# pv cpu host"), "\n0.5 0.5 0.2 0.8 2\n"));
	/* fig8: NET_RX share of the 1024 ns bucket, vf reps 2 and 5 (k = 1, 4): 2/(2+2.75),
	 * 5/(5+2) -> median of 42.1% and 71.4%. */
	snprintf(fn, sizeof(fn), "%s/fig8.dat", f->dir);
	g = fopen(fn, "r");
	n = fread(buf, 1, sizeof(buf) - 1, g);
	buf[n] = 0;
	fclose(g);
	{
		const char *b = strstr(buf, "# block 0: NET_RX vf");
		double k, lo, med, mn, mx;

		assert_non_null(b);
		b = strchr(b, '\n') + 1;
		assert_int_equal(sscanf(b, "%lf %lf %lf %lf %lf", &k, &lo, &med, &mn, &mx), 5);
		assert_true(k == 10 && lo == 1024);
		assert_true(fabs(mn - 100 * 2 / 4.75) < 1e-3 && fabs(mx - 100 * 5.0 / 7) < 1e-3);
		assert_true(fabs(med - (mn + mx) / 2) < 1e-3);
	}
	/* Units on the axes and spread drawn. */
	snprintf(fn, sizeof(fn), "%s/fig7.gp", f->dir);
	g = fopen(fn, "r");
	n = fread(buf, 1, sizeof(buf) - 1, g);
	buf[n] = 0;
	fclose(g);
	assert_non_null(strstr(buf, "(Gbit/s)"));
	assert_non_null(strstr(buf, "(cores)"));
	assert_non_null(strstr(buf, "(s)"));
	assert_non_null(strstr(buf, "filledcurves"));
	snprintf(fn, sizeof(fn), "%s/fig8.gp", f->dir);
	g = fopen(fn, "r");
	n = fread(buf, 1, sizeof(buf) - 1, g);
	buf[n] = 0;
	fclose(g);
	assert_non_null(strstr(buf, "(%)"));
	assert_non_null(strstr(buf, "yerrorbars"));
	/* Rewritten without them, the stale files go. */
	json_decref(f->rec);
	f->rec = sample();
	assert_int_equal(plot__write(f->rec, f->dir, err, sizeof(err)), 0);
	assert_false(plot__drawn(f->dir, &figs[4]));
	snprintf(fn, sizeof(fn), "%s/fig8.dat", f->dir);
	assert_int_equal(access(fn, F_OK), -1);
}

/* Cycles per byte = ns per byte x the record's nominal GHz, never this machine's clock. */
static void test_cycles(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	const json_t *r;
	json_t *sum;

	sum = summary__build(f->rec, err, sizeof(err));
	assert_non_null(sum);
	assert_true(
		json_is_null(json_object_get(json_object_get(sum, "cpu_clock"), "nominal_mhz")));
	r = json_object_get(
		json_object_get(json_object_get(json_object_get(sum, "paths"), "pv"), "roles"),
		"host");
	assert_null(json_object_get(r, "cycles_per_byte"));
	json_decref(sum);

	json_object_set_new(f->rec, "meta",
			    json_pack("{s{ss}}", "cpu", "model", "Some CPU @ 3.00GHz"));
	sum = summary__build(f->rec, err, sizeof(err));
	r = json_object_get(
		json_object_get(json_object_get(json_object_get(sum, "paths"), "pv"), "roles"),
		"host");
	assert_true(fabs(json_number_value(json_object_get(r, "cycles_per_byte")) -
			 3 * json_number_value(json_object_get(r, "cpu_ns_per_byte"))) < 1e-9);
	json_decref(sum);

	/* meta.cpu.nominal_mhz wins over the model name. */
	json_object_set_new(json_object_get(json_object_get(f->rec, "meta"), "cpu"), "nominal_mhz",
			    json_real(2000));
	sum = summary__build(f->rec, err, sizeof(err));
	r = json_object_get(
		json_object_get(json_object_get(json_object_get(sum, "paths"), "pv"), "roles"),
		"host");
	assert_true(fabs(json_number_value(json_object_get(r, "cycles_per_byte")) -
			 2 * json_number_value(json_object_get(r, "cpu_ns_per_byte"))) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(
				 json_object_get(r, "cycles_per_byte_spread"), "max")) -
			 2 * json_number_value(json_object_get(
				     json_object_get(r, "cpu_ns_per_byte_spread"), "max"))) < 1e-9);
	json_decref(sum);
}

static void test_no_gnuplot(void **state)
{
	struct fx *f = *state;
	char err[256] = "";

	assert_int_equal(plot__write(f->rec, f->dir, err, sizeof(err)), 0);
	assert_int_equal(plot__render(f->dir, "/nonexistent/gnuplot", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not found"));
}

static void test_nothing_to_plot(void **state)
{
	char err[256] = "";
	json_t *rec = json_pack("{s[{ss ss}] ss}", "runs", "path", "pv", "status", "aborted",
				"status", "incomplete");

	assert_null(plot__collect(rec, err, sizeof(err)));
	assert_non_null(strstr(err, "incomplete"));
	json_decref(rec);
}

static void test_merge(void **state)
{
	struct fx *f = *state;
	const char *files[] = { "a.json.gz", "b.json.gz" };
	json_t *recs[2] = { f->rec, json_deep_copy(f->rec) }, *m;
	char err[256] = "";

	m = page__merge(recs, files, 2, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(json_array_size(json_object_get(m, "runs")), 10);
	assert_int_equal(json_array_size(json_object_get(m, "sources")), 2);
	json_decref(m);
	/* Other I/O size: the repetitions do not compare. */
	json_object_set_new(json_object_get(recs[1], "workload"), "io_size", json_real(200));
	assert_null(page__merge(recs, files, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "io_size"));
	json_decref(recs[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dat_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scripts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_optional_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_gnuplot, setup, teardown),
		cmocka_unit_test(test_nothing_to_plot),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
