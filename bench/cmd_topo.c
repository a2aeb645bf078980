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
#include <jansson.h>

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
	bool json;     /* one JSON document on stdout instead of text */
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
		"                      [--vf PF:INDEX|netdev:NAME]... [--sysfs-root DIR] [--json]\n"
		"                      [-q|-v]\n"
		"       " CMD " down [--json] [-q|-v] [[--run-id] RUN_ID]\n"
		"       " CMD " show [--json] [-q|-v]\n\n"
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
		"  --json            print what up made, what down removed or what show found\n"
		"                    as one JSON document on stdout\n"
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

/* The one JSON document on stdout, then a newline; the exit status. */
static int json_print(const json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || puts("") == EOF ||
	    fflush(stdout)) {
		fprintf(stderr, CMD ": cannot write the JSON document\n");
		return IOVB_EXIT_ENV;
	}
	return IOVB_EXIT_OK;
}

/* What `up` made, as the text lists it. */
static json_t *up_json(const struct topo *t, const char *id)
{
	json_t *nss = json_array(), *devs = json_array(), *guests = json_array();
	char off[256], down[64];

	for (size_t i = 0; i < topo__nns(t); i++) {
		const struct topo_ns *n = topo__ns(t, i);

		json_array_append_new(nss, json_pack("{ss ss sI}", "name", n->name, "role", n->role,
						     "netns_ino", (json_int_t)n->ino));
	}
	for (size_t i = 0; i < topo__ndevs(t); i++) {
		const struct topo_dev *d = topo__dev(t, i);
		bool have_off = !topo__dev_offloads(t, i, off, sizeof(off));

		json_array_append_new(devs, json_pack("{ss ss ss ss ss so}", "netns", d->netns,
						      "name", d->name, "role", d->role, "kind",
						      d->kind, "stands_for", d->stands_for,
						      "offloads",
						      have_off ? json_string(off) : json_null()));
	}
	for (size_t i = 0; i < topo__nguests(t); i++) {
		const struct topo_guest *g = topo__guest(t, i);

		json_array_append_new(
			guests,
			json_pack("{ss ss ss ss so so so}", "path", topo_path_names[g->path],
				  "netns", g->ns, "role", g->role, "addr", g->addr, "relay_pid",
				  g->relay_pid > 0 ? json_integer(g->relay_pid) : json_null(),
				  "host_dev", g->host_dev[0] ? json_string(g->host_dev) : json_null(),
				  "vf_netdev",
				  g->vf_netdev[0] ? json_string(g->vf_netdev) : json_null()));
	}
	snprintf(down, sizeof(down), "iovbench topo down %s", id);
	return json_pack("{ss so so s{ss ss} so ss}", "run_id", id, "namespaces", nss, "devices",
			 devs, "server", "addr", topo__server_addr(t), "netns", topo__server_ns(t),
			 "guests", guests, "remove_with", down);
}

static int do_up(const struct topo_opts *o)
{
	struct topo_conf conf = { .link_rate_bps = o->link_rate_bps, .offloads = o->offloads,
				  .noffloads = o->noffloads };
	char id[16], err[512], off[256], vfdev[TOPO_MAX_GUESTS][16];
	const char *vfp[TOPO_MAX_GUESTS];
	json_t *doc = NULL;
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
	if (o->json) {
		doc = up_json(t, id);
		goto detach;
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
detach:
	cli__say(o->verbosity, CLI_VERBOSE, CMD " up", "%s",
		 "leaving the topology and its relay running");
	e = topo__detach(t);
	if (e) {
		fprintf(stderr, CMD " up: cannot leave the relay running: %s; removing\n",
			strerror(-e));
		topo__down(t);
		goto cleanup;
	}
	if (doc)
		ret = json_print(doc);
	else {
		printf("left up; remove with: iovbench topo down %s\n", id);
		ret = IOVB_EXIT_OK;
	}
cleanup:
	json_decref(doc);
	return ret;
}

static int do_down(const char *run_id, int verbosity, bool json)
{
	struct ns_list *before = NULL, *after = NULL;
	json_t *removed = json_array();
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
	for (size_t i = 0; i < before->n; i++) {
		if (ns_list_has(after, before->name[i]))
			continue;
		if (json)
			json_array_append_new(removed, json_string(before->name[i]));
		else
			printf("removed %s\n", before->name[i]);
	}
	if (n < 0) {
		fprintf(stderr, CMD " down: %s\n", err);
		if (n == -EINVAL) {
			ret = IOVB_EXIT_USAGE; /* a malformed RUN_ID: nothing was done */
			goto cleanup;
		}
	} else {
		ret = IOVB_EXIT_OK;
		if (!before->n && !json)
			printf("nothing to remove%s%s\n", run_id ? " for run " : "",
			       run_id ? run_id : "");
	}
	/* The work was done, even when part of it failed: the document says what went. */
	if (json) {
		json_t *doc = json_pack("{so sO}", "run_id",
					run_id ? json_string(run_id) : json_null(), "removed", removed);

		if (n < 0)
			json_object_set_new(doc, "error", json_string(err));
		if (json_print(doc))
			ret = IOVB_EXIT_ENV;
		json_decref(doc);
	}
cleanup:
	json_decref(removed);
	free(before);
	free(after);
	return ret;
}

/* The relays recorded under /run/iovbench/<run_id>: [{"pid", "state": running|gone}]. */
static json_t *relays_read(const char *run_id)
{
	json_t *a = json_array();
	char path[128], buf[32];
	uint64_t v;
	FILE *f, *c;

	snprintf(path, sizeof(path), "/run/iovbench/%s/relay.pid", run_id);
	f = fopen(path, "re");
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
		json_array_append_new(a, json_pack("{si ss}", "pid", (int)v, "state", state));
	}
	if (f)
		fclose(f);
	return a;
}

