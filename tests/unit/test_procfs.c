// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for collectors/procfs.c: fixture files with exact values, deltas, corrupt and
 * truncated input (every truncation point, every byte mangled), the live /proc, and netns reads.
 * Fixtures live in tests/fixtures/procfs (see its README); they are found from the source path
 * (run from the repository root), from the test binary's location, or from $IOVB_FIXTURES.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "iovb/procfs.h"

enum { HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU };

static char fixtures[PATH_MAX];
static char tmpdir[64];

/* ---- helpers ---- */

static bool dir_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static void fixture_path(char *out, size_t size, const char *dir, const char *file)
{
	int n = snprintf(out, size, "%s/%s%s%s", fixtures, dir, file ? "/" : "", file ? file : "");

	assert_true(n > 0 && (size_t)n < size);
}

/* Whole file; procfs files have no size, so read until EOF. */
static char *slurp(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 4096, n;
	FILE *f = fopen(path, "r");
	char *buf = malloc(cap + 1);

	if (!f)
		fail_msg("cannot open %s", path);
	assert_non_null(buf);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	assert_false(ferror(f));
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static void spew(const char *dir, const char *file, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* tmpdir := a copy of fixture directory `src`. */
static void tmpdir_from(const char *src)
{
	static const char *const files[] = {"stat", "softirqs", "interrupts", "net_dev"};
	char path[PATH_MAX], *buf;
	size_t i, len;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fixture_path(path, sizeof(path), src, files[i]);
		buf = slurp(path, &len);
		spew(tmpdir, files[i], buf, len);
		free(buf);
	}
}

static void tmpfile_set(const char *file, const char *text)
{
	spew(tmpdir, file, text, strlen(text));
}

static char *tmp_netdev_path(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/net_dev", tmpdir);
	return path;
}

static const struct procfs_irq *find_irq(const struct procfs_snap *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nirqs; i++)
		if (!strcmp(s->irqs[i].id, id))
			return &s->irqs[i];
	fail_msg("irq %s not found", id);
	return NULL;
}

static const struct procfs_netdev *find_netdev(const struct procfs_snap *s, const char *netns,
					       const char *name)
{
	size_t i;

	for (i = 0; i < s->nnetdevs; i++)
		if (!strcmp(s->netdevs[i].netns, netns) && !strcmp(s->netdevs[i].name, name))
			return &s->netdevs[i];
	return NULL;
}

static void assert_cpu(const struct procfs_cpu *c, uint64_t user, uint64_t nice, uint64_t system,
		       uint64_t idle, uint64_t iowait, uint64_t irq, uint64_t softirq,
		       uint64_t steal)
{
	assert_int_equal(c->user, user);
	assert_int_equal(c->nice, nice);
	assert_int_equal(c->system, system);
	assert_int_equal(c->idle, idle);
	assert_int_equal(c->iowait, iowait);
	assert_int_equal(c->irq, irq);
	assert_int_equal(c->softirq, softirq);
	assert_int_equal(c->steal, steal);
}

static void assert_netdev(const struct procfs_netdev *d, uint64_t rx_bytes, uint64_t rx_packets,
			  uint64_t rx_errs, uint64_t rx_drop, uint64_t tx_bytes,
			  uint64_t tx_packets, uint64_t tx_errs, uint64_t tx_drop)
{
	assert_non_null(d);
	assert_int_equal(d->rx_bytes, rx_bytes);
	assert_int_equal(d->rx_packets, rx_packets);
	assert_int_equal(d->rx_errs, rx_errs);
	assert_int_equal(d->rx_drop, rx_drop);
	assert_int_equal(d->tx_bytes, tx_bytes);
	assert_int_equal(d->tx_packets, tx_packets);
	assert_int_equal(d->tx_errs, tx_errs);
	assert_int_equal(d->tx_drop, tx_drop);
}

static void read_fixture(struct procfs_snap *s, const char *dir, const char *netns)
{
	char path[PATH_MAX];

	fixture_path(path, sizeof(path), dir, NULL);
	assert_int_equal(procfs_snap__read(s, path), 0);
	fixture_path(path, sizeof(path), dir, "net_dev");
	assert_int_equal(procfs_snap__read_netdev(s, netns, path), 0);
}

/* ---- fixtures with exact values ---- */

