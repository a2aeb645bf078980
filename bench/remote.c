// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench run --server HOST:PORT --guest NAME=HOST:PORT ...`: the controller. No local
 * topology: every role is an `iovbench agent` on its own machine (a VM guest, the file server),
 * driven over TCP one JSON line at a time (agent.c, docs/agents.md). The windows of all
 * machines open and close together (start/stop sent to all, then all acks awaited), the
 * guests copy at the same time, and one record merges every machine's figures and metadata.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "agent.h"
#include "cli.h"
#include "cmds.h"
#include "engine.h"
#include "iovb/parse.h"
#include "iovb/rec_meta.h"
#include "iovb/record.h"
#include "iovb/summary.h"

#define CMD "iovbench run"
#define REMOTE_MAX 17 /* the server and up to 16 guests */
#define CONNECT_TIMEOUT_S 10

static const char remote_usage[] =
	"usage: iovbench run --server HOST:PORT --guest NAME=HOST:PORT [--guest ...]\n"
	"                    --token-file FILE [options]\n"
	"\n"
	"Drive `iovbench agent`s on other machines instead of an emulated topology: the agent at\n"
	"--server serves the synthetic file, every --guest agent copies from it at the same time,\n"
	"and the collectors of every machine measure the same window (opened and closed on all\n"
	"at once). One record merges every machine's figures and metadata (topology.kind\n"
	"\"agents\", docs/agents.md).\n"
	"\n"
	"options:\n"
	"  --server HOST:PORT    the file server's agent\n"
	"  --guest NAME=HOST:PORT  a guest's agent (NAME: [A-Za-z0-9_-], up to 32); repeatable,\n"
	"                        up to 16; the guests are guest-1, guest-2... in this order\n"
	"  --token-file FILE     the token the agents were started with\n"
	"  --server-addr ADDR    the address the guests reach the file server at, on which it\n"
	"                        listens (default: the address --server HOST reached)\n"
	"  --serve-port PORT     the port the file server listens on (default 0: any)\n"
	"  --bytes SIZE          bytes each guest copies per window (default 2G)\n"
	"  --reps N              repetitions (default 3); with --max-stddev, the least number\n"
	"  --max-stddev PCT      repeat until the relative standard deviation of throughput is\n"
	"                        below PCT percent (at least 2 repetitions)\n"
	"  --max-reps N          upper bound for --max-stddev (default 10)\n"
	"  --warmup SIZE         untimed copy per guest before the first repetition, with no\n"
	"                        window open (default 256M, 0 = none)\n"
	"  --workload KIND       read (default), write or mixed[:READPCT], as run's\n"
	"  --io-size SIZE        bytes per SMB2 READ or WRITE (default 1M)\n"
	"  --depth N             I/Os in flight, 1-256 (default 8)\n"
	"  --verify              every byte checked: READ data by the guests, WRITE data by the\n"
	"                        server (a wrong byte fails that copy: exit 1)\n"
	"  --series-interval D   the series' interval on every machine (default 1s, 10ms-10s)\n"
	"  --no-series           no time series in the runs\n"
	"  --collectors LIST     procfs,bpf,perf on every machine (default procfs)\n"
	"  --timeout T           give up a copy after T (default 300s)\n"
	"  --agent-timeout T     an agent that does not answer within T (a copy: --timeout + T)\n"
	"                        is lost (default 60s)\n"
	"  --label NAME          name part of the record file (default \"agents\")\n"
	"  -o, --output FILE     record path (default results/<UTC time>-<label>.json.gz)\n"
	"  --report              print the report of the record when done\n"
	"  -q, --quiet           no notes; -v, --verbose: say each step\n"
	"  -h, --help            this text\n"
	"\n"
	"An agent that refuses the token, cannot be reached, or is lost (its connection drops or\n"
	"it does not answer in time) fails the run with a message naming it: exit 3, and the\n"
	"record, when something was measured, keeps what the others measured with status\n"
	"\"incomplete\". A guest copy that fails: exit 1.\n";

/*
 * Set from the signal handler (the only mutable statics, as a handler can reach nothing else):
 * the last signal, and how many arrived, so each is acted on once.
 */
static volatile sig_atomic_t remote_signal, remote_nsig;

struct remote_opts {
	const char *token_file;
	const char *server_addr;
	uint16_t serve_port;
	uint64_t bytes, reps, io_size, depth, timeout_ns, agent_timeout_ns, warmup;
	double max_stddev; /* percent; 0 = off: exactly reps repetitions */
	uint64_t max_reps;
	const char *workload; /* as given: read, write, mixed[:PCT] */
	struct engine_client_conf wl; /* its parse: workload, read_pct */
	uint64_t series_ns; /* 0: no series */
	bool verify;
	const char *collectors;
	const char *label;
	const char *output;
	bool report;
	int verbose;
};

struct remote_agent {
	char name[40];
	char role[16]; /* "server" or "guest-N" */
	char host[64];
	uint16_t port;
	char where[96]; /* "HOST:PORT", for messages */
	struct agent_conn conn;
	bool lost; /* gone: lost, or left behind by an interruption (intr) */
	bool intr;
	json_t *meta;	   /* its op meta answer */
	json_t *coll;	   /* its collectors[] */
	json_t *reply;	   /* the last answer */
	uint64_t reply_ns; /* CLOCK_MONOTONIC here when it arrived */
};

struct remote {
	struct remote_opts o;
	struct remote_agent a[REMOTE_MAX]; /* a[0] the server */
	int n;
	char token[AGENT_TOKEN_MAX + 1];
	char out_path[4096];
	int lost;      /* how many agents were lost */
	int nsig_seen; /* signals already acted on */
	int op_ms;     /* --agent-timeout: how long an answer may take */
};

static void on_signal(int sig)
{
	remote_signal = sig;
	remote_nsig++;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool run__wants_agents(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (cli__opt_is(argv[i], "--server") || cli__opt_is(argv[i], "--guest"))
			return true;
	}
	return false;
}

