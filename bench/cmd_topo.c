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

#include "cmds.h"
#include "iovb/cli.h"
#include "iovb/parse.h"
#include "relay.h"
#include "topo.h"

#define CMD "iovbench topo"
#define MAX_LISTED 512

struct topo_opts {
	const char *action; /* up, down, show */
	const char *run_id; /* down's optional RUN_ID */
	bool path[TOPO_NPATH];
	unsigned guests[TOPO_NPATH];
	uint64_t link_rate_bps;
	const char *offloads[16];
	size_t noffloads;
	const char *vfs[TOPO_MAX_GUESTS]; /* --vf SPECs */
	size_t nvfs;
	const char *sysfs_root;
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
		"usage: " CMD " up [--paths pv,vf] [--guests VF+PV] [--link-rate RATE]\n"
		"                      [--offload [ROLE/]DEV:FEAT=on|off,...]...\n"
		"                      [--vf PF:INDEX|netdev:NAME]... [--sysfs-root DIR] [-q|-v]\n"
		"       " CMD " down [-q|-v] [[--run-id] RUN_ID]\n"
		"       " CMD " show\n\n"
		"  up     create the emulated topology (namespaces, links, eswitch steering, "
		"relay)\n"
		"         and leave it up; prints the run id, namespaces, roles and devices\n"
		"  down   remove run RUN_ID, or without it every iovb-* namespace and relay left\n"
		"         behind (by killed runs too); prints what it removed\n"
		"  show   list the iovb-* namespaces and each run's relay\n\n"
		"  --paths LIST      which guests: pv (paravirtual: tap + bridge + relay), vf\n"
		"                    (SR-IOV-like: macvlan on the adapter); default pv,vf\n"
		"  --guests VF+PV    guests per path, e.g. 2+2 (default 1+1); numbered pv first\n"
		"  --offload SPEC    set offloads before the path check, e.g. host/br0:gro=off or\n"
		"                    '*:tso=off,gso=off' (features sg tso gso gro lro rx-csum tx-csum;\n"
		"                    repeatable)\n"
		"  --vf SPEC         a real VF for the next vf guest instead of a macvlan: PF:INDEX\n"
		"                    (PF a PCI address or netdev) or netdev:NAME; moved into the\n"
		"                    guest as eth0, given back on down (docs/sriov.md); repeatable\n"
		"  --sysfs-root DIR  resolve --vf PF:INDEX in DIR instead of /sys (tests)\n"
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
	struct topo_conf conf = { .link_rate_bps = o->link_rate_bps, .offloads = o->offloads,
				  .noffloads = o->noffloads };
	char id[16], err[512], off[256], vfdev[TOPO_MAX_GUESTS][16];
	const char *vfp[TOPO_MAX_GUESTS];
	struct topo *t;
	int ret = IOVB_EXIT_ENV, e;