static void test_read_vm2(void **state)
{
	struct procfs_snap s = {0};
	const struct procfs_irq *irq;

	(void)state;
	read_fixture(&s, "vm2", NULL);
	assert_int_equal(s.ncpu, 2);
	assert_cpu(&s.total, 3643, 0, 3920, 284508, 458, 0, 154, 0);
	assert_cpu(&s.cpu[0], 1471, 0, 1673, 143073, 26, 0, 66, 0);
	assert_cpu(&s.cpu[1], 2172, 0, 2247, 141435, 432, 0, 87, 0);

	assert_int_equal(s.softirq[HI * 2 + 0], 0);
	assert_int_equal(s.softirq[TIMER * 2 + 0], 11430);
	assert_int_equal(s.softirq[TIMER * 2 + 1], 11377);
	assert_int_equal(s.softirq[NET_TX * 2 + 0], 3);
	assert_int_equal(s.softirq[NET_RX * 2 + 0], 1773);
	assert_int_equal(s.softirq[NET_RX * 2 + 1], 2729);
	assert_int_equal(s.softirq[BLOCK * 2 + 1], 36531);
	assert_int_equal(s.softirq[SCHED * 2 + 0], 28473);
	assert_int_equal(s.softirq[RCU * 2 + 1], 15753);

	/* 34 rows, in file order. */
	assert_int_equal(s.nirqs, 34);
	assert_string_equal(s.irqs[0].id, "24");
	assert_string_equal(s.irqs[0].desc, "IO-APIC 5-edge ACPI:Ged");
	assert_string_equal(s.irqs[33].id, "PIW");
	irq = find_irq(&s, "38");
	assert_string_equal(irq->desc, "PCI-MSIX-0000:00:03.0 1-edge virtio2-input.0");
	assert_int_equal(irq->per_cpu[0], 0);
	assert_int_equal(irq->per_cpu[1], 2763);
	assert_int_equal(irq->total, 2763);
	irq = find_irq(&s, "32");
	assert_string_equal(irq->desc, "PCI-MSIX-0000:00:01.0 4-edge virtio0-reporting_vq");
	irq = find_irq(&s, "LOC");
	assert_string_equal(irq->desc, "Local timer interrupts");
	assert_int_equal(irq->per_cpu[0], 36489);
	assert_int_equal(irq->per_cpu[1], 32745);
	assert_int_equal(irq->total, 36489 + 32745);
	/* ERR and MIS print one global count and no description. */
	irq = find_irq(&s, "ERR");
	assert_string_equal(irq->desc, "");
	assert_int_equal(irq->total, 0);
	assert_int_equal(irq->per_cpu[0], 0);
	assert_int_equal(irq->per_cpu[1], 0);

	assert_int_equal(s.nnetdevs, 4);
	assert_string_equal(s.netdevs[0].name, "lo");
	assert_string_equal(s.netdevs[0].netns, "");
	assert_string_equal(s.netdevs[3].name, "eth0");
	assert_netdev(find_netdev(&s, "", "lo"), 3267, 29, 0, 0, 3267, 29, 0, 0);
	assert_netdev(find_netdev(&s, "", "eth0"), 166134543, 5312, 0, 0, 209362, 3072, 0, 0);
	assert_netdev(find_netdev(&s, "", "ifb1"), 0, 0, 0, 0, 0, 0, 0, 0);

	procfs_snap__free(&s);
	assert_int_equal(s.ncpu, 0);
	assert_null(s.cpu);
	assert_null(s.irqs);
	assert_null(s.netdevs);
	procfs_snap__free(&s);
	procfs_snap__free(NULL);
}

static void check_cpu4_offline(const struct procfs_snap *s)
{
	const struct procfs_irq *irq;

	/* cpu0 cpu1 cpu3: index 2 is CPU3, CPU2's softirq column is dropped. */
	assert_int_equal(s->ncpu, 3);
	assert_cpu(&s->total, 40010, 120, 30020, 1600400, 900, 0, 5030, 70);
	assert_cpu(&s->cpu[0], 10001, 10, 10002, 400100, 300, 0, 1001, 10);
	assert_cpu(&s->cpu[1], 10002, 20, 10003, 400200, 200, 0, 2002, 20);
	assert_cpu(&s->cpu[2], 20007, 90, 10015, 800100, 400, 0, 2027, 40);
	assert_int_equal(s->softirq[HI * 3 + 0], 1);
	assert_int_equal(s->softirq[HI * 3 + 2], 2);
	assert_int_equal(s->softirq[NET_RX * 3 + 0], 30000);
	assert_int_equal(s->softirq[NET_RX * 3 + 1], 20000);
	assert_int_equal(s->softirq[NET_RX * 3 + 2], 40000);
	assert_int_equal(s->softirq[NET_TX * 3 + 2], 1200);
	assert_int_equal(s->softirq[RCU * 3 + 2], 41485);
	assert_int_equal(s->softirq[HRTIMER * 3 + 2], 10);

	assert_int_equal(s->nirqs, 15);
	irq = find_irq(s, "0");
	assert_string_equal(irq->desc, "IO-APIC 2-edge timer");
	assert_int_equal(irq->per_cpu[0], 44);
	irq = find_irq(s, "25");
	assert_string_equal(irq->desc, "PCI-MSIX-0000:3b:00.0 1-edge ens1f0-TxRx-0");
	assert_int_equal(irq->per_cpu[0], 41000);
	assert_int_equal(irq->per_cpu[1], 0);
	assert_int_equal(irq->per_cpu[2], 3);
	assert_int_equal(irq->total, 41003);
	irq = find_irq(s, "27");
	assert_int_equal(irq->per_cpu[2], 63000);
	assert_int_equal(irq->total, 63012);
	irq = find_irq(s, "LOC");
	assert_int_equal(irq->per_cpu[2], 700000);
	assert_int_equal(irq->total, 1400000);
	irq = find_irq(s, "ERR");
	assert_int_equal(irq->total, 2);
	assert_int_equal(irq->per_cpu[0] + irq->per_cpu[1] + irq->per_cpu[2], 0);

	assert_int_equal(s->nnetdevs, 4);
	assert_null(find_netdev(s, "", "ens1f0"));
	assert_netdev(find_netdev(s, "host", "ens1f0"), UINT64_C(98765432101), 65000000, 1, 2,
		      UINT64_C(12345678901), 43000000, 3, 4);
	assert_netdev(find_netdev(s, "host", "br0"), 5000000, 40000, 0, 7, 6000000, 41000, 0, 0);
	assert_netdev(find_netdev(s, "host", "vethh1a2b3c4"), 77777777, 55555, 0, 0, 88888888,
		      66666, 0, 0);
}

