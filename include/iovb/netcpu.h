/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf collector ("netcpu"): where softirq and hardirq CPU time goes, from kernel tracepoints
 * (tp_btf, raw_tp fallback): per softirq vector, per hardirq handler, NET_RX time per device,
 * and the interrupt time that ran on top of each task (so per-thread CPU can be taken net of it).
 * Library code: never prints; errors come back as -errno plus a message in the caller's buffer.
 */
#ifndef IOVB_NETCPU_H
#define IOVB_NETCPU_H

#include <stddef.h>
#include <stdint.h>

#define NETCPU_NR_VEC 10 /* HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU */
extern const char *const netcpu_vec_names[NETCPU_NR_VEC];
/* Softirq duration histograms: log2 buckets of ns, bucket k = [2^k, 2^(k+1)), the last open. */
#define NETCPU_HIST_SLOTS 32
#define NETCPU_TICK_PHASES 16

/* One device that NET_RX time was charged to, over the window. */
struct netcpu_dev {
	uint64_t netns_ino;  /* inode of the device's netns (as stat(/run/netns/X).st_ino) */
	uint32_t ifindex;
	char name[16];       /* dev->name at the time of the last event */
	char kind[16];       /* rtnl_link_ops->kind ("veth", "bridge", "tun", "macvlan") or parent driver */
	char poll_fn[64];    /* napi->poll symbol for NAPI work of this device, "" if none seen */
	uint64_t ns;         /* NET_RX time charged to the device */
	uint64_t polls;      /* napi_poll events of this device's own NAPI */
	uint64_t packets;    /* skbs entering the stack on it (netif_receive_skb) */
	uint64_t backlog_ns; /* part of ns spent inside process_backlog, split per skb */
};

struct netcpu_irq {
	uint32_t irq;
	char name[32]; /* irqaction->name */
	uint64_t ns;
	uint64_t count;
};

struct netcpu_task {
	uint32_t tid;
	uint64_t irq_ns; /* softirq + hardirq time (not double counted) that ran while tid was current */
};

/* One of our BPF programs' own cost over the window (kernel.bpf_stats). */
struct netcpu_prog {
	char name[64]; /* the program's name in netcpu.bpf.c, e.g. "btf_softirq_exit" */
	uint64_t run_ns;
	uint64_t run_cnt;
	uint64_t misses; /* runs the kernel skipped (recursion: the program was already running on
			    that CPU); their events are missing from the counts */
};

/* Where the scheduler tick fell on one CPU over the window (bpf tick audit, docs/record.md). */
struct netcpu_ticks {
	uint64_t ticks;	      /* tick handler runs */
	uint64_t in_vec;      /* ... inside a softirq handler (softirq_entry..softirq_exit) */
	uint64_t in_vec_ksd;  /* ... of which in ksoftirqd */
	uint64_t exp_in_vec;  /* ticks that were due inside a softirq handler */
	uint64_t exp_unknown; /* ticks run too late to tell where they were due */
	uint64_t late_in_ns;  /* how late (run - due) the in_vec ticks ran, summed */
	uint64_t late_out_ns; /* the same for the other ticks */
};

struct netcpu_stats {
	unsigned ncpu;
	char attach[8];                          /* "tp_btf" or "raw_tp" */
	uint64_t *vec_count;                     /* [NETCPU_NR_VEC * ncpu], index vec * ncpu + cpu */
	uint64_t *vec_ns;                        /* same layout */
	uint64_t *vec_ksoftirqd_ns;		 /* same layout: part of vec_ns run in ksoftirqd */
	int tick_audit;				 /* 1: ticks[] is filled (tick function found) */
	struct netcpu_ticks *ticks;		 /* [ncpu] */
	uint64_t tick_phase_ns[NETCPU_TICK_PHASES]; /* softirq handler time by the sixteenth of
						       the tick period it started in (from the
						       last tick's due time), all CPUs */
	uint64_t net_rx_ns;                      /* all NET_RX time (sum of vec_ns for NET_RX) */
	uint64_t net_rx_attributed_ns;           /* part charged to a named device */
	struct netcpu_dev *devs;
	size_t ndevs;
	struct netcpu_irq *irqs;
	size_t nirqs;
	struct netcpu_task *tasks;
	size_t ntasks;
	uint64_t *vec_hist;                      /* [NETCPU_NR_VEC * NETCPU_HIST_SLOTS], all CPUs:
						    index vec * NETCPU_HIST_SLOTS + bucket */
	int run_stats;                           /* 1: kernel.bpf_stats was on, prog_* are real */
	uint64_t prog_run_ns;                    /* BPF programs' own run time (kernel.bpf_stats) */
	uint64_t prog_run_cnt;
	struct netcpu_prog *progs;               /* per loaded program, when run_stats */
	size_t nprogs;
};

struct netcpu;

/* Open, load and attach every program. NULL with errno set, and a one-line reason in err. */
struct netcpu *netcpu__open(char *err, size_t errlen);
/* Start the measured window (snapshot the running counters). 0 or -errno. */
int netcpu__start(struct netcpu *nc);
/*
 * Optional: end the window now (a cheap snapshot of the counters, read last), so a caller can
 * read /proc/softirqs right after it; netcpu__stop then works from this snapshot. Naming the
 * devices (kallsyms, netns lookups) in netcpu__stop takes long enough that events in between
 * would otherwise make the two counts differ. 0 or -errno.
 */
int netcpu__mark_end(struct netcpu *nc);
/* End the window (at netcpu__mark_end if it was called): fill *out with the deltas since
 * netcpu__start. 0 or -errno. */
int netcpu__stop(struct netcpu *nc, struct netcpu_stats *out);
/* Free what netcpu__stop allocated inside *st (not st itself). NULL-safe. */
void netcpu_stats__free(struct netcpu_stats *st);
/* Detach and free. NULL-safe. */
void netcpu__close(struct netcpu *nc);

#endif