/* The iovb-* namespaces by run, each run with its relays: {"runs": [{run_id, relays, netns}]}. */
static json_t *show_json(const struct ns_list *l)
{
	json_t *runs = json_array(), *r = NULL;
	char run[64] = "";

	for (size_t i = 0; i < l->n; i++) {
		const char *id = l->name[i] + strlen(TOPO_PREFIX) + 1;
		const char *dash = strrchr(l->name[i], '-');
		size_t idlen = dash > id ? (size_t)(dash - id) : strlen(id);

		if (!r || strlen(run) != idlen || strncmp(run, id, idlen)) {
			snprintf(run, sizeof(run), "%.*s", (int)idlen, id);
			r = json_pack("{ss so s[]}", "run_id", run, "relays", relays_read(run),
				      "namespaces");
			json_array_append_new(runs, r);
		}
		json_array_append_new(json_object_get(r, "namespaces"), json_string(l->name[i]));
	}
	return json_pack("{so}", "runs", runs);
}

static int do_show(bool json, int verbosity)
{
	struct ns_list *l = malloc(sizeof(*l));
	const json_t *r, *relay;
	json_t *doc = NULL;
	int ret = IOVB_EXIT_ENV;
	size_t i, j;

	if (!l) {
		fprintf(stderr, CMD " show: out of memory\n");
		goto cleanup;
	}
	cli__say(verbosity, CLI_VERBOSE, CMD " show", "reading /run/netns and /run/iovbench");
	ns_list_read(l, NULL);
	doc = show_json(l);
	if (json) {
		ret = json_print(doc);
		goto cleanup;
	}
	if (!l->n)
		printf("no %s-* namespaces\n", TOPO_PREFIX);
	json_array_foreach(json_object_get(doc, "runs"), i, r) {
		printf("run %s:", json_string_value(json_object_get(r, "run_id")));
		json_array_foreach(json_object_get(r, "relays"), j, relay)
			printf(" relay pid %d %s;",
			       (int)json_integer_value(json_object_get(relay, "pid")),
			       json_string_value(json_object_get(relay, "state")));
		printf("%s\n", json_array_size(json_object_get(r, "relays")) ? "" :
			" no relay recorded");
		json_array_foreach(json_object_get(r, "namespaces"), j, relay)
			printf("  %s\n", json_string_value(relay));
	}
	ret = IOVB_EXIT_OK;
cleanup:
	json_decref(doc);
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
		} else if (!strcmp(a, "--json")) {
			o->json = true;
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
		ret = do_show(o.json, o.verbosity);
		goto cleanup;
	}
	if (geteuid() != 0) {
		fprintf(stderr, CMD ": needs root (CAP_NET_ADMIN)\n");
		ret = IOVB_EXIT_ENV;
		goto cleanup;
	}
	ret = !strcmp(o.action, "up") ? do_up(&o) : do_down(o.run_id, o.verbosity, o.json);
cleanup:
	return ret;
}
