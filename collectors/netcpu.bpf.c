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

static __always_inline void task_add(__u32 cpu, __u64 ns)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 zero = 0, *v;

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

static __always_inline void dev_key(struct net_device *dev, struct nc_dev_key *key)
{
	key->netns_ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	key->ifindex = BPF_CORE_READ(dev, ifindex);
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

/* Final charge of NET_RX time to a device (ns may be 0). */
static __always_inline void dev_charge(const struct nc_dev_key *key, __u64 ns, int backlog,
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
	if (backlog)
		v->backlog_ns += ns;
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
		st->slots[i].ns += d;
	else
		dev_charge(&st->cur, d, 0, cpu);
}

/* Hand the poll's slot charges to their devices and reset the chain. */
static __always_inline void rx_flush(struct nc_cpu *st, int backlog, __u32 cpu)
{
	__u32 i, n = st->nslots;

	for (i = 0; i < NC_SLOTS; i++) {
		if (i >= n)
			break;
		dev_charge(&st->slots[i].key, st->slots[i].ns, backlog, cpu);
	}
	st->nslots = 0;
	st->cur_valid = 0;
	st->cur_slot = NC_SLOTS;
	st->pending = 0;
}

/* netif_receive_skb / tcp_probe: the skb's device becomes the one NET_RX works for. */
static __always_inline int rx_switch_key(struct net_device *dev, struct nc_dev_key key,
					 int is_packet)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_dev_val *v = NULL;
	struct nc_cpu *st;
	__u32 i, n;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	/*
	 * Per packet, so kept short (its cost is in collectors.bpf.overhead): a packet is counted
	 * on its device always; tcp_probe (no packet) only matters inside NET_RX when the device
	 * changes, so it looks nothing up before that.
	 */
	if (is_packet) {
		v = dev_get(dev, &key, cpu);
		/* keep the name current across renames: every 64th packet is soon enough */
		if (v && !(v->packets++ & 63))
			bpf_core_read_str(v->name, sizeof(v->name), &dev->name);
	}
	st = nc_state();
	if (!st || !st->in_rx)
		return 0;
	if (st->cur_valid && nc_key_eq(&st->cur, &key))
		return 0;
	if (!is_packet)
		v = dev_get(dev, &key, cpu);
	rx_charge(st, bpf_ktime_get_ns(), cpu);
	if (!v) {
		/* no entry for it: its time is left to the poll's device or unattributed */
		st->cur_valid = 0;
		return 0;
	}
	st->cur = key;
	st->cur_valid = 1;
	st->cur_slot = NC_SLOTS;
	n = st->nslots;
	for (i = 0; i < NC_SLOTS; i++) {
		if (i >= n)
			break;
		if (nc_key_eq(&st->slots[i].key, &key)) {
			st->cur_slot = i;
			return 0;
		}
	}
	if (n < NC_SLOTS) {
		st->slots[n].key = key;
		st->slots[n].ns = 0;
		st->cur_slot = n;
		st->nslots = n + 1;
	} else {
		cpu_ctr[cpu].slot_spills++;
	}
	return 0;
}

/* The current task is this CPU's ksoftirqd thread. */
static __always_inline int in_ksoftirqd(void)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
	char comm[16];

	if (!(BPF_CORE_READ(cur, flags) & NC_PF_KTHREAD))
		return 0;
	bpf_get_current_comm(comm, sizeof(comm));
	return comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' &&
	       comm[4] == 't' && comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q' &&
	       comm[8] == 'd' && comm[9] == '/';
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
	ksd = in_ksoftirqd();
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
		task_add(cpu, d);
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
		rx_flush(st, 0, cpu);
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

static __always_inline int handle_irq_exit(int irq, struct irqaction *action)
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
		task_add(cpu, d);
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
		bpf_probe_read_kernel_str(v->name, sizeof(v->name), BPF_CORE_READ(action, name));
	return 0;
}

/*
 * Where the tick fell: at the time it ran (what /proc/stat's tick accounting sees) and at the
 * time it was due (a tick pending while interrupts are off runs late, maybe past the window).
 */
static __always_inline int handle_hrtimer_expire(struct hrtimer *t)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 now, exp, late, oldest = ~0ULL;
	struct nc_tick_ctr *c;
	struct nc_cpu *st;
	int in = 0;
	__u32 k;

	if (!tick_fn || (__u64)BPF_CORE_READ(t, function) != tick_fn || cpu >= NC_MAX_CPUS)
		return 0;
	st = nc_state();
	if (!st)
		return 0;
	c = &tick_ctr[cpu];
	c->ticks++;
	now = bpf_ktime_get_ns();
	exp = BPF_CORE_READ(t, node.expires);
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

