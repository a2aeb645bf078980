/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collectors of `iovbench collect` as a session other commands can drive (the agent):
 * open once, then any number of windows, each giving a run's `collectors` object.
 */
#ifndef IOVB_COLLECT_H
#define IOVB_COLLECT_H

#include <stddef.h>
#include <jansson.h>

struct collect_session;

/*
 * Open the collectors in list ("procfs,bpf,perf"; wire is not offered here). A collector that
 * cannot load is said once on stderr and in collect_session__status(). NULL with errno
 * EINVAL (bad list, reason in err) or ENOENT (none could load, reasons in err).
 */
struct collect_session *collect_session__open(const char *list, char *err, size_t errlen);

/* The record's `collectors[]` for this session: name, status, error. A new reference. */
json_t *collect_session__status(const struct collect_session *s);

/* Open a window on every loaded collector. */
void collect_session__start(struct collect_session *s);

/*
 * Close the window: the run's `collectors` object (procfs, bpf, perf as in docs/record.md) and
 * the window's CLOCK_MONOTONIC length in *duration_ns. A new reference.
 */
json_t *collect_session__stop(struct collect_session *s, unsigned long long *duration_ns);

/* The role the machine's network kernel threads get (ksoftirqd/N, napi/...): IOVB_ROLE_HOST
 * unless set, e.g. an agent's own role on its machine. */
void collect_session__set_role(struct collect_session *s, const char *role);

/*
 * After collect_session__stop: the window's `kernel_threads` (docs/record.md), with the part
 * each ksoftirqd spent in softirqs when bpf was loaded; {"error": ...} when /proc could not
 * be read. A new reference.
 */
json_t *collect_session__kernel_threads(const struct collect_session *s);

/* NULL-safe. */
void collect_session__close(struct collect_session *s);

#endif
