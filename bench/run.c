// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench run`: bring up the emulated topology, start the file server, and for each
 * repetition and path copy the workload's bytes from a guest while the collectors measure
 * exactly the copy's window; write one record.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "engine.h"
#include "topo.h"
#include "iovb/netcpu.h"
#include "iovb/parse.h"
#include "iovb/perfcol.h"
#include "iovb/rec_perf.h"
#include "iovb/procfs.h"
#include "iovb/record.h"
#include "iovb/role.h"
#include "iovb/summary.h"
#include "iovb/threads.h"
#include "iovb/rec_wire.h"
#include "iovb/wire.h"

#define RUN_PORT 4450
#define DEFAULT_BYTES (4ULL << 30)
#define DEFAULT_WARMUP (256ULL << 20)

/* Set from the signal handler; the only mutable static, as a handler can reach nothing else. */
static volatile sig_atomic_t run_interrupted;
static volatile sig_atomic_t server_stop;

struct run_opts {
	bool path[TOPO_NPATH];
	uint64_t bytes;
	uint64_t warmup;
	uint64_t reps;
	uint64_t io_size;
	uint64_t depth;
	uint64_t link_rate;
	uint64_t timeout_ns;
	bool use_procfs;
	bool use_bpf;
	bool use_perf;
	bool use_wire;
	bool overhead; /* one more copy per path with every collector closed */
	bool report;
	int verbose; /* -1 quiet, 0 normal, 1 verbose */
	const char *label;
	const char *output;
};

struct run_ctx {
	struct run_opts o;
	struct topo *topo;
	struct netcpu *nc;
	char nc_error[256];
	struct perfcol *pc;
	struct wire *wire; /* on the server's eth0, in the server's netns */
	pid_t server_pid;
	bool progress; /* stderr is a terminal and not quiet */
	json_t *rec;
	json_t *runs;
	unsigned failed_copies;
	char out_path[PATH_MAX];
};

/* Messages from a client child to the run, over a pipe. */
struct client_msg {
	char type; /* 'P' progress, 'R' result */
	uint64_t done;
	uint64_t total;
	struct engine_result res;
};

struct client_arg {
	struct engine_client_conf conf;
	int msg_fd; /* write end */
	int hold_fd; /* read end: the child waits for EOF so its threads can be read after the copy */
	int parent_fds[2]; /* the run's ends, which the forked child must close for EOF to come */
	pid_t parent;
};

struct server_arg {
	pid_t parent;
	const char *addr;
	int ready_fd;
};

static const char *const run_usage =
	"usage: iovbench run [options]\n"
	"\n"
	"Copy a file-server workload over each emulated datapath while the collectors measure\n"
	"where kernel CPU time goes, per role (server, host, guest-N, nic) and per device.\n"
	"Needs root: it creates network namespaces, links, a bridge and TAP devices (all named\n"
	"iovb-*) and loads BPF programs; everything is removed when the run ends or fails.\n"
	"\n"
	"options:\n"
	"  --paths LIST        datapaths to measure: pv (paravirtual: TAP + host relay + bridge),\n"
	"                      vf (SR-IOV-like: macvlan VF on the adapter); default pv,vf\n"
	"  --bytes SIZE        bytes each copy moves (default 4G; K/M/G = KiB/MiB/GiB)\n"
	"  --reps N            repetitions per path, interleaved (default 3)\n"
	"  --io-size SIZE      bytes per SMB2 READ (default 1M)\n"
	"  --depth N           READs in flight (credits), 1-256 (default 8)\n"
	"  --warmup SIZE       untimed copy per path before the first repetition (default 256M, 0 = none)\n"
	"  --collectors LIST   procfs,bpf,perf,wire (default procfs,bpf; procfs always runs).\n"
	"                      perf samples kernel code at 999 Hz (cpu-clock) and charges it to\n"
	"                      modules/subsystems (data/modules.tsv, docs/modules.md); wire\n"
	"                      captures headers on the server's eth0 (libpcap)\n"
	"  --overhead          after the repetitions, one more copy per path with every\n"
	"                      collector closed: the report gives throughput with / without\n"
	"  --link-rate RATE    shape the physical link with tbf, e.g. 10gbit (default unshaped)\n"
	"  --timeout T         give up a copy after T (default 300s)\n"
	"  --label NAME        name part of the record file (default \"run\")\n"
	"  -o, --output FILE   record path (default results/<UTC time>-<label>.json.gz)\n"
	"  --report            print the report of the record when done\n"
	"  -q, --quiet         no progress; -v, --verbose: say each step\n"
	"  -h, --help          this text\n"
	"\n"
	"examples:\n"
	"  iovbench run --report\n"
	"  iovbench run --paths pv --bytes 8G --reps 5 --link-rate 10gbit -o pv.json.gz\n"
	"\n"
	"The record (docs/record.md) holds every figure with its source; 'iovbench report FILE'\n"
	"prints per path the throughput and, per role, CPU ns per byte by softirq vector and device.\n";