	for (size_t i = 0; i < o->nvfs; i++) {
		e = topo__vf_resolve(o->sysfs_root, o->vfs[i], vfdev[i], sizeof(vfdev[i]));
		if (e) {
			fprintf(stderr, CMD " up: --vf %s: %s\n", o->vfs[i],
				e == -ENOENT ? "that VF has no netdev here (vfio-pci, unbound, or in "
					       "another netns)" :
				e == -ERANGE ? "no such VF index (enabled VFs: iovbench sriov list)" :
				strerror(-e));
			ret = e == -EINVAL ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
			goto cleanup;
		}
		vfp[i] = vfdev[i];
	}
	conf.vf_netdevs = vfp;
	conf.nvf_netdevs = o->nvfs;
	new_run_id(id, sizeof(id));
	conf.run_id = id;
	for (int p = 0; p < TOPO_NPATH; p++) {
		conf.path[p] = o->path[p];
		conf.guests[p] = o->guests[p];
	}
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
	printf("\nserver %s in %s\n", topo__server_addr(t), topo__server_ns(t));
	for (size_t i = 0; i < topo__nguests(t); i++) {
		const struct topo_guest *g = topo__guest(t, i);

		printf("%s guest %s (%s, %s)", topo_path_names[g->path], g->ns, g->role, g->addr);
		if (g->relay_pid > 0)
			printf(", backend relay pid %d on host/%s", (int)g->relay_pid, g->host_dev);
		if (g->vf_netdev[0])
			printf(", real VF %s as eth0 (path not checked)", g->vf_netdev);
		printf("\n");
	}
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

/* Print the relays recorded under /run/iovbench/<run_id>: pid and running or gone. */
static void relays_show(const char *run_id)
{
	char path[128], buf[32];
	unsigned n = 0;
	uint64_t v;
	FILE *f, *c;

	snprintf(path, sizeof(path), "/run/iovbench/%s/relay.pid", run_id);
	f = fopen(path, "re");
	printf("run %s:", run_id);
	while (f && fgets(buf, sizeof(buf), f)) {
		const char *state = "gone";

		buf[strcspn(buf, "\n")] = '\0';
		if (iovb_parse_u64(buf, 1, INT32_MAX, &v))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)v);
		c = fopen(path, "re");
		if (c) {
			if (fgets(buf, sizeof(buf), c) &&
			    !strncmp(buf, RELAY_COMM "\n", sizeof(RELAY_COMM)))
				state = "running";
			fclose(c);
		}
		printf(" relay pid %d %s;", (int)v, state);
		n++;
	}
	if (f)
		fclose(f);
	printf("%s\n", n ? "" : " no relay recorded");
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
			snprintf(run, sizeof(run), "%.*s", (int)idlen, id);
			relays_show(run);
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

		if (cli__opt_is(a, "--paths") || cli__opt_is(a, "--link-rate") ||
		    cli__opt_is(a, "--guests") || cli__opt_is(a, "--offload")) {
			const char *name = cli__opt_is(a, "--paths")	 ? "--paths" :
					   cli__opt_is(a, "--guests")	 ? "--guests" :
					   cli__opt_is(a, "--offload") ? "--offload" :
									 "--link-rate";

			v = cli__opt_arg(argc, argv, &i);
			if (!v)
				ret = cli__usage_error(CMD, "%s needs a value", name);
			else if (name[2] == 'p' && topo__parse_paths(v, o->path))
				ret = cli__usage_error(CMD, "--paths: '%s' is not a list of pv, vf", v);
			else if (name[2] == 'g' && topo__parse_guests(v, o->guests))
				ret = cli__usage_error(CMD, "--guests: '%s' is not VF+PV counts like 2+2 "
						       "(at most 8 guests)", v);
			else if (name[2] == 'o' &&
				 (topo__offload_check(v) ||
				  o->noffloads >= sizeof(o->offloads) / sizeof(o->offloads[0])))
				ret = cli__usage_error(CMD, "--offload: '%s' is not [ROLE/]DEV:FEAT=on|off,... "
						       "(at most 16)", v);
			else if (name[2] == 'o')
				o->offloads[o->noffloads++] = v;
			else if (name[2] == 'l' &&
				 (iovb_parse_rate_bps(v, &o->link_rate_bps) || !o->link_rate_bps))
				ret = cli__usage_error(
					CMD, "--link-rate: '%s' is not a rate like 10gbit", v);
			seen_opt = true;
		} else if (cli__opt_is(a, "--vf") || cli__opt_is(a, "--sysfs-root")) {
			bool vf = cli__opt_is(a, "--vf");

			v = cli__opt_arg(argc, argv, &i);
			if (!v)
				ret = cli__usage_error(CMD, "%s needs a value", vf ? "--vf" : "--sysfs-root");
			else if (vf && o->nvfs >= TOPO_MAX_GUESTS)
				ret = cli__usage_error(CMD, "too many --vf (%s)", v);
			else if (vf)
				o->vfs[o->nvfs++] = v;
			else
				o->sysfs_root = v;
			seen_opt = true;
		} else if (cli__opt_is(a, "--run-id")) {
			v = cli__opt_arg(argc, argv, &i);
			if (!v)
				ret = cli__usage_error(CMD, "%s needs a value", "--run-id");
			else if (o->run_id)
				ret = cli__usage_error(CMD, "one run id only, not also '%s'", v);
			else
				o->run_id = v;
			if (!ret && (!o->action || strcmp(o->action, "down")))
				ret = cli__usage_error(CMD, "%s goes after 'down'", "--run-id");
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
		ret = cli__usage_error(CMD, "%s takes no --paths, --guests, --offload or --link-rate",
				       o->action);
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
