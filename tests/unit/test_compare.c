// SPDX-License-Identifier: GPL-2.0
/*
 * compare and history on records built in memory: the per-repetition metrics follow the
 * report's definition, verdicts need both the threshold and significance (Mann-Whitney with
 * 5 + 5 repetitions, the bootstrap interval with 3 + 3), direction matters, bad input is
 * refused, and the commands' exit statuses and github-action-benchmark export.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "iovb/compare.h"
#include "iovb/record.h"

#define BYTES 1e9
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct compare_opts opts = { COMPARE_THRESHOLD, COMPARE_ALPHA, COMPARE_ITERS,
					  COMPARE_SEED };

/*
 * A pv run moving BYTES: host NET_RX on pf0 of dev_ns, a relay thread of thr_ns of which irq_ns
 * ran in interrupts (host CPU/byte = (dev_ns + thr_ns - irq_ns) / BYTES), a server thread.
 */
static json_t *run_new(const char *path, int rep, double tp, double dev_ns, double thr_ns,
		       double irq_ns, bool bpf)
{
	json_t *run = json_pack("{ss si ss s{sf sf} s{s[{si ss ss sf} {si ss ss sf}]}}", "path",
				path, "rep", rep, "status", "ok", "engine", "bytes", BYTES,
				"throughput_bps", tp, "threads", "list", "tid", 100, "comm",
				"iovb-relay-rx", "role", "host", "cpu_ns", thr_ns, "tid", 200,
				"comm", "iovbench", "role", "server", "cpu_ns", 3e8);

	if (bpf)
		json_object_set_new(run, "collectors",
				    json_pack("{s{s[{ss ss ss sf}] s[{si sf}]}}", "bpf",
					      "net_rx_devices", "name", "pf0", "kind", "veth",
					      "role", "host", "ns", dev_ns, "task_irq", "tid", 100,
					      "irq_ns", irq_ns));
	return run;
}

/* A record of n pv repetitions with these throughputs and host CPU per byte. */
static json_t *rec_new(const double *tp, const double *host_nspb, size_t n, const char *started)
{
	json_t *runs = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(runs,
				      run_new("pv", (int)i + 1, tp[i], host_nspb[i] * BYTES / 2,
					      host_nspb[i] * BYTES / 2 + 1e7, 1e7, true));
	return json_pack("{si s{ss s{ss ss}} s{sI} s{sn} ss so}", "schema", 1, "meta", "started",
			 started, "tool", "version", "0.1.0", "git_rev", "abc123", "workload",
			 "bytes", (json_int_t)BYTES, "topology", "link_rate_bps", "status", "ok",
			 "runs", runs);
}

static const json_t *row_of(const json_t *res, const char *path, const char *metric)
{
	size_t i;
	json_t *row;

	json_array_foreach(
		json_object_get(res, "rows"), i,
		row) if (!strcmp(json_string_value(json_object_get(row, "path")), path) &&
			 !strcmp(json_string_value(json_object_get(row, "metric")),
				 metric)) return row;
	fail_msg("no row %s %s", path, metric);
	return NULL;
}

static const char *verdict(const json_t *res, const char *metric)
{
	return json_string_value(json_object_get(row_of(res, "pv", metric), "verdict"));
}

static double field(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const double tp5[] = { 5.0e9, 5.2e9, 4.9e9, 5.1e9, 5.05e9 };
static const double cpu5[] = { 0.50, 0.52, 0.49, 0.51, 0.505 };

static void test_samples_definition(void **state)
{
	const double tp[] = { 4e9 }, cpu[] = { 0.6 };
	json_t *rec = rec_new(tp, cpu, 1, "2026-01-01T00:00:00Z"), *s;
	const json_t *m;
	char err[128];

	/* An aborted run and a vf run without bpf are left out / have no CPU metrics. */
	json_array_append_new(json_object_get(rec, "runs"),
			      json_pack("{ss si ss}", "path", "pv", "rep", 2, "status", "aborted"));
	json_array_append_new(json_object_get(rec, "runs"),
			      run_new("vf", 1, 6e9, 0, 1e8, 0, false));
	s = compare__samples(rec, err, sizeof(err));
	assert_non_null(s);
	m = json_object_get(json_object_get(s, "pv"), "throughput");
	assert_string_equal(json_string_value(json_object_get(m, "better")), "higher");
	assert_int_equal(json_array_size(json_object_get(m, "values")), 1);
	assert_true(json_number_value(json_array_get(json_object_get(m, "values"), 0)) == 4e9);
	/* (NET_RX of pf0 + relay thread - its interrupt time) / bytes, as `report` does. */
	m = json_object_get(json_object_get(s, "pv"), "cpu_ns_per_byte.host");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "better")), "lower");
	assert_true(fabs(json_number_value(json_array_get(json_object_get(m, "values"), 0)) - 0.6) <
		    1e-12);
	m = json_object_get(json_object_get(s, "pv"), "cpu_ns_per_byte.server");
	assert_true(fabs(json_number_value(json_array_get(json_object_get(m, "values"), 0)) - 0.3) <
		    1e-12);
	assert_non_null(json_object_get(json_object_get(s, "vf"), "throughput"));
	assert_null(json_object_get(json_object_get(s, "vf"), "cpu_ns_per_byte.host"));
	json_decref(s);
	json_decref(rec);
}

