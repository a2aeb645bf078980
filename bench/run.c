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

#include "agent.h"
#include "cli.h"
#include "cmds.h"
#include "engine.h"
#include "failover.h"
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
#include "iovb/rec_meta.h"
#include "iovb/rec_wire.h"
#include "iovb/wire.h"

#define RUN_PORT 4450
#define DEFAULT_BYTES (2ULL << 30) /* per guest */
#define DEFAULT_WARMUP (256ULL << 20)
#define DEFAULT_GUESTS_VF 2
#define DEFAULT_GUESTS_PV 2
#define DEFAULT_OVERHEAD_PAIRS 3
#define MAX_OVERHEAD_PAIRS 20
#define RUN_MAX_OFFLOADS 16
#define SERIES_INTERVAL_NS 1000000000ULL
#define FAILOVER_SERIES_NS 100000000ULL /* --failover-at's default --series-interval */
#define DEFAULT_FAILBACK_NS 2000000000ULL

/* Set from the signal handler; the only mutable static, as a handler can reach nothing else. */
static volatile sig_atomic_t run_interrupted;
static volatile sig_atomic_t server_stop;

struct run_opts {
	bool path[TOPO_NPATH];
	unsigned guests[TOPO_NPATH];
	bool concurrent; /* all guests of every path in one window */
	uint64_t bytes;	 /* per guest and window */
	uint64_t warmup;
	uint64_t reps;	   /* exactly this many, or at least this many with max_stddev */
	double max_stddev; /* percent; 0 = off */
	uint64_t max_reps;
	uint64_t io_size;
	uint64_t depth;
	enum engine_workload workload; /* --workload */
	uint32_t read_pct;	       /* mixed: percent of I/Os that are READs */
	uint64_t link_rate;
	uint64_t timeout_ns;
	bool use_procfs;
	bool use_bpf;
	bool use_perf;
	bool use_wire;
	bool overhead;		 /* --overhead: collector-off/on window pairs after the reps */
	unsigned overhead_pairs; /* how many pairs per path */
	unsigned perf_hz;	 /* --perf-freq; 0: the collector's default */
	bool report;
	bool json; /* --json: one document on stdout at the end: record path, status, summary */
	bool series;
	uint64_t series_ns; /* --series-interval */
	int verbose; /* -1 quiet, 0 normal, 1 verbose */
	const char *label;
	const char *output;
	const char *run_id;
	const char *offloads[RUN_MAX_OFFLOADS];
	size_t noffloads;
	const char *vfs[TOPO_MAX_GUESTS]; /* --vf SPECs */
	size_t nvfs;
	const char *sysfs_root;
	bool verify;	     /* clients check every byte (forced by --failover-at) */
	uint64_t failover_ns; /* --failover-at; 0 = no failover */
	uint64_t failback_ns; /* --failback-after */
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
	bool collectors_off; /* an --overhead baseline window: no series either */
	json_t *rec;
	json_t *runs;
	unsigned failed_copies;
	char out_path[PATH_MAX];
};

/*
 * Messages from a client child to the run, over a pipe: progress is this header alone (a few
 * bytes, ten times a second), a result is the header followed by a struct engine_result. One
 * writer per pipe, so a message is never interleaved with another.
 */
struct client_msg {
	char type; /* 'P' progress, 'R' result (an engine_result follows) */
	uint64_t done;
	uint64_t total;
	uint64_t t_ns; /* CLOCK_MONOTONIC (system-wide) when the client reported */
};

struct client_arg {
	struct engine_client_conf conf;
	int msg_fd; /* write end */
	int hold_fd; /* read end: the child waits for EOF so its threads can be read after the copy */
	pid_t parent;
};

struct server_arg {
	pid_t parent;
	const char *addr;
	bool verify; /* check every WRITE byte */
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
	"  --guests VF+PV      guests per path (default 2+2, as the study: guest-1, guest-2 on pv,\n"
	"                      guest-3, guest-4 on vf; pv guests are numbered first). The guests\n"
	"                      of a path copy at the same time in one measured window\n"
	"  --concurrent        one window per repetition with every guest of every path at once\n"
	"                      (runs[].path \"pv+vf\") instead of one window per path\n"
	"  --bytes SIZE        bytes each guest copies per window (default 2G; K/M/G = KiB/MiB/GiB)\n"
	"  --reps N            repetitions per path, interleaved (default 3); with --max-stddev,\n"
	"                      the least number of repetitions\n"
	"  --max-stddev PCT    repeat until the relative standard deviation of throughput is below\n"
	"                      PCT percent on every path (at least 2 repetitions)\n"
	"  --max-reps N        upper bound for --max-stddev (default 10)\n"
	"  --workload KIND     read (guests copy from the server, default), write (to it), or\n"
	"                      mixed[:READPCT]: READPCT%% of I/Os are READs (default 70)\n"
	"  --io-size SIZE      bytes per SMB2 READ or WRITE (default 1M)\n"
	"  --depth N           I/Os in flight (credits), 1-256 (default 8)\n"
	"  --warmup SIZE       untimed copy per guest before the first repetition (default 256M,\n"
	"                      0 = none)\n"
	"  --collectors LIST   procfs,bpf,perf,wire (default procfs,bpf; procfs always runs).\n"
	"                      perf samples kernel code at 199 Hz (cpu-clock) and charges it\n"
	"                      to modules/subsystems (data/modules.tsv, docs/modules.md); wire\n"
	"                      captures headers on the server's eth0 (libpcap)\n"
	"  --perf-freq HZ      perf's sampling frequency per CPU (10-10000, default 199): fewer\n"
	"                      samples cost less and have a wider error bar (1/sqrt(samples))\n"
	"  --overhead[=N]      after the repetitions, N pairs (default 3) per path of one window\n"
	"                      with every collector closed and one with them open, interleaved:\n"
	"                      the report gives throughput and CPU per byte with / without\n"
	"                      (paired medians, spread, 95% CI)\n"
	"  --series-interval D the series' interval, 10ms to 10s (default 1s; 100ms with\n"
	"                      --failover-at)\n"
	"  --no-series         no per-second time series in the runs\n"
	"  --link-rate RATE    shape the physical link with tbf both ways, e.g. 10gbit\n"
	"                      (default unshaped)\n"
	"  --offload SPEC      offloads to set before measuring, [ROLE/]DEV:FEAT=on|off,... e.g.\n"
	"                      host/br0:gro=off or '*:tso=off,gso=off' (FEAT: sg tso gso gro lro\n"
	"                      rx-csum tx-csum; repeatable; every device's settings are recorded)\n"
	"  --vf SPEC           a real VF for the next vf guest instead of a macvlan: PF:INDEX (PF a\n"
	"                      PCI address or netdev) or netdev:NAME; moved into the guest as\n"
	"                      eth0 and given back afterwards. Its copies go out through the real\n"
	"                      adapter: the file server must answer at 10.77.0.1 there\n"
	"                      (docs/sriov.md); repeatable\n"
	"  --sysfs-root DIR    resolve --vf PF:INDEX in DIR instead of /sys (tests)\n"
	"  --failover-at T     T into each measured vf window (e.g. 2s), remove the first vf\n"
	"                      guest's VF: its copy goes on over a standby paravirtual NIC\n"
	"                      (every vf guest gets one: TAP + relay + bridge, same MAC and\n"
	"                      address), then the VF comes back; runs[].failover gives the\n"
	"                      switch, the dip and the recovery time. Implies --verify\n"
	"  --failback-after D  how long the VF stays away (default 2s)\n"
	"  --verify            every byte is checked against the file's pattern: READ data by the\n"
	"                      clients, WRITE data by the server (a wrong byte aborts the copy:\n"
	"                      exit 1)\n"
	"  --timeout T         give up a copy after T (default 300s)\n"
	"  --run-id ID         name the topology iovb-ID-* (default: random; [A-Za-z0-9_], 1-32)\n"
	"  --label NAME        name part of the record file (default \"run\")\n"
	"  -o, --output FILE   record path (default results/<UTC time>-<label>.json.gz)\n"
	"  --report            print the report of the record when done\n"
	"  --json              print one JSON document on stdout when done: the record's path,\n"
	"                      status and exit status, and the report's summary (as report\n"
	"                      --json); no progress\n"
	"  -q, --quiet         only errors on stderr; -v, --verbose: also each step\n"
	"  -h, --help          this text\n"
	"\n"
	"With --server HOST:PORT --guest NAME=HOST:PORT ... it drives `iovbench agent`s on other\n"
	"machines instead ('iovbench run --server x:1 --guest g=y:1 --help' lists those options).\n"
	"\n"
	"examples:\n"
	"  iovbench run --report\n"
	"  iovbench run --guests 1+1 --paths pv --bytes 8G --reps 5 --link-rate 10gbit -o pv.json.gz\n"
	"  iovbench run --max-stddev 5 --max-reps 8\n"
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

static bool run_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= 32 && strspn(id, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static int run_parse(int argc, char **argv, struct run_opts *o)
{
	enum { O_PATHS = 256, O_BYTES, O_REPS, O_IOSIZE, O_DEPTH, O_WARMUP, O_COLL, O_RATE,
	       O_TIMEOUT, O_LABEL, O_REPORT, O_GUESTS, O_CONC, O_MAXSD, O_MAXREPS, O_OFFLOAD,
	       O_RUNID, O_NOSERIES, O_VF, O_SYSFS, O_OVERHEAD, O_FAILOVER, O_FAILBACK,
	       O_VERIFY, O_JSON, O_PERFHZ, O_WORKLOAD, O_SERIES_IV };
	static const struct option opts[] = {
		{ "paths", required_argument, NULL, O_PATHS },
		{ "guests", required_argument, NULL, O_GUESTS },
		{ "concurrent", no_argument, NULL, O_CONC },
		{ "bytes", required_argument, NULL, O_BYTES },
		{ "reps", required_argument, NULL, O_REPS },
		{ "max-stddev", required_argument, NULL, O_MAXSD },
		{ "max-reps", required_argument, NULL, O_MAXREPS },
		{ "io-size", required_argument, NULL, O_IOSIZE },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "workload", required_argument, NULL, O_WORKLOAD },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "collectors", required_argument, NULL, O_COLL },
		{ "no-series", no_argument, NULL, O_NOSERIES },
		{ "series-interval", required_argument, NULL, O_SERIES_IV },
		{ "link-rate", required_argument, NULL, O_RATE },
		{ "offload", required_argument, NULL, O_OFFLOAD },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "run-id", required_argument, NULL, O_RUNID },
		{ "vf", required_argument, NULL, O_VF },
		{ "sysfs-root", required_argument, NULL, O_SYSFS },
		{ "label", required_argument, NULL, O_LABEL },
		{ "output", required_argument, NULL, 'o' },
		{ "report", no_argument, NULL, O_REPORT },
		{ "json", no_argument, NULL, O_JSON },
		{ "overhead", optional_argument, NULL, O_OVERHEAD },
		{ "perf-freq", required_argument, NULL, O_PERFHZ },
		{ "failover-at", required_argument, NULL, O_FAILOVER },
		{ "failback-after", required_argument, NULL, O_FAILBACK },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool reps_given = false, max_reps_given = false, failback_given = false;
	uint64_t u;
	int ch;

