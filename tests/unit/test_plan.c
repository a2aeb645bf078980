// SPDX-License-Identifier: GPL-2.0
/*
 * plan on records built in memory: cores per guest from CPU ns per byte with its spread over
 * repetitions, guests per host within the budget, headroom, which roles count, the notes, and
 * the command's exit statuses and JSON output.
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

#include "iovb/plan.h"
#include "iovb/record.h"

#define BYTES 1e9

/*
 * A run moving BYTES; host, guest, server and nic CPU given in ns per byte (host on a device,
 * guest as a thread, so both halves of the role definition are used). bpf off: no task_irq.
 */
static json_t *run_new(const char *path, const char *guest, double tp, double host, double gst,
		       bool bpf)
{
	json_t *run = json_pack("{ss ss ss s{sf sf} s{s[{si ss ss sf} {si ss ss sf}]}}", "path",
				path, "status", "ok", "guest_role", guest, "engine", "bytes", BYTES,
				"throughput_bps", tp, "threads", "list", "tid", 1, "comm",
				"iovbench", "role", guest, "cpu_ns", gst * BYTES, "tid", 2, "comm",
				"iovbench", "role", "server", "cpu_ns", 5 * BYTES);

	if (bpf)
		json_object_set_new(run, "collectors",
				    json_pack("{s{s[{ss ss ss sf} {ss ss ss sf}] s[]}}", "bpf",
					      "net_rx_devices", "name", "pf0", "kind", "veth",
					      "role", "host", "ns", host * BYTES, "name", "wire0",
					      "kind", "veth", "role", "nic", "ns", 7 * BYTES,
					      "task_irq"));
	return run;
}

/* pv: host 0.8/1.0/0.9, guest 0.4/0.6/0.5 ns/byte at 4 Gbit/s; vf: host 0, guest 0.5. */
static json_t *rec_new(bool vf_bpf)
{
	json_t *runs = json_array();

	json_array_append_new(runs, run_new("pv", "guest-1", 4e9, 0.8, 0.4, true));
	json_array_append_new(runs, run_new("vf", "guest-2", 9e9, 0, 0.5, vf_bpf));
	json_array_append_new(runs, run_new("pv", "guest-1", 3e9, 1.0, 0.6, true));
	json_array_append_new(runs, run_new("vf", "guest-2", 10e9, 0, 0.5, vf_bpf));
	json_array_append_new(runs, run_new("pv", "guest-1", 5e9, 0.9, 0.5, true));
	json_array_append_new(runs, run_new("vf", "guest-2", 11e9, 0, 0.5, vf_bpf));
	return json_pack("{si s{ss} so ss}", "schema", 1, "meta", "started", "t0", "runs", runs,
			 "status", "ok");
}

static double at(const json_t *o, const char *a, const char *b, const char *c)
{
	const json_t *x = json_object_get(o, a);

	x = b ? json_object_get(x, b) : x;
	return json_number_value(c ? json_object_get(x, c) : x);
}

#define near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void test_arithmetic(void **state)
{
	/* 8 Gbit/s = 1e9 bytes/s: ns per byte are cores. */
	near(plan__cores(1.5, 8e9), 1.5);
	near(plan__cores(0.5, 10e9), 0.625);
	near(plan__cores(0, 10e9), 0);
	assert_int_equal(plan__fit(8, 0.5), 16);
	assert_int_equal(plan__fit(14, 1.4), 10);
	assert_int_equal(plan__fit(14, 1.6), 8);
	assert_int_equal(plan__fit(1, 2), 0);
	assert_int_equal(plan__fit(1, 0), -1);
	assert_int_equal(plan__fit(1, NAN), 0);
	assert_int_equal(plan__fit(1, -1), 0);
}

