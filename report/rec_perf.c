// SPDX-License-Identifier: GPL-2.0
/* collectors.perf: the perf collector's window as JSON (docs/record.md, docs/modules.md). */
#include <stddef.h>
#include <stdint.h>

#include "iovb/rec_perf.h"

const char record_perf_caveat[] =
	"cpu-clock is timer (hrtimer) driven: code that runs with interrupts off (hardirq "
	"handlers, parts of the scheduler and timer core) is never sampled, and its time shows "
	"up on the code that runs next. User-mode samples are not recorded. Each sample stands "
	"for period_ns of CPU; a figure of n samples has a relative error of about 1/sqrt(n).";

static json_t *rp_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

json_t *record__perf(const struct perfcol_stats *st)
{
	json_t *o = NULL, *cells = NULL, *mods = NULL, *ctx = NULL, *top, *m;
	json_t *ret = NULL;
	size_t i, j;
	int bad = 0;

	o = json_object();
	cells = json_array();
	mods = json_array();
	ctx = json_object();
	if (!o || !cells || !mods || !ctx)
		goto cleanup;
	bad |= json_object_set_new(o, "source", json_string("perf-sample"));
	bad |= json_object_set_new(o, "event", json_string("cpu-clock, kernel IPs and callchains"));
	bad |= json_object_set_new(o, "unit", json_string("samples; ns = samples * period_ns"));
	bad |= json_object_set_new(o, "caveat", json_string(record_perf_caveat));
	bad |= json_object_set_new(o, "period_ns", rp_u64(st->period_ns));
	bad |= json_object_set_new(o, "ncpu", json_integer(st->ncpu));
	bad |= json_object_set_new(o, "window_ns", rp_u64(st->window_ns));
	bad |= json_object_set_new(o, "samples", rp_u64(st->nsamples));
	bad |= json_object_set_new(o, "lost", rp_u64(st->lost));
	bad |= json_object_set_new(o, "throttled", rp_u64(st->throttled));
	bad |= json_object_set_new(o, "unresolved", rp_u64(st->unresolved));
	bad |= json_object_set_new(o, "via_helper", rp_u64(st->via_helper));
	bad |= json_object_set_new(o, "table",
				   json_pack("{ss sI}", "path", st->table_path, "entries",
					     (json_int_t)st->table_entries));
	for (i = 0; i < PERFCOL_NR_CTX; i++)
		if (st->ctx_samples[i])
			bad |= json_object_set_new(ctx, perfcol_ctx__name((enum perfcol_ctx)i),
						   rp_u64(st->ctx_samples[i]));
	bad |= json_object_set_new(o, "contexts", ctx);
	ctx = NULL;
	for (i = 0; i < st->ncells; i++)
		bad |= json_array_append_new(
			cells, json_pack("{ss ss sI sI}", "module", st->cells[i].module, "context",
					 perfcol_ctx__name(st->cells[i].ctx), "samples",
					 (json_int_t)st->cells[i].samples, "ns",
					 (json_int_t)st->cells[i].ns));
	bad |= json_object_set_new(o, "modules", cells);
	cells = NULL;
	for (i = 0; i < st->nmodules; i++) {
		top = json_array();
		for (j = 0; top && j < st->modules[i].ntop; j++)
			bad |= json_array_append_new(
				top,
				json_pack("{ss sI}", "symbol", st->modules[i].top[j].name,
					  "samples", (json_int_t)st->modules[i].top[j].samples));
		m = json_pack("{ss sI sI so*}", "module", st->modules[i].module, "samples",
			      (json_int_t)st->modules[i].samples, "ns",
			      (json_int_t)st->modules[i].ns, "top_symbols", top);
		bad |= json_array_append_new(mods, m);
	}
	bad |= json_object_set_new(o, "module_totals", mods);
	mods = NULL;
	m = json_array();
	for (i = 0; m && i < st->npids; i++)
		bad |= json_array_append_new(m, json_pack("{sI sI sI sI sI}", "pid",
							  (json_int_t)st->pids[i].pid, "netns_ino",
							  (json_int_t)st->pids[i].netns_ino, "samples",
							  (json_int_t)st->pids[i].samples, "ns",
							  (json_int_t)(st->pids[i].samples *
								       st->period_ns),
							  "bh_samples",
							  (json_int_t)st->pids[i].bh_samples));
	bad |= json_object_set_new(o, "process_pids", m);
	bad |= json_object_set_new(o, "process_pids_untracked", rp_u64(st->pids_untracked));
	bad |= json_object_set_new(o, "bh_untracked", rp_u64(st->bh_untracked));
	m = json_object();
	for (i = 0; m && i < PERFCOL_NR_RULES; i++)
		bad |= json_object_set_new(m, perfcol_irq_rule__name((enum perfcol_irq_rule)i),
					   json_pack("{sI sI ss}", "samples",
						     (json_int_t)st->rule_samples[i], "ns",
						     (json_int_t)(st->rule_samples[i] * st->period_ns),
						     "role", i == PERFCOL_RULE_TASK_BH ?
						     "the sample's process (as its process-context "
						     "samples)" : "unattributed"));
	bad |= json_object_set_new(o, "interrupt_rules", m);
	bad |= json_object_set_new(o, "overhead",
				   json_pack("{ss sI}", "source",
					     "CLOCK_THREAD_CPUTIME_ID of the reader thread",
					     "reader_cpu_ns", (json_int_t)st->reader_cpu_ns));
	if (bad)
		goto cleanup;
	ret = o;
	o = NULL;
cleanup:
	json_decref(ctx);
	json_decref(cells);
	json_decref(mods);
	json_decref(o);
	return ret;
}

