// SPDX-License-Identifier: GPL-2.0
/* Command-line helpers shared by the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"

int cli__usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", cmd);
	/* fmt is one of the callers' literals, each with one %s for arg. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	fprintf(stderr, fmt, arg);
#pragma GCC diagnostic pop
	fprintf(stderr, " (see '%s --help')\n", cmd);
	return IOVB_EXIT_USAGE;
}

bool cli__opt_is(const char *a, const char *name)
{
	size_t len = strlen(name);

	return !strncmp(a, name, len) && (a[len] == '\0' || a[len] == '=');
}

const char *cli__opt_arg(int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');

	return eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
}
