/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread CPU accounting of the processes a run starts (relay, engine server and clients):
 * /proc/PID/task/TID/schedstat (sum_exec_runtime, ns) and stat (utime/stime ticks).
 * Without CONFIG_IRQ_TIME_ACCOUNTING these include interrupt time that ran on top of the
 * thread; the bpf collector measures that part per tid so it can be taken out.
 */
#ifndef IOVB_THREADS_H
#define IOVB_THREADS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct thread_cpu {
	uint32_t pid;
	uint32_t tid;
	char comm[16];
	char role[16];        /* set by the caller; threads_snap__add copies it in */
	uint64_t cpu_ns;      /* schedstat sum_exec_runtime */
	uint64_t utime_ticks; /* stat field 14 */
	uint64_t stime_ticks; /* stat field 15 */
};

struct threads_snap {
	struct thread_cpu *t;
	size_t n;
};

/* Append every thread of process pid, tagged with role. 0, or -errno (-ESRCH: pid gone). */
int threads_snap__add(struct threads_snap *s, pid_t pid, const char *role);
/* out = end - start per tid; threads only in end count from 0, threads gone are lost. */
int threads_snap__delta(const struct threads_snap *start, const struct threads_snap *end,
			struct threads_snap *out);
/* Free and zero. NULL-safe. */
void threads_snap__free(struct threads_snap *s);

#endif