/* Is s a list of procfs, bpf, perf (what an agent opens)? */
static bool collectors_ok(const char *s)
{
	static const char *const names[] = { "procfs", "bpf", "perf" };
	size_t n;

	do {
		bool known = false;

		n = strcspn(s, ",");
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			known |= n == strlen(names[k]) && !strncmp(s, names[k], n);
		if (!known)
			return false;
		s += n;
	} while (*s++ == ',');
	return true;
}

/* 0, -1 after --help, or the usage exit status. */
static int remote_parse(int argc, char **argv, struct remote *r)
{
	enum {
		O_SERVER = 256,
		O_GUEST,
		O_TOKEN,
		O_SADDR,
		O_SPORT,
		O_BYTES,
		O_REPS,
		O_IO,
		O_DEPTH,
		O_COLL,
		O_TIMEOUT,
		O_LABEL,
		O_REPORT,
		O_AGENT_TIMEOUT,
		O_WARMUP,
		O_WORKLOAD,
		O_VERIFY,
		O_SERIES_IV,
		O_NOSERIES,
		O_MAXSD,
		O_MAXREPS
	};
	static const struct option opts[] = {
		{ "server", required_argument, NULL, O_SERVER },
		{ "guest", required_argument, NULL, O_GUEST },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "server-addr", required_argument, NULL, O_SADDR },
		{ "serve-port", required_argument, NULL, O_SPORT },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "reps", required_argument, NULL, O_REPS },
		{ "max-stddev", required_argument, NULL, O_MAXSD },
		{ "max-reps", required_argument, NULL, O_MAXREPS },
		{ "io-size", required_argument, NULL, O_IO },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "workload", required_argument, NULL, O_WORKLOAD },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "series-interval", required_argument, NULL, O_SERIES_IV },
		{ "no-series", no_argument, NULL, O_NOSERIES },
		{ "collectors", required_argument, NULL, O_COLL },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "agent-timeout", required_argument, NULL, O_AGENT_TIMEOUT },
		{ "label", required_argument, NULL, O_LABEL },
		{ "output", required_argument, NULL, 'o' },
		{ "report", no_argument, NULL, O_REPORT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct remote_opts *o = &r->o;
	bool have_server = false, reps_given = false, max_reps_given = false;
	uint64_t v;
	int ch;

	*o = (struct remote_opts){ .bytes = 2ULL << 30,
				   .reps = 3,
				   .max_reps = IOVB_DEFAULT_MAX_REPS,
				   .io_size = 1u << 20,
				   .depth = 8,
				   .timeout_ns = 300000000000ULL,
				   .agent_timeout_ns = 60000000000ULL,
				   .collectors = "procfs",
				   .label = "agents",
				   .warmup = 256ULL << 20,
				   .workload = "read",
				   .series_ns = 1000000000ULL };
	r->n = 1;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":o:qvh", opts, NULL)) != -1) {
		struct remote_agent *a;

		switch (ch) {
		case O_SERVER:
			a = &r->a[0];
			if (agent__hostport(optarg, a->host, sizeof(a->host), &a->port, 1))
				return cli__usage_error(CMD, "bad --server '%s': HOST:PORT",
							optarg);
			snprintf(a->name, sizeof(a->name), "server");
			snprintf(a->role, sizeof(a->role), "server");
			have_server = true;
			break;
		case O_GUEST:
			if (r->n == REMOTE_MAX)
				return cli__usage_error(CMD, "%s: at most 16 guests", "--guest");
			a = &r->a[r->n];
			if (agent__guest_spec(optarg, a->name, sizeof(a->name), a->host,
					      sizeof(a->host), &a->port))
				return cli__usage_error(CMD, "bad --guest '%s': NAME=HOST:PORT",
							optarg);
			for (int i = 1; i < r->n; i++)
				if (!strcmp(r->a[i].name, a->name))
					return cli__usage_error(CMD, "--guest %s given twice",
								a->name);
			if (!strcmp(a->name, "server"))
				return cli__usage_error(CMD, "--guest %s: the name of the server",
							a->name);
			snprintf(a->role, sizeof(a->role), "guest-%d", r->n);
			r->n++;
			break;
		case O_TOKEN:
			o->token_file = optarg;
			break;
		case O_SADDR:
			o->server_addr = optarg;
			break;
		case O_SPORT:
			if (iovb_parse_u64(optarg, 0, 65535, &v))
				return cli__usage_error(CMD, "bad --serve-port '%s'", optarg);
			o->serve_port = (uint16_t)v;
			break;
		case O_BYTES:
			if (iovb_parse_size(optarg, &o->bytes) || !o->bytes)
				return cli__usage_error(CMD, "bad --bytes '%s'", optarg);
			break;
		case O_REPS:
			if (iovb_parse_u64(optarg, 1, 1000, &o->reps))
				return cli__usage_error(CMD, "bad --reps '%s': 1-1000", optarg);
			reps_given = true;
			break;
		case O_MAXSD:
			if (cli__parse_max_stddev(CMD, optarg, &o->max_stddev))
				return IOVB_EXIT_USAGE;
			break;
		case O_MAXREPS:
			if (cli__parse_max_reps(CMD, optarg, &o->max_reps))
				return IOVB_EXIT_USAGE;
			max_reps_given = true;
			break;
		case O_IO:
			if (iovb_parse_size(optarg, &o->io_size) || !o->io_size ||
			    o->io_size > (8u << 20))
				return cli__usage_error(CMD, "bad --io-size '%s': 1 to 8M", optarg);
			break;
		case O_DEPTH:
			if (iovb_parse_u64(optarg, 1, 256, &o->depth))
				return cli__usage_error(CMD, "bad --depth '%s': 1-256", optarg);
			break;
		case O_WARMUP:
			if (iovb_parse_size(optarg, &o->warmup))
				return cli__usage_error(CMD, "bad --warmup '%s': a size, or 0", optarg);
			break;
		case O_WORKLOAD:
			if (engine__parse_workload(optarg, &o->wl))
				return cli__usage_error(CMD, "bad --workload '%s': read, write or mixed[:0..100]",
							optarg);
			o->workload = optarg;
			break;
		case O_VERIFY:
			o->verify = true;
			break;
		case O_SERIES_IV:
			if (iovb_parse_duration_ns(optarg, &o->series_ns) || o->series_ns < 10000000ULL ||
			    o->series_ns > 10000000000ULL)
				return cli__usage_error(CMD, "bad --series-interval '%s': 10ms to 10s",
							optarg);
			break;
		case O_NOSERIES:
			o->series_ns = 0;
			break;
		case O_COLL:
			if (!collectors_ok(optarg))
				return cli__usage_error(
					CMD, "bad --collectors '%s': procfs,bpf,perf", optarg);
			o->collectors = optarg;
			break;
		case O_TIMEOUT:
			if (iovb_parse_duration_ns(optarg, &o->timeout_ns) || !o->timeout_ns ||
			    o->timeout_ns > 86400000000000ULL)
				return cli__usage_error(CMD, "bad --timeout '%s': up to 24h",
							optarg);
			break;
		case O_AGENT_TIMEOUT:
			if (iovb_parse_duration_ns(optarg, &o->agent_timeout_ns) ||
			    o->agent_timeout_ns < 1000000ULL ||
			    o->agent_timeout_ns > 3600000000000ULL)
				return cli__usage_error(CMD, "bad --agent-timeout '%s': 1ms to 1h",
							optarg);
			break;
		case O_LABEL:
			if (!*optarg || strlen(optarg) > 64 || strpbrk(optarg, "/ \t\n"))
				return cli__usage_error(CMD, "bad --label '%s'", optarg);
			o->label = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_REPORT:
			o->report = true;
			break;
		case 'q':
			o->verbose = CLI_QUIET;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(remote_usage, stdout);
			return -1;
		case ':':
			return cli__usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
		default:
			return cli__usage_error(CMD, "'%s' is not an option with --server/--guest",
						argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli__usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	r->op_ms = (int)(o->agent_timeout_ns / 1000000ULL);
	if (!have_server || r->n < 2)
		return cli__usage_error(CMD,
					"%s: agents need --server HOST:PORT and at least one "
					"--guest NAME=HOST:PORT",
					have_server ? "--guest" : "--server");
	if (!o->token_file)
		return cli__usage_error(CMD, "%s is required with agents", "--token-file FILE");
	if (cli__check_reps(CMD, reps_given, max_reps_given, o->max_stddev, &o->reps, o->max_reps))
		return IOVB_EXIT_USAGE;
	for (int i = 0; i < r->n; i++) {
		struct remote_agent *a = &r->a[i];

		snprintf(a->where, sizeof(a->where), strchr(a->host, ':') ? "[%s]:%u" : "%s:%u",
			 a->host, a->port);
		agent_conn__init(&a->conn, -1);
	}
	return 0;
}

/* The agent is gone: say so once, naming it, and keep away from it from now on. */
static void agent_lost(struct remote *r, struct remote_agent *a, const char *what, int err)
{
	if (a->lost)
		return;
	a->lost = true;
	r->lost++;
	fprintf(stderr, CMD ": agent '%s' (%s) lost during %s: %s\n", a->name, a->where, what,
		err == -ECONNRESET  ? "connection closed"
		: err == -ETIMEDOUT ? "no answer in time"
		: err == -EBADMSG   ? "not a JSON line"
				    : strerror(-err));
	agent_conn__close(&a->conn);
}

/* Connect and say hello. 0, or the exit status after saying why. */
static int agent_connect(struct remote *r, struct remote_agent *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_S };
	char port[8];
	json_t *hello, *rep = NULL;
	const char *err;
	int fd = -1, e, ret = IOVB_EXIT_ENV;

	snprintf(port, sizeof(port), "%u", a->port);
	e = getaddrinfo(a->host, port, &hints, &res);
	if (e) {
		fprintf(stderr, CMD ": agent '%s' (%s): %s\n", a->name, a->where, gai_strerror(e));
		goto cleanup;
	}
	e = ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		/* SO_SNDTIMEO bounds connect() too */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		e = errno == EINPROGRESS ? ETIMEDOUT : errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fprintf(stderr, CMD ": agent '%s' (%s): cannot connect: %s\n", a->name, a->where,
			strerror(e));
		goto cleanup;
	}
	agent_conn__init(&a->conn, fd);
	hello = json_pack("{si ss}", "hello", AGENT_PROTO, "token", r->token);
	e = agent_conn__send(&a->conn, hello);
	json_decref(hello);
	if (!e)
		e = agent_conn__recv(&a->conn, r->op_ms, &rep);
	if (e) {
		/* an agent serves one controller at a time: another may hold it */
		agent_lost(r, a,
			   e == -ETIMEDOUT ? "the hello (busy with another controller?)"
					   : "the hello",
			   e);
		goto cleanup;
	}
	err = json_string_value(json_object_get(rep, "error"));
	if (err) {
		fprintf(stderr, CMD ": agent '%s' (%s) refused us: %s%s\n", a->name, a->where, err,
			strcmp(err, "bad token") ? "" : " (is --token-file the agent's token?)");
		agent_conn__close(&a->conn);
		goto cleanup;
	}
	ret = 0;
cleanup:
	json_decref(rep);
	if (res)
		freeaddrinfo(res);
	return ret;
}

