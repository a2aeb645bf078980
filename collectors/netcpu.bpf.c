// SPDX-License-Identifier: GPL-2.0
/*
 * netcpu: softirq time per vector, hardirq time per handler, NET_RX time per device and the
 * interrupt time that ran on top of each task. Every tracepoint has a tp_btf and a raw_tp
 * program over one handle_*() function; user space autoloads one family. Pointers are read
 * with BPF_CORE_READ in both so the raw_tp variant (untyped args) verifies too.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "netcpu.h"
#include "netcpu.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Aggregate counters, read through the mmapped bss. Index: cpu * NC_NR_VEC + vec. */
__u64 vec_count[NC_MAX_CPUS * NC_NR_VEC];
__u64 vec_ns[NC_MAX_CPUS * NC_NR_VEC];
struct nc_cpu_ctr cpu_ctr[NC_MAX_CPUS];
/* Part of vec_ns that ran in the CPU's ksoftirqd thread (same index). */
__u64 vec_ksd_ns[NC_MAX_CPUS * NC_NR_VEC];
struct nc_tick_ctr tick_ctr[NC_MAX_CPUS];
/* Softirq handler time by the part of the tick period it started in, [cpu * NC_PHASES + k]. */
__u64 phase_ns[NC_MAX_CPUS * NC_PHASES];
/* Softirq durations, index (cpu * NC_NR_VEC + vec) * NC_HIST_SLOTS + log2 bucket. */
__u64 vec_hist[NC_MAX_CPUS * NC_NR_VEC * NC_HIST_SLOTS];

/* The tick's hrtimer function (tick_nohz_handler, tick_sched_timer before 6.9); 0: no audit. */
const volatile __u64 tick_fn = 0;

#define NC_PF_KTHREAD 0x00200000
/* Packets counted per CPU before they are added to the device's entry (a hash lookup). */
#define NC_PK_BATCH 64

/*
 * A load through a kernel pointer. tp_btf programs load through BTF-typed pointers directly
 * (a faulting load reads 0); raw_tp ones go through bpf_probe_read_kernel, a helper call per
 * hop, which per packet is most of a program's cost. Handlers take `direct` as a constant
 * from their SEC() wrapper and clang drops the other branch.
 */
#define NC_RD(direct, src, ...) \
	((direct) ? ___arrow(src, __VA_ARGS__) : BPF_CORE_READ(src, __VA_ARGS__))

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nc_cpu);
} cpu_state SEC(".maps");

/*
 * Per-CPU values: the hot per-packet path updates without atomics. LRU because every netns
 * made and destroyed (one per test or run) leaves keys behind that would fill a plain hash.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, NC_MAX_DEVS);
	__type(key, struct nc_dev_key);
	__type(value, struct nc_dev_val);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NC_MAX_IRQS);
	__type(key, __u32);
	__type(value, struct nc_irq_val);
} irqs SEC(".maps");

/* Threads come and go; LRU keeps the map from filling up with dead tids. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NC_MAX_TASKS);
	__type(key, __u32);
	__type(value, __u64);
} tasks SEC(".maps");

/*
 * &arr[cpu * NC_NR_VEC + vec], or NULL. The 64-bit index behind a barrier makes the bounds check
 * and the access use one register: otherwise clang checks one copy and indexes with another
 * the verifier knows nothing about.
 */
static __always_inline __u64 *vec_slot(__u64 *arr, __u32 cpu, __u32 vec)
{
	__u64 idx = cpu * NC_NR_VEC + vec;

	barrier_var(idx);
	if (idx >= NC_MAX_CPUS * NC_NR_VEC)
		return NULL;
	return arr + idx;
}

