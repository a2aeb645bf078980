// SPDX-License-Identifier: GPL-2.0
/* Record -> summary: throughput and per-role CPU per byte, with spread over repetitions. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iovb/cli.h"
#include "iovb/collect_sum.h"
#include "iovb/page.h"
#include "iovb/plot.h"
#include "iovb/record.h"
#include "iovb/stats.h"
#include "iovb/summary.h"

/*
 * Below this many events per vector a relative difference says nothing (one event raised between
 * the two reads at a window edge is already 0.5% of 200): such vectors are not checked.
 */
#define CHECK_MIN_EVENTS 500

static const char *const path_desc[][2] = {
	{ "pv", "paravirtual: guest TAP -> host backend relay -> bridge -> adapter" },
	{ "vf", "SR-IOV-like: guest macvlan VF straight on the adapter" },
	{ "pv+vf", "every guest of both paths at once (--concurrent)" },
};

struct stat3 {
	double med, min, max;
	size_t n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of the finite values in v (NaN marks "not measured"). */
static struct stat3 stat3_of(double *v, size_t n)
{
	struct stat3 s = { NAN, NAN, NAN, 0 };
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			v[k++] = v[i];
	if (!k)
		return s;
	qsort(v, k, sizeof(*v), cmp_double);
	s.n = k;
	s.min = v[0];
	s.max = v[k - 1];
	s.med = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	return s;
}

static json_t *stat3_json(struct stat3 s)
{
	return json_pack("{so so so sI}", "median", record__real(s.med), "min", record__real(s.min),
			 "max", record__real(s.max), "n", (json_int_t)s.n);
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double sum_array(const json_t *a)
{
	double s = 0;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		s += json_number_value(v);
	return s;
}

/* Interrupt time bpf saw on top of a thread, to take out of its schedstat time. */
static double task_irq_ns(const json_t *bpf, json_int_t tid)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(bpf, "task_irq"), i, t)
		if (json_integer_value(json_object_get(t, "tid")) == tid)
			return num(t, "irq_ns");
	return 0;
}

/* Per-run figures of one role, added into `roles` (role -> object of sums). */
static void role_add(json_t *roles, const char *role, const char *key, double v)
{
	json_t *r = json_object_get(roles, role), *old;

	if (!r) {
		r = json_object();
		json_object_set_new(roles, role, r);
	}
	old = json_object_get(r, key);
	json_object_set_new(r, key, json_real((old ? json_number_value(old) : 0) + v));
}

json_t *summary__run_roles(const json_t *run, bool *have_bpf)
{
	const json_t *bpf = json_object_get(json_object_get(run, "collectors"), "bpf");
	json_t *roles = json_object(), *d;
	size_t i;

	*have_bpf = bpf != NULL;
	json_array_foreach(json_object_get(bpf, "net_rx_devices"), i, d) {
		const char *role = json_string_value(json_object_get(d, "role"));
		char key[96];

		role_add(roles, role, "softirq_NET_RX_ns", num(d, "ns"));
		snprintf(key, sizeof(key), "dev:%s (%s)", json_string_value(json_object_get(d, "name")),
			 json_string_value(json_object_get(d, "kind")));
		role_add(roles, role, key, num(d, "ns"));
	}
	json_array_foreach(json_object_get(json_object_get(run, "threads"), "list"), i, d) {
		const char *role = json_string_value(json_object_get(d, "role"));
		double cpu = num(d, "cpu_ns");
		double irq = bpf ? task_irq_ns(bpf, json_integer_value(json_object_get(d, "tid"))) : 0;
		char key[64];

		/* bpf measured the interrupt part; without bpf the process time stays gross. */
		cpu = cpu > irq ? cpu - irq : 0;
		role_add(roles, role, "process_ns", cpu);
		snprintf(key, sizeof(key), "thread:%s", json_string_value(json_object_get(d, "comm")));
		role_add(roles, role, key, cpu);
	}
	return roles;
}

/* Largest relative difference between bpf and /proc/softirqs counts per vector, over runs. */
static json_t *softirq_check(const json_t *runs, double *worst)
{
	json_t *per_vec = json_object(), *run;
	size_t i;

	*worst = NAN;
	json_array_foreach(runs, i, run) {
		const json_t *coll = json_object_get(run, "collectors");
		const json_t *bv = json_object_get(json_object_get(coll, "bpf"), "softirq");
		const json_t *pv = json_object_get(json_object_get(coll, "procfs"), "softirqs");
		const char *vec;
		json_t *b;

		if (!bv || !pv)
			continue;
		json_object_foreach((json_t *)bv, vec, b) {
			double bc = sum_array(json_object_get(b, "count"));
			double pc = sum_array(json_object_get(pv, vec));
			double rel, prev;

			if (pc < CHECK_MIN_EVENTS)
				continue;
			rel = fabs(bc - pc) / pc;
			prev = num(per_vec, vec);
			if (!isfinite(prev) || rel > prev)
				json_object_set_new(per_vec, vec, json_real(rel));
			if (!isfinite(*worst) || rel > *worst)
				*worst = rel;
		}
	}
	return per_vec;
}

/* The guest a host-side device serves alone (topology.devices[].for_guest), or NULL. */
static const char *dev_for_guest(const json_t *rec, const json_t *d)
{
	const json_t *td;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(rec, "topology"), "devices"), i, td)
		if (json_integer_value(json_object_get(td, "netns_ino")) ==
			    json_integer_value(json_object_get(d, "netns_ino")) &&
		    json_integer_value(json_object_get(td, "ifindex")) ==
			    json_integer_value(json_object_get(d, "ifindex")))
			return json_string_value(json_object_get(td, "for_guest"));
	return NULL;
}

/*
 * Per guest of a path (runs[].guests[]): its throughput, its own role's CPU per byte it moved,
 * and the host work done for it alone (its backend relay's threads net of interrupts, and
 * NET_RX on its backend TAP port) per byte it moved; medians over the repetitions. Host work
 * shared by all guests (bridge, PF) stays in roles.host only.
 */
