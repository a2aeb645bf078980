/* SPDX-License-Identifier: GPL-2.0 */
/*
 * procfs collector: /proc/stat, /proc/softirqs, /proc/interrupts and per-netns /proc/net/dev,
 * read at the start and the end of the measured window; the figures are the deltas.
 * Needs no privileges (but reading another netns's /proc/net/dev needs CAP_SYS_ADMIN to setns).
 * Library code: never prints.
 */
#ifndef IOVB_PROCFS_H
#define IOVB_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define PROCFS_NR_SOFTIRQ 10
/* Names as /proc/softirqs prints them: HI TIMER NET_TX NET_RX BLOCK IRQ_POLL TASKLET SCHED HRTIMER RCU */
extern const char *const procfs_softirq_names[PROCFS_NR_SOFTIRQ];

/* /proc/stat per-CPU line, in USER_HZ ticks (sysconf(_SC_CLK_TCK)). */
struct procfs_cpu {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

/* One /proc/interrupts row: per-CPU counts summed, and per CPU. */
struct procfs_irq {
	char id[16];    /* "24", "NMI", "LOC" ... */
	char desc[96];  /* the rest of the line after the counts, spaces folded ("PCI-MSIX ... virtio0-input.0") */
	uint64_t total;
	uint64_t *per_cpu; /* [ncpu] */
};

/* One /proc/net/dev row. */
struct procfs_netdev {
	char netns[64];  /* netns name as given to procfs_snap__read_netdev, "" for the caller's own */
	char name[16];
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};

/* A reading of all files at one instant, or (after procfs_snap__delta) the window's deltas. */
struct procfs_snap {
	unsigned ncpu;               /* CPUs listed in /proc/stat ("cpuN" lines) */
	struct procfs_cpu total;     /* the "cpu" line */
	struct procfs_cpu *cpu;      /* [ncpu] */
	uint64_t *softirq;           /* [PROCFS_NR_SOFTIRQ * ncpu], index vec * ncpu + cpu */
	struct procfs_irq *irqs;
	size_t nirqs;
	struct procfs_netdev *netdevs;
	size_t nnetdevs;
};

/*
 * Read stat, softirqs and interrupts under root ("/proc", or a fixture directory holding files
 * named stat, softirqs, interrupts). Replaces the contents of *s. 0 or -errno (-EINVAL: a file
 * did not parse).
 */
int procfs_snap__read(struct procfs_snap *s, const char *root);

/*
 * Append the /proc/net/dev rows of network namespace `netns` (a name under /run/netns, or NULL
 * for the caller's own) to *s. With path != NULL, parse that file instead (fixtures); netns then
 * only labels the rows. 0 or -errno.
 */
int procfs_snap__read_netdev(struct procfs_snap *s, const char *netns, const char *path);

/*
 * out = end - start, row by row (irqs and netdevs matched by id / netns+name; rows only in end
 * count from 0). Counters that went backwards give -ERANGE. out must be zeroed or freed.
 */
int procfs_snap__delta(const struct procfs_snap *start, const struct procfs_snap *end,
		       struct procfs_snap *out);

/* Free what the snapshot holds and zero it. NULL-safe. */
void procfs_snap__free(struct procfs_snap *s);

/* The machine's softirq time now (/proc/stat, all CPUs), ns; 0 when unreadable. */
uint64_t procfs__softirq_total_ns(void);

#endif