	*o = (struct run_opts){
		.path = { true, true }, .bytes = DEFAULT_BYTES, .warmup = DEFAULT_WARMUP,
		.reps = 3, .max_reps = IOVB_DEFAULT_MAX_REPS, .io_size = 1 << 20, .depth = 8,
		.timeout_ns = 300000000000ULL, .use_procfs = true, .use_bpf = true, .series = true,
		.label = "run", .failback_ns = DEFAULT_FAILBACK_NS,
		.overhead_pairs = DEFAULT_OVERHEAD_PAIRS,
	};
	o->guests[TOPO_VF] = DEFAULT_GUESTS_VF;
	o->guests[TOPO_PV] = DEFAULT_GUESTS_PV;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case O_PATHS:
			if (topo__parse_paths(optarg, o->path))
				return cli__usage_error("iovbench run", "bad --paths '%s': a list of pv,vf", optarg);
			break;
		case O_GUESTS:
			if (topo__parse_guests(optarg, o->guests))
				return cli__usage_error("iovbench run", "bad --guests '%s': VF+PV counts like 2+2, 1 to 8 guests in all",
						   optarg);
			break;
		case O_CONC:
			o->concurrent = true;
			break;
		case O_BYTES:
			if (iovb_parse_size(optarg, &o->bytes) || !o->bytes)
				return cli__usage_error("iovbench run", "bad --bytes '%s': a size like 2G or 512M", optarg);
			break;
		case O_REPS:
			if (iovb_parse_u64(optarg, 1, 1000, &o->reps))
				return cli__usage_error("iovbench run", "bad --reps '%s': 1 to 1000", optarg);
			reps_given = true;
			break;
		case O_MAXSD:
			if (cli__parse_max_stddev("iovbench run", optarg, &o->max_stddev))
				return IOVB_EXIT_USAGE;
			break;
		case O_MAXREPS:
			if (cli__parse_max_reps("iovbench run", optarg, &o->max_reps))
				return IOVB_EXIT_USAGE;
			max_reps_given = true;
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
		case O_WORKLOAD: {
			struct engine_client_conf wc = { 0 };

			if (engine__parse_workload(optarg, &wc))
				return cli__usage_error("iovbench run", "bad --workload '%s': read, write or mixed[:0..100]",
						   optarg);
			o->workload = wc.workload;
			o->read_pct = wc.read_pct;
			break;
		}
		case O_WARMUP:
			if (iovb_parse_size(optarg, &o->warmup))
				return cli__usage_error("iovbench run", "bad --warmup '%s': a size like 256M, or 0", optarg);
			break;
		case O_COLL:
			if (parse_collectors(optarg, o))
				return cli__usage_error("iovbench run", "bad --collectors '%s': a list of procfs,bpf,perf,wire",
						   optarg);
			break;
		case O_NOSERIES:
			o->series = false;
			break;
		case O_SERIES_IV:
			if (iovb_parse_duration_ns(optarg, &o->series_ns) || o->series_ns < 10000000ULL ||
			    o->series_ns > 10000000000ULL)
				return cli__usage_error("iovbench run", "bad --series-interval '%s': 10ms to 10s",
						   optarg);
			break;
		case O_RATE:
			if (iovb_parse_rate_bps(optarg, &o->link_rate) || !o->link_rate)
				return cli__usage_error("iovbench run", "bad --link-rate '%s': a rate like 10gbit", optarg);
			break;
		case O_OFFLOAD:
			if (topo__offload_check(optarg) || o->noffloads >= RUN_MAX_OFFLOADS)
				return cli__usage_error("iovbench run", "bad --offload '%s': [ROLE/]DEV:FEAT=on|off,... (at most 16)",
						   optarg);
			o->offloads[o->noffloads++] = optarg;
			break;
		case O_TIMEOUT:
			if (iovb_parse_duration_ns(optarg, &o->timeout_ns) || !o->timeout_ns)
				return cli__usage_error("iovbench run", "bad --timeout '%s': a duration like 300s", optarg);
			break;
		case O_VF:
			if (o->nvfs >= TOPO_MAX_GUESTS)
				return cli__usage_error("iovbench run", "too many --vf ('%s')", optarg);
			o->vfs[o->nvfs++] = optarg;
			break;
		case O_SYSFS:
			o->sysfs_root = optarg;
			break;
		case O_RUNID:
			if (!run_id_ok(optarg))
				return cli__usage_error("iovbench run", "bad --run-id '%s': 1 to 32 of A-Z a-z 0-9 _", optarg);
			o->run_id = optarg;
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
		case O_JSON:
			o->json = true;
			break;
		case O_PERFHZ:
			if (iovb_parse_u64(optarg, 10, 10000, &u))
				return cli__usage_error("iovbench run", "bad --perf-freq '%s': 10 to 10000 Hz",
							optarg);
			o->perf_hz = (unsigned)u;
			break;
		case O_OVERHEAD:
			o->overhead = true;
			if (optarg && iovb_parse_u64(optarg, 1, MAX_OVERHEAD_PAIRS, &u))
				return cli__usage_error("iovbench run", "bad --overhead=%s: 1 to 20 pairs",
							optarg);
			if (optarg)
				o->overhead_pairs = (unsigned)u;
			break;
		case O_FAILOVER:
			if (iovb_parse_duration_ns(optarg, &o->failover_ns) || !o->failover_ns)
				return cli__usage_error("iovbench run", "bad --failover-at '%s': a duration above 0 like 2s", optarg);
			break;
		case O_FAILBACK:
			if (iovb_parse_duration_ns(optarg, &o->failback_ns) || !o->failback_ns)
				return cli__usage_error("iovbench run", "bad --failback-after '%s': a duration above 0 like 2s", optarg);
			failback_given = true;
			break;
		case O_VERIFY:
			o->verify = true;
			break;
		case 'q':
		case 'v':
			cli__verbosity_getopt(ch, &o->verbose);
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
	for (int p = 0; p < TOPO_NPATH; p++)
		if (o->path[p] && !o->guests[p])
			return cli__usage_error("iovbench run", "--paths has %s but --guests gives it no guest",
					   topo_path_names[p]);
	if (o->nvfs > o->guests[TOPO_VF] || (o->nvfs && !o->path[TOPO_VF]))
		return cli__usage_error("iovbench run", "more --vf than vf guests (--guests %s)",
				   o->path[TOPO_VF] ? "VF+PV" : "and --paths");
	if (cli__check_reps("iovbench run", reps_given, max_reps_given, o->max_stddev, &o->reps,
			    o->max_reps))
		return IOVB_EXIT_USAGE;
	if (failback_given && !o->failover_ns)
		return cli__usage_error("iovbench run", "%s needs --failover-at", "--failback-after");
	if (o->failover_ns && (!o->path[TOPO_VF] || o->nvfs))
		return cli__usage_error("iovbench run", "--failover-at needs the vf path with emulated VFs (no --vf)%s", "");
	/* Failover must not cost a byte: every one is checked. */
	if (o->failover_ns)
		o->verify = true;
	/* A switch takes tens of ms: a finer series shows it (and the failover bins use it). */
	if (!o->series_ns)
		o->series_ns = o->failover_ns ? FAILOVER_SERIES_NS : SERIES_INTERVAL_NS;
	u = o->reps;
	(void)u;
	return 0;
}