static json_t *guests_summary(const json_t *rec, const char *path)
{
	json_t *out = json_object(), *runs = json_object_get(rec, "runs"), *run, *vals = json_object();
	const char *role;
	json_t *v;
	size_t i, j;

	json_array_foreach(runs, i, run) {
		const json_t *bpf = json_object_get(json_object_get(run, "collectors"), "bpf");
		json_t *roles, *g, *d;
		bool have_bpf;

		if (strcmp(json_string_value(json_object_get(run, "path")) ?: "", path) ||
		    strcmp(json_string_value(json_object_get(run, "status")) ?: "", "ok"))
			continue;
		roles = summary__run_roles(run, &have_bpf);
		json_array_foreach(json_object_get(run, "guests"), j, g) {
			const char *gr = json_string_value(json_object_get(g, "role"));
			const json_t *r = json_object_get(roles, gr ?: "");
			double b = num(g, "bytes"), host = 0, own;
			bool measured;
			json_t *a, *t;
			size_t k;

			if (!gr || !(b > 0))
				continue;
			/* agents records: no per-thread or per-device CPU, see "machines" */
			measured = have_bpf || json_object_get(run, "threads");
			own = (r && isfinite(num(r, "softirq_NET_RX_ns")) ? num(r, "softirq_NET_RX_ns") : 0) +
			      (r && isfinite(num(r, "process_ns")) ? num(r, "process_ns") : 0);
			json_array_foreach(json_object_get(json_object_get(run, "threads"), "list"), k, t) {
				double cpu = num(t, "cpu_ns");
				double irq = bpf ? task_irq_ns(bpf, json_integer_value(
							   json_object_get(t, "tid"))) : 0;

				if (!strcmp(json_string_value(json_object_get(t, "for_guest")) ?: "", gr))
					host += cpu > irq ? cpu - irq : 0;
			}
			json_array_foreach(json_object_get(bpf, "net_rx_devices"), k, d)
				if (!strcmp(dev_for_guest(rec, d) ?: "", gr))
					host += num(d, "ns");
			a = json_object_get(vals, gr);
			if (!a) {
				a = json_pack("{ss s[] s[] s[] s[]}", "path",
					      json_string_value(json_object_get(g, "path")) ?: path,
					      "tp", "bytes", "own", "host");
				json_object_set_new(vals, gr, a);
			}
			json_array_append_new(json_object_get(a, "tp"), json_real(num(g, "throughput_bps")));
			json_array_append_new(json_object_get(a, "bytes"), json_real(b));
			if (measured)
				json_array_append_new(json_object_get(a, "own"), json_real(own / b));
			/* agents records have no host role: no host work is measured for a guest */
			if (measured && strcmp(json_string_value(json_object_get(json_object_get(
						       rec, "topology"), "kind")) ?: "", "agents"))
				json_array_append_new(json_object_get(a, "host"), json_real(host / b));
		}
		json_decref(roles);
	}
	json_object_foreach(vals, role, v) {
		static const char *const keys[][2] = {
			{ "tp", "throughput_bps" }, { "bytes", "bytes_per_rep" },
			{ "own", "cpu_ns_per_byte" }, { "host", "host_ns_per_byte" },
		};
		json_t *o = json_pack("{sO}", "path", json_object_get(v, "path"));

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			const json_t *a = json_object_get(v, keys[k][0]);
			size_t n = json_array_size(a);
			double *x = calloc(n + 1, sizeof(double));
			json_t *e;

			json_array_foreach(a, j, e)
				x[j] = json_number_value(e);
			json_object_set_new(o, keys[k][1], record__real(stat3_of(x, n).med));
			if (!k)
				json_object_set_new(o, "throughput_bps_spread", stat3_json(stat3_of(x, n)));
			free(x);
		}
		json_object_set_new(o, "source",
				    json_string("cpu_ns_per_byte: the guest's role (NET_RX on its "
						"devices + its threads net of interrupts) per byte it "
						"moved; host_ns_per_byte: its backend relay's threads net "
						"of interrupts + NET_RX on its backend TAP port, per byte "
						"it moved (shared host work: roles.host)"));
		json_object_set_new(out, role, o);
	}
	json_decref(vals);
	return out;
}