/*
 * In a child of the run: die with the run, so a killed run does not leave a copy going.
 * The run forks from its only thread, so PDEATHSIG follows the run process itself.
 */
static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	run_interrupted = 1;
}

static void on_server_signal(int sig)
{
	(void)sig;
	server_stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void iso_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void say(const struct run_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct run_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->o.verbose < 1)
		return;
	va_start(ap, fmt);
	fputs("iovbench run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int parse_collectors(const char *s, struct run_opts *o)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	o->use_procfs = true;
	o->use_bpf = false;
	o->use_perf = false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "bpf"))
			o->use_bpf = true;
		else if (!strcmp(tok, "perf"))
			o->use_perf = true;
		else if (!strcmp(tok, "wire"))
			o->use_wire = true;
		else if (strcmp(tok, "procfs"))
			return -EINVAL;
	}
	return 0;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	enum { O_PATHS = 256, O_BYTES, O_REPS, O_IOSIZE, O_DEPTH, O_WARMUP, O_COLL, O_RATE,
	       O_TIMEOUT, O_LABEL, O_REPORT, O_OVERHEAD };
	static const struct option opts[] = {
		{ "paths", required_argument, NULL, O_PATHS },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "reps", required_argument, NULL, O_REPS },
		{ "io-size", required_argument, NULL, O_IOSIZE },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "collectors", required_argument, NULL, O_COLL },
		{ "link-rate", required_argument, NULL, O_RATE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "label", required_argument, NULL, O_LABEL },
		{ "output", required_argument, NULL, 'o' },
		{ "report", no_argument, NULL, O_REPORT },
		{ "overhead", no_argument, NULL, O_OVERHEAD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	*o = (struct run_opts){
		.path = { true, true }, .bytes = DEFAULT_BYTES, .warmup = DEFAULT_WARMUP,
		.reps = 3, .io_size = 1 << 20, .depth = 8, .timeout_ns = 300000000000ULL,
		.use_procfs = true, .use_bpf = true, .label = "run",
	};
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case O_PATHS:
			if (topo__parse_paths(optarg, o->path))
				return cli__usage_error("iovbench run", "bad --paths '%s': a list of pv,vf", optarg);
			break;
		case O_BYTES:
			if (iovb_parse_size(optarg, &o->bytes) || !o->bytes)
				return cli__usage_error("iovbench run", "bad --bytes '%s': a size like 2G or 512M", optarg);
			break;
		case O_REPS:
			if (iovb_parse_u64(optarg, 1, 1000, &o->reps))
				return cli__usage_error("iovbench run", "bad --reps '%s': 1 to 1000", optarg);
			break;
		case O_IOSIZE:
			if (iovb_parse_size(optarg, &o->io_size) || o->io_size < 512 ||
			    o->io_size > (8 << 20))
				return cli__usage_error("iovbench run", "bad --io-size '%s': 512 to 8M", optarg);
			break;
		case O_DEPTH:
			if (iovb_parse_u64(optarg, 1, 256, &o->depth))
				return cli__usage_error("iovbench run", "bad --depth '%s': 1 to 256", optarg);
			break;
		case O_WARMUP:
			if (iovb_parse_size(optarg, &o->warmup))
				return cli__usage_error("iovbench run", "bad --warmup '%s': a size like 256M, or 0", optarg);
			break;
		case O_COLL:
			if (parse_collectors(optarg, o))
				return cli__usage_error("iovbench run", "bad --collectors '%s': a list of procfs,bpf,perf,wire",
						   optarg);
			break;
		case O_RATE:
			if (iovb_parse_rate_bps(optarg, &o->link_rate) || !o->link_rate)
				return cli__usage_error("iovbench run", "bad --link-rate '%s': a rate like 10gbit", optarg);
			break;
		case O_TIMEOUT:
			if (iovb_parse_duration_ns(optarg, &o->timeout_ns) || !o->timeout_ns)
				return cli__usage_error("iovbench run", "bad --timeout '%s': a duration like 300s", optarg);
			break;
		case O_LABEL:
			if (!*optarg || strlen(optarg) > 64 || strpbrk(optarg, "/ \t\n"))
				return cli__usage_error("iovbench run", "bad --label '%s': up to 64 characters, no '/' or spaces",
						   optarg);
			o->label = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_REPORT:
			o->report = true;
			break;
		case O_OVERHEAD:
			o->overhead = true;
			break;
		case 'q':
			o->verbose = -1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			fputs(run_usage, stdout);
			return -1;
		case ':':
			return cli__usage_error("iovbench run", "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error("iovbench run", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli__usage_error("iovbench run", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int server_main(void *p)
{
	struct server_arg *a = p;
	struct engine_server_conf conf = { .max_io_size = 8 << 20 };
	struct sigaction sa = { .sa_handler = on_server_signal };
	char ok = 1;
	int err;

	die_with_parent(a->parent);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	conf.listen_fd = engine__listen(a->addr, RUN_PORT);
	if (conf.listen_fd < 0) {
		fprintf(stderr, "iovbench run: file server cannot listen on %s:%d: %s\n", a->addr,
			RUN_PORT, strerror(-conf.listen_fd));
		return 1;
	}
	if (write(a->ready_fd, &ok, 1) != 1)
		return 1;
	close(a->ready_fd);
	err = engine__serve(&conf, &server_stop);
	if (err)
		fprintf(stderr, "iovbench run: file server failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}

static void client_progress(void *p, uint64_t done, uint64_t total)
{
	struct client_arg *a = p;
	struct client_msg m = { .type = 'P', .done = done, .total = total };

	/* Progress only: a short write on a full pipe is not worth blocking the copy for. */
	if (write(a->msg_fd, &m, sizeof(m)) < 0)
		return;
}

static int client_main(void *p)
{
	struct client_arg *a = p;
	struct client_msg *m = calloc(1, sizeof(*m));
	char c;

	die_with_parent(a->parent);
	close(a->parent_fds[0]);
	close(a->parent_fds[1]);
	if (!m)
		return 1;
	a->conf.progress = client_progress;
	a->conf.progress_arg = a;
	engine__client(&a->conf, &m->res);
	m->type = 'R';
	if (write(a->msg_fd, m, sizeof(*m)) != (ssize_t)sizeof(*m))
		return 1;
	/* Stay alive until the run has read our threads' CPU time. */
	while (read(a->hold_fd, &c, 1) > 0)
		;
	free(m);
	return 0;
}

/* Real-time priority for the calling thread on, or back to normal; best effort. */
static void realtime(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR) {
			if (run_interrupted)
				return -EINTR;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void show_progress(const struct run_ctx *c, const char *what, uint64_t done,
			  uint64_t total, uint64_t t0)
{
	double s = (double)(now_ns() - t0) / 1e9;

	if (!c->progress)
		return;
	fprintf(stderr, "\r\033[K%s  %6.2f / %.2f GiB  %6.2f Gbit/s", what,
		(double)done / (1 << 30), (double)total / (1 << 30),
		s > 0 ? (double)done * 8 / s / 1e9 : 0.0);
	fflush(stderr);
}

static void waitpid_quiet(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * Run one copy from the guest on `path`. With measure set, the collectors' window is the copy
 * (opened just before the client starts, closed as soon as its result arrives) and the run's
 * JSON is appended to c->runs. Returns 0, or -errno when the run cannot go on.
 */
static int copy_once(struct run_ctx *c, enum topo_path path, unsigned rep, bool measure)
{
	struct procfs_snap p0 = { 0 }, p1 = { 0 }, pd = { 0 };
	struct threads_snap t0 = { 0 }, t1 = { 0 }, td = { 0 };
	struct netcpu_stats ns = { 0 };
	struct perfcol_stats ps = { 0 };
	struct wire_stats ws = { 0 };
	struct client_arg ca = { 0 };
	struct client_msg *m = NULL;
	int msg[2] = { -1, -1 }, hold[2] = { -1, -1 };
	const char *guest_role = topo__guest_role(c->topo, path);
	char what[64], started[32], errbuf[256] = "";
	uint64_t w0 = 0, w1 = 0;
	bool nc_ok = false, pf_ok = false, pc_ok = false, wr_ok = false;
	pid_t cpid = -1;
	json_t *r = NULL;
	bool fatal = true;
	int err = 0;

	if (measure)
		snprintf(what, sizeof(what), "[%s rep %u/%" PRIu64 "]", topo_path_names[path], rep,
			 c->o.reps);
	else
		snprintf(what, sizeof(what), "[%s warm-up]", topo_path_names[path]);
	m = calloc(1, sizeof(*m));
	if (!m || pipe2(msg, O_CLOEXEC) || pipe2(hold, O_CLOEXEC)) {
		err = m ? -errno : -ENOMEM;
		snprintf(errbuf, sizeof(errbuf), "cannot create pipes: %s", strerror(-err));
		goto cleanup;
	}
	ca.msg_fd = msg[1];
	ca.hold_fd = hold[0];
	ca.parent_fds[0] = msg[0];
	ca.parent_fds[1] = hold[1];
	ca.parent = getpid();
	ca.conf.workload = ENGINE_READ;
	ca.conf.io_size = (uint32_t)c->o.io_size;
	ca.conf.depth = (uint32_t)c->o.depth;
	ca.conf.bytes = measure ? c->o.bytes : c->o.warmup;
	ca.conf.timeout_ns = c->o.timeout_ns;
	err = engine__addr(topo__server_addr(c->topo), RUN_PORT, &ca.conf.server,
			   &ca.conf.server_len);
	if (err) {
		snprintf(errbuf, sizeof(errbuf), "bad server address");
		goto cleanup;
	}

	if (measure) {
		/* Long-lived processes first: their start values are read before the window opens. */
		threads_snap__add(&t0, c->server_pid, IOVB_ROLE_SERVER);
		if (topo__relay_pid(c->topo) > 0)
			threads_snap__add(&t0, topo__relay_pid(c->topo), IOVB_ROLE_HOST);
		/*
		 * /proc/softirqs and the bpf counters must be read back to back at both ends of
		 * the window, or their counts differ by what ran in between: netcpu__start reads its
		 * counters first and netcpu__stop last, and the pair runs at real-time priority so a
		 * busy machine cannot preempt it in the middle.
		 */
		realtime(true);
		if (!procfs_snap__read(&p0, "/proc"))
			pf_ok = true;
		if (c->nc && !netcpu__start(c->nc))
			nc_ok = true;
		realtime(false);
		for (size_t i = 0; pf_ok && i < topo__nns(c->topo); i++)
			if (procfs_snap__read_netdev(&p0, topo__ns(c->topo, i)->name, NULL))
				pf_ok = false;
		if (c->pc && !perfcol__start(c->pc))
			pc_ok = true;
		if (c->wire && !wire__start(c->wire))
			wr_ok = true;
		iso_now(started, sizeof(started));
	}
	w0 = now_ns();
	cpid = topo__spawn_in(topo__guest_ns(c->topo, path), client_main, &ca);
	if (cpid < 0) {
		err = (int)cpid;
		snprintf(errbuf, sizeof(errbuf), "cannot start the client in %s: %s",
			 topo__guest_ns(c->topo, path), strerror(-err));
		goto cleanup;
	}
	close(msg[1]);
	msg[1] = -1;
	close(hold[0]);
	hold[0] = -1;
	for (;;) {
		ssize_t n = read_full(msg[0], m, sizeof(*m));

		if (n == -EINTR) {
			err = -EINTR;
			snprintf(errbuf, sizeof(errbuf), "interrupted");
			break;
		}
		if (n != (ssize_t)sizeof(*m)) {
			err = -EPIPE;
			snprintf(errbuf, sizeof(errbuf), "the client in %s died without a result",
				 topo__guest_ns(c->topo, path));
			break;
		}
		if (m->type == 'P') {
			show_progress(c, what, m->done, m->total, w0);
			continue;
		}
		break;
	}
	w1 = now_ns();
	if (measure) {
		if (wr_ok && wire__stop(c->wire, &ws))
			wr_ok = false;
		if (pc_ok && perfcol__stop(c->pc, &ps))
			pc_ok = false;
		realtime(true);
		/* the counters' end, then /proc/softirqs, then the slow part (naming devices) */
		if (nc_ok && netcpu__mark_end(c->nc))
			nc_ok = false;
		if (pf_ok && procfs_snap__read(&p1, "/proc"))
			pf_ok = false;
		realtime(false);
		if (nc_ok && netcpu__stop(c->nc, &ns))
			nc_ok = false;
		for (size_t i = 0; pf_ok && i < topo__nns(c->topo); i++)
			if (procfs_snap__read_netdev(&p1, topo__ns(c->topo, i)->name, NULL))
				pf_ok = false;
		threads_snap__add(&t1, c->server_pid, IOVB_ROLE_SERVER);
		if (topo__relay_pid(c->topo) > 0)
			threads_snap__add(&t1, topo__relay_pid(c->topo), IOVB_ROLE_HOST);
		threads_snap__add(&t1, cpid, guest_role);
	}
	if (c->progress)
		fputs("\r\033[K", stderr);
	if (!err)
		fatal = false;
	if (!err && m->res.status) {
		snprintf(errbuf, sizeof(errbuf), "copy over %s failed: %s", topo_path_names[path],
			 m->res.error);
		err = m->res.status;
	}
	if (!measure)
		goto cleanup;

	r = json_object();
	json_object_set_new(r, "path", json_string(topo_path_names[path]));
	json_object_set_new(r, "rep", json_integer(rep));
	json_object_set_new(r, "status", json_string(err ? (err == -EINTR ? "interrupted" :
								"aborted") : "ok"));
	if (err)
		json_object_set_new(r, "error", json_string(errbuf));
	json_object_set_new(r, "guest_role", json_string(guest_role));
	json_object_set_new(r, "guest_netns", json_string(topo__guest_ns(c->topo, path)));
	json_object_set_new(r, "window", json_pack("{ss sI ss}", "start", started, "duration_ns",
						   (json_int_t)(w1 - w0), "clock",
						   "CLOCK_MONOTONIC, run process"));
	if (m->type == 'R') {
		const struct engine_result *e = &m->res;
		double secs = (double)(e->end_ns - e->start_ns) / 1e9;

		json_object_set_new(r, "engine", json_pack("{ss sI sI sI so so so}",
			"source", "engine (client side, SMB2 READ responses)",
			"bytes", (json_int_t)e->bytes, "wire_bytes", (json_int_t)e->wire_bytes,
			"ios", (json_int_t)e->ios,
			"seconds", record__real(e->end_ns > e->start_ns ? secs : NAN),
			"throughput_bps",
			record__real(secs > 0 ? (double)e->bytes * 8 / secs : NAN),
			"latency", record__hist_us(&e->latency_ns)));
	}
	if (!threads_snap__delta(&t0, &t1, &td)) {
		json_t *list = json_array();

		for (size_t i = 0; i < td.n; i++)
			json_array_append_new(list, json_pack("{sI sI ss ss sI sI sI}",
				"pid", (json_int_t)td.t[i].pid, "tid", (json_int_t)td.t[i].tid,
				"comm", td.t[i].comm, "role", td.t[i].role,
				"cpu_ns", (json_int_t)td.t[i].cpu_ns,
				"utime_ticks", (json_int_t)td.t[i].utime_ticks,
				"stime_ticks", (json_int_t)td.t[i].stime_ticks));
		json_object_set_new(r, "threads", json_pack("{ss ss so}", "source",
			"schedstat (/proc/PID/task/TID/schedstat sum_exec_runtime)", "unit",
			"ns; includes interrupt time run on top of the thread (no IRQ_TIME_ACCOUNTING)",
			"list", list));
	}
	{
		json_t *coll = json_object();

		if (pf_ok && !procfs_snap__delta(&p0, &p1, &pd))
			json_object_set_new(coll, "procfs", record__procfs(&pd, sysconf(_SC_CLK_TCK)));
		if (nc_ok)
			json_object_set_new(coll, "bpf",
					    record__netcpu(&ns, (record_role_fn)topo__role_of,
							   c->topo));
		if (pc_ok) {
			json_t *pj = record__perf(&ps);

			json_object_set_new(pj, "roles", record__perf_roles(&ps, &td,
					    (record_role_fn)topo__role_of, c->topo));
			json_object_set_new(coll, "perf", pj);
		}
		if (wr_ok)
			json_object_set_new(coll, "wire", record__wire(&ws));
		json_object_set_new(r, "collectors", coll);
	}
	json_array_append_new(c->runs, r);
cleanup:
	if (err && errbuf[0] && err != -EINTR && c->o.verbose >= 0)
		fprintf(stderr, "iovbench run: %s\n", errbuf);
	if (msg[1] >= 0)
		close(msg[1]);
	if (hold[0] >= 0)
		close(hold[0]);
	if (hold[1] >= 0)
		close(hold[1]);
	if (msg[0] >= 0)
		close(msg[0]);
	if (cpid > 0) {
		if (err == -EINTR)
			kill(cpid, SIGTERM);
		waitpid_quiet(cpid);
	}
	procfs_snap__free(&p0);
	procfs_snap__free(&p1);
	procfs_snap__free(&pd);
	threads_snap__free(&t0);
	threads_snap__free(&t1);
	threads_snap__free(&td);
	netcpu_stats__free(&ns);
	perfcol_stats__free(&ps);
	free(m);
	/* A failed copy is recorded and the run goes on (exit status says so); an interrupt or a
	 * broken setup stops it. */
	if (err && !fatal)
		c->failed_copies++;
	return fatal ? err : 0;
}

/*
 * --overhead: close every collector (BPF programs detached, sampling and capture off), then one
 * more copy per path, kept apart in the record's overhead_runs[] so no other reader pools it
 * with the measured repetitions. Returns the exit status so far.
 */
static int run_overhead(struct run_ctx *c)
{
	json_t *measured = c->runs;
	int ret = IOVB_EXIT_OK;

	perfcol__close(c->pc);
	netcpu__close(c->nc);
	wire__close(c->wire);
	c->pc = NULL;
	c->nc = NULL;
	c->wire = NULL;
	c->runs = json_array();
	for (int p = 0; p < TOPO_NPATH && ret == IOVB_EXIT_OK && !run_interrupted; p++) {
		if (!c->o.path[p])
			continue;
		say(c, "%s with the collectors closed (--overhead)", topo_path_names[p]);
		if (copy_once(c, p, 1, true))
			ret = IOVB_EXIT_ENV;
	}
	json_object_set_new(c->rec, "overhead_runs", c->runs);
	c->runs = measured;
	return ret;
}

static void cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static json_t *meta_json(const struct run_ctx *c, int argc, char **argv, const char *started)
{
	struct utsname u;
	char model[256], rev[64];
	json_t *cmd = json_array();

	uname(&u);
	cpu_model(model, sizeof(model));
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	snprintf(rev, sizeof(rev), "%s", IOVB_GIT_REV);
	return json_pack("{s{ss ss} ss s{ss ss ss} s{ss sI sI} ss so}",
			 "tool", "version", IOVB_VERSION, "git_rev", rev,
			 "label", c->o.label,
			 "kernel", "release", u.release, "version", u.version, "machine", u.machine,
			 "cpu", "model", model, "nproc", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			 "clk_tck", (json_int_t)sysconf(_SC_CLK_TCK),
			 "started", started, "command_line", cmd);
}

static json_t *topo_json(const struct run_ctx *c)
{
	json_t *o = json_object(), *nss = json_array(), *devs = json_array();

	json_object_set_new(o, "kind", json_string("emulated"));
	json_object_set_new(o, "server_addr", json_string(topo__server_addr(c->topo)));
	json_object_set_new(o, "link_rate_bps", c->o.link_rate ?
			    json_integer((json_int_t)c->o.link_rate) : json_null());
	for (size_t i = 0; i < topo__nns(c->topo); i++) {
		const struct topo_ns *n = topo__ns(c->topo, i);

		json_array_append_new(nss, json_pack("{ss ss sI}", "name", n->name, "role", n->role,
						     "netns_ino", (json_int_t)n->ino));
	}
	json_object_set_new(o, "namespaces", nss);
	for (size_t i = 0; i < topo__ndevs(c->topo); i++) {
		const struct topo_dev *d = topo__dev(c->topo, i);
		char off[512];

		if (topo__dev_offloads(c->topo, i, off, sizeof(off)))
			snprintf(off, sizeof(off), "unknown");
		json_array_append_new(devs,
			json_pack("{ss ss ss ss ss sI sI ss}", "name", d->name, "netns", d->netns,
				  "role", d->role, "kind", d->kind, "stands_for", d->stands_for,
				  "ifindex", (json_int_t)d->ifindex,
				  "netns_ino", (json_int_t)d->netns_ino, "offloads", off));
	}
	json_object_set_new(o, "devices", devs);
	for (int p = 0; p < TOPO_NPATH; p++)
		if (c->o.path[p])
			json_object_set_new(o, topo_path_names[p],
					    json_pack("{ss ss}", "guest_netns",
						      topo__guest_ns(c->topo, p), "guest_role",
						      topo__guest_role(c->topo, p)));
	return o;
}

static int start_server(struct run_ctx *c, char *err, size_t errlen)
{
	struct server_arg a = { .parent = getpid(), .addr = topo__server_addr(c->topo) };
	int fds[2];
	char ok = 0;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	a.ready_fd = fds[1];
	c->server_pid = topo__spawn_in(topo__server_ns(c->topo), server_main, &a);
	close(fds[1]);
	if (c->server_pid < 0) {
		snprintf(err, errlen, "cannot start the file server: %s",
			 strerror(-(int)c->server_pid));
		close(fds[0]);
		c->server_pid = 0;
		return -ECHILD;
	}
	n = read_full(fds[0], &ok, 1);
	close(fds[0]);
	if (n != 1 || ok != 1) {
		snprintf(err, errlen, "the file server did not start (see the message above)");
		return -ECHILD;
	}
	return 0;
}

static void stop_server(struct run_ctx *c)
{
	if (c->server_pid <= 0)
		return;
	kill(c->server_pid, SIGTERM);
	waitpid_quiet(c->server_pid);
	c->server_pid = 0;
}

static int default_output(struct run_ctx *c)
{
	char stamp[32];
	struct tm tm;
	time_t t = time(NULL);

	if (c->o.output) {
		snprintf(c->out_path, sizeof(c->out_path), "%s", c->o.output);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (mkdir("results", 0755) && errno != EEXIST)
		return -errno;
	snprintf(c->out_path, sizeof(c->out_path), "results/%s-%s.json.gz", stamp, c->o.label);
	return 0;
}

static void random_id(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Short on purpose: it goes into netns names; pid + time keeps concurrent runs apart. */
	snprintf(buf, len, "%04x%02x", (unsigned)(getpid() & 0xffff),
		 (unsigned)((ts.tv_nsec >> 10) & 0xff));
}

int cmd_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct run_ctx c = { 0 };
	struct topo_conf tc = { 0 };
	char err[512] = "", run_id[16], started[32], ended[32];
	json_t *colls;
	int ret = IOVB_EXIT_ENV, e;

	e = run_parse(argc, argv, &c.o);
	if (e)
		return e < 0 ? IOVB_EXIT_OK : e;
	if (geteuid() != 0) {
		fprintf(stderr, "iovbench run: needs root (network namespaces, links, BPF); "
				"run it with sudo\n");
		return IOVB_EXIT_ENV;
	}
	if (default_output(&c)) {
		fprintf(stderr, "iovbench run: cannot create results/: %s\n", strerror(errno));
		return IOVB_EXIT_ENV;
	}
	c.progress = c.o.verbose >= 0 && isatty(STDERR_FILENO);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	iso_now(started, sizeof(started));

	random_id(run_id, sizeof(run_id));
	tc.run_id = run_id;
	for (int p = 0; p < TOPO_NPATH; p++)
		tc.path[p] = c.o.path[p];
	tc.link_rate_bps = c.o.link_rate;
	say(&c, "bringing up topology %s", run_id);
	if (c.o.verbose >= 0)
		fprintf(stderr, "iovbench run: setting up the emulated topology (run id %s)\n", run_id);
	c.topo = topo__up(&tc, err, sizeof(err));
	if (!c.topo) {
		fprintf(stderr, "iovbench run: topology: %s\n", err);
		goto cleanup;
	}
	colls = json_array();
	json_array_append_new(colls, json_pack("{ss ss}", "name", "procfs", "status", "ok"));
	if (c.o.use_bpf) {
		c.nc = netcpu__open(c.nc_error, sizeof(c.nc_error));
		if (c.nc)
			json_array_append_new(colls, json_pack("{ss ss}", "name", "bpf", "status", "ok"));
		else {
			/* The record says so; nothing is invented in its place. */
			json_array_append_new(colls, json_pack("{ss ss ss}", "name", "bpf", "status",
							       "unavailable", "error", c.nc_error));
			fprintf(stderr, "iovbench run: bpf collector unavailable: %s\n", c.nc_error);
		}
	} else {
		json_array_append_new(colls, json_pack("{ss ss}", "name", "bpf", "status",
						       "not requested"));
	}
	if (c.o.use_perf) {
		char perr[256] = "";

		c.pc = perfcol__open(NULL, perr, sizeof(perr));
		if (c.pc)
			json_array_append_new(colls, json_pack("{ss ss}", "name", "perf", "status", "ok"));
		else {
			json_array_append_new(colls, json_pack("{ss ss ss}", "name", "perf", "status",
							       "unavailable", "error", perr));
			fprintf(stderr, "iovbench run: perf collector unavailable: %s\n", perr);
		}
	}
	if (c.o.use_wire) {
		struct wire_conf wc = { .ifaces = "eth0", .netns = topo__server_ns(c.topo) };
		char werr[256] = "";

		c.wire = wire__open(&wc, werr, sizeof(werr));
		json_array_append_new(colls, c.wire ? json_pack("{ss ss}", "name", "wire", "status",
							       "ok") :
					      json_pack("{ss ss ss}", "name", "wire", "status",
							"unavailable", "error", werr));
		if (!c.wire)
			fprintf(stderr, "iovbench run: wire collector unavailable: %s\n", werr);
	}
	json_array_append_new(colls, json_pack("{ss ss}", "name", "threads", "status", "ok"));
	if (start_server(&c, err, sizeof(err))) {
		fprintf(stderr, "iovbench run: %s\n", err);
		json_decref(colls);
		goto cleanup;
	}
	c.rec = json_object();
	c.runs = json_array();
	json_object_set_new(c.rec, "schema", json_integer(IOVB_RECORD_SCHEMA));
	json_object_set_new(c.rec, "meta", meta_json(&c, argc, argv, started));
	json_object_set_new(c.rec, "topology", topo_json(&c));
	json_object_set_new(c.rec, "workload",
			    json_pack("{ss sI sI sI sI sI ss}", "kind", "read", "bytes",
				      (json_int_t)c.o.bytes, "io_size", (json_int_t)c.o.io_size,
				      "depth", (json_int_t)c.o.depth, "reps", (json_int_t)c.o.reps,
				      "warmup_bytes", (json_int_t)c.o.warmup, "order",
				      "repetitions interleaved across paths"));
	json_object_set_new(c.rec, "collectors", colls);

	ret = IOVB_EXIT_OK;
	for (int p = 0; p < TOPO_NPATH && c.o.warmup && !run_interrupted; p++) {
		if (!c.o.path[p])
			continue;
		say(&c, "warm-up on %s", topo_path_names[p]);
		if (copy_once(&c, p, 0, false))
			ret = IOVB_EXIT_ENV;
	}
	for (unsigned rep = 1; rep <= c.o.reps && ret == IOVB_EXIT_OK && !run_interrupted; rep++)
		for (int p = 0; p < TOPO_NPATH && ret == IOVB_EXIT_OK && !run_interrupted; p++) {
			if (!c.o.path[p])
				continue;
			say(&c, "%s repetition %u", topo_path_names[p], rep);
			if (copy_once(&c, p, rep, true))
				ret = IOVB_EXIT_ENV;
		}
	if (c.o.overhead && ret == IOVB_EXIT_OK && !run_interrupted)
		ret = run_overhead(&c);
	if (run_interrupted)
		ret = 130;
	else if (c.failed_copies && ret == IOVB_EXIT_OK)
		ret = IOVB_EXIT_FINDING;

	iso_now(ended, sizeof(ended));
	json_object_set_new(json_object_get(c.rec, "meta"), "ended", json_string(ended));
	json_object_set_new(c.rec, "status", json_string(run_interrupted ? "interrupted" :
							 ret ? "incomplete" : "ok"));
	json_object_set_new(c.rec, "runs", c.runs);
	c.runs = NULL;
cleanup:
	stop_server(&c);
	perfcol__close(c.pc);
	netcpu__close(c.nc);
	wire__close(c.wire);
	if (c.topo) {
		if (c.o.verbose >= 0)
			fprintf(stderr, "iovbench run: removing the topology\n");
		topo__down(c.topo);
	}
	if (c.rec) {
		/* Written whatever happened: what was measured is kept, with its status. */
		if (record__write(c.rec, c.out_path, err, sizeof(err))) {
			fprintf(stderr, "iovbench run: %s\n", err);
			ret = IOVB_EXIT_ENV;
		} else {
			if (c.o.verbose >= 0)
				fprintf(stderr, "iovbench run: record written to %s\n", c.out_path);
			if (c.o.report && json_array_size(json_object_get(c.rec, "runs")))
				summary__print_record(stdout, c.rec);
		}
	}
	json_decref(c.runs);
	json_decref(c.rec);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}
