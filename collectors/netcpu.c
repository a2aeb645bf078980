// SPDX-License-Identifier: GPL-2.0
/*
 * netcpu collector, user side: loads netcpu.bpf.c (tp_btf, or raw_tp where tp_btf does not
 * load), snapshots its counters at start and stop and hands back the deltas.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "iovb/errf.h"
#include "iovb/netcpu.h"
#include "netcpu.h"
#include "netcpu.skel.h"

_Static_assert(NC_NR_VEC == NETCPU_NR_VEC, "BPF and public vector counts differ");
_Static_assert(NC_HIST_SLOTS == NETCPU_HIST_SLOTS, "BPF and public histogram sizes differ");
_Static_assert(NC_PHASES == NETCPU_TICK_PHASES, "BPF and public tick phase counts differ");
_Static_assert(sizeof(struct nc_dev_val) % 8 == 0, "per-CPU values must be 8-byte multiples");
_Static_assert(sizeof(struct nc_irq_val) % 8 == 0, "per-CPU values must be 8-byte multiples");
_Static_assert(sizeof(((struct netcpu_dev *)0)->poll_fn) == 64, "kallsyms scan reads %63s");

const char *const netcpu_vec_names[NETCPU_NR_VEC] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};

struct snap_dev {
	struct nc_dev_key key;
	struct nc_dev_val v; /* summed over CPUs; name, kind, poll_fn from any CPU that has them */
};

struct snap_irq {
	__u32 irq;
	struct nc_irq_val v;
};

struct snap_task {
	__u32 tid;
	__u64 ns;
};

/* The running counters at one instant. */
struct nc_snap {
	__u64 *vec_count; /* [vec * ncpu + cpu] */
	__u64 *vec_ns;
	__u64 *vec_ksd_ns;
	struct nc_tick_ctr *ticks; /* [ncpu] */
	__u64 phase_ns[NC_PHASES]; /* summed over CPUs */
	__u64 *vec_hist; /* [vec * NC_HIST_SLOTS + k], summed over CPUs */
	__u64 attr_ns;
	struct snap_dev *devs;
	size_t ndevs;
	struct snap_irq *irqs;
	size_t nirqs;
	struct snap_task *tasks;
	size_t ntasks;
	__u64 run_ns;
	__u64 run_cnt;
	struct netcpu_prog *progs; /* [nprogs] cumulative, in bpf_object program order */
	size_t nprogs;
};

/* Kernel text symbol, for naming napi->poll. */
struct ksym {
	__u64 addr;
	char name[64];
};

struct netcpu {
	struct netcpu_bpf *skel;
	unsigned ncpu;
	int stats_fd; /* keeps kernel.bpf_stats_enabled on while open; -1 if it could not */
	char attach[8];
	bool started;
	struct nc_snap start;
	bool have_end; /* netcpu__mark_end took the window's end snapshot */
	struct nc_snap end;
	__u64 tick_fn;	    /* the tick's hrtimer function, 0 if kallsyms did not say */
	struct ksym *ksyms; /* sorted by addr */
	size_t nksyms, ksyms_cap;
};

