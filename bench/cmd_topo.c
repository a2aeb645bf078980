// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench topo up|down|show`: the emulated topology by hand, for debugging a path with
 * ip/tc/tcpdump, and for removing what a killed run left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "iovb/parse.h"
#include "relay.h"
#include "topo.h"

#define CMD "iovbench topo"
#define MAX_LISTED 512

struct topo_opts {
	const char *action; /* up, down, show */
	const char *run_id; /* down's optional RUN_ID */
	bool path[TOPO_NPATH];
	uint64_t link_rate_bps;
	int verbosity; /* enum cli_verbosity */
};

/* Sorted names of the iovb-* namespaces, optionally of one run only. */
struct ns_list {
	char name[MAX_LISTED][64];
	size_t n;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " CMD " up [--paths pv,vf] [--link-rate RATE] [-q|-v]\n"
		"       " CMD " down [-q|-v] [RUN_ID]\n"
		"       " CMD " show\n\n"
		"  up     create the emulated topology (namespaces, links, eswitch steering, "
		"relay)\n"
		"         and leave it up; prints the run id, namespaces, roles and devices\n"
		"  down   remove run RUN_ID, or without it every iovb-* namespace and relay left\n"
		"         behind (by killed runs too); prints what it removed\n"
		"  show   list the iovb-* namespaces and each run's relay\n\n"
		"  --paths LIST      which guests: pv (paravirtual: tap + bridge + relay), vf\n"
		"                    (SR-IOV-like: macvlan on the adapter); default pv,vf\n"
		"  --link-rate RATE  shape the physical link, e.g. 10gbit, 1gbit (default: "
		"unshaped)\n"
		"  -q, --quiet       nothing on stderr but errors\n"
		"  -v, --verbose     say each step on stderr\n\n"
		"up and down need root (CAP_NET_ADMIN, CAP_SYS_ADMIN).\n"
		"Exit status: 0 ok, 2 usage, 3 environment (not root, the kernel refused).\n"
		"See docs/paths.md and docs/cli.md.\n");
}

static int ns_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void ns_list_read(struct ns_list *l, const char *run_id)
{
	char prefix[64];
	struct dirent *de;
	DIR *d;

	l->n = 0;
	snprintf(prefix, sizeof(prefix), "%s-%s%s", TOPO_PREFIX, run_id ? run_id : "",
		 run_id ? "-" : "");
	d = opendir("/run/netns");
	if (!d)
		return;
	while ((de = readdir(d)) != NULL && l->n < MAX_LISTED)
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && strlen(de->d_name) < 64)
			snprintf(l->name[l->n++], 64, "%s", de->d_name);
	closedir(d);
	qsort(l->name, l->n, sizeof(l->name[0]), ns_cmp);
}

static bool ns_list_has(const struct ns_list *l, const char *name)
{
	return bsearch(name, l->name, l->n, sizeof(l->name[0]), ns_cmp) != NULL;
}

static void new_run_id(char *buf, size_t len)
{
	struct timespec ts;
	uint32_t h;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Short: it goes into every netns name. Time and pid keep concurrent runs apart. */
	h = (uint32_t)ts.tv_nsec ^ ((uint32_t)ts.tv_sec << 20) ^ ((uint32_t)getpid() << 8);
	snprintf(buf, len, "%06x", h & 0xffffff);
}