/* &vec_hist[...] of a duration d, or NULL; the same one-register bounds check as vec_slot. */
static __always_inline __u64 *hist_slot(__u32 cpu, __u32 vec, __u64 d)
{
	__u32 k = nc_log2(d);
	__u64 idx;

	if (k >= NC_HIST_SLOTS)
		k = NC_HIST_SLOTS - 1;
	idx = ((__u64)cpu * NC_NR_VEC + vec) * NC_HIST_SLOTS + k;
	barrier_var(idx);
	if (idx >= NC_MAX_CPUS * NC_NR_VEC * NC_HIST_SLOTS)
		return NULL;
	return vec_hist + idx;
}

static __always_inline struct nc_cpu *nc_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_state, &zero);
}

/* Add the CPU's pending interrupt time to its task's entry. */
static __always_inline void task_flush(struct nc_cpu *st, __u32 cpu)
{
	__u32 tid = st->tk_tid;
	__u64 zero = 0, *v, ns = st->tk_ns;

	if (!st->tk_valid)
		return;
	st->tk_valid = 0;
	v = bpf_map_lookup_elem(&tasks, &tid);
	if (!v) {
		bpf_map_update_elem(&tasks, &tid, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&tasks, &tid);
		if (!v) {
			if (cpu < NC_MAX_CPUS)
				cpu_ctr[cpu].task_map_full++;
			return;
		}
	}
	/* idle (tid 0) and migrating tasks are updated from several CPUs */
	__sync_fetch_and_add(v, ns);
}

/*
 * Interrupt time that ran on top of the current task. Summed per CPU while the task stays
 * the same (softirqs come in runs on one task) and added to the map when it changes and at
 * the tick, so a task's figure lags by at most a tick (or until the CPU's next interrupt
 * after idle).
 */
static __always_inline void task_add(struct nc_cpu *st, __u32 cpu, __u64 ns)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (st->tk_valid && st->tk_tid == tid) {
		st->tk_ns += ns;
		return;
	}
	task_flush(st, cpu);
	st->tk_tid = tid;
	st->tk_ns = ns;
	st->tk_valid = 1;
}

static __always_inline void dev_key(int direct, struct net_device *dev, struct nc_dev_key *key)
{
	key->netns_ino = NC_RD(direct, dev, nd_net.net, ns.inum);
	key->ifindex = NC_RD(direct, dev, ifindex);
	key->pad = 0;
}

/* Lookup-or-insert of the device's per-CPU value; fills name and kind on first sight per CPU. */
static __always_inline struct nc_dev_val *dev_get(struct net_device *dev,
						  const struct nc_dev_key *key, __u32 cpu)
{
	const struct rtnl_link_ops *ops;
	struct device_driver *drv;
	struct nc_dev_val zero = {}, *v;
	const char *kind = NULL;

	v = bpf_map_lookup_elem(&devs, key);
	if (!v) {
		bpf_map_update_elem(&devs, key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&devs, key);
		if (!v) {
			cpu_ctr[cpu].dev_map_full++;
			return NULL;
		}
	}
	/* Without the device (tcp_probe: TCP has cleared skb->dev) user space names it later. */
	if (v->name[0] || !dev)
		return v;
	bpf_core_read_str(v->name, sizeof(v->name), &dev->name);
	ops = BPF_CORE_READ(dev, rtnl_link_ops);
	if (ops) {
		kind = BPF_CORE_READ(ops, kind);
	} else {
		/* hardware netdevs have no link ops: name them by their bus driver */
		drv = BPF_CORE_READ(dev, dev.parent, driver);
		if (drv)
			kind = BPF_CORE_READ(drv, name);
	}
	if (kind)
		bpf_probe_read_kernel_str(v->kind, sizeof(v->kind), kind);
	return v;
}

/* Final charge of NET_RX time to a device (ns may be 0), backlog_ns of it in process_backlog. */
static __always_inline void dev_charge(const struct nc_dev_key *key, __u64 ns, __u64 backlog_ns,
				       __u32 cpu)
{
	struct nc_dev_val *v;

	if (!ns)
		return;
	v = bpf_map_lookup_elem(&devs, key);
	if (!v) {
		cpu_ctr[cpu].rx_unattr_ns += ns;
		return;
	}
	v->ns += ns;
	v->backlog_ns += backlog_ns;
	cpu_ctr[cpu].rx_attr_ns += ns;
}

