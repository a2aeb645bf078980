// SPDX-License-Identifier: GPL-2.0
/*
 * perf collector: a cpu-clock sampling event per online CPU (libperf), kernel IPs and kernel
 * callchains only. A reader thread drains the ring buffers every 100 ms and charges each sample
 * to (module of the leaf symbol, context from the callchain). Symbols come from /proc/kallsyms,
 * read once at open, with each symbol's module and context marker worked out then, so a sample
 * costs a binary search and a walk over small integers.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/perf_event.h>
#include <perf/core.h>
#include <perf/cpumap.h>
#include <perf/event.h>
#include <perf/evlist.h>
#include <perf/evsel.h>
#include <perf/mmap.h>
#include <perf/threadmap.h>

#include "iovb/errf.h"
#include "iovb/perfcol.h"

#define PC_MIN_PERIOD_NS 10000ULL /* the kernel's floor for cpu-clock periods */
#define PC_DRAIN_MS 100
/*
 * Ring pages per CPU (power of two): 128 x 4 KiB holds ~1.5 s of 999 Hz samples with 40-frame
 * callchains, ample for a reader that wakes every 100 ms on a busy, noisy machine.
 */
#define PC_RING_PAGES 128
#define PC_MAX_SYM_SIZE (256 * 1024) /* no kernel function is larger: beyond is unresolved */
#define PC_MOD_UNKNOWN 0	     /* IP that no symbol covers */
#define PC_MOD_KERNEL 1		     /* built-in code that the table does not name */
#define PC_MOD_HELPER 2		     /* table module "-": charge the caller (docs/modules.md) */

struct pc_ksym {
	uint64_t addr;
	uint32_t name;	/* offset in pool */
	uint16_t mod;	/* index in mods */
	uint8_t marker; /* enum perfcol_ctx; PROCESS: not a context marker */
	uint8_t origin; /* enum pc_origin: where a softirq was run from */
};

struct perfcol {
	struct perf_evlist *evlist;
	struct perf_cpu_map *cpus;
	struct perf_thread_map *threads;
	unsigned ncpu;
	uint64_t period_ns;
	unsigned max_stack;
	char table_path[PATH_MAX];
	size_t table_entries;

	struct pc_ksym *ksyms; /* sorted by addr */
	size_t nksyms;
	char *pool;
	size_t pool_len, pool_cap;
	char (*mods)[PERFCOL_MOD_LEN];
	size_t nmods;

	/* the window: written by the reader thread only, read after it is joined */
	uint64_t *cell; /* [mod * PERFCOL_NR_CTX + ctx] */
	uint32_t *hits; /* [ksym] leaf samples */
	uint64_t ctx_samples[PERFCOL_NR_CTX];
	uint64_t nsamples, lost, throttled, unresolved, via_helper, reader_cpu_ns;
	struct perfcol_pid *pids; /* [PERFCOL_MAX_PIDS] open addressing by pid, pid 0 = free */
	uint64_t pids_untracked, bh_untracked;
	uint64_t rule_samples[PERFCOL_NR_RULES];
	uint8_t *markers; /* scratch for one callchain */
	uint8_t *origins; /* same, the frames' origin markers */
	long *frames;	  /* same, the frames' ksym indices (-1 unresolved) */

	pthread_t reader;
	bool running;
	bool quit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sync_init;
	uint64_t t_start;
};

