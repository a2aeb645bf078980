/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line helpers shared by the subcommands (bench/ and report/ alike): the same usage
 * error everywhere, and the one command-line contract of docs/cli.md (exit statuses, -q/-v,
 * progress only on a terminal, NO_COLOR).
 */
#ifndef IOVB_CLI_H
#define IOVB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses, the same for every subcommand (docs/cli.md). */
#define IOVB_EXIT_OK 0
#define IOVB_EXIT_FINDING 1 /* e.g. a regression found */
#define IOVB_EXIT_USAGE 2   /* usage or input error */
#define IOVB_EXIT_ENV 3     /* environment: missing privilege, kernel feature, unwritable file */

/*
 * Print "CMD: <fmt with arg> (see 'CMD --help')" as one line on stderr and return
 * IOVB_EXIT_USAGE. cmd is e.g. "iovbench run".
 */
int cli__usage_error(const char *cmd, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));

/*
 * The repetition options of run, local or with agents: --max-stddev PCT (above 0, below 100),
 * --max-reps N (2-1000, default IOVB_DEFAULT_MAX_REPS). Each returns 0 or, after saying so,
 * IOVB_EXIT_USAGE.
 */
#define IOVB_DEFAULT_MAX_REPS 10
int cli__parse_max_stddev(const char *cmd, const char *arg, double *pct);
int cli__parse_max_reps(const char *cmd, const char *arg, uint64_t *n);

/*
 * After parsing: --max-reps needs --max-stddev, and with --max-stddev, *reps is the least
 * number of repetitions (2 unless --reps was given), at most max_reps.
 */
int cli__check_reps(const char *cmd, bool reps_given, bool max_reps_given, double max_stddev,
		    uint64_t *reps, uint64_t max_reps);

/* Is argv word a the option `name`, as "--name" or "--name=VALUE"? */
bool cli__opt_is(const char *a, const char *name);

/* The value of the option at argv[*i] (which cli__opt_is() matched); NULL when it has none. */
const char *cli__opt_arg(int argc, char **argv, int *i);

/* Verbosity (-q / -v): what a command may say on stderr besides its errors. */
enum cli_verbosity {
	CLI_QUIET = -1,	 /* -q: errors only */
	CLI_NORMAL = 0,	 /* warnings and notes */
	CLI_VERBOSE = 1, /* -v: also each step; -vv... for more */
};

/*
 * If argv word a is -q/--quiet or -v/--verbose (also -vv), set *verbosity and return true.
 * The last of -q and -v wins; each v adds one level above CLI_NORMAL.
 */
bool cli__verbosity_opt(const char *a, int *verbosity);

/*
 * The same for a getopt_long() parser: ch is what it returned for -q/--quiet ('q') or
 * -v/--verbose ('v'; "-vv" comes as two). Returns false for any other ch.
 */
bool cli__verbosity_getopt(int ch, int *verbosity);

/*
 * May the command draw progress (rates, counters, \r lines) on stderr? Only for a person:
 * stderr is a terminal, not -q, and not --json (a script reads that output).
 */
bool cli__progress_ok(int verbosity, bool json);

/*
 * May output on fd use colour? fd is a terminal, NO_COLOR is unset or empty (no-color.org),
 * and TERM is set and not "dumb".
 */
bool cli__color_ok(int fd);

/* Print "CMD: <fmt>" as one line on stderr when verbosity >= level (CLI_NORMAL, CLI_VERBOSE). */
void cli__say(int verbosity, int level, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The man page of `iovbench CMD` (iovbench(1) when cmd is NULL), found from the binary like
 * the program's other files (iovb_exe_relative()): installed as
 * <bindir>/../share/man/man1/iovbench-CMD.1 or .1.gz, else `make man`'s <bindir>/man/ (unless
 * the source page is newer), else docs/man/ of the source tree the binary was built in. 0 with
 * the path in buf, or -ENOENT (-EINVAL for a bad cmd).
 */
int cli__man_page(const char *cmd, char *buf, size_t len);

#endif
