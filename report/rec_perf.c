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