static json_t *path_summary(const json_t *rec, const char *path)
{
	json_t *out = json_object(), *runs = json_object_get(rec, "runs"), *run, *role_runs;
	json_t *roles = json_object(), *vec_tot = json_object();
	size_t nr = json_array_size(runs), k = 0, i;
	double *tp = calloc(nr + 1, sizeof(double)), *attr = calloc(nr + 1, sizeof(double));
	double *bytes = calloc(nr + 1, sizeof(double));
	bool bpf_all = true;
	const char *role;
	json_t *tmp;

	role_runs = json_array();
	json_array_foreach(runs, i, run) {
		const json_t *eng = json_object_get(run, "engine");
		const json_t *bpf = json_object_get(json_object_get(run, "collectors"), "bpf");
		bool have_bpf;
		json_t *rr;

		if (strcmp(json_string_value(json_object_get(run, "path")) ?: "", path) ||
		    strcmp(json_string_value(json_object_get(run, "status")) ?: "", "ok"))
			continue;
		tp[k] = num(eng, "throughput_bps");
		bytes[k] = num(eng, "bytes");
		attr[k] = bpf ? num(bpf, "net_rx_attributed_ns") / num(bpf, "net_rx_ns") : NAN;
		rr = summary__run_roles(run, &have_bpf);
		bpf_all &= have_bpf;
		json_object_set_new(rr, "_bytes", json_real(bytes[k]));
		json_array_append_new(role_runs, rr);
		if (bpf) {
			const char *vec;
			json_t *b;

			json_object_foreach(json_object_get(bpf, "softirq"), vec, b) {
				json_t *a = json_object_get(vec_tot, vec);

				if (!a) {
					a = json_array();
					json_object_set_new(vec_tot, vec, a);
				}
				json_array_append_new(a, json_real(sum_array(json_object_get(b, "ns")) /
								   bytes[k]));
			}
		}
		k++;
	}
	json_object_set_new(out, "repetitions", json_integer((json_int_t)k));
	json_object_set_new(out, "throughput_bps", record__real(stat3_of(tp, k).med));
	json_object_set_new(out, "throughput_bps_spread", stat3_json(stat3_of(tp, k)));
	json_object_set_new(out, "bytes_per_rep", record__real(stat3_of(bytes, k).med));
	json_object_set_new(out, "net_rx_attributed", record__real(stat3_of(attr, k).med));
	json_object_set_new(out, "net_rx_attributed_spread", stat3_json(stat3_of(attr, k)));
	for (size_t j = 0; j < sizeof(path_desc) / sizeof(path_desc[0]); j++)
		if (!strcmp(path_desc[j][0], path))
			json_object_set_new(out, "stands_for", json_string(path_desc[j][1]));

	/* Every role seen in any run; each key's per-byte value, median over the repetitions. */
	json_array_foreach(role_runs, i, tmp) {
		json_t *v;

		json_object_foreach(tmp, role, v)
			if (role[0] != '_' && !json_object_get(roles, role))
				json_object_set_new(roles, role, json_object());
	}
	json_object_foreach(roles, role, tmp) {
		double *cpu = calloc(k + 1, sizeof(double)), *sirq = calloc(k + 1, sizeof(double));
		double *proc = calloc(k + 1, sizeof(double));
		json_t *keys = json_object(), *rr, *v, *softirq_ns = json_object();
		const char *key;

		json_array_foreach(role_runs, i, rr) {
			const json_t *r = json_object_get(rr, role);
			double b = num(rr, "_bytes");

			sirq[i] = bpf_all ? (r ? num(r, "softirq_NET_RX_ns") : 0) : NAN;
			if (!isfinite(num(r, "softirq_NET_RX_ns")) && bpf_all)
				sirq[i] = 0;
			proc[i] = r && isfinite(num(r, "process_ns")) ? num(r, "process_ns") : 0;
			/* Without bpf the softirq part is unknown: the total is the threads alone. */
			cpu[i] = ((isfinite(sirq[i]) ? sirq[i] : 0) + proc[i]) / b;
			json_object_foreach((json_t *)r, key, v)
				if (!strncmp(key, "dev:", 4) || !strncmp(key, "thread:", 7))
					json_object_set_new(keys, key, json_true());
		}
		{
			double *sc = calloc(k + 1, sizeof(double)), *pc = calloc(k + 1, sizeof(double));

			for (size_t j = 0; j < k; j++) {
				double b = num(json_array_get(role_runs, j), "_bytes");

				sc[j] = sirq[j] / b;
				pc[j] = proc[j] / b;
			}
			json_object_set_new(tmp, "cpu_ns_per_byte", record__real(stat3_of(cpu, k).med));
			json_object_set_new(tmp, "cpu_ns_per_byte_spread", stat3_json(stat3_of(cpu, k)));
			json_object_set_new(tmp, "softirq_ns_per_byte", record__real(stat3_of(sc, k).med));
			json_object_set_new(tmp, "process_ns_per_byte", record__real(stat3_of(pc, k).med));
			free(sc);
			free(pc);
		}
		json_object_set_new(softirq_ns, "NET_RX", record__real(stat3_of(sirq, k).med));
		json_object_set_new(tmp, "softirq_ns", softirq_ns);
		json_object_set_new(tmp, "process_ns", record__real(stat3_of(proc, k).med));
		{
			json_t *where = json_object();

			json_object_foreach(keys, key, v) {
				double *x = calloc(k + 1, sizeof(double));

				json_array_foreach(role_runs, i, rr) {
					const json_t *r = json_object_get(rr, role);
					double val = r ? num(r, key) : NAN;

					x[i] = (isfinite(val) ? val : 0) / num(rr, "_bytes");
				}
				json_object_set_new(where, key, record__real(stat3_of(x, k).med));
				free(x);
			}
			json_object_set_new(tmp, "ns_per_byte_by", where);
		}
		json_object_set_new(tmp, "source", json_string(bpf_all ?
			"bpf NET_RX per device + schedstat per thread net of bpf task_irq" :
			"schedstat per thread only (bpf unavailable: softirq not measured)"));
		json_decref(keys);
		free(cpu);
		free(sirq);
		free(proc);
	}
	json_object_set_new(out, "roles", roles);
	json_object_set_new(out, "guests", guests_summary(rec, path));
	{
		json_t *vs = json_object(), *a;
		const char *vec;

		json_object_foreach(vec_tot, vec, a) {
			double *x = calloc(json_array_size(a) + 1, sizeof(double));
			json_t *v;

			json_array_foreach(a, i, v)
				x[i] = json_number_value(v);
			json_object_set_new(vs, vec, record__real(stat3_of(x, json_array_size(a)).med));
			free(x);
		}
		json_object_set_new(out, "softirq_ns_per_byte_all_roles", vs);
	}
	json_decref(vec_tot);
	json_decref(role_runs);
	free(tp);
	free(attr);
	free(bytes);
	return out;
}

/* One run's busy CPU from /proc/stat (all CPUs, ns) per payload byte; NaN without procfs. */
static double procfs_busy_per_byte(const json_t *run)
{
	const json_t *pf = json_object_get(json_object_get(run, "collectors"), "procfs"), *c;
	static const char *const busy[] = { "user", "nice", "system", "irq", "softirq", "steal" };
	double ticks = 0, bytes = num(json_object_get(run, "engine"), "bytes");
	size_t i;

	if (!pf || !(bytes > 0))
		return NAN;
	json_array_foreach(json_object_get(pf, "cpus"), i, c)
		for (size_t j = 0; j < sizeof(busy) / sizeof(busy[0]); j++)
			ticks += num(c, busy[j]);
	return ticks * num(pf, "tick_ns") / bytes;
}

/* Medians of throughput and CPU per byte of a path's ok runs in runs[]. */
static void path_medians(const json_t *runs, const char *path, double *tp, double *cpu)
{
	size_t n = json_array_size(runs), k = 0, i;
	double *t = calloc(n + 1, sizeof(double)), *c = calloc(n + 1, sizeof(double));
	const json_t *run;

	*tp = *cpu = NAN;
	if (!t || !c)
		goto cleanup;
	json_array_foreach(runs, i, run) {
		if (strcmp(json_string_value(json_object_get(run, "path")) ?: "", path) ||
		    strcmp(json_string_value(json_object_get(run, "status")) ?: "", "ok"))
			continue;
		t[k] = num(json_object_get(run, "engine"), "throughput_bps");
		c[k++] = procfs_busy_per_byte(run);
	}
	*tp = stat3_of(t, k).med;
	*cpu = stat3_of(c, k).med;
cleanup:
	free(t);
	free(c);
}

/* CPU of the run's own processes per payload byte: their threads + the run process; NaN. */
static double run_cpu_per_byte(const json_t *run)
{
	const json_t *list = json_object_get(json_object_get(run, "threads"), "list"), *t;
	const json_t *pc = json_object_get(json_object_get(run, "window"), "run_process_cpu_ns");
	double ns = 0, bytes = num(json_object_get(run, "engine"), "bytes");
	size_t i;

	if (!list || !json_is_number(pc) || !(bytes > 0))
		return NAN;
	json_array_foreach(list, i, t)
		ns += num(t, "cpu_ns");
	return (ns + json_number_value(pc)) / bytes;
}