/* libbpf talks on stderr by default; a library must not, unless the user asked for it. */
static int nc_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("IOVB_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void nc_err(char *err, size_t errlen, const char *what, const char *mode, int ret)
{
	iovb_errf(err, errlen, "bpf: %s netcpu (%s) failed: %s%s", what, mode, strerror(-ret),
		ret == -EPERM || ret == -EACCES ? " (needs root / CAP_BPF)" : "");
}

static void snap_free(struct nc_snap *s)
{
	free(s->vec_count);
	free(s->vec_ns);
	free(s->vec_ksd_ns);
	free(s->ticks);
	free(s->vec_hist);
	free(s->devs);
	free(s->irqs);
	free(s->tasks);
	free(s->progs);
	memset(s, 0, sizeof(*s));
}

static int cmp_dev(const void *a, const void *b)
{
	const struct nc_dev_key *x = &((const struct snap_dev *)a)->key;
	const struct nc_dev_key *y = &((const struct snap_dev *)b)->key;

	if (x->netns_ino != y->netns_ino)
		return x->netns_ino < y->netns_ino ? -1 : 1;
	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static int cmp_irq(const void *a, const void *b)
{
	__u32 x = ((const struct snap_irq *)a)->irq, y = ((const struct snap_irq *)b)->irq;

	return x < y ? -1 : x > y;
}

static int cmp_task(const void *a, const void *b)
{
	__u32 x = ((const struct snap_task *)a)->tid, y = ((const struct snap_task *)b)->tid;

	return x < y ? -1 : x > y;
}

static void snap_read_bss(struct netcpu *nc, struct nc_snap *s)
{
	const volatile struct netcpu_bpf__bss *bss = nc->skel->bss;
	unsigned cpu, vec, k;

	for (cpu = 0; cpu < nc->ncpu; cpu++) {
		for (vec = 0; vec < NC_NR_VEC; vec++) {
			s->vec_count[vec * nc->ncpu + cpu] = bss->vec_count[cpu * NC_NR_VEC + vec];
			s->vec_ns[vec * nc->ncpu + cpu] = bss->vec_ns[cpu * NC_NR_VEC + vec];
			s->vec_ksd_ns[vec * nc->ncpu + cpu] =
				bss->vec_ksd_ns[cpu * NC_NR_VEC + vec];
			for (k = 0; k < NC_HIST_SLOTS; k++)
				s->vec_hist[vec * NC_HIST_SLOTS + k] +=
					bss->vec_hist[((size_t)cpu * NC_NR_VEC + vec) *
							      NC_HIST_SLOTS + k];
		}
		s->attr_ns += bss->cpu_ctr[cpu].rx_attr_ns;
		memcpy(&s->ticks[cpu], (const void *)&bss->tick_ctr[cpu], sizeof(s->ticks[cpu]));
		for (k = 0; k < NC_PHASES; k++)
			s->phase_ns[k] += bss->phase_ns[(size_t)cpu * NC_PHASES + k];
	}
}

static int snap_read_devs(struct netcpu *nc, struct nc_snap *s)
{
	int fd = bpf_map__fd(nc->skel->maps.devs);
	size_t cap = bpf_map__max_entries(nc->skel->maps.devs);
	struct nc_dev_key key, next;
	struct nc_dev_val *vals = NULL;
	struct snap_dev *d;
	void *prev = NULL;
	unsigned cpu;
	int err = 0;

	vals = calloc(nc->ncpu, sizeof(*vals));
	s->devs = calloc(cap, sizeof(*s->devs));
	if (!vals || !s->devs) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (s->ndevs < cap && !(err = bpf_map_get_next_key(fd, prev, &next))) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		d = &s->devs[s->ndevs++];
		d->key = key;
		for (cpu = 0; cpu < nc->ncpu; cpu++) {
			d->v.ns += vals[cpu].ns;
			d->v.polls += vals[cpu].polls;
			d->v.packets += vals[cpu].packets;
			d->v.backlog_ns += vals[cpu].backlog_ns;
			if (vals[cpu].poll_fn)
				d->v.poll_fn = vals[cpu].poll_fn;
			if (vals[cpu].name[0])
				memcpy(d->v.name, vals[cpu].name, sizeof(d->v.name));
			if (vals[cpu].kind[0])
				memcpy(d->v.kind, vals[cpu].kind, sizeof(d->v.kind));
		}
		d->v.name[sizeof(d->v.name) - 1] = '\0';
		d->v.kind[sizeof(d->v.kind) - 1] = '\0';
	}
	if (err == -ENOENT || s->ndevs == cap)
		err = 0;
	qsort(s->devs, s->ndevs, sizeof(*s->devs), cmp_dev);
cleanup:
	free(vals);
	return err;
}

static int snap_read_irqs(struct netcpu *nc, struct nc_snap *s)
{
	int fd = bpf_map__fd(nc->skel->maps.irqs);
	size_t cap = bpf_map__max_entries(nc->skel->maps.irqs);
	struct nc_irq_val *vals = NULL;
	struct snap_irq *q;
	__u32 key, next;
	void *prev = NULL;
	unsigned cpu;
	int err = 0;

	vals = calloc(nc->ncpu, sizeof(*vals));
	s->irqs = calloc(cap, sizeof(*s->irqs));
	if (!vals || !s->irqs) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (s->nirqs < cap && !(err = bpf_map_get_next_key(fd, prev, &next))) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		q = &s->irqs[s->nirqs++];
		q->irq = key;
		for (cpu = 0; cpu < nc->ncpu; cpu++) {
			q->v.ns += vals[cpu].ns;
			q->v.count += vals[cpu].count;
			if (vals[cpu].name[0])
				memcpy(q->v.name, vals[cpu].name, sizeof(q->v.name));
		}
		q->v.name[sizeof(q->v.name) - 1] = '\0';
	}
	if (err == -ENOENT || s->nirqs == cap)
		err = 0;
	qsort(s->irqs, s->nirqs, sizeof(*s->irqs), cmp_irq);
cleanup:
	free(vals);
	return err;
}

