// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench serve` and `iovbench load`: the engine's server and client on their own, for a
 * file server or guest that is not driven by `iovbench run`. Parse, run, then render: the engine
 * fills a result, and only the render functions here decide how it looks.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cmds.h"
#include "engine.h"
#include "iovb/hist.h"
#include "iovb/parse.h"
#include "iovb/profile.h"

#define HOSTPORT_MAX 64
#define LOAD_DEPTH_MAX 256
#define ENGINE_IO_MAX (8u << 20) /* the engine's own limit (Windows' largest MaxReadSize) */

static const char serve_usage[] =
	"usage: iovbench serve --listen ADDR:PORT [--max-io SIZE] [--verify] [--pending-after N]\n"
	"                      [--threads N] [--cpu LIST]\n"
	"\n"
	"Serve SMB2 CREATE, READ, WRITE and CLOSE of a synthetic file until SIGINT or SIGTERM.\n"
	"Not an SMB server: no authentication, no filesystem access (see docs/engine.md).\n"
	"A connection that sends a malformed or out-of-sequence message is dropped, with one\n"
	"line on stderr; the others carry on.\n"
	"\n"
	"  -l, --listen ADDR:PORT  address to listen on; IPv6 as [ADDR]:PORT; port 0 picks one\n"
	"  -m, --max-io SIZE       largest READ/WRITE granted (MaxReadSize/MaxWriteSize),\n"
	"                          default 8M, at most 8M\n"
	"  -V, --verify            check every byte written against the file's pattern; a WRITE\n"
	"                          with a wrong byte is answered STATUS_DATA_ERROR\n"
	"  -P, --pending-after N   defer READs (interim STATUS_PENDING, then an async final\n"
	"                          response) while more than N responses wait to be sent on a\n"
	"                          connection; 1..512, default 256 (to see deferral on the wire,\n"
	"                          use 1)\n"
	"  -T, --threads N         serving threads, 1..16, default 1: each takes new connections\n"
	"                          and serves them in its own event loop\n"
	"  -U, --cpu LIST          pin serving thread i to the i-th CPU of LIST (0,2-3),\n"
	"                          round robin\n"
	"  -q, --quiet             no warnings (dropped connections) on stderr, only errors\n"
	"  -v, --verbose           the same as the default, accepted for the common contract\n"
	"  -h, --help              this text\n";

static const char load_usage[] =
	"usage: iovbench load --connect ADDR:PORT --bytes SIZE|--duration T [options]\n"
	"\n"
	"Copy SIZE bytes (or for T) from or to an `iovbench serve` over one or more connections\n"
	"with several requests in flight on each, then print throughput and per-I/O latency.\n"
	"\n"
	"  -c, --connect ADDR:PORT  server; IPv6 as [ADDR]:PORT\n"
	"  -n, --bytes SIZE         bytes to copy (4G, 512M, 1000000...), both ways for mixed\n"
	"  -D, --duration T         copy for T (10s, 2m...) instead; measured after the warm-up,\n"
	"                           I/Os still in flight at the end are not counted (cool-down)\n"
	"  -W, --warmup T           with --duration: I/Os completing in the first T are not\n"
	"                           counted; default 1s, 0 for none\n"
	"  -C, --conns N            connections, 1..64, default 1; each opens its own file\n"
	"                           name and takes the next I/O when it has room\n"
	"  -w, --workload KIND      read (from the server, default), write (to it), or\n"
	"                           mixed[:READPCT]: READPCT% of I/Os READs (0..100, default 70),\n"
	"                           evenly interleaved, the same every run\n"
	"  -s, --io-size SIZE       bytes per READ/WRITE, default 1M, at most 8M\n"
	"  -d, --depth N            requests in flight per connection, 1..256, default 8\n"
	"  -T, --threads N          client threads, 1..conns, default 1: connection i is served\n"
	"                           by thread i mod N, each an event loop of its own\n"
	"  -U, --cpu LIST           pin client thread i to the i-th CPU of LIST (0,2-3), round\n"
	"                           robin\n"
	"  -p, --profile FILE       replay a capture's profile (iovbench profile -o FILE): its\n"
	"                           workload, dominant I/O size, depth and bytes; the options\n"
	"                           above override it (-w read/write: that command's part)\n"
	"  -V, --verify             check every byte read against the file's pattern (the server\n"
	"                           checks WRITEs when it runs with --verify); exit 1 on the\n"
	"                           first wrong byte, saying its offset\n"
	"  -t, --timeout DURATION   give up after this long (10s, 2m...); default none\n"
	"  -j, --json               print one JSON document instead of text (also when the copy\n"
	"                           stops early: \"status\" then says \"aborted\" or \"error\")\n"
	"  -q, --quiet, -v, --verbose  accepted for the common contract (docs/cli.md); load\n"
	"                           writes only errors to stderr either way\n"
	"  -h, --help               this text\n";

