// SPDX-License-Identifier: GPL-2.0
/* iovbench: the subcommand table, in the style of git and perf. */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "cmds.h"
#include "iovb/cli.h"
#include "iovb/compare.h"
#include "iovb/plan.h"
#include "iovb/summary.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "run", cmd_run, "copy over each emulated datapath while measuring; write a record" },
	{ "report", cmd_report, "summarise a record: throughput, CPU per byte per role and device" },
	{ "compare", cmd_compare, "compare two records per path and metric; exit 1 on a regression" },
	{ "history", cmd_history, "CI regression graph over records; or their medians for github-action-benchmark" },
	{ "plan", cmd_plan, "capacity plan: cores per guest at a target rate, guests per host" },
	{ "topo", cmd_topo, "bring the emulated topology up or down, remove leftovers of killed runs" },
	{ "serve", cmd_serve, "run the SMB2-framed file server alone" },
	{ "load", cmd_load, "run the copy client alone against a server" },
	{ "sriov", cmd_sriov, "list SR-IOV physical functions and their VFs; enable VFs" },
	{ "collect", cmd_collect, "run the collectors alone around a duration or a command" },
	{ "profile", cmd_profile, "profile the SMB2 I/O in a capture; write a workload to replay" },
	{ "agent", cmd_agent, "collectors and engine on another machine, driven by run over TCP" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iovbench [--version] [--help] COMMAND [ARGS]\n\n"
		   "What does a VM's network datapath cost in CPU, and where does that CPU go?\n"
		   "iovbench copies files SMB2-style over a paravirtual path and an SR-IOV-like path\n"
		   "and charges kernel CPU time to roles (server, host, guest-N, nic) and devices.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'iovbench help COMMAND' shows its manual page, 'iovbench COMMAND --help' its\n"
		   "options.\n"
		   "Start with: sudo iovbench run --report\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

extern char **environ;

/*
 * `iovbench help CMD`: the man page iovbench-CMD(1), rendered by man(1) with the user's
 * MANPAGER/PAGER on a terminal and as plain text into a pipe (man decides both). With no page
 * or no man, `CMD --help`, saying so on stderr.
 */
static int help_cmd(const struct cmd *c)
{
	char page[PATH_MAX], *hargv[] = { (char *)c->name, "--help", NULL };
	char *margv[] = { "man", "-l", page, NULL };
	int err, status = 0, ret = IOVB_EXIT_OK;
	pid_t pid;

	err = cli__man_page(c->name, page, sizeof(page));
	if (err) {
		fprintf(stderr, "iovbench: no man page iovbench-%s(1) found; showing 'iovbench %s "
				"--help'\n", c->name, c->name);
		goto fallback;
	}
	fflush(stdout);
	err = posix_spawnp(&pid, "man", NULL, NULL, margv, environ);
	if (err) {
		fprintf(stderr, "iovbench: cannot run man (%s); showing 'iovbench %s --help'\n",
			strerror(err), c->name);
		goto fallback;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		goto cleanup;
	fprintf(stderr, "iovbench: man -l %s failed; showing 'iovbench %s --help'\n", page,
		c->name);
fallback:
	ret = c->fn(2, hargv);
cleanup:
	return ret;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2) {
		fprintf(stderr, "iovbench: no command given (see 'iovbench --help')\n");
		return IOVB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("iovbench %s (rev %s)\n", IOVB_VERSION, IOVB_GIT_REV);
		return IOVB_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return IOVB_EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return IOVB_EXIT_OK;
		}
		c = find(argv[2]);
		if (!c) {
			fprintf(stderr, "iovbench: no command '%s' (see 'iovbench --help')\n", argv[2]);
			return IOVB_EXIT_USAGE;
		}
		return help_cmd(c);
	}
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "iovbench: '%s' is not a command (see 'iovbench --help')\n", argv[1]);
		return IOVB_EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