static int snap_read_tasks(struct netcpu *nc, struct nc_snap *s)
{
	int fd = bpf_map__fd(nc->skel->maps.tasks);
	size_t cap = bpf_map__max_entries(nc->skel->maps.tasks), i, n;
	__u32 key, next;
	void *prev = NULL;
	int err = 0;
	__u64 v;

	s->tasks = calloc(cap, sizeof(*s->tasks));
	if (!s->tasks) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (s->ntasks < cap && !(err = bpf_map_get_next_key(fd, prev, &next))) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		s->tasks[s->ntasks].tid = key;
		s->tasks[s->ntasks].ns = v;
		s->ntasks++;
	}
	if (err == -ENOENT || s->ntasks == cap)
		err = 0;
	qsort(s->tasks, s->ntasks, sizeof(*s->tasks), cmp_task);
	/* an LRU eviction mid-walk restarts get_next_key: drop the repeats it yields */
	for (i = 0, n = 0; i < s->ntasks; i++) {
		if (n && s->tasks[n - 1].tid == s->tasks[i].tid)
			continue;
		s->tasks[n++] = s->tasks[i];
	}
	s->ntasks = n;
cleanup:
	return err;
}

/* Each loaded program's cumulative run time and count, in program order (same every call). */
static int snap_read_progs(struct netcpu *nc, struct nc_snap *s)
{
	struct bpf_program *prog;
	struct bpf_prog_info info;
	struct netcpu_prog *p;
	size_t n = 0;
	__u32 len;
	int fd;

	for (prog = bpf_object__next_program(nc->skel->obj, NULL); prog;
	     prog = bpf_object__next_program(nc->skel->obj, prog))
		n++;
	s->progs = calloc(n ? n : 1, sizeof(*s->progs));
	if (!s->progs)
		return -ENOMEM;
	for (prog = bpf_object__next_program(nc->skel->obj, NULL); prog;
	     prog = bpf_object__next_program(nc->skel->obj, prog)) {
		fd = bpf_program__fd(prog);
		if (!bpf_program__autoload(prog) || fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		p = &s->progs[s->nprogs++];
		snprintf(p->name, sizeof(p->name), "%s", bpf_program__name(prog));
		p->run_ns = info.run_time_ns;
		p->run_cnt = info.run_cnt;
		p->misses = info.recursion_misses;
		s->run_ns += info.run_time_ns;
		s->run_cnt += info.run_cnt;
	}
	return 0;
}

/*
 * The softirq counts are compared with /proc/softirqs read just outside start/stop, so they are
 * read first at start and last at stop: the map walks then fall inside their window.
 */
static int snap_take(struct netcpu *nc, struct nc_snap *s, bool bss_first)
{
	size_t n = (size_t)NC_NR_VEC * nc->ncpu;
	int err = 0;

	s->vec_count = calloc(n, sizeof(*s->vec_count));
	s->vec_ns = calloc(n, sizeof(*s->vec_ns));
	s->vec_ksd_ns = calloc(n, sizeof(*s->vec_ksd_ns));
	s->ticks = calloc(nc->ncpu, sizeof(*s->ticks));
	s->vec_hist = calloc((size_t)NC_NR_VEC * NC_HIST_SLOTS, sizeof(*s->vec_hist));
	if (!s->vec_count || !s->vec_ns || !s->vec_ksd_ns || !s->ticks || !s->vec_hist) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (bss_first)
		snap_read_bss(nc, s);
	err = snap_read_devs(nc, s);
	if (err)
		goto cleanup;
	err = snap_read_irqs(nc, s);
	if (err)
		goto cleanup;
	err = snap_read_tasks(nc, s);
	if (err)
		goto cleanup;
	err = snap_read_progs(nc, s);
	if (err)
		goto cleanup;
	if (!bss_first)
		snap_read_bss(nc, s);
cleanup:
	if (err)
		snap_free(s);
	return err;
}

static __u64 delta(__u64 end, __u64 start)
{
	/* an entry recreated in the window (LRU) restarts from 0: its end value is the delta */
	return end >= start ? end - start : end;
}

static int cmp_ksym(const void *a, const void *b)
{
	__u64 x = ((const struct ksym *)a)->addr, y = ((const struct ksym *)b)->addr;

	return x < y ? -1 : x > y;
}

static const struct ksym *ksym_find(const struct netcpu *nc, __u64 addr)
{
	struct ksym key = { .addr = addr };

	return bsearch(&key, nc->ksyms, nc->nksyms, sizeof(*nc->ksyms), cmp_ksym);
}

static int ksym_add(struct netcpu *nc, __u64 addr, const char *name)
{
	struct ksym *grown;
	size_t ncap;

	if (nc->nksyms == nc->ksyms_cap) {
		ncap = nc->ksyms_cap ? 2 * nc->ksyms_cap : 256;
		grown = realloc(nc->ksyms, ncap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		nc->ksyms = grown;
		nc->ksyms_cap = ncap;
	}
	nc->ksyms[nc->nksyms].addr = addr;
	snprintf(nc->ksyms[nc->nksyms].name, sizeof(nc->ksyms[nc->nksyms].name), "%s", name);
	nc->nksyms++;
	return 0;
}

/*
 * Add to nc->ksyms the text symbols of /proc/kallsyms that match: all those containing "poll"
 * (want == NULL), or the addresses in want[0..n). The file takes ~0.1 s to read, so it is
 * read at open and again only for a poll function no earlier scan knew. Best effort: with
 * hidden addresses (kptr_restrict) nothing is added and poll_fn stays "".
 */
static void ksyms_scan(struct netcpu *nc, const __u64 *want, size_t n)
{
	char *line = NULL, name[sizeof(((struct netcpu_dev *)0)->poll_fn)];
	unsigned long long a;
	size_t cap = 0, i, added = 0;
	char type;
	bool hit;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%llx %c %63s", &a, &type, name) != 3 || !a)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (want) {
			for (i = 0, hit = false; i < n && !hit; i++)
				hit = want[i] == a;
		} else {
			hit = strstr(name, "poll") != NULL;
			/* the tick's hrtimer function: 6.9+ and older kernels */
			if (!strcmp(name, "tick_nohz_handler") || !strcmp(name, "tick_sched_timer"))
				nc->tick_fn = a;
		}
		if (!hit)
			continue;
		if (ksym_add(nc, a, name))
			break;
		added++;
	}
	free(line);
	fclose(f);
	if (added)
		qsort(nc->ksyms, nc->nksyms, sizeof(*nc->ksyms), cmp_ksym);
}

