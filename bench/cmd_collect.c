// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench collect`: the collectors alone, around a duration, a command (window = its
 * lifetime) or until SIGINT; one record (workload.kind "collect") and a summary. Collect, then
 * render: the collectors fill structs, the record writer makes JSON, and the summary is
 * derived from the record only (report/collect_sum.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cmds.h"
#include "collect.h"
#include "iovb/cli.h"
#include "iovb/collect_sum.h"
#include "iovb/netcpu.h"
#include "iovb/parse.h"
#include "iovb/perfcol.h"
#include "iovb/procfs.h"
#include "iovb/rec_meta.h"
#include "iovb/rec_perf.h"
#include "iovb/rec_wire.h"
#include "iovb/record.h"
#include "iovb/role.h"
#include "iovb/threads.h"
#include "iovb/wire.h"

#define CMD "iovbench collect"

/* Set from the signal handler; the only mutable static, as a handler can reach nothing else. */
static volatile sig_atomic_t collect_signal;

enum { C_PROCFS, C_BPF, C_PERF, C_WIRE, C_NR };
static const char *const coll_names[C_NR] = { "procfs", "bpf", "perf", "wire" };

struct collect_opts {
	bool want[C_NR];
	bool coll_given;
	uint64_t duration_ns;
	char **cmd; /* NULL-terminated, or NULL */
	int ncmd;
	const char *output;
	const char *label;
	bool json;
	struct wire_conf wire;
	int verbosity; /* enum cli_verbosity */
};

struct coll_state {
	bool ok;       /* loaded, and its window worked */
	char err[256]; /* why not, when requested and not ok */
};

struct collect_ctx {
	struct collect_opts o;
	struct coll_state cs[C_NR];
	struct netcpu *nc;
	struct perfcol *pc;
	struct wire *wire;
	char out_path[PATH_MAX];
	/* the role of the machine's network kernel threads; IOVB_ROLE_HOST unless an agent's */
	char kt_role[32];
};

/* What the window ran: the command's fate, for the record and the exit status. */
struct cmd_result {
	pid_t pid;
	bool started;
	int exit_code; /* -1 unless it exited */
	int signal;    /* 0 unless killed by one */
	int exec_errno;
};

static const char usage[] =
	"usage: iovbench collect [options] [--duration T | -- COMMAND [ARGS...]]\n"
	"\n"
	"Run the collectors alone, without a topology or the engine: for a duration, for the\n"
	"lifetime of COMMAND (its exit status becomes ours), or until SIGINT/SIGTERM. Write a\n"
	"record (workload.kind \"collect\") and print a summary: softirq events and time per\n"
	"vector (bpf and /proc/softirqs side by side), kernel CPU per module (perf), packets per\n"
	"interface (wire), and what each collector itself cost.\n"
	"\n"
	"options:\n"
	"  -c, --collectors LIST  procfs,bpf,perf,wire (default procfs,bpf,perf, and wire when\n"
	"                         --wire-if is given). procfs needs no privileges; bpf needs\n"
	"                         root/CAP_BPF+CAP_PERFMON, perf root/CAP_PERFMON (or\n"
	"                         kernel.perf_event_paranoid <= 0), wire root/CAP_NET_RAW\n"
	"  -d, --duration T       window length: 10s, 500ms, 2m\n"
	"      --wire-if LIST     interfaces the wire collector captures on (e.g. lo,eth0)\n"
	"      --wire-netns NAME  their network namespace (a name under /run/netns)\n"
	"      --snaplen N        bytes kept per packet, 64 to 65535 (default 128: headers)\n"
	"      --pcap FILE        keep the capture there (pcap, LINUX_SLL2 framing)\n"
	"  -o, --output FILE      record path (default results/<UTC time>-<label>.json.gz)\n"
	"      --label NAME       name part of the default record file (default \"collect\")\n"
	"  -j, --json             print the summary as one JSON document on stdout (COMMAND's\n"
	"                         standard output then goes to standard error)\n"
	"  -q, --quiet            no text summary, notes or warnings, only errors\n"
	"  -v, --verbose          also say each step on stderr\n"
	"  -h, --help             this text\n"
	"\n"
	"A requested collector that cannot load is said on stderr and in the record\n"
	"(status \"unavailable\" with the reason); the others go on. Exit status: the command's\n"
	"(128+N if signal N killed it; 127 if it could not be run), else 0; 2 usage; 3 when no\n"
	"requested collector could load or the record could not be written.\n"
	"\n"
	"examples:\n"
	"  iovbench collect --duration 10s\n"
	"  sudo iovbench collect -c bpf,perf --json -- iperf3 -c 127.0.0.1 -p 5299 -t 10\n"
	"  sudo iovbench collect -c procfs,wire --wire-if eth0 --pcap hdrs.pcap -d 5s\n";

static void on_signal(int sig)
{
	collect_signal = sig;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Real-time priority for the calling thread on, or back to normal; best effort. */
static void realtime(bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	sched_setscheduler(0, on ? SCHED_FIFO : SCHED_OTHER, &sp);
}

static int parse_collectors(const char *s, bool want[C_NR])
{
	char buf[128], *tok, *save = NULL;
	int i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	memset(want, 0, C_NR * sizeof(*want));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < C_NR && strcmp(tok, coll_names[i]); i++)
			;
		if (i == C_NR)
			return -EINVAL;
		want[i] = true;
	}
	return 0;
}