/* libperf prints every message on stderr by default; a library must not unless asked to. */
static int pc_libperf_print(enum libperf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("IOVB_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static uint64_t mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- context classification ---------------------------------------------------------- */

static const char *const ctx_names[PERFCOL_NR_CTX] = {
	[PERFCOL_CTX_PROCESS] = "process", [PERFCOL_CTX_IDLE] = "idle",
	[PERFCOL_CTX_HARDIRQ] = "hardirq", [PERFCOL_CTX_SOFTIRQ] = "softirq",
	[PERFCOL_CTX_HI] = "HI",	   [PERFCOL_CTX_TIMER] = "TIMER",
	[PERFCOL_CTX_NET_TX] = "NET_TX",   [PERFCOL_CTX_NET_RX] = "NET_RX",
	[PERFCOL_CTX_BLOCK] = "BLOCK",	   [PERFCOL_CTX_IRQ_POLL] = "IRQ_POLL",
	[PERFCOL_CTX_TASKLET] = "TASKLET", [PERFCOL_CTX_SCHED] = "SCHED",
	[PERFCOL_CTX_HRTIMER] = "HRTIMER", [PERFCOL_CTX_RCU] = "RCU",
};

const char *perfcol_ctx__name(enum perfcol_ctx ctx)
{
	return (unsigned)ctx < PERFCOL_NR_CTX ? ctx_names[ctx] : "?";
}

/*
 * Frames that say which context the code above them (towards the leaf) runs in. The vector
 * actions are those of open_softirq() in 6.x (sched_balance_softirq was run_rebalance_domains
 * before 6.10; rcu_core_si is RCU's action, rcu_core alone also runs in rcuc kthreads).
 */
static const struct {
	const char *sym;
	enum perfcol_ctx ctx;
	bool prefix;
} ctx_markers[] = {
	{ "net_rx_action", PERFCOL_CTX_NET_RX },
	{ "net_tx_action", PERFCOL_CTX_NET_TX },
	{ "run_timer_softirq", PERFCOL_CTX_TIMER },
	{ "hrtimer_run_softirq", PERFCOL_CTX_HRTIMER },
	{ "rcu_core_si", PERFCOL_CTX_RCU },
	{ "tasklet_action", PERFCOL_CTX_TASKLET },
	{ "tasklet_hi_action", PERFCOL_CTX_HI },
	{ "sched_balance_softirq", PERFCOL_CTX_SCHED },
	{ "run_rebalance_domains", PERFCOL_CTX_SCHED },
	{ "blk_done_softirq", PERFCOL_CTX_BLOCK },
	{ "irq_poll_softirq", PERFCOL_CTX_IRQ_POLL },
	{ "handle_softirqs", PERFCOL_CTX_SOFTIRQ },
	{ "__do_softirq", PERFCOL_CTX_SOFTIRQ },
	{ "__handle_irq_event_percpu", PERFCOL_CTX_HARDIRQ },
	{ "handle_irq_event_percpu", PERFCOL_CTX_HARDIRQ },
	{ "handle_irq_event", PERFCOL_CTX_HARDIRQ },
	{ "__common_interrupt", PERFCOL_CTX_HARDIRQ },
	{ "common_interrupt", PERFCOL_CTX_HARDIRQ },
	/* x86 system vectors: their handlers run here; softirqs on irq exit are found first */
	{ "__sysvec_", PERFCOL_CTX_HARDIRQ, true },
	{ "sysvec_", PERFCOL_CTX_HARDIRQ, true },
};

/* sym equals want, ignoring a compiler suffix (".cold", ".isra.0", ...). */
static bool sym_is(const char *sym, const char *want, bool prefix)
{
	size_t n = strlen(want);

	return !strncmp(sym, want, n) && (prefix || sym[n] == '\0' || sym[n] == '.');
}

static enum perfcol_ctx ctx_marker(const char *sym)
{
	size_t i;

	if (!sym)
		return PERFCOL_CTX_PROCESS;
	for (i = 0; i < sizeof(ctx_markers) / sizeof(ctx_markers[0]); i++)
		if (sym_is(sym, ctx_markers[i].sym, ctx_markers[i].prefix))
			return ctx_markers[i].ctx;
	return PERFCOL_CTX_PROCESS;
}

/* The innermost marker wins: a softirq run on irq exit sits above the sysvec frame. */
static enum perfcol_ctx ctx_walk(const uint8_t *markers, size_t n, bool idle)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (markers[i] != PERFCOL_CTX_PROCESS)
			return (enum perfcol_ctx)markers[i];
	return idle ? PERFCOL_CTX_IDLE : PERFCOL_CTX_PROCESS;
}

enum perfcol_ctx perfcol_ctx__classify(const char *const *syms, size_t n, bool idle)
{
	enum perfcol_ctx m;
	size_t i;

	for (i = 0; i < n && syms; i++) {
		m = ctx_marker(syms[i]);
		if (m != PERFCOL_CTX_PROCESS)
			return m;
	}
	return idle ? PERFCOL_CTX_IDLE : PERFCOL_CTX_PROCESS;
}

/* ---- interrupt samples by role -------------------------------------------------------- */

/* Frames that say where a softirq was run from (kernel/softirq.c, 6.x). */
enum pc_origin { PC_ORIGIN_NONE, PC_ORIGIN_KSOFTIRQD, PC_ORIGIN_IRQ_EXIT, PC_ORIGIN_BH };

static const struct {
	const char *sym;
	enum pc_origin origin;
} origin_frames[] = {
	{ "run_ksoftirqd", PC_ORIGIN_KSOFTIRQD },
	{ "__irq_exit_rcu", PC_ORIGIN_IRQ_EXIT },
	{ "irq_exit_rcu", PC_ORIGIN_IRQ_EXIT },
	{ "irq_exit", PC_ORIGIN_IRQ_EXIT },
	{ "__local_bh_enable_ip", PC_ORIGIN_BH },
	{ "local_bh_enable", PC_ORIGIN_BH },
	{ "do_softirq", PC_ORIGIN_BH }, /* not do_softirq_own_stack: sym_is wants the whole name */
};

static const char *const rule_names[PERFCOL_NR_RULES] = {
	[PERFCOL_RULE_TASK_BH] = "task-bh",	[PERFCOL_RULE_IRQ_EXIT] = "irq-exit",
	[PERFCOL_RULE_KSOFTIRQD] = "ksoftirqd", [PERFCOL_RULE_IDLE] = "idle",
	[PERFCOL_RULE_HARDIRQ] = "hardirq",	[PERFCOL_RULE_NO_ORIGIN] = "no-origin",
};

const char *perfcol_irq_rule__name(enum perfcol_irq_rule rule)
{
	return (unsigned)rule < PERFCOL_NR_RULES ? rule_names[rule] : "?";
}

static enum pc_origin origin_frame(const char *sym)
{
	size_t i;

	if (!sym)
		return PC_ORIGIN_NONE;
	for (i = 0; i < sizeof(origin_frames) / sizeof(origin_frames[0]); i++)
		if (sym_is(sym, origin_frames[i].sym, false))
			return origin_frames[i].origin;
	return PC_ORIGIN_NONE;
}

/* The rule from the innermost context marker's index i, the origins of the frames, the tid. */
static enum perfcol_irq_rule rule_walk(const uint8_t *markers, const uint8_t *origins, size_t n,
				       uint32_t tid)
{
	enum pc_origin o = PC_ORIGIN_NONE;
	size_t i, j;

	for (i = 0; i < n && markers[i] == PERFCOL_CTX_PROCESS; i++)
		;
	if (i < n && markers[i] == PERFCOL_CTX_HARDIRQ)
		return PERFCOL_RULE_HARDIRQ;
	for (j = i + 1; j < n && o == PC_ORIGIN_NONE; j++)
		o = (enum pc_origin)origins[j];
	if (o == PC_ORIGIN_KSOFTIRQD)
		return PERFCOL_RULE_KSOFTIRQD;
	if (!tid)
		return PERFCOL_RULE_IDLE;
	return o == PC_ORIGIN_IRQ_EXIT ? PERFCOL_RULE_IRQ_EXIT :
	       o == PC_ORIGIN_BH       ? PERFCOL_RULE_TASK_BH :
					 PERFCOL_RULE_NO_ORIGIN;
}

enum perfcol_irq_rule perfcol_irq__rule(const char *const *syms, size_t n, uint32_t tid)
{
	uint8_t *m = calloc(n + 1, 1), *o = calloc(n + 1, 1);
	enum perfcol_irq_rule r = PERFCOL_RULE_NO_ORIGIN;

	if (m && o) {
		for (size_t i = 0; i < n; i++) {
			m[i] = (uint8_t)ctx_marker(syms[i]);
			o[i] = (uint8_t)origin_frame(syms[i]);
		}
		r = rule_walk(m, o, n, tid);
	}
	free(m);
	free(o);
	return r;
}

/* ---- kallsyms ------------------------------------------------------------------------ */

static int pc_mod_index(struct perfcol *pc, const char *name, uint16_t *idx)
{
	void *grown;
	size_t i;

	for (i = 0; i < pc->nmods; i++) {
		if (!strcmp(pc->mods[i], name)) {
			*idx = (uint16_t)i;
			return 0;
		}
	}
	if (pc->nmods >= UINT16_MAX)
		return -E2BIG;
	grown = realloc(pc->mods, (pc->nmods + 1) * sizeof(*pc->mods));
	if (!grown)
		return -ENOMEM;
	pc->mods = grown;
	snprintf(pc->mods[pc->nmods], PERFCOL_MOD_LEN, "%s", name);
	*idx = (uint16_t)pc->nmods++;
	return 0;
}

static int pc_pool_add(struct perfcol *pc, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1, ncap;
	char *grown;

	if (pc->pool_len + n > pc->pool_cap) {
		ncap = pc->pool_cap ? 2 * pc->pool_cap : 1 << 20;
		while (ncap < pc->pool_len + n)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return -E2BIG;
		grown = realloc(pc->pool, ncap);
		if (!grown)
			return -ENOMEM;
		pc->pool = grown;
		pc->pool_cap = ncap;
	}
	memcpy(pc->pool + pc->pool_len, s, n);
	*off = (uint32_t)pc->pool_len;
	pc->pool_len += n;
	return 0;
}

static int cmp_ksym(const void *a, const void *b)
{
	uint64_t x = ((const struct pc_ksym *)a)->addr, y = ((const struct pc_ksym *)b)->addr;

	return x < y ? -1 : x > y;
}

/*
 * Text symbols of /proc/kallsyms, each with its module: the [tag] of a loadable module (or of
 * bpf/ftrace trampolines), else the table's subsystem for the name, else "kernel".
 */
static int pc_load_kallsyms(struct perfcol *pc, const struct perfcol_table *t, char *err,
			    size_t errlen)
{
	char *line = NULL, name[512], tag[128];
	unsigned long long addr;
	size_t cap = 0, ksyms_cap = 0;
	const char *mod;
	struct pc_ksym *k;
	void *grown;
	FILE *f = NULL;
	bool any_addr = false;
	char type;
	int ret = 0, nf;

	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		ret = -errno;
		iovb_errf(err, errlen, "perf: cannot read /proc/kallsyms: %s", strerror(errno));
		goto cleanup;
	}
	while (getline(&line, &cap, f) > 0) {
		tag[0] = '\0';
		nf = sscanf(line, "%llx %c %511s [%127[^]]]", &addr, &type, name, tag);
		if (nf < 3 || (type != 't' && type != 'T'))
			continue;
		if (!addr)
			continue;
		any_addr = true;
		if (pc->nksyms == ksyms_cap) {
			ksyms_cap = ksyms_cap ? 2 * ksyms_cap : 65536;
			grown = realloc(pc->ksyms, ksyms_cap * sizeof(*pc->ksyms));
			if (!grown) {
				ret = -ENOMEM;
				iovb_errf(err, errlen, "perf: out of memory reading kallsyms");
				goto cleanup;
			}
			pc->ksyms = grown;
		}
		k = &pc->ksyms[pc->nksyms];
		k->addr = addr;
		k->marker = (uint8_t)ctx_marker(name);
		k->origin = (uint8_t)origin_frame(name);
		mod = nf == 4 && tag[0] ? tag : perfcol_table__lookup(t, name);
		ret = pc_pool_add(pc, name, &k->name);
		if (!ret)
			ret = pc_mod_index(pc, mod ? mod : "kernel", &k->mod);
		if (ret) {
			iovb_errf(err, errlen, "perf: kallsyms: %s", strerror(-ret));
			goto cleanup;
		}
		pc->nksyms++;
	}
	if (!any_addr) {
		ret = -EPERM;
		iovb_errf(err, errlen,
			"perf: /proc/kallsyms shows no addresses (kernel.kptr_restrict; needs "
			"root)");
		goto cleanup;
	}
	qsort(pc->ksyms, pc->nksyms, sizeof(*pc->ksyms), cmp_ksym);
cleanup:
	free(line);
	if (f)
		fclose(f);
	return ret;
}

