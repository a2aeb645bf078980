// SPDX-License-Identifier: GPL-2.0
/*
 * netcpu_live: load the netcpu collector for real and hold its figures against the kernel's own
 * counters (/proc/softirqs, /proc/interrupts, thread CPU clocks) while a bulk TCP transfer
 * crosses a veth pair between two network namespaces made here (10.77.1.0/24 only).
 * Root only: every test skips, saying why, when run without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "iovb/netcpu.h"

#define PORT 5201
#define RX_ADDR "10.77.1.1"
#define TX_ADDR "10.77.1.2"
#define MIN_EVENTS 1000 /* vectors compared with /proc/softirqs need this many events */
#define MAX_IRQS 4096

#define check(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_msg(__VA_ARGS__);                                                     \
	} while (0)

struct ctx {
	char ns[2][32]; /* [0] receiver "iovbt-<pid>-a" (device va), [1] sender "-b" (vb) */
	bool made[2];
	uint64_t ino[2];
	struct netcpu *nc;
	struct netcpu_stats st;
};

struct xfer {
	int lfd; /* listening, in ns[0] */
	int cfd; /* unconnected client socket, in ns[1] */
	double secs;
	uint64_t bytes; /* received */
	pid_t rx_tid, tx_tid;
	uint64_t rx_cpu_ns, tx_cpu_ns; /* each thread's own CPU clock when it finished */
	int rx_err, tx_err;
};

static bool is_root(void)
{
	return geteuid() == 0;
}

#define need_root()                                                                                \
	do {                                                                                       \
		if (!is_root()) {                                                                  \
			print_message("netcpu_live: skipped, needs root (BPF, namespaces)\n");     \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 32)
		return -1;
	strcat(cmd, " >/dev/null 2>&1");
	return system(cmd);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The kernel's counters are read just outside netcpu__start/stop. Preempted between the two
 * reads (this box has 2 CPUs shared with other work), events would fall outside the bpf window
 * and fail the 1% comparisons for no fault of the collector: run those few ms as SCHED_FIFO.
 */
static int rt_begin(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	return sched_setscheduler(0, SCHED_FIFO, &sp);
}

static void rt_end(int began)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (began == 0)
		sched_setscheduler(0, SCHED_OTHER, &sp);
}

static void ns_teardown(struct ctx *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (c->made[i])
			sh("ip netns del %s", c->ns[i]);
		c->made[i] = false;
	}
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	if (!c)
		return 0;
	ns_teardown(c);
	netcpu_stats__free(&c->st);
	netcpu__close(c->nc);
	free(c);
	*state = NULL;
	return 0;
}

static int setup_plain(void **state)
{
	*state = calloc(1, sizeof(struct ctx));
	return *state ? 0 : -1;
}

/* Two namespaces joined by a veth pair: va (10.77.1.1) in ns[0], vb (10.77.1.2) in ns[1]. */
static int setup_veth(void **state)
{
	struct ctx *c;
	struct stat sb;
	int i;

	if (setup_plain(state))
		return -1;
	c = *state;
	if (!is_root())
		return 0; /* the test itself skips */
	for (i = 0; i < 2; i++) {
		snprintf(c->ns[i], sizeof(c->ns[i]), "iovbt-%d-%c", (int)getpid(), 'a' + i);
		if (sh("ip netns add %s", c->ns[i]))
			goto fail;
		c->made[i] = true;
	}
	for (i = 0; i < 2; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/run/netns/%s", c->ns[i]);
		if (stat(path, &sb) < 0)
			goto fail;
		c->ino[i] = sb.st_ino;
	}
	if (sh("ip -n %s link add va type veth peer name vb netns %s", c->ns[0], c->ns[1]) ||
	    sh("ip -n %s addr add %s/24 dev va", c->ns[0], RX_ADDR) ||
	    sh("ip -n %s addr add %s/24 dev vb", c->ns[1], TX_ADDR) ||
	    sh("ip -n %s link set va up", c->ns[0]) || sh("ip -n %s link set vb up", c->ns[1]) ||
	    sh("ip -n %s link set lo up", c->ns[0]) || sh("ip -n %s link set lo up", c->ns[1]))
		goto fail;
	return 0;
fail:
	print_error("netcpu_live: cannot build the veth namespaces\n");
	teardown(state);
	return -1;
}