static void test_plan(void **state)
{
	struct plan_opts o = { .target_bps = 8e9, .host_cores = 14 };
	json_t *rec = rec_new(true), *plan;
	const json_t *pv, *vf;
	char err[256];

	plan = plan__build(rec, &o, err, sizeof(err));
	assert_non_null(plan);
	pv = json_object_get(json_object_get(plan, "paths"), "pv");
	vf = json_object_get(json_object_get(plan, "paths"), "vf");
	assert_non_null(pv);
	assert_non_null(vf);
	assert_int_equal(at(pv, "repetitions", NULL, NULL), 3);
	assert_int_equal(at(pv, "guests_per_run", NULL, NULL), 1);
	/* Host and guest only: server and nic are listed as not counted. */
	assert_int_equal(json_array_size(json_object_get(pv, "not_counted")), 2);
	near(at(pv, "ns_per_byte", "host", "median"), 0.9);
	near(at(pv, "ns_per_byte", "host", "min"), 0.8);
	near(at(pv, "ns_per_byte", "host", "max"), 1.0);
	near(at(pv, "ns_per_byte", "guest", "median"), 0.5);
	near(at(pv, "ns_per_byte", "total", "median"), 1.4);
	near(at(pv, "cores_per_guest", "host", "median"), 0.9);
	near(at(pv, "cores_per_guest", "total", "min"), 1.2);
	near(at(pv, "cores_per_guest", "total", "max"), 1.6);
	/* 14 cores: 14 / 1.4 = 10 at the median, 14 / 1.6 = 8.75 at the worst, 14 / 1.2. */
	assert_int_equal(at(pv, "guests_per_host", "median", NULL), 10);
	assert_int_equal(at(pv, "guests_per_host", "worst", NULL), 8);
	assert_int_equal(at(pv, "guests_per_host", "best", NULL), 11);
	assert_int_equal(at(pv, "guests_per_host_host_work_only", "median", NULL), 15);
	assert_int_equal(at(pv, "guests_per_host_host_work_only", "worst", NULL), 14);
	assert_int_equal(at(pv, "placed", NULL, NULL), 10);
	near(at(pv, "host_cores_used", "median", NULL), 14);
	near(at(pv, "headroom_cores", "median", NULL), 0);
	near(at(pv, "headroom_cores", "worst", NULL), -2);
	assert_true(json_is_true(json_object_get(json_object_get(pv, "fits"), "median")));
	assert_true(json_is_false(json_object_get(json_object_get(pv, "fits"), "worst")));
	/* 8 Gbit/s is above every pv repetition: extrapolated, and said so. */
	assert_true(json_is_true(json_object_get(pv, "extrapolated")));
	assert_true(json_array_size(json_object_get(pv, "notes")) >= 1);
	/* vf: no host work, so host work alone sets no bound; 14 / 0.5 = 28 guests. */
	near(at(vf, "cores_per_guest", "host", "max"), 0);
	assert_int_equal(at(vf, "guests_per_host_host_work_only", "median", NULL), -1);
	assert_int_equal(at(vf, "guests_per_host", "median", NULL), 28);
	assert_true(json_is_false(json_object_get(vf, "extrapolated")));
	assert_true(json_array_size(json_object_get(plan, "assumptions")) >= 3);
	json_decref(plan);

	/* Twelve guests do not fit pv (16.8 cores) and do vf (6 cores). */
	o.guests = 12;
	plan = plan__build(rec, &o, err, sizeof(err));
	assert_non_null(plan);
	pv = json_object_get(json_object_get(plan, "paths"), "pv");
	vf = json_object_get(json_object_get(plan, "paths"), "vf");
	near(at(pv, "headroom_cores", "median", NULL), 14 - 12 * 1.4);
	assert_true(json_is_false(json_object_get(json_object_get(pv, "fits"), "median")));
	assert_true(json_is_true(json_object_get(json_object_get(vf, "fits"), "worst")));
	json_decref(plan);

	/* Two guests per pv run (workload.guests): the run's throughput is theirs together. */
	o.guests = 0;
	json_object_set_new(rec, "workload", json_pack("{s{si si}}", "guests", "pv", 2, "vf", 1));
	plan = plan__build(rec, &o, err, sizeof(err));
	pv = json_object_get(json_object_get(plan, "paths"), "pv");
	assert_int_equal(at(pv, "guests_per_run", NULL, NULL), 2);
	near(at(pv, "throughput_bps_per_guest", "median", NULL), 2e9);
	/* A byte costs the same: cores per guest at the target do not change. */
	near(at(pv, "cores_per_guest", "total", "median"), 1.4);
	json_decref(plan);
	json_decref(rec);
}

