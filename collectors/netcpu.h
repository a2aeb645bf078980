/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netcpu collector: layouts shared by netcpu.bpf.c (kernel side) and netcpu.c (user side).
 * Fixed-width types only, no includes: the BPF side gets __u32/__u64 from vmlinux.h, the user
 * side from <linux/types.h>, so both compile the same layout.
 */
#ifndef IOVB_COLLECTORS_NETCPU_H
#define IOVB_COLLECTORS_NETCPU_H

#define NC_NR_VEC 10 /* NR_SOFTIRQS; /proc/softirqs order */
#define NC_VEC_NET_RX 3
/* Per-CPU counters live in bss arrays of this many CPUs; more possible CPUs fail the open. */
#define NC_MAX_CPUS 512
#define NC_MAX_DEVS 1024
#define NC_MAX_IRQS 1024
#define NC_MAX_TASKS 16384
#define NC_NAME_LEN 16 /* IFNAMSIZ */
#define NC_IRQ_NAME_LEN 32
/* Devices touched inside one NAPI poll whose time is held back until the poll's end. */
#define NC_SLOTS 8
/* Softirq duration histogram: log2 buckets of ns, bucket k = [2^k, 2^(k+1)), the last open. */
#define NC_HIST_SLOTS 32

/*
 * floor(log2(v)), 0 for v <= 1: the histogram bucket of a duration (callers clamp it to
 * NC_HIST_SLOTS - 1). Branch-free so the verifier sees one path; shared so user space and its
 * tests compute the same buckets as the BPF side.
 */
static inline __u32 nc_log2(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xFFFFFFFFULL) << 5;
	v >>= r;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	return r;
}

/* A device as the stack sees it: ifindex alone is only unique inside one netns. */
struct nc_dev_key {
	__u64 netns_ino;
	__u32 ifindex;
	__u32 pad; /* always 0: the key is hashed bytewise */
};

/* Value of the per-CPU "devs" hash. */
struct nc_dev_val {
	__u64 ns;	  /* NET_RX time charged to the device */
	__u64 polls;	  /* napi_poll events with napi->dev == this device */
	__u64 packets;	  /* netif_receive_skb events with skb->dev == this device */
	__u64 backlog_ns; /* part of ns charged inside process_backlog polls */
	__u64 poll_fn;	  /* last napi->poll seen for the device's own NAPI, 0 if none */
	char name[NC_NAME_LEN];
	char kind[NC_NAME_LEN];
};

/* Value of the per-CPU "irqs" hash, keyed by irq number. */
struct nc_irq_val {
	__u64 ns;
	__u64 count;
	char name[NC_IRQ_NAME_LEN];
};

/* One per CPU in bss; 64 bytes so CPUs do not share a cache line. */
struct nc_cpu_ctr {
	__u64 rx_attr_ns;   /* NET_RX time charged to a device */
	__u64 rx_unattr_ns; /* NET_RX time no device could be named for */
	__u64 slot_spills;  /* > NC_SLOTS devices in one NET_RX run: charged without backlog split */
	__u64 dev_map_full; /* device could not be inserted: its time went to rx_unattr_ns */
	__u64 irq_map_full;
	__u64 task_map_full;
	__u64 pad[2];
};

/* Softirq time by where it started in the tick period: NC_PHASES equal parts from a tick's due. */
#define NC_PHASES 16

/*
 * Tick audit, one per CPU in bss (64 bytes): where the scheduler tick fell. Without
 * IRQ_TIME_ACCOUNTING, /proc/stat charges a whole tick to softirq when the tick's hardirq finds
 * the CPU serving softirqs, which includes handle_softirqs() outside the vector handlers.
 */
struct nc_tick_ctr {
	__u64 ticks;	   /* tick handler runs (hrtimer expiries of the tick function) */
	__u64 in_vec;	   /* ... that ran inside a softirq_entry..softirq_exit window */
	__u64 in_vec_ksd;  /* ... of which in ksoftirqd */
	__u64 exp_in_vec;  /* ticks whose expiry time (not run time) fell inside such a window */
	__u64 exp_unknown; /* ticks too late to tell: expiry older than the windows kept */
	__u64 late_in_ns;  /* sum of (handler run - tick expiry) over in_vec ticks */
	__u64 late_out_ns; /* the same over the other ticks */
	__u64 pad;
};

#endif