static int server_main(void *p)
{
	struct server_arg *a = p;
	struct engine_server_conf conf = { .max_io_size = 8 << 20, .verify = a->verify };
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
	struct client_msg m = { .type = 'P', .done = done, .total = total, .t_ns = now_ns() };

	/* Progress only: a short write on a full pipe is not worth blocking the copy for. */
	if (write(a->msg_fd, &m, sizeof(m)) < 0)
		return;
}

static void close_others(int a, int b)
{
	unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a);

	if (lo > 3)
		close_range(3, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
}

static int client_main(void *p)
{
	struct client_arg *a = p;
	struct engine_result *res = calloc(1, sizeof(*res));
	struct client_msg m = { .type = 'R' };
	char c;

	die_with_parent(a->parent);
	/*
	 * Every fd but our two pipe ends goes: the run's ends of every guest's pipes (or the EOF
	 * another client waits for never comes), relay control sockets, collector fds.
	 */
	close_others(a->msg_fd, a->hold_fd);
	if (!res)
		return 1;
	a->conf.progress = client_progress;
	a->conf.progress_arg = a;
	engine__client(&a->conf, res);
	m.t_ns = now_ns();
	m.done = res->bytes;
	if (write(a->msg_fd, &m, sizeof(m)) != (ssize_t)sizeof(m) ||
	    write(a->msg_fd, res, sizeof(*res)) != (ssize_t)sizeof(*res))
		return 1;
	/* Stay alive until the run has read our threads' CPU time. */
	while (read(a->hold_fd, &c, 1) > 0)
		;
	free(res);
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

/* One guest's copy inside a window. */
struct guest_copy {
	const struct topo_guest *g;
	struct client_arg ca;
	pid_t pid;
	int msg;  /* read end of its message pipe */
	int hold; /* write end of its hold pipe */
	uint64_t done;
	bool finished; /* its result arrived (or it died: have_res false) */
	bool have_res;
	struct engine_result res;
};

/* The per-second series of one window (schema in docs/record.md, "series"). */
struct series {
	json_t *t_s, *bytes, *tp, *softirq_ns;
	json_t *cpu;	  /* role -> array of ns per interval */
	json_t *cpu_prev; /* role -> cumulative ns at the last sample */
	uint64_t bytes_prev, last_ns, softirq_prev;
	uint64_t cost_ns; /* the run thread's CPU time spent taking samples */
	size_t n;
	bool cpu_bpf; /* every sample had bpf figures */
};

/* Add the threads of every process the run keeps (server, relays) to s. */
static void threads_long_lived(const struct run_ctx *c, struct threads_snap *s)
{
	threads_snap__add(s, c->server_pid, IOVB_ROLE_SERVER);
	for (size_t i = 0; i < topo__nguests(c->topo); i++)
		if (topo__guest(c->topo, i)->relay_pid > 0)
			threads_snap__add(s, topo__guest(c->topo, i)->relay_pid, IOVB_ROLE_HOST);
}

static void role_add_ns(json_t *roles, const char *role, double v)
{
	json_t *old = json_object_get(roles, role);

	json_object_set_new(roles, role, json_real((old ? json_number_value(old) : 0) + v));
}

/*
 * CPU per role since the window opened, as the report computes it: each role's threads
 * (schedstat, net of the interrupt time bpf saw on top of them) plus, with bpf, the NET_RX
 * time charged to the role's devices. Returns role -> ns.
 */
static json_t *role_cpu(const struct run_ctx *c, const struct threads_snap *td,
			const struct netcpu_stats *ns)
{
	json_t *roles = json_object();

	for (size_t i = 0; i < td->n; i++) {
		double cpu = (double)td->t[i].cpu_ns, irq = 0;

		for (size_t k = 0; ns && k < ns->ntasks; k++)
			if (ns->tasks[k].tid == td->t[i].tid)
				irq = (double)ns->tasks[k].irq_ns;
		role_add_ns(roles, td->t[i].role, cpu > irq ? cpu - irq : 0);
	}
	for (size_t i = 0; ns && i < ns->ndevs; i++)
		role_add_ns(roles, topo__role_of(c->topo, ns->devs[i].netns_ino),
			    (double)ns->devs[i].ns);
	return roles;
}

static void series_init(struct series *s, uint64_t w0)
{
	*s = (struct series){ .t_s = json_array(), .bytes = json_array(), .tp = json_array(),
			      .softirq_ns = json_array(), .cpu = json_object(),
			      .cpu_prev = json_object(), .last_ns = w0, .cpu_bpf = true };
}

static void series_free(struct series *s)
{
	json_decref(s->t_s);
	json_decref(s->bytes);
	json_decref(s->tp);
	json_decref(s->softirq_ns);
	json_decref(s->cpu);
	json_decref(s->cpu_prev);
	memset(s, 0, sizeof(*s));
}

/* Append one interval ending at now_ns: bytes is the guests' total so far, roles cumulative. */
static void series_add(struct series *s, uint64_t w0, uint64_t now, uint64_t bytes,
		       json_t *roles, bool bpf, uint64_t softirq_ns, uint64_t softirq0)
{
	double dt = (double)(now - s->last_ns) / 1e9;
	uint64_t db = bytes > s->bytes_prev ? bytes - s->bytes_prev : 0;
	uint64_t sq = softirq_ns - softirq0;
	const char *role;
	json_t *v, *a;

	json_array_append_new(s->t_s, json_real((double)(now - w0) / 1e9));
	json_array_append_new(s->bytes, json_integer((json_int_t)db));
	json_array_append_new(s->tp, record__real(dt > 0 ? (double)db * 8 / dt : NAN));
	json_array_append_new(s->softirq_ns,
			      json_integer((json_int_t)(softirq_ns && sq > s->softirq_prev ?
							sq - s->softirq_prev : 0)));
	s->softirq_prev = softirq_ns ? sq : s->softirq_prev;
	s->cpu_bpf &= bpf;
	json_object_foreach(roles, role, v) {
		double prev = json_number_value(json_object_get(s->cpu_prev, role));
		double d = json_number_value(v) - prev;

		a = json_object_get(s->cpu, role);
		if (!a) {
			/* A role first seen now had nothing measured before. */
			a = json_array();
			for (size_t i = 0; i < s->n; i++)
				json_array_append_new(a, json_integer(0));
			json_object_set_new(s->cpu, role, a);
		}
		json_array_append_new(a, json_integer((json_int_t)(d > 0 ? d : 0)));
	}
	json_object_foreach(s->cpu, role, a)
		if (json_array_size(a) < s->n + 1)
			json_array_append_new(a, json_integer(0));
	json_object_update(s->cpu_prev, roles);
	s->bytes_prev = bytes;
	s->last_ns = now;
	s->n++;
}

static json_t *series_json(struct series *s, uint64_t interval_ns)
{
	json_t *o = json_object();

	json_object_set_new(o, "interval_s", json_real((double)interval_ns / 1e9));
	json_object_set(o, "t_s", s->t_s);
	json_object_set(o, "bytes", s->bytes);
	json_object_set(o, "throughput_bps", s->tp);
	json_object_set(o, "cpu_ns", s->cpu);
	json_object_set_new(o, "cpu_source", json_string(s->cpu_bpf ?
		"per role: schedstat of its threads net of bpf task_irq + bpf NET_RX on its devices" :
		"per role: schedstat of its threads only (bpf unavailable)"));
	json_object_set(o, "softirq_ns", s->softirq_ns);
	json_object_set_new(o, "sampling_cpu_ns", json_integer((json_int_t)s->cost_ns));
	json_object_set_new(o, "bytes_source",
			    json_string("client progress (about every 100 ms) as last reported "
					"before each sample; the last interval ends with the results"));
	return o;
}

/* Take a per-second sample: bytes from the guests' progress, CPU per role now. */
static void series_tick(const struct run_ctx *c, struct series *s, const struct guest_copy *gc,
			size_t ng, const struct threads_snap *t0, uint64_t w0, uint64_t softirq0)
{
	struct threads_snap now = { 0 }, d = { 0 };
	struct netcpu_stats ns = { 0 };
	struct timespec c0, c1;
	bool bpf = false;
	uint64_t bytes = 0;
	json_t *roles;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	threads_long_lived(c, &now);
	for (size_t i = 0; i < ng; i++) {
		bytes += gc[i].have_res ? gc[i].res.bytes : gc[i].done;
		if (gc[i].pid > 0)
			threads_snap__add(&now, gc[i].pid, gc[i].g->role);
	}
	threads_snap__delta(t0, &now, &d);
	/* Non-destructive: the window's own start stays; this reads the deltas so far. */
	if (c->nc && !netcpu__stop(c->nc, &ns))
		bpf = true;
	roles = role_cpu(c, &d, bpf ? &ns : NULL);
	series_add(s, w0, now_ns(), bytes, roles, bpf, procfs__softirq_total_ns(), softirq0);
	json_decref(roles);
	netcpu_stats__free(&ns);
	threads_snap__free(&now);
	threads_snap__free(&d);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	s->cost_ns += (uint64_t)((c1.tv_sec - c0.tv_sec) * 1000000000LL +
				 (c1.tv_nsec - c0.tv_nsec));
}

/* CPU time of the run process, all its threads (collector readers, capture, series), ns. */
static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *window_label(const bool sel[TOPO_NPATH])
{
	return sel[TOPO_PV] && sel[TOPO_VF] ? "pv+vf" : sel[TOPO_PV] ? "pv" : "vf";
}

/* What the engine's bytes count, for its figures' source. */
static const char *engine_source(enum engine_workload w)
{
	switch (w) {
	case ENGINE_WRITE:
		return "payload of the SMB2 WRITEs the server acknowledged";
	case ENGINE_MIXED:
		return "payload of the SMB2 READ responses and of the WRITEs the server acknowledged";
	default:
		return "SMB2 READ responses";
	}
}

static json_t *engine_json(const struct engine_result *e, const char *source)
{
	double secs = (double)(e->end_ns - e->start_ns) / 1e9;

	return json_pack("{ss sI sI sI sI sI sI so so so}", "source", source,
			 "bytes", (json_int_t)e->bytes, "read_bytes", (json_int_t)e->read_bytes,
			 "write_bytes", (json_int_t)e->write_bytes,
			 "wire_bytes", (json_int_t)e->wire_bytes,
			 "wire_tx_bytes", (json_int_t)e->wire_tx_bytes, "ios", (json_int_t)e->ios,
			 "seconds", record__real(e->end_ns > e->start_ns ? secs : NAN),
			 "throughput_bps",
			 record__real(secs > 0 && e->end_ns > e->start_ns ?
				      (double)e->bytes * 8 / secs : NAN),
			 "latency", record__hist_us(&e->latency_ns));
}

/* Which guest a relay thread's process serves, or NULL. */
static const char *relay_guest(const struct run_ctx *c, uint32_t pid)
{
	for (size_t i = 0; i < topo__nguests(c->topo); i++)
		if (topo__guest(c->topo, i)->relay_pid == (pid_t)pid)
			return topo__guest(c->topo, i)->role;
	return NULL;
}

/* Start guest i's client. 0 or -errno with errbuf set. */
static int guest_start(struct run_ctx *c, struct guest_copy *g, uint64_t bytes, char *errbuf,
		       size_t errlen)
{
	int msg[2] = { -1, -1 }, hold[2] = { -1, -1 }, err = 0;

	if (pipe2(msg, O_CLOEXEC) || pipe2(hold, O_CLOEXEC)) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot create pipes: %s", strerror(-err));
		goto cleanup;
	}
	g->ca.msg_fd = msg[1];
	g->ca.hold_fd = hold[0];
	g->ca.parent = getpid();
	g->ca.conf.workload = c->o.workload;
	g->ca.conf.read_pct = c->o.read_pct;
	g->ca.conf.io_size = (uint32_t)c->o.io_size;
	g->ca.conf.depth = (uint32_t)c->o.depth;
	g->ca.conf.bytes = bytes;
	g->ca.conf.timeout_ns = c->o.timeout_ns;
	g->ca.conf.verify = c->o.verify;
	/* Ten reports per series interval (100 ms at most, 5 ms at least): its bytes are exact. */
	g->ca.conf.progress_ns = c->o.series_ns / 10;
	if (g->ca.conf.progress_ns > 100000000ULL)
		g->ca.conf.progress_ns = 100000000ULL;
	if (g->ca.conf.progress_ns < 5000000ULL)
		g->ca.conf.progress_ns = 5000000ULL;
	err = engine__addr(topo__server_addr(c->topo), RUN_PORT, &g->ca.conf.server,
			   &g->ca.conf.server_len);
	if (err) {
		snprintf(errbuf, errlen, "bad server address");
		goto cleanup;
	}
	g->pid = topo__spawn_in(g->g->ns, client_main, &g->ca);
	if (g->pid < 0) {
		err = (int)g->pid;
		g->pid = -1;
		snprintf(errbuf, errlen, "cannot start the client in %s: %s", g->g->ns,
			 strerror(-err));
		goto cleanup;
	}
	g->msg = msg[0];
	g->hold = hold[1];
	msg[0] = hold[1] = -1;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (msg[i] >= 0)
			close(msg[i]);
		if (hold[i] >= 0)
			close(hold[i]);
	}
	return err;
}

