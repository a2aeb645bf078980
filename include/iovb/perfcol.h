/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perf collector ("perfcol"): per-CPU cpu-clock sampling of kernel IPs with callchains (libperf)
 * over the measured window. Each sample is charged to a context (process, idle, hardirq, softirq
 * vector: from the callchain), a symbol (/proc/kallsyms) and a module: the kallsyms [module] tag,
 * else the subsystem of built-in code from a prefix table (data/modules.tsv, docs/modules.md).
 *
 * cpu-clock is hrtimer driven: code that runs with interrupts off (hardirq handlers, most of
 * the hrtimer and scheduler core) is never sampled, and time there lands on whatever ran next.
 * Library code: never prints; errors come back as -errno plus a message in the caller's buffer.
 */
#ifndef IOVB_PERFCOL_H
#define IOVB_PERFCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Off the beat of the 1000/250/100 Hz timers so they are not hit in phase. Not 999 Hz (the
 * default before): in a VM each cpu-clock sample with its kernel callchain is dear, and
 * `run --overhead` measured 999 Hz at 9-13% of the engine's throughput on the 2-vCPU test
 * machine, 199 Hz within its noise (docs/modules.md, "What sampling costs").
 */
#define PERFCOL_DEFAULT_HZ 199
#define PERFCOL_TOP 5	       /* top symbols kept per module */
#define PERFCOL_NAME_LEN 64    /* symbol names are cut to this (with the NUL) */
#define PERFCOL_MOD_LEN 32     /* module names likewise */

/* Where a sample ran, innermost first: see perfcol_ctx__classify(). */
enum perfcol_ctx {
	PERFCOL_CTX_PROCESS, /* task context, not the idle task */
	PERFCOL_CTX_IDLE,    /* the idle task (tid 0) in task context */
	PERFCOL_CTX_HARDIRQ, /* under an irq handler with no softirq nearer the leaf */
	PERFCOL_CTX_SOFTIRQ, /* inside handle_softirqs, vector not recognised */
	PERFCOL_CTX_HI,	     /* the softirq vectors, as /proc/softirqs names them */
	PERFCOL_CTX_TIMER,
	PERFCOL_CTX_NET_TX,
	PERFCOL_CTX_NET_RX,
	PERFCOL_CTX_BLOCK,
	PERFCOL_CTX_IRQ_POLL,
	PERFCOL_CTX_TASKLET,
	PERFCOL_CTX_SCHED,
	PERFCOL_CTX_HRTIMER,
	PERFCOL_CTX_RCU,
	PERFCOL_NR_CTX,
};

/* "process", "idle", "hardirq", "softirq", "HI", ..., "NET_RX", ...; "?" out of range. */
const char *perfcol_ctx__name(enum perfcol_ctx ctx);

/*
 * The context of a sample from the symbol names of its kernel callchain, leaf first (syms[0]
 * is where the CPU was; NULL entries are unresolved frames and are skipped). The innermost
 * context marker wins: a softirq vector's action function (net_rx_action -> NET_RX, ...), then
 * handle_softirqs/__do_softirq (unknown vector), then an irq-handling frame (hardirq). Without
 * any, the sample is process context, or idle when idle is set (the sample's tid was 0).
 */
enum perfcol_ctx perfcol_ctx__classify(const char *const *syms, size_t n, bool idle);

/*
 * Whose work an interrupt-context sample is (docs/modules.md, "Interrupt samples by role"):
 * told from the callchain's frames below the innermost context marker (where the softirq was
 * run from) and the sample's tid.
 */
enum perfcol_irq_rule {
	PERFCOL_RULE_TASK_BH,	/* softirq run by the task itself (local_bh_enable, do_softirq):
				 * the task's role */
	PERFCOL_RULE_IRQ_EXIT,	/* softirq on irq exit on top of a task it merely interrupted */
	PERFCOL_RULE_KSOFTIRQD, /* softirq deferred to ksoftirqd (run_ksoftirqd) */
	PERFCOL_RULE_IDLE,	/* softirq on top of the idle task (tid 0) */
	PERFCOL_RULE_HARDIRQ,	/* an irq handler: the interrupted task is incidental */
	PERFCOL_RULE_NO_ORIGIN, /* softirq whose callchain shows none of the frames above */
	PERFCOL_NR_RULES,
};

/* "task-bh", "irq-exit", "ksoftirqd", "idle", "hardirq", "no-origin"; "?" out of range. */
const char *perfcol_irq_rule__name(enum perfcol_irq_rule rule);

/*
 * The rule of an interrupt-context sample (perfcol_ctx__classify gave neither process nor
 * idle) from its callchain, leaf first, and its tid. Under a hardirq marker: hardirq. Under a
 * softirq: the first origin frame towards the root decides, run_ksoftirqd before anything
 * else; then tid 0 is idle; then irq_exit_rcu and friends (irq-exit) or
 * __local_bh_enable_ip/do_softirq (task-bh); none of them: no-origin (idle if tid is 0).
 */
enum perfcol_irq_rule perfcol_irq__rule(const char *const *syms, size_t n, uint32_t tid);

/*
 * The prefix -> module table for built-in code (docs/modules.md): lines "prefix<TAB>module"
 * with an optional "<TAB>comment", '#' comments and blank lines allowed.
 */
struct perfcol_table;

