// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for collectors/threads.c: /proc stat lines (hostile comm, flags, short lines),
 * what a kernel thread is (ksoftirqd/N, napi/DEV-ID, impostors without PF_KTHREAD), and the
 * network kernel threads' scan over a fake /proc made here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "iovb/threads.h"

#define KTHREAD 0x00208040U /* PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC, as ksoftirqd has */

static void test_parse_stat(void **state)
{
	struct thread_cpu t = { 0 };
	(void)state;

	assert_int_equal(threads__parse_stat("14 (ksoftirqd/0) S 2 0 0 0 -1 69238848 0 0 0 0 "
					     "3 1234 0 0 20 0 1 0 9 0 0",
					     &t),
			 0);
	assert_string_equal(t.comm, "ksoftirqd/0");
	assert_int_equal(t.flags, 69238848);
	assert_int_equal(t.utime_ticks, 3);
	assert_int_equal(t.stime_ticks, 1234);
	/* comm with spaces and parentheses: the last ')' ends it */
	assert_int_equal(
		threads__parse_stat("99 (a) b (c)) R 1 99 99 0 -1 4194304 5 0 0 0 7 8 0", &t), 0);
	assert_string_equal(t.comm, "a) b (c)");
	assert_int_equal(t.utime_ticks, 7);
	assert_int_equal(t.stime_ticks, 8);
	/* truncated before stime, no comm, no space after ')' */
	assert_int_equal(threads__parse_stat("14 (x) S 2 0 0 0 -1 1 0 0 0 0 3", &t), -EINVAL);
	assert_int_equal(threads__parse_stat("14 x S 2 0 0 0 -1 1 0 0 0 0 3 4", &t), -EINVAL);
	assert_int_equal(threads__parse_stat("14 (x)S 2 0 0 0 -1 1 0 0 0 0 3 4", &t), -EINVAL);
	assert_int_equal(threads__parse_stat("14 (x) S 2 0 0 0 -1 zz 0 0 0 0 3 4", &t), -EINVAL);
}