/* Index of the symbol covering ip, or -1. */
static long pc_ksym_find(const struct perfcol *pc, uint64_t ip)
{
	size_t lo = 0, hi = pc->nksyms, mid;

	/* greatest addr <= ip */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pc->ksyms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || ip - pc->ksyms[lo - 1].addr > PC_MAX_SYM_SIZE)
		return -1;
	return (long)(lo - 1);
}

/* ---- sampling ------------------------------------------------------------------------ */

/*
 * Count a sample for pid (never 0: that is the idle task): process context, or a softirq its
 * own thread ran (task-bh) in context ctx.
 */
static void pc_pid_add(struct perfcol *pc, uint32_t pid, enum perfcol_ctx ctx)
{
	uint32_t i, h = pid * 2654435761u;

	for (i = 0; i < PERFCOL_MAX_PIDS; i++) {
		struct perfcol_pid *e = &pc->pids[(h + i) % PERFCOL_MAX_PIDS];

		if (e->pid == pid || !e->pid) {
			e->pid = pid;
			if (ctx == PERFCOL_CTX_PROCESS) {
				e->samples++;
			} else {
				e->bh_samples++;
				e->bh_ctx[ctx]++;
			}
			return;
		}
	}
	if (ctx == PERFCOL_CTX_PROCESS)
		pc->pids_untracked++;
	else
		pc->bh_untracked++;
}

