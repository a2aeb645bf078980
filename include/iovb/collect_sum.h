/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The summary of an `iovbench collect` record (docs/record.md, "collect records"): derived
 * from the record only, so it can be rebuilt from the file later.
 */
#ifndef IOVB_COLLECT_SUM_H
#define IOVB_COLLECT_SUM_H

#include <stdio.h>
#include <jansson.h>

/* Minimum events of a vector for its bpf vs /proc/softirqs count to be checked. */
#define COLLECT_CHECK_MIN_EVENTS 500

/*
 * The summary: status, window_ns, command, collectors.<name> (status), softirq.<VECTOR>.
 * {bpf_count, procfs_count, bpf_ns} (null where that collector did not run),
 * checks.softirq_count_rel_err, perf.modules.<module>.{ns,samples}, wire.interfaces.<if>.
 * {rx,tx}, overhead.<collector>.cpu_ns. A new reference; NULL if rec is not a collect record.
 */
json_t *collect__summary(const json_t *rec);

/* The summary as a few lines of text. */
void collect__print(FILE *f, const json_t *sum);

#endif
