// SPDX-License-Identifier: GPL-2.0
/* Per-thread CPU of the run's own processes, from /proc/PID/task. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/threads.h"

#define THREADS_PF_KTHREAD 0x00200000U /* include/linux/sched.h */

/* Parse "name (comm) S f4 ... f14 f15" without trusting comm (it may hold spaces or parens). */
int threads__parse_stat(const char *line, struct thread_cpu *t)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	const char *p;
	unsigned long long ut, st;
	unsigned int flags;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(t->comm))
		n = sizeof(t->comm) - 1;
	memcpy(t->comm, open + 1, n);
	t->comm[n] = '\0';
	/* After ") " come fields 3..: state(3) ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15). */
	p = close + 2;
	if (close[1] != ' ' || sscanf(p, "%*c %*d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu",
				      &flags, &ut, &st) != 3)
		return -EINVAL;
	t->flags = flags;
	t->utime_ticks = ut;
	t->stime_ticks = st;
	return 0;
}

/*
 * One task's figures from DIR (/proc/PID/task/TID, or /proc/PID of a kernel thread): stat, then
 * schedstat. With kthread, a task that is not one of the kernel's network threads is -ENOENT.
 */
static int read_task_dir(const char *dir, struct thread_cpu *t, bool kthread)
{
	char path[PATH_MAX], line[1024];
	unsigned long long ns;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/stat", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		err = -EIO;
	fclose(f);
	if (err)
		return err;
	err = threads__parse_stat(line, t);
	if (err)
		return err;
	if (kthread) {
		t->kind = threads__kind(t->comm, t->flags, &t->kcpu);
		if (t->kind == THREAD_KIND_OTHER)
			return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/schedstat", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &ns) == 1)
		t->cpu_ns = ns;
	else
		err = -EINVAL;
	fclose(f);
	return err;
}

static int read_thread(pid_t pid, const char *tid_s, struct thread_cpu *t)
{
	char dir[320];

	snprintf(dir, sizeof(dir), "/proc/%d/task/%s", (int)pid, tid_s);
	return read_task_dir(dir, t, false);
}

int threads_snap__add(struct threads_snap *s, pid_t pid, const char *role)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(dir))) {
		struct thread_cpu t = { .kcpu = -1 }, *nt;
		char *end;
		unsigned long tid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		tid = strtoul(de->d_name, &end, 10);
		if (*end)
			continue;
		/* A thread may exit between readdir and open: skip it, it has nothing left to count. */
		if (read_thread(pid, de->d_name, &t))
			continue;
		t.pid = (uint32_t)pid;
		t.tid = (uint32_t)tid;
		snprintf(t.role, sizeof(t.role), "%s", role);
		nt = realloc(s->t, (s->n + 1) * sizeof(*nt));
		if (!nt) {
			err = -ENOMEM;
			break;
		}
		s->t = nt;
		s->t[s->n++] = t;
	}
	closedir(dir);
	return err;
}

enum thread_kind threads__kind(const char *comm, uint32_t flags, int *cpu)
{
	unsigned long n;
	char *end;

	*cpu = -1;
	if (!(flags & THREADS_PF_KTHREAD))
		return THREAD_KIND_OTHER;
	if (!strncmp(comm, "ksoftirqd/", 10)) {
		errno = 0;
		n = strtoul(comm + 10, &end, 10);
		if (end == comm + 10 || *end || errno || n > 65535)
			return THREAD_KIND_OTHER;
		*cpu = (int)n;
		return THREAD_KIND_KSOFTIRQD;
	}
	if (!strncmp(comm, "napi/", 5) && comm[5])
		return THREAD_KIND_NAPI;
	return THREAD_KIND_OTHER;
}

/* A kernel thread is its own single-threaded process: /proc/PID/stat and schedstat. */
static int read_kthread(const char *proc, const char *pid_s, struct thread_cpu *t)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", proc, pid_s);
	return read_task_dir(dir, t, true);
}

int threads_snap__add_net_kthreads(struct threads_snap *s, const char *proc, const char *role)
{
	struct dirent *de;
	DIR *dir;
	int err = 0;

	dir = opendir(proc);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct thread_cpu t = { .kcpu = -1 }, *nt;
		unsigned long pid;
		char *end;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid = strtoul(de->d_name, &end, 10);
		if (*end || pid > UINT32_MAX)
			continue;
		/* not ours, gone since readdir, or unreadable: nothing to count */
		if (read_kthread(proc, de->d_name, &t))
			continue;
		t.pid = t.tid = (uint32_t)pid;
		snprintf(t.role, sizeof(t.role), "%s", role);
		nt = realloc(s->t, (s->n + 1) * sizeof(*nt));
		if (!nt) {
			err = -ENOMEM;
			break;
		}
		s->t = nt;
		s->t[s->n++] = t;
	}
	closedir(dir);
	return err;
}

int threads_snap__delta(const struct threads_snap *start, const struct threads_snap *end,
			struct threads_snap *out)
{
	out->t = calloc(end->n ? end->n : 1, sizeof(*out->t));
	out->n = 0;
	if (!out->t)
		return -ENOMEM;
	for (size_t i = 0; i < end->n; i++) {
		struct thread_cpu d = end->t[i];

		for (size_t j = 0; j < start->n; j++) {
			const struct thread_cpu *s = &start->t[j];

			if (s->tid != d.tid)
				continue;
			if (s->cpu_ns > d.cpu_ns || s->utime_ticks > d.utime_ticks ||
			    s->stime_ticks > d.stime_ticks) {
				threads_snap__free(out);
				return -ERANGE;
			}
			d.cpu_ns -= s->cpu_ns;
			d.utime_ticks -= s->utime_ticks;
			d.stime_ticks -= s->stime_ticks;
			break;
		}
		out->t[out->n++] = d;
	}
	return 0;
}

void threads_snap__free(struct threads_snap *s)
{
	if (!s)
		return;
	free(s->t);
	s->t = NULL;
	s->n = 0;
}
