// SPDX-License-Identifier: GPL-2.0
/*
 * The report's per-machine part of an agents record (topology.kind "agents", docs/agents.md):
 * each machine's whole CPU and softirq time over its window, from its own collectors, per byte.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/record.h"
#include "iovb/summary.h"

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of the finite values of a JSON array of numbers; NaN when there is none. */
static double median(const json_t *a)
{
	size_t n = 0, i;
	double *x = calloc(json_array_size(a) + 1, sizeof(double)), m = NAN;
	const json_t *v;

	json_array_foreach(a, i, v)
		if (json_is_number(v) && isfinite(json_number_value(v)))
			x[n++] = json_number_value(v);
	if (n) {
		qsort(x, n, sizeof(double), cmp_double);
		m = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
	}
	free(x);
	return m;
}

static double sum_array(const json_t *a)
{
	double s = 0;
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v)
		s += json_number_value(v);
	return s;
}

/* The bytes a machine's CPU is divided by: all guests' for the server, its own for a guest. */
static double machine_bytes(const json_t *run, const char *name, const char *role)
{
	const json_t *g;
	size_t i;

	if (!strcmp(role, "server"))
		return num(json_object_get(run, "engine"), "bytes");
	json_array_foreach(json_object_get(run, "guests"), i, g)
		if (!strcmp(json_string_value(json_object_get(g, "machine")) ?: "", name))
			return num(g, "bytes");
	return NAN;
}

static void push(json_t *acc, const char *key, double v)
{
	if (isfinite(v))
		json_array_append_new(json_object_get(acc, key), json_real(v));
}

json_t *summary__machines(const json_t *rec)
{
	const json_t *topo = json_object_get(rec, "topology"), *m, *run;
	json_t *out;
	size_t i, j;

	if (strcmp(json_string_value(json_object_get(topo, "kind")) ?: "", "agents"))
		return NULL;
	out = json_object();
	json_array_foreach(json_object_get(topo, "machines"), i, m) {
		const char *name = json_string_value(json_object_get(m, "name")) ?: "?";
		const char *role = json_string_value(json_object_get(m, "role")) ?: "?";
		json_t *acc = json_pack("{s[] s[] s[] s[]}", "cpu", "sirq", "bpf", "cores"), *o;
		int n = 0;

		json_array_foreach(json_object_get(rec, "runs"), j, run) {
			const json_t *mr = json_object_get(json_object_get(run, "machines"), name);
			const json_t *pf =
				json_object_get(json_object_get(mr, "collectors"), "procfs");
			const json_t *bpf =
				json_object_get(json_object_get(mr, "collectors"), "bpf");
			double tick = num(pf, "tick_ns"), busy = 0, sirq = 0, b, w, bs = 0;
			const json_t *c, *vec;
			const char *vn;
			size_t k;

			if (!mr ||
			    strcmp(json_string_value(json_object_get(run, "status")) ?: "", "ok"))
				continue;
			b = machine_bytes(run, name, role);
			w = num(mr, "window_ns");
			n++;
			if (pf && isfinite(tick)) {
				json_array_foreach(json_object_get(pf, "cpus"), k, c) {
					busy += num(c, "user") + num(c, "nice") + num(c, "system") +
						num(c, "irq") + num(c, "softirq");
					sirq += num(c, "softirq");
				}
				push(acc, "cpu", busy * tick / b);
				push(acc, "sirq", sirq * tick / b);
				push(acc, "cores", w > 0 ? busy * tick / w : NAN);
			}
			if (bpf) {
				json_object_foreach((json_t *)json_object_get(bpf, "softirq"), vn,
						    vec)
					bs += sum_array(json_object_get(vec, "ns"));
				push(acc, "bpf", bs / b);
			}
		}
		o = json_pack("{ss si}", "role", role, "runs", n);
		json_object_set_new(o, "cpu_ns_per_byte",
				    record__real(median(json_object_get(acc, "cpu"))));
		json_object_set_new(o, "softirq_ns_per_byte",
				    record__real(median(json_object_get(acc, "sirq"))));
		json_object_set_new(o, "softirq_ns_per_byte_bpf",
				    record__real(median(json_object_get(acc, "bpf"))));
		json_object_set_new(o, "cores",
				    record__real(median(json_object_get(acc, "cores"))));
		json_object_set_new(
			o, "kernel",
			json_deep_copy(json_object_get(
				json_object_get(json_object_get(m, "meta"), "kernel"), "release")));
		json_object_set_new(
			o, "hostname",
			json_deep_copy(json_object_get(json_object_get(m, "meta"), "hostname")));
		json_object_set_new(out, name, o);
		json_decref(acc);
	}
	return out;
}

static void print_num(FILE *f, const json_t *v, const char *fmt)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (json_is_number(v))
		fprintf(f, fmt, json_number_value(v));
	else
		fprintf(f, " %10s", "-");
#pragma GCC diagnostic pop
}

void summary__print_machines(FILE *f, const json_t *machines)
{
	const char *name;
	const json_t *m;

	fprintf(f, "\nmachines (agents): each machine's whole CPU over its own window, from its "
		   "collectors;\nper byte: the server's per byte of all guests, a guest's per byte "
		   "it moved; median over ok runs\n");
	fprintf(f, "  %-12s %-9s %10s %10s %10s %10s  %s\n", "machine", "role", "CPU ns/B",
		"sirq ns/B", "bpf sirq", "cores", "host, kernel");
	json_object_foreach((json_t *)machines, name, m) {
		fprintf(f, "  %-12s %-9s", name,
			json_string_value(json_object_get(m, "role")) ?: "?");
		print_num(f, json_object_get(m, "cpu_ns_per_byte"), " %10.4f");
		print_num(f, json_object_get(m, "softirq_ns_per_byte"), " %10.4f");
		print_num(f, json_object_get(m, "softirq_ns_per_byte_bpf"), " %10.4f");
		print_num(f, json_object_get(m, "cores"), " %10.3f");
		fprintf(f, "  %s, %s\n", json_string_value(json_object_get(m, "hostname")) ?: "?",
			json_string_value(json_object_get(m, "kernel")) ?: "?");
	}
}