/*
 * Send req to every selected agent still there, then wait for all their answers (in any
 * order) up to timeout_ms. Each answer lands in a->reply with its arrival time; an agent that
 * closes, errs or stays silent is lost. Returns how many answered.
 */
static int call_as(struct remote *r, const bool sel[REMOTE_MAX], const json_t *req, int timeout_ms,
		   const char *what, bool with_role)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	bool pending[REMOTE_MAX] = { 0 };
	struct pollfd p[REMOTE_MAX];
	int idx[REMOTE_MAX], np, answered = 0, e;

	for (int i = 0; i < r->n; i++) {
		struct remote_agent *a = &r->a[i];

		json_decref(a->reply);
		a->reply = NULL;
		if (!sel[i] || a->lost)
			continue;
		if (with_role) {
			/* the same request, telling each agent its machine's role */
			json_t *q = json_copy((json_t *)req);

			json_object_set_new(q, "role", json_string(a->role));
			e = agent_conn__send(&a->conn, q);
			json_decref(q);
		} else {
			e = agent_conn__send(&a->conn, req);
		}
		if (e)
			agent_lost(r, a, what, e);
		else
			pending[i] = true;
	}
	for (;;) {
		uint64_t now;

		np = 0;
		for (int i = 0; i < r->n; i++) {
			struct remote_agent *a = &r->a[i];
			json_t *m = NULL;

			if (!pending[i])
				continue;
			e = a->conn.buf ? agent__take_line(a->conn.buf, &a->conn.len,
							   AGENT_LINE_MAX, &m)
					: 0;
			if (e < 0) {
				agent_lost(r, a, what, e);
				pending[i] = false;
			} else if (e > 0) {
				a->reply = m;
				a->reply_ns = now_ns();
				pending[i] = false;
				answered++;
			} else {
				p[np] = (struct pollfd){ .fd = a->conn.fd, .events = POLLIN };
				idx[np++] = i;
			}
		}
		if (!np)
			break;
		now = now_ns();
		if (now >= end) {
			for (int k = 0; k < np; k++)
				agent_lost(r, &r->a[idx[k]], what, -ETIMEDOUT);
			break;
		}
		e = remote_nsig == r->nsig_seen
			    ? poll(p, (nfds_t)np, (int)((end - now) / 1000000ULL) + 1)
			    : -1;
		if (e < 0 && remote_nsig != r->nsig_seen) {
			r->nsig_seen = remote_nsig;
			/* interrupted: stop waiting; the busy agents see us gone when they answer
			 */
			for (int k = 0; k < np; k++) {
				struct remote_agent *a = &r->a[idx[k]];

				fprintf(stderr,
					CMD ": interrupted: not waiting for agent '%s' (%s) "
					    "to finish %s\n",
					a->name, a->where, what);
				a->lost = a->intr = true;
				agent_conn__close(&a->conn);
			}
			break;
		}
		if (e < 0 && errno != EINTR) {
			e = -errno;
			for (int k = 0; k < np; k++)
				agent_lost(r, &r->a[idx[k]], what, e);
			break;
		}
		for (int k = 0; e > 0 && k < np; k++) {
			if (!p[k].revents)
				continue;
			e = agent_conn__fill(&r->a[idx[k]].conn);
			if (e) {
				agent_lost(r, &r->a[idx[k]], what, e);
				pending[idx[k]] = false;
			}
			e = 1;
		}
	}
	return answered;
}