/* Charge [mark, now) to the current device's slot, or hold it as pending. */
static __always_inline void rx_charge(struct nc_cpu *st, __u64 now, __u32 cpu)
{
	__u64 d = now - st->mark;
	__u32 i = st->cur_slot;

	st->mark = now;
	if (!st->cur_valid) {
		st->pending += d;
		return;
	}
	if (i < NC_SLOTS)
		st->slots[i].poll_ns += d;
	else
		dev_charge(&st->cur, d, 0, cpu);
}

/*
 * End of a poll: its charges join their slots' totals (marked as backlog work when the poll
 * was process_backlog's) and the chain restarts, so what comes before the next device is
 * known is pending again.
 */
static __always_inline void rx_poll_end(struct nc_cpu *st, int backlog)
{
	__u32 i, n = st->nslots;
	__u64 d;

	for (i = 0; i < NC_SLOTS; i++) {
		if (i >= n)
			break;
		d = st->slots[i].poll_ns;
		st->slots[i].ns += d;
		if (backlog)
			st->slots[i].backlog_ns += d;
		st->slots[i].poll_ns = 0;
	}
	st->cur_valid = 0;
	st->cur_slot = NC_SLOTS;
	st->poll_first = NC_SLOTS;
	st->pending = 0;
}

/*
 * End of NET_RX: the slots go to their devices' entries, one map lookup per device per
 * softirq run rather than per poll.
 */
static __always_inline void rx_flush(struct nc_cpu *st, __u32 cpu)
{
	__u32 i, n = st->nslots;

	for (i = 0; i < NC_SLOTS; i++) {
		if (i >= n)
			break;
		dev_charge(&st->slots[i].key, st->slots[i].ns, st->slots[i].backlog_ns, cpu);
	}
	st->nslots = 0;
}

/*
 * Add one of the CPU's packet batches to its device. With dev (the batch's own device, when
 * the batch is full) the name is read again too: every NC_PK_BATCH packets keeps it current
 * across renames.
 */
static __always_inline void pk_flush(struct nc_pk *b, struct net_device *dev)
{
	struct nc_dev_val *v;

	if (!b->n && !b->polls)
		return;
	v = bpf_map_lookup_elem(&devs, &b->key);
	if (v) {
		v->packets += b->n;
		v->polls += b->polls;
		if (dev)
			bpf_core_read_str(v->name, sizeof(v->name), &dev->name);
	}
	b->n = 0;
	b->polls = 0;
}

static __always_inline void pk_flush_all(struct nc_cpu *st)
{
	__u32 i;

	for (i = 0; i < NC_PK_WAYS; i++)
		pk_flush(&st->pk[i], NULL);
}

/*
 * Count a packet (or, with poll, a NAPI poll) in the CPU's batch for its device: 1 if the
 * device had one (so its entry exists), else 0 with *vp the entry (NULL if the map is full)
 * after a new batch was started or, for a batch's first poll, so the caller can set the
 * entry's poll_fn. A packet crosses several devices in one softirq (veth, bridge, tap), so a
 * batch per device of the last NC_PK_WAYS, not just the last one.
 */
static __always_inline int pk_count(struct nc_cpu *st, struct net_device *dev,
				    const struct nc_dev_key *key, __u32 cpu, int poll,
				    struct nc_dev_val **vp)
{
	struct nc_pk *b = NULL;
	__u32 i;