/*
 * Parse a table file. NULL with errno set (EINVAL for a malformed file) and a reason in err
 * that names the file and line.
 */
struct perfcol_table *perfcol_table__load(const char *path, char *err, size_t errlen);
/* The module of a symbol: the longest matching prefix; if none, the longest that matches the
 * name with its leading underscores cut. NULL when nothing matches; "-" for a helper whose
 * samples the collector charges to its caller (irq-enable points). */
const char *perfcol_table__lookup(const struct perfcol_table *t, const char *sym);
/* Number of entries. */
size_t perfcol_table__size(const struct perfcol_table *t);
/* NULL-safe. */
void perfcol_table__free(struct perfcol_table *t);

/*
 * The default table: $IOVB_DATADIR/modules.tsv, else BINDIR/../share/iovbench/modules.tsv (where
 * make install puts it, whatever the PREFIX), else data/modules.tsv one to three directories
 * above the running binary's (the source tree, for build/iovbench and build/tests/...).
 * 0 with the path in buf, or -ENOENT (-ENAMETOOLONG).
 */
int perfcol__default_table(char *buf, size_t len);

struct perfcol_conf {
	unsigned freq_hz;	/* sampling frequency per CPU; 0: PERFCOL_DEFAULT_HZ */
	uint64_t period_ns;	/* if set, the sampling period instead of freq_hz (>= 10000) */
	const char *table_path; /* module table; NULL: perfcol__default_table() */
	unsigned max_stack;	/* kernel frames kept per sample; 0: 64 */
};

/* Samples of one (module, context) pair. */
struct perfcol_cell {
	char module[PERFCOL_MOD_LEN];
	enum perfcol_ctx ctx;
	uint64_t samples;
	uint64_t ns; /* samples * period_ns */
};

struct perfcol_sym {
	char name[PERFCOL_NAME_LEN];
	uint64_t samples;
};

/* One module over all contexts, with the leaf symbols that took most samples in it. */
struct perfcol_module {
	char module[PERFCOL_MOD_LEN];
	uint64_t samples;
	uint64_t ns;
	struct perfcol_sym top[PERFCOL_TOP];
	size_t ntop;
};

/*
 * Process-context samples of one process (thread group), for the per-role split, and the
 * softirq samples its own threads ran (rule task-bh), per context.
 */
struct perfcol_pid {
	uint32_t pid;
	uint64_t samples;
	uint64_t bh_samples;
	uint64_t bh_ctx[PERFCOL_NR_CTX];
	uint64_t netns_ino; /* of /proc/PID/ns/net at perfcol__stop; 0 if the process is gone */
};

#define PERFCOL_MAX_PIDS 1024 /* processes tracked per window; the rest go to pids_untracked */

struct perfcol_stats {
	uint64_t period_ns;  /* fixed sampling period: each sample stands for this much CPU */
	unsigned ncpu;	     /* CPUs sampled (all online at open) */
	uint64_t window_ns;  /* start -> stop, CLOCK_MONOTONIC */
	uint64_t nsamples;   /* kernel samples read (user-mode ticks are not recorded) */
	uint64_t lost;	     /* samples the kernel dropped (ring full): figures are low by this */
	uint64_t throttled;  /* PERF_RECORD_THROTTLE events (the kernel slowed sampling down) */
	uint64_t unresolved; /* samples whose IP no kallsyms symbol covered (module "unknown") */
	uint64_t via_helper; /* samples at an irq-enable helper (module "-"), charged to its caller
			      */
	uint64_t ctx_samples[PERFCOL_NR_CTX];
	struct perfcol_cell *cells; /* sorted by samples, largest first */
	size_t ncells;
	struct perfcol_module *modules; /* sorted by samples, largest first */
	size_t nmodules;
	uint64_t reader_cpu_ns; /* CPU time of the collector's reader thread in the window */
	struct perfcol_pid *pids; /* process-context samples per pid (not idle), most first */
	size_t npids;
	uint64_t pids_untracked; /* process-context samples of pids beyond PERFCOL_MAX_PIDS */
	uint64_t bh_untracked;	 /* task-bh samples of pids beyond PERFCOL_MAX_PIDS */
	/* interrupt-context samples (not process, not idle) by the rule that assigned them */
	uint64_t rule_samples[PERFCOL_NR_RULES];
	char table_path[4096];
	size_t table_entries;
};

struct perfcol;

/*
 * Load kallsyms and the module table, open a cpu-clock sampling event on every online CPU and
 * map its ring buffers; sampling stays off until perfcol__start. NULL with errno set, and a
 * one-line reason in err (EACCES/EPERM: needs root/CAP_PERFMON, or perf_event_paranoid <= 0).
 */
struct perfcol *perfcol__open(const struct perfcol_conf *conf, char *err, size_t errlen);
/* Open the window: forget earlier samples, enable sampling, start the reader thread. */
int perfcol__start(struct perfcol *pc);
/* Close the window: disable sampling, drain the rings, fill *out (free with
 * perfcol_stats__free). 0 or -errno; on error *out holds nothing to free. */
int perfcol__stop(struct perfcol *pc, struct perfcol_stats *out);
/* Free what perfcol__stop allocated inside *st (not st itself). NULL-safe. */
void perfcol_stats__free(struct perfcol_stats *st);
/* Stop if running, unmap, close, free. NULL-safe. */
void perfcol__close(struct perfcol *pc);

#endif
