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

/* Kernel threads that run network work outside a softirq handler's entry..exit. */
enum thread_kind {
	THREAD_KIND_OTHER,
	THREAD_KIND_KSOFTIRQD, /* ksoftirqd/N: softirqs deferred to a thread, on CPU N */
	THREAD_KIND_NAPI, /* napi/DEV-ID: threaded NAPI (echo 1 > /sys/class/net/DEV/threaded) */
};

struct thread_cpu {
	uint32_t pid;
	uint32_t tid;
	char comm[16];
	char role[16];        /* set by the caller; threads_snap__add copies it in */
	uint64_t cpu_ns;      /* schedstat sum_exec_runtime */
	uint64_t utime_ticks; /* stat field 14 */
	uint64_t stime_ticks; /* stat field 15 */
	uint32_t flags;	      /* stat field 9 (PF_*) */
	int kcpu;	      /* threads_snap__add_net_kthreads: N of ksoftirqd/N, else -1 */
	enum thread_kind kind; /* set by threads_snap__add_net_kthreads, else OTHER */
};

struct threads_snap {
	struct thread_cpu *t;
	size_t n;
};

/* Append every thread of process pid, tagged with role. 0, or -errno (-ESRCH: pid gone). */
int threads_snap__add(struct threads_snap *s, pid_t pid, const char *role);
/*
 * Parse one /proc/.../stat line into t (comm, flags, utime, stime); comm may hold spaces and
 * parentheses. 0 or -EINVAL.
 */
int threads__parse_stat(const char *line, struct thread_cpu *t);
/* What a thread of this comm and stat flags is; *cpu gets N of ksoftirqd/N (else -1). */
enum thread_kind threads__kind(const char *comm, uint32_t flags, int *cpu);
/*
 * Append every kernel thread (PF_KTHREAD) under proc ("/proc") that does network work outside
 * softirq handlers: ksoftirqd/N and threaded-NAPI napi/DEV-ID threads, tagged with role. 0, or
 * -errno when proc cannot be listed; threads that vanish while read are skipped.
 */
int threads_snap__add_net_kthreads(struct threads_snap *s, const char *proc, const char *role);
/* out = end - start per tid; threads only in end count from 0, threads gone are lost. */
int threads_snap__delta(const struct threads_snap *start, const struct threads_snap *end,
			struct threads_snap *out);
/* Free and zero. NULL-safe. */
void threads_snap__free(struct threads_snap *s);

#endif