static int call(struct remote *r, const bool sel[REMOTE_MAX], const json_t *req, int timeout_ms,
		const char *what)
{
	return call_as(r, sel, req, timeout_ms, what, false);
}

/* The agent's answer's error, or NULL when it said ok. */
static const char *reply_error(const struct remote_agent *a)
{
	if (!a->reply)
		return "no answer";
	return json_string_value(json_object_get(a->reply, "error"));
}

static void sel_all(const struct remote *r, bool sel[REMOTE_MAX], bool server, bool guests)
{
	for (int i = 0; i < REMOTE_MAX; i++)
		sel[i] = i < r->n && (i ? guests : server);
}

/* max - min of the selected agents' answer arrival times; 0 for fewer than two. */
static uint64_t skew_ns(const struct remote *r, const bool sel[REMOTE_MAX])
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < r->n; i++) {
		if (!sel[i] || !r->a[i].reply)
			continue;
		lo = r->a[i].reply_ns < lo ? r->a[i].reply_ns : lo;
		hi = r->a[i].reply_ns > hi ? r->a[i].reply_ns : hi;
	}
	return hi > lo ? hi - lo : 0;
}

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A guest's copy of bytes. */
static json_t *load_req(const struct remote *r, const char *saddr, uint16_t sport, uint64_t bytes)
{
	return json_pack("{ss ss si sI sI sI sI ss sb}", "op", "load", "addr", saddr, "port",
			 (int)sport, "bytes", (json_int_t)bytes, "io_size",
			 (json_int_t)r->o.io_size, "depth", (json_int_t)r->o.depth, "timeout_ns",
			 (json_int_t)r->o.timeout_ns, "workload", r->o.workload, "verify",
			 r->o.verify);
}

static json_t *arr_get(const json_t *o, const char *k, size_t i)
{
	return json_array_get(json_object_get(o, k), i);
}

/*
 * The run's series from the machines' (their stop answers' "series"; docs/agents.md): interval
 * k of every machine put together. Each machine counts from its own window's start (they
 * opened within the window's start_skew_ns); t_s[k] is the latest machine's end of interval
 * k, bytes the guests' sum, throughput the sum of each guest's bytes over its own interval,
 * cpu_ns per role the machine's. NULL when no machine sent one.
 */