	for (i = 0; i < NC_PK_WAYS; i++) {
		if ((st->pk[i].n || st->pk[i].polls) && nc_key_eq(&st->pk[i].key, key)) {
			if (!poll) {
				if (++st->pk[i].n >= NC_PK_BATCH)
					pk_flush(&st->pk[i], dev);
				return 1;
			}
			st->pk[i].polls++;
			if (st->pk[i].polled)
				return 1;
			st->pk[i].polled = 1;
			*vp = bpf_map_lookup_elem(&devs, key);
			return 0;
		}
		if (!b && !st->pk[i].n && !st->pk[i].polls)
			b = &st->pk[i];
	}
	if (!b) {
		i = st->pk_next++ & (NC_PK_WAYS - 1);
		b = &st->pk[i];
		pk_flush(b, NULL);
	}
	*vp = dev_get(dev, key, cpu);
	if (*vp) {
		b->key = *key;
		b->n = !poll;
		b->polls = !!poll;
		b->polled = !!poll;
	}
	return 0;
}

/* The slot of a device in this NET_RX run, added if new; NC_SLOTS when all are taken. */
static __always_inline __u32 slot_of(struct nc_cpu *st, const struct nc_dev_key *key, __u32 cpu)
{
	__u32 i, n = st->nslots;

	for (i = 0; i < NC_SLOTS; i++) {
		if (i >= n)
			break;
		if (nc_key_eq(&st->slots[i].key, key))
			return i;
	}
	if (n >= NC_SLOTS) {
		cpu_ctr[cpu].slot_spills++;
		return NC_SLOTS;
	}
	st->slots[n].key = *key;
	st->slots[n].ns = 0;
	st->slots[n].backlog_ns = 0;
	st->slots[n].poll_ns = 0;
	st->nslots = n + 1;
	return n;
}

/* netif_receive_skb / tcp_probe: the skb's device becomes the one NET_RX works for. */
static __always_inline int rx_switch_key(int direct, struct net_device *dev,
					 struct nc_dev_key key, int is_packet)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_dev_val *v = NULL;
	struct nc_cpu *st;
	int known = 0;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	/*
	 * Per packet, so kept short (its cost is in collectors.bpf.overhead): a packet is counted
	 * in the CPU's batch while its device stays the same, and the batch goes to the device's
	 * entry when the device changes, when it is full and at the tick; tcp_probe (no packet)
	 * only matters inside NET_RX when the device changes, so it looks nothing up before that.
	 */
	if (is_packet)
		known = pk_count(st, dev, &key, cpu, 0, &v);
	if (!st->in_rx)
		return 0;
	if (st->cur_valid && nc_key_eq(&st->cur, &key))
		return 0;
	if (!is_packet)
		v = dev_get(dev, &key, cpu);
	rx_charge(st, bpf_ktime_get_ns(), cpu);
	if (!known && !v) {
		/* no entry for it: its time is left to the poll's device or unattributed */
		st->cur_valid = 0;
		return 0;
	}
	st->cur = key;
	st->cur_valid = 1;
	st->cur_slot = slot_of(st, &key, cpu);
	if (st->poll_first == NC_SLOTS)
		st->poll_first = st->cur_slot;
	return 0;
}

/*
 * The current task is this CPU's ksoftirqd thread. A per-CPU kthread that lives as long as
 * the CPU, so once found its task pointer answers for every later softirq on the CPU.
 */
static __always_inline int in_ksoftirqd(struct nc_cpu *st)
{
	__u64 cur = bpf_get_current_task();
	char comm[16];

	if (st->ksd_task)
		return cur == st->ksd_task;
	if (!(BPF_CORE_READ((struct task_struct *)cur, flags) & NC_PF_KTHREAD))
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	if (comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' &&
	    comm[4] == 't' && comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q' &&
	    comm[8] == 'd' && comm[9] == '/') {
		st->ksd_task = cur;
		return 1;
	}
	return 0;
}

