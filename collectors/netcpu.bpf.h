/* SPDX-License-Identifier: GPL-2.0 */
/* netcpu collector: BPF-only state and helpers (never seen by user space). */
#ifndef IOVB_COLLECTORS_NETCPU_BPF_H
#define IOVB_COLLECTORS_NETCPU_BPF_H

#define NC_WINS 8

#define NC_PK_WAYS 4 /* a power of 2 */

struct nc_pk {
	struct nc_dev_key key;
	__u64 n;     /* packets */
	__u64 polls; /* both 0: free */
	__u64 polled; /* a poll of this batch looked at the entry's poll_fn */
};

/* A device's NET_RX time in the current softirq run, summed over its polls. */
struct nc_slot {
	struct nc_dev_key key;
	__u64 ns;
	__u64 backlog_ns; /* the part in process_backlog polls */
	__u64 poll_ns;	  /* in the current poll, not yet in ns */
};

/*
 * Per-CPU tracking state. Softirqs do not nest on one CPU and cannot be preempted on a non-RT
 * kernel, and hardirq handlers run with interrupts off, so one entry per CPU is enough.
 */
struct nc_cpu {
	__u64 si_start; /* softirq_entry time, 0 when no softirq is running */
	__u64 hi_start; /* irq_handler_entry time, 0 when no handler is running */
	__u32 si_vec;
	__u32 hi_irq;
	__u32 si_ksd; /* the running softirq runs in ksoftirqd */
	__u32 pad;
	/* the last NC_WINS softirq windows [start, end), for the tick audit; win_n counts them */
	__u64 win_s[NC_WINS];
	__u64 win_e[NC_WINS];
	__u64 win_n;
	__u64 last_due;	   /* due time of the last tick */
	__u64 prev_due;	   /* and of the one before it */
	__u64 tick_period; /* smallest gap seen between two ticks' due times: 1/HZ */
	/* NET_RX chain: time since mark belongs to cur (or to "pending" when there is none) */
	__u32 in_rx;
	__u32 cur_valid;
	__u32 cur_slot; /* NC_SLOTS when cur's time could not get a slot (charged directly) */
	__u32 nslots;
	__u32 poll_first; /* slot of the current poll's first device, NC_SLOTS if none yet */
	__u32 pad2;
	__u64 mark;
	__u64 pending; /* time before the first device of the current poll was known */
	struct nc_dev_key cur;
	struct nc_slot slots[NC_SLOTS]; /* per device, in this NET_RX run */
	/* packets not yet added to their devices' entries, and the batch to reuse next */
	struct nc_pk pk[NC_PK_WAYS];
	__u64 pk_next;
	__u32 tk_tid;	/* interrupt time not yet in the tasks map: tk_ns on tk_tid */
	__u32 tk_valid;
	__u64 tk_ns;
	__u64 ksd_task; /* this CPU's ksoftirqd (task_struct address), 0 until seen */
};

static __always_inline int nc_key_eq(const struct nc_dev_key *a, const struct nc_dev_key *b)
{
	return a->netns_ino == b->netns_ino && a->ifindex == b->ifindex;
}

#endif
