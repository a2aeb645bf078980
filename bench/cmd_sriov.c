// SPDX-License-Identifier: GPL-2.0
/*
 * `iovbench sriov list|enable`: the machine's SR-IOV physical functions and their VFs, as
 * `ip link` and `lspci` would show them together, and setting a PF's number of VFs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmds.h"
#include "iovb/cli.h"
#include "iovb/parse.h"
#include "sriov.h"

#define CMD "iovbench sriov"

struct sriov_opts {
	const char *action;
	const char *root; /* NULL: the live /sys */
	bool json;
	int verbosity;	    /* enum cli_verbosity */
	const char *pos[2]; /* enable's PF and N */
	int npos;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " CMD " list [--sysfs-root DIR] [--json] [-q|-v]\n"
		   "       " CMD " enable [--sysfs-root DIR] [--json] [-q|-v] PF N\n\n"
		   "  list    every SR-IOV physical function (PF): PCI address, netdev,\n"
		   "          driver, VFs enabled of the most it supports; each VF: index,\n"
		   "          PCI address, netdev, driver and, from the PF's netlink info,\n"
		   "          MAC, VLAN, spoofchk, trust. VFs with no PF here (a VF passed\n"
		   "          into this VM) are listed apart.\n"
		   "  enable  give PF (netdev name or PCI address) N VFs (0 removes them)\n"
		   "          by writing its sriov_numvfs; a change from a non-zero count\n"
		   "          writes 0 first, as the kernel requires. Needs root.\n\n"
		   "  --sysfs-root DIR  read DIR, laid out like /sys (bus/pci/devices,\n"
		   "                    class/net, devices), instead of /sys: a saved tree\n"
		   "                    or a test fixture. MAC, VLAN, spoofchk and trust\n"
		   "                    come from netlink only, so with it they are\n"
		   "                    unknown: '-' in the table, null in JSON.\n"
		   "  --json            list: one JSON document on stdout: {\"pfs\": [...],\n"
		   "                    \"vfs_without_pf\": [...], \"warnings\": [...]}\n"
		   "                    enable: {\"pf\", \"netdev\", \"numvfs\", \"was\"}\n"
		   "  -q, --quiet       no warnings on stderr (list --json still has them)\n"
		   "  -v, --verbose     say each step on stderr\n\n"
		   "Damaged entries (broken links, garbage counts) are skipped with a\n"
		   "warning on stderr. Exit status: 0 ok, 2 usage or input, 3 environment\n"
		   "(not root, the kernel refused). See docs/sriov.md and docs/cli.md.\n");
}

/* 0, or an exit status after saying why on stderr. */
static int parse_args(int argc, char **argv, struct sriov_opts *o)
{
	int ret = IOVB_EXIT_OK;

	/* The action is the first word that is not an option: `sriov -v list` works too. */
	for (int i = 1; i < argc && !o->action; i++) {
		if (!strcmp(argv[i], "--sysfs-root"))
			i++; /* its value */
		else if (argv[i][0] != '-' || argv[i][1] == '\0')
			o->action = argv[i];
	}
	if (!o->action) {
		ret = cli__usage_error(CMD, "%s", "no action given: list or enable");
		goto cleanup;
	}
	if (strcmp(o->action, "list") && strcmp(o->action, "enable")) {
		ret = cli__usage_error(CMD, "'%s' is not an action: list or enable", o->action);
		goto cleanup;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a == o->action) {
			continue;
		} else if (cli__verbosity_opt(a, &o->verbosity)) {
			continue;
		} else if (cli__opt_is(a, "--sysfs-root")) {
			o->root = cli__opt_arg(argc, argv, &i);
			if (!o->root || !*o->root) {
				ret = cli__usage_error(CMD, "%s needs a directory", "--sysfs-root");
				goto cleanup;
			}
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			ret = cli__usage_error(CMD, "unknown option '%s'", a);
			goto cleanup;
		} else if (o->npos < (strcmp(o->action, "enable") ? 0 : 2)) {
			o->pos[o->npos++] = a;
		} else {
			ret = cli__usage_error(CMD, "unexpected argument '%s'", a);
			goto cleanup;
		}
	}
	if (!strcmp(o->action, "enable") && o->npos < 2)
		ret = cli__usage_error(CMD, "%s",
				       "enable needs PF and N, e.g. 'enable enp1s0f0 4'");