static json_t *series_merge(const struct remote *r, const bool up[REMOTE_MAX])
{
	json_t *t_s, *bytes, *tp, *cpu, *sq, *o;
	uint64_t cost = 0;
	size_t n = 0;

	for (int i = 0; i < r->n; i++) {
		const json_t *se = json_object_get(r->a[i].reply, "series");

		if (up[i] && json_array_size(json_object_get(se, "t_s")) > n)
			n = json_array_size(json_object_get(se, "t_s"));
	}
	if (!n)
		return NULL;
	t_s = json_array();
	bytes = json_array();
	tp = json_array();
	cpu = json_object();
	sq = json_array();
	for (size_t k = 0; k < n; k++) {
		double t = 0, rate = 0;
		uint64_t by = 0, soft = 0;
		bool any = false;

		for (int i = 0; i < r->n; i++) {
			const json_t *se = json_object_get(r->a[i].reply, "series");
			json_t *a;
			double end, begin;

			if (!up[i] || !se)
				continue;
			a = json_object_get(cpu, r->a[i].role);
			if (!a) {
				a = json_array();
				json_object_set_new(cpu, r->a[i].role, a);
			}
			if (k >= json_array_size(json_object_get(se, "t_s"))) {
				/* this machine's window was shorter: nothing more measured on it */
				json_array_append_new(a, json_integer(0));
				continue;
			}
			json_array_append(a, arr_get(se, "cpu_ns", k));
			soft += (uint64_t)json_integer_value(arr_get(se, "softirq_ns", k));
			end = json_number_value(arr_get(se, "t_s", k));
			begin = k ? json_number_value(arr_get(se, "t_s", k - 1)) : 0;
			t = end > t ? end : t;
			if (!i)
				continue;
			by += (uint64_t)json_integer_value(arr_get(se, "bytes", k));
			if (end > begin) {
				rate += (double)json_integer_value(arr_get(se, "bytes", k)) * 8 /
					(end - begin);
				any = true;
			}
		}
		json_array_append_new(t_s, json_real(t));
		json_array_append_new(bytes, json_integer((json_int_t)by));
		json_array_append_new(tp, any ? json_real(rate) : json_null());
		json_array_append_new(sq, json_integer((json_int_t)soft));
	}
	for (int i = 0; i < r->n; i++)
		if (up[i])
			cost += (uint64_t)json_integer_value(json_object_get(
				json_object_get(r->a[i].reply, "series"), "sampling_cpu_ns"));
	o = json_pack("{sf so so so so ss so sI ss ss}", "interval_s", (double)r->o.series_ns / 1e9,
		      "t_s", t_s, "bytes", bytes, "throughput_bps", tp, "cpu_ns", cpu, "cpu_source",
		      "per role: schedstat of its agent's threads and of its copy process, sampled "
		      "on its machine", "softirq_ns", sq, "sampling_cpu_ns", (json_int_t)cost,
		      "bytes_source",
		      "each guest's copy progress (about every 100 ms) as last reported before "
		      "each sample on its machine, summed over the guests",
		      "clock",
		      "each machine's CLOCK_MONOTONIC from its own window's start (they opened "
		      "within window.start_skew_ns); interval k of every machine together, t_s the "
		      "latest machine's end of it");
	return o;
}

/*
 * One repetition: open every window, copy on every guest at once, close every window.
 * Returns the run's JSON; *failed_copies counts guests whose copy failed (not lost).
 */
