/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run record: one versioned JSON document (docs/record.md), gzip-compressed, written
 * atomically. This is its one writer and reader; collectors fill structs and the functions
 * here turn them into JSON, so every figure carries its unit and "source".
 */
#ifndef IOVB_RECORD_H
#define IOVB_RECORD_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "iovb/hist.h"
#include "iovb/netcpu.h"
#include "iovb/procfs.h"
#include "iovb/threads.h"

#define IOVB_RECORD_SCHEMA 1

/* Maps a device's netns inode to its role name; must return a non-NULL static string. */
typedef const char *(*record_role_fn)(void *arg, uint64_t netns_ino);

/*
 * Write rec to path atomically: a temp file beside it, fsync, rename. On failure nothing is
 * left at path or beside it. 0 or -errno, with a one-line reason in err.
 */
int record__write(const json_t *rec, const char *path, char *err, size_t errlen);

/*
 * Read a record (gzip or plain JSON). NULL with a one-line reason in err when the file is
 * missing, truncated, not JSON, or of another schema version.
 */
json_t *record__read(const char *path, char *err, size_t errlen);

/* A JSON number, or null for NaN/inf (JSON has neither). */
json_t *record__real(double v);

/* The procfs collector's window deltas; clk_tck converts /proc/stat ticks to ns. */
json_t *record__procfs(const struct procfs_snap *delta, long clk_tck);

/* The bpf collector's window deltas, devices tagged with role_of(netns inode). */
json_t *record__netcpu(const struct netcpu_stats *st, record_role_fn role_of, void *arg);
/*
 * A run's `kernel_threads` (docs/record.md): the window's deltas td of the network kernel
 * threads (threads_snap__add_net_kthreads), each ksoftirqd/N with the softirq handler time bpf
 * saw run in it on CPU N (st may be NULL: not measured, said as null).
 */
json_t *record__kernel_threads(const struct threads_snap *td, const struct netcpu_stats *st);

/*
 * The relative standard deviation (sample stddev / mean) of engine.throughput_bps over the
 * runs[] of one path with status "ok"; NAN with fewer than two.
 */
double record__rel_stddev(const json_t *runs, const char *path);

/*
 * Whether the repetitions stop after repetition rep: "reps" (the asked number ran, without
 * --max-stddev), "max-stddev" (at least reps ran and below: the relative stddev of throughput
 * is under max_stddev percent on every path), "max-reps" (the bound), or NULL to go on.
 */
const char *record__reps_stop(uint64_t rep, uint64_t reps, double max_stddev, uint64_t max_reps,
			      bool below);

/*
 * A log2 histogram as the record holds it (docs/record.md): {"unit": UNIT, "log2":
 * [[lower, count], ...]} with only the non-empty buckets, bucket k = [2^k, 2^(k+1)) (bucket 0
 * also holds 0). slots[k] is bucket k's count, n buckets.
 */
json_t *record__log2_hist(const uint64_t *slots, size_t n, const char *unit);

/* A latency histogram in µs: count, min/max/mean, p50/p90/p99/p99.9 and the non-empty slots. */
json_t *record__hist_us(const struct iovb_hist *h);

/*
 * The CPU's nominal clock for cycles-per-byte figures (ntttcp's cycles = ns x nominal GHz):
 * sets cpu.nominal_mhz and cpu.nominal_mhz_source from cpuinfo (NULL: /proc/cpuinfo), taken
 * from the model name's "@ X.XXGHz" or else from "cpu MHz". 0, -errno or -ENODATA (neither).
 * bench/run.c's meta writer is meant to call it on meta.cpu.
 */
int record__cpu_nominal(json_t *cpu, const char *cpuinfo);

/* The nominal MHz in a model name ending "@ 2.10GHz", or NaN when it has none. */
double record__model_mhz(const char *model);

/* Free-form text of a whole file ("" when unreadable), trailing newline cut: for metadata. */
void record__read_line(const char *path, char *buf, size_t len);

#endif