static __always_inline int rx_switch(struct net_device *dev, int is_packet)
{
	struct nc_dev_key key;

	if (!dev)
		return 0;
	dev_key(dev, &key);
	return rx_switch_key(dev, key, is_packet);
}

static __always_inline int handle_netif_receive_skb(struct sk_buff *skb)
{
	return rx_switch(BPF_CORE_READ(skb, dev), 1);
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
static __always_inline int handle_tcp_probe(const struct sock *sk, const struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct nc_dev_key key = {};

	if (dev)
		return rx_switch(dev, 0);
	key.netns_ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	key.ifindex = BPF_CORE_READ(skb, skb_iif);
	if (!key.netns_ino || !key.ifindex)
		return 0;
	return rx_switch_key(NULL, key, 0);
}

static __always_inline int handle_napi_poll(struct napi_struct *napi)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nc_dev_val *v = NULL;
	struct net_device *dev;
	struct nc_dev_key key;
	__u64 pending, now, now2;
	struct nc_cpu *st;
	__u32 n;

	if (cpu >= NC_MAX_CPUS)
		return 0;
	dev = BPF_CORE_READ(napi, dev);
	if (dev) {
		dev_key(dev, &key);
		v = dev_get(dev, &key, cpu);
		if (v) {
			v->polls++;
			/* a napi's poll function is set once, at netif_napi_add */
			if (!v->poll_fn)
				v->poll_fn = (__u64)BPF_CORE_READ(napi, poll);
		}
	}
	st = nc_state();
	/* busy polling and threaded NAPI poll outside NET_RX: counted above, not timed */
	if (!st || !st->in_rx)
		return 0;
	now = bpf_ktime_get_ns();
	rx_charge(st, now, cpu);
	n = st->nslots;
	pending = st->pending;
	if (pending) {
		if (v) {
			v->ns += pending;
			cpu_ctr[cpu].rx_attr_ns += pending;
		} else if (!dev && st->nslots > 0) {
			/* process_backlog's start-up belongs to the first skb it delivered */
			st->slots[0].ns += pending;
		} else {
			cpu_ctr[cpu].rx_unattr_ns += pending;
		}
	}
	rx_flush(st, !dev, cpu);
	/*
	 * The flush above is this program's own cost, spent for the poll's device: charge it there
	 * rather than to whatever follows the poll (mostly the unattributed softirq tail).
	 */
	now2 = bpf_ktime_get_ns();
	if (v) {
		v->ns += now2 - now;
		cpu_ctr[cpu].rx_attr_ns += now2 - now;
	} else if (!dev && n > 0) {
		dev_charge(&st->slots[0].key, now2 - now, 1, cpu);
	} else {
		cpu_ctr[cpu].rx_unattr_ns += now2 - now;
	}
	st->mark = now2;
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
	return handle_irq_exit(irq, action);
}
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(btf_netif_receive_skb, struct sk_buff *skb)
{
	return handle_netif_receive_skb(skb);
}
SEC("tp_btf/tcp_probe")
int BPF_PROG(btf_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp_probe(sk, skb);
}
SEC("tp_btf/napi_poll")
int BPF_PROG(btf_napi_poll, struct napi_struct *napi)
{
	return handle_napi_poll(napi);
}
SEC("tp_btf/hrtimer_expire_entry")
int BPF_PROG(btf_hrtimer_expire_entry, struct hrtimer *t, ktime_t *now)
{
	return handle_hrtimer_expire(t);
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
	return handle_irq_exit(irq, action);
}
SEC("raw_tp/netif_receive_skb")
int BPF_PROG(raw_netif_receive_skb, struct sk_buff *skb)
{
	return handle_netif_receive_skb(skb);
}
SEC("raw_tp/tcp_probe")
int BPF_PROG(raw_tcp_probe, struct sock *sk, struct sk_buff *skb)
{
	return handle_tcp_probe(sk, skb);
}
SEC("raw_tp/napi_poll")
int BPF_PROG(raw_napi_poll, struct napi_struct *napi)
{
	return handle_napi_poll(napi);
}
SEC("raw_tp/hrtimer_expire_entry")
int BPF_PROG(raw_hrtimer_expire_entry, struct hrtimer *t, ktime_t *now)
{
	return handle_hrtimer_expire(t);
}