/* The on and off windows of one `--overhead` pair of a path; NULL when missing or not ok. */
static void overhead_pair(const json_t *base, const char *path, json_int_t pair,
			  const json_t **on, const json_t **off)
{
	const json_t *run;
	size_t i;

	*on = *off = NULL;
	json_array_foreach(base, i, run) {
		const json_t *o = json_object_get(run, "overhead");
		const char *w = json_string_value(json_object_get(o, "collectors"));

		if (!w || json_integer_value(json_object_get(o, "pair")) != pair ||
		    strcmp(json_string_value(json_object_get(run, "path")) ?: "", path) ||
		    strcmp(json_string_value(json_object_get(run, "status")) ?: "", "ok"))
			continue;
		if (!strcmp(w, "on"))
			*on = run;
		else if (!strcmp(w, "off"))
			*off = run;
	}
}

/*
 * One figure with and without the collectors over n pairs: medians of each side, the ratio
 * of the medians, the paired ratios (each pair's on / off: the headline is their median) with
 * their min and max, and a 95% percentile-bootstrap interval of the median paired ratio.
 */
static json_t *overhead_figure(const double *on, const double *off, size_t n)
{
	double *r = calloc(n + 1, sizeof(double)), mon = NAN, moff = NAN, med = NAN;
	double lo = NAN, hi = NAN, one = 1;
	struct stats_interval ci;
	json_t *o, *vals = json_array();
	size_t k = 0;

	for (size_t i = 0; r && i < n; i++) {
		if (isfinite(on[i]) && isfinite(off[i]) && off[i] > 0)
			r[k++] = on[i] / off[i];
		json_array_append_new(vals, record__real(isfinite(on[i]) && off[i] > 0 ?
							 on[i] / off[i] : NAN));
	}
	if (n) {
		stats__median(on, n, &mon);
		stats__median(off, n, &moff);
	}
	if (k) {
		stats__median(r, k, &med);
		lo = hi = r[0];
		for (size_t i = 1; i < k; i++) {
			lo = r[i] < lo ? r[i] : lo;
			hi = r[i] > hi ? r[i] : hi;
		}
	}
	o = json_pack("{so so so s{so so so so}}", "on_median", record__real(mon), "off_median",
		      record__real(moff), "ratio_of_medians",
		      record__real(moff > 0 ? mon / moff : NAN), "paired_ratio", "median",
		      record__real(med), "min", record__real(k ? lo : NAN), "max",
		      record__real(k ? hi : NAN), "values", vals);
	/* median(b)/median(a) - 1 with a = {1}: the bootstrap of the median paired ratio */
	if (k && !stats__bootstrap_median_diff(&one, 1, r, k, true, 0.05, 4000, 1, &ci))
		json_object_set_new(o, "ci95", json_pack("{so so}", "lo", record__real(ci.lo + 1),
							 "hi", record__real(ci.hi + 1)));
	else
		json_object_set_new(o, "ci95", json_null());
	free(r);
	return o;
}

/*
 * Is the acceptance line, throughput with >= 97% of without, met by the interval? Below 3
 * pairs the interval is no more than the values themselves: no verdict.
 */
static const char *overhead_verdict(const json_t *tp, size_t pairs)
{
	const json_t *ci = json_object_get(tp, "ci95");
	double lo = num(ci, "lo"), hi = num(ci, "hi");

	if (pairs < 3 || !isfinite(lo) || !isfinite(hi))
		return "too few pairs";
	return lo >= 0.97 ? "met" : hi < 0.97 ? "missed" : "undecided";
}

/* One path's pairs of `run --overhead` windows (overhead.{collectors,pair}); NULL if none. */
static json_t *overhead_path(const json_t *base, const char *path)
{
	size_t n = json_array_size(base), k = 0, non = 0, noff = 0, i;
	double *t[2], *c[2], *u[2];
	json_int_t maxpair = 0;
	const json_t *run, *on, *off;
	json_t *o = NULL;

	json_array_foreach(base, i, run) {
		const json_t *ov = json_object_get(run, "overhead");
		const char *w = json_string_value(json_object_get(ov, "collectors"));

		if (!w || strcmp(json_string_value(json_object_get(run, "path")) ?: "", path))
			continue;
		non += !strcmp(w, "on");
		noff += !strcmp(w, "off");
		if (json_integer_value(json_object_get(ov, "pair")) > maxpair)
			maxpair = json_integer_value(json_object_get(ov, "pair"));
	}
	if (!non && !noff)
		return NULL;
	for (int s = 0; s < 2; s++) {
		t[s] = calloc(n + 1, sizeof(double));
		c[s] = calloc(n + 1, sizeof(double));
		u[s] = calloc(n + 1, sizeof(double));
	}
	if (!t[0] || !t[1] || !c[0] || !c[1] || !u[0] || !u[1])
		goto cleanup;
	for (json_int_t p = 1; p <= maxpair; p++) {
		overhead_pair(base, path, p, &on, &off);
		if (!on || !off)
			continue;
		t[0][k] = num(json_object_get(on, "engine"), "throughput_bps");
		t[1][k] = num(json_object_get(off, "engine"), "throughput_bps");
		c[0][k] = procfs_busy_per_byte(on);
		c[1][k] = procfs_busy_per_byte(off);
		u[0][k] = run_cpu_per_byte(on);
		u[1][k] = run_cpu_per_byte(off);
		k++;
	}
	o = json_pack("{sI s{sI sI}}", "pairs", (json_int_t)k, "windows", "on", (json_int_t)non,
		      "off", (json_int_t)noff);
	json_object_set_new(o, "throughput_bps", overhead_figure(t[0], t[1], k));
	json_object_set_new(o, "procfs_cpu_ns_per_byte", overhead_figure(c[0], c[1], k));
	json_object_set_new(o, "run_cpu_ns_per_byte", overhead_figure(u[0], u[1], k));
	json_object_set_new(o, "throughput_97pct",
			    json_string(overhead_verdict(json_object_get(o, "throughput_bps"), k)));
cleanup:
	for (int s = 0; s < 2; s++) {
		free(t[s]);
		free(c[s]);
		free(u[s]);
	}
	return o;
}

/*
 * `run --overhead`: per path, throughput and CPU per byte with the collectors over without
 * them. Records with overhead.{collectors,pair} on their overhead_runs[] windows give paired
 * figures (paths.<path>); older ones had one collector-off copy per path, compared with the
 * median of runs[]. NULL when the record has no baseline.
 */
