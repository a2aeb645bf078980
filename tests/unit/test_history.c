// SPDX-License-Identifier: GPL-2.0
/*
 * history's regression graph on records built in memory: ordering (meta.started, --revs), the
 * rolling median baseline and its MAD band, an injected regression marked in the data file
 * (direction-aware: a throughput drop, a CPU rise), and the command's exit statuses.
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

#include "iovb/compare.h"
#include "iovb/history.h"
#include "iovb/record.h"

#define BYTES 1e9
#define NREC 8

/* Three pv repetitions around tp bit/s with host CPU around host ns per byte. */
static json_t *rec_new(int day, const char *rev, double tp, double host)
{
	json_t *runs = json_array();
	char started[32];

	for (int r = 0; r < 3; r++) {
		double f = 1 + 0.01 * (r - 1);

		json_array_append_new(
			runs,
			json_pack("{ss si ss ss s{sf sf} s{s[{si ss ss sf}]} s{s{s[{ss ss ss sf}] "
				  "s[]}}}",
				  "path", "pv", "rep", r + 1, "status", "ok", "guest_role",
				  "guest-1", "engine", "bytes", BYTES, "throughput_bps", tp * f,
				  "threads", "list", "tid", 1, "comm", "iovbench", "role",
				  "guest-1", "cpu_ns", 0.5 * BYTES, "collectors", "bpf",
				  "net_rx_devices", "name", "pf0", "kind", "veth", "role", "host",
				  "ns", host * f * BYTES, "task_irq"));
	}
	snprintf(started, sizeof(started), "2026-11-%02dT00:00:00Z", day);
	return json_pack("{si s{ss ss s{ss ss}} so ss}", "schema", 1, "meta", "started", started,
			 "label", "ci", "tool", "version", "0.1.0", "git_rev", rev, "runs", runs,
			 "status", "ok");
}

static const char *const revs[NREC] = { "aaaa01", "aaaa02", "aaaa03", "aaaa04",
					"aaaa05", "aaaa06", "aaaa07", "aaaa08" };

/* Record 6 (0-based) drops throughput by 40%; record 7 has its host CPU up 50%. */
static json_t **recs_new(void)
{
	json_t **r = calloc(NREC, sizeof(*r));

	for (int i = 0; i < NREC; i++)
		r[i] = rec_new(10 + i, revs[i], i == 6 ? 3e9 : 5e9 + 2e7 * (i % 3),
			       i == 7 ? 0.9 : 0.6 + 0.005 * (i % 2));
	return r;
}

static void recs_free(json_t **r)
{
	for (int i = 0; i < NREC; i++)
		json_decref(r[i]);
	free(r);
}

static const json_t *series_of(const json_t *h, const char *metric)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(h, "series"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "metric")), metric))
			return s;
	fail_msg("no series %s", metric);
	return NULL;
}

static const char *verdict(const json_t *s, size_t i)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(s, "points"), i), "verdict"));
}

static const struct history_opts opts = { HISTORY_WINDOW, HISTORY_MADS, HISTORY_MIN_REL };
static const char *const files[NREC] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7" };

static void test_order(void **state)
{
	json_t **r = recs_new(), *shuffled[NREC];
	const char *sf[NREC], *rv[NREC];
	size_t idx[NREC];
	char err[128];

	/* Given newest first; sorted back by meta.started. */
	for (int i = 0; i < NREC; i++) {
		shuffled[i] = r[NREC - 1 - i];
		sf[i] = files[NREC - 1 - i];
	}
	assert_int_equal(history__order(shuffled, sf, NREC, NULL, 0, idx, err, sizeof(err)), 0);
	for (int i = 0; i < NREC; i++)
		assert_int_equal(idx[i], NREC - 1 - i);
	/* A rev list reversing time wins over meta.started; prefixes match either way. */
	for (int i = 0; i < NREC; i++)
		rv[i] = revs[NREC - 1 - i];
	rv[0] = "aaaa08ffffffffff";
	assert_int_equal(history__order(r, files, NREC, rv, NREC, idx, err, sizeof(err)), 0);
	for (int i = 0; i < NREC; i++)
		assert_int_equal(idx[i], NREC - 1 - i);
	/* A record whose rev is not listed is an error naming it. */
	assert_int_equal(history__order(r, files, NREC, rv + 1, NREC - 1, idx, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "aaaa08"));
	recs_free(r);
}