/* sample_type IP | TID | CPU | CALLCHAIN: the kernel writes them in this order. */
static void pc_on_sample(struct perfcol *pc, const union perf_event *ev)
{
	const __u64 *p = ev->sample.array;
	const __u64 *end = (const __u64 *)((const char *)ev + ev->header.size);
	uint64_t ip, nr, i;
	uint32_t tid, pid;
	size_t n = 0;
	long leaf, k;
	enum perfcol_ctx ctx;
	unsigned mod;

	if (end - p < 4)
		return;
	ip = p[0];
	pid = (uint32_t)p[1]; /* { u32 pid, tid; } */
	tid = (uint32_t)(p[1] >> 32);
	nr = p[3];
	p += 4;
	if (nr > (uint64_t)(end - p))
		nr = (uint64_t)(end - p);
	for (i = 0; i < nr && n < pc->max_stack; i++) {
		if (p[i] >= PERF_CONTEXT_MAX) /* PERF_CONTEXT_KERNEL and friends */
			continue;
		k = pc_ksym_find(pc, p[i]);
		pc->frames[n] = k;
		pc->origins[n] = k < 0 ? PC_ORIGIN_NONE : pc->ksyms[k].origin;
		pc->markers[n++] = k < 0 ? PERFCOL_CTX_PROCESS : pc->ksyms[k].marker;
	}
	ctx = ctx_walk(pc->markers, n, tid == 0);
	leaf = pc_ksym_find(pc, ip);
	if (leaf >= 0 && pc->ksyms[leaf].mod == PC_MOD_HELPER) {
		/*
		 * An irq-enable point: the timer fired while interrupts were off and the sample
		 * landed here; the time belongs to the code that had them off, the caller.
		 */
		for (i = 0; i < n; i++) {
			k = pc->frames[i];
			if (k >= 0 && pc->ksyms[k].mod != PC_MOD_HELPER) {
				leaf = k;
				pc->via_helper++;
				break;
			}
		}
	}
	if (leaf < 0) {
		mod = PC_MOD_UNKNOWN;
		pc->unresolved++;
	} else {
		mod = pc->ksyms[leaf].mod;
		if (mod == PC_MOD_HELPER) /* no caller outside helpers: name it as plain kernel */
			mod = PC_MOD_KERNEL;
		if (pc->hits[leaf] < UINT32_MAX)
			pc->hits[leaf]++;
	}
	pc->cell[(size_t)mod * PERFCOL_NR_CTX + ctx]++;
	pc->ctx_samples[ctx]++;
	pc->nsamples++;
	if (ctx == PERFCOL_CTX_PROCESS && pid) {
		pc_pid_add(pc, pid, ctx);
	} else if (ctx != PERFCOL_CTX_PROCESS && ctx != PERFCOL_CTX_IDLE) {
		enum perfcol_irq_rule r = rule_walk(pc->markers, pc->origins, n, tid);

		pc->rule_samples[r]++;
		if (r == PERFCOL_RULE_TASK_BH && pid)
			pc_pid_add(pc, pid, ctx);
	}
}