static json_t *overhead_summary(const json_t *rec)
{
	const json_t *base = json_object_get(rec, "overhead_runs"), *run;
	json_t *o, *tpr, *cpur, *paths, *pp;
	double tw, cw, tb, cb;
	const char *p;
	size_t i;

	if (!json_array_size(base))
		return NULL;
	o = json_object();
	tpr = json_object();
	cpur = json_object();
	paths = json_object();
	json_array_foreach(base, i, run) {
		p = json_string_value(json_object_get(run, "path"));
		if (!p || json_object_get(tpr, p))
			continue;
		pp = overhead_path(base, p);
		if (pp) {
			json_object_set_new(tpr, p, json_incref(json_object_get(json_object_get(
				json_object_get(pp, "throughput_bps"), "paired_ratio"), "median")));
			json_object_set_new(cpur, p, json_incref(json_object_get(json_object_get(
				json_object_get(pp, "procfs_cpu_ns_per_byte"), "paired_ratio"),
				"median")));
			json_object_set_new(paths, p, pp);
			continue;
		}
		path_medians(json_object_get(rec, "runs"), p, &tw, &cw);
		path_medians(base, p, &tb, &cb);
		json_object_set_new(tpr, p, record__real(tw / tb));
		json_object_set_new(cpur, p, record__real(cw / cb));
	}
	if (json_object_size(paths)) {
		json_object_set_new(o, "source", json_string(
			"interleaved pairs of windows with every collector open (on) and closed "
			"(off), same bytes: the median over pairs of on / off. throughput: engine; "
			"procfs: /proc/stat busy ticks of all CPUs per byte (other load on the machine "
			"included); run: schedstat of the run's threads (server, relays, clients, "
			"with the interrupts run on top of them) + the run process, per byte"));
		json_object_set_new(o, "paths", paths);
	} else {
		json_decref(paths);
		json_object_set_new(o, "source", json_string("engine throughput and /proc/stat busy "
							     "ticks per byte: median of the measured "
							     "repetitions over one copy with every "
							     "collector closed"));
	}
	json_object_set_new(o, "throughput_ratio", tpr);
	json_object_set_new(o, "cpu_per_byte_ratio", cpur);
	return o;
}

static void overhead_line(FILE *f, const char *what, const json_t *fig)
{
	const json_t *pr = json_object_get(fig, "paired_ratio"), *ci = json_object_get(fig, "ci95");

	fprintf(f, "    %-24s %.3f  (%.3f-%.3f, CI %.3f-%.3f)\n", what, num(pr, "median"),
		num(pr, "min"), num(pr, "max"), num(ci, "lo"), num(ci, "hi"));
}

/*
 * ntttcp-compatible cycles per byte: cycles = ns x nominal GHz. The clock is the record's
 * meta.cpu.nominal_mhz, else the "@ X.XXGHz" of its model name; never this machine's, since a
 * report may be rebuilt elsewhere. Adds cycles_per_byte (and its spread) to every role.
 */
static json_t *cpu_clock(const json_t *meta, json_t *paths)
{
	const json_t *cpu = json_object_get(meta, "cpu");
	double mhz = num(cpu, "nominal_mhz"), ghz;
	const char *src = json_string_value(json_object_get(cpu, "nominal_mhz_source"));
	const char *path, *role;
	json_t *p, *r;

	if (!isfinite(mhz) || mhz <= 0) {
		mhz = record__model_mhz(json_string_value(json_object_get(cpu, "model")));
		src = "the record's CPU model name (@ GHz)";
	}
	if (!isfinite(mhz) || mhz <= 0)
		return json_pack("{sn ss}", "nominal_mhz", "source",
				 "not recorded (no meta.cpu.nominal_mhz, no @ GHz in the model "
				 "name): no cycles per byte");
	ghz = mhz / 1000;
	json_object_foreach(paths, path, p)
		json_object_foreach(json_object_get(p, "roles"), role, r) {
			const json_t *sp = json_object_get(r, "cpu_ns_per_byte_spread");

			json_object_set_new(r, "cycles_per_byte",
					    record__real(num(r, "cpu_ns_per_byte") * ghz));
			json_object_set_new(r, "cycles_per_byte_spread",
					    json_pack("{so so so}", "median",
						      record__real(num(sp, "median") * ghz), "min",
						      record__real(num(sp, "min") * ghz), "max",
						      record__real(num(sp, "max") * ghz)));
		}
	return json_pack("{sf ss ss}", "nominal_mhz", mhz, "source", src ?: "meta.cpu.nominal_mhz",
			 "definition", "cycles = CPU ns x nominal GHz (ntttcp's cycles/byte)");
}

/*
 * Per host-role CPU per second of the series intervals ending in (lo, hi]: how busy the host
 * was while a failed-over guest used its standby, and before. NaN without such intervals.
 */
static double host_ms_per_s(const json_t *series, double lo, double hi)
{
	const json_t *t = json_object_get(series, "t_s");
	const json_t *h = json_object_get(json_object_get(series, "cpu_ns"), "host");
	double ns = 0, secs = 0, prev = 0;
	size_t i;

	for (i = 0; i < json_array_size(t) && i < json_array_size(h); i++) {
		double end = json_number_value(json_array_get(t, i));

		if (end > lo && end <= hi) {
			ns += json_number_value(json_array_get(h, i));
			secs += end - prev;
		}
		prev = end;
	}
	return secs > 0 ? ns / 1e6 / secs : NAN;
}

/* runs[].failover, with the host's CPU before and during the fallback (docs/report.md). */
static json_t *failover_summary(const json_t *rec)
{
	json_t *out = json_array(), *run, *fo;
	size_t i;

	json_array_foreach(json_object_get(rec, "runs"), i, run) {
		const json_t *se = json_object_get(run, "series");
		double sw, rs, half;

		fo = json_object_get(run, "failover");
		if (!fo)
			continue;
		sw = json_is_number(json_object_get(fo, "switched_at_s")) ?
			     num(fo, "switched_at_s") : NAN;
		rs = json_is_number(json_object_get(fo, "restored_at_s")) ? num(fo, "restored_at_s") :
									     INFINITY;
		fo = json_deep_copy(fo);
		json_object_del(fo, "progress");
		json_object_set_new(fo, "path", json_deep_copy(json_object_get(run, "path")));
		json_object_set_new(fo, "rep", json_deep_copy(json_object_get(run, "rep")));
		/* Intervals that end by the switch; those ending at least half an interval after it
		 * and by the restore (plus half an interval) are the fallback's: at least half of
		 * each is. */
		half = json_is_number(json_object_get(se, "interval_s")) ?
			       num(se, "interval_s") / 2 : 0.5;
		json_object_set_new(fo, "host_cpu_ms_per_s_before",
				    record__real(isfinite(sw) ? host_ms_per_s(se, -1, sw) : NAN));
		json_object_set_new(fo, "host_cpu_ms_per_s_standby",
				    record__real(isfinite(sw) ? host_ms_per_s(se, sw + half, rs + half) :
								NAN));
		json_array_append_new(out, fo);
	}
	if (!json_array_size(out)) {
		json_decref(out);
		out = NULL;
	}
	return out;
}