static void test_same_is_ok(void **state)
{
	json_t *a = rec_new(tp5, cpu5, 5, "2026-01-01T00:00:00Z"), *res;
	char err[128];

	res = compare__records(a, a, &opts, err, sizeof(err));
	assert_non_null(res);
	assert_int_equal(field(res, "regressions"), 0);
	assert_string_equal(verdict(res, "throughput"), "ok");
	assert_string_equal(verdict(res, "cpu_ns_per_byte.host"), "ok");
	assert_true(field(row_of(res, "pv", "throughput"), "change") == 0);
	assert_true(field(row_of(res, "pv", "throughput"), "p") == 1);
	assert_int_equal(json_array_size(json_object_get(res, "notes")), 0);
	json_decref(res);
	json_decref(a);
}

static void test_throughput_halved_regresses(void **state)
{
	double half[5];
	json_t *a = rec_new(tp5, cpu5, 5, "2026-01-01T00:00:00Z"), *b, *res;
	const json_t *row;
	char err[128];

	for (size_t i = 0; i < 5; i++)
		half[i] = tp5[i] / 2;
	b = rec_new(half, cpu5, 5, "2026-01-02T00:00:00Z");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_non_null(res);
	row = row_of(res, "pv", "throughput");
	assert_string_equal(json_string_value(json_object_get(row, "test")), "mann-whitney");
	assert_true(fabs(field(row, "p") - 2.0 / 252) < 1e-12);
	assert_true(fabs(field(row, "change") + 0.5) < 1e-12);
	assert_string_equal(verdict(res, "throughput"), "regressed");
	assert_string_equal(verdict(res, "cpu_ns_per_byte.host"), "ok");
	assert_int_equal(field(res, "regressions"), 1);
	/* The other way round it is an improvement, not a regression. */
	json_decref(res);
	res = compare__records(b, a, &opts, err, sizeof(err));
	assert_string_equal(verdict(res, "throughput"), "improved");
	assert_int_equal(field(res, "regressions"), 0);
	assert_int_equal(field(res, "improvements"), 1);
	json_decref(res);
	json_decref(b);
	json_decref(a);
}