/* A socket that lives in netns `ns` (a thread's netns only matters at socket creation). */
static int socket_in(const char *ns)
{
	char path[64];
	int self = -1, tgt = -1, fd = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	tgt = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || tgt < 0 || setns(tgt, CLONE_NEWNET) < 0)
		goto cleanup;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* stuck in the test netns: nothing after this could be trusted */
		abort();
	}
cleanup:
	if (self >= 0)
		close(self);
	if (tgt >= 0)
		close(tgt);
	return fd;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 5 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void *rx_main(void *arg)
{
	struct xfer *x = arg;
	static char buf[256 * 1024];
	ssize_t n;
	int fd;

	x->rx_tid = gettid();
	fd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		x->rx_err = errno;
		goto out;
	}
	set_timeouts(fd);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		x->bytes += n;
	if (n < 0)
		x->rx_err = errno;
	close(fd);
out:
	x->rx_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void *tx_main(void *arg)
{
	struct xfer *x = arg;
	static char buf[128 * 1024];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint64_t end;

	x->tx_tid = gettid();
	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	if (connect(x->cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		x->tx_err = errno;
		goto out;
	}
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(x->secs * 1e9);
	while (now_ns(CLOCK_MONOTONIC) < end) {
		if (send(x->cfd, buf, sizeof(buf), MSG_NOSIGNAL) < 0) {
			x->tx_err = errno;
			break;
		}
	}
	shutdown(x->cfd, SHUT_WR);
out:
	x->tx_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

/* Bulk TCP ns[1] -> ns[0] for secs; threads are always joined before returning. */
static int transfer(struct ctx *c, double secs, struct xfer *x)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	pthread_t rx, tx;
	bool rx_up = false;
	int one = 1, err = -1;

	memset(x, 0, sizeof(*x));
	x->secs = secs;
	x->lfd = socket_in(c->ns[0]);
	x->cfd = socket_in(c->ns[1]);
	if (x->lfd < 0 || x->cfd < 0)
		goto cleanup;
	set_timeouts(x->lfd);
	set_timeouts(x->cfd);
	setsockopt(x->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	if (bind(x->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(x->lfd, 1) < 0)
		goto cleanup;
	if (pthread_create(&rx, NULL, rx_main, x))
		goto cleanup;
	rx_up = true;
	if (pthread_create(&tx, NULL, tx_main, x)) {
		/* the receiver's accept times out on its own */
		goto cleanup;
	}
	pthread_join(tx, NULL);
	err = 0;
cleanup:
	if (rx_up)
		pthread_join(rx, NULL);
	if (x->lfd >= 0)
		close(x->lfd);
	if (x->cfd >= 0)
		close(x->cfd);
	return err;
}

/* Per-vector totals over CPUs, in netcpu_vec_names order. */
static int softirqs_read(uint64_t out[NETCPU_NR_VEC])
{
	char *line = NULL, *p, *end;
	size_t cap = 0;
	int v, found = 0;
	FILE *f;

	memset(out, 0, sizeof(uint64_t) * NETCPU_NR_VEC);
	f = fopen("/proc/softirqs", "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		p = strchr(line, ':');
		if (!p)
			continue;
		*p++ = '\0';
		for (v = 0; v < NETCPU_NR_VEC; v++) {
			if (strcmp(line + strspn(line, " "), netcpu_vec_names[v]))
				continue;
			found++;
			for (;;) {
				unsigned long long n = strtoull(p, &end, 10);

				if (end == p)
					break;
				out[v] += n;
				p = end;
			}
		}
	}
	free(line);
	fclose(f);
	return found == NETCPU_NR_VEC ? 0 : -1;
}

static uint64_t vec_total(const struct netcpu_stats *st, const uint64_t *arr, int v)
{
	uint64_t sum = 0;
	unsigned cpu;

	for (cpu = 0; cpu < st->ncpu; cpu++)
		sum += arr[v * st->ncpu + cpu];
	return sum;
}

static void check_softirqs(const struct netcpu_stats *st, const uint64_t *before,
			   const uint64_t *after)
{
	uint64_t bpf, proc, bpf_all = 0, proc_all = 0;
	int v;

	for (v = 0; v < NETCPU_NR_VEC; v++) {
		bpf = vec_total(st, st->vec_count, v);
		proc = after[v] - before[v];
		bpf_all += bpf;
		proc_all += proc;
		print_message("  %-8s bpf %8llu  /proc/softirqs %8llu  %10.3f ms\n",
			      netcpu_vec_names[v], (unsigned long long)bpf,
			      (unsigned long long)proc, vec_total(st, st->vec_ns, v) / 1e6);
		/* the bpf window lies inside the procfs one */
		check(bpf <= proc, "%s: bpf counted %llu > /proc/softirqs %llu",
		      netcpu_vec_names[v], (unsigned long long)bpf, (unsigned long long)proc);
		if (proc >= MIN_EVENTS)
			check((proc - bpf) * 100 <= proc,
			      "%s: bpf %llu vs /proc/softirqs %llu: > 1%%", netcpu_vec_names[v],
			      (unsigned long long)bpf, (unsigned long long)proc);
		if (bpf == 0)
			check(vec_total(st, st->vec_ns, v) == 0, "%s: time without events",
			      netcpu_vec_names[v]);
	}
	if (proc_all >= MIN_EVENTS)
		check((proc_all - bpf_all) * 100 <= proc_all,
		      "all vectors: bpf %llu vs procfs %llu", (unsigned long long)bpf_all,
		      (unsigned long long)proc_all);
}

static const struct netcpu_dev *find_dev(const struct netcpu_stats *st, uint64_t ino,
					 const char *name)
{
	size_t i;

	for (i = 0; i < st->ndevs; i++)
		if (st->devs[i].netns_ino == ino && !strcmp(st->devs[i].name, name))
			return &st->devs[i];
	return NULL;
}

static const struct netcpu_task *find_task(const struct netcpu_stats *st, pid_t tid)
{
	size_t i;

	for (i = 0; i < st->ntasks; i++)
		if (st->tasks[i].tid == (uint32_t)tid)
			return &st->tasks[i];
	return NULL;
}

static void open_nc(struct ctx *c)
{
	char err[256] = "";

	c->nc = netcpu__open(err, sizeof(err));
	check(c->nc, "netcpu__open: %s (errno %d)", err, errno);
}

enum mode { MODE_DEFAULT, MODE_NAPI, MODE_BACKLOG };

/*
 * One measured transfer, checked for what holds in every mode: softirq counts agree with
 * /proc/softirqs, >= 90% of NET_RX time lands on named devices, both veth ends are seen in
 * the right netns with their kind, and no thread got more interrupt time than its CPU time.
 */
static void run_veth(struct ctx *c, enum mode mode, double secs)
{
	static const char *const names[] = { "default", "napi", "backlog" };
	uint64_t before[NETCPU_NR_VEC], after[NETCPU_NR_VEC], sum = 0;
	const struct netcpu_dev *va, *vb;
	const struct netcpu_task *t;
	struct netcpu_stats *st = &c->st;
	struct xfer x;
	size_t i;
	int err, rt;
	bool ok;

	if (mode == MODE_NAPI) {
		/* veth_xmit hands skbs to the peer's NAPI only if it does GRO and they are not GSO
		 */
		check(!sh("ip netns exec %s ethtool -K va gro on", c->ns[0]), "ethtool gro on");
		check(!sh("ip netns exec %s ethtool -K vb tso off", c->ns[1]), "ethtool tso off");
	} else if (mode == MODE_BACKLOG) {
		check(!sh("ip netns exec %s ethtool -K va gro off", c->ns[0]), "ethtool gro off");
		check(!sh("ip netns exec %s ethtool -K vb tso off", c->ns[1]), "ethtool tso off");
	}
	if (!c->nc)
		open_nc(c);
	rt = rt_begin();
	ok = !softirqs_read(before);
	err = netcpu__start(c->nc);
	rt_end(rt);
	check(ok, "reading /proc/softirqs");
	check(!err, "netcpu__start: %s", strerror(-err));
	err = transfer(c, secs, &x);
	netcpu_stats__free(st);
	rt = rt_begin();
	err = err ? err : netcpu__stop(c->nc, st);
	ok = !softirqs_read(after);
	rt_end(rt);
	check(ok, "reading /proc/softirqs");
	check(!err && !x.rx_err && !x.tx_err, "transfer/stop failed: %d rx %s tx %s", err,
	      strerror(x.rx_err), strerror(x.tx_err));

	print_message("netcpu_live %s (%s): %.1f MB moved, NET_RX %.1f ms, attributed %.1f ms "
		      "(%.1f%%), bpf %.1f ms in %llu runs\n",
		      names[mode], st->attach, x.bytes / 1e6, st->net_rx_ns / 1e6,
		      st->net_rx_attributed_ns / 1e6,
		      st->net_rx_ns ? 100.0 * st->net_rx_attributed_ns / st->net_rx_ns : 0.0,
		      st->prog_run_ns / 1e6, (unsigned long long)st->prog_run_cnt);
	for (i = 0; i < st->ndevs; i++)
		print_message("  dev %llu/%u %-6s %-8s %-12s %9.3f ms polls %6llu pkts %6llu "
			      "backlog %9.3f ms\n",
			      (unsigned long long)st->devs[i].netns_ino, st->devs[i].ifindex,
			      st->devs[i].name, st->devs[i].kind, st->devs[i].poll_fn,
			      st->devs[i].ns / 1e6, (unsigned long long)st->devs[i].polls,
			      (unsigned long long)st->devs[i].packets,
			      st->devs[i].backlog_ns / 1e6);

	check(x.bytes > 10 * 1000 * 1000, "only %llu bytes moved", (unsigned long long)x.bytes);
	check(st->ncpu > 0 && st->vec_count && st->vec_ns, "stats not filled");
	check_softirqs(st, before, after);
	check(vec_total(st, st->vec_count, 3) >= MIN_EVENTS, "NET_RX ran only %llu times",
	      (unsigned long long)vec_total(st, st->vec_count, 3));
	check(st->net_rx_ns == vec_total(st, st->vec_ns, 3), "net_rx_ns != NET_RX vec_ns");
	check(st->net_rx_attributed_ns * 10 >= st->net_rx_ns * 9,
	      "only %.1f%% of NET_RX attributed to devices",
	      100.0 * st->net_rx_attributed_ns / st->net_rx_ns);
	check(st->net_rx_attributed_ns <= st->net_rx_ns, "attributed more than NET_RX ran");
	for (i = 0; i < st->ndevs; i++) {
		sum += st->devs[i].ns;
		check(st->devs[i].backlog_ns <= st->devs[i].ns, "%s: backlog_ns > ns",
		      st->devs[i].name);
	}
	/* devices and the attributed counter are read at slightly different instants */
	check(sum <= st->net_rx_attributed_ns + st->net_rx_attributed_ns / 100 &&
		      sum + st->net_rx_attributed_ns / 100 >= st->net_rx_attributed_ns,
	      "devices sum to %llu ns, attributed counter %llu ns", (unsigned long long)sum,
	      (unsigned long long)st->net_rx_attributed_ns);

	va = find_dev(st, c->ino[0], "va");
	vb = find_dev(st, c->ino[1], "vb");
	check(va && vb, "veth ends not found (va %p, vb %p) in netns %llu / %llu", (void *)va,
	      (void *)vb, (unsigned long long)c->ino[0], (unsigned long long)c->ino[1]);
	check(va->ns > 0 && vb->ns > 0, "no NET_RX time on va (%llu) or vb (%llu)",
	      (unsigned long long)va->ns, (unsigned long long)vb->ns);
	check(!strcmp(va->kind, "veth") && !strcmp(vb->kind, "veth"), "kinds %s/%s", va->kind,
	      vb->kind);
	check(va->packets > 0 && vb->packets > 0, "no packets counted");
	/* data goes to va, only ACKs to vb */
	check(va->ns > vb->ns, "receiver va %llu ns <= sender vb %llu ns",
	      (unsigned long long)va->ns, (unsigned long long)vb->ns);

	if (mode == MODE_NAPI) {
		check(va->polls > 0 && !strcmp(va->poll_fn, "veth_poll"),
		      "va: %llu polls by '%s', expected veth_poll", (unsigned long long)va->polls,
		      va->poll_fn);
		check(va->backlog_ns * 10 < va->ns, "va: %llu of %llu ns in backlog with NAPI on",
		      (unsigned long long)va->backlog_ns, (unsigned long long)va->ns);
	} else {
		check(va->polls == 0 && !va->poll_fn[0], "va: %llu polls without GRO",
		      (unsigned long long)va->polls);
		check(va->backlog_ns * 10 >= va->ns * 9, "va: only %llu of %llu ns in backlog",
		      (unsigned long long)va->backlog_ns, (unsigned long long)va->ns);
	}

	/* interrupt time on top of a thread is part of its CPU time (no IRQ_TIME_ACCOUNTING) */
	t = find_task(st, x.tx_tid);
	check(t || find_task(st, x.rx_tid), "neither transfer thread got interrupt time");
	if (t)
		check(t->irq_ns <= x.tx_cpu_ns + 1000000, "sender: irq %llu ns > cpu %llu ns",
		      (unsigned long long)t->irq_ns, (unsigned long long)x.tx_cpu_ns);
	t = find_task(st, x.rx_tid);
	if (t)
		check(t->irq_ns <= x.rx_cpu_ns + 1000000, "receiver: irq %llu ns > cpu %llu ns",
		      (unsigned long long)t->irq_ns, (unsigned long long)x.rx_cpu_ns);
}

/* (a) all programs load and attach; the attach mode is reported; an idle window works. */
static void test_open_attach(void **state)
{
	struct ctx *c = *state;
	uint64_t before[NETCPU_NR_VEC], after[NETCPU_NR_VEC];
	int err, rt;
	bool ok;

	need_root();
	open_nc(c);
	rt = rt_begin();
	ok = !softirqs_read(before);
	err = netcpu__start(c->nc);
	rt_end(rt);
	check(ok, "reading /proc/softirqs");
	check(!err, "netcpu__start: %s", strerror(-err));
	usleep(300 * 1000);
	rt = rt_begin();
	err = netcpu__stop(c->nc, &c->st);
	ok = !softirqs_read(after);
	rt_end(rt);
	check(!err, "netcpu__stop: %s", strerror(-err));
	check(ok, "reading /proc/softirqs");
	print_message("netcpu_live: attach mode %s, %u CPUs\n", c->st.attach, c->st.ncpu);
	/* with kernel BTF the typed variant must be the one that loaded */
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		check(!strcmp(c->st.attach, "tp_btf"), "attach mode %s with kernel BTF present",
		      c->st.attach);
	else
		check(!strcmp(c->st.attach, "raw_tp"), "attach mode '%s'", c->st.attach);
	check(c->st.ncpu == (unsigned)libbpf_num_possible_cpus(), "ncpu %u", c->st.ncpu);
	check_softirqs(&c->st, before, after);
	/*
	 * The collector holds a bpf_enable_stats() fd, so its own runs are counted (the
	 * kernel.bpf_stats_enabled file shows only its own writes, not this, so it is not read).
	 */
	check(c->st.prog_run_cnt > 0 && c->st.prog_run_ns > 0, "no bpf run stats");
	/* a refused stop leaves the caller's earlier stats alone; NULLs are safe */
	check(netcpu__stop(NULL, &c->st) == -EINVAL, "stop(NULL)");
	check(c->st.ncpu && c->st.vec_count, "refused stop cleared the stats");
	netcpu_stats__free(NULL);
	netcpu__close(NULL);
}

static void test_veth_default(void **state)
{
	need_root();
	run_veth(*state, MODE_DEFAULT, 2.0);
}

static void test_veth_napi(void **state)
{
	need_root();
	run_veth(*state, MODE_NAPI, 2.0);
}

static void test_veth_backlog(void **state)
{
	need_root();
	run_veth(*state, MODE_BACKLOG, 2.0);
}

/* The raw_tp fallback loads, attaches and measures like tp_btf. */
static void test_raw_tp(void **state)
{
	struct ctx *c = *state;

	need_root();
	setenv("IOVB_NETCPU_ATTACH", "raw_tp", 1);
	open_nc(c);
	unsetenv("IOVB_NETCPU_ATTACH");
	run_veth(c, MODE_DEFAULT, 1.0);
	check(!strcmp(c->st.attach, "raw_tp"), "attach mode %s", c->st.attach);
}

struct irqline {
	unsigned irq;
	uint64_t count;
	bool shared;
	char text[256];
};

static int interrupts_read(struct irqline *out, size_t cap, size_t *n)
{
	char *line = NULL, *p, *end;
	size_t sz = 0;
	FILE *f;

	*n = 0;
	f = fopen("/proc/interrupts", "re");
	if (!f)
		return -1;
	while (getline(&line, &sz, f) > 0 && *n < cap) {
		unsigned long irq = strtoul(line, &end, 10);
		struct irqline *l = &out[*n];

		if (end == line || *end != ':')
			continue;
		memset(l, 0, sizeof(*l));
		l->irq = irq;
		snprintf(l->text, sizeof(l->text), "%s", line);
		p = end + 1;
		for (;;) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			l->count += v;
			p = end;
		}
		l->shared = strchr(p, ',') != NULL;
		(*n)++;
	}
	free(line);
	fclose(f);
	return 0;
}

static const struct irqline *find_line(const struct irqline *l, size_t n, unsigned irq)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].irq == irq)
			return &l[i];
	return NULL;
}