json_t *summary__build(const json_t *rec, char *err, size_t errlen)
{
	json_t *sum, *paths, *runs = json_object_get(rec, "runs"), *run, *meta, *checks, *hp[2], *tmp;
	double worst;
	size_t i;

	if (!json_is_array(runs) || !json_array_size(runs)) {
		snprintf(err, errlen, "the record has no runs (status: %s)",
			 json_string_value(json_object_get(rec, "status")) ?: "unknown");
		return NULL;
	}
	sum = json_object();
	paths = json_object();
	meta = json_object_get(rec, "meta");
	json_object_set_new(sum, "tool", json_deep_copy(json_object_get(meta, "tool")));
	json_object_set_new(sum, "started", json_deep_copy(json_object_get(meta, "started")));
	json_object_set_new(sum, "workload", json_deep_copy(json_object_get(rec, "workload")));
	json_object_set_new(sum, "collectors", json_deep_copy(json_object_get(rec, "collectors")));
	json_object_set_new(sum, "status", json_deep_copy(json_object_get(rec, "status")));
	json_array_foreach(runs, i, run) {
		const char *p = json_string_value(json_object_get(run, "path"));

		if (p && !json_object_get(paths, p))
			json_object_set_new(paths, p, path_summary(rec, p));
	}
	json_object_set_new(sum, "paths", paths);
	json_object_set_new(sum, "cpu_clock", cpu_clock(meta, paths));
	checks = json_object();
	json_object_set_new(checks, "softirq_count_rel_err_by_vector", softirq_check(runs, &worst));
	json_object_set_new(checks, "softirq_count_rel_err", record__real(worst));
	json_object_set_new(checks, "softirq_count_min_events", json_integer(CHECK_MIN_EVENTS));
	/* The study's central figure: host CPU per byte, paravirtual over VF. */
	hp[0] = json_object_get(json_object_get(json_object_get(json_object_get(paths, "pv"),
				"roles"), "host"), "cpu_ns_per_byte");
	hp[1] = json_object_get(json_object_get(json_object_get(json_object_get(paths, "vf"),
				"roles"), "host"), "cpu_ns_per_byte");
	json_object_set_new(checks, "host_cpu_per_byte_pv_over_vf",
			    hp[0] && hp[1] && json_number_value(hp[1]) > 0 ?
			    record__real(json_number_value(hp[0]) / json_number_value(hp[1])) :
			    json_null());
	json_object_set_new(sum, "checks", checks);
	if ((tmp = overhead_summary(rec)))
		json_object_set_new(sum, "overhead", tmp);
	if ((tmp = summary__machines(rec)))
		json_object_set_new(sum, "machines", tmp);
	if ((tmp = failover_summary(rec)))
		json_object_set_new(sum, "failover", tmp);
	return sum;
}

static void print_nsb(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%10.4f", json_number_value(v));
	else
		fprintf(f, "%10s", "-");
}