static void pc_drain(struct perfcol *pc)
{
	union perf_event *ev;
	struct perf_mmap *map;

	perf_evlist__for_each_mmap(pc->evlist, map, false)
	{
		if (perf_mmap__read_init(map) < 0)
			continue;
		while ((ev = perf_mmap__read_event(map)) != NULL) {
			switch (ev->header.type) {
			case PERF_RECORD_SAMPLE:
				pc_on_sample(pc, ev);
				break;
			case PERF_RECORD_LOST:
				pc->lost += ev->lost.lost;
				break;
			case PERF_RECORD_THROTTLE:
				pc->throttled++;
				break;
			default:
				break;
			}
			perf_mmap__consume(map);
		}
		perf_mmap__read_done(map);
	}
}

static void *pc_reader(void *arg)
{
	struct perfcol *pc = arg;
	uint64_t cpu0 = mono_ns(CLOCK_THREAD_CPUTIME_ID), deadline;
	struct timespec ts;

	pthread_mutex_lock(&pc->lock);
	while (!pc->quit) {
		pthread_mutex_unlock(&pc->lock);
		pc_drain(pc);
		deadline = mono_ns(CLOCK_MONOTONIC) + PC_DRAIN_MS * 1000000ULL;
		ts.tv_sec = (time_t)(deadline / 1000000000ULL);
		ts.tv_nsec = (long)(deadline % 1000000000ULL);
		pthread_mutex_lock(&pc->lock);
		while (!pc->quit && mono_ns(CLOCK_MONOTONIC) < deadline)
			pthread_cond_timedwait(&pc->cond, &pc->lock, &ts);
	}
	pthread_mutex_unlock(&pc->lock);
	/* stop disabled the events before asking us to quit: this drain gets the last ones */
	pc_drain(pc);
	pc->reader_cpu_ns = mono_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return NULL;
}

