/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line helpers shared by the subcommands: the same usage error everywhere. */
#ifndef IOVB_CLI_H
#define IOVB_CLI_H

#include <stdbool.h>

/*
 * Print "CMD: <fmt with arg> (see 'CMD --help')" as one line on stderr and return
 * IOVB_EXIT_USAGE. cmd is e.g. "iovbench run".
 */
int cli__usage_error(const char *cmd, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));

/* Is argv word a the option `name`, as "--name" or "--name=VALUE"? */
bool cli__opt_is(const char *a, const char *name);

/* The value of the option at argv[*i] (which cli__opt_is() matched); NULL when it has none. */
const char *cli__opt_arg(int argc, char **argv, int *i);

#endif