void summary__print(FILE *f, const json_t *sum)
{
	const json_t *paths = json_object_get(sum, "paths"), *wl = json_object_get(sum, "workload");
	const json_t *p, *checks = json_object_get(sum, "checks"), *c;
	const char *name;
	size_t i;

	fprintf(f, "iovbench %s (rev %s), run started %s, status %s\n",
		json_string_value(json_object_get(json_object_get(sum, "tool"), "version")) ?: "?",
		json_string_value(json_object_get(json_object_get(sum, "tool"), "git_rev")) ?: "?",
		json_string_value(json_object_get(sum, "started")) ?: "?",
		json_string_value(json_object_get(sum, "status")) ?: "?");
	fprintf(f, "workload: %s copy of %.2f GiB per %srepetition, %lld-byte READs, %lld in flight",
		json_string_value(json_object_get(wl, "kind")) ?: "?",
		num(wl, "bytes") / (1 << 30),
		json_object_get(wl, "bytes_per") ? "guest and " : "", (long long)num(wl, "io_size"),
		(long long)num(wl, "depth"));
	if (json_object_get(json_object_get(wl, "guests"), "agents"))
		fprintf(f, "; %lld guests on agents, concurrent",
			(long long)num(json_object_get(wl, "guests"), "agents"));
	else if (json_object_get(wl, "guests"))
		fprintf(f, "; guests vf+pv %lld+%lld, %s",
			(long long)num(json_object_get(wl, "guests"), "vf"),
			(long long)num(json_object_get(wl, "guests"), "pv"),
			json_string_value(json_object_get(wl, "windows")) ?: "?");
	fprintf(f, "\n");
	fprintf(f, "collectors:");
	json_array_foreach(json_object_get(sum, "collectors"), i, c)
		fprintf(f, " %s=%s", json_string_value(json_object_get(c, "name")),
			json_string_value(json_object_get(c, "status")));
	fprintf(f, "\n");
	c = json_object_get(sum, "cpu_clock");
	if (json_is_number(json_object_get(c, "nominal_mhz")))
		fprintf(f, "cycles per byte at the nominal %.0f MHz (from %s): ns/byte x %.3f\n",
			num(c, "nominal_mhz"), json_string_value(json_object_get(c, "source")),
			num(c, "nominal_mhz") / 1000);
	else
		fprintf(f, "cycles per byte: not shown, the nominal clock is not recorded\n");
	json_object_foreach((json_t *)paths, name, p) {
		const json_t *ts = json_object_get(p, "throughput_bps_spread"), *r;
		const json_t *vs = json_object_get(p, "softirq_ns_per_byte_all_roles");
		const char *role, *key;
		json_t *v;

		fprintf(f, "\npath %s (%s)\n", name,
			json_string_value(json_object_get(p, "stands_for")) ?: "");
		fprintf(f, "  throughput %.3f Gbit/s (median of %lld; min %.3f, max %.3f)\n",
			num(ts, "median") / 1e9, (long long)num(ts, "n"), num(ts, "min") / 1e9,
			num(ts, "max") / 1e9);
		if (isfinite(num(p, "net_rx_attributed")))
			fprintf(f, "  NET_RX time attributed to a named device: %.1f%%\n",
				num(p, "net_rx_attributed") * 100);
		else
			fprintf(f, "  NET_RX time per device: not measured (bpf collector off or "
				   "unavailable); CPU below is the threads' alone\n");
		fprintf(f, "  %-10s %10s %10s %10s %10s   CPU ns/byte (median; softirq = bpf "
			   "NET_RX per device, process = threads net of interrupts)\n",
			"role", "total", "softirq", "process", "cycles/B");
		json_object_foreach((json_t *)json_object_get(p, "roles"), role, r) {
			fprintf(f, "  %-10s ", role);
			print_nsb(f, json_object_get(r, "cpu_ns_per_byte"));
			fputc(' ', f);
			print_nsb(f, json_object_get(r, "softirq_ns_per_byte"));
			fputc(' ', f);
			print_nsb(f, json_object_get(r, "process_ns_per_byte"));
			fputc(' ', f);
			print_nsb(f, json_object_get(r, "cycles_per_byte"));
			fputc('\n', f);
			json_object_foreach((json_t *)json_object_get(r, "ns_per_byte_by"), key, v)
				if (json_number_value(v) > 0)
					fprintf(f, "  %12s %-34s %10.4f\n", "", key,
						json_number_value(v));
		}
		if (json_object_size(json_object_get(p, "guests"))) {
			fprintf(f, "  %-10s %4s %10s %10s %10s   per guest, median; ns per byte it "
				   "moved: own, host for it\n",
				"guest", "path", "Gbit/s", "guest", "host");
			json_object_foreach((json_t *)json_object_get(p, "guests"), role, r) {
				fprintf(f, "  %-10s %4s %10.3f ", role,
					json_string_value(json_object_get(r, "path")) ?: "?",
					num(r, "throughput_bps") / 1e9);
				print_nsb(f, json_object_get(r, "cpu_ns_per_byte"));
				fputc(' ', f);
				print_nsb(f, json_object_get(r, "host_ns_per_byte"));
				fputc('\n', f);
			}
		}
		fprintf(f, "  softirq ns/byte by vector, all roles (bpf):");
		json_object_foreach((json_t *)vs, key, v)
			if (json_number_value(v) > 0.00005)
				fprintf(f, " %s %.4f", key, json_number_value(v));
		fprintf(f, "\n");
	}
	fprintf(f, "\nchecks:\n");
	c = json_object_get(checks, "softirq_count_rel_err");
	if (json_is_number(c))
		fprintf(f, "  bpf vs /proc/softirqs counts: largest relative difference %.3f%% "
			   "(vectors with >= %d events)\n", json_number_value(c) * 100,
			CHECK_MIN_EVENTS);
	else
		fprintf(f, "  bpf vs /proc/softirqs counts: not checked (bpf or procfs missing)\n");
	c = json_object_get(checks, "host_cpu_per_byte_pv_over_vf");
	if (json_is_number(c)) {
		fprintf(f, "  host CPU per byte, pv / vf: %.1fx\n", json_number_value(c));
	} else {
		const json_t *pv = json_object_get(json_object_get(json_object_get(json_object_get(
			paths, "pv"), "roles"), "host"), "cpu_ns_per_byte");
		const json_t *vf = json_object_get(json_object_get(json_object_get(json_object_get(
			paths, "vf"), "roles"), "host"), "cpu_ns_per_byte");

		/* A ratio over zero is no number: say what was measured instead. */
		if (json_is_number(pv) && json_is_number(vf) && json_number_value(vf) == 0)
			fprintf(f, "  host CPU per byte: pv %.4f ns, vf 0 (no host work measured on the "
				   "VF path)\n", json_number_value(pv));
	}
	if (json_object_get(sum, "overhead")) {
		const json_t *tpr = json_object_get(json_object_get(sum, "overhead"), "throughput_ratio");
		const json_t *cpr = json_object_get(json_object_get(sum, "overhead"),
						    "cpu_per_byte_ratio");
		const char *p;
		json_t *v;

		const json_t *pp = json_object_get(json_object_get(sum, "overhead"), "paths");

		json_object_foreach((json_t *)tpr, p, v) {
			const json_t *x = json_object_get(pp, p);

			if (!x) {
				fprintf(f, "  collectors on / off, %s: throughput %.3f, CPU per byte "
					   "%.3f (one baseline copy)\n", p,
					json_is_number(v) ? json_number_value(v) : NAN,
					json_is_number(json_object_get(cpr, p)) ?
					json_number_value(json_object_get(cpr, p)) : NAN);
				continue;
			}
			fprintf(f, "  collectors on / off, %s, %lld pair(s) (median of on/off, min-max, "
				   "95%% CI):\n", p,
				(long long)json_integer_value(json_object_get(x, "pairs")));
			overhead_line(f, "throughput", json_object_get(x, "throughput_bps"));
			overhead_line(f, "CPU/byte, /proc/stat", json_object_get(x,
						"procfs_cpu_ns_per_byte"));
			overhead_line(f, "CPU/byte, run's threads", json_object_get(x,
						"run_cpu_ns_per_byte"));
			fprintf(f, "    throughput >= 97%% of without: %s\n",
				json_string_value(json_object_get(x, "throughput_97pct")) ?: "?");
		}
	}
	if (json_object_get(sum, "machines"))
		summary__print_machines(f, json_object_get(sum, "machines"));
	if (json_object_get(sum, "failover"))
		fprintf(f, "\nfailover (VF removed, traffic over the standby pv NIC, VF back):\n");
	json_array_foreach(json_object_get(sum, "failover"), i, c) {
		fprintf(f, "  %s rep %lld, %s: ", json_string_value(json_object_get(c, "path")) ?: "?",
			(long long)num(c, "rep"), json_string_value(json_object_get(c, "guest")) ?: "?");
		if (!json_is_number(json_object_get(c, "switched_at_s"))) {
			fprintf(f, "%s%s%s\n", json_string_value(json_object_get(c, "status")) ?: "?",
				json_object_get(c, "error") ? ": " : "",
				json_string_value(json_object_get(c, "error")) ?: "");
			continue;
		}
		fprintf(f, "VF out at %.3f s", num(c, "switched_at_s"));
		if (json_is_number(json_object_get(c, "restored_at_s")))
			fprintf(f, ", back at %.3f s", num(c, "restored_at_s"));
		else
			fprintf(f, ", back after the copy ended");
		fprintf(f, "; %s at %.3f Gbit/s before, ",
			json_string_value(json_object_get(c, "guest")) ?: "?",
			num(c, "pre_switch_median_bps") / 1e9);
		if (json_is_number(json_object_get(c, "dip_min_bps")))
			fprintf(f, "lowest %.3f after the switch, ", num(c, "dip_min_bps") / 1e9);
		else if (json_is_number(json_object_get(c, "recovery_s")))
			fprintf(f, "no dip below %.0f%%, ", num(c, "recovery_frac") * 100);
		if (json_is_number(json_object_get(c, "recovery_s")))
			fprintf(f, "%.0f%% again %.2f s after it", num(c, "recovery_frac") * 100,
				num(c, "recovery_s"));
		else
			fprintf(f, "not back to %.0f%% before the copy ended",
				num(c, "recovery_frac") * 100);
		if (json_is_number(json_object_get(c, "guest_lost_s")))
			fprintf(f, "; lost %.2f s of that rate (moved %.0f%% of it) until 1 s after "
				   "the VF was back",
				num(c, "guest_lost_s"), num(c, "guest_moved_ratio") * 100);
		if (json_is_number(json_object_get(c, "longest_gap_ms")))
			fprintf(f, "; longest gap in its progress %.0f ms",
				num(c, "longest_gap_ms"));
		fprintf(f, "; host CPU %.1f ms/s before, %.1f ms/s on the standby\n",
			num(c, "host_cpu_ms_per_s_before"), num(c, "host_cpu_ms_per_s_standby"));
	}
}