cleanup:
	return ret;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *tristate(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *vf_json(const struct sriov_vf *vf, bool with_index)
{
	json_t *o = json_object();

	if (with_index)
		json_object_set_new(o, "index", json_integer(vf->index));
	json_object_set_new(o, "pci", json_string(vf->pci));
	json_object_set_new(o, "netdev", str_or_null(vf->netdev));
	json_object_set_new(o, "driver", str_or_null(vf->driver));
	if (!with_index)
		return o;
	json_object_set_new(o, "mac", vf->have_config ? str_or_null(vf->mac) : json_null());
	json_object_set_new(o, "vlan", vf->have_config ? json_integer(vf->vlan) : json_null());
	json_object_set_new(o, "qos", vf->have_config ? json_integer(vf->qos) : json_null());
	json_object_set_new(o, "spoofchk", vf->have_config ? tristate(vf->spoofchk) : json_null());
	json_object_set_new(o, "trust", vf->have_config ? tristate(vf->trust) : json_null());
	return o;
}

static int print_json(const struct sriov *s, const char *root)
{
	json_t *doc = json_object(), *pfs = json_array(), *lone = json_array(),
	       *warn = json_array();
	int ret = IOVB_EXIT_OK;

	json_object_set_new(doc, "sysfs_root", json_string(root ? root : "/sys"));
	for (size_t i = 0; i < sriov__npfs(s); i++) {
		const struct sriov_pf *pf = sriov__pf(s, i);
		json_t *o = json_object(), *vfs = json_array();

		json_object_set_new(o, "pci", json_string(pf->pci));
		json_object_set_new(o, "netdev", str_or_null(pf->netdev));
		json_object_set_new(o, "driver", str_or_null(pf->driver));
		json_object_set_new(o, "mac", str_or_null(pf->mac));
		json_object_set_new(o, "totalvfs", json_integer(pf->totalvfs));
		json_object_set_new(o, "numvfs", json_integer(pf->numvfs));
		for (size_t v = 0; v < pf->nvfs; v++)
			json_array_append_new(vfs, vf_json(&pf->vfs[v], true));
		json_object_set_new(o, "vfs", vfs);
		json_array_append_new(pfs, o);
	}
	for (size_t i = 0; i < sriov__nlone_vfs(s); i++)
		json_array_append_new(lone, vf_json(sriov__lone_vf(s, i), false));
	for (size_t i = 0; i < sriov__nwarnings(s); i++)
		json_array_append_new(warn, json_string(sriov__warning(s, i)));
	json_object_set_new(doc, "pfs", pfs);
	json_object_set_new(doc, "vfs_without_pf", lone);
	json_object_set_new(doc, "warnings", warn);
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || puts("") == EOF) {
		fprintf(stderr, CMD " list: cannot write the JSON document\n");
		ret = IOVB_EXIT_ENV;
	}
	json_decref(doc);
	return ret;
}

static const char *dash(const char *s)
{
	return s && *s ? s : "-";
}

static const char *onoff(int v)
{
	return v < 0 ? "-" : v ? "on" : "off";
}