/*
 * One window: every guest of the selected paths copies at the same time. With measure set,
 * the collectors' window is the copies (opened just before the first client starts, closed
 * as soon as the last result arrives) and the window's JSON is appended to c->runs. Returns
 * 0, or -errno when the run cannot go on.
 */
static int copy_window(struct run_ctx *c, const bool sel[TOPO_NPATH], unsigned rep,
		       bool measure)
{
	struct procfs_snap p0 = { 0 }, p1 = { 0 }, pd = { 0 };
	struct threads_snap t0 = { 0 }, t1 = { 0 }, td = { 0 };
	/* network kernel threads (ksoftirqd/N, napi/...): role host, kept apart from threads */
	struct threads_snap k0 = { 0 }, k1 = { 0 }, kd = { 0 };
	int kerr = 0;
	struct netcpu_stats ns = { 0 };
	struct perfcol_stats ps = { 0 };
	struct guest_copy *gc = NULL;
	struct wire_stats ws = { 0 };
	struct client_msg *m = NULL;
	struct engine_result agg;
	struct series se = { 0 };
	struct failover fo = { 0 };
	bool fo_on = false;
	struct pollfd *pfd = NULL;
	char what[64], started[32], errbuf[256] = "";
	uint64_t w0 = 0, w1 = 0, next_tick = 0, softirq0 = 0, pcpu0 = 0, pcpu1 = 0;
	bool nc_ok = false, pf_ok = false, pc_ok = false, wr_ok = false, any_res = false, series = false;
	size_t ng = 0, left;
	json_t *r = NULL, *guests;
	bool fatal = true;
	int err = 0;

	if (measure)
		snprintf(what, sizeof(what), "[%s rep %u]", window_label(sel), rep);
	else
		snprintf(what, sizeof(what), "[%s warm-up]", window_label(sel));
	gc = calloc(topo__nguests(c->topo) + 1, sizeof(*gc));
	pfd = calloc(topo__nguests(c->topo) + 1, sizeof(*pfd));
	m = calloc(1, sizeof(*m));
	if (!gc || !pfd || !m) {
		err = -ENOMEM;
		snprintf(errbuf, sizeof(errbuf), "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < topo__nguests(c->topo); i++) {
		const struct topo_guest *g = topo__guest(c->topo, i);

		if (!sel[g->path])
			continue;
		gc[ng] = (struct guest_copy){ .g = g, .pid = -1, .msg = -1, .hold = -1 };
		ng++;
		/* --failover-at: the window's first vf guest is the one that loses its VF. */
		if (measure && c->o.failover_ns && g->path == TOPO_VF && !fo_on) {
			fo = (struct failover){ .guest = i, .role = g->role,
						.at_ns = c->o.failover_ns, .back_ns = c->o.failback_ns };
			fo_on = true;
		}
	}

	if (measure) {
		/* Long-lived processes first: their start values are read before the window opens. */
		threads_long_lived(c, &t0);
		kerr = threads_snap__add_net_kthreads(&k0, "/proc", IOVB_ROLE_HOST);
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
		series = c->o.series && !c->collectors_off;
		if (series)
			softirq0 = procfs__softirq_total_ns();
	}
	w0 = now_ns();
	pcpu0 = process_cpu_ns();
	fo.w0 = w0;
	series_init(&se, w0);
	next_tick = w0 + c->o.series_ns;
	for (size_t i = 0; i < ng; i++) {
		err = guest_start(c, &gc[i], measure ? c->o.bytes : c->o.warmup, errbuf,
				  sizeof(errbuf));
		if (err)
			goto cleanup;
	}
	for (left = ng; left && !err;) {
		uint64_t now = now_ns();
		uint64_t wait = next_tick > now ? next_tick - now : 0;
		int n, timeout = series ? (int)(wait / 1000000) : 500;

		if (fo_on && failover__next(&fo) != UINT64_MAX) {
			uint64_t due = failover__next(&fo);
			int ft = due > now ? (int)((due - now + 999999) / 1000000) : 0;

			timeout = ft < timeout ? ft : timeout;
		}
		for (size_t i = 0; i < ng; i++)
			pfd[i] = (struct pollfd){ gc[i].finished ? -1 : gc[i].msg, POLLIN, 0 };
		n = poll(pfd, ng, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			snprintf(errbuf, sizeof(errbuf), "poll: %s", strerror(errno));
			break;
		}
		if (run_interrupted) {
			err = -EINTR;
			snprintf(errbuf, sizeof(errbuf), "interrupted");
			break;
		}
		for (size_t i = 0; n > 0 && i < ng; i++) {
			ssize_t got;

			if (gc[i].finished || !pfd[i].revents)
				continue;
			got = read_full(gc[i].msg, m, sizeof(*m));
			if (got == -EINTR) {
				err = -EINTR;
				snprintf(errbuf, sizeof(errbuf), "interrupted");
				break;
			}
			if (got != (ssize_t)sizeof(*m)) {
				err = -EPIPE;
				snprintf(errbuf, sizeof(errbuf),
					 "the client in %s died without a result", gc[i].g->ns);
				gc[i].finished = true;
				left--;
				break;
			}
			if (m->type == 'P') {
				gc[i].done = m->done;
				if (fo_on && gc[i].g == topo__guest(c->topo, fo.guest))
					failover__progress(&fo, m->t_ns, m->done);
				continue;
			}
			got = read_full(gc[i].msg, &gc[i].res, sizeof(gc[i].res));
			if (got != (ssize_t)sizeof(gc[i].res)) {
				err = got == -EINTR ? -EINTR : -EPIPE;
				if (err == -EINTR)
					snprintf(errbuf, sizeof(errbuf), "interrupted");
				else
					snprintf(errbuf, sizeof(errbuf),
						 "the client in %s died in the middle of its result",
						 gc[i].g->ns);
				gc[i].finished = true;
				left--;
				break;
			}
			gc[i].have_res = true;
			gc[i].finished = true;
			left--;
		}
		if (c->progress) {
			uint64_t done = 0;

			for (size_t i = 0; i < ng; i++)
				done += gc[i].have_res ? gc[i].res.bytes : gc[i].done;
			show_progress(c, what, done, ng * (measure ? c->o.bytes : c->o.warmup), w0);
		}
		if (series && left && now_ns() >= next_tick) {
			series_tick(c, &se, gc, ng, &t0, w0, softirq0);
			/* A late sample (busy machine) shortens the next interval, no drift. */
			while (next_tick <= now_ns())
				next_tick += c->o.series_ns;
		}
		/* After the sample: a switch due at a tick lands in the interval that follows. */
		if (fo_on && left && failover__step(&fo, c->topo)) {
			err = -EIO;
			snprintf(errbuf, sizeof(errbuf), "failover of %s: %.200s", fo.role, fo.error);
		}
	}
	w1 = now_ns();
	pcpu1 = process_cpu_ns();
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
		threads_long_lived(c, &t1);
		for (size_t i = 0; i < ng; i++)
			if (gc[i].pid > 0)
				threads_snap__add(&t1, gc[i].pid, gc[i].g->role);
		if (!kerr)
			kerr = threads_snap__add_net_kthreads(&k1, "/proc", IOVB_ROLE_HOST);
		if (!kerr)
			kerr = threads_snap__delta(&k0, &k1, &kd);
	}
	if (c->progress)
		fputs("\r\033[K", stderr);
	if (err != -EINTR && err != -ENOMEM)
		fatal = false;
	/* The next window starts with every VF in place, or not at all. */
	if (fo_on && failover__end(&fo, c->topo)) {
		if (!err)
			snprintf(errbuf, sizeof(errbuf), "failback of %s: %.200s", fo.role, fo.error);
		err = -EIO;
		fatal = true;
	}
	for (size_t i = 0; !err && i < ng; i++) {
		if (gc[i].res.status) {
			snprintf(errbuf, sizeof(errbuf), "copy over %s by %s failed: %s",
				 topo_path_names[gc[i].g->path], gc[i].g->role, gc[i].res.error);
			err = gc[i].res.status;
		}
	}
	if (!measure)
		goto cleanup;

	r = json_object();
	json_object_set_new(r, "path", json_string(window_label(sel)));
	json_object_set_new(r, "rep", json_integer(rep));
	json_object_set_new(r, "status", json_string(err ? (err == -EINTR ? "interrupted" :
								"aborted") : "ok"));
	if (err)
		json_object_set_new(r, "error", json_string(errbuf));
	/* The first guest, as records with one guest per path had it. */
	json_object_set_new(r, "guest_role", json_string(ng ? gc[0].g->role : ""));
	json_object_set_new(r, "guest_netns", json_string(ng ? gc[0].g->ns : ""));
	json_object_set_new(r, "window", json_pack("{ss sI ss sI}", "start", started, "duration_ns",
						   (json_int_t)(w1 - w0), "clock",
						   "CLOCK_MONOTONIC, run process",
						   "run_process_cpu_ns", (json_int_t)(pcpu1 - pcpu0)));
	memset(&agg, 0, sizeof(agg));
	iovb_hist__init(&agg.latency_ns);
	guests = json_array();
	for (size_t i = 0; i < ng; i++) {
		const struct engine_result *e = &gc[i].res;
		json_t *gj = json_pack("{ss ss ss ss}", "role", gc[i].g->role, "netns", gc[i].g->ns,
				       "path", topo_path_names[gc[i].g->path], "status",
				       !gc[i].have_res ? (err == -EINTR ? "interrupted" : "died") :
				       e->status ? "aborted" : "ok");

		if (gc[i].have_res && e->status)
			json_object_set_new(gj, "error", json_string(e->error));
		if (c->o.verify)
			json_object_set_new(gj, "verified", json_boolean(gc[i].have_res &&
									 !e->status));
		if (gc[i].have_res) {
			json_t *ej = engine_json(e, "");

			json_object_update(gj, ej);
			json_decref(ej);
			json_object_del(gj, "source");
			if (!any_res || e->start_ns < agg.start_ns)
				agg.start_ns = e->start_ns;
			if (!any_res || e->end_ns > agg.end_ns)
				agg.end_ns = e->end_ns;
			any_res = true;
			agg.bytes += e->bytes;
			agg.read_bytes += e->read_bytes;
			agg.write_bytes += e->write_bytes;
			agg.wire_bytes += e->wire_bytes;
			agg.wire_tx_bytes += e->wire_tx_bytes;
			agg.ios += e->ios;
			iovb_hist__merge(&agg.latency_ns, &e->latency_ns);
		}
		json_array_append_new(guests, gj);
	}
	if (any_res) {
		char src[256];
		json_t *ej;

		snprintf(src, sizeof(src), "engine (client side, %s)%s", engine_source(c->o.workload),
			 ng > 1 ? ", all guests of the window: bytes summed, seconds from the "
				  "first request sent to the last response" : "");
		ej = engine_json(&agg, src);
		json_object_set_new(ej, "guests", json_integer((json_int_t)ng));
		json_object_set_new(r, "engine", ej);
	}
	json_object_set_new(r, "guests", guests);
	if (!threads_snap__delta(&t0, &t1, &td)) {
		json_t *list = json_array();

		for (size_t i = 0; i < td.n; i++) {
			const char *fg = relay_guest(c, td.t[i].pid);
			json_t *tj = json_pack("{sI sI ss ss sI sI sI}",
				"pid", (json_int_t)td.t[i].pid, "tid", (json_int_t)td.t[i].tid,
				"comm", td.t[i].comm, "role", td.t[i].role,
				"cpu_ns", (json_int_t)td.t[i].cpu_ns,
				"utime_ticks", (json_int_t)td.t[i].utime_ticks,
				"stime_ticks", (json_int_t)td.t[i].stime_ticks);

			if (fg)
				json_object_set_new(tj, "for_guest", json_string(fg));
			json_array_append_new(list, tj);
		}
		json_object_set_new(r, "threads", json_pack("{ss ss so}", "source",
			"schedstat (/proc/PID/task/TID/schedstat sum_exec_runtime)", "unit",
			"ns; includes interrupt time run on top of the thread (no IRQ_TIME_ACCOUNTING)",
			"list", list));
		if (series) {
			/* The last, usually partial, interval ends with the window. */
			json_t *roles = role_cpu(c, &td, nc_ok ? &ns : NULL);

			series_add(&se, w0, w1, agg.bytes, roles, nc_ok, procfs__softirq_total_ns(),
				   softirq0);
			json_decref(roles);
		}
	}
	if (measure)
		json_object_set_new(r, "kernel_threads",
				    kerr ? json_pack("{ss}", "error", strerror(-kerr))
					 : record__kernel_threads(&kd, nc_ok ? &ns : NULL));
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
			json_object_set_new(pj, "interrupt_roles", record__perf_irq_roles(&ps, &td,
					    (record_role_fn)topo__role_of, c->topo));
			json_object_set_new(coll, "perf", pj);
		}
		if (wr_ok)
			json_object_set_new(coll, "wire", record__wire(&ws));
		json_object_set_new(r, "collectors", coll);
	}
	if (series)
		json_object_set_new(r, "series", series_json(&se, c->o.series_ns));
	if (fo_on)
		json_object_set_new(r, "failover", failover__json(&fo, c->o.series_ns));
	json_array_append_new(c->runs, r);