/* 0, -1 after --help, or the usage exit status. */
static int collect_parse(int argc, char **argv, struct collect_opts *o)
{
	enum { O_WIRE_IF = 256, O_WIRE_NS, O_SNAPLEN, O_PCAP, O_LABEL };
	static const struct option opts[] = {
		{ "collectors", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "wire-if", required_argument, NULL, O_WIRE_IF },
		{ "wire-netns", required_argument, NULL, O_WIRE_NS },
		{ "snaplen", required_argument, NULL, O_SNAPLEN },
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, O_LABEL },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int ch;

	*o = (struct collect_opts){ .want = { true, true, true, false }, .label = "collect" };
	optind = 1;
	opterr = 0;
	/* '+': stop at the first non-option, so COMMAND's own options stay its own */
	while ((ch = getopt_long(argc, argv, "+:c:d:o:jqvh", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(ch, &o->verbosity))
			continue;
		switch (ch) {
		case 'c':
			if (parse_collectors(optarg, o->want))
				return cli__usage_error(CMD,
							"bad --collectors '%s': a list of "
							"procfs,bpf,perf,wire",
							optarg);
			o->coll_given = true;
			break;
		case 'd':
			if (iovb_parse_duration_ns(optarg, &o->duration_ns) || !o->duration_ns)
				return cli__usage_error(CMD,
							"bad --duration '%s': a duration like "
							"10s or 500ms",
							optarg);
			break;
		case O_WIRE_IF:
			o->wire.ifaces = optarg;
			break;
		case O_WIRE_NS:
			o->wire.netns = optarg;
			break;
		case O_SNAPLEN:
			if (iovb_parse_u64(optarg, 64, 65535, &v))
				return cli__usage_error(CMD, "bad --snaplen '%s': 64 to 65535",
							optarg);
			o->wire.snaplen = (unsigned)v;
			break;
		case O_PCAP:
			o->wire.pcap_path = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_LABEL:
			if (!*optarg || strlen(optarg) > 64 || strpbrk(optarg, "/ \t\n"))
				return cli__usage_error(CMD,
							"bad --label '%s': up to 64 characters, "
							"no '/' or spaces",
							optarg);
			o->label = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		case ':':
			return cli__usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			return cli__usage_error(CMD,
						"unexpected argument '%s' (a command goes "
						"after --)",
						argv[optind]);
		o->cmd = &argv[optind];
		o->ncmd = argc - optind;
	}
	if (o->cmd && o->duration_ns)
		return cli__usage_error(CMD, "%s: give --duration or a command, not both",
					"--duration");
	if (o->wire.ifaces && !o->coll_given)
		o->want[C_WIRE] = true;
	if (o->want[C_WIRE] && !o->wire.ifaces)
		return cli__usage_error(CMD, "%s: the wire collector needs --wire-if IF[,IF]",
					"wire");
	if (!o->want[C_WIRE] && (o->wire.ifaces || o->wire.pcap_path || o->wire.netns))
		return cli__usage_error(CMD, "%s: wire options without the wire collector",
					"--wire-if/--pcap/--wire-netns");
	return 0;
}

static int default_output(struct collect_ctx *c)
{
	return record__default_path(c->out_path, sizeof(c->out_path), c->o.output,
				    c->o.label);
}

/* Load what was asked for; each failure is said once, here. Returns how many loaded. */
static int open_collectors(struct collect_ctx *c)
{
	struct procfs_snap probe = { 0 };
	int n = 0, e;

	if (c->o.want[C_PROCFS]) {
		e = procfs_snap__read(&probe, "/proc");
		c->cs[C_PROCFS].ok = !e;
		if (e)
			snprintf(c->cs[C_PROCFS].err, sizeof(c->cs[C_PROCFS].err),
				 "procfs: cannot read /proc: %s", strerror(-e));
		procfs_snap__free(&probe);
	}
	if (c->o.want[C_BPF]) {
		c->nc = netcpu__open(c->cs[C_BPF].err, sizeof(c->cs[C_BPF].err));
		c->cs[C_BPF].ok = c->nc != NULL;
	}
	if (c->o.want[C_PERF]) {
		c->pc = perfcol__open(NULL, c->cs[C_PERF].err, sizeof(c->cs[C_PERF].err));
		c->cs[C_PERF].ok = c->pc != NULL;
	}
	if (c->o.want[C_WIRE]) {
		c->wire = wire__open(&c->o.wire, c->cs[C_WIRE].err, sizeof(c->cs[C_WIRE].err));
		c->cs[C_WIRE].ok = c->wire != NULL;
	}
	for (int i = 0; i < C_NR; i++)
		n += c->cs[i].ok;
	/* One missing collector is a warning (the others go on); all of them missing, an error. */
	for (int i = 0; i < C_NR; i++)
		if (c->o.want[i] && !c->cs[i].ok)
			cli__say(n ? c->o.verbosity : CLI_NORMAL, CLI_NORMAL, CMD,
				 "%s%s collector unavailable: %s", n ? "warning: " : "",
				 coll_names[i], c->cs[i].err[0] ? c->cs[i].err : "unknown error");
	return n;
}

/* Fork and exec the command; its exec failure comes back over a close-on-exec pipe. */
static void cmd_start(const struct collect_opts *o, struct cmd_result *r)
{
	int fds[2], e = 0;
	ssize_t n;

	r->exit_code = -1;
	if (pipe2(fds, O_CLOEXEC)) {
		r->exec_errno = errno;
		return;
	}
	r->pid = fork();
	if (r->pid < 0) {
		r->exec_errno = errno;
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (r->pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* the collectors' fds (perf events, capture socket) are not the command's */
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		close(fds[0]);
		/* --json: our stdout is the one JSON document; the command's output is not part of it */
		if (o->json && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			e = errno;
			if (write(fds[1], &e, sizeof(e)) != sizeof(e))
				_exit(127);
			_exit(126);
		}
		execvp(o->cmd[0], o->cmd);
		e = errno;
		if (write(fds[1], &e, sizeof(e)) != sizeof(e))
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(fds[1]);
	do
		n = read(fds[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	r->started = n != (ssize_t)sizeof(e);
	if (!r->started)
		r->exec_errno = e;
}

/* Wait for the command; a SIGTERM to us is passed on (SIGINT from a terminal reached it too). */
static void cmd_wait(struct cmd_result *r)
{
	bool forwarded = false;
	int status;

	for (;;) {
		if (waitpid(r->pid, &status, 0) == r->pid)
			break;
		if (errno != EINTR)
			return;
		if (collect_signal == SIGTERM && !forwarded) {
			kill(r->pid, SIGTERM);
			forwarded = true;
		}
	}
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
	if (!r->started)
		r->exit_code =
			-1; /* the exec failed: the child's status is ours, not the command's */
}

/*
 * Sleep until the deadline (0: none) or a signal. Slices of at most 100 ms: a signal landing
 * between the flag check and the sleep (pause() would miss it) costs at most one slice.
 */
static void wait_window(uint64_t duration_ns)
{
	uint64_t end = clock_ns(CLOCK_MONOTONIC) + duration_ns, now, left;
	struct timespec ts;

	while (!collect_signal) {
		now = clock_ns(CLOCK_MONOTONIC);
		if (duration_ns && now >= end)
			break;
		left = duration_ns ? end - now : UINT64_MAX;
		if (left > 100000000ULL)
			left = 100000000ULL;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
}

static json_t *command_json(const struct collect_opts *o, const struct cmd_result *r)
{
	json_t *argv = json_array(), *cmd;

	for (int i = 0; i < o->ncmd; i++)
		json_array_append_new(argv, json_string(o->cmd[i]));
	cmd = json_pack("{so sI}", "argv", argv, "pid", (json_int_t)r->pid);
	json_object_set_new(cmd, "exit_code",
			    r->started && r->exit_code >= 0 ? json_integer(r->exit_code)
							    : json_null());
	json_object_set_new(cmd, "signal", r->signal ? json_integer(r->signal) : json_null());
	if (!r->started)
		json_object_set_new(cmd, "error",
				    json_pack("{ss si}", "message", strerror(r->exec_errno),
					      "errno", r->exec_errno));
	return cmd;
}

static json_t *collectors_json(const struct collect_ctx *c)
{
	json_t *a = json_array();

	for (int i = 0; i < C_NR; i++) {
		if (!c->o.want[i])
			json_array_append_new(a, json_pack("{ss ss}", "name", coll_names[i],
							   "status", "not requested"));
		else if (c->cs[i].ok)
			json_array_append_new(
				a, json_pack("{ss ss}", "name", coll_names[i], "status", "ok"));
		else
			json_array_append_new(a, json_pack("{ss ss ss}", "name", coll_names[i],
							   "status", "unavailable", "error",
							   c->cs[i].err));
	}
	return a;
}

/* Devices of no known role: a collect record has no topology. */
static const char *no_role(void *arg, uint64_t netns_ino)
{
	(void)arg;
	(void)netns_ino;
	return "";
}

/* One window's readings: the snapshots at both ends and the collectors' figures. */
struct coll_window {
	struct procfs_snap p0, p1, pd;
	struct netcpu_stats ns;
	struct perfcol_stats ps;
	struct wire_stats ws;
	uint64_t pcpu0, pcpu; /* CPU time of the procfs reads */
	uint64_t w0, w1;      /* CLOCK_MONOTONIC at the window's ends */
	struct threads_snap k0, k1, kd; /* network kernel threads (ksoftirqd/N, napi/...) */
	int kerr;			/* 0, or -errno of the kernel threads' reads */
};

static void window_free(struct coll_window *w)
{
	netcpu_stats__free(&w->ns);
	perfcol_stats__free(&w->ps);
	procfs_snap__free(&w->p0);
	procfs_snap__free(&w->p1);
	procfs_snap__free(&w->pd);
	threads_snap__free(&w->k0);
	threads_snap__free(&w->k1);
	threads_snap__free(&w->kd);
	memset(w, 0, sizeof(*w));
}

/* Open the window on every loaded collector; one that fails is marked so, the others go on. */
static void window_start(struct collect_ctx *c, struct coll_window *w)
{
	int e;

	window_free(w);
	/* procfs and bpf counters back to back at both ends, as `run` does (docs/record.md) */
	w->pcpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	/* the kernel's own network threads belong to the machine: role host (docs/record.md) */
	w->kerr = threads_snap__add_net_kthreads(&w->k0, "/proc",
						 c->kt_role[0] ? c->kt_role : IOVB_ROLE_HOST);
	realtime(true);
	if (c->cs[C_PROCFS].ok && (e = procfs_snap__read(&w->p0, "/proc"))) {
		c->cs[C_PROCFS].ok = false;
		snprintf(c->cs[C_PROCFS].err, sizeof(c->cs[C_PROCFS].err), "procfs: %s",
			 strerror(-e));
	}
	if (c->cs[C_BPF].ok && (e = netcpu__start(c->nc))) {
		c->cs[C_BPF].ok = false;
		snprintf(c->cs[C_BPF].err, sizeof(c->cs[C_BPF].err), "bpf: start: %s",
			 strerror(-e));
	}
	realtime(false);
	if (c->cs[C_PROCFS].ok && procfs_snap__read_netdev(&w->p0, NULL, NULL))
		c->cs[C_PROCFS].ok = false;
	w->pcpu += clock_ns(CLOCK_THREAD_CPUTIME_ID) - w->pcpu0;
	if (c->cs[C_PERF].ok && (e = perfcol__start(c->pc))) {
		c->cs[C_PERF].ok = false;
		snprintf(c->cs[C_PERF].err, sizeof(c->cs[C_PERF].err), "perf: start: %s",
			 strerror(-e));
	}
	if (c->cs[C_WIRE].ok && wire__start(c->wire)) {
		c->cs[C_WIRE].ok = false;
		snprintf(c->cs[C_WIRE].err, sizeof(c->cs[C_WIRE].err), "%s", wire__error(c->wire));
		cli__say(c->o.verbosity, CLI_NORMAL, CMD, "warning: wire collector failed: %s",
			 c->cs[C_WIRE].err);
	}
	cli__say(c->o.verbosity, CLI_VERBOSE, CMD, "window open%s%s",
		 c->o.cmd ? ": running " : "", c->o.cmd ? c->o.cmd[0] : "");
	w->w0 = clock_ns(CLOCK_MONOTONIC);
}

/* Close the window, in the reverse order, and take the deltas. */
static void window_stop(struct collect_ctx *c, struct coll_window *w)
{
	int e;

	w->w1 = clock_ns(CLOCK_MONOTONIC);
	if (c->cs[C_WIRE].ok && wire__stop(c->wire, &w->ws)) {
		c->cs[C_WIRE].ok = false;
		snprintf(c->cs[C_WIRE].err, sizeof(c->cs[C_WIRE].err), "%s", wire__error(c->wire));
		cli__say(c->o.verbosity, CLI_NORMAL, CMD, "warning: wire collector failed: %s",
			 c->cs[C_WIRE].err);
	}
	cli__say(c->o.verbosity, CLI_VERBOSE, CMD, "window closed after %.3f s",
		 (double)(w->w1 - w->w0) / 1e9);
	if (c->cs[C_PERF].ok && (e = perfcol__stop(c->pc, &w->ps))) {
		c->cs[C_PERF].ok = false;
		snprintf(c->cs[C_PERF].err, sizeof(c->cs[C_PERF].err), "perf: stop: %s",
			 strerror(-e));
	}
	w->pcpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	realtime(true);
	if (c->cs[C_BPF].ok && (e = netcpu__mark_end(c->nc))) {
		c->cs[C_BPF].ok = false;
		snprintf(c->cs[C_BPF].err, sizeof(c->cs[C_BPF].err), "bpf: stop: %s", strerror(-e));
	}
	if (c->cs[C_PROCFS].ok && procfs_snap__read(&w->p1, "/proc"))
		c->cs[C_PROCFS].ok = false;
	realtime(false);
	if (c->cs[C_BPF].ok && (e = netcpu__stop(c->nc, &w->ns))) {
		c->cs[C_BPF].ok = false;
		snprintf(c->cs[C_BPF].err, sizeof(c->cs[C_BPF].err), "bpf: stop: %s", strerror(-e));
	}
	if (c->cs[C_PROCFS].ok && procfs_snap__read_netdev(&w->p1, NULL, NULL))
		c->cs[C_PROCFS].ok = false;
	if (!w->kerr)
		w->kerr = threads_snap__add_net_kthreads(&w->k1, "/proc",
							 c->kt_role[0] ? c->kt_role : IOVB_ROLE_HOST);
	if (!w->kerr)
		w->kerr = threads_snap__delta(&w->k0, &w->k1, &w->kd);
	if (c->cs[C_PROCFS].ok && procfs_snap__delta(&w->p0, &w->p1, &w->pd)) {
		c->cs[C_PROCFS].ok = false;
		snprintf(c->cs[C_PROCFS].err, sizeof(c->cs[C_PROCFS].err),
			 "procfs: counters went backwards");
	}
	w->pcpu += clock_ns(CLOCK_THREAD_CPUTIME_ID) - w->pcpu0;
}

/* The window's figures as a run's `collectors` object (docs/record.md). */
static json_t *window_json(const struct collect_ctx *c, const struct coll_window *w)
{
	json_t *coll = json_object();

	if (c->cs[C_PROCFS].ok) {
		json_t *p = record__procfs(&w->pd, sysconf(_SC_CLK_TCK));

		json_object_set_new(p, "overhead",
				    json_pack("{ss sI}", "source",
					      "CLOCK_THREAD_CPUTIME_ID around the reads", "cpu_ns",
					      (json_int_t)w->pcpu));
		json_object_set_new(coll, "procfs", p);
	}
	if (c->cs[C_BPF].ok)
		json_object_set_new(coll, "bpf", record__netcpu(&w->ns, no_role, NULL));
	if (c->cs[C_PERF].ok)
		json_object_set_new(coll, "perf", record__perf(&w->ps));
	if (c->cs[C_WIRE].ok)
		json_object_set_new(coll, "wire", record__wire(&w->ws));
	return coll;
}

int cmd_collect(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct coll_window w = { 0 };
	struct cmd_result cr = { .exit_code = -1 };
	struct collect_ctx c = { 0 };
	char started[32], ended[32], err[512] = "";
	json_t *rec = NULL, *run, *sum;
	const char *status;
	bool sigs = false;
	int ret = IOVB_EXIT_ENV, e;

	e = collect_parse(argc, argv, &c.o);
	if (e)
		return e < 0 ? IOVB_EXIT_OK : e;
	if (default_output(&c)) {
		fprintf(stderr, CMD ": cannot create results/: %s\n", strerror(errno));
		return IOVB_EXIT_ENV;
	}
	if (!open_collectors(&c)) {
		fprintf(stderr, CMD ": none of the requested collectors could load\n");
		goto cleanup;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigs = true;
	record__iso_now(started, sizeof(started));

	window_start(&c, &w);
	if (c.o.cmd) {
		cmd_start(&c.o, &cr);
		if (cr.pid > 0)
			cmd_wait(&cr);
	} else {
		wait_window(c.o.duration_ns);
	}
	window_stop(&c, &w);
	record__iso_now(ended, sizeof(ended));

	if (c.o.cmd && !cr.started)
		status = "incomplete";
	else if (collect_signal && (c.o.duration_ns || c.o.cmd))
		status = "interrupted";
	else
		status = "ok";
	rec = json_object();
	json_object_set_new(rec, "schema", json_integer(IOVB_RECORD_SCHEMA));
	json_object_set_new(rec, "meta", record__meta(c.o.label, argc, argv, started));
	json_object_set_new(json_object_get(rec, "meta"), "ended", json_string(ended));
	json_object_set_new(rec, "topology", json_pack("{ss}", "kind", "none"));
	json_object_set_new(rec, "workload",
			    json_pack("{ss ss}", "kind", "collect", "until",
				      c.o.cmd		? "the command exits"
				      : c.o.duration_ns ? "the duration elapses"
							: "a signal"));
	if (c.o.duration_ns)
		json_object_set_new(json_object_get(rec, "workload"), "duration_ns",
				    json_integer((json_int_t)c.o.duration_ns));
	json_object_set_new(rec, "collectors", collectors_json(&c));
	json_object_set_new(rec, "status", json_string(status));
	run = json_pack("{ss si ss s{ss sI ss}}", "path", "collect", "rep", 1, "status", status,
			"window", "start", started, "duration_ns", (json_int_t)(w.w1 - w.w0),
			"clock", "CLOCK_MONOTONIC, collect process");
	if (c.o.cmd)
		json_object_set_new(run, "command", command_json(&c.o, &cr));
	json_object_set_new(run, "collectors", window_json(&c, &w));
	json_object_set_new(run, "kernel_threads",
			    w.kerr ? json_pack("{ss}", "error", strerror(-w.kerr))
				   : record__kernel_threads(&w.kd, c.cs[C_BPF].ok ? &w.ns : NULL));
	json_object_set_new(rec, "runs", json_pack("[o]", run));

	if (record__write(rec, c.out_path, err, sizeof(err))) {
		fprintf(stderr, CMD ": %s\n", err);
		goto cleanup;
	}
	cli__say(c.o.verbosity, CLI_NORMAL, CMD, "record written to %s", c.out_path);
	sum = collect__summary(rec);
	if (sum && c.o.json) {
		json_object_set_new(sum, "record", json_string(c.out_path));
		json_dumpf(sum, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	} else if (sum && c.o.verbosity >= CLI_NORMAL) {
		/* stderr, as time(1) and perf stat do: the command's stdout stays its own */
		collect__print(stderr, sum);
	}
	json_decref(sum);

	if (c.o.cmd && !cr.started) {
		fprintf(stderr, CMD ": cannot run %s: %s\n", c.o.cmd[0], strerror(cr.exec_errno));
		ret = cr.exec_errno == ENOENT ? 127 : 126;
	} else if (c.o.cmd) {
		ret = cr.signal ? 128 + cr.signal : cr.exit_code;
	} else {
		ret = collect_signal && c.o.duration_ns ? 128 + collect_signal : IOVB_EXIT_OK;
	}
cleanup:
	if (sigs) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	wire__close(c.wire);
	perfcol__close(c.pc);
	netcpu__close(c.nc);
	window_free(&w);
	json_decref(rec);
	return ret;
}

/* ---- the session other commands drive (collect.h) -------------------------------------- */

struct collect_session {
	struct collect_ctx c;
	struct coll_window w;
};

struct collect_session *collect_session__open(const char *list, char *err, size_t errlen)
{
	struct collect_session *s = calloc(1, sizeof(*s));
	size_t off = 0;

	if (!s)
		return NULL;
	if (parse_collectors(list, s->c.o.want) || s->c.o.want[C_WIRE]) {
		snprintf(err, errlen, "bad collectors '%s': a list of procfs,bpf,perf", list);
		free(s);
		errno = EINVAL;
		return NULL;
	}
	if (!open_collectors(&s->c)) {
		err[0] = '\0';
		for (int i = 0; i < C_NR && off < errlen; i++)
			if (s->c.o.want[i])
				off += (size_t)snprintf(err + off, errlen - off, "%s%s",
							off ? "; " : "", s->c.cs[i].err);
		collect_session__close(s);
		errno = ENOENT;
		return NULL;
	}
	return s;
}

json_t *collect_session__status(const struct collect_session *s)
{
	return collectors_json(&s->c);
}

void collect_session__start(struct collect_session *s)
{
	window_start(&s->c, &s->w);
}

json_t *collect_session__stop(struct collect_session *s, unsigned long long *duration_ns)
{
	window_stop(&s->c, &s->w);
	*duration_ns = s->w.w1 - s->w.w0;
	return window_json(&s->c, &s->w);
}

void collect_session__set_role(struct collect_session *s, const char *role)
{
	snprintf(s->c.kt_role, sizeof(s->c.kt_role), "%s", role ? role : "");
}

json_t *collect_session__kernel_threads(const struct collect_session *s)
{
	if (s->w.kerr)
		return json_pack("{ss}", "error", strerror(-s->w.kerr));
	return record__kernel_threads(&s->w.kd, s->c.cs[C_BPF].ok ? &s->w.ns : NULL);
}

void collect_session__close(struct collect_session *s)
{
	if (!s)
		return;
	perfcol__close(s->c.pc);
	netcpu__close(s->c.nc);
	window_free(&s->w);
	free(s);
}