static void print_text(const struct sriov *s)
{
	char vlan[32];

	if (!sriov__npfs(s) && !sriov__nlone_vfs(s)) {
		printf("no SR-IOV capable devices found\n");
		return;
	}
	for (size_t i = 0; i < sriov__npfs(s); i++) {
		const struct sriov_pf *pf = sriov__pf(s, i);

		printf("%s%s %-15s %-10s %-17s SR-IOV PF: %u of %u VFs enabled", i ? "\n" : "",
		       pf->pci, dash(pf->netdev), dash(pf->driver), dash(pf->mac), pf->numvfs,
		       pf->totalvfs);
		/* A count and links that disagree mean VFs are being created or removed. */
		if (pf->nvfs != pf->numvfs)
			printf(" (%zu VF link%s found)", pf->nvfs, pf->nvfs == 1 ? "" : "s");
		printf("\n");
		if (!pf->nvfs)
			continue;
		printf("  %4s  %-12s %-15s %-10s %-17s %-9s %-8s %s\n", "vf", "pci", "netdev",
		       "driver", "mac", "vlan", "spoofchk", "trust");
		for (size_t v = 0; v < pf->nvfs; v++) {
			const struct sriov_vf *vf = &pf->vfs[v];

			if (!vf->have_config)
				snprintf(vlan, sizeof(vlan), "-");
			else if (vf->qos)
				snprintf(vlan, sizeof(vlan), "%u/q%u", vf->vlan, vf->qos);
			else
				snprintf(vlan, sizeof(vlan), "%u", vf->vlan);
			printf("  %4u  %-12s %-15s %-10s %-17s %-9s %-8s %s\n", vf->index, vf->pci,
			       dash(vf->netdev), dash(vf->driver),
			       vf->have_config ? dash(vf->mac) : "-", vlan,
			       vf->have_config ? onoff(vf->spoofchk) : "-",
			       vf->have_config ? onoff(vf->trust) : "-");
		}
	}
	if (!sriov__nlone_vfs(s))
		return;
	printf("%sVFs without a PF here (passed into this VM, or their PF is hidden):\n",
	       sriov__npfs(s) ? "\n" : "no SR-IOV physical functions found\n\n");
	printf("  %-12s %-15s %s\n", "pci", "netdev", "driver");
	for (size_t i = 0; i < sriov__nlone_vfs(s); i++) {
		const struct sriov_vf *vf = sriov__lone_vf(s, i);

		printf("  %-12s %-15s %s\n", vf->pci, dash(vf->netdev), dash(vf->driver));
	}
}

static int do_list(const struct sriov_opts *o)
{
	struct sriov *s = NULL;
	int ret = IOVB_EXIT_OK, err;

	cli__say(o->verbosity, CLI_VERBOSE, CMD " list", "reading %s/bus/pci/devices",
		 o->root ? o->root : "/sys");
	err = sriov__scan(o->root, &s);
	/* No PCI bus at all (some VMs and containers): nothing SR-IOV either; s stays NULL. */
	if (err == -ENOENT && !o->root)
		err = 0;
	if (err) {
		fprintf(stderr, CMD " list: %s/bus/pci/devices: %s\n", o->root ? o->root : "/sys",
			err == -ENOENT ? "not found (not a sysfs tree?)" : strerror(-err));
		ret = o->root ? IOVB_EXIT_USAGE : IOVB_EXIT_ENV;
		goto cleanup;
	}
	cli__say(o->verbosity, CLI_VERBOSE, CMD " list", "%zu PF(s), %zu VF(s) without a PF",
		 sriov__npfs(s), sriov__nlone_vfs(s));
	if (s && !o->root) {
		cli__say(o->verbosity, CLI_VERBOSE, CMD " list", "%s",
			 "reading VF settings from the PFs' netlink link info");
		err = sriov__read_vf_config(s);
		if (err)
			cli__say(o->verbosity, CLI_NORMAL, CMD " list",
				 "warning: no netlink, VF settings unknown: %s", strerror(-err));
	}
	for (size_t i = 0; i < sriov__nwarnings(s); i++)
		cli__say(o->verbosity, CLI_NORMAL, CMD " list", "warning: %s",
			 sriov__warning(s, i));
	if (o->json)
		ret = print_json(s, o->root);
	else
		print_text(s);
cleanup:
	sriov__free(s);
	return ret;
}

