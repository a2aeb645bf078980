// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench agent`: collectors and the engine's server or client on another machine (a VM
 * guest, the file server), driven by the controller over TCP, one JSON object per line
 * (docs/agents.md). Also the protocol's framing and token helpers both ends share.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cli.h"
#include "cmds.h"
#include "collect.h"
#include "engine.h"
#include "iovb/parse.h"
#include "iovb/procfs.h"
#include "iovb/rec_meta.h"
#include "iovb/record.h"
#include "iovb/threads.h"

#define CMD "iovbench agent"
#define HELLO_TIMEOUT_MS 10000

/* ---- protocol ---------------------------------------------------------------------------- */

void agent_conn__init(struct agent_conn *c, int fd)
{
	*c = (struct agent_conn){ .fd = fd };
}

void agent_conn__close(struct agent_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

int agent_conn__send(struct agent_conn *c, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(17));
	size_t n, off = 0;
	ssize_t w;
	int err = 0;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	s[n] = '\n'; /* json_dumps gives no newline; its NUL becomes one */
	n++;
	while (off < n) {
		w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			break;
		}
		off += (size_t)w;
	}
	free(s);
	return err;
}

int agent__take_line(char *buf, size_t *len, size_t max, json_t **msg)
{
	char *nl = memchr(buf, '\n', *len);
	size_t ll;
	json_t *j;

	if (!nl)
		return *len >= max ? -E2BIG : 0;
	ll = (size_t)(nl - buf);
	j = json_loadb(buf, ll, JSON_REJECT_DUPLICATES, NULL);
	memmove(buf, nl + 1, *len - ll - 1);
	*len -= ll + 1;
	if (!json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*msg = j;
	return 1;
}

int agent_conn__fill(struct agent_conn *c)
{
	ssize_t r;

	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? c->cap * 2 : 131072;
		char *b;

		if (cap > AGENT_LINE_MAX + 65536)
			cap = AGENT_LINE_MAX + 65536;
		if (cap <= c->len)
			return -E2BIG;
		b = realloc(c->buf, cap);
		if (!b)
			return -ENOMEM;
		c->buf = b;
		c->cap = cap;
	}
	do
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == ECONNRESET ? -ECONNRESET : -errno;
	if (!r)
		return -ECONNRESET;
	c->len += (size_t)r;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int agent_conn__recv(struct agent_conn *c, int timeout_ms, json_t **msg)
{
	uint64_t end = timeout_ms >= 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	int err, left;

	for (;;) {
		err = c->buf ? agent__take_line(c->buf, &c->len, AGENT_LINE_MAX, msg) : 0;
		if (err)
			return err < 0 ? err : 0;
		left = -1;
		if (timeout_ms >= 0) {
			uint64_t now = mono_ms();

			if (now >= end)
				return -ETIMEDOUT;
			left = (int)(end - now);
		}
		err = poll(&p, 1, left);
		if (err < 0 && errno == EINTR)
			return -EINTR;
		if (err < 0)
			return -errno;
		if (!err)
			continue;
		err = agent_conn__fill(c);
		if (err)
			return err;
	}
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

bool agent__token_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), n;
	volatile unsigned char diff;

	trim(&a, &na);
	trim(&b, &nb);
	diff = (unsigned char)(na != nb);
	n = na > nb ? na : nb;
	/* every byte of the longer one is looked at, whatever differs first */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)((i < na ? a[i] : 0) ^ (i < nb ? b[i] : 0));
	return !diff && na > 0;
}

int agent__token_read(const char *path, char *buf, size_t len, bool *loose, char *err,
		      size_t errlen)
{
	char raw[AGENT_TOKEN_MAX + 2];
	const char *t = raw;
	struct stat st;
	size_t n;
	int fd, e = 0;

	*loose = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(-e));
		return e;
	}
	if (!fstat(fd, &st))
		*loose = (st.st_mode & 077) != 0;
	n = 0;
	for (;;) {
		ssize_t r = read(fd, raw + n, sizeof(raw) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = -errno;
			snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(-e));
			goto cleanup;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (n == sizeof(raw) - 1)
			break;
	}
	raw[n] = '\0';
	if (strlen(raw) != n) {
		e = -EINVAL;
		snprintf(err, errlen, "token file %s holds a NUL byte", path);
		goto cleanup;
	}
	trim(&t, &n);
	if (!n) {
		e = -ENODATA;
		snprintf(err, errlen, "token file %s is empty", path);
		goto cleanup;
	}
	if (n > AGENT_TOKEN_MAX || n >= len) {
		e = -E2BIG;
		snprintf(err, errlen, "token in %s is longer than %d bytes", path, AGENT_TOKEN_MAX);
		goto cleanup;
	}
	memcpy(buf, t, n);
	buf[n] = '\0';