static void test_kind(void **state)
{
	int cpu = 7;
	(void)state;

	assert_int_equal(threads__kind("ksoftirqd/0", KTHREAD, &cpu), THREAD_KIND_KSOFTIRQD);
	assert_int_equal(cpu, 0);
	assert_int_equal(threads__kind("ksoftirqd/127", KTHREAD, &cpu), THREAD_KIND_KSOFTIRQD);
	assert_int_equal(cpu, 127);
	assert_int_equal(threads__kind("napi/veth0-8193", KTHREAD, &cpu), THREAD_KIND_NAPI);
	assert_int_equal(cpu, -1);
	/* a user process may call itself anything: without PF_KTHREAD it is none of these */
	assert_int_equal(threads__kind("ksoftirqd/0", 0x00400000U, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("napi/eth0-1", 0, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("ksoftirqd/", KTHREAD, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("ksoftirqd/1x", KTHREAD, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("ksoftirqd/99999", KTHREAD, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("napi/", KTHREAD, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(threads__kind("kworker/0:1", KTHREAD, &cpu), THREAD_KIND_OTHER);
	assert_int_equal(cpu, -1);
}

static void put(const char *dir, const char *pid, const char *file, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, pid, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_tree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static const struct thread_cpu *find(const struct threads_snap *s, uint32_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].pid == pid)
			return &s->t[i];
	return NULL;
}

static void test_scan_fake_proc(void **state)
{
	char dir[] = "/tmp/iovb-threads-XXXXXX";
	struct threads_snap a = { 0 }, b = { 0 }, d = { 0 };
	const struct thread_cpu *t;
	(void)state;

	assert_non_null(mkdtemp(dir));
	put(dir, "14", "stat", "14 (ksoftirqd/0) S 2 0 0 0 -1 2129984 0 0 0 0 0 100 0\n");
	put(dir, "14", "schedstat", "1000000000 5 6\n");
	put(dir, "22", "stat", "22 (ksoftirqd/1) S 2 0 0 0 -1 2129984 0 0 0 0 0 40 0\n");
	put(dir, "22", "schedstat", "400000000 5 6\n");
	put(dir, "300", "stat", "300 (napi/veth0-8193) S 2 0 0 0 -1 2129984 0 0 0 0 0 3 0\n");
	put(dir, "300", "schedstat", "30000000 1 1\n");
	/* a user process named like ksoftirqd, a kworker, junk entries: none listed */
	put(dir, "500", "stat", "500 (ksoftirqd/0) R 1 1 1 0 -1 4194560 0 0 0 0 9 9 0\n");
	put(dir, "500", "schedstat", "9 9 9\n");
	put(dir, "600", "stat", "600 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 1 0\n");
	put(dir, "600", "schedstat", "1 1 1\n");
	put(dir, "self", "stat", "1 (ksoftirqd/3) S 2 0 0 0 -1 2129984 0 0 0 0 0 1 0\n");
	put(dir, "700", "stat", "700 (ksoftirqd/2) S 2 0 0 0 -1 2129984 0 0 0 0 0 1 0\n");
	/* 700 has no schedstat: gone between its reads, skipped */

	assert_int_equal(threads_snap__add_net_kthreads(&a, dir, "host"), 0);
	assert_int_equal(a.n, 3);
	t = find(&a, 14);
	assert_non_null(t);
	assert_int_equal(t->kind, THREAD_KIND_KSOFTIRQD);
	assert_int_equal(t->kcpu, 0);
	assert_int_equal(t->tid, 14);
	assert_int_equal(t->cpu_ns, 1000000000ULL);
	assert_int_equal(t->stime_ticks, 100);
	assert_string_equal(t->role, "host");
	t = find(&a, 300);
	assert_non_null(t);
	assert_int_equal(t->kind, THREAD_KIND_NAPI);
	assert_int_equal(t->kcpu, -1);
	assert_null(find(&a, 500));
	assert_null(find(&a, 600));
	assert_null(find(&a, 700));

	/* a window later: deltas per thread */
	put(dir, "14", "stat", "14 (ksoftirqd/0) S 2 0 0 0 -1 2129984 0 0 0 0 0 150 0\n");
	put(dir, "14", "schedstat", "1500000000 9 9\n");
	assert_int_equal(threads_snap__add_net_kthreads(&b, dir, "host"), 0);
	assert_int_equal(threads_snap__delta(&a, &b, &d), 0);
	t = find(&d, 14);
	assert_non_null(t);
	assert_int_equal(t->cpu_ns, 500000000ULL);
	assert_int_equal(t->stime_ticks, 50);
	assert_int_equal(t->kind, THREAD_KIND_KSOFTIRQD);
	t = find(&d, 22);
	assert_non_null(t);
	assert_int_equal(t->cpu_ns, 0);

	assert_int_equal(threads_snap__add_net_kthreads(&b, "/nonexistent-iovb", "host"), -ENOENT);
	threads_snap__free(&a);
	threads_snap__free(&b);
	threads_snap__free(&d);
	rm_tree(dir);
}

/* The live /proc: every CPU has its ksoftirqd/N, all found, each a kernel thread. */
static void test_scan_live(void **state)
{
	struct threads_snap s = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t ksd = 0;
	(void)state;

	assert_int_equal(threads_snap__add_net_kthreads(&s, "/proc", "host"), 0);
	for (size_t i = 0; i < s.n; i++) {
		assert_true(s.t[i].flags & 0x00200000U);
		if (s.t[i].kind == THREAD_KIND_KSOFTIRQD) {
			assert_true(s.t[i].kcpu >= 0);
			ksd++;
		}
	}
	assert_true(ncpu > 0);
	assert_true(ksd >= (size_t)ncpu);
	threads_snap__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_scan_fake_proc),
		cmocka_unit_test(test_scan_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