/* "ADDR:PORT" or "[ADDR]:PORT" into its parts; the address is checked by engine__addr later. */
static int hostport__parse(const char *s, char *host, size_t hlen, uint16_t *port,
			   uint64_t min_port)
{
	const char *colon, *h = s;
	size_t n;
	uint64_t p;
	int err = 0;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':') {
			err = -EINVAL;
			goto cleanup;
		}
		h = s + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		/* A bare IPv6 address is ambiguous: "::1:80" is an address, or ::1 port 80. */
		if (!colon || memchr(s, ':', (size_t)(colon - s))) {
			err = -EINVAL;
			goto cleanup;
		}
		n = (size_t)(colon - s);
	}
	if (!n || n >= hlen) {
		err = -EINVAL;
		goto cleanup;
	}
	err = iovb_parse_u64(colon + 1, min_port, 65535, &p);
	if (err)
		goto cleanup;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (uint16_t)p;
cleanup:
	return err;
}

/* The one line getopt problems become; opterr is off so getopt itself says nothing. */
static void opt__complain(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, "iovbench %s: option '%s' needs a value\n", cmd, arg);
	else if (optopt)
		fprintf(stderr, "iovbench %s: unknown option '-%c'\n", cmd, optopt);
	else
		fprintf(stderr, "iovbench %s: unknown option '%s'\n", cmd, arg);
}

/* ---- serve ----------------------------------------------------------------------------- */

#define SERVE_THREADS_MAX 16

struct serve_run {
	struct engine_server_conf conf;
	volatile sig_atomic_t stop;
	atomic_int done; /* workers that returned */
};

/* One serving thread: its own epoll loop over the shared listener, pinned to cpu if >= 0. */
struct serve_worker {
	struct serve_run *run;
	unsigned idx;
	int cpu;
	int err;
	pthread_t tid;
};

/* The engine's one line about a dropped connection, to stderr as it happens. */
static void serve__log(void *arg, const char *line)
{
	const int *verbosity = arg;

	if (!verbosity || *verbosity >= CLI_NORMAL) /* a warning: -q leaves only errors */
		fprintf(stderr, "iovbench serve: %s\n", line);
}