/* Name the poll functions of devs[i] (addr[i], 0 for none) from the symbol cache. */
static void resolve_poll_fns(struct netcpu *nc, struct netcpu_dev *devs, const __u64 *addr,
			     size_t n)
{
	const struct ksym *k;
	__u64 *miss = NULL;
	size_t i, nmiss = 0;

	for (i = 0; i < n; i++)
		nmiss += addr[i] && !ksym_find(nc, addr[i]);
	if (nmiss)
		miss = calloc(nmiss, sizeof(*miss));
	if (miss) {
		for (i = 0, nmiss = 0; i < n; i++)
			if (addr[i] && !ksym_find(nc, addr[i]))
				miss[nmiss++] = addr[i];
		ksyms_scan(nc, miss, nmiss);
		/* remember what kallsyms does not name either, so it is not scanned for again */
		for (i = 0; i < nmiss; i++)
			if (!ksym_find(nc, miss[i]) && !ksym_add(nc, miss[i], ""))
				qsort(nc->ksyms, nc->nksyms, sizeof(*nc->ksyms), cmp_ksym);
	}
	for (i = 0; i < n; i++) {
		k = addr[i] ? ksym_find(nc, addr[i]) : NULL;
		if (k)
			snprintf(devs[i].poll_fn, sizeof(devs[i].poll_fn), "%s", k->name);
	}
	free(miss);
}

