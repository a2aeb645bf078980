// SPDX-License-Identifier: GPL-2.0
/* The summary of a collect record, as JSON and as text. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "iovb/collect_sum.h"
#include "iovb/netcpu.h"

static json_t *get(const json_t *o, const char *k)
{
	return json_object_get(o, k);
}

/* Sum of a JSON array of integers. */
static json_int_t arr_sum(const json_t *a)
{
	json_int_t s = 0;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		s += json_integer_value(v);
	return s;
}

static json_t *softirq_summary(const json_t *procfs, const json_t *bpf, json_t *checks)
{
	json_t *o = json_object(), *hist = get(bpf, "softirq_hist");
	double worst = -1;

	for (unsigned v = 0; v < NETCPU_NR_VEC; v++) {
		const char *name = netcpu_vec_names[v];
		const json_t *b = get(get(bpf, "softirq"), name);
		const json_t *p = get(get(procfs, "softirqs"), name);
		json_t *e = json_object();
		json_int_t bc = 0, pc = 0;

		if (b) {
			bc = arr_sum(get(b, "count"));
			json_object_set_new(e, "bpf_count", json_integer(bc));
			json_object_set_new(e, "bpf_ns", json_integer(arr_sum(get(b, "ns"))));
			if (get(b, "ksoftirqd_ns"))
				json_object_set_new(e, "bpf_ksoftirqd_ns",
						    json_integer(arr_sum(get(b, "ksoftirqd_ns"))));
		} else {
			json_object_set_new(e, "bpf_count", json_null());
			json_object_set_new(e, "bpf_ns", json_null());
		}
		json_object_set_new(e, "procfs_count",
				    p ? json_integer(pc = arr_sum(p)) : json_null());
		if (get(hist, name))
			json_object_set_new(e, "bpf_hist", json_deep_copy(get(hist, name)));
		if (b && p && pc >= COLLECT_CHECK_MIN_EVENTS) {
			double err = fabs((double)bc - (double)pc) / (double)pc;

			if (err > worst)
				worst = err;
		}
		json_object_set_new(o, name, e);
	}
	if (worst >= 0)
		json_object_set_new(checks, "softirq_count_rel_err", json_real(worst));
	json_object_set_new(checks, "softirq_count_min_events",
			    json_integer(COLLECT_CHECK_MIN_EVENTS));
	return o;
}

static json_t *perf_summary(const json_t *perf)
{
	json_t *o = json_object(), *mods = json_object(), *m;
	size_t i;

	json_object_set(o, "source", get(perf, "source"));
	json_object_set(o, "period_ns", get(perf, "period_ns"));
	json_object_set(o, "samples", get(perf, "samples"));
	json_object_set(o, "lost", get(perf, "lost"));
	json_object_set(o, "contexts", get(perf, "contexts"));
	json_array_foreach(get(perf, "module_totals"), i, m)
		json_object_set_new(
			mods, json_string_value(get(m, "module")) ?: "?",
			json_pack("{sO? sO?}", "ns", get(m, "ns"), "samples", get(m, "samples")));
	json_object_set_new(o, "modules", mods);
	return o;
}

static json_t *wire_summary(const json_t *wire)
{
	json_t *o = json_object(), *ifs = json_object(), *i_;
	size_t i;

	json_array_foreach(get(wire, "interfaces"), i, i_) {
		json_t *e = json_object();

		for (int d = 0; d < 2; d++) {
			const json_t *s = get(i_, d ? "tx" : "rx");

			json_object_set_new(
				e, d ? "tx" : "rx",
				json_pack("{sO? sO? sO? sO?}", "packets", get(s, "packets"),
					  "bytes", get(s, "bytes"), "tcp_payload_bytes",
					  get(s, "tcp_payload_bytes"), "retrans_packets",
					  get(s, "retrans_packets")));
		}
		json_object_set_new(ifs, json_string_value(get(i_, "name")) ?: "?", e);
	}
	json_object_set_new(o, "netns", json_deep_copy(get(wire, "netns")));
	json_object_set_new(o, "interfaces", ifs);
	json_object_set_new(o, "dropped", json_deep_copy(get(get(wire, "pcap"), "dropped")));
	return o;
}