cleanup:
	if (err && errbuf[0] && err != -EINTR) /* an error: said even with -q */
		fprintf(stderr, "iovbench run: %s\n", errbuf);
	for (size_t i = 0; gc && i < ng; i++) {
		if (gc[i].msg >= 0)
			close(gc[i].msg);
		if (gc[i].hold >= 0)
			close(gc[i].hold);
		if (gc[i].pid > 0) {
			if (err == -EINTR || !gc[i].finished)
				kill(gc[i].pid, SIGTERM);
			waitpid_quiet(gc[i].pid);
		}
	}
	series_free(&se);
	failover__free(&fo);
	procfs_snap__free(&p0);
	procfs_snap__free(&p1);
	procfs_snap__free(&pd);
	threads_snap__free(&t0);
	threads_snap__free(&t1);
	threads_snap__free(&td);
	threads_snap__free(&k0);
	threads_snap__free(&k1);
	threads_snap__free(&kd);
	netcpu_stats__free(&ns);
	perfcol_stats__free(&ps);
	free(m);
	free(pfd);
	free(gc);
	/* A failed copy is recorded and the run goes on (exit status says so); an interrupt or a
	 * broken setup stops it. */
	if (err && !fatal)
		c->failed_copies++;
	return fatal ? err : 0;
}