/* A device seen only by (netns inode, ifindex): its name and driver, looked up in that netns. */
struct dev_lookup {
	char path[300];
	uint32_t ifindex;
	char name[16];
	char kind[16];
};

static void *dev_lookup_thread(void *p)
{
	struct dev_lookup *l = p;
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd, sock;

	/* setns changes only this short-lived thread's namespace, never the caller's. */
	fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (setns(fd, CLONE_NEWNET) == 0 && if_indextoname(l->ifindex, ifr.ifr_name)) {
		snprintf(l->name, sizeof(l->name), "%s", ifr.ifr_name);
		sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ifr.ifr_data = (void *)&info;
		if (sock >= 0 && ioctl(sock, SIOCETHTOOL, &ifr) == 0)
			snprintf(l->kind, sizeof(l->kind), "%s", info.driver);
		if (sock >= 0)
			close(sock);
	}
	close(fd);
	return NULL;
}

/* Find the netns with inode ino among /run/netns and our own; "" if none. */
static void netns_path(uint64_t ino, char *path, size_t len)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;

	path[0] = '\0';
	if (stat("/proc/self/ns/net", &st) == 0 && st.st_ino == ino) {
		snprintf(path, len, "/proc/self/ns/net");
		return;
	}
	dir = opendir("/run/netns");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		char p[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/run/netns/%s", de->d_name);
		if (stat(p, &st) == 0 && st.st_ino == ino) {
			snprintf(path, len, "%s", p);
			break;
		}
	}
	closedir(dir);
}

static void name_unnamed_devs(struct netcpu_dev *devs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct dev_lookup l = { .ifindex = devs[i].ifindex };
		pthread_t th;

		if (devs[i].name[0])
			continue;
		netns_path(devs[i].netns_ino, l.path, sizeof(l.path));
		if (!l.path[0] || pthread_create(&th, NULL, dev_lookup_thread, &l))
			continue;
		pthread_join(th, NULL);
		snprintf(devs[i].name, sizeof(devs[i].name), "%s", l.name);
		if (!devs[i].kind[0])
			snprintf(devs[i].kind, sizeof(devs[i].kind), "%s", l.kind);
	}
}

static int fill_devs(struct netcpu *nc, const struct nc_snap *a, const struct nc_snap *b,
		     struct netcpu_stats *out)
{
	const struct snap_dev *d, *s;
	struct snap_dev zero = { 0 };
	struct netcpu_dev *o;
	__u64 *addr = NULL;
	size_t i;
	int err = 0;

	out->devs = calloc(b->ndevs ? b->ndevs : 1, sizeof(*out->devs));
	addr = calloc(b->ndevs ? b->ndevs : 1, sizeof(*addr));
	if (!out->devs || !addr) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < b->ndevs; i++) {
		d = &b->devs[i];
		s = bsearch(d, a->devs, a->ndevs, sizeof(*a->devs), cmp_dev);
		if (!s)
			s = &zero;
		o = &out->devs[out->ndevs];
		o->ns = delta(d->v.ns, s->v.ns);
		o->polls = delta(d->v.polls, s->v.polls);
		o->packets = delta(d->v.packets, s->v.packets);
		o->backlog_ns = delta(d->v.backlog_ns, s->v.backlog_ns);
		if (!o->ns && !o->polls && !o->packets)
			continue;
		o->netns_ino = d->key.netns_ino;
		o->ifindex = d->key.ifindex;
		snprintf(o->name, sizeof(o->name), "%s", d->v.name);
		snprintf(o->kind, sizeof(o->kind), "%s", d->v.kind);
		addr[out->ndevs] = o->polls ? d->v.poll_fn : 0;
		out->ndevs++;
	}
	resolve_poll_fns(nc, out->devs, addr, out->ndevs);
	name_unnamed_devs(out->devs, out->ndevs);