cleanup:
	close(fd);
	return e;
}

int agent__hostport(const char *s, char *host, size_t hlen, uint16_t *port, uint16_t min_port)
{
	const char *colon, *h = s;
	uint64_t p;
	size_t n;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		h = s + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (!n || n >= hlen || iovb_parse_u64(colon + 1, min_port, 65535, &p))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (uint16_t)p;
	return 0;
}

int agent__guest_spec(const char *s, char *name, size_t nlen, char *host, size_t hlen,
		      uint16_t *port)
{
	const char *eq = strchr(s, '=');
	size_t n;

	if (!eq)
		return -EINVAL;
	n = (size_t)(eq - s);
	if (!n || n > 32 || n >= nlen ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_-") < n)
		return -EINVAL;
	if (agent__hostport(eq + 1, host, hlen, port, 1))
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	return 0;
}

/* ---- the agent ----------------------------------------------------------------------------- */

/* Set from the signal handler; the only mutable static, as a handler can reach nothing else. */
static volatile sig_atomic_t agent_signal;

static const char agent_usage[] =
	"usage: iovbench agent --token-file FILE [--listen [ADDR:]PORT] [-q|-v]\n"
	"\n"
	"Wait for the controller (`iovbench run --server HOST:PORT --guest NAME=HOST:PORT ...`)\n"
	"and do what it asks on this machine: say its metadata, serve the synthetic file, open\n"
	"the collectors, open and close measurement windows, run the copy client. One JSON\n"
	"object per line over TCP (docs/agents.md). Serves one controller at a time, until\n"
	"SIGINT or SIGTERM.\n"
	"\n"
	"options:\n"
	"  -t, --token-file FILE  the shared secret; a controller must present the same token\n"
	"                         (white space around it is cut). Required; a file readable by\n"
	"                         group or others is warned about\n"
	"  -l, --listen [ADDR:]PORT  where to listen (default 127.0.0.1:7420: loopback only;\n"
	"                         give an address, or 0.0.0.0, to be reachable from elsewhere);\n"
	"                         port 0 picks one\n"
	"  -q, --quiet            errors only; -v, --verbose: each request\n"
	"  -h, --help             this text\n"
	"\n"
	"A wrong token is refused and logged (one line on stderr). Exit status: 0 after a signal,\n"
	"2 usage, 3 environment (token file, listen address).\n";

struct agent_opts {
	char host[64];
	uint16_t port;
	char token[AGENT_TOKEN_MAX + 1];
	int verbose;
};

/* The engine's server, run in a thread while a controller holds the session. */
struct agent_server {
	struct engine_server_conf conf;
	volatile sig_atomic_t stop;
	pthread_t tid;
	bool running;
	int err;
};

/*
 * The window's series on this machine (start with series_interval_ns): a sampler thread takes
 * every interval this process's CPU (its threads since the window opened, and the copy
 * process's whole life: it lives inside the window), the copy's bytes so far and the machine's
 * softirq time; stop takes the last, partial, interval and answers the arrays.
 */
struct agent_series {
	uint64_t interval_ns; /* 0: no series in this window */
	uint64_t w0;	      /* CLOCK_MONOTONIC when the window opened */
	char role[16];
	struct threads_snap t0; /* this process's threads at w0 */
	pthread_t tid;
	bool running;
	int wake[2]; /* stop writes to wake[1]: the sampler leaves at once */
	_Atomic int child;	    /* the copy process now, 0 when none */
	_Atomic uint64_t child_cpu; /* its threads' CPU, from its result; 0 before */
	_Atomic uint64_t *done;	    /* shared with the copy process: its bytes so far */
	/* cumulative at the last sample */
	uint64_t last_ns, last_bytes, last_cpu, last_child, softirq0, last_softirq;
	uint64_t cost_ns; /* CPU of the samples (the sampler's thread) */
	json_t *t_s, *bytes, *cpu, *softirq;
};

struct agent_sess {
	const struct agent_opts *o;
	struct agent_conn conn;
	char peer[80];
	char role[16]; /* the machine's role, as the controller named it at open */
	struct threads_snap t0;
	json_t *load_threads; /* the copy processes' threads since the window opened */
	struct collect_session *cs;
	struct agent_server srv;
	struct agent_series se;
};

static void agent_on_signal(int sig)
{
	agent_signal = sig;
}

static void *agent_server_thread(void *arg)
{
	struct agent_server *s = arg;

	s->err = engine__serve(&s->conf, &s->stop);
	return NULL;
}

static void agent_server_stop(struct agent_server *s)
{
	if (s->running) {
		s->stop = 1;
		pthread_join(s->tid, NULL);
		s->running = false;
	}
	if (s->conf.listen_fd >= 0)
		close(s->conf.listen_fd);
	s->conf.listen_fd = -1;
}

static json_t *op_error(const char *fmt, const char *arg)
{
	char buf[512];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, sizeof(buf), fmt, arg);
#pragma GCC diagnostic pop
	return json_pack("{ss}", "error", buf);
}