static json_t *remote_window(struct remote *r, unsigned rep, const char *saddr, uint16_t sport,
			     int *failed_copies)
{
	bool all[REMOTE_MAX], guests[REMOTE_MAX], up[REMOTE_MAX];
	char started[32], msg[256];
	uint64_t t0, t1, start_skew, stop_skew, bytes = 0, wire = 0, ios = 0, rd = 0, wr = 0;
	double secs = 0;
	json_t *req, *run, *gl, *machines, *tlist, *errs = json_array();
	int lost0 = r->lost, ng = 0;

	sel_all(r, all, true, true);
	sel_all(r, guests, false, true);
	record__iso_now(started, sizeof(started));
	req = json_pack("{ss sI}", "op", "start", "series_interval_ns", (json_int_t)r->o.series_ns);
	t0 = now_ns();
	call(r, all, req, r->op_ms, "start");
	json_decref(req);
	for (int i = 0; i < r->n; i++)
		up[i] = r->a[i].reply && !reply_error(&r->a[i]);
	start_skew = skew_ns(r, up);
	for (int i = 0; i < r->n; i++)
		if (r->a[i].reply && reply_error(&r->a[i])) {
			snprintf(msg, sizeof(msg), "agent '%s': start: %s", r->a[i].name,
				 reply_error(&r->a[i]));
			json_array_append_new(errs, json_string(msg));
		}

	cli__say(r->o.verbose, CLI_VERBOSE, CMD, "rep %u: copying on %d guests", rep, r->n - 1);
	req = load_req(r, saddr, sport, r->o.bytes);
	call(r, guests, req, (int)(r->o.timeout_ns / 1000000ULL) + r->op_ms, "the copy");
	json_decref(req);
	gl = json_array();
	for (int i = 1; i < r->n; i++) {
		struct remote_agent *a = &r->a[i];
		const json_t *res = json_object_get(a->reply, "result");
		json_t *g = json_pack("{ss ss ss}", "role", a->role, "machine", a->name, "path",
				      "agents");
		const char *st;

		if (!res) {
			json_object_set_new(g, "status",
					    json_string(a->intr	  ? "interrupted"
							: a->lost ? "lost"
								  : "error"));
			snprintf(msg, sizeof(msg), "agent '%s' (%s) %s", a->name, a->where,
				 a->intr   ? "was left behind (interrupted)"
				 : a->lost ? "was lost"
					   : reply_error(a));
			json_object_set_new(g, "error", json_string(msg));
			json_array_append_new(errs, json_string(msg));
			json_array_append_new(gl, g);
			continue;
		}
		st = json_string_value(json_object_get(res, "status")) ?: "error";
		json_object_set_new(g, "status", json_string(strcmp(st, "ok") ? "aborted" : "ok"));
		if (strcmp(st, "ok")) {
			(*failed_copies)++;
			snprintf(msg, sizeof(msg), "guest '%s': %s", a->name,
				 json_string_value(json_object_get(res, "error")) ?: st);
			json_object_set_new(g, "error", json_string(msg));
			json_array_append_new(errs, json_string(msg));
		}
		json_object_set(g, "requested_bytes", json_object_get(res, "requested_bytes"));
		json_object_set(g, "bytes", json_object_get(res, "bytes"));
		json_object_set(g, "read_bytes", json_object_get(res, "read_bytes"));
		json_object_set(g, "write_bytes", json_object_get(res, "write_bytes"));
		if (r->o.verify)
			json_object_set_new(g, "verified", json_boolean(!strcmp(st, "ok")));
		json_object_set(g, "wire_bytes", json_object_get(res, "wire_bytes"));
		json_object_set(g, "ios", json_object_get(res, "ios"));
		json_object_set(g, "seconds", json_object_get(res, "seconds"));
		json_object_set(g, "throughput_bps", json_object_get(res, "throughput_bps"));
		json_object_set(g, "latency", json_object_get(res, "latency"));
		bytes += (uint64_t)json_integer_value(json_object_get(res, "bytes"));
		rd += (uint64_t)json_integer_value(json_object_get(res, "read_bytes"));
		wr += (uint64_t)json_integer_value(json_object_get(res, "write_bytes"));
		wire += (uint64_t)json_integer_value(json_object_get(res, "wire_bytes"));
		ios += (uint64_t)json_integer_value(json_object_get(res, "ios"));
		if (num(res, "seconds") > secs)
			secs = num(res, "seconds");
		ng++;
		json_array_append_new(gl, g);
	}

	req = json_pack("{ss}", "op", "stop");
	call(r, all, req, r->op_ms, "stop");
	json_decref(req);
	t1 = now_ns();
	for (int i = 0; i < r->n; i++)
		up[i] = r->a[i].reply && !reply_error(&r->a[i]);
	stop_skew = skew_ns(r, up);

	machines = json_object();
	tlist = json_array();
	for (int i = 0; i < r->n; i++) {
		struct remote_agent *a = &r->a[i];
		json_t *m = json_pack("{ss}", "role", a->role);

		if (up[i]) {
			const json_t *t;
			size_t k;

			json_object_set(m, "window_ns", json_object_get(a->reply, "duration_ns"));
			json_object_set(m, "collectors", json_object_get(a->reply, "collectors"));
			/* absent from agents before 2026-11 */
			if (json_object_get(a->reply, "kernel_threads"))
				json_object_set(m, "kernel_threads",
						json_object_get(a->reply, "kernel_threads"));
			/* its threads join the run's list, as a local run's, with their machine */
			json_array_foreach(
				json_object_get(json_object_get(a->reply, "threads"), "list"), k,
				t) {
				json_t *c = json_copy((json_t *)t);

				json_object_set_new(c, "machine", json_string(a->name));
				json_array_append_new(tlist, c);
			}
		} else {
			json_object_set_new(m, "status",
					    json_string(a->intr	  ? "interrupted"
							: a->lost ? "lost"
								  : "error"));
			snprintf(msg, sizeof(msg), "agent '%s' (%s): stop: %s", a->name, a->where,
				 a->intr   ? "interrupted"
				 : a->lost ? "lost"
					   : reply_error(a));
			json_object_set_new(m, "error", json_string(msg));
		}
		json_object_set_new(machines, a->name, m);
	}

	run = json_pack("{ss sI ss}", "path", "agents", "rep", (json_int_t)rep, "status",
			remote_signal				  ? "interrupted"
			: r->lost > lost0			  ? "incomplete"
			: *failed_copies || json_array_size(errs) ? "aborted"
								  : "ok");
	if (json_array_size(errs))
		json_object_set_new(run, "error",
				    json_string(json_string_value(json_array_get(errs, 0))));
	json_object_set_new(run, "errors", errs);
	json_object_set_new(
		run, "window",
		json_pack("{ss sI ss sI sI}", "start", started, "duration_ns",
			  (json_int_t)(t1 - t0), "clock",
			  "CLOCK_MONOTONIC on the controller: start sent -> last stop "
			  "answer; each machine's own window is machines.<name>.window_ns",
			  "start_skew_ns", (json_int_t)start_skew, "stop_skew_ns",
			  (json_int_t)stop_skew));
	if (ng) {
		char src[320];

		snprintf(src, sizeof(src),
			 "engine (client side on each guest's agent, %s): bytes summed over the "
			 "guests, seconds the longest guest's copy (the machines' clocks are not "
			 "compared)",
			 r->o.wl.workload == ENGINE_WRITE ? "SMB2 WRITEs the server acknowledged" :
			 r->o.wl.workload == ENGINE_MIXED ? "SMB2 READ responses and WRITEs the "
							    "server acknowledged" :
							    "SMB2 READ responses");
		json_object_set_new(
			run, "engine",
			json_pack("{ss sI sI sI sI sI so so si}", "source", src, "bytes",
				  (json_int_t)bytes, "read_bytes", (json_int_t)rd, "write_bytes",
				  (json_int_t)wr, "wire_bytes", (json_int_t)wire, "ios",
				  (json_int_t)ios, "seconds", record__real(secs), "throughput_bps",
				  record__real(secs > 0 ? (double)bytes * 8.0 / secs : NAN),
				  "guests", ng));
	}
	json_object_set_new(run, "guests", gl);
	json_object_set_new(run, "machines", machines);
	if (r->o.series_ns) {
		json_t *se = series_merge(r, up);

		if (se)
			json_object_set_new(run, "series", se);
	}
	json_object_set_new(run, "threads",
			    json_pack("{ss ss so}", "source",
				      "schedstat on each machine (/proc/PID/task/TID/schedstat "
				      "sum_exec_runtime) of its agent's threads: engine server or "
				      "client, and the agent's own",
				      "unit",
				      "ns; includes interrupt time run on top of the thread",
				      "list", tlist));
	return run;
}

/* collectors[]: per name, ok when every machine has it, else what each said. */
static json_t *collectors_union(const struct remote *r)
{
	static const char *const names[] = { "procfs", "bpf", "perf", "wire" };
	json_t *out = json_array();

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const char *status = NULL;
		char errs[1024] = "";
		size_t off = 0;

		for (int i = 0; i < r->n; i++) {
			const json_t *c;
			size_t j;

			json_array_foreach(r->a[i].coll, j, c) {
				const char *s = json_string_value(json_object_get(c, "status"));

				if (strcmp(json_string_value(json_object_get(c, "name")) ?: "",
					   names[k]) ||
				    !s)
					continue;
				if (!status || !strcmp(status, "ok"))
					status = s;
				if (strcmp(s, "ok") && strcmp(s, "not requested") &&
				    off < sizeof(errs))
					off += (size_t)snprintf(
						errs + off, sizeof(errs) - off, "%s%s: %s",
						off ? "; " : "", r->a[i].name,
						json_string_value(json_object_get(c, "error"))
							?: s);
			}
		}
		if (!status)
			status = "not requested";
		json_array_append_new(
			out, errs[0] ? json_pack("{ss ss ss}", "name", names[k], "status",
						 "unavailable", "error", errs)
				     : json_pack("{ss ss}", "name", names[k], "status", status));
	}
	return out;
}

