/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Summaries of a record: per path the throughput and, per role, CPU ns per byte split by
 * softirq vector and by device, with spread over repetitions and the cross-checks.
 */
#ifndef IOVB_SUMMARY_H
#define IOVB_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/*
 * Build the summary document (the shape `iovbench report --json` prints, see docs/record.md).
 * NULL with a one-line reason in err when the record lacks what a summary needs.
 */
json_t *summary__build(const json_t *rec, char *err, size_t errlen);

/*
 * One run's per-role sums, the raw material of the summary's medians: role -> object with
 * softirq_NET_RX_ns (bpf NET_RX charged to the role's devices), process_ns (its threads net of
 * the interrupt time bpf saw on top of them), and the same split per "dev:NAME (KIND)" and
 * "thread:COMM", all in ns over the run's window. *have_bpf says whether the run had bpf
 * figures (without them there is no softirq_NET_RX_ns). The caller owns the result.
 */
json_t *summary__run_roles(const json_t *run, bool *have_bpf);

/*
 * The per-machine part of an agents record (topology.kind "agents"): machine name -> role,
 * runs, cpu_ns_per_byte, softirq_ns_per_byte (procfs), softirq_ns_per_byte_bpf, cores,
 * hostname, kernel; medians over the ok runs (report/agents_sum.c). NULL for other records.
 */
json_t *summary__machines(const json_t *rec);

/* Print what summary__machines() built. */
void summary__print_machines(FILE *f, const json_t *machines);

/* Print the summary as text. */
void summary__print(FILE *f, const json_t *sum);

/* Build and print; 0, or -EINVAL after printing the reason to stderr. */
int summary__print_record(FILE *f, const json_t *rec);

/* `iovbench report [--json] RECORD`. Returns the exit status. */
int cmd_report(int argc, char **argv);

#endif