/*
 * Open the requested collectors (bpf, perf, wire). With colls, append each one's status to it
 * (the record's "collectors"); a collector that cannot open is said on stderr and left NULL.
 * Returns how many requested collectors did not open.
 */
static int collectors_open(struct run_ctx *c, json_t *colls)
{
	int failed = 0;

	if (c->o.use_bpf) {
		c->nc = netcpu__open(c->nc_error, sizeof(c->nc_error));
		if (!c->nc)
			failed++;
		if (colls && c->nc)
			json_array_append_new(colls, json_pack("{ss ss}", "name", "bpf", "status", "ok"));
		else if (colls)
			/* The record says so; nothing is invented in its place. */
			json_array_append_new(colls, json_pack("{ss ss ss}", "name", "bpf", "status",
							       "unavailable", "error", c->nc_error));
		if (!c->nc)
			fprintf(stderr, "iovbench run: bpf collector unavailable: %s\n", c->nc_error);
	} else if (colls) {
		json_array_append_new(colls, json_pack("{ss ss}", "name", "bpf", "status",
						       "not requested"));
	}
	if (c->o.use_perf) {
		char perr[256] = "";

		struct perfcol_conf pconf = { .freq_hz = c->o.perf_hz };

		c->pc = perfcol__open(&pconf, perr, sizeof(perr));
		if (!c->pc)
			failed++;
		if (colls && c->pc)
			json_array_append_new(colls, json_pack("{ss ss}", "name", "perf", "status", "ok"));
		else if (colls)
			json_array_append_new(colls, json_pack("{ss ss ss}", "name", "perf", "status",
							       "unavailable", "error", perr));
		if (!c->pc)
			fprintf(stderr, "iovbench run: perf collector unavailable: %s\n", perr);
	}
	if (c->o.use_wire) {
		struct wire_conf wc = { .ifaces = "eth0", .netns = topo__server_ns(c->topo) };
		char werr[256] = "";

		c->wire = wire__open(&wc, werr, sizeof(werr));
		if (!c->wire)
			failed++;
		if (colls)
			json_array_append_new(colls, c->wire ? json_pack("{ss ss}", "name", "wire",
									 "status", "ok") :
						      json_pack("{ss ss ss}", "name", "wire", "status",
								"unavailable", "error", werr));
		if (!c->wire)
			fprintf(stderr, "iovbench run: wire collector unavailable: %s\n", werr);
	}
	return failed;
}