cleanup:
	free(addr);
	return err;
}

static int fill_irqs(const struct nc_snap *a, const struct nc_snap *b, struct netcpu_stats *out)
{
	const struct snap_irq *q, *s;
	struct snap_irq zero = { 0 };
	struct netcpu_irq *o;
	size_t i;
	int err = 0;

	out->irqs = calloc(b->nirqs ? b->nirqs : 1, sizeof(*out->irqs));
	if (!out->irqs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < b->nirqs; i++) {
		q = &b->irqs[i];
		s = bsearch(q, a->irqs, a->nirqs, sizeof(*a->irqs), cmp_irq);
		if (!s)
			s = &zero;
		o = &out->irqs[out->nirqs];
		o->count = delta(q->v.count, s->v.count);
		o->ns = delta(q->v.ns, s->v.ns);
		if (!o->count)
			continue;
		o->irq = q->irq;
		snprintf(o->name, sizeof(o->name), "%s", q->v.name);
		out->nirqs++;
	}
cleanup:
	return err;
}

static int fill_tasks(const struct nc_snap *a, const struct nc_snap *b, struct netcpu_stats *out)
{
	const struct snap_task *t, *s;
	struct snap_task zero = { 0 };
	struct netcpu_task *o;
	size_t i;
	int err = 0;

	out->tasks = calloc(b->ntasks ? b->ntasks : 1, sizeof(*out->tasks));
	if (!out->tasks) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < b->ntasks; i++) {
		t = &b->tasks[i];
		s = bsearch(t, a->tasks, a->ntasks, sizeof(*a->tasks), cmp_task);
		if (!s)
			s = &zero;
		o = &out->tasks[out->ntasks];
		o->irq_ns = delta(t->ns, s->ns);
		if (!o->irq_ns)
			continue;
		o->tid = t->tid;
		out->ntasks++;
	}
cleanup:
	return err;
}

static int nc_load(struct netcpu *nc, bool btf, char *err, size_t errlen)
{
	const char *mode = btf ? "tp_btf" : "raw_tp";
	struct netcpu_bpf *skel = NULL;
	struct bpf_program *prog;
	const char *sec;
	int ret = 0;

	skel = netcpu_bpf__open();
	if (!skel) {
		ret = -errno;
		nc_err(err, errlen, "opening", mode, ret);
		goto cleanup;
	}
	for (prog = bpf_object__next_program(skel->obj, NULL); prog;
	     prog = bpf_object__next_program(skel->obj, prog)) {
		sec = bpf_program__section_name(prog);
		ret = bpf_program__set_autoload(prog, !strncmp(sec, "tp_btf/", 7) == btf);
		if (ret) {
			nc_err(err, errlen, "configuring", mode, ret);
			goto cleanup;
		}
	}
	skel->rodata->tick_fn = nc->tick_fn;
	if ((ret = bpf_map__set_max_entries(skel->maps.devs, NC_MAX_DEVS)) ||
	    (ret = bpf_map__set_max_entries(skel->maps.irqs, NC_MAX_IRQS)) ||
	    (ret = bpf_map__set_max_entries(skel->maps.tasks, NC_MAX_TASKS))) {
		nc_err(err, errlen, "sizing maps of", mode, ret);
		goto cleanup;
	}
	ret = netcpu_bpf__load(skel);
	if (ret) {
		nc_err(err, errlen, "loading", mode, ret);
		goto cleanup;
	}
	ret = netcpu_bpf__attach(skel);
	if (ret) {
		nc_err(err, errlen, "attaching", mode, ret);
		goto cleanup;
	}
	nc->skel = skel;
	snprintf(nc->attach, sizeof(nc->attach), "%s", mode);
cleanup:
	if (ret)
		netcpu_bpf__destroy(skel);
	return ret;
}

