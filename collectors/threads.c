// SPDX-License-Identifier: GPL-2.0
/* Per-thread CPU of the run's own processes, from /proc/PID/task. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/threads.h"

/* Parse "name (comm) S f4 ... f14 f15" without trusting comm (it may hold spaces or parens). */
static int parse_stat(const char *line, struct thread_cpu *t)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	const char *p;
	unsigned long long ut, st;
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
	if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	t->utime_ticks = ut;
	t->stime_ticks = st;
	return 0;
}

static int read_thread(pid_t pid, const char *tid_s, struct thread_cpu *t)
{
	char path[320], line[1024];
	unsigned long long ns;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, tid_s);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		err = -EIO;
	fclose(f);
	if (err)
		return err;
	err = parse_stat(line, t);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, tid_s);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &ns) != 1)
		err = -EINVAL;
	fclose(f);
	t->cpu_ns = ns;
	return err;
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
		struct thread_cpu t = { 0 }, *nt;
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