static void test_read_cpu4_offline(void **state)
{
	struct procfs_snap s = {0};

	(void)state;
	read_fixture(&s, "cpu4-offline", "host");
	check_cpu4_offline(&s);
	procfs_snap__free(&s);
}

/* The same machine if /proc/softirqs, too, left the offline CPU out: same figures. */
static void test_softirqs_offline_column_missing(void **state)
{
	static const char softirqs[] = "                    CPU0       CPU1       CPU3       \n"
				       "          HI:          1          0          2\n"
				       "       TIMER:      50000      40000      99000\n"
				       "      NET_TX:        100        200       1200\n"
				       "      NET_RX:      30000      20000      40000\n"
				       "       BLOCK:       1000       2000       1000\n"
				       "    IRQ_POLL:          0          0          0\n"
				       "     TASKLET:          4          3          5\n"
				       "       SCHED:      30000      29000      61000\n"
				       "     HRTIMER:          7          8         10\n"
				       "         RCU:      20000      21000      41485\n";
	struct procfs_snap s = {0};

	(void)state;
	tmpdir_from("cpu4-offline");
	tmpfile_set("softirqs", softirqs);
	assert_int_equal(procfs_snap__read(&s, tmpdir), 0);
	assert_int_equal(procfs_snap__read_netdev(&s, "host", tmp_netdev_path()), 0);
	check_cpu4_offline(&s);
	procfs_snap__free(&s);
}

/* Rows matched by name: order does not matter, unknown vectors are skipped. */
static void test_softirqs_order_and_unknown(void **state)
{
	static const char softirqs[] = "                    CPU0       CPU1       \n"
				       "         RCU:         10         11\n"
				       "     NEW_VEC:         99         99\n"
				       "          HI:          1          2\n"
				       "       TIMER:          3          4\n"
				       "      NET_RX:          7          8\n"
				       "      NET_TX:          5          6\n"
				       "       BLOCK:          0          0\n"
				       "    IRQ_POLL:          0          0\n"
				       "     TASKLET:          0          0\n"
				       "       SCHED:          0          0\n"
				       "     HRTIMER:          0          0\n";
	struct procfs_snap s = {0};

	(void)state;
	tmpdir_from("vm2");
	tmpfile_set("softirqs", softirqs);
	assert_int_equal(procfs_snap__read(&s, tmpdir), 0);
	assert_int_equal(s.softirq[HI * 2 + 1], 2);
	assert_int_equal(s.softirq[NET_TX * 2 + 0], 5);
	assert_int_equal(s.softirq[NET_RX * 2 + 1], 8);
	assert_int_equal(s.softirq[RCU * 2 + 0], 10);
	procfs_snap__free(&s);
}