static json_t *op_meta(void)
{
	char started[32], host[256] = "";
	json_t *meta;

	record__iso_now(started, sizeof(started));
	meta = record__meta("agent", 0, NULL, started);
	gethostname(host, sizeof(host) - 1);
	json_object_set_new(meta, "hostname", json_string(host));
	return json_pack("{sb so}", "ok", 1, "meta", meta);
}

static json_t *op_serve(struct agent_sess *s, const json_t *req)
{
	const char *addr = json_string_value(json_object_get(req, "addr")) ?: s->o->host;
	json_int_t port = json_integer_value(json_object_get(req, "port"));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, e;

	if (port < 0 || port > 65535)
		return op_error("serve: bad port%s", "");
	agent_server_stop(&s->srv);
	fd = engine__listen(addr, (uint16_t)port);
	if (fd < 0)
		return op_error("serve: cannot listen on %s", addr);
	if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port);
	s->srv = (struct agent_server){ .conf = { .listen_fd = fd,
						  .verify = json_is_true(json_object_get(req, "verify")) } };
	e = pthread_create(&s->srv.tid, NULL, agent_server_thread, &s->srv);
	if (e) {
		agent_server_stop(&s->srv);
		return op_error("serve: thread: %s", strerror(e));
	}
	s->srv.running = true;
	return json_pack("{sb ss sI}", "ok", 1, "addr", addr, "port", port);
}

static json_t *op_open(struct agent_sess *s, const json_t *req)
{
	const char *list = json_string_value(json_object_get(req, "collectors")) ?: "procfs";
	const char *role = json_string_value(json_object_get(req, "role")) ?: "agent";
	char err[1024] = "";

	snprintf(s->role, sizeof(s->role), "%s", role);

	collect_session__close(s->cs);
	s->cs = collect_session__open(list, err, sizeof(err));
	if (!s->cs)
		return op_error("open: %s", err);
	/* this machine's ksoftirqd and napi threads work for its role */
	collect_session__set_role(s->cs, s->role);
	return json_pack("{sb so}", "ok", 1, "collectors", collect_session__status(s->cs));
}

static uint64_t agent_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t snap_sum(const struct threads_snap *t)
{
	uint64_t v = 0;

	for (size_t i = 0; i < t->n; i++)
		v += t->t[i].cpu_ns;
	return v;
}