static void test_threshold_and_significance(void **state)
{
	const double small[] = { 4.90e9, 5.10e9, 4.80e9, 5.00e9, 4.95e9 }; /* -2%, overlapping */
	const double sep[] = { 4.85e9, 4.86e9, 4.87e9, 4.88e9, 4.89e9 };   /* -3.6%, separated */
	const double noisy[] = { 2.5e9, 5.3e9, 3.0e9, 5.25e9, 4.0e9 };	   /* -20%, overlapping */
	json_t *a = rec_new(tp5, cpu5, 5, "t0"), *b, *res;
	struct compare_opts loose = opts;
	char err[128];

	/* Significant (p = 0.0079) but within the 5% threshold: ok. */
	b = rec_new(sep, cpu5, 5, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_true(field(row_of(res, "pv", "throughput"), "p") < 0.01);
	assert_string_equal(verdict(res, "throughput"), "ok");
	json_decref(res);
	/* ... and with a 1% threshold the same change is a regression. */
	loose.threshold = 0.01;
	res = compare__records(a, b, &loose, err, sizeof(err));
	assert_string_equal(verdict(res, "throughput"), "regressed");
	json_decref(res);
	json_decref(b);
	/* Within threshold and noisy: ok. */
	b = rec_new(small, cpu5, 5, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_string_equal(verdict(res, "throughput"), "ok");
	json_decref(res);
	json_decref(b);
	/* A 20% drop of the median that the repetitions do not support: insignificant. */
	b = rec_new(noisy, cpu5, 5, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_true(field(row_of(res, "pv", "throughput"), "change") < -0.05);
	assert_true(field(row_of(res, "pv", "throughput"), "p") >= 0.01);
	assert_string_equal(verdict(res, "throughput"), "insignificant");
	assert_int_equal(field(res, "regressions"), 0);
	json_decref(res);
	json_decref(b);
	json_decref(a);
}

static void test_few_reps_bootstrap(void **state)
{
	const double tp[] = { 5e9, 5.1e9, 4.9e9 }, cpu[] = { 0.5, 0.52, 0.48 };
	const double cpu_up[] = { 0.75, 0.78, 0.73 }, cpu_mixed[] = { 0.45, 0.9, 0.6 };
	json_t *a = rec_new(tp, cpu, 3, "t0"), *b, *res;
	const json_t *row, *iv;
	char err[128];

	/* 3 + 3 can never reach p < 0.01 with Mann-Whitney: the bootstrap interval decides. */
	b = rec_new(tp, cpu_up, 3, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	row = row_of(res, "pv", "cpu_ns_per_byte.host");
	assert_string_equal(json_string_value(json_object_get(row, "test")), "bootstrap");
	assert_true(json_is_null(json_object_get(row, "p")));
	iv = json_object_get(row, "interval");
	assert_true(json_number_value(json_array_get(iv, 0)) > 0);
	assert_true(json_number_value(json_array_get(iv, 0)) <= field(row, "change"));
	assert_true(json_number_value(json_array_get(iv, 1)) >= field(row, "change"));
	/* CPU per byte: higher is worse. */
	assert_string_equal(verdict(res, "cpu_ns_per_byte.host"), "regressed");
	assert_string_equal(verdict(res, "throughput"), "ok");
	assert_int_equal(field(res, "regressions"), 1);
	json_decref(res);
	json_decref(b);
	/* +20% of the median, but overlapping repetitions: the interval holds 0. */
	b = rec_new(tp, cpu_mixed, 3, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_string_equal(verdict(res, "cpu_ns_per_byte.host"), "insignificant");
	json_decref(res);
	json_decref(b);
	/* One repetition says nothing about noise: never significant. */
	b = rec_new(tp, cpu_up, 1, "t1");
	res = compare__records(a, b, &opts, err, sizeof(err));
	assert_string_equal(verdict(res, "cpu_ns_per_byte.host"), "insignificant");
	json_decref(res);
	json_decref(b);
	json_decref(a);
}

static void test_bad_input(void **state)
{
	json_t *a = rec_new(tp5, cpu5, 5, "t0"), *empty, *aborted, *vf, *res;
	char err[128] = "";

	empty = json_pack("{si ss s[]}", "schema", 1, "status", "interrupted", "runs");
	res = compare__records(a, empty, &opts, err, sizeof(err));
	assert_null(res);
	assert_non_null(strstr(err, "new: the record has no completed run"));
	aborted = json_pack("{si s[{ss ss}]}", "schema", 1, "runs", "path", "pv", "status",
			    "aborted");
	assert_null(compare__records(aborted, a, &opts, err, sizeof(err)));
	assert_non_null(strstr(err, "base:"));
	/* Nothing in common: only vf in one, only pv in the other. */
	vf = json_pack("{si s[o]}", "schema", 1, "runs", run_new("vf", 1, 5e9, 0, 1e8, 0, true));
	assert_null(compare__records(a, vf, &opts, err, sizeof(err)));
	assert_non_null(strstr(err, "in common"));
	json_decref(vf);
	json_decref(aborted);
	json_decref(empty);
	json_decref(a);
}

static void test_gab(void **state)
{
	const double tp_old[] = { 2e9, 2e9, 2e9 };
	json_t *recs[2], *doc;
	const json_t *e;
	char err[128];
	size_t i;
	bool seen = false;

	/* The newest by meta.started is exported, whatever the order given. */
	recs[0] = rec_new(tp5, cpu5, 5, "2026-02-01T00:00:00Z");
	recs[1] = rec_new(tp_old, cpu5, 3, "2026-01-01T00:00:00Z");
	doc = compare__gab(recs, 2, true, err, sizeof(err));
	assert_non_null(doc);
	assert_int_equal(json_array_size(doc), 1);
	e = json_array_get(doc, 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")), "pv throughput");
	assert_string_equal(json_string_value(json_object_get(e, "unit")), "Gbit/s");
	assert_true(fabs(field(e, "value") - 5.05) < 1e-9);
	assert_non_null(strstr(json_string_value(json_object_get(e, "extra")), "earlier"));
	json_decref(doc);
	doc = compare__gab(recs, 2, false, err, sizeof(err));
	json_array_foreach(doc, i, e)
	{
		assert_string_equal(json_string_value(json_object_get(e, "unit")), "ns/byte");
		if (!strcmp(json_string_value(json_object_get(e, "name")),
			    "pv host cpu_ns_per_byte")) {
			seen = true;
			assert_true(fabs(field(e, "value") - 0.505) < 1e-9);
		}
	}
	assert_true(seen);
	json_decref(doc);
	json_decref(recs[1]);
	json_decref(recs[0]);
}

static int run_cmd(int (*fn)(int, char **), const char *a0, ...)
{
	char *argv[16] = { (char *)a0 };
	int argc = 1, ret;
	va_list ap;
	FILE *saved = stdout;

	va_start(ap, a0);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	/* Keep the tables out of the test log. */
	stdout = fopen("/dev/null", "w");
	ret = fn(argc, argv);
	fclose(stdout);
	stdout = saved;
	return ret;
}

static void test_commands(void **state)
{
	char dir[] = "/tmp/iovb-test-compare-XXXXXX", pa[64], pb[64], pj[64], cmd[96];
	double half[5];
	json_t *a, *b, *j;
	char err[128];

	assert_non_null(mkdtemp(dir));
	snprintf(pa, sizeof(pa), "%s/a.json.gz", dir);
	snprintf(pb, sizeof(pb), "%s/b.json.gz", dir);
	snprintf(pj, sizeof(pj), "%s/gab.json", dir);
	for (size_t i = 0; i < 5; i++)
		half[i] = tp5[i] / 2;
	a = rec_new(tp5, cpu5, 5, "t0");
	b = rec_new(half, cpu5, 5, "t1");
	assert_int_equal(record__write(a, pa, err, sizeof(err)), 0);
	assert_int_equal(record__write(b, pb, err, sizeof(err)), 0);

	assert_int_equal(run_cmd(cmd_compare, "compare", pa, pa, NULL), 0);
	assert_int_equal(run_cmd(cmd_compare, "compare", pa, pb, NULL), 1);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--json", pa, pb, NULL), 1);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--threshold", "60%", pa, pb, NULL), 0);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--threshold", "0.6", pa, pb, NULL), 0);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--alpha", "1%", pa, pb, NULL), 1);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--help", NULL), 0);
	/* Bad input and usage: 2. */
	assert_int_equal(run_cmd(cmd_compare, "compare", pa, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", pa, "/nonexistent.json.gz", NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--threshold", "5", pa, pb, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--threshold", "-5%", pa, pb, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--threshold", "5%x", pa, pb, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--alpha", "0", pa, pb, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--alpha", "nan", pa, pb, NULL), 2);
	assert_int_equal(run_cmd(cmd_compare, "compare", "--bogus", pa, pb, NULL), 2);

	assert_int_equal(
		run_cmd(cmd_history, "history", "--export", "gab-bigger", "-o", pj, pa, pb, NULL),
		0);
	j = json_load_file(pj, 0, NULL);
	assert_non_null(j);
	assert_true(fabs(json_number_value(json_object_get(json_array_get(j, 0), "value")) -
			 2.525) < 1e-9);
	json_decref(j);
	assert_int_equal(run_cmd(cmd_history, "history", "--export", "gab-smaller", pa, NULL), 0);
	assert_int_equal(run_cmd(cmd_history, "history", "-o", "graph.svg", "--export",
				 "gab-bigger", pa, NULL),
			 2);
	assert_int_equal(run_cmd(cmd_history, "history", pa, NULL), 2);
	assert_int_equal(run_cmd(cmd_history, "history", "--export", "gab", pa, NULL), 2);
	assert_int_equal(run_cmd(cmd_history, "history", "--export", "gab-bigger", NULL), 2);
	assert_int_equal(access("graph.svg", F_OK), -1);

	json_decref(b);
	json_decref(a);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples_definition),
		cmocka_unit_test(test_same_is_ok),
		cmocka_unit_test(test_throughput_halved_regresses),
		cmocka_unit_test(test_threshold_and_significance),
		cmocka_unit_test(test_few_reps_bootstrap),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_gab),
		cmocka_unit_test(test_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