/* Close every collector: BPF programs detached and unloaded, sampling and capture off. */
static void collectors_close(struct run_ctx *c)
{
	perfcol__close(c->pc);
	netcpu__close(c->nc);
	wire__close(c->wire);
	c->pc = NULL;
	c->nc = NULL;
	c->wire = NULL;
}

/*
 * --overhead[=N]: after the repetitions, N pairs per path of one window with every collector
 * closed (BPF programs detached and unloaded, no sampling, no capture, no series) and one with
 * them all open again, same bytes. The order alternates per pair (off,on then on,off ...) so a
 * slow drift of the machine's load falls on both sides alike. Every window goes to the
 * record's overhead_runs[] with overhead.{collectors,pair,seq}, apart from runs[] so no other
 * reader pools it. Returns the exit status so far.
 */
static int run_overhead(struct run_ctx *c)
{
	json_t *measured = c->runs;
	int ret = IOVB_EXIT_OK;
	unsigned seq = 0;

	c->runs = json_array();
	for (unsigned k = 1; k <= c->o.overhead_pairs && ret == IOVB_EXIT_OK; k++) {
		for (int p = 0; p < TOPO_NPATH && ret == IOVB_EXIT_OK && !run_interrupted; p++) {
			bool sel[TOPO_NPATH] = { false };

			if (!c->o.path[p])
				continue;
			sel[p] = true;
			for (int w = 0; w < 2 && ret == IOVB_EXIT_OK && !run_interrupted; w++) {
				/* pair 1 off,on; pair 2 on,off; ... */
				bool off = (w == 0) == (k % 2 == 1);

				if (off && !c->collectors_off) {
					collectors_close(c);
					c->collectors_off = true;
				} else if (!off && c->collectors_off) {
					c->collectors_off = false;
					if (collectors_open(c, NULL)) {
						ret = IOVB_EXIT_ENV;
						break;
					}
				}
				say(c, "%s overhead pair %u: collectors %s", topo_path_names[p], k,
				    off ? "closed" : "open");
				if (copy_window(c, sel, k, true)) {
					ret = IOVB_EXIT_ENV;
					break;
				}
				json_object_set_new(json_array_get(c->runs, json_array_size(c->runs) - 1),
						    "overhead",
						    json_pack("{ss sI sI}", "collectors",
							      off ? "off" : "on", "pair", (json_int_t)k,
							      "seq", (json_int_t)++seq));
			}
		}
	}
	c->collectors_off = false;
	json_object_set_new(c->rec, "overhead_runs", c->runs);
	json_object_set_new(c->rec, "overhead",
			    json_pack("{sI ss ss}", "pairs", (json_int_t)c->o.overhead_pairs,
				      "order", "per pair and path, off then on in odd pairs, on then "
				      "off in even pairs",
				      "off", "bpf, perf and wire closed (programs detached and "
				      "unloaded), no series sampling; procfs read at the window's "
				      "ends and threads, as in every window"));
	c->runs = measured;
	return ret;
}

static json_t *topo_json(const struct run_ctx *c)
{
	json_t *o = json_object(), *nss = json_array(), *devs = json_array();
	json_t *guests = json_array(), *offl = json_array();

	for (size_t i = 0; i < c->o.noffloads; i++)
		json_array_append_new(offl, json_string(c->o.offloads[i]));
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
		json_t *dj = json_pack("{ss ss ss ss ss sI sI ss}", "name", d->name, "netns", d->netns,
				       "role", d->role, "kind", d->kind, "stands_for", d->stands_for,
				       "ifindex", (json_int_t)d->ifindex,
				       "netns_ino", (json_int_t)d->netns_ino, "offloads", off);

		if (d->for_guest[0])
			json_object_set_new(dj, "for_guest", json_string(d->for_guest));
		json_array_append_new(devs, dj);
	}
	json_object_set_new(o, "devices", devs);
	for (int p = 0; p < TOPO_NPATH; p++) {
		json_t *roles;

		if (!c->o.path[p])
			continue;
		roles = json_array();
		for (size_t i = 0; i < topo__nguests(c->topo); i++)
			if (topo__guest(c->topo, i)->path == (enum topo_path)p)
				json_array_append_new(roles,
						      json_string(topo__guest(c->topo, i)->role));
		json_object_set_new(o, topo_path_names[p],
				    json_pack("{ss ss so}", "guest_netns", topo__guest_ns(c->topo, p),
					      "guest_role", topo__guest_role(c->topo, p),
					      "guest_roles", roles));
	}
	for (size_t i = 0; i < topo__nguests(c->topo); i++) {
		const struct topo_guest *g = topo__guest(c->topo, i);
		json_t *gj = json_pack("{ss ss ss ss}", "role", g->role, "path",
				       topo_path_names[g->path], "netns", g->ns,
				       "addr", g->addr);

		if (g->path == TOPO_PV)
			json_object_set_new(gj, "host_dev", json_string(g->host_dev));
		if (g->standby_dev[0])
			json_object_set_new(gj, "standby", json_pack("{ss ss}", "dev", g->standby_dev,
								     "host_dev", g->host_dev));
		if (g->vf_netdev[0])
			json_object_set_new(gj, "vf_netdev", json_string(g->vf_netdev));
		json_array_append_new(guests, gj);
	}
	json_object_set_new(o, "guests", guests);
	json_object_set_new(o, "offloads_requested", offl);
	return o;
}

static int start_server(struct run_ctx *c, char *err, size_t errlen)
{
	struct server_arg a = { .parent = getpid(), .addr = topo__server_addr(c->topo),
				.verify = c->o.verify };
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
	return record__default_path(c->out_path, sizeof(c->out_path), c->o.output,
				    c->o.label);
}

static void random_id(char *buf, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Short on purpose: it goes into netns names; pid + time keeps concurrent runs apart. */
	snprintf(buf, len, "%04x%02x", (unsigned)(getpid() & 0xffff),
		 (unsigned)((ts.tv_nsec >> 10) & 0xff));
}

/*
 * Warm-up, then the repetitions: per repetition one window per path (the guests of a path
 * at once), or one window with every guest with --concurrent. Says in c->rec "repetitions"
 * how many ran and why they stopped. Returns the exit status so far.
 */