int summary__print_record(FILE *f, const json_t *rec)
{
	char err[256];
	json_t *sum = summary__build(rec, err, sizeof(err));

	if (!sum) {
		fprintf(stderr, "iovbench report: %s\n", err);
		return -EINVAL;
	}
	summary__print(f, sum);
	json_decref(sum);
	return 0;
}

static const char *const report_usage =
	"usage: iovbench report [--json] [-q|-v] RECORD\n"
	"       iovbench report [--json] [-q|-v] -o DIR RECORD...\n"
	"\n"
	"Summarise a run record (results/*.json.gz): per path the throughput and, per role, CPU\n"
	"ns per byte split into softirq (bpf NET_RX per device) and process time (threads, net\n"
	"of interrupts), the devices and threads it went to, and the cross-checks.\n"
	"\n"
	"  --json       print the summary as one JSON document on stdout\n"
	"  -o, --output DIR\n"
	"               write DIR/report.html (self-contained, SVG figures inlined), report.md,\n"
	"               and per figure NAME.dat, NAME.gp (gnuplot script), NAME.svg, NAME.png;\n"
	"               several RECORDs of one workload pool their repetitions. Needs gnuplot.\n"
	"  -q, --quiet  nothing on stderr but errors\n"
	"  -v, --verbose\n"
	"               say each step on stderr (what is read and written)\n"
	"  -h, --help   this text\n"
	"\n"
	"exit status: 0 ok, 2 bad usage or input, 3 DIR or a file in it cannot be written,\n"
	"gnuplot missing or failed\n";

/* -o DIR: figures and pages. Returns the exit status: 2 for input errors, 3 when DIR or a file in
 * it cannot be written or gnuplot is missing or fails (the environment), after a one-line reason
 * on stderr. */
static int report_to_dir(char **files, size_t n, const char *dir, bool json, int verbosity)
{
	json_t **recs = calloc(n, sizeof(*recs)), *rec = NULL, *sum = NULL;
	char err[1024];
	int ret = 2, e;
	size_t i;

	if (!recs) {
		fprintf(stderr, "iovbench report: out of memory\n");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		cli__say(verbosity, CLI_VERBOSE, "iovbench report", "reading %s", files[i]);
		recs[i] = record__read(files[i], err, sizeof(err));
		if (!recs[i]) {
			fprintf(stderr, "iovbench report: %s\n", err);
			goto cleanup;
		}
	}
	rec = page__merge(recs, (const char *const *)files, n, err, sizeof(err));
	sum = rec ? summary__build(rec, err, sizeof(err)) : NULL;
	if (!sum) {
		fprintf(stderr, "iovbench report: %s\n", err);
		goto cleanup;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "iovbench report: cannot create %s: %s\n", dir, strerror(errno));
		ret = IOVB_EXIT_ENV;
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench report", "writing the figures' data and "
		 "gnuplot scripts to %s", dir);
	e = plot__write(rec, dir, err, sizeof(err));
	if (e) {
		fprintf(stderr, "iovbench report: %s\n", err);
		ret = e == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench report", "%s", "rendering them with gnuplot");
	e = plot__render(dir, NULL, err, sizeof(err));
	if (e) {
		fprintf(stderr, "iovbench report: %s; the data and gnuplot scripts are in %s\n", err,
			dir);
		ret = IOVB_EXIT_ENV;
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench report", "writing %s/report.html and report.md",
		 dir);
	e = page__write(rec, sum, dir, err, sizeof(err));
	if (e) {
		fprintf(stderr, "iovbench report: %s\n", err);
		ret = e == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
		goto cleanup;
	}
	if (json) {
		json_dumpf(sum, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		printf("%s/report.html\n", dir);
	}
	ret = 0;
cleanup:
	json_decref(sum);
	json_decref(rec);
	for (i = 0; recs && i < n; i++)
		json_decref(recs[i]);
	free(recs);
	return ret;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char err[512];
	bool json = false;
	const char *dir = NULL;
	json_t *rec = NULL, *sum = NULL;
	int ch, ret = 2, verbosity = CLI_NORMAL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "ho:qv", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(ch, &verbosity))
			continue;
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		case '?':
			if (optopt == 'o') {
				fprintf(stderr, "iovbench report: -o needs a DIR (see 'iovbench "
						"report --help')\n");
				return 2;
			}
			/* fall through */
		default:
			fprintf(stderr, "iovbench report: unknown option '%s' (see 'iovbench report "
					"--help')\n", argv[optind - 1]);
			return 2;
		}
	}
	if (dir) {
		if (argc - optind < 1) {
			fprintf(stderr, "iovbench report: expects at least one RECORD (see "
					"'iovbench report --help')\n");
			return 2;
		}
		return report_to_dir(argv + optind, (size_t)(argc - optind), dir, json, verbosity);
	}
	if (argc - optind != 1) {
		fprintf(stderr, "iovbench report: expects one RECORD (see 'iovbench report --help')\n");
		return 2;
	}
	cli__say(verbosity, CLI_VERBOSE, "iovbench report", "reading %s", argv[optind]);
	rec = record__read(argv[optind], err, sizeof(err));
	if (!rec) {
		fprintf(stderr, "iovbench report: %s\n", err);
		goto cleanup;
	}
	/* an `iovbench collect` record has no paths: its own summary (docs/record.md) */
	sum = collect__summary(rec);
	if (sum && !json) {
		collect__print(stdout, sum);
		ret = 0;
		goto cleanup;
	}
	if (!sum)
		sum = summary__build(rec, err, sizeof(err));
	if (!sum) {
		fprintf(stderr, "iovbench report: %s: %s\n", argv[optind], err);
		goto cleanup;
	}
	if (json) {
		json_dumpf(sum, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else {
		summary__print(stdout, sum);
	}
	ret = 0;
cleanup:
	json_decref(sum);
	json_decref(rec);
	return ret;
}