/* One interval, ending now. */
static void series_sample(struct agent_series *s)
{
	struct threads_snap t1 = { 0 }, td = { 0 }, ct = { 0 };
	uint64_t c0 = thread_cpu_ns(), now, cpu = 0, child = 0, bytes, sq;
	int pid = atomic_load(&s->child);

	if (!threads_snap__add(&t1, getpid(), s->role) && !threads_snap__delta(&s->t0, &t1, &td))
		cpu = snap_sum(&td);
	if (pid > 0 && !threads_snap__add(&ct, pid, s->role))
		child = snap_sum(&ct);
	/* Between the copy's exit and its result, neither is there: keep the last seen. */
	if (atomic_load(&s->child_cpu) > child)
		child = atomic_load(&s->child_cpu);
	if (s->last_child > child)
		child = s->last_child;
	cpu += child;
	bytes = s->done ? atomic_load(s->done) : 0;
	sq = procfs__softirq_total_ns();
	now = agent_now_ns();
	json_array_append_new(s->t_s, json_real((double)(now - s->w0) / 1e9));
	json_array_append_new(s->bytes, json_integer((json_int_t)(bytes > s->last_bytes ?
								  bytes - s->last_bytes : 0)));
	json_array_append_new(s->cpu, json_integer((json_int_t)(cpu > s->last_cpu ?
								cpu - s->last_cpu : 0)));
	json_array_append_new(s->softirq, json_integer((json_int_t)(sq > s->last_softirq ?
								    sq - s->last_softirq : 0)));
	s->last_ns = now;
	s->last_bytes = bytes > s->last_bytes ? bytes : s->last_bytes;
	s->last_cpu = cpu > s->last_cpu ? cpu : s->last_cpu;
	s->last_child = child;
	s->last_softirq = sq ? sq : s->last_softirq;
	threads_snap__free(&t1);
	threads_snap__free(&td);
	threads_snap__free(&ct);
	s->cost_ns += thread_cpu_ns() - c0;
}

static void *series_thread(void *arg)
{
	struct agent_series *s = arg;
	uint64_t next = s->w0 + s->interval_ns, now;
	struct pollfd p = { .fd = s->wake[0], .events = POLLIN };

	for (;;) {
		now = agent_now_ns();
		if (now < next) {
			int n = poll(&p, 1, (int)((next - now + 999999) / 1000000));

			if (n > 0)
				break;
			continue;
		}
		series_sample(s);
		/* A late sample (busy machine) shortens the next interval, no drift. */
		while (next <= agent_now_ns())
			next += s->interval_ns;
	}
	return NULL;
}

/* Wake the sampler and wait for it to leave. */
static void series_join(struct agent_series *s)
{
	ssize_t n;

	if (!s->running)
		return;
	do
		n = write(s->wake[1], "x", 1);
	while (n < 0 && errno == EINTR);
	pthread_join(s->tid, NULL);
	s->running = false;
}

static void series_free(struct agent_series *s)
{
	series_join(s);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	s->wake[0] = s->wake[1] = -1;
	threads_snap__free(&s->t0);
	json_decref(s->t_s);
	json_decref(s->bytes);
	json_decref(s->cpu);
	json_decref(s->softirq);
	s->t_s = s->bytes = s->cpu = s->softirq = NULL;
	s->interval_ns = 0;
}