struct perfcol *perfcol__open(const struct perfcol_conf *conf, char *err, size_t errlen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.sample_type =
			PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN,
		.disabled = 1,
		.exclude_user = 1,
		.exclude_hv = 1,
		.exclude_callchain_user = 1,
	};
	struct perfcol_conf def = { 0 };
	struct perfcol_table *table = NULL;
	struct perf_evsel *evsel;
	struct perfcol *pc = NULL;
	pthread_condattr_t ca;
	uint16_t idx;
	int ret = 0;

	if (!conf)
		conf = &def;
	if (conf->period_ns && conf->period_ns < PC_MIN_PERIOD_NS) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "perf: period %llu ns is below the kernel's 10 us floor",
			(unsigned long long)conf->period_ns);
		goto cleanup;
	}
	if (!conf->period_ns && conf->freq_hz > 100000) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "perf: %u Hz is above 100 kHz", conf->freq_hz);
		goto cleanup;
	}
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "perf: out of memory");
		goto cleanup;
	}
	pc->period_ns = conf->period_ns ? conf->period_ns
					: 1000000000ULL / (conf->freq_hz ? conf->freq_hz
									 : PERFCOL_DEFAULT_HZ);
	pc->max_stack = conf->max_stack ? conf->max_stack : 64;
	if (pc->max_stack > 127)
		pc->max_stack = 127; /* kernel.perf_event_max_stack default */
	if (conf->table_path) {
		snprintf(pc->table_path, sizeof(pc->table_path), "%s", conf->table_path);
	} else if (perfcol__default_table(pc->table_path, sizeof(pc->table_path))) {
		ret = -ENOENT;
		iovb_errf(err, errlen,
			"perf: no module table (set IOVB_DATADIR, or install "
			"/usr/share/iovbench/modules.tsv)");
		goto cleanup;
	}
	table = perfcol_table__load(pc->table_path, err, errlen);
	if (!table) {
		ret = -errno;
		goto cleanup;
	}
	pc->table_entries = perfcol_table__size(table);
	/* fixed indices first: PC_MOD_UNKNOWN, PC_MOD_KERNEL */
	ret = pc_mod_index(pc, "unknown", &idx);
	if (!ret)
		ret = pc_mod_index(pc, "kernel", &idx);
	if (!ret)
		ret = pc_mod_index(pc, "-", &idx);
	if (ret) {
		iovb_errf(err, errlen, "perf: out of memory");
		goto cleanup;
	}
	ret = pc_load_kallsyms(pc, table, err, errlen);
	if (ret)
		goto cleanup;
	pc->cell = calloc(pc->nmods * PERFCOL_NR_CTX, sizeof(*pc->cell));
	pc->hits = calloc(pc->nksyms ? pc->nksyms : 1, sizeof(*pc->hits));
	pc->pids = calloc(PERFCOL_MAX_PIDS, sizeof(*pc->pids));
	pc->markers = calloc(pc->max_stack, sizeof(*pc->markers));
	pc->origins = calloc(pc->max_stack, sizeof(*pc->origins));
	pc->frames = calloc(pc->max_stack, sizeof(*pc->frames));
	if (!pc->cell || !pc->hits || !pc->pids || !pc->markers || !pc->origins || !pc->frames) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "perf: out of memory");
		goto cleanup;
	}
	if (pthread_condattr_init(&ca) == 0) {
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&pc->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&pc->lock, NULL);
	pc->sync_init = true;

	libperf_init(pc_libperf_print);
	attr.sample_period = pc->period_ns;
	attr.sample_max_stack = (uint16_t)pc->max_stack;
	pc->cpus = perf_cpu_map__new(NULL);
	pc->threads = perf_thread_map__new_dummy();
	pc->evlist = perf_evlist__new();
	evsel = perf_evsel__new(&attr);
	if (!pc->cpus || !pc->threads || !pc->evlist || !evsel) {
		perf_evsel__delete(evsel);
		ret = -ENOMEM;
		iovb_errf(err, errlen, "perf: out of memory");
		goto cleanup;
	}
	pc->ncpu = (unsigned)perf_cpu_map__nr(pc->cpus);
	perf_evlist__add(pc->evlist, evsel);
	perf_evlist__set_maps(pc->evlist, pc->cpus, pc->threads);
	ret = perf_evlist__open(pc->evlist);
	if (ret) {
		ret = ret < 0 ? ret : -EINVAL;
		iovb_errf(err, errlen, "perf: cannot open cpu-clock sampling on %u CPUs: %s%s",
			pc->ncpu, strerror(-ret),
			ret == -EACCES || ret == -EPERM
				? " (needs root/CAP_PERFMON, or kernel.perf_event_paranoid <= 0)"
				: "");
		goto cleanup;
	}
	ret = perf_evlist__mmap(pc->evlist, PC_RING_PAGES);
	if (ret) {
		ret = ret < 0 ? ret : -ENOMEM;
		iovb_errf(err, errlen, "perf: cannot map the sample ring buffers: %s (ulimit -l?)",
			strerror(-ret));
		goto cleanup;
	}