static int run_windows(struct run_ctx *c)
{
	bool groups[TOPO_NPATH][TOPO_NPATH] = { { false } };
	size_t ngroups = 0;
	const char *why = NULL;
	json_t *rsd = json_object();
	unsigned rep = 0, done = 0;
	int ret = IOVB_EXIT_OK;

	if (c->o.concurrent) {
		for (int p = 0; p < TOPO_NPATH; p++)
			groups[0][p] = c->o.path[p];
		ngroups = 1;
	} else {
		for (int p = 0; p < TOPO_NPATH; p++)
			if (c->o.path[p])
				groups[ngroups++][p] = true;
	}
	for (size_t gi = 0; gi < ngroups && c->o.warmup && !run_interrupted; gi++) {
		say(c, "warm-up on %s", window_label(groups[gi]));
		if (copy_window(c, groups[gi], 0, false))
			ret = IOVB_EXIT_ENV;
	}
	while (ret == IOVB_EXIT_OK && !run_interrupted) {
		bool all_below = true;

		rep++;
		for (size_t gi = 0; gi < ngroups && ret == IOVB_EXIT_OK && !run_interrupted; gi++) {
			say(c, "%s repetition %u", window_label(groups[gi]), rep);
			if (copy_window(c, groups[gi], rep, true))
				ret = IOVB_EXIT_ENV;
		}
		if (ret != IOVB_EXIT_OK || run_interrupted)
			break;
		done = rep;
		json_object_clear(rsd);
		for (size_t gi = 0; gi < ngroups; gi++) {
			double v = record__rel_stddev(c->runs, window_label(groups[gi]));

			json_object_set_new(rsd, window_label(groups[gi]), record__real(v));
			all_below &= isfinite(v) && v * 100 < c->o.max_stddev;
		}
		why = record__reps_stop(rep, c->o.reps, c->o.max_stddev, c->o.max_reps, all_below);
		if (why)
			break;
		say(c, "repetition %u done; relative stddev of throughput not yet below %.2f%%",
		    rep, c->o.max_stddev);
	}
	if (!why)
		why = run_interrupted ? "interrupted" : "error";
	json_object_set_new(c->rec, "repetitions",
			    json_pack("{sI ss so}", "done", (json_int_t)done, "stopped", why,
				      "throughput_rel_stddev", rsd));
	return ret;
}

/*
 * --json: the one document on stdout. The record is what was written (or could not be);
 * summary is `report --json` of it, null when no window ran or it cannot be summarised.
 */
static void run_print_json(const struct run_ctx *c, int ret, const char *error)
{
	char err[256] = "";
	json_t *sum = json_array_size(json_object_get(c->rec, "runs")) ?
			      summary__build(c->rec, err, sizeof(err)) :
			      NULL;
	json_t *doc = json_pack("{ss so si so so}", "record", c->out_path, "status",
				json_incref(json_object_get(c->rec, "status")) ?: json_null(),
				"exit", ret, "error", error ? json_string(error) : json_null(),
				"summary", sum ?: json_null());

	if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(12)) ||
	    putchar('\n') == EOF)
		fprintf(stderr, "iovbench run: cannot print the JSON summary\n");
	json_decref(doc);
}

int cmd_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	struct run_ctx c = { 0 };
	struct topo_conf tc = { 0 };
	char err[512] = "", run_id[40], started[32], ended[32], vfdev[TOPO_MAX_GUESTS][16];
	const char *vfp[TOPO_MAX_GUESTS];
	json_t *colls;
	int ret = IOVB_EXIT_ENV, e;

	/* --server/--guest: agents on other machines instead of a local topology (remote.c) */
	if (run__wants_agents(argc, argv))
		return run__agents(argc, argv);
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
	c.progress = cli__progress_ok(c.o.verbose, c.o.json);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	iso_now(started, sizeof(started));

	if (c.o.run_id)
		snprintf(run_id, sizeof(run_id), "%s", c.o.run_id);
	else
		random_id(run_id, sizeof(run_id));
	tc.run_id = run_id;
	for (int p = 0; p < TOPO_NPATH; p++) {
		tc.path[p] = c.o.path[p];
		tc.guests[p] = c.o.guests[p];
	}
	tc.link_rate_bps = c.o.link_rate;
	tc.offloads = c.o.offloads;
	tc.noffloads = c.o.noffloads;
	for (size_t i = 0; i < c.o.nvfs; i++) {
		e = topo__vf_resolve(c.o.sysfs_root, c.o.vfs[i], vfdev[i], sizeof(vfdev[i]));
		if (e) {
			fprintf(stderr, "iovbench run: --vf %s: %s\n", c.o.vfs[i],
				e == -ENOENT ? "that VF has no netdev here (vfio-pci, unbound, or in "
					       "another netns)" :
				e == -ERANGE ? "no such VF index (enabled VFs: iovbench sriov list)" :
				e == -EINVAL ? "not PF:INDEX or netdev:NAME" : strerror(-e));
			ret = e == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
			goto cleanup;
		}
		vfp[i] = vfdev[i];
	}
	tc.vf_netdevs = vfp;
	tc.nvf_netdevs = c.o.nvfs;
	tc.standby = c.o.failover_ns > 0;
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
	collectors_open(&c, colls);
	json_array_append_new(colls, json_pack("{ss ss}", "name", "threads", "status", "ok"));
	if (start_server(&c, err, sizeof(err))) {
		fprintf(stderr, "iovbench run: %s\n", err);
		json_decref(colls);
		goto cleanup;
	}
	c.rec = json_object();
	c.runs = json_array();
	json_object_set_new(c.rec, "schema", json_integer(IOVB_RECORD_SCHEMA));
	json_object_set_new(c.rec, "meta", record__meta(c.o.label, argc, argv, started));
	json_object_set_new(c.rec, "topology", topo_json(&c));
	json_object_set_new(c.rec, "workload",
			    json_pack("{ss sI sI sI sI sI ss ss s{sI sI} ss}", "kind",
				      engine__workload_name(c.o.workload),
				      "bytes", (json_int_t)c.o.bytes, "io_size",
				      (json_int_t)c.o.io_size, "depth", (json_int_t)c.o.depth,
				      "reps", (json_int_t)c.o.reps, "warmup_bytes",
				      (json_int_t)c.o.warmup, "bytes_per", "guest",
				      "windows", c.o.concurrent ? "concurrent" : "per path",
				      "guests", "vf", (json_int_t)c.o.guests[TOPO_VF], "pv",
				      (json_int_t)c.o.guests[TOPO_PV], "order",
				      c.o.concurrent ? "one window per repetition, every guest of "
						       "every path at once" :
				      "repetitions interleaved across paths; the guests of a path "
				      "copy at once in one window"));
	json_object_set_new(json_object_get(c.rec, "workload"), "verify", json_boolean(c.o.verify));
	json_object_set_new(json_object_get(c.rec, "workload"), "series_interval_s",
			    c.o.series ? json_real((double)c.o.series_ns / 1e9) : json_null());
	if (c.o.workload == ENGINE_MIXED)
		json_object_set_new(json_object_get(c.rec, "workload"), "read_pct",
				    json_integer(c.o.read_pct));
	if (c.o.failover_ns)
		json_object_set_new(json_object_get(c.rec, "workload"), "failover",
				    json_pack("{sf sf}", "at_s", (double)c.o.failover_ns / 1e9,
					      "failback_after_s", (double)c.o.failback_ns / 1e9));
	if (c.o.max_stddev) {
		json_t *wl = json_object_get(c.rec, "workload");

		json_object_set_new(wl, "max_stddev_pct", json_real(c.o.max_stddev));
		json_object_set_new(wl, "max_reps", json_integer((json_int_t)c.o.max_reps));
	}
	json_object_set_new(c.rec, "collectors", colls);

	ret = run_windows(&c);
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
		bool written = false;

		if (record__write(c.rec, c.out_path, err, sizeof(err))) {
			fprintf(stderr, "iovbench run: %s\n", err);
			ret = IOVB_EXIT_ENV;
		} else {
			written = true;
			if (c.o.verbose >= 0)
				fprintf(stderr, "iovbench run: record written to %s\n", c.out_path);
			if (c.o.report && !c.o.json && json_array_size(json_object_get(c.rec, "runs")))
				summary__print_record(stdout, c.rec);
		}
		if (c.o.json)
			run_print_json(&c, ret, written ? NULL : err);
	}
	json_decref(c.runs);
	json_decref(c.rec);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}