static void test_no_bpf(void **state)
{
	struct plan_opts o = { .target_bps = 1e9, .host_cores = 4 };
	json_t *rec = rec_new(false), *plan, *runs;
	char err[256];
	size_t i;
	json_t *r;

	/* vf without bpf is left out with a note; pv still planned. */
	plan = plan__build(rec, &o, err, sizeof(err));
	assert_non_null(plan);
	assert_null(json_object_get(json_object_get(plan, "paths"), "vf"));
	assert_int_equal(json_array_size(json_object_get(plan, "notes")), 1);
	json_decref(plan);
	/* No path with bpf: no plan, a reason. */
	runs = json_object_get(rec, "runs");
	json_array_foreach(runs, i, r)
		json_object_del(r, "collectors");
	err[0] = 0;
	assert_null(plan__build(rec, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "bpf"));
	json_decref(rec);
}

static int run_cmd(const char *out, const char *a0, ...)
{
	char *argv[16] = { (char *)a0 };
	int argc = 1, ret;
	va_list ap;
	FILE *saved = stdout;

	va_start(ap, a0);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	stdout = fopen(out ?: "/dev/null", "w");
	ret = cmd_plan(argc, argv);
	fclose(stdout);
	stdout = saved;
	return ret;
}

static void test_command(void **state)
{
	char dir[] = "/tmp/iovb-test-plan-XXXXXX", pr[64], pj[64], cmd[96];
	json_t *rec = rec_new(true), *j;
	json_error_t jerr;
	char err[128];

	assert_non_null(mkdtemp(dir));
	snprintf(pr, sizeof(pr), "%s/r.json.gz", dir);
	snprintf(pj, sizeof(pj), "%s/plan.json", dir);
	assert_int_equal(record__write(rec, pr, err, sizeof(err)), 0);

	assert_int_equal(
		run_cmd(NULL, "plan", pr, "--target-gbps", "8", "--host-cores", "14", NULL), 0);
	/* --json: exactly one JSON document on stdout. */
	assert_int_equal(
		run_cmd(pj, "plan", "--json", pr, "--target-gbps", "8", "--host-cores", "14", NULL),
		0);
	j = json_load_file(pj, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(json_object_get(j, "paths"), "pv"),
						 "guests_per_host"),
				 "median")),
			 10);
	json_decref(j);
	/* 12 guests do not fit on pv: a finding. */
	assert_int_equal(run_cmd(NULL, "plan", pr, "--target-gbps", "8", "--host-cores", "14",
				 "--guests", "12", NULL),
			 1);
	assert_int_equal(
		run_cmd(NULL, "plan", pr, "--target-gbps", "8000mbit", "--host-cores", "14", NULL),
		0);
	assert_int_equal(run_cmd(NULL, "plan", "--help", NULL), 0);
	/* Usage and input: 2. */
	assert_int_equal(run_cmd(NULL, "plan", pr, NULL), 2);
	assert_int_equal(run_cmd(NULL, "plan", pr, "--target-gbps", "8", NULL), 2);
	assert_int_equal(
		run_cmd(NULL, "plan", pr, "--target-gbps", "-8", "--host-cores", "4", NULL), 2);
	assert_int_equal(run_cmd(NULL, "plan", pr, "--target-gbps", "0", "--host-cores", "4", NULL),
			 2);
	assert_int_equal(
		run_cmd(NULL, "plan", pr, "--target-gbps", "1", "--host-cores", "1.5", NULL), 2);
	assert_int_equal(run_cmd(NULL, "plan", pr, "--target-gbps", "1", "--host-cores", "4",
				 "--guests", "0", NULL),
			 2);
	assert_int_equal(run_cmd(NULL, "plan", "/nonexistent.json.gz", "--target-gbps", "1",
				 "--host-cores", "4", NULL),
			 2);
	assert_int_equal(run_cmd(NULL, "plan", "--bogus", pr, NULL), 2);

	json_decref(rec);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_no_bpf),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