/* (d) hardirq handlers: named, timed, and counted like /proc/interrupts. */
static void test_hardirq(void **state)
{
	struct ctx *c = *state;
	static struct irqline before[MAX_IRQS], after[MAX_IRQS];
	char path[] = "/var/tmp/iovbt-netcpu-XXXXXX";
	static char buf[1 << 20];
	size_t nb, na, i;
	const struct irqline *b, *a;
	int err, fd, k, rt;
	bool ok;

	need_root();
	open_nc(c);
	rt = rt_begin();
	ok = !interrupts_read(before, MAX_IRQS, &nb);
	err = netcpu__start(c->nc);
	rt_end(rt);
	check(ok, "reading /proc/interrupts");
	check(!err, "netcpu__start: %s", strerror(-err));
	/* synchronous disk writes make the block device interrupt */
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		memset(buf, 0x5a, sizeof(buf));
		for (k = 0; k < 8; k++) {
			if (write(fd, buf, sizeof(buf)) < 0 || fsync(fd) < 0)
				break;
		}
		close(fd);
	}
	usleep(500 * 1000);
	rt = rt_begin();
	err = netcpu__stop(c->nc, &c->st);
	ok = !interrupts_read(after, MAX_IRQS, &na);
	rt_end(rt);
	check(!err, "netcpu__stop: %s", strerror(-err));
	check(ok, "reading /proc/interrupts");

	print_message("netcpu_live hardirq: %zu irqs fired\n", c->st.nirqs);
	for (i = 0; i < c->st.nirqs; i++) {
		const struct netcpu_irq *q = &c->st.irqs[i];
		uint64_t proc;

		b = find_line(before, nb, q->irq);
		a = find_line(after, na, q->irq);
		proc = a && b ? a->count - b->count : 0;
		print_message("  irq %3u %-20s %6llu events (/proc/interrupts %llu) %9.3f ms\n",
			      q->irq, q->name, (unsigned long long)q->count,
			      (unsigned long long)proc, q->ns / 1e6);
		check(q->count > 0 && q->name[0], "irq %u: count %llu name '%s'", q->irq,
		      (unsigned long long)q->count, q->name);
		check(q->ns > 0, "irq %u: no time", q->irq);
		check(a, "irq %u not in /proc/interrupts", q->irq);
		check(strstr(a->text, q->name), "irq %u: name %s not in '%s'", q->irq, q->name,
		      a->text);
		if (b && !a->shared) {
			check(q->count <= proc, "irq %u: bpf %llu > procfs %llu", q->irq,
			      (unsigned long long)q->count, (unsigned long long)proc);
			if (proc >= 100)
				check((proc - q->count) * 100 <= proc, "irq %u: bpf %llu vs %llu",
				      q->irq, (unsigned long long)q->count,
				      (unsigned long long)proc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_attach, setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_veth_default, setup_veth, teardown),
		cmocka_unit_test_setup_teardown(test_veth_napi, setup_veth, teardown),
		cmocka_unit_test_setup_teardown(test_veth_backlog, setup_veth, teardown),
		cmocka_unit_test_setup_teardown(test_raw_tp, setup_veth, teardown),
		cmocka_unit_test_setup_teardown(test_hardirq, setup_plain, teardown),
	};

	return cmocka_run_group_tests_name("netcpu_live", tests, NULL, NULL);
}