static int default_output(struct remote *r)
{
	return record__default_path(r->out_path, sizeof(r->out_path), r->o.output,
				    r->o.label);
}

int run__agents(int argc, char **argv)
{
	struct remote *r = calloc(1, sizeof(*r));
	char err[512], started[32], ended[32], saddr[64];
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	bool all[REMOTE_MAX], sel[REMOTE_MAX], loose, measured = false, sigs = false;
	json_t *req, *rec = NULL, *runs = NULL, *machines, *tg;
	int ret = IOVB_EXIT_ENV, e, failed = 0;
	unsigned done = 0;
	uint16_t sport = 0;
	const char *why = NULL; /* why the repetitions stopped */
	double rsd = NAN;	/* relative stddev of throughput over the ok runs */

	if (!r) {
		fprintf(stderr, CMD ": out of memory\n");
		return IOVB_EXIT_ENV;
	}
	e = remote_parse(argc, argv, r);
	if (e) {
		ret = e < 0 ? IOVB_EXIT_OK : e;
		goto cleanup;
	}
	if (agent__token_read(r->o.token_file, r->token, sizeof(r->token), &loose, err,
			      sizeof(err))) {
		fprintf(stderr, CMD ": %s\n", err);
		goto cleanup;
	}
	if (loose)
		cli__say(r->o.verbose, CLI_NORMAL, CMD,
			 "warning: token file %s is readable by group or others", r->o.token_file);
	if (default_output(r)) {
		fprintf(stderr, CMD ": cannot create results/: %s\n", strerror(errno));
		goto cleanup;
	}
	signal(SIGPIPE, SIG_IGN);
	/* no SA_RESTART: a signal ends the wait in poll(), and call() looks at the flag */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigs = true;
	record__iso_now(started, sizeof(started));
	for (int i = 0; i < r->n; i++)
		if (agent_connect(r, &r->a[i]))
			goto cleanup;
	sel_all(r, all, true, true);

	req = json_pack("{ss}", "op", "meta");
	call(r, all, req, r->op_ms, "meta");
	json_decref(req);
	for (int i = 0; i < r->n; i++) {
		if (r->lost || remote_signal)
			goto cleanup;
		r->a[i].meta = json_incref(json_object_get(r->a[i].reply, "meta"));
	}

	req = json_pack("{ss si sb}", "op", "serve", "port", (int)r->o.serve_port, "verify",
			r->o.verify);
	/* the file server listens where the guests reach it: its agent's address by default */
	if (r->o.server_addr)
		json_object_set_new(req, "addr", json_string(r->o.server_addr));
	sel_all(r, sel, true, false);
	call(r, sel, req, r->op_ms, "serve");
	json_decref(req);
	if (r->lost || remote_signal)
		goto cleanup;
	if (reply_error(&r->a[0])) {
		fprintf(stderr, CMD ": agent 'server' (%s): %s\n", r->a[0].where,
			reply_error(&r->a[0]));
		goto cleanup;
	}
	sport = (uint16_t)json_integer_value(json_object_get(r->a[0].reply, "port"));
	if (r->o.server_addr) {
		snprintf(saddr, sizeof(saddr), "%s", r->o.server_addr);
	} else {
		/* the address we reached the server's agent at, numeric: --server may be a name */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getpeername(r->a[0].conn.fd, (struct sockaddr *)&ss, &sl) ||
		    getnameinfo((struct sockaddr *)&ss, sl, saddr, sizeof(saddr), NULL, 0,
				NI_NUMERICHOST))
			snprintf(saddr, sizeof(saddr), "%s", r->a[0].host);
	}

	req = json_pack("{ss ss}", "op", "open", "collectors", r->o.collectors);
	call_as(r, all, req, r->op_ms, "open", true);
	json_decref(req);
	if (r->lost || remote_signal)
		goto cleanup;
	for (int i = 0; i < r->n; i++) {
		if (reply_error(&r->a[i])) {
			fprintf(stderr, CMD ": agent '%s' (%s): %s\n", r->a[i].name, r->a[i].where,
				reply_error(&r->a[i]));
			goto cleanup;
		}
		r->a[i].coll = json_incref(json_object_get(r->a[i].reply, "collectors"));
	}

	if (r->o.warmup) {
		/* Untimed, no window open: caches, TCP windows and the agents' pages warm up. */
		cli__say(r->o.verbose, CLI_NORMAL, CMD, "warm-up: %" PRIu64 " bytes per guest",
			 r->o.warmup);
		sel_all(r, sel, false, true);
		req = load_req(r, saddr, sport, r->o.warmup);
		call(r, sel, req, (int)(r->o.timeout_ns / 1000000ULL) + r->op_ms, "the warm-up");
		json_decref(req);
		if (r->lost || remote_signal)
			goto cleanup;
		for (int i = 1; i < r->n; i++) {
			const json_t *res = json_object_get(r->a[i].reply, "result");
			const char *st = json_string_value(json_object_get(res, "status"));

			if (!res || !st || strcmp(st, "ok")) {
				fprintf(stderr, CMD ": agent '%s' (%s): warm-up: %s\n", r->a[i].name,
					r->a[i].where,
					res ? json_string_value(json_object_get(res, "error")) ?: "failed"
					    : reply_error(&r->a[i]) ?: "no result");
				ret = IOVB_EXIT_FINDING;
				goto cleanup;
			}
		}
	}
	runs = json_array();
	for (unsigned rep = 1; !r->lost && !remote_signal; rep++) {
		if (r->o.max_stddev)
			cli__say(r->o.verbose, CLI_NORMAL, CMD, "repetition %u (%u to %u)", rep,
				 (unsigned)r->o.reps, (unsigned)r->o.max_reps);
		else
			cli__say(r->o.verbose, CLI_NORMAL, CMD, "repetition %u of %u", rep,
				 (unsigned)r->o.reps);
		json_array_append_new(runs, remote_window(r, rep, saddr, sport, &failed));
		measured = true;
		if (r->lost || remote_signal)
			break;
		/* a failed copy ends the count of good repetitions, not the run (exit 1 then) */
		if (!failed)
			done++;
		rsd = record__rel_stddev(runs, "agents");
		why = record__reps_stop(rep, r->o.reps, r->o.max_stddev, r->o.max_reps,
					isfinite(rsd) && rsd * 100 < r->o.max_stddev);
		if (why)
			break;
		if (r->o.max_stddev)
			cli__say(r->o.verbose, CLI_NORMAL, CMD,
				 "repetition %u done; relative stddev of throughput not yet below "
				 "%.2f%%", rep, r->o.max_stddev);
	}
	req = json_pack("{ss}", "op", "bye");
	call(r, all, req, r->op_ms, "bye");
	json_decref(req);
	record__iso_now(ended, sizeof(ended));

	rec = json_object();
	json_object_set_new(rec, "schema", json_integer(IOVB_RECORD_SCHEMA));
	json_object_set_new(rec, "meta", record__meta(r->o.label, argc, argv, started));
	json_object_set_new(json_object_get(rec, "meta"), "ended", json_string(ended));
	machines = json_array();
	tg = json_array();
	for (int i = 0; i < r->n; i++) {
		struct remote_agent *a = &r->a[i];

		json_array_append_new(machines, json_pack("{ss ss ss sO sO}", "name", a->name,
							  "role", a->role, "agent", a->where,
							  "meta", a->meta ?: json_null(),
							  "collectors", a->coll ?: json_null()));
		if (i)
			json_array_append_new(tg, json_pack("{ss ss ss}", "role", a->role,
							    "machine", a->name, "path", "agents"));
	}
	json_object_set_new(rec, "topology",
			    json_pack("{ss s{ss si} so so}", "kind", "agents", "server", "addr",
				      saddr, "port", (int)sport, "machines", machines, "guests",
				      tg));
	json_object_set_new(json_object_get(rec, "topology"), "server_addr", json_string(saddr));
	/* iovbench shapes no real link: null, as an unshaped emulated one */
	json_object_set_new(json_object_get(rec, "topology"), "link_rate_bps", json_null());
	json_object_set_new(rec, "workload",
			    json_pack("{ss sI ss sI sI sI s{si} ss sI sb so}", "kind",
				      engine__workload_name(r->o.wl.workload), "bytes",
				      (json_int_t)r->o.bytes, "bytes_per", "guest", "io_size",
				      (json_int_t)r->o.io_size, "depth", (json_int_t)r->o.depth,
				      "reps", (json_int_t)r->o.reps, "guests", "agents", r->n - 1,
				      "windows", "concurrent", "warmup_bytes",
				      (json_int_t)r->o.warmup, "verify", r->o.verify,
				      "series_interval_s",
				      r->o.series_ns ? json_real((double)r->o.series_ns / 1e9) :
						       json_null()));
	if (r->o.wl.workload == ENGINE_MIXED)
		json_object_set_new(json_object_get(rec, "workload"), "read_pct",
				    json_integer(r->o.wl.read_pct));
	if (r->o.max_stddev) {
		json_t *wl = json_object_get(rec, "workload");

		json_object_set_new(wl, "max_stddev_pct", json_real(r->o.max_stddev));
		json_object_set_new(wl, "max_reps", json_integer((json_int_t)r->o.max_reps));
	}
	json_object_set_new(rec, "repetitions",
			    json_pack("{sI ss s{so}}", "done", (json_int_t)done, "stopped",
				      remote_signal ? "interrupted"
				      : r->lost	    ? "error"
				      : why	    ? why
						    : "error",
				      "throughput_rel_stddev", "agents", record__real(rsd)));
	json_object_set_new(rec, "collectors", collectors_union(r));
	json_object_set_new(rec, "status",
			    json_string(remote_signal	    ? "interrupted"
					: r->lost || failed ? "incomplete"
							    : "ok"));
	json_object_set_new(rec, "runs", runs);
	runs = NULL;
	ret = remote_signal ? 128 + remote_signal
	      : r->lost	    ? IOVB_EXIT_ENV
	      : failed	    ? IOVB_EXIT_FINDING
			    : IOVB_EXIT_OK;
	if (r->lost)
		for (int i = 0; i < r->n; i++)
			if (r->a[i].lost && !r->a[i].intr)
				fprintf(stderr,
					CMD ": the run failed: agent '%s' (%s) was lost; "
					    "what the others measured is kept\n",
					r->a[i].name, r->a[i].where);
	if (!measured) {
		json_decref(rec);
		rec = NULL;
	}
cleanup:
	if (remote_signal && !rec)
		ret = 128 + remote_signal;
	if (rec) {
		if (record__write(rec, r->out_path, err, sizeof(err))) {
			fprintf(stderr, CMD ": %s\n", err);
			ret = IOVB_EXIT_ENV;
		} else {
			cli__say(r->o.verbose, CLI_NORMAL, CMD, "record written to %s",
				 r->out_path);
			if (r->o.report)
				summary__print_record(stdout, rec);
		}
	}
	for (int i = 0; i < r->n; i++) {
		agent_conn__close(&r->a[i].conn);
		json_decref(r->a[i].meta);
		json_decref(r->a[i].coll);
		json_decref(r->a[i].reply);
	}
	json_decref(runs);
	json_decref(rec);
	free(r);
	if (sigs) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	return ret;
}