/* Shapes that are valid though unusual. */
static void test_accept_variants(void **state)
{
	struct procfs_snap s = {0};
	const struct procfs_irq *irq;

	(void)state;
	tmpdir_from("vm2");
	/* Exactly 8 fields (pre-2.6.24) and extra fields (a future kernel). */
	tmpfile_set("stat", "cpu  1 2 3 4 5 6 7 8\n"
			    "cpu0 1 2 3 4 5 6 7 8 9 10 11 12\n"
			    "cpu1 0 0 0 0 0 0 0 0 0 0\n"
			    "intr 0\n");
	/* An IRQ without action names, a named row with counts only, odd spacing. */
	tmpfile_set("interrupts", "           CPU0       CPU1\n"
				  "  5:          1          2\n"
				  "IPI0:        3          4       Rescheduling   interrupts  \n"
				  "Err:          7\n");
	assert_int_equal(procfs_snap__read(&s, tmpdir), 0);
	assert_int_equal(s.ncpu, 2);
	assert_cpu(&s.total, 1, 2, 3, 4, 5, 6, 7, 8);
	assert_cpu(&s.cpu[0], 1, 2, 3, 4, 5, 6, 7, 8);
	assert_int_equal(s.nirqs, 3);
	irq = find_irq(&s, "5");
	assert_string_equal(irq->desc, "");
	assert_int_equal(irq->total, 3);
	irq = find_irq(&s, "IPI0");
	assert_string_equal(irq->desc, "Rescheduling interrupts");
	assert_int_equal(irq->per_cpu[1], 4);
	irq = find_irq(&s, "Err");
	assert_int_equal(irq->total, 7);

	/* A description longer than desc[] is cut, still NUL-terminated. */
	tmpfile_set("interrupts",
		    "           CPU0       CPU1\n"
		    " 99:          1          2  "
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_int_equal(procfs_snap__read(&s, tmpdir), 0);
	assert_int_equal(strlen(s.irqs[0].desc), sizeof(s.irqs[0].desc) - 1);
	procfs_snap__free(&s);
}

/* ---- deltas ---- */

static void test_delta(void **state)
{
	struct procfs_snap a = {0}, b = {0}, d = {0};
	const struct procfs_irq *irq;
	size_t i;
	int v;

	(void)state;
	read_fixture(&a, "vm2", NULL);
	read_fixture(&b, "vm2-later", NULL);
	assert_int_equal(procfs_snap__delta(&a, &b, &d), 0);

	assert_int_equal(d.ncpu, 2);
	/* iowait stepped back by one tick in the fixture: that is 0, not an error. */
	assert_cpu(&d.total, 100, 0, 50, 800, 0, 0, 30, 0);
	assert_cpu(&d.cpu[0], 60, 0, 20, 400, 0, 0, 20, 0);
	assert_cpu(&d.cpu[1], 40, 0, 30, 400, 0, 0, 10, 0);

	for (v = 0; v < PROCFS_NR_SOFTIRQ; v++) {
		uint64_t want0 = 0, want1 = 0;

		if (v == TIMER)
			want0 = want1 = 100;
		if (v == NET_TX)
			want0 = 5;
		if (v == NET_RX) {
			want0 = 1000;
			want1 = 2000;
		}
		assert_int_equal(d.softirq[v * 2 + 0], want0);
		assert_int_equal(d.softirq[v * 2 + 1], want1);
	}

	/* One row per row of the end snapshot; the new IRQ 44 counts from 0. */
	assert_int_equal(d.nirqs, 35);
	for (i = 0; i < d.nirqs; i++) {
		irq = &d.irqs[i];
		if (!strcmp(irq->id, "38")) {
			assert_int_equal(irq->per_cpu[1], 500);
			assert_int_equal(irq->total, 500);
		} else if (!strcmp(irq->id, "39")) {
			assert_int_equal(irq->per_cpu[0], 300);
			assert_int_equal(irq->total, 300);
		} else if (!strcmp(irq->id, "44")) {
			assert_string_equal(irq->desc,
					    "PCI-MSIX-0000:00:06.0 0-edge virtio5-input.0");
			assert_int_equal(irq->per_cpu[0], 7);
			assert_int_equal(irq->total, 7);
		} else if (!strcmp(irq->id, "LOC")) {
			assert_string_equal(irq->desc, "Local timer interrupts");
			assert_int_equal(irq->per_cpu[0], 1000);
			assert_int_equal(irq->per_cpu[1], 1200);
			assert_int_equal(irq->total, 2200);
		} else if (!strcmp(irq->id, "ERR")) {
			assert_int_equal(irq->total, 3);
		} else {
			if (irq->total || irq->per_cpu[0] || irq->per_cpu[1])
				fail_msg("irq %s: unexpected delta", irq->id);
		}
	}

	assert_int_equal(d.nnetdevs, 5);
	assert_netdev(find_netdev(&d, "", "lo"), 0, 0, 0, 0, 0, 0, 0, 0);
	assert_netdev(find_netdev(&d, "", "eth0"), 1000000, 700, 0, 0, 50000, 600, 0, 0);
	assert_netdev(find_netdev(&d, "", "veth0"), 1500, 10, 0, 0, 2500, 20, 0, 1);

	/* A snapshot minus itself is all zeros. */
	procfs_snap__free(&d);
	assert_int_equal(procfs_snap__delta(&b, &b, &d), 0);
	assert_cpu(&d.total, 0, 0, 0, 0, 0, 0, 0, 0);
	for (i = 0; i < d.nirqs; i++)
		assert_int_equal(d.irqs[i].total, 0);
	procfs_snap__free(&d);
	procfs_snap__free(&b);
	procfs_snap__free(&a);
}

static void test_delta_errors(void **state)
{
	struct procfs_snap a = {0}, b = {0}, c = {0}, d = {0}, n1 = {0}, n2 = {0};
	char path[PATH_MAX];

	(void)state;
	read_fixture(&a, "vm2", NULL);
	read_fixture(&b, "vm2-later", NULL);
	read_fixture(&c, "cpu4-offline", "host");

	/* Counters going backwards: -ERANGE, and out stays empty. */
	assert_int_equal(procfs_snap__delta(&b, &a, &d), -ERANGE);
	assert_int_equal(d.ncpu, 0);
	assert_null(d.cpu);
	assert_null(d.irqs);
	assert_null(d.netdevs);
	/* Different CPU counts cannot be subtracted. */
	assert_int_equal(procfs_snap__delta(&a, &c, &d), -EINVAL);
	assert_null(d.cpu);
	assert_int_equal(procfs_snap__delta(NULL, &a, &d), -EINVAL);
	assert_int_equal(procfs_snap__delta(&a, &a, NULL), -EINVAL);

	/* A netdev-only snapshot (no procfs_snap__read) still gives a delta. */
	fixture_path(path, sizeof(path), "vm2", "net_dev");
	assert_int_equal(procfs_snap__read_netdev(&n1, "ns1", path), 0);
	fixture_path(path, sizeof(path), "vm2-later", "net_dev");
	assert_int_equal(procfs_snap__read_netdev(&n2, "ns1", path), 0);
	assert_int_equal(procfs_snap__delta(&n1, &n2, &d), 0);
	assert_int_equal(d.ncpu, 0);
	assert_netdev(find_netdev(&d, "ns1", "eth0"), 1000000, 700, 0, 0, 50000, 600, 0, 0);
	procfs_snap__free(&d);
	/* A device recreated during the window: its counters restart, which is -ERANGE. */
	assert_int_equal(procfs_snap__delta(&n2, &n1, &d), -ERANGE);
	assert_null(d.netdevs);

	procfs_snap__free(&n2);
	procfs_snap__free(&n1);
	procfs_snap__free(&c);
	procfs_snap__free(&b);
	procfs_snap__free(&a);
}

/* ---- rejecting bad input ---- */

static void test_reject_fixtures(void **state)
{
	struct procfs_snap s = {0};
	char path[PATH_MAX];

	(void)state;
	fixture_path(path, sizeof(path), "corrupt", NULL);
	assert_int_equal(procfs_snap__read(&s, path), -EINVAL);
	fixture_path(path, sizeof(path), "truncated", NULL);
	assert_int_equal(procfs_snap__read(&s, path), -EINVAL);
	fixture_path(path, sizeof(path), "no-such-dir", NULL);
	assert_int_equal(procfs_snap__read(&s, path), -ENOENT);
	assert_int_equal(s.ncpu, 0);

	/* A failed read leaves an earlier good one in place; a netdev failure appends nothing. */
	read_fixture(&s, "vm2", NULL);
	fixture_path(path, sizeof(path), "corrupt", NULL);
	assert_int_equal(procfs_snap__read(&s, path), -EINVAL);
	assert_int_equal(s.ncpu, 2);
	assert_int_equal(s.nnetdevs, 4);
	fixture_path(path, sizeof(path), "corrupt", "net_dev");
	assert_int_equal(procfs_snap__read_netdev(&s, "x", path), -EINVAL);
	fixture_path(path, sizeof(path), "truncated", "net_dev");
	assert_int_equal(procfs_snap__read_netdev(&s, "x", path), -EINVAL);
	assert_int_equal(s.nnetdevs, 4);
	/* The same namespace twice would make deltas ambiguous. */
	fixture_path(path, sizeof(path), "vm2", "net_dev");
	assert_int_equal(procfs_snap__read_netdev(&s, NULL, path), -EEXIST);
	assert_int_equal(s.nnetdevs, 4);
	assert_int_equal(procfs_snap__read_netdev(&s, "other", path), 0);
	assert_int_equal(s.nnetdevs, 8);

	/* A successful read replaces everything, netdevs included. */
	fixture_path(path, sizeof(path), "cpu4-offline", NULL);
	assert_int_equal(procfs_snap__read(&s, path), 0);
	assert_int_equal(s.ncpu, 3);
	assert_int_equal(s.nnetdevs, 0);
	procfs_snap__free(&s);
}

struct bad_case {
	const char *file;
	const char *text;
};

static const struct bad_case bad_cases[] = {
	/* /proc/stat */
	{"stat", ""},
	{"stat", "cpu  1 2 3 4 5 6 7 8\n"},			/* no cpuN line */
	{"stat", "cpu0 1 2 3 4 5 6 7 8\n"},			/* no total */
	{"stat", "cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7 8\n"}, /* 7 fields */
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu1 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 x\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8 x\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 -4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 18446744073709551616\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 0x8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpuX 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu-1 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu99999999999 1 2 3 4 5 6 7 8\n"},
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n\n"}, /* blank line */
	{"stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8"},	    /* no final newline */
	/* /proc/softirqs */
	{"softirqs", ""},
	{"softirqs", "\n"},
	{"softirqs", "          HI:          0          0\n"}, /* no header */
	{"softirqs", "     CPU0   CPUx\n"},
	{"softirqs", "     CPU1   CPU0\n"},
	{"softirqs", "     CPU0   CPU0\n"},
	{"softirqs", "     CPU0   cpu1\n"},
	{"softirqs", "     CPU0   CPU\n"},
	{"softirqs", "     CPU0   CPU1\n"}, /* no rows */
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"},
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " RCU: 0\n"}, /* short row */
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " RCU: 0 0 0\n"}, /* long row */
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " RCU: 0 0\n HI: 0 0\n"}, /* duplicate */
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " RCU 0 0\n"}, /* no colon */
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " R CU: 0 0\n"},
	{"softirqs", "     CPU0   CPU1\n HI: 0 0\n TIMER: 0 0\n NET_TX: 0 0\n NET_RX: 0 0\n"
		     " BLOCK: 0 0\n IRQ_POLL: 0 0\n TASKLET: 0 0\n SCHED: 0 0\n HRTIMER: 0 0\n"
		     " : 0 0\n RCU: 0 0\n"},
	/* /proc/interrupts */
	{"interrupts", ""},
	{"interrupts", "\n"},
	{"interrupts", " 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"},
	{"interrupts", "   CPU0  CPU1\n 24:          1  IO-APIC   5-edge      ACPI:Ged\n"},
	{"interrupts", "   CPU0  CPU1\n 24:  IO-APIC   5-edge      ACPI:Ged\n"},
	{"interrupts", "   CPU0  CPU1\nNMI:   Non-maskable interrupts\n"},
	{"interrupts", "   CPU0  CPU1\nERR:\n"},
	{"interrupts", "   CPU0  CPU1\n 24:   1   2  a\n 24:   1   2  b\n"},
	{"interrupts", "   CPU0  CPU1\n 24    1   2  a\n"},
	{"interrupts", "   CPU0  CPU1\n:    1   2  a\n"},
	{"interrupts", "   CPU0  CPU1\n2 4:    1   2  a\n"},
	{"interrupts", "   CPU0  CPU1\nABCDEFGHIJKLMNOP:    1   2  a\n"},     /* id > 15 chars */
	{"interrupts", "   CPU0  CPU1\n 24:  18446744073709551615   1  a\n"}, /* total wraps */
	{"interrupts", "   CPU0  CPU1\n 24:  99999999999999999999999   1  a\n"},
	{"interrupts", "   CPU0  CPU1\n 24:  1   2  a"},
	{"interrupts", "   CPU0  CPU1\n 24:  1   2  a\n\n"},
};