static int do_enable(const struct sriov_opts *o)
{
	const struct sriov_pf *pf = NULL;
	char pci[SRIOV_PCI_LEN];
	struct sriov *s = NULL;
	int ret = IOVB_EXIT_USAGE, err;
	uint64_t n;

	if (iovb_parse_u64(o->pos[1], 0, UINT32_MAX, &n)) {
		cli__usage_error(CMD, "N must be a number of VFs, not '%s'", o->pos[1]);
		goto cleanup;
	}
	err = sriov__resolve(o->root, o->pos[0], pci, sizeof(pci));
	if (err) {
		cli__usage_error(CMD, "no PCI device or PCI netdev '%s'", o->pos[0]);
		goto cleanup;
	}
	/* The scan gives the counts for the messages; sriov__enable() checks them again. */
	if (!sriov__scan(o->root, &s))
		for (size_t i = 0; i < sriov__npfs(s) && !pf; i++)
			if (!strcmp(sriov__pf(s, i)->pci, pci))
				pf = sriov__pf(s, i);
	cli__say(o->verbosity, CLI_VERBOSE, CMD " enable",
		 "%s (%s): writing %llu to its sriov_numvfs%s", pci, pf ? dash(pf->netdev) : "-",
		 (unsigned long long)n, pf && pf->numvfs && pf->numvfs != n ? " (0 first)" : "");
	err = sriov__enable(o->root, pci, (uint32_t)n);
	switch (err) {
	case 0:
		ret = IOVB_EXIT_OK;
		if (o->json) {
			json_t *doc = json_pack("{ss so sI so}", "pf", pci, "netdev",
						str_or_null(pf ? pf->netdev : NULL), "numvfs",
						(json_int_t)n, "was",
						pf ? json_integer(pf->numvfs) : json_null());

			if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
			    puts("") == EOF) {
				fprintf(stderr, CMD " enable: cannot write the JSON document\n");
				ret = IOVB_EXIT_ENV;
			}
			json_decref(doc);
		} else if (pf && pf->numvfs == n)
			printf("%s (%s): already %u VFs, nothing written\n", pci, dash(pf->netdev),
			       pf->numvfs);
		else if (pf)
			printf("%s (%s): %llu VFs (was %u)\n", pci, dash(pf->netdev),
			       (unsigned long long)n, pf->numvfs);
		else
			printf("%s: %llu VFs\n", pci, (unsigned long long)n);
		break;
	case -ENODEV:
		cli__usage_error(CMD, "no PCI device or PCI netdev '%s'", o->pos[0]);
		break;
	case -EOPNOTSUPP:
		fprintf(stderr, CMD " enable: %s (%s) is not SR-IOV capable (no sriov_totalvfs)\n",
			o->pos[0], pci);
		break;
	case -ERANGE:
		if (pf)
			fprintf(stderr, CMD " enable: %s supports at most %u VFs, not %llu\n",
				o->pos[0], pf->totalvfs, (unsigned long long)n);
		else
			fprintf(stderr, CMD " enable: %s supports fewer than %llu VFs\n", o->pos[0],
				(unsigned long long)n);
		break;
	case -EINVAL:
		fprintf(stderr, CMD " enable: %s (%s): unreadable sriov_totalvfs or sriov_numvfs\n",
			o->pos[0], pci);
		break;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, CMD " enable: writing %s's sriov_numvfs needs root: %s\n", pci,
			strerror(-err));
		ret = IOVB_EXIT_ENV;
		break;
	default:
		fprintf(stderr, CMD " enable: %s: the kernel refused %llu VFs: %s\n", pci,
			(unsigned long long)n, strerror(-err));
		ret = IOVB_EXIT_ENV;
		break;
	}
cleanup:
	sriov__free(s);
	return ret;
}

int cmd_sriov(int argc, char **argv)
{
	struct sriov_opts o = { 0 };
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			ret = IOVB_EXIT_OK;
			goto cleanup;
		}
	}
	ret = parse_args(argc, argv, &o);
	if (ret)
		goto cleanup;
	ret = !strcmp(o.action, "list") ? do_list(&o) : do_enable(&o);
cleanup:
	return ret;
}