cleanup:
	perfcol_table__free(table);
	if (ret) {
		perfcol__close(pc);
		pc = NULL;
		errno = -ret;
	}
	return pc;
}

static void pc_reset(struct perfcol *pc)
{
	memset(pc->cell, 0, pc->nmods * PERFCOL_NR_CTX * sizeof(*pc->cell));
	memset(pc->hits, 0, (pc->nksyms ? pc->nksyms : 1) * sizeof(*pc->hits));
	memset(pc->ctx_samples, 0, sizeof(pc->ctx_samples));
	pc->nsamples = pc->lost = pc->throttled = pc->unresolved = pc->via_helper = 0;
	pc->reader_cpu_ns = 0;
	memset(pc->pids, 0, PERFCOL_MAX_PIDS * sizeof(*pc->pids));
	pc->pids_untracked = pc->bh_untracked = 0;
	memset(pc->rule_samples, 0, sizeof(pc->rule_samples));
}

int perfcol__start(struct perfcol *pc)
{
	int err = 0;

	if (!pc || pc->running) {
		err = -EINVAL;
		goto cleanup;
	}
	/* whatever an earlier window left in the rings is not ours */
	pc_drain(pc);
	pc_reset(pc);
	pc->quit = false;
	pc->t_start = mono_ns(CLOCK_MONOTONIC);
	perf_evlist__enable(pc->evlist);
	err = -pthread_create(&pc->reader, NULL, pc_reader, pc);
	if (err) {
		perf_evlist__disable(pc->evlist);
		goto cleanup;
	}
	pc->running = true;
cleanup:
	return err;
}

static void pc_join(struct perfcol *pc)
{
	perf_evlist__disable(pc->evlist);
	pthread_mutex_lock(&pc->lock);
	pc->quit = true;
	pthread_cond_signal(&pc->cond);
	pthread_mutex_unlock(&pc->lock);
	pthread_join(pc->reader, NULL);
	pc->running = false;
}

static int cmp_cell(const void *a, const void *b)
{
	uint64_t x = ((const struct perfcol_cell *)a)->samples;
	uint64_t y = ((const struct perfcol_cell *)b)->samples;

	return x > y ? -1 : x < y;
}

static int cmp_pid(const void *a, const void *b)
{
	uint64_t x = ((const struct perfcol_pid *)a)->samples;
	uint64_t y = ((const struct perfcol_pid *)b)->samples;

	return x > y ? -1 : x < y;
}

/* The window's per-pid samples, each with its netns (read now: the caller's processes live). */
static int pc_fill_pids(struct perfcol *pc, struct perfcol_stats *out)
{
	char path[64];
	struct stat st;
	size_t i, n = 0;

	for (i = 0; i < PERFCOL_MAX_PIDS; i++)
		n += pc->pids[i].pid != 0;
	out->pids = calloc(n ? n : 1, sizeof(*out->pids));
	if (!out->pids)
		return -ENOMEM;
	for (i = 0; i < PERFCOL_MAX_PIDS; i++) {
		if (!pc->pids[i].pid)
			continue;
		out->pids[out->npids] = pc->pids[i];
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pc->pids[i].pid);
		out->pids[out->npids].netns_ino = stat(path, &st) ? 0 : (uint64_t)st.st_ino;
		out->npids++;
	}
	qsort(out->pids, out->npids, sizeof(*out->pids), cmp_pid);
	out->pids_untracked = pc->pids_untracked;
	out->bh_untracked = pc->bh_untracked;
	return 0;
}

static int cmp_module(const void *a, const void *b)
{
	uint64_t x = ((const struct perfcol_module *)a)->samples;
	uint64_t y = ((const struct perfcol_module *)b)->samples;

	return x > y ? -1 : x < y;
}

/* Keep m->top the PERFCOL_TOP most sampled symbols, largest first. */
static void top_insert(struct perfcol_module *m, const char *name, uint64_t samples)
{
	size_t i;

	if (m->ntop == PERFCOL_TOP && samples <= m->top[PERFCOL_TOP - 1].samples)
		return;
	i = m->ntop < PERFCOL_TOP ? m->ntop++ : PERFCOL_TOP - 1;
	for (; i > 0 && m->top[i - 1].samples < samples; i--)
		m->top[i] = m->top[i - 1];
	snprintf(m->top[i].name, sizeof(m->top[i].name), "%s", name);
	m->top[i].samples = samples;
}