struct netcpu *netcpu__open(char *err, size_t errlen)
{
	/* undocumented on purpose: lets the integration test load the raw_tp fallback */
	const char *force = getenv("IOVB_NETCPU_ATTACH");
	struct netcpu *nc = NULL;
	bool btf = !(force && !strcmp(force, "raw_tp"));
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "bpf: netcpu: out of memory");
		goto cleanup;
	}
	nc->stats_fd = -1;
	ret = libbpf_num_possible_cpus();
	if (ret < 0) {
		iovb_errf(err, errlen, "bpf: netcpu: cannot count possible CPUs: %s", strerror(-ret));
		goto cleanup;
	}
	nc->ncpu = ret;
	ret = 0;
	if (nc->ncpu > NC_MAX_CPUS) {
		ret = -E2BIG;
		iovb_errf(err, errlen, "bpf: netcpu: %u possible CPUs, built for at most %d",
			nc->ncpu, NC_MAX_CPUS);
		goto cleanup;
	}
	libbpf_set_print(nc_libbpf_print);
	/*
	 * NAPI poll functions are nearly all *poll*: naming them later costs no kallsyms read.
	 * Before the load: the scan also finds the tick function the tick audit needs.
	 */
	ksyms_scan(nc, NULL, 0);
	ret = nc_load(nc, btf, err, errlen);
	if (ret && btf)
		ret = nc_load(nc, false, err, errlen);
	if (ret)
		goto cleanup;
	/* a tp_btf failure that raw_tp recovered from is no error */
	if (err && errlen)
		err[0] = '\0';
	/* optional: without it prog_run_ns stays 0 (older kernels, or no CAP_SYS_ADMIN) */
	nc->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (nc->stats_fd < 0)
		nc->stats_fd = -1;
cleanup:
	if (ret) {
		netcpu__close(nc);
		nc = NULL;
		errno = -ret;
	}
	return nc;
}

int netcpu__start(struct netcpu *nc)
{
	int err = 0;

	if (!nc) {
		err = -EINVAL;
		goto cleanup;
	}
	nc->started = false;
	nc->have_end = false;
	snap_free(&nc->end);
	snap_free(&nc->start);
	err = snap_take(nc, &nc->start, true);
	if (err)
		goto cleanup;
	nc->started = true;
cleanup:
	return err;
}

int netcpu__mark_end(struct netcpu *nc)
{
	int err = 0;

	if (!nc || !nc->started) {
		err = -EINVAL;
		goto cleanup;
	}
	snap_free(&nc->end);
	nc->have_end = false;
	err = snap_take(nc, &nc->end, false);
	if (err)
		goto cleanup;
	nc->have_end = true;
cleanup:
	return err;
}

