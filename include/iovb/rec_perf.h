/* SPDX-License-Identifier: GPL-2.0 */
/* The perf collector's figures as a record section (docs/record.md, collectors.perf). */
#ifndef IOVB_REC_PERF_H
#define IOVB_REC_PERF_H

#include <jansson.h>

#include "iovb/perfcol.h"
#include "iovb/record.h"
#include "iovb/threads.h"

/* The caveat every perf-sample figure carries: what cpu-clock sampling cannot see. */
extern const char record_perf_caveat[];

/*
 * collectors.perf of a run: source "perf-sample", the period and sample counts (the error bar:
 * a cell of n samples is n * period_ns +- about sqrt(n) * period_ns), per (module, context)
 * samples and ns, per module the top symbols. A new reference, or NULL when out of memory.
 */
json_t *record__perf(const struct perfcol_stats *st);

/*
 * Process-context samples per role (pids with none are left out): a pid in known (the processes the caller started, each
 * thread tagged with its role) takes that role; any other process role_of(arg, the inode of its
 * netns), or "exited" when it was gone before the window closed. {"<role>": {"samples", "ns",
 * "pids"}}. known may be NULL. A new reference.
 */
json_t *record__perf_roles(const struct perfcol_stats *st, const struct threads_snap *known,
			   record_role_fn role_of, void *arg);

/*
 * Interrupt-context samples per role (collectors.perf.interrupt_roles): the softirq samples a
 * process's own threads ran (rule task-bh) take that process's role as in record__perf_roles,
 * {"<role>": {"samples", "ns", "pids", "rule": "task-bh", "contexts": {"NET_RX": n, ...}}};
 * all others are "unattributed": {"samples", "ns", "contexts", "rules": {"irq-exit": n, ...}}
 * (the rule that left each one there). A new reference.
 */
json_t *record__perf_irq_roles(const struct perfcol_stats *st, const struct threads_snap *known,
			       record_role_fn role_of, void *arg);

#endif