static void test_reject_variants(void **state)
{
	struct procfs_snap s = {0};
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		tmpdir_from("vm2");
		tmpfile_set(bad_cases[i].file, bad_cases[i].text);
		err = procfs_snap__read(&s, tmpdir);
		if (err != -EINVAL)
			fail_msg("case %zu (%s): got %d, want -EINVAL", i, bad_cases[i].file, err);
	}
	assert_int_equal(s.ncpu, 0);

	/* An embedded NUL would hide the rest of the file from a C-string parser. */
	tmpdir_from("vm2");
	spew(tmpdir, "stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n\0junk\n", 48);
	assert_int_equal(procfs_snap__read(&s, tmpdir), -EINVAL);
}

static const char *const bad_netdev[] = {
	"",
	"Inter-|   Receive\n",
	"Inter-|\nface |\n",
	"Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
	"Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	"Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n",
	"Inter-|\n face |\n  lo  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	"Inter-|\n face |\n  : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	"Inter-|\n face |\n  l o: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	"Inter-|\n face |\n  abcdefghijklmnop: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	("Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	 "  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"),
	"Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
	"Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n",
};

static void test_reject_netdev(void **state)
{
	struct procfs_snap s = {0};
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(bad_netdev) / sizeof(bad_netdev[0]); i++) {
		tmpfile_set("net_dev", bad_netdev[i]);
		err = procfs_snap__read_netdev(&s, NULL, tmp_netdev_path());
		if (err != -EINVAL)
			fail_msg("case %zu: got %d, want -EINVAL", i, err);
	}
	assert_int_equal(s.nnetdevs, 0);
	/* Headers only: a namespace without devices is valid and empty. */
	tmpfile_set("net_dev", "Inter-|\n face |\n");
	assert_int_equal(procfs_snap__read_netdev(&s, NULL, tmp_netdev_path()), 0);
	assert_int_equal(s.nnetdevs, 0);
	/* A 15-character name is the longest a device can have. */
	tmpfile_set("net_dev",
		    "Inter-|\n face |\nabcdefghijklmno: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
	assert_int_equal(procfs_snap__read_netdev(&s, NULL, tmp_netdev_path()), 0);
	assert_netdev(find_netdev(&s, "", "abcdefghijklmno"), 1, 2, 3, 4, 9, 10, 11, 12);
	procfs_snap__free(&s);
}

/*
 * Every prefix of every fixture file: a cut mid-line must be -EINVAL; a cut at a line end may
 * still parse. Then every byte replaced by characters that matter to the parser: 0 or -EINVAL,
 * never a crash or a leak (the SAN=1 build checks those).
 */
static void test_truncate_and_mangle_everywhere(void **state)
{
	static const char *const files[] = {"stat", "softirqs", "interrupts", "net_dev"};
	static const char mangles[] = {'x', ':', ' ', '9', '\n', '\0', '-'};
	struct procfs_snap s = {0};
	char path[PATH_MAX], *orig, *buf;
	size_t f, len, cut, m;
	int err;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		tmpdir_from("vm2");
		fixture_path(path, sizeof(path), "vm2", files[f]);
		orig = slurp(path, &len);
		buf = malloc(len);
		assert_non_null(buf);
		for (cut = 0; cut < len; cut++) {
			spew(tmpdir, files[f], orig, cut);
			if (!strcmp(files[f], "net_dev"))
				err = procfs_snap__read_netdev(&s, NULL, tmp_netdev_path());
			else
				err = procfs_snap__read(&s, tmpdir);
			if (cut == 0 || orig[cut - 1] != '\n' || !strcmp(files[f], "softirqs")) {
				if (err != -EINVAL)
					fail_msg("%s cut at %zu: got %d", files[f], cut, err);
			} else if (err && err != -EINVAL) {
				fail_msg("%s cut at %zu: got %d", files[f], cut, err);
			}
			procfs_snap__free(&s);
		}
		for (cut = 0; cut < len; cut++) {
			for (m = 0; m < sizeof(mangles); m++) {
				memcpy(buf, orig, len);
				buf[cut] = mangles[m];
				spew(tmpdir, files[f], buf, len);
				if (!strcmp(files[f], "net_dev"))
					err = procfs_snap__read_netdev(&s, NULL, tmp_netdev_path());
				else
					err = procfs_snap__read(&s, tmpdir);
				if (err && err != -EINVAL)
					fail_msg("%s byte %zu = %#x: got %d", files[f], cut,
						 mangles[m], err);
				procfs_snap__free(&s);
			}
		}
		free(buf);
		free(orig);
	}
}

