// SPDX-License-Identifier: GPL-2.0
/* Command-line helpers shared by the subcommands. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iovb/cli.h"
#include "iovb/exepath.h"
#include "iovb/parse.h"

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

int cli__parse_max_stddev(const char *cmd, const char *arg, double *pct)
{
	char *end;

	errno = 0;
	*pct = strtod(arg, &end);
	if (errno || end == arg || *end || !(*pct > 0) || *pct >= 100)
		return cli__usage_error(cmd, "bad --max-stddev '%s': a percentage above 0, below 100",
					arg);
	return 0;
}

int cli__parse_max_reps(const char *cmd, const char *arg, uint64_t *n)
{
	if (iovb_parse_u64(arg, 2, 1000, n))
		return cli__usage_error(cmd, "bad --max-reps '%s': 2 to 1000", arg);
	return 0;
}

int cli__check_reps(const char *cmd, bool reps_given, bool max_reps_given, double max_stddev,
		    uint64_t *reps, uint64_t max_reps)
{
	if (max_reps_given && !max_stddev)
		return cli__usage_error(cmd, "%s needs --max-stddev", "--max-reps");
	if (!max_stddev)
		return 0;
	/* A spread needs two values; --reps is the least number then. */
	if (!reps_given)
		*reps = 2;
	if (*reps < 2 || *reps > max_reps)
		return cli__usage_error(cmd, "with --max-stddev, --reps (the least) must be 2..--max-reps%s",
					"");
	return 0;
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

bool cli__verbosity_opt(const char *a, int *verbosity)
{
	size_t n;

	if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
		*verbosity = CLI_QUIET;
		return true;
	}
	if (!strcmp(a, "--verbose")) {
		*verbosity = (*verbosity > CLI_NORMAL ? *verbosity : CLI_NORMAL) + 1;
		return true;
	}
	/* -v, -vv, -vvv */
	if (a[0] != '-' || a[1] != 'v')
		return false;
	n = strspn(a + 1, "v");
	if (a[1 + n] != '\0')
		return false;
	*verbosity = (*verbosity > CLI_NORMAL ? *verbosity : CLI_NORMAL) + (int)n;
	return true;
}

bool cli__verbosity_getopt(int ch, int *verbosity)
{
	if (ch == 'q')
		*verbosity = CLI_QUIET;
	else if (ch == 'v')
		*verbosity = (*verbosity > CLI_NORMAL ? *verbosity : CLI_NORMAL) + 1;
	return ch == 'q' || ch == 'v';
}

bool cli__progress_ok(int verbosity, bool json)
{
	return verbosity > CLI_QUIET && !json && isatty(STDERR_FILENO);
}

bool cli__color_ok(int fd)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(fd) && !(no_color && *no_color) && term && *term && strcmp(term, "dumb");
}

void cli__say(int verbosity, int level, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	if (verbosity < level)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli__man_page(const char *cmd, char *buf, size_t len)
{
	char name[64], inst[128], built[128], tree[128];
	int err = -EINVAL;

	if (cmd && (!*cmd || strchr(cmd, '/') || strlen(cmd) > 32))
		goto cleanup;
	snprintf(name, sizeof(name), "iovbench%s%s.1", cmd ? "-" : "", cmd ? cmd : "");
	snprintf(inst, sizeof(inst), "../share/man/man1/%s", name);
	snprintf(built, sizeof(built), "man/%s", name); /* `make man`: the version filled in */
	snprintf(tree, sizeof(tree), "../docs/man/%s", name);
	err = iovb_exe_relative(inst, NULL, buf, len);
	if (err == -ENOENT) {
		/* Distribution packages compress their pages. */
		strcat(inst, ".gz");
		err = iovb_exe_relative(inst, NULL, buf, len);
	}
	if (err == -ENOENT)
		err = iovb_exe_relative(built, NULL, buf, len);
	if (err == -ENOENT) {
		err = iovb_exe_relative(NULL, tree, buf, len);
	} else if (!err) {
		/* build/man/X.1 older than the docs/man/X.1 it was made from: show the edited one */
		char src[PATH_MAX];
		struct stat b, t;

		if (!iovb_exe_relative(NULL, tree, src, sizeof(src)) && !stat(buf, &b) &&
		    !stat(src, &t) && t.st_mtime > b.st_mtime && strlen(src) < len)
			strcpy(buf, src);
	}
cleanup:
	return err;
}