json_t *collect__summary(const json_t *rec)
{
	const json_t *run, *coll, *c, *wl = get(rec, "workload");
	json_t *sum, *st, *checks, *ovh, *v;
	double win_s;
	size_t i;

	if (strcmp(json_string_value(get(wl, "kind")) ?: "", "collect"))
		return NULL;
	run = json_array_get(get(rec, "runs"), 0);
	coll = get(run, "collectors");
	sum = json_object();
	checks = json_object();
	ovh = json_object();
	st = json_object();
	json_object_set_new(sum, "kind", json_string("collect"));
	json_object_set(sum, "status", get(rec, "status"));
	json_object_set(sum, "window_ns", get(get(run, "window"), "duration_ns"));
	if (get(run, "command"))
		json_object_set(sum, "command", get(run, "command"));
	json_array_foreach(get(rec, "collectors"), i, c)
		json_object_set(st, json_string_value(get(c, "name")) ?: "?", get(c, "status"));
	json_object_set_new(sum, "collectors", st);
	json_object_set_new(sum, "softirq",
			    softirq_summary(get(coll, "procfs"), get(coll, "bpf"), checks));
	json_object_set_new(sum, "checks", checks);
	if (get(coll, "perf"))
		json_object_set_new(sum, "perf", perf_summary(get(coll, "perf")));
	if (get(coll, "wire"))
		json_object_set_new(sum, "wire", wire_summary(get(coll, "wire")));
	if (get(run, "kernel_threads"))
		json_object_set(sum, "kernel_threads", get(run, "kernel_threads"));

	win_s = (double)json_integer_value(get(get(run, "window"), "duration_ns")) / 1e9;
	if ((v = get(get(coll, "procfs"), "overhead")))
		json_object_set_new(ovh, "procfs", json_pack("{sO?}", "cpu_ns", get(v, "cpu_ns")));
	if ((v = get(get(coll, "bpf"), "overhead")))
		json_object_set_new(ovh, "bpf",
				    json_pack("{sO? sO* sO*}", "cpu_ns", get(v, "cpu_ns"),
					      "run_cnt", get(v, "prog_run_cnt"), "programs",
					      get(v, "programs")));
	if ((v = get(get(coll, "perf"), "overhead"))) {
		double n = (double)json_integer_value(get(get(coll, "perf"), "samples"));

		json_object_set_new(ovh, "perf",
				    json_pack("{sO? so}", "cpu_ns", get(v, "reader_cpu_ns"),
					      "samples_per_s",
					      win_s > 0 ? json_real(n / win_s) : json_null()));
	}
	if ((v = get(get(coll, "wire"), "overhead")))
		json_object_set_new(ovh, "wire",
				    json_pack("{sO? sO?}", "cpu_ns", get(v, "cpu_ns"), "drops",
					      get(get(get(coll, "wire"), "pcap"), "dropped")));
	json_object_set_new(sum, "overhead", ovh);
	return sum;
}

static double num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A figure, or "-" right-aligned in width when it was not measured. */
static void print_num(FILE *f, const char *fmt, double v, int width)
{
	if (isfinite(v))
		fprintf(f, fmt, v); /* fmt: one of collect__print's literals */
	else
		fprintf(f, "%*s", width, "-");
}

void collect__print(FILE *f, const json_t *sum)
{
	const json_t *sirq = get(sum, "softirq"), *perf = get(sum, "perf"),
		     *cmd = get(sum, "command");
	const char *k;
	json_t *v;
	size_t shown = 0, i;

	fprintf(f, "collect: %s, window %.3f s", json_string_value(get(sum, "status")) ?: "?",
		num(get(sum, "window_ns")) / 1e9);
	if (cmd && json_is_integer(get(cmd, "exit_code")))
		fprintf(f, ", command exited %lld",
			(long long)json_integer_value(get(cmd, "exit_code")));
	else if (cmd && json_is_integer(get(cmd, "signal")))
		fprintf(f, ", command killed by signal %lld",
			(long long)json_integer_value(get(cmd, "signal")));
	fprintf(f, "\n\nsoftirq    bpf events  /proc/softirqs   bpf time (ms)\n");
	json_object_foreach((json_t *)sirq, k, v) {
		double b = num(get(v, "bpf_count")), p = num(get(v, "procfs_count"));

		/* nothing happened (or nothing measured it): no row */
		if (!(b > 0) && !(p > 0))
			continue;
		fprintf(f, "  %-8s ", k);
		print_num(f, "%12.0f", b, 12);
		print_num(f, " %15.0f", p, 16);
		print_num(f, " %15.3f", num(get(v, "bpf_ns")) / 1e6, 16);
		fputc('\n', f);
	}
	if (perf) {
		fprintf(f, "\nperf (%.0f samples, %.0f lost): top modules\n",
			num(get(perf, "samples")), num(get(perf, "lost")));
		json_object_foreach((json_t *)get(perf, "modules"), k, v) {
			if (shown++ == 8)
				break;
			fprintf(f, "  %-20s %10.3f ms\n", k, num(get(v, "ns")) / 1e6);
		}
	}
	if (get(sum, "wire")) {
		fprintf(f, "\nwire (pcap drops %.0f)\n", num(get(get(sum, "wire"), "dropped")));
		json_object_foreach((json_t *)get(get(sum, "wire"), "interfaces"), k, v)
			fprintf(f,
				"  %-12s rx %.0f pkts %.0f B   tx %.0f pkts %.0f B   "
				"retrans %.0f/%.0f\n",
				k, num(get(get(v, "rx"), "packets")),
				num(get(get(v, "rx"), "bytes")), num(get(get(v, "tx"), "packets")),
				num(get(get(v, "tx"), "bytes")),
				num(get(get(v, "rx"), "retrans_packets")),
				num(get(get(v, "tx"), "retrans_packets")));
	}
	if (json_array_size(get(get(sum, "kernel_threads"), "list"))) {
		fprintf(f, "\nkernel threads   CPU (ms)  in softirq handlers (ms, bpf)\n");
		json_array_foreach(get(get(sum, "kernel_threads"), "list"), i, v) {
			fprintf(f, "  %-14s %10.3f ", json_string_value(get(v, "comm")) ?: "?",
				num(get(v, "cpu_ns")) / 1e6);
			print_num(f, "%12.3f", num(get(v, "softirq_ns")) / 1e6, 12);
			fputc('\n', f);
		}
	}
	fprintf(f, "\ncollector overhead (CPU ms in the window)\n");
	json_object_foreach((json_t *)get(sum, "overhead"), k, v)
		fprintf(f, "  %-8s %10.3f\n", k, num(get(v, "cpu_ns")) / 1e6);
}