static __always_inline int handle_softirq_entry(unsigned int vec)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_cpu *st;
	__u64 now, *slot;
	int ksd;

	if (vec >= NC_NR_VEC || cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	/* before the clock is read, so the window does not hold this test's cost */
	ksd = in_ksoftirqd(st);
	now = bpf_ktime_get_ns();
	/* /proc/softirqs counts handler runs (kstat_incr_softirqs_this_cpu before entry) */
	slot = vec_slot(vec_count, cpu, vec);
	if (slot)
		*slot += 1;
	st->si_start = now;
	st->si_vec = vec;
	st->si_ksd = ksd;
	if (vec == NC_VEC_NET_RX) {
		st->in_rx = 1;
		st->mark = now;
		st->pending = 0;
		st->nslots = 0;
		st->cur_valid = 0;
		st->cur_slot = NC_SLOTS;
		st->poll_first = NC_SLOTS;
	}
	return 0;
}

static __always_inline int handle_softirq_exit(unsigned int vec)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_cpu *st;
	__u64 now, d, due, *slot;

	if (vec >= NC_NR_VEC || cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	/* an entry seen before we attached has no start: skip rather than guess */
	if (st->si_start && st->si_vec == vec) {
		d = now - st->si_start;
		slot = vec_slot(vec_ns, cpu, vec);
		if (slot)
			*slot += d;
		if (st->si_ksd) {
			slot = vec_slot(vec_ksd_ns, cpu, vec);
			if (slot)
				*slot += d;
		}
		slot = hist_slot(cpu, vec, d);
		if (slot)
			*slot += 1;
		/* includes nested hardirqs, which therefore are not added to the task again */
		task_add(st, cpu, d);
		/* a tick during the handler moved last_due past its start: use the one before */
		due = st->si_start >= st->last_due ? st->last_due : st->prev_due;

		if (st->tick_period && due && st->si_start >= due) {
			__u64 k = (st->si_start - due) * NC_PHASES / st->tick_period;
			__u64 idx;

			if (k >= NC_PHASES)
				k = NC_PHASES - 1; /* the tick after was late or skipped */
			idx = (__u64)cpu * NC_PHASES + k;
			barrier_var(idx);
			if (idx < NC_MAX_CPUS * NC_PHASES)
				phase_ns[idx] += d;
		}
		st->win_s[st->win_n & (NC_WINS - 1)] = st->si_start;
		st->win_e[st->win_n & (NC_WINS - 1)] = now;
		st->win_n++;
	}
	if (vec == NC_VEC_NET_RX && st->in_rx) {
		rx_charge(st, now, cpu);
		/* after the last poll nothing names a device: the rest is unattributed */
		cpu_ctr[cpu].rx_unattr_ns += st->pending;
		rx_poll_end(st, 0);
		rx_flush(st, cpu);
		st->in_rx = 0;
	}
	st->si_start = 0;
	return 0;
}

static __always_inline int handle_irq_entry(int irq)
{
	struct nc_cpu *st = nc_state();

	if (!st)
		return 0;
	st->hi_start = bpf_ktime_get_ns();
	st->hi_irq = irq;
	return 0;
}

static __always_inline int handle_irq_exit(int direct, int irq, struct irqaction *action)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_irq_val zero = {}, *v;
	struct nc_cpu *st;
	__u32 key = irq;
	__u64 d;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st || !st->hi_start || st->hi_irq != key)
		return 0;
	d = bpf_ktime_get_ns() - st->hi_start;
	st->hi_start = 0;
	if (!st->si_start)
		task_add(st, cpu, d);
	v = bpf_map_lookup_elem(&irqs, &key);
	if (!v) {
		bpf_map_update_elem(&irqs, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&irqs, &key);
		if (!v) {
			cpu_ctr[cpu].irq_map_full++;
			return 0;
		}
	}
	v->ns += d;
	v->count++;
	if (!v->name[0])
		bpf_probe_read_kernel_str(v->name, sizeof(v->name), NC_RD(direct, action, name));
	return 0;
}