int netcpu__stop(struct netcpu *nc, struct netcpu_stats *out)
{
	struct nc_snap end = { 0 };
	const struct nc_snap *a;
	bool filled = false;
	size_t i, n;
	int err = 0;

	/* bad calls leave *out alone: it may hold an earlier window the caller still owns */
	if (!nc || !out || !nc->started) {
		err = -EINVAL;
		goto cleanup;
	}
	memset(out, 0, sizeof(*out));
	filled = true;
	a = &nc->start;
	if (nc->have_end) {
		end = nc->end; /* ours now: freed below */
		memset(&nc->end, 0, sizeof(nc->end));
		nc->have_end = false;
	} else {
		err = snap_take(nc, &end, false);
		if (err)
			goto cleanup;
	}
	out->ncpu = nc->ncpu;
	snprintf(out->attach, sizeof(out->attach), "%s", nc->attach);
	n = (size_t)NC_NR_VEC * nc->ncpu;
	out->vec_count = calloc(n, sizeof(*out->vec_count));
	out->vec_ns = calloc(n, sizeof(*out->vec_ns));
	out->vec_ksoftirqd_ns = calloc(n, sizeof(*out->vec_ksoftirqd_ns));
	out->ticks = calloc(nc->ncpu, sizeof(*out->ticks));
	out->vec_hist = calloc((size_t)NC_NR_VEC * NC_HIST_SLOTS, sizeof(*out->vec_hist));
	out->progs = calloc(end.nprogs ? end.nprogs : 1, sizeof(*out->progs));
	if (!out->vec_count || !out->vec_ns || !out->vec_ksoftirqd_ns || !out->ticks ||
	    !out->vec_hist || !out->progs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		out->vec_count[i] = delta(end.vec_count[i], a->vec_count[i]);
		out->vec_ns[i] = delta(end.vec_ns[i], a->vec_ns[i]);
		out->vec_ksoftirqd_ns[i] = delta(end.vec_ksd_ns[i], a->vec_ksd_ns[i]);
	}
	out->tick_audit = nc->tick_fn != 0;
	for (i = 0; i < NC_PHASES; i++)
		out->tick_phase_ns[i] = delta(end.phase_ns[i], a->phase_ns[i]);
	for (i = 0; i < nc->ncpu; i++) {
		const struct nc_tick_ctr *t1 = &end.ticks[i], *t0 = &a->ticks[i];
		struct netcpu_ticks *o = &out->ticks[i];

		o->ticks = delta(t1->ticks, t0->ticks);
		o->in_vec = delta(t1->in_vec, t0->in_vec);
		o->in_vec_ksd = delta(t1->in_vec_ksd, t0->in_vec_ksd);
		o->exp_in_vec = delta(t1->exp_in_vec, t0->exp_in_vec);
		o->exp_unknown = delta(t1->exp_unknown, t0->exp_unknown);
		o->late_in_ns = delta(t1->late_in_ns, t0->late_in_ns);
		o->late_out_ns = delta(t1->late_out_ns, t0->late_out_ns);
	}
	for (i = 0; i < (size_t)NC_NR_VEC * NC_HIST_SLOTS; i++)
		out->vec_hist[i] = delta(end.vec_hist[i], a->vec_hist[i]);
	for (i = 0; i < nc->ncpu; i++)
		out->net_rx_ns += out->vec_ns[NC_VEC_NET_RX * nc->ncpu + i];
	out->net_rx_attributed_ns = delta(end.attr_ns, a->attr_ns);
	err = fill_devs(nc, a, &end, out);
	if (err)
		goto cleanup;
	err = fill_irqs(a, &end, out);
	if (err)
		goto cleanup;
	err = fill_tasks(a, &end, out);
	if (err)
		goto cleanup;
	if (nc->stats_fd >= 0) {
		out->run_stats = 1;
		out->prog_run_ns = delta(end.run_ns, a->run_ns);
		out->prog_run_cnt = delta(end.run_cnt, a->run_cnt);
		/* the same programs load once per open: both snapshots list them in one order */
		for (i = 0; i < end.nprogs && i < a->nprogs; i++) {
			out->progs[out->nprogs] = end.progs[i];
			out->progs[out->nprogs].run_ns = delta(end.progs[i].run_ns, a->progs[i].run_ns);
			out->progs[out->nprogs].run_cnt =
				delta(end.progs[i].run_cnt, a->progs[i].run_cnt);
			out->progs[out->nprogs].misses =
				delta(end.progs[i].misses, a->progs[i].misses);
			out->nprogs++;
		}
	}
cleanup:
	snap_free(&end);
	if (err && filled)
		netcpu_stats__free(out);
	return err;
}

void netcpu_stats__free(struct netcpu_stats *st)
{
	if (!st)
		return;
	free(st->vec_count);
	free(st->vec_ns);
	free(st->vec_ksoftirqd_ns);
	free(st->ticks);
	free(st->vec_hist);
	free(st->devs);
	free(st->irqs);
	free(st->tasks);
	free(st->progs);
	memset(st, 0, sizeof(*st));
}

void netcpu__close(struct netcpu *nc)
{
	if (!nc)
		return;
	netcpu_bpf__destroy(nc->skel);
	if (nc->stats_fd >= 0)
		close(nc->stats_fd);
	snap_free(&nc->start);
	snap_free(&nc->end);
	free(nc->ksyms);
	free(nc);
}