static int do_up(const struct topo_opts *o)
{
	struct topo_conf conf = { .link_rate_bps = o->link_rate_bps };
	char id[16], err[512], off[256];
	struct topo *t;
	int ret = IOVB_EXIT_ENV, e;

	new_run_id(id, sizeof(id));
	conf.run_id = id;
	for (int p = 0; p < TOPO_NPATH; p++)
		conf.path[p] = o->path[p];
	cli__say(o->verbosity, CLI_VERBOSE, CMD " up", "creating run %s: paths%s%s, link %s", id,
		 o->path[0] ? " pv" : "", o->path[1] ? " vf" : "",
		 o->link_rate_bps ? "shaped" : "unshaped");
	t = topo__up(&conf, err, sizeof(err));
	if (!t) {
		fprintf(stderr, CMD " up: %s\n", err);
		goto cleanup;
	}
	printf("run %s\n\nnamespaces:\n", id);
	for (size_t i = 0; i < topo__nns(t); i++) {
		const struct topo_ns *n = topo__ns(t, i);

		printf("  %-24s %-8s netns inode %llu\n", n->name, n->role,
		       (unsigned long long)n->ino);
	}
	printf("\ndevices:\n");
	for (size_t i = 0; i < topo__ndevs(t); i++) {
		const struct topo_dev *d = topo__dev(t, i);

		if (topo__dev_offloads(t, i, off, sizeof(off)))
			snprintf(off, sizeof(off), "offloads unknown");
		printf("  %-24s %-6s %-8s %-7s %s\n  %-24s %s\n", d->netns, d->name, d->role,
		       d->kind, d->stands_for, "", off);
	}
	printf("\nserver %s in %s", topo__server_addr(t), topo__server_ns(t));
	for (int p = 0; p < TOPO_NPATH; p++)
		if (topo__guest_ns(t, p))
			printf("; %s guest %s (%s)", topo_path_names[p], topo__guest_ns(t, p),
			       topo__guest_role(t, p));
	printf("\n");
	if (topo__relay_pid(t) > 0)
		printf("backend relay pid %d (host role)\n", (int)topo__relay_pid(t));
	fflush(stdout);
	cli__say(o->verbosity, CLI_VERBOSE, CMD " up", "%s",
		 "leaving the topology and its relay running");
	e = topo__detach(t);
	if (e) {
		fprintf(stderr, CMD " up: cannot leave the relay running: %s; removing\n",
			strerror(-e));
		topo__down(t);
		goto cleanup;
	}
	printf("left up; remove with: iovbench topo down %s\n", id);
	ret = IOVB_EXIT_OK;
cleanup:
	return ret;
}

static int do_down(const char *run_id, int verbosity)
{
	struct ns_list *before = NULL, *after = NULL;
	char err[512];
	int ret = IOVB_EXIT_ENV, n;

	before = malloc(sizeof(*before));
	after = malloc(sizeof(*after));
	if (!before || !after) {
		fprintf(stderr, CMD " down: out of memory\n");
		goto cleanup;
	}
	ns_list_read(before, run_id);
	cli__say(verbosity, CLI_VERBOSE, CMD " down", "removing %s%s: %zu namespace(s) now",
		 run_id ? "run " : "every iovb-* namespace and relay", run_id ? run_id : "",
		 before->n);
	n = run_id ? topo__down_run(run_id, err, sizeof(err)) : topo__down_all(err, sizeof(err));
	ns_list_read(after, run_id);
	for (size_t i = 0; i < before->n; i++)
		if (!ns_list_has(after, before->name[i]))
			printf("removed %s\n", before->name[i]);
	if (n < 0) {
		fprintf(stderr, CMD " down: %s\n", err);
		if (n == -EINVAL)
			ret = IOVB_EXIT_USAGE; /* a malformed RUN_ID */
		goto cleanup;
	}
	if (!before->n)
		printf("nothing to remove%s%s\n", run_id ? " for run " : "", run_id ? run_id : "");
	ret = IOVB_EXIT_OK;
cleanup:
	free(before);
	free(after);
	return ret;
}

/* "running", "gone" or "none" for the relay recorded under /run/iovbench/<run_id>. */
static const char *relay_state(const char *run_id, int *pid)
{
	char path[128], buf[32] = "";
	uint64_t v;
	FILE *f;
	const char *state = "none";

	*pid = 0;
	snprintf(path, sizeof(path), "/run/iovbench/%s/relay.pid", run_id);
	f = fopen(path, "r");
	if (!f)
		goto cleanup;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (iovb_parse_u64(buf, 1, INT32_MAX, &v))
		goto cleanup;
	*pid = (int)v;
	state = "gone";
	snprintf(path, sizeof(path), "/proc/%d/comm", *pid);
	f = fopen(path, "r");
	if (!f)
		goto cleanup;
	if (fgets(buf, sizeof(buf), f) && !strncmp(buf, RELAY_COMM "\n", sizeof(RELAY_COMM)))
		state = "running";
	fclose(f);
cleanup:
	return state;
}