/*
 * Where the tick fell: at the time it ran (what /proc/stat's tick accounting sees) and at the
 * time it was due (a tick pending while interrupts are off runs late, maybe past the window).
 */
static __always_inline int handle_hrtimer_expire(int direct, struct hrtimer *t)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now, exp, late, oldest = ~0ULL;
	struct nc_tick_ctr *c;
	struct nc_cpu *st;
	int in = 0;
	__u32 k;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	if (!tick_fn) {
		/* the tick is not known: flush the batches at every timer instead */
		st = nc_state();
		if (st) {
			pk_flush_all(st);
			task_flush(st, cpu);
		}
		return 0;
	}
	if ((__u64)NC_RD(direct, t, function) != tick_fn)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	/* a batch waits at most a tick (or, after idle, until the CPU's next tick) */
	pk_flush_all(st);
	task_flush(st, cpu);
	c = &tick_ctr[cpu];
	c->ticks++;
	now = bpf_ktime_get_ns();
	exp = NC_RD(direct, t, node.expires);
	late = now > exp ? now - exp : 0;
	if (st->last_due && exp > st->last_due &&
	    (!st->tick_period || exp - st->last_due < st->tick_period))
		st->tick_period = exp - st->last_due;
	st->prev_due = st->last_due;
	st->last_due = exp;
	if (st->si_start) {
		c->in_vec++;
		if (st->si_ksd)
			c->in_vec_ksd++;
		c->late_in_ns += late;
		in = exp >= st->si_start;
	} else {
		c->late_out_ns += late;
	}
	for (k = 0; k < NC_WINS; k++) {
		if (k >= st->win_n)
			break;
		if (exp >= st->win_s[k] && exp < st->win_e[k])
			in = 1;
		if (st->win_s[k] < oldest)
			oldest = st->win_s[k];
	}
	if (in)
		c->exp_in_vec++;
	else if (st->win_n >= NC_WINS && exp < oldest)
		c->exp_unknown++;
	return 0;
}

static __always_inline int rx_switch(int direct, struct net_device *dev, int is_packet)
{
	struct nc_dev_key key;

	if (!dev)
		return 0;
	dev_key(direct, dev, &key);
	return rx_switch_key(direct, dev, key, is_packet);
}

static __always_inline int handle_netif_receive_skb(int direct, struct sk_buff *skb)
{
	return rx_switch(direct, NC_RD(direct, skb, dev), 1);
}

/*
 * tcp_rcv_established() starts with this tracepoint. skb->dev is then the device the segment
 * reached the socket's netns on, which is how macvlan's rx_handler (it rewrites skb->dev
 * without a new netif_receive_skb event) gets the guest's TCP work.
 */
/*
 * tcp_v4_rcv()/tcp_v6_rcv() set skb->dev = NULL before the socket sees the segment, so the
 * device is named by the socket's netns and skb->skb_iif, which __netif_receive_skb_core()
 * sets on every round: after macvlan's rx_handler it is the macvlan's ifindex.
 */
static __always_inline int handle_tcp_probe(int direct, const struct sock *sk,
					    const struct sk_buff *skb)
{
	struct net_device *dev = NC_RD(direct, skb, dev);
	struct nc_dev_key key = {};

	if (dev)
		return rx_switch(direct, dev, 0);
	key.netns_ino = NC_RD(direct, sk, __sk_common.skc_net.net, ns.inum);
	key.ifindex = NC_RD(direct, skb, skb_iif);
	if (!key.netns_ino || !key.ifindex)
		return 0;
	return rx_switch_key(direct, NULL, key, 0);
}