/* The role of st->pids[i]: the caller's process by pid, else by its netns, else "exited". */
static const char *pid_role(const struct perfcol_stats *st, size_t i,
			    const struct threads_snap *known, record_role_fn role_of, void *arg)
{
	const char *role = st->pids[i].netns_ino ? role_of(arg, st->pids[i].netns_ino) : "exited";

	/* a process the caller started has its role whatever netns it sits in (the relay) */
	for (size_t j = 0; known && j < known->n; j++)
		if (known->t[j].pid == st->pids[i].pid && known->t[j].role[0])
			return known->t[j].role;
	return role;
}

static void add_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + v));
}

json_t *record__perf_roles(const struct perfcol_stats *st, const struct threads_snap *known,
			   record_role_fn role_of, void *arg)
{
	json_t *o = json_object(), *r;
	const char *role;

	for (size_t i = 0; i < st->npids; i++) {
		if (!st->pids[i].samples) /* only softirq samples: record__perf_irq_roles */
			continue;
		role = pid_role(st, i, known, role_of, arg);
		r = json_object_get(o, role);
		if (!r) {
			r = json_pack("{sI sI sI}", "samples", (json_int_t)0, "ns", (json_int_t)0,
				      "pids", (json_int_t)0);
			json_object_set_new(o, role, r);
		}
		add_int(r, "samples", (json_int_t)st->pids[i].samples);
		add_int(r, "ns", (json_int_t)(st->pids[i].samples * st->period_ns));
		add_int(r, "pids", 1);
	}
	return o;
}

json_t *record__perf_irq_roles(const struct perfcol_stats *st, const struct threads_snap *known,
			       record_role_fn role_of, void *arg)
{
	uint64_t attr[PERFCOL_NR_CTX] = { 0 }, un = 0;
	json_t *o = json_object(), *r, *ctx, *rules;
	const char *role;

	for (size_t i = 0; i < st->npids; i++) {
		if (!st->pids[i].bh_samples)
			continue;
		role = pid_role(st, i, known, role_of, arg);
		r = json_object_get(o, role);
		if (!r) {
			r = json_pack("{sI sI sI ss s{}}", "samples", (json_int_t)0, "ns",
				      (json_int_t)0, "pids", (json_int_t)0, "rule", "task-bh",
				      "contexts");
			json_object_set_new(o, role, r);
		}
		add_int(r, "samples", (json_int_t)st->pids[i].bh_samples);
		add_int(r, "ns", (json_int_t)(st->pids[i].bh_samples * st->period_ns));
		add_int(r, "pids", 1);
		ctx = json_object_get(r, "contexts");
		for (size_t c = 0; c < PERFCOL_NR_CTX; c++) {
			if (!st->pids[i].bh_ctx[c])
				continue;
			add_int(ctx, perfcol_ctx__name((enum perfcol_ctx)c),
				(json_int_t)st->pids[i].bh_ctx[c]);
			attr[c] += st->pids[i].bh_ctx[c];
		}
	}
	/* the rest of the interrupt samples, per context and per rule */
	ctx = json_object();
	for (size_t c = 0; c < PERFCOL_NR_CTX; c++) {
		if (c == PERFCOL_CTX_PROCESS || c == PERFCOL_CTX_IDLE ||
		    st->ctx_samples[c] <= attr[c])
			continue;
		json_object_set_new(ctx, perfcol_ctx__name((enum perfcol_ctx)c),
				    json_integer((json_int_t)(st->ctx_samples[c] - attr[c])));
		un += st->ctx_samples[c] - attr[c];
	}
	rules = json_object();
	for (size_t i = 0; i < PERFCOL_NR_RULES; i++)
		if (i != PERFCOL_RULE_TASK_BH && st->rule_samples[i])
			json_object_set_new(rules, perfcol_irq_rule__name((enum perfcol_irq_rule)i),
					    json_integer((json_int_t)st->rule_samples[i]));
	if (st->bh_untracked)
		json_object_set_new(rules, "task-bh-untracked",
				    json_integer((json_int_t)st->bh_untracked));
	json_object_set_new(o, "unattributed",
			    json_pack("{sI sI so so}", "samples", (json_int_t)un, "ns",
				      (json_int_t)(un * st->period_ns), "contexts", ctx, "rules",
				      rules));
	return o;
}