int perfcol__stop(struct perfcol *pc, struct perfcol_stats *out)
{
	struct perfcol_module *mods = NULL;
	size_t i, c, ncells = 0, *slot = NULL;
	struct perfcol_cell *cell;
	bool filled = false;
	uint64_t n;
	int err = 0;

	/* bad calls leave *out alone: it may hold an earlier window the caller still owns */
	if (!pc || !out || !pc->running) {
		err = -EINVAL;
		goto cleanup;
	}
	pc_join(pc);
	memset(out, 0, sizeof(*out));
	filled = true;
	out->period_ns = pc->period_ns;
	out->ncpu = pc->ncpu;
	out->window_ns = mono_ns(CLOCK_MONOTONIC) - pc->t_start;
	out->nsamples = pc->nsamples;
	out->lost = pc->lost;
	out->throttled = pc->throttled;
	out->unresolved = pc->unresolved;
	out->via_helper = pc->via_helper;
	out->reader_cpu_ns = pc->reader_cpu_ns;
	memcpy(out->ctx_samples, pc->ctx_samples, sizeof(out->ctx_samples));
	memcpy(out->rule_samples, pc->rule_samples, sizeof(out->rule_samples));
	snprintf(out->table_path, sizeof(out->table_path), "%s", pc->table_path);
	out->table_entries = pc->table_entries;

	for (i = 0; i < pc->nmods * PERFCOL_NR_CTX; i++)
		ncells += pc->cell[i] != 0;
	out->cells = calloc(ncells ? ncells : 1, sizeof(*out->cells));
	mods = calloc(pc->nmods, sizeof(*mods));
	slot = calloc(pc->nmods, sizeof(*slot)); /* module index -> its row in mods, +1 */
	if (!out->cells || !mods || !slot) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < pc->nmods; i++) {
		for (c = 0; c < PERFCOL_NR_CTX; c++) {
			n = pc->cell[i * PERFCOL_NR_CTX + c];
			if (!n)
				continue;
			cell = &out->cells[out->ncells++];
			snprintf(cell->module, sizeof(cell->module), "%s", pc->mods[i]);
			cell->ctx = (enum perfcol_ctx)c;
			cell->samples = n;
			cell->ns = n * pc->period_ns;
			if (!slot[i]) {
				slot[i] = ++out->nmodules;
				snprintf(mods[slot[i] - 1].module, PERFCOL_MOD_LEN, "%s",
					 pc->mods[i]);
			}
			mods[slot[i] - 1].samples += n;
			mods[slot[i] - 1].ns += n * pc->period_ns;
		}
	}
	for (i = 0; i < pc->nksyms; i++)
		if (pc->hits[i] && slot[pc->ksyms[i].mod])
			top_insert(&mods[slot[pc->ksyms[i].mod] - 1], pc->pool + pc->ksyms[i].name,
				   pc->hits[i]);
	err = pc_fill_pids(pc, out);
	if (err)
		goto cleanup;
	qsort(out->cells, out->ncells, sizeof(*out->cells), cmp_cell);
	qsort(mods, out->nmodules, sizeof(*mods), cmp_module);
	out->modules = mods;
	mods = NULL;
cleanup:
	free(slot);
	free(mods);
	if (err && filled)
		perfcol_stats__free(out);
	return err;
}

void perfcol_stats__free(struct perfcol_stats *st)
{
	if (!st)
		return;
	free(st->cells);
	free(st->modules);
	free(st->pids);
	memset(st, 0, sizeof(*st));
}

void perfcol__close(struct perfcol *pc)
{
	if (!pc)
		return;
	if (pc->running)
		pc_join(pc);
	/*
	 * Unmaps, closes and deletes the evsel; it took its own references on the maps. libperf
	 * 6.1's perf_evsel__delete frees the evsel without putting its map references (48 bytes
	 * per open, seen by LeakSanitizer); not worked around here, as a fixed libperf would then
	 * see a double put.
	 */
	perf_evlist__delete(pc->evlist);
	perf_cpu_map__put(pc->cpus);
	perf_thread_map__put(pc->threads);
	if (pc->sync_init) {
		pthread_cond_destroy(&pc->cond);
		pthread_mutex_destroy(&pc->lock);
	}
	free(pc->ksyms);
	free(pc->pool);
	free(pc->mods);
	free(pc->cell);
	free(pc->hits);
	free(pc->pids);
	free(pc->markers);
	free(pc->origins);
	free(pc->frames);
	free(pc);
}