/* ---- the live system ---- */

static void test_live_proc(void **state)
{
	struct procfs_snap s = {0};
	char *stat, *softirqs, *line, *save = NULL;
	unsigned ncpu = 0, v;
	size_t len;

	(void)state;
	assert_int_equal(procfs_snap__read(&s, "/proc"), 0);

	stat = slurp("/proc/stat", &len);
	for (line = strtok_r(stat, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9')
			ncpu++;
	free(stat);
	assert_true(ncpu > 0);
	assert_int_equal(s.ncpu, ncpu);
	assert_non_null(s.cpu);
	assert_non_null(s.softirq);
	assert_true(s.total.user + s.total.system + s.total.idle > 0);

	/* Every vector name we map must be a row of the live file. */
	softirqs = slurp("/proc/softirqs", &len);
	for (v = 0; v < PROCFS_NR_SOFTIRQ; v++) {
		char row[32];

		snprintf(row, sizeof(row), " %s:", procfs_softirq_names[v]);
		if (!strstr(softirqs, row))
			fail_msg("%s not in /proc/softirqs", procfs_softirq_names[v]);
	}
	free(softirqs);
	assert_true(s.nirqs > 0);

	/* NULL root means /proc. */
	assert_int_equal(procfs_snap__read(&s, NULL), 0);
	assert_int_equal(s.ncpu, ncpu);
	procfs_snap__free(&s);
}

static void test_netdev_own_netns(void **state)
{
	struct procfs_snap s = {0};
	const struct procfs_netdev *lo;
	char longname[80];

	(void)state;
	assert_int_equal(procfs_snap__read_netdev(&s, NULL, NULL), 0);
	lo = find_netdev(&s, "", "lo");
	assert_non_null(lo);
	assert_int_equal(procfs_snap__read_netdev(&s, NULL, NULL), -EEXIST);

	/* Names, not paths; missing namespaces are -ENOENT. */
	assert_int_equal(procfs_snap__read_netdev(&s, "iovb-no-such-netns-4711", NULL), -ENOENT);
	assert_int_equal(procfs_snap__read_netdev(&s, "", NULL), -EINVAL);
	assert_int_equal(procfs_snap__read_netdev(&s, ".", NULL), -EINVAL);
	assert_int_equal(procfs_snap__read_netdev(&s, "..", NULL), -EINVAL);
	assert_int_equal(procfs_snap__read_netdev(&s, "../../proc/1/ns/net", NULL), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(procfs_snap__read_netdev(&s, longname, NULL), -ENAMETOOLONG);
	assert_int_equal(procfs_snap__read_netdev(NULL, NULL, NULL), -EINVAL);
	procfs_snap__free(&s);
}

/* ---- a named netns (root only) ---- */

struct netns_maker {
	const char *path;
	int err;
};

/* Make a fresh netns in a throwaway thread and pin it at path, as `ip netns add` does. */
static void *netns_maker__run(void *arg)
{
	struct netns_maker *m = arg;

	if (unshare(CLONE_NEWNET) ||
	    mount("/proc/thread-self/ns/net", m->path, NULL, MS_BIND, NULL))
		m->err = -errno;
	return NULL;
}

static ino_t own_netns_ino(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static void test_netdev_named_netns(void **state)
{
	struct procfs_snap s = {0};
	struct netns_maker m = {0};
	char name[64], path[PATH_MAX];
	pthread_t t;
	ino_t before, after;
	int fd, err;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(name, sizeof(name), "iovb-unit-%d", (int)getpid());
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		skip();
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0444);
	if (fd < 0)
		skip();
	close(fd);
	m.path = path;
	assert_int_equal(pthread_create(&t, NULL, netns_maker__run, &m), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (m.err) {
		/* No CAP_SYS_ADMIN after all (a restricted container): nothing to test. */
		unlink(path);
		skip();
	}

	/* Undo the mount before asserting, so a failure leaves nothing behind in /run/netns. */
	before = own_netns_ino();
	err = procfs_snap__read_netdev(&s, name, NULL);
	after = own_netns_ino();
	umount2(path, MNT_DETACH);
	unlink(path);
	assert_int_equal(err, 0);
	assert_int_equal(after, before);

	/* A new namespace has exactly one device, lo, untouched: proof we read that one. */
	assert_int_equal(s.nnetdevs, 1);
	assert_netdev(find_netdev(&s, name, "lo"), 0, 0, 0, 0, 0, 0, 0, 0);
	procfs_snap__free(&s);
}

/* ---- setup ---- */

static int find_fixtures(void)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("IOVB_FIXTURES");
	ssize_t n;

	if (env && *env) {
		snprintf(fixtures, sizeof(fixtures), "%s", env);
		return dir_exists(fixtures) ? 0 : -1;
	}
	/* tests/unit/test_procfs.c -> tests/fixtures/procfs, relative to where we were built. */
	snprintf(fixtures, sizeof(fixtures), "%s", __FILE__);
	slash = strrchr(fixtures, '/');
	if (slash) {
		snprintf(slash, sizeof(fixtures) - (slash - fixtures), "/../fixtures/procfs");
		if (dir_exists(fixtures))
			return 0;
	}
	/* build/tests/test_procfs -> tests/fixtures/procfs */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (snprintf(fixtures, sizeof(fixtures), "%s/../../tests/fixtures/procfs", exe) >=
	    (int)sizeof(fixtures))
		return -1;
	return dir_exists(fixtures) ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	if (find_fixtures()) {
		fprintf(stderr, "test_procfs: fixtures not found (run from the repository root "
				"or set IOVB_FIXTURES)\n");
		return -1;
	}
	/* The mangling test rewrites files ~35000 times: use RAM if there is some. */
	snprintf(tmpdir, sizeof(tmpdir), "%s/iovb-test-procfs-XXXXXX",
		 dir_exists("/dev/shm") ? "/dev/shm" : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	static const char *const files[] = {"stat", "softirqs", "interrupts", "net_dev"};
	char path[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_vm2),
		cmocka_unit_test(test_read_cpu4_offline),
		cmocka_unit_test(test_softirqs_offline_column_missing),
		cmocka_unit_test(test_softirqs_order_and_unknown),
		cmocka_unit_test(test_accept_variants),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_delta_errors),
		cmocka_unit_test(test_reject_fixtures),
		cmocka_unit_test(test_reject_variants),
		cmocka_unit_test(test_reject_netdev),
		cmocka_unit_test(test_truncate_and_mangle_everywhere),
		cmocka_unit_test(test_live_proc),
		cmocka_unit_test(test_netdev_own_netns),
		cmocka_unit_test(test_netdev_named_netns),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