static __always_inline int handle_napi_poll(int direct, struct napi_struct *napi)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_dev_val *v = NULL;
	struct net_device *dev;
	struct nc_dev_key key;
	__u64 pending, now;
	struct nc_cpu *st;
	int known = 0;
	__u32 first, i;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	dev = NC_RD(direct, napi, dev);
	if (dev) {
		dev_key(direct, dev, &key);
		known = pk_count(st, dev, &key, cpu, 1, &v);
		/* a napi's poll function is set once, at netif_napi_add */
		if (v && !v->poll_fn)
			v->poll_fn = (__u64)NC_RD(direct, napi, poll);
	}
	/* busy polling and threaded NAPI poll outside NET_RX: counted above, not timed */
	if (!st->in_rx)
		return 0;
	now = bpf_ktime_get_ns();
	rx_charge(st, now, cpu);
	pending = st->pending;
	first = st->poll_first;
	if (pending) {
		if (known || v) {
			/* the poll's own device, in its slot like the time of its packets */
			i = slot_of(st, &key, cpu);
			if (i < NC_SLOTS)
				st->slots[i].poll_ns += pending;
			else
				dev_charge(&key, pending, 0, cpu);
		} else if (!dev && first < NC_SLOTS) {
			/* process_backlog's start-up belongs to the first skb it delivered */
			st->slots[first].poll_ns += pending;
		} else {
			cpu_ctr[cpu].rx_unattr_ns += pending;
		}
	}
	rx_poll_end(st, !dev);
	/*
	 * The flush's own time is left in the next stretch (the next poll's device, or the
	 * unattributed tail): a second clock read to charge it here costs more than it moves.
	 */
	return 0;
}

SEC("tp_btf/softirq_entry")
int BPF_PROG(btf_softirq_entry, unsigned int vec)
{
	return handle_softirq_entry(vec);
}
SEC("tp_btf/softirq_exit")
int BPF_PROG(btf_softirq_exit, unsigned int vec)
{
	return handle_softirq_exit(vec);
}
SEC("tp_btf/irq_handler_entry")
int BPF_PROG(btf_irq_entry, int irq, struct irqaction *action)
{
	return handle_irq_entry(irq);
}
SEC("tp_btf/irq_handler_exit")
int BPF_PROG(btf_irq_exit, int irq, struct irqaction *action)
{
	return handle_irq_exit(1, irq, action);
}
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(btf_netif_receive_skb, struct sk_buff *skb)
{
	return handle_netif_receive_skb(1, skb);
}
SEC("tp_btf/tcp_probe")
int BPF_PROG(btf_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp_probe(1, sk, skb);
}
SEC("tp_btf/napi_poll")
int BPF_PROG(btf_napi_poll, struct napi_struct *napi)
{
	return handle_napi_poll(1, napi);
}
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(btf_hrtimer_expire_entry, struct hrtimer *t, ktime_t *now)
{
	return handle_hrtimer_expire(1, t);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(raw_softirq_entry, unsigned int vec)
{
	return handle_softirq_entry(vec);
}
SEC("raw_tp/softirq_exit")
int BPF_PROG(raw_softirq_exit, unsigned int vec)
{
	return handle_softirq_exit(vec);
}
SEC("raw_tp/irq_handler_entry")
int BPF_PROG(raw_irq_entry, int irq, struct irqaction *action)
{
	return handle_irq_entry(irq);
}
SEC("raw_tp/irq_handler_exit")
int BPF_PROG(raw_irq_exit, int irq, struct irqaction *action)
{
	return handle_irq_exit(0, irq, action);
}
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(raw_netif_receive_skb, struct sk_buff *skb)
{
	return handle_netif_receive_skb(0, skb);
}
SEC("raw_tp/tcp_probe")
int BPF_PROG(raw_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp_probe(0, sk, skb);
}
SEC("raw_tp/napi_poll")
int BPF_PROG(raw_napi_poll, struct napi_struct *napi)
{
	return handle_napi_poll(0, napi);
}
SEC("raw_tp/hrtimer_expire_entry")
int BPF_PROG(raw_hrtimer_expire_entry, struct hrtimer *t, ktime_t *now)
{
	return handle_hrtimer_expire(0, t);
}