/* Open the window's series at w0 (interval 0: none). 0 or -errno. */
static int series_start(struct agent_series *s, uint64_t interval_ns, const char *role,
			const struct threads_snap *t0, uint64_t w0)
{
	int e;

	series_free(s);
	atomic_store(&s->child, 0);
	atomic_store(&s->child_cpu, 0);
	if (s->done)
		atomic_store(s->done, 0);
	if (!interval_ns)
		return 0;
	*s = (struct agent_series){ .interval_ns = interval_ns, .w0 = w0, .done = s->done,
				    .wake = { -1, -1 }, .t_s = json_array(),
				    .bytes = json_array(), .cpu = json_array(),
				    .softirq = json_array() };
	snprintf(s->role, sizeof(s->role), "%s", role);
	s->softirq0 = s->last_softirq = procfs__softirq_total_ns();
	s->last_ns = w0;
	/* Its own copy of the window's start: the sampler thread reads it while op_* run. */
	for (size_t i = 0; i < t0->n; i++) {
		struct thread_cpu *p = realloc(s->t0.t, (s->t0.n + 1) * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->t0.t = p;
		s->t0.t[s->t0.n++] = t0->t[i];
	}
	if (pipe2(s->wake, O_CLOEXEC))
		return -errno;
	e = pthread_create(&s->tid, NULL, series_thread, s);
	if (e)
		return -e;
	s->running = true;
	return 0;
}

/* Close the series with its last interval (ending now): the stop answer's "series", or NULL. */
static json_t *series_stop(struct agent_series *s)
{
	json_t *o;

	if (!s->interval_ns)
		return NULL;
	series_join(s);
	series_sample(s);
	o = json_pack("{sf sO sO sO sO sI ss ss ss}", "interval_s", (double)s->interval_ns / 1e9,
		      "t_s", s->t_s, "bytes", s->bytes, "cpu_ns", s->cpu, "softirq_ns", s->softirq,
		      "sampling_cpu_ns", (json_int_t)s->cost_ns, "cpu_source",
		      "schedstat of this agent's threads and of its copy process",
		      "bytes_source", "the copy's progress (about every 100 ms) as last reported "
		      "before each sample",
		      "softirq_source", "/proc/stat softirq, all CPUs of the machine");
	series_free(s);
	return o;
}

static json_t *op_start(struct agent_sess *s, const json_t *req)
{
	json_int_t iv = json_integer_value(json_object_get(req, "series_interval_ns"));
	int e;

	if (!s->cs)
		return op_error("start: no collectors open%s", "");
	if (iv < 0 || (iv && iv < 1000000))
		return op_error("start: series_interval_ns 0 (none) or at least 1 ms%s", "");
	threads_snap__free(&s->t0);
	threads_snap__add(&s->t0, getpid(), s->role);
	json_array_clear(s->load_threads);
	collect_session__start(s->cs);
	e = series_start(&s->se, (uint64_t)iv, s->role, &s->t0, agent_now_ns());
	if (e) {
		series_free(&s->se);
		return op_error("start: the series sampler: %s", strerror(-e));
	}
	return json_pack("{sb}", "ok", 1);
}

/* This process's threads over the window, as a run's threads.list (docs/record.md). */
static json_t *threads_json(const struct threads_snap *t0, const char *role, const json_t *more)
{
	struct threads_snap t1 = { 0 }, td = { 0 };
	json_t *list = json_deep_copy(more);

	if (!threads_snap__add(&t1, getpid(), role) && !threads_snap__delta(t0, &t1, &td))
		for (size_t i = 0; i < td.n; i++)
			json_array_append_new(
				list,
				json_pack("{sI sI ss ss sI sI sI}", "pid", (json_int_t)td.t[i].pid,
					  "tid", (json_int_t)td.t[i].tid, "comm", td.t[i].comm,
					  "role", td.t[i].role, "cpu_ns",
					  (json_int_t)td.t[i].cpu_ns, "utime_ticks",
					  (json_int_t)td.t[i].utime_ticks, "stime_ticks",
					  (json_int_t)td.t[i].stime_ticks));
	threads_snap__free(&t1);
	threads_snap__free(&td);
	return json_pack("{ss so}", "source", "schedstat", "list", list);
}

static json_t *op_stop(struct agent_sess *s)
{
	unsigned long long ns = 0;
	json_t *coll;

	json_t *se, *rep;

	if (!s->cs)
		return op_error("stop: no collectors open%s", "");
	se = series_stop(&s->se);
	coll = collect_session__stop(s->cs, &ns);
	rep = json_pack("{sb sI so so so}", "ok", 1, "duration_ns", (json_int_t)ns, "collectors",
			coll, "threads", threads_json(&s->t0, s->role, s->load_threads),
			"kernel_threads", collect_session__kernel_threads(s->cs));
	if (se)
		json_object_set_new(rep, "series", se);
	return rep;
}

/*
 * The copy, in a child process (as run's clients): the agent keeps watching its controller
 * and kills the copy when the controller goes, instead of copying on for nobody. The child
 * writes its result document, with its own threads' CPU (schedstat, its whole life: it lives
 * inside the window), on a pipe.
 */
static void load_child(int wfd, const struct engine_client_conf *conf, const char *target,
		       const char *role)
{
	struct engine_result *res = calloc(1, sizeof(*res));
	struct threads_snap t = { 0 };
	json_t *r, *list = json_array();
	char *text;
	size_t n, off = 0;

	if (!res)
		_exit(1);
	engine__client(conf, res);
	/* the series' last interval ends with every byte the copy moved */
	if (conf->progress)
		conf->progress(conf->progress_arg, res->bytes, conf->bytes);
	r = engine__load_json(target, conf, res);
	/* the whole histogram too, in the record's form, so runs[].guests[].latency is as run's */
	json_object_set_new(r, "latency", record__hist_us(&res->latency_ns));
	if (!threads_snap__add(&t, getpid(), role))
		for (size_t i = 0; i < t.n; i++)
			json_array_append_new(
				list,
				json_pack("{sI sI ss ss sI sI sI}", "pid", (json_int_t)t.t[i].pid,
					  "tid", (json_int_t)t.t[i].tid, "comm", t.t[i].comm,
					  "role", t.t[i].role, "cpu_ns", (json_int_t)t.t[i].cpu_ns,
					  "utime_ticks", (json_int_t)t.t[i].utime_ticks,
					  "stime_ticks", (json_int_t)t.t[i].stime_ticks));
	json_object_set_new(r, "threads", list);
	text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!text)
		_exit(1);
	n = strlen(text);
	while (off < n) {
		ssize_t w = write(wfd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	_exit(0);
}

/* In the copy process: its bytes so far, for the window's series (agent_series.done). */
static void load_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	atomic_store((_Atomic uint64_t *)arg, done);
}

static json_t *op_load(struct agent_sess *s, const json_t *req, bool *gone)
{
	struct engine_client_conf conf = { .workload = ENGINE_READ,
					   .io_size = 1u << 20,
					   .depth = 8 };
	const char *addr = json_string_value(json_object_get(req, "addr"));
	json_int_t port = json_integer_value(json_object_get(req, "port"));
	struct pollfd p[2];
	const json_t *v;
	char target[96], *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *r, *t;
	int fds[2], status;
	uint64_t cpu = 0;
	pid_t pid;
	size_t i;

	if (!addr || port < 1 || port > 65535 ||
	    engine__addr(addr, (uint16_t)port, &conf.server, &conf.server_len))
		return op_error("load: needs addr (an IP address) and port%s", "");
	if (json_integer_value(json_object_get(req, "bytes")) <= 0 ||
	    json_integer_value(json_object_get(req, "timeout_ns")) < 0)
		return op_error("load: bytes > 0 and timeout_ns >= 0 wanted%s", "");
	conf.bytes = (uint64_t)json_integer_value(json_object_get(req, "bytes"));
	if ((v = json_object_get(req, "io_size")))
		conf.io_size = (uint32_t)json_integer_value(v);
	if ((v = json_object_get(req, "depth")))
		conf.depth = (uint32_t)json_integer_value(v);
	conf.timeout_ns = (uint64_t)json_integer_value(json_object_get(req, "timeout_ns"));
	if ((v = json_object_get(req, "workload")) &&
	    (!json_is_string(v) || engine__parse_workload(json_string_value(v), &conf)))
		return op_error("load: workload read, write or mixed[:0..100] wanted%s", "");
	conf.verify = json_is_true(json_object_get(req, "verify"));
	if (!conf.bytes || !conf.io_size || conf.io_size > (8u << 20) || !conf.depth ||
	    conf.depth > 256)
		return op_error("load: bytes > 0, io_size 1..8M and depth 1..256 wanted%s", "");
	snprintf(target, sizeof(target), strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
		 (long long)port);
	if (pipe2(fds, O_CLOEXEC))
		return op_error("load: pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return op_error("load: fork: %s", strerror(errno));
	}
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(fds[0]);
		if (s->se.done) {
			conf.progress = load_progress;
			conf.progress_arg = (void *)s->se.done;
		}
		load_child(fds[1], &conf, target, s->role[0] ? s->role : "agent");
	}
	close(fds[1]);
	atomic_store(&s->se.child, pid);
	p[0] = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = s->conn.fd, .events = POLLRDHUP };
	for (;;) {
		ssize_t got;

		if (agent_signal || poll(p, 2, 500) < 0) {
			if (agent_signal)
				break;
			continue;
		}
		if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			*gone = true;
			break;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap ? cap * 2 : 131072);

			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 131072;
		}
		got = read(fds[0], buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fds[0]);
	if (*gone || agent_signal)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = buf && !*gone && !agent_signal ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	if (*gone)
		return NULL;
	if (!json_is_object(r)) {
		json_decref(r);
		return op_error("load: the copy process died (%s)",
				WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "no result");
	}
	/* its threads are added to the window's at stop */
	json_array_foreach(json_object_get(r, "threads"), i, t) {
		json_array_append(s->load_threads, t);
		cpu += (uint64_t)json_integer_value(json_object_get(t, "cpu_ns"));
	}
	atomic_store(&s->se.child_cpu, cpu);
	atomic_store(&s->se.child, 0);
	json_object_del(r, "threads");
	return json_pack("{sb so}", "ok", 1, "result", r);
}