static void *serve__thread(void *arg)
{
	struct serve_worker *w = arg;
	char name[16];
	cpu_set_t set;

	snprintf(name, sizeof(name), "iovb-serve-%u", w->idx);
	pthread_setname_np(pthread_self(), name);
	if (w->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		w->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	if (!w->err)
		w->err = engine__serve(&w->run->conf, &w->run->stop);
	atomic_fetch_add(&w->run->done, 1);
	return NULL;
}

/*
 * "0,2-3" into cpus (at most max, each below CPU_SETSIZE); the count, or -EINVAL. Strict: no
 * empty items, no reversed ranges.
 */
static int cpus__parse(const char *arg, int *cpus, int max)
{
	char buf[256], *save = NULL, *item, *dash;
	uint64_t a, b;
	int n = 0, err = 0;

	if (strlen(arg) >= sizeof(buf) || !arg[0] || arg[strlen(arg) - 1] == ',') {
		err = -EINVAL;
		goto cleanup;
	}
	strcpy(buf, arg);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		if (iovb_parse_u64(item, 0, CPU_SETSIZE - 1, &a) ||
		    (dash && iovb_parse_u64(dash + 1, 0, CPU_SETSIZE - 1, &b))) {
			err = -EINVAL;
			goto cleanup;
		}
		if (!dash)
			b = a;
		if (b < a) {
			err = -EINVAL;
			goto cleanup;
		}
		for (uint64_t c = a; c <= b; c++) {
			if (n == max) {
				err = -EINVAL;
				goto cleanup;
			}
			cpus[n++] = (int)c;
		}
	}
	err = n;
cleanup:
	return err;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "max-io", required_argument, NULL, 'm' },
		{ "verify", no_argument, NULL, 'V' },
		{ "pending-after", required_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static int verbosity; /* read by serve__log from the event loops */
	struct serve_run run = { .conf.listen_fd = -1, .conf.log = serve__log,
				 .conf.log_arg = &verbosity };
	struct serve_worker workers[SERVE_THREADS_MAX];
	int cpus[CPU_SETSIZE], ncpus = 0;
	unsigned nthreads = 1, started = 0;
	const struct timespec tick = { 0, 200 * 1000 * 1000 };
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[HOSTPORT_MAX] = "", shown[HOSTPORT_MAX + 8];
	const char *target = NULL;
	sigset_t sigs, old;
	bool masked = false;
	uint16_t port = 0;
	uint64_t v;
	int c, rc = IOVB_EXIT_OK, err;

	opterr = 0;
	optind = 0;
	verbosity = CLI_NORMAL;
	while ((c = getopt_long(argc, argv, "+:l:m:VP:T:U:qvh", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(c, &verbosity))
			continue;
		switch (c) {
		case 'l':
			if (hostport__parse(optarg, host, sizeof(host), &port, 0)) {
				fprintf(stderr,
					"iovbench serve: --listen wants ADDR:PORT, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			target = optarg;
			break;
		case 'm':
			if (iovb_parse_size(optarg, &v) || !v || v > ENGINE_IO_MAX) {
				fprintf(stderr,
					"iovbench serve: --max-io wants a size from 1 to 8M, "
					"not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			run.conf.max_io_size = (uint32_t)v;
			break;
		case 'V':
			run.conf.verify = true;
			break;
		case 'P':
			if (iovb_parse_u64(optarg, 1, 512, &v)) {
				fprintf(stderr,
					"iovbench serve: --pending-after wants 1..512, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			run.conf.pending_after = (uint32_t)v;
			break;
		case 'T':
			if (iovb_parse_u64(optarg, 1, SERVE_THREADS_MAX, &v)) {
				fprintf(stderr, "iovbench serve: --threads wants 1..%d, not '%s'\n",
					SERVE_THREADS_MAX, optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			nthreads = (unsigned)v;
			break;
		case 'U':
			ncpus = cpus__parse(optarg, cpus, CPU_SETSIZE);
			if (ncpus <= 0) {
				fprintf(stderr,
					"iovbench serve: --cpu wants a CPU list (0,2-3), not "
					"'%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			break;
		case 'h':
			fputs(serve_usage, stdout);
			goto cleanup;
		default:
			opt__complain("serve", c, argv);
			rc = IOVB_EXIT_USAGE;
			goto cleanup;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iovbench serve: unexpected argument '%s'\n", argv[optind]);
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (!host[0]) {
		fprintf(stderr, "iovbench serve: --listen ADDR:PORT is required\n");
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	run.conf.listen_fd = engine__listen(host, port);
	if (run.conf.listen_fd == -EINVAL) {
		fprintf(stderr, "iovbench serve: '%s' is not an IPv4 or IPv6 address\n", host);
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (run.conf.listen_fd < 0) {
		fprintf(stderr, "iovbench serve: listen on %s: %s\n", target,
			strerror(-run.conf.listen_fd));
		rc = 1;
		goto cleanup;
	}
	/* Port 0 asks the kernel for one: say which, so a script can connect to it. */
	if (!getsockname(run.conf.listen_fd, (struct sockaddr *)&ss, &sslen))
		port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						      : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(shown, sizeof(shown), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	printf("iovbench serve: listening on %s\n", shown);
	fflush(stdout);

	/*
	 * Signals are taken synchronously (sigtimedwait) by this thread while another serves:
	 * no handler, so no global flag for one to set.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	err = pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if (err) {
		fprintf(stderr, "iovbench serve: sigmask: %s\n", strerror(err));
		rc = 1;
		goto cleanup;
	}
	masked = true;
	/* Each worker serves the shared listener with its own epoll loop; the kernel spreads. */
	for (started = 0; started < nthreads; started++) {
		workers[started] = (struct serve_worker){
			.run = &run,
			.idx = started,
			.cpu = ncpus ? cpus[started % ncpus] : -1,
		};
		err = pthread_create(&workers[started].tid, NULL, serve__thread, &workers[started]);
		if (err) {
			fprintf(stderr, "iovbench serve: thread: %s\n", strerror(err));
			rc = 1;
			goto cleanup;
		}
	}
	/* Until a signal, or until a worker returns (it failed: stop them all). */
	while (!atomic_load(&run.done)) {
		if (sigtimedwait(&sigs, NULL, &tick) > 0)
			break;
	}
cleanup:
	run.stop = 1;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(workers[i].tid, NULL);
		if (workers[i].err && rc == IOVB_EXIT_OK) {
			fprintf(stderr, "iovbench serve: thread %u: %s\n", i,
				strerror(-workers[i].err));
			rc = 1;
		}
	}
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (run.conf.listen_fd >= 0)
		close(run.conf.listen_fd);
	return rc;
}

/* ---- load ------------------------------------------------------------------------------ */

struct load_opts {
	int cpus[CPU_SETSIZE];
	char host[HOSTPORT_MAX];
	uint16_t port;
	const char *target; /* as given, for messages */
	struct engine_client_conf conf;
	bool json;
	int verbosity; /* -q/-v: load says nothing but errors on stderr either way, for now */
};

static double load__seconds(const struct engine_result *res)
{
	return res->end_ns > res->start_ns ? (double)(res->end_ns - res->start_ns) / 1e9 : 0.0;
}

/* bits per second over the copy, NaN when nothing was timed. */
static double load__bps(const struct engine_result *res)
{
	double s = load__seconds(res);

	return s > 0 ? (double)res->bytes * 8.0 / s : NAN;
}

const char *engine__workload_name(enum engine_workload w)
{
	switch (w) {
	case ENGINE_WRITE:
		return "write";
	case ENGINE_MIXED:
		return "mixed";
	default:
		return "read";
	}
}

int engine__parse_workload(const char *arg, struct engine_client_conf *conf)
{
	uint64_t pct = 70;
	int err = 0;

	if (!strcmp(arg, "read")) {
		conf->workload = ENGINE_READ;
	} else if (!strcmp(arg, "write")) {
		conf->workload = ENGINE_WRITE;
	} else if (!strncmp(arg, "mixed", 5) && (!arg[5] || arg[5] == ':')) {
		if (arg[5] == ':')
			err = iovb_parse_u64(arg + 6, 0, 100, &pct);
		if (err)
			goto cleanup;
		conf->workload = ENGINE_MIXED;
		conf->read_pct = (uint32_t)pct;
	} else {
		err = -EINVAL;
	}
cleanup:
	return err;
}

/*
 * "ok"; "error" when the copy went wrong (a wrong byte, a protocol violation, the server's
 * refusal); "aborted" when it was cut short (time limit, the server gone or unreachable).
 */
static const char *load__status(const struct engine_result *res)
{
	switch (res->status) {
	case 0:
		return "ok";
	case -EBADMSG:
	case -EPROTO:
	case -EREMOTEIO:
	case -EMSGSIZE:
	case -EINVAL:
		return "error";
	default:
		return "aborted";
	}
}

static json_t *json_num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *load__latency_json(const struct iovb_hist *h)
{
	static const struct {
		const char *name;
		double q;
	} qs[] = { { "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p999", 0.999 } };
	json_t *o = json_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		json_object_set_new(o, qs[i].name,
				    h->count ? json_real(iovb_hist__quantile(h, qs[i].q) / 1e3)
					     : json_null());
	json_object_set_new(o, "min", h->count ? json_real(h->min / 1e3) : json_null());
	json_object_set_new(o, "max", h->count ? json_real(h->max / 1e3) : json_null());
	json_object_set_new(o, "mean",
			    h->count ? json_real((double)h->sum / h->count / 1e3) : json_null());
	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	return o;
}

/* The per-interval series (docs/engine.md): one element per interval since the window opened. */
static json_t *load__series_json(const struct engine_result *res)
{
	json_t *o = json_object(), *t = json_array(), *b = json_array(), *bps = json_array();
	double iv = res->series_interval_ns / 1e9;
	uint64_t span = res->end_ns > res->start_ns ? res->end_ns - res->start_ns : 0;

	for (uint32_t i = 0; i < res->series_n; i++) {
		uint64_t from = (uint64_t)i * res->series_interval_ns;
		uint64_t len = span - from < res->series_interval_ns ? span - from
								     : res->series_interval_ns;

		json_array_append_new(t, json_real(i * iv));
		json_array_append_new(b, json_integer((json_int_t)res->series_bytes[i]));
		/* The last interval may be short: its rate is over its own length. */
		json_array_append_new(bps, len ? json_real(res->series_bytes[i] * 8.0 / (len / 1e9))
					       : json_null());
	}
	json_object_set_new(o, "interval_s", json_real(iv));
	json_object_set_new(o, "t_s", t);
	json_object_set_new(o, "bytes", b);
	json_object_set_new(o, "throughput_bps", bps);
	return o;
}

static json_t *load__threads_json(const struct engine_result *res)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < res->nthreads; i++)
		json_array_append_new(a, json_pack("{ss si sI sI}", "name", res->threads[i].name,
						   "tid", res->threads[i].tid, "utime_ns",
						   (json_int_t)res->threads[i].utime_ns, "stime_ns",
						   (json_int_t)res->threads[i].stime_ns));
	return a;
}

json_t *engine__load_json(const char *target, const struct engine_client_conf *conf,
			  const struct engine_result *res)
{
	json_t *root = json_object();

	if (!root)
		return NULL;
	json_object_set_new(root, "server", json_string(target));
	json_object_set_new(root, "workload", json_string(engine__workload_name(conf->workload)));
	if (conf->workload == ENGINE_MIXED)
		json_object_set_new(root, "read_pct", json_integer(conf->read_pct));
	json_object_set_new(root, "io_size", json_integer(conf->io_size));
	json_object_set_new(root, "depth", json_integer(conf->depth));
	json_object_set_new(root, "conns", json_integer(conf->conns));
	json_object_set_new(root, "threads", json_integer(conf->threads ? conf->threads : 1));
	if (conf->duration_ns) {
		json_object_set_new(root, "duration_s", json_real(conf->duration_ns / 1e9));
		json_object_set_new(root, "warmup_s", json_real(conf->warmup_ns / 1e9));
		json_object_set_new(root, "requested_bytes", json_null());
	} else {
		json_object_set_new(root, "requested_bytes", json_integer((json_int_t)conf->bytes));
	}
	json_object_set_new(root, "bytes", json_integer((json_int_t)res->bytes));
	json_object_set_new(root, "read_bytes", json_integer((json_int_t)res->read_bytes));
	json_object_set_new(root, "write_bytes", json_integer((json_int_t)res->write_bytes));
	json_object_set_new(root, "wire_bytes", json_integer((json_int_t)res->wire_bytes));
	json_object_set_new(root, "wire_tx_bytes", json_integer((json_int_t)res->wire_tx_bytes));
	json_object_set_new(root, "ios", json_integer((json_int_t)res->ios));
	json_object_set_new(root, "seconds", json_real(load__seconds(res)));
	json_object_set_new(root, "throughput_bps", json_num_or_null(load__bps(res)));
	json_object_set_new(root, "latency_us", load__latency_json(&res->latency_ns));
	json_object_set_new(root, "interim_responses", json_integer((json_int_t)res->pending));
	json_object_set_new(root, "series", load__series_json(res));
	json_object_set_new(root, "engine_threads", load__threads_json(res));
	json_object_set_new(root, "status", json_string(load__status(res)));
	json_object_set_new(root, "error", res->status ? json_string(res->error) : json_null());
	/* True only for a whole copy whose every byte was checked and right. */
	json_object_set_new(root, "verified", json_boolean(conf->verify && !res->status));
	json_object_set_new(root, "bad_offset",
			    res->status == -EBADMSG ? json_integer((json_int_t)res->bad_offset)
						    : json_null());
	return root;
}

static int load__print_json(const struct load_opts *lo, const struct engine_result *res)
{
	json_t *root = engine__load_json(lo->target, &lo->conf, res);
	int err = 0;

	if (!root) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (json_dumpf(root, stdout,
		       JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) ||
	    putchar('\n') == EOF) {
		err = -EIO;
		goto cleanup;
	}
cleanup:
	json_decref(root);
	return err;
}

static void load__print_text(const struct load_opts *lo, const struct engine_result *res)
{
	const struct iovb_hist *h = &res->latency_ns;
	double bps = load__bps(res);

	printf("server      %s (%s, io size %u, depth %u x %u connection%s%s)\n", lo->target,
	       engine__workload_name(lo->conf.workload), lo->conf.io_size, lo->conf.depth, lo->conf.conns,
	       lo->conf.conns == 1 ? "" : "s", lo->conf.verify ? ", verify" : "");
	if (lo->conf.duration_ns)
		printf("bytes       %" PRIu64 " in the window (%.1f MiB; read %" PRIu64
		       ", written %" PRIu64 ")\n",
		       res->bytes, (double)res->bytes / (1 << 20), res->read_bytes,
		       res->write_bytes);
	else
		printf("bytes       %" PRIu64 " of %" PRIu64 " (%.1f MiB; read %" PRIu64
		       ", written %" PRIu64 ")\n",
		       res->bytes, lo->conf.bytes, (double)res->bytes / (1 << 20), res->read_bytes,
		       res->write_bytes);
	printf("seconds     %.3f\n", load__seconds(res));
	if (isfinite(bps))
		printf("throughput  %.2f Gbit/s\n", bps / 1e9);
	else
		printf("throughput  -\n");
	printf("ios         %" PRIu64 "\n", res->ios);
	if (h->count)
		printf("latency us  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
		       iovb_hist__quantile(h, 0.50) / 1e3, iovb_hist__quantile(h, 0.90) / 1e3,
		       iovb_hist__quantile(h, 0.99) / 1e3, h->max / 1e3);
	else
		printf("latency us  -\n");
	for (uint32_t i = 0; i < res->nthreads; i++)
		printf("cpu         %s (tid %d): user %.3f s, sys %.3f s\n", res->threads[i].name,
		       res->threads[i].tid, res->threads[i].utime_ns / 1e9,
		       res->threads[i].stime_ns / 1e9);
}

#define LOAD_GIVEN_BYTES 1u
#define LOAD_GIVEN_WORKLOAD 2u
#define LOAD_GIVEN_IO_SIZE 4u
#define LOAD_GIVEN_DEPTH 8u

/* --profile FILE: fill what the options in `given` did not; 0 or IOVB_EXIT_USAGE. */
static int load__apply_profile(const char *path, unsigned int given,
			       struct engine_client_conf *conf)
{
	unsigned int cmds = IOVB_WL_CMD_READ | IOVB_WL_CMD_WRITE;
	struct iovb_workload wl;
	char err[320];

	/* -w read or -w write given: replay that command's part of the profile only. */
	if ((given & LOAD_GIVEN_WORKLOAD) && conf->workload == ENGINE_READ)
		cmds = IOVB_WL_CMD_READ;
	else if ((given & LOAD_GIVEN_WORKLOAD) && conf->workload == ENGINE_WRITE)
		cmds = IOVB_WL_CMD_WRITE;
	if (profile__workload_file_cmds(path, cmds, &wl, err, sizeof(err))) {
		fprintf(stderr, "iovbench load: --profile %s\n", err);
		return IOVB_EXIT_USAGE;
	}
	if ((!(given & LOAD_GIVEN_IO_SIZE) && wl.io_size > ENGINE_IO_MAX) ||
	    (!(given & LOAD_GIVEN_DEPTH) && wl.depth > LOAD_DEPTH_MAX)) {
		fprintf(stderr,
			"iovbench load: --profile %s: io size %u or depth %u is beyond 8M/%d;"
			" give --io-size/--depth\n",
			path, wl.io_size, wl.depth, LOAD_DEPTH_MAX);
		return IOVB_EXIT_USAGE;
	}
	if (!(given & LOAD_GIVEN_WORKLOAD)) {
		conf->workload = wl.kind == IOVB_WL_WRITE   ? ENGINE_WRITE
				 : wl.kind == IOVB_WL_MIXED ? ENGINE_MIXED
							    : ENGINE_READ;
		conf->read_pct = wl.read_pct;
	}
	if (!(given & LOAD_GIVEN_IO_SIZE))
		conf->io_size = wl.io_size;
	if (!(given & LOAD_GIVEN_DEPTH))
		conf->depth = wl.depth;
	if (!(given & LOAD_GIVEN_BYTES))
		conf->bytes = wl.bytes;
	return 0;
}

/* Options into *lo; IOVB_EXIT_OK to run, or the exit status to return now (-1: help shown). */
static int load__parse(int argc, char **argv, struct load_opts *lo)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'D' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "conns", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'U' },
		{ "workload", required_argument, NULL, 'w' },
		{ "io-size", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'd' },
		{ "profile", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verify", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *profile = NULL;
	unsigned int given = 0; /* what --profile must not override */
	uint64_t v;
	int c, rc = IOVB_EXIT_OK;

	opterr = 0;
	optind = 0;
	bool warmup_set = false;
	int n;

	while ((c = getopt_long(argc, argv, "+:c:n:D:W:C:T:U:w:s:d:p:t:Vjqvh", opts, NULL)) != -1) {
		if (cli__verbosity_getopt(c, &lo->verbosity))
			continue;
		switch (c) {
		case 'c':
			if (hostport__parse(optarg, lo->host, sizeof(lo->host), &lo->port, 1)) {
				fprintf(stderr,
					"iovbench load: --connect wants ADDR:PORT, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->target = optarg;
			break;
		case 'n':
			if (iovb_parse_size(optarg, &v) || !v) {
				fprintf(stderr,
					"iovbench load: --bytes wants a size above 0, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.bytes = v;
			given |= LOAD_GIVEN_BYTES;
			break;
		case 'D':
			if (iovb_parse_duration_ns(optarg, &v) || !v) {
				fprintf(stderr,
					"iovbench load: --duration wants a duration above 0, "
					"not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.duration_ns = v;
			given |= LOAD_GIVEN_BYTES; /* a duration replaces the profile's bytes */
			break;
		case 'W':
			if (iovb_parse_duration_ns(optarg, &v)) {
				fprintf(stderr,
					"iovbench load: --warmup wants a duration, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.warmup_ns = v;
			warmup_set = true;
			break;
		case 'C':
			if (iovb_parse_u64(optarg, 1, ENGINE_CONNS_MAX, &v)) {
				fprintf(stderr, "iovbench load: --conns wants 1..%d, not '%s'\n",
					ENGINE_CONNS_MAX, optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.conns = (uint32_t)v;
			break;
		case 'T':
			if (iovb_parse_u64(optarg, 1, ENGINE_CONNS_MAX, &v)) {
				fprintf(stderr, "iovbench load: --threads wants 1..%d, not '%s'\n",
					ENGINE_CONNS_MAX, optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.threads = (uint32_t)v;
			break;
		case 'U':
			n = cpus__parse(optarg, lo->cpus, CPU_SETSIZE);
			if (n <= 0) {
				fprintf(stderr,
					"iovbench load: --cpu wants a CPU list (0,2-3), not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.cpus = lo->cpus;
			lo->conf.ncpus = (uint32_t)n;
			break;
		case 'w':
			if (engine__parse_workload(optarg, &lo->conf)) {
				fprintf(stderr,
					"iovbench load: --workload wants read, write or "
					"mixed[:0..100], not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			given |= LOAD_GIVEN_WORKLOAD;
			break;
		case 'V':
			lo->conf.verify = true;
			break;
		case 's':
			if (iovb_parse_size(optarg, &v) || !v || v > ENGINE_IO_MAX) {
				fprintf(stderr,
					"iovbench load: --io-size wants a size from 1 to 8M, "
					"not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.io_size = (uint32_t)v;
			given |= LOAD_GIVEN_IO_SIZE;
			break;
		case 'd':
			if (iovb_parse_u64(optarg, 1, LOAD_DEPTH_MAX, &v)) {
				fprintf(stderr, "iovbench load: --depth wants 1..%d, not '%s'\n",
					LOAD_DEPTH_MAX, optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.depth = (uint32_t)v;
			given |= LOAD_GIVEN_DEPTH;
			break;
		case 'p':
			profile = optarg;
			break;
		case 't':
			if (iovb_parse_duration_ns(optarg, &v) || !v) {
				fprintf(stderr,
					"iovbench load: --timeout wants a duration, not '%s'\n",
					optarg);
				rc = IOVB_EXIT_USAGE;
				goto cleanup;
			}
			lo->conf.timeout_ns = v;
			break;
		case 'j':
			lo->json = true;
			break;
		case 'h':
			fputs(load_usage, stdout);
			rc = -1;
			goto cleanup;
		default:
			opt__complain("load", c, argv);
			rc = IOVB_EXIT_USAGE;
			goto cleanup;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iovbench load: unexpected argument '%s'\n", argv[optind]);
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (profile) {
		rc = load__apply_profile(profile, given, &lo->conf);
		if (rc)
			goto cleanup;
	}
	if (!lo->target || (!lo->conf.bytes && !lo->conf.duration_ns)) {
		fprintf(stderr, "iovbench load: %s is required\n",
			!lo->target ? "--connect ADDR:PORT" : "--bytes SIZE or --duration T");
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (lo->conf.bytes && lo->conf.duration_ns) {
		fprintf(stderr, "iovbench load: --bytes and --duration exclude each other\n");
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (lo->conf.threads > lo->conf.conns) {
		fprintf(stderr, "iovbench load: --threads %u is more than --conns %u\n",
			lo->conf.threads, lo->conf.conns);
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (warmup_set && !lo->conf.duration_ns) {
		fprintf(stderr, "iovbench load: --warmup goes with --duration\n");
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
	if (lo->conf.duration_ns && !warmup_set)
		lo->conf.warmup_ns = 1000000000ull;
	if (engine__addr(lo->host, lo->port, &lo->conf.server, &lo->conf.server_len)) {
		fprintf(stderr, "iovbench load: '%s' is not an IPv4 or IPv6 address\n", lo->host);
		rc = IOVB_EXIT_USAGE;
		goto cleanup;
	}
cleanup:
	return rc;
}

int cmd_load(int argc, char **argv)
{
	struct load_opts lo = {
		.conf = { .workload = ENGINE_READ, .io_size = 1u << 20, .depth = 8, .conns = 1 },
	};
	struct engine_result *res = NULL;
	int rc;

	rc = load__parse(argc, argv, &lo);
	if (rc) {
		if (rc < 0)
			rc = IOVB_EXIT_OK;
		goto cleanup;
	}
	/* The result holds a histogram of a few KiB: keep it off the stack. */
	res = calloc(1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "iovbench load: out of memory\n");
		rc = 1;
		goto cleanup;
	}
	engine__client(&lo.conf, res);
	/* Render what was measured, even when the copy stopped early. */
	if (lo.json) {
		if (load__print_json(&lo, res)) {
			fprintf(stderr, "iovbench load: cannot write the JSON document\n");
			rc = 1;
		}
	} else if (res->ios || !res->status) {
		load__print_text(&lo, res);
	}
	if (res->status) {
		fprintf(stderr, "iovbench load: %s\n", res->error);
		rc = 1;
	}
cleanup:
	free(res);
	return rc;
}