static void test_series(void **state)
{
	json_t **r = recs_new(), *h;
	const json_t *tp, *host, *p;
	char err[128];

	h = history__series(r, files, NREC, &opts, err, sizeof(err));
	assert_non_null(h);
	tp = series_of(h, "throughput");
	host = series_of(h, "cpu_ns_per_byte.host");
	assert_non_null(series_of(h, "cpu_ns_per_byte.guest"));
	assert_int_equal(json_array_size(json_object_get(tp, "points")), NREC);
	/* Three previous records make the first baseline. */
	assert_string_equal(verdict(tp, 0), "no baseline");
	assert_string_equal(verdict(tp, 2), "no baseline");
	assert_string_equal(verdict(tp, 3), "ok");
	assert_string_equal(verdict(tp, 5), "ok");
	assert_string_equal(verdict(tp, 6), "regressed");
	/* The regression stays out of the band's centre: the median shrugs it off. */
	assert_string_equal(verdict(tp, 7), "ok");
	p = json_array_get(json_object_get(tp, "points"), 6);
	assert_true(json_number_value(json_object_get(p, "value")) <
		    json_number_value(json_object_get(p, "lo")));
	assert_true(fabs(json_number_value(json_object_get(p, "baseline")) - 5.02e9) < 1e7);
	/* Spread over repetitions is kept: min < median < max. */
	assert_true(json_number_value(json_object_get(p, "min")) <
		    json_number_value(json_object_get(p, "max")));
	/* Lower is better for CPU: the rise of record 7 is a regression, the newest one. */
	assert_string_equal(verdict(host, 6), "ok");
	assert_string_equal(verdict(host, 7), "regressed");
	assert_int_equal(json_array_size(json_object_get(h, "regressions")), 2);
	assert_true(json_is_true(json_object_get(h, "newest_regressed")));
	json_decref(h);

	/* A throughput rise is an improvement, not a regression. */
	json_decref(r[6]);
	r[6] = rec_new(16, revs[6], 8e9, 0.6);
	h = history__series(r, files, NREC, &opts, err, sizeof(err));
	assert_string_equal(verdict(series_of(h, "throughput"), 6), "improved");
	json_decref(h);
	recs_free(r);
}

/* The row of record (1-based) in the block whose header names path and metric. */
static bool dat_has(const char *fn, const char *block, int record, const char *word)
{
	char line[512];
	bool in = false, found = false;
	FILE *f = fopen(fn, "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "# block", 7)) {
			in = strstr(line, block) != NULL;
			continue;
		}
		if (in && atoi(line) == record && strstr(line, word))
			found = true;
	}
	fclose(f);
	return found;
}

static int run_cmd(const char *a0, ...)
{
	char *argv[24] = { (char *)a0 };
	int argc = 1, ret;
	va_list ap;
	FILE *saved = stdout;

	va_start(ap, a0);
	while (argc < 23 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	stdout = fopen("/dev/null", "w");
	ret = cmd_history(argc, argv);
	fclose(stdout);
	stdout = saved;
	return ret;
}

static void test_graph_files(void **state)
{
	char dir[] = "/tmp/iovb-test-history-XXXXXX", graph[96], dat[96], gp[96], cmd[128];
	char p[NREC][96];
	json_t **r = recs_new(), *h;
	char err[256];

	assert_non_null(mkdtemp(dir));
	snprintf(graph, sizeof(graph), "%s/ci.svg", dir);
	snprintf(dat, sizeof(dat), "%s/ci.dat", dir);
	snprintf(gp, sizeof(gp), "%s/ci.gp", dir);
	h = history__series(r, files, NREC, &opts, err, sizeof(err));
	assert_int_equal(history__write(h, graph, err, sizeof(err)), 0);
	/* The injected regression is marked in the data file, in its series' block only. */
	assert_true(dat_has(dat, "pv throughput", 7, "regressed"));
	assert_false(dat_has(dat, "pv throughput", 6, "regressed"));
	assert_true(dat_has(dat, "pv cpu_ns_per_byte.host", 8, "regressed"));
	assert_true(dat_has(dat, "pv throughput", 1, "no-baseline"));
	assert_int_equal(access(gp, R_OK), 0);
	assert_int_equal(history__write(h, "/tmp/x.pdf", err, sizeof(err)), -EINVAL);
	json_decref(h);

	for (int i = 0; i < NREC; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/r%d.json.gz", dir, i);
		assert_int_equal(record__write(r[i], p[i], err, sizeof(err)), 0);
	}
	/* The newest record regressed (host CPU; throughput without it): 1. Before them: 0. */
	assert_int_equal(
		run_cmd("history", "--json", p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], NULL),
		1);
	assert_int_equal(
		run_cmd("history", "--json", p[0], p[1], p[2], p[3], p[4], p[5], p[6], NULL), 1);
	assert_int_equal(run_cmd("history", "--json", p[5], p[4], p[3], p[2], p[1], p[0], NULL), 0);
	assert_int_equal(run_cmd("history", "--json", "--window", "3", "--threshold", "10%", p[0],
				 p[1], p[2], p[3], NULL),
			 0);
	/* A graph when gnuplot is here; the data and script in any case (exit 3 without it). */
	snprintf(graph, sizeof(graph), "%s/g.png", dir);
	{
		int rc = run_cmd("history", "-o", graph, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
				 p[7], NULL);

		snprintf(dat, sizeof(dat), "%s/g.dat", dir);
		assert_true(rc == 1 || rc == 3);
		assert_int_equal(access(dat, R_OK), 0);
		assert_true(dat_has(dat, "pv throughput", 7, "regressed"));
		if (rc == 1)
			assert_int_equal(access(graph, R_OK), 0);
	}
	/* Usage: 2. */
	assert_int_equal(run_cmd("history", p[0], NULL), 2);
	assert_int_equal(run_cmd("history", "-o", "x.pdf", p[0], NULL), 2);
	assert_int_equal(run_cmd("history", "--json", "--window", "1", p[0], NULL), 2);
	assert_int_equal(run_cmd("history", "--json", "--revs", "/nonexistent", p[0], NULL), 2);
	assert_int_equal(run_cmd("history", "--json", p[0], "/nonexistent.json.gz", NULL), 2);

	recs_free(r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_graph_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