/* Answer one request; *bye when the controller is done. NULL: the controller went away. */
static json_t *agent_op(struct agent_sess *s, const json_t *req, bool *bye)
{
	bool gone = false;
	json_t *rep;

	const char *op = json_string_value(json_object_get(req, "op"));

	if (!op)
		return op_error("a request needs \"op\"%s", "");
	cli__say(s->o->verbose, CLI_VERBOSE, CMD, "%s: %s", s->peer, op);
	if (!strcmp(op, "meta"))
		return op_meta();
	if (!strcmp(op, "serve"))
		return op_serve(s, req);
	if (!strcmp(op, "open"))
		return op_open(s, req);
	if (!strcmp(op, "start"))
		return op_start(s, req);
	if (!strcmp(op, "stop"))
		return op_stop(s);
	if (!strcmp(op, "load")) {
		rep = op_load(s, req, &gone);
		if (gone)
			*bye = true;
		return rep;
	}
	if (!strcmp(op, "bye")) {
		*bye = true;
		return json_pack("{sb}", "ok", 1);
	}
	return op_error("unknown op '%s'", op);
}

static void peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[INET6_ADDRSTRLEN] = "?", p[8] = "?";

	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, p);
}

/* One controller, from its hello to its bye or its loss. */
static void agent_session(const struct agent_opts *o, int fd)
{
	struct agent_sess s = { .o = o, .srv.conf.listen_fd = -1, .load_threads = json_array(),
				.se = { .wake = { -1, -1 } } };
	void *shared;
	const char *token;
	json_t *req = NULL, *rep;
	bool bye = false;
	int e;

	agent_conn__init(&s.conn, fd);
	peer_name(fd, s.peer, sizeof(s.peer));
	/* Where the copy process puts its progress for the series; none: no bytes in it. */
	shared = mmap(NULL, sizeof(*s.se.done), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	s.se.done = shared == MAP_FAILED ? NULL : shared;
	e = agent_conn__recv(&s.conn, HELLO_TIMEOUT_MS, &req);
	if (e) {
		fprintf(stderr, CMD ": controller %s: no hello: %s\n", s.peer,
			e == -EBADMSG ? "not a JSON line" : strerror(-e));
		goto cleanup;
	}
	token = json_string_value(json_object_get(req, "token"));
	if (json_integer_value(json_object_get(req, "hello")) != AGENT_PROTO || !token ||
	    !agent__token_eq(token, o->token)) {
		bool proto =
			token && json_integer_value(json_object_get(req, "hello")) != AGENT_PROTO;

		fprintf(stderr, CMD ": refused controller %s: %s\n", s.peer,
			proto ? "unknown protocol version" : "bad token");
		rep = json_pack("{ss}", "error", proto ? "unknown protocol version" : "bad token");
		agent_conn__send(&s.conn, rep);
		json_decref(rep);
		goto cleanup;
	}
	json_decref(req);
	req = NULL;
	rep = json_pack("{sb si ss}", "ok", 1, "agent", AGENT_PROTO, "version", IOVB_VERSION);
	e = agent_conn__send(&s.conn, rep);
	json_decref(rep);
	if (e)
		goto cleanup;
	cli__say(o->verbose, CLI_NORMAL, CMD, "controller %s connected", s.peer);
	while (!bye && !agent_signal) {
		e = agent_conn__recv(&s.conn, 500, &req);
		if (e == -ETIMEDOUT || e == -EINTR)
			continue;
		if (e == -EBADMSG) {
			rep = json_pack("{ss}", "error", "not a JSON object line");
		} else if (e) {
			fprintf(stderr, CMD ": controller %s lost: %s\n", s.peer,
				e == -ECONNRESET ? "connection closed" : strerror(-e));
			goto cleanup;
		} else {
			rep = agent_op(&s, req, &bye);
		}
		json_decref(req);
		req = NULL;
		if (!rep) {
			fprintf(stderr, CMD ": controller %s lost during the copy: copy stopped\n",
				s.peer);
			goto cleanup;
		}
		e = agent_conn__send(&s.conn, rep);
		json_decref(rep);
		if (e) {
			fprintf(stderr, CMD ": controller %s lost: %s\n", s.peer, strerror(-e));
			goto cleanup;
		}
	}
	cli__say(o->verbose, CLI_NORMAL, CMD, "controller %s done", s.peer);
cleanup:
	json_decref(req);
	agent_server_stop(&s.srv);
	series_free(&s.se);
	if (s.se.done)
		munmap((void *)s.se.done, sizeof(*s.se.done));
	collect_session__close(s.cs);
	threads_snap__free(&s.t0);
	json_decref(s.load_threads);
	agent_conn__close(&s.conn);
}

static int agent_parse(int argc, char **argv, struct agent_opts *o)
{
	static const struct option opts[] = {
		{ "token-file", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *tf = NULL;
	char err[512];
	uint64_t p;
	bool loose;
	int ch, e;

	snprintf(o->host, sizeof(o->host), "127.0.0.1");
	o->port = AGENT_DEFAULT_PORT;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+:t:l:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			tf = optarg;
			break;
		case 'l':
			/* a bare port keeps the loopback address */
			if (!iovb_parse_u64(optarg, 0, 65535, &p))
				o->port = (uint16_t)p;
			else if (agent__hostport(optarg, o->host, sizeof(o->host), &o->port, 0))
				return cli__usage_error(CMD, "bad --listen '%s': [ADDR:]PORT",
							optarg);
			break;
		case 'q':
			o->verbose = CLI_QUIET;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(agent_usage, stdout);
			return -1;
		case ':':
			return cli__usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli__usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (!tf)
		return cli__usage_error(CMD, "%s is required: an agent never runs without a token",
					"--token-file FILE");
	e = agent__token_read(tf, o->token, sizeof(o->token), &loose, err, sizeof(err));
	if (e) {
		fprintf(stderr, CMD ": %s\n", err);
		return IOVB_EXIT_ENV;
	}
	if (loose)
		fprintf(stderr,
			CMD ": warning: token file %s is readable by group or others "
			    "(chmod 600 it)\n",
			tf);
	return 0;
}

int cmd_agent(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = agent_on_signal }, old_int, old_term;
	struct agent_opts o = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd p;
	int lfd = -1, ret, e;

	ret = agent_parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? IOVB_EXIT_OK : ret;
	lfd = engine__listen(o.host, o.port);
	if (lfd < 0) {
		fprintf(stderr, CMD ": cannot listen on %s:%u: %s\n", o.host, o.port,
			lfd == -EINVAL ? "not an IP address" : strerror(-lfd));
		return lfd == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
	}
	if (!getsockname(lfd, (struct sockaddr *)&ss, &sl))
		o.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							: ((struct sockaddr_in *)&ss)->sin_port);
	/* no SA_RESTART: poll and accept return EINTR, and the loop looks at the flag */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	printf(strchr(o.host, ':') ? CMD ": listening on [%s]:%u\n" : CMD ": listening on %s:%u\n",
	       o.host, o.port);
	fflush(stdout);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	while (!agent_signal) {
		int fd;

		e = poll(&p, 1, 500);
		if (e <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		agent_session(&o, fd);
	}
	cli__say(o.verbose, CLI_NORMAL, CMD, "stopped by signal %d", (int)agent_signal);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	close(lfd);
	return IOVB_EXIT_OK;
}