static int do_show(void)
{
	struct ns_list *l = malloc(sizeof(*l));
	char run[64] = "";
	int ret = IOVB_EXIT_ENV;

	if (!l) {
		fprintf(stderr, CMD " show: out of memory\n");
		goto cleanup;
	}
	ns_list_read(l, NULL);
	if (!l->n)
		printf("no %s-* namespaces\n", TOPO_PREFIX);
	for (size_t i = 0; i < l->n; i++) {
		const char *id = l->name[i] + strlen(TOPO_PREFIX) + 1;
		const char *dash = strrchr(l->name[i], '-');
		size_t idlen = dash > id ? (size_t)(dash - id) : strlen(id);

		if (strlen(run) != idlen || strncmp(run, id, idlen)) {
			int pid;
			const char *st;

			snprintf(run, sizeof(run), "%.*s", (int)idlen, id);
			st = relay_state(run, &pid);
			if (pid)
				printf("run %s: relay pid %d %s\n", run, pid, st);
			else
				printf("run %s: no relay recorded\n", run);
		}
		printf("  %s\n", l->name[i]);
	}
	ret = IOVB_EXIT_OK;
cleanup:
	free(l);
	return ret;
}

/* 0 for a good command line, -1 after printing the help, else the exit status (message given). */
static int parse_args(int argc, char **argv, struct topo_opts *o)
{
	bool seen_opt = false;
	const char *v;
	int ret = 0;

	for (int i = 1; i < argc && !ret; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			ret = -1;
		}
	}
	for (int i = 1; i < argc && !ret; i++) {
		const char *a = argv[i];

		if (cli__opt_is(a, "--paths") || cli__opt_is(a, "--link-rate")) {
			bool paths = cli__opt_is(a, "--paths");

			v = cli__opt_arg(argc, argv, &i);
			if (!v)
				ret = cli__usage_error(CMD, "%s needs a value",
						       paths ? "--paths" : "--link-rate");
			else if (paths && topo__parse_paths(v, o->path))
				ret = cli__usage_error(CMD, "--paths: '%s' is not a list of pv, vf",
						       v);
			else if (!paths &&
				 (iovb_parse_rate_bps(v, &o->link_rate_bps) || !o->link_rate_bps))
				ret = cli__usage_error(
					CMD, "--link-rate: '%s' is not a rate like 10gbit", v);
			seen_opt = true;
		} else if (cli__verbosity_opt(a, &o->verbosity)) {
			continue;
		} else if (a[0] == '-') {
			ret = cli__usage_error(CMD, "unknown option '%s'", a);
		} else if (!o->action) {
			o->action = a;
		} else if (!strcmp(o->action, "down") && !o->run_id) {
			o->run_id = a;
		} else {
			ret = cli__usage_error(CMD, "unexpected argument '%s'", a);
		}
	}
	if (ret)
		goto cleanup;
	if (!o->action)
		ret = cli__usage_error(CMD, "%s", "missing action: up, down or show");
	else if (strcmp(o->action, "up") && strcmp(o->action, "down") && strcmp(o->action, "show"))
		ret = cli__usage_error(CMD, "unknown action '%s' (up, down or show)", o->action);
	else if (strcmp(o->action, "up") && seen_opt)
		ret = cli__usage_error(CMD, "%s takes no --paths or --link-rate", o->action);
cleanup:
	return ret;
}

int cmd_topo(int argc, char **argv)
{
	struct topo_opts o = { .path = { true, true } };
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret) {
		if (ret < 0)
			ret = IOVB_EXIT_OK; /* --help */
		goto cleanup;
	}
	if (!strcmp(o.action, "show")) {
		ret = do_show();
		goto cleanup;
	}
	if (geteuid() != 0) {
		fprintf(stderr, CMD ": needs root (CAP_NET_ADMIN)\n");
		ret = IOVB_EXIT_ENV;
		goto cleanup;
	}
	ret = !strcmp(o.action, "up") ? do_up(&o) : do_down(o.run_id, o.verbosity);
cleanup:
	return ret;
}
