// SPDX-License-Identifier: GPL-2.0
/* The command-line contract helpers (report/cli.c): -q/-v, progress and colour gating. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "iovb/cli.h"

/* A pseudo-terminal's follower side: what a person's terminal looks like to the program. */
static int open_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s = -1;

	if (m >= 0 && !grantpt(m) && !unlockpt(m))
		s = open(ptsname(m), O_RDWR | O_NOCTTY);
	/* The follower keeps the pty alive; the leader is not needed for isatty(). */
	if (m >= 0 && s < 0)
		close(m);
	return s;
}

static void test_verbosity(void **state)
{
	int v = CLI_NORMAL;

	(void)state;
	assert_true(cli__verbosity_opt("-q", &v));
	assert_int_equal(v, CLI_QUIET);
	assert_true(cli__verbosity_opt("-v", &v)); /* the last of -q and -v wins */
	assert_int_equal(v, CLI_VERBOSE);
	assert_true(cli__verbosity_opt("-vv", &v));
	assert_int_equal(v, 3);
	assert_true(cli__verbosity_opt("--quiet", &v));
	assert_int_equal(v, CLI_QUIET);
	assert_true(cli__verbosity_opt("--verbose", &v));
	assert_int_equal(v, CLI_VERBOSE);
	v = CLI_NORMAL;
	for (const char *const *a = (const char *const[]){ "-V", "-vq", "-", "--verb", "v",
							   "--verbose=1", "-x", NULL };
	     *a; a++)
		assert_false(cli__verbosity_opt(*a, &v));
	assert_int_equal(v, CLI_NORMAL);
}

/* getopt parsers get the same rules: the last of -q and -v wins, each v one level. */
static void test_verbosity_getopt(void **state)
{
	int v = CLI_NORMAL;

	(void)state;
	assert_true(cli__verbosity_getopt('v', &v));
	assert_true(cli__verbosity_getopt('v', &v));
	assert_int_equal(v, CLI_VERBOSE + 1);
	assert_true(cli__verbosity_getopt('q', &v));
	assert_int_equal(v, CLI_QUIET);
	assert_true(cli__verbosity_getopt('v', &v));
	assert_int_equal(v, CLI_VERBOSE);
	assert_false(cli__verbosity_getopt('j', &v));
	assert_int_equal(v, CLI_VERBOSE);
}

/* From build/tests/test_cli the source tree's docs/man is two directories up. */
static void test_man_page(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(cli__man_page("run", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "docs/man/iovbench-run.1"));
	assert_int_equal(access(buf, R_OK), 0);
	assert_int_equal(cli__man_page(NULL, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "docs/man/iovbench.1"));
	assert_int_equal(cli__man_page("nosuchcommand", buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	assert_int_equal(cli__man_page("../x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cli__man_page("run", buf, 8), -ENOENT);
}

static void test_color(void **state)
{
	int p[2], tty = open_pty();

	(void)state;
	assert_int_equal(pipe(p), 0);
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	assert_false(cli__color_ok(p[1])); /* not a terminal */
	if (tty < 0) {
		skip();
	}
	assert_true(cli__color_ok(tty));
	setenv("NO_COLOR", "1", 1);
	assert_false(cli__color_ok(tty));
	setenv("NO_COLOR", "", 1); /* no-color.org: an empty NO_COLOR does not count */
	assert_true(cli__color_ok(tty));
	setenv("TERM", "dumb", 1);
	assert_false(cli__color_ok(tty));
	unsetenv("TERM");
	assert_false(cli__color_ok(tty));
	close(tty);
	close(p[0]);
	close(p[1]);
}

static void test_progress(void **state)
{
	int saved = dup(STDERR_FILENO), tty = open_pty(), p[2];

	(void)state;
	assert_true(saved >= 0);
	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	assert_false(cli__progress_ok(CLI_NORMAL, false)); /* stderr is a pipe */
	if (tty >= 0) {
		dup2(tty, STDERR_FILENO);
		assert_true(cli__progress_ok(CLI_NORMAL, false));
		assert_true(cli__progress_ok(CLI_VERBOSE, false));
		assert_false(cli__progress_ok(CLI_QUIET, false));
		assert_false(cli__progress_ok(CLI_NORMAL, true));
		close(tty);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[0]);
	close(p[1]);
}

static void test_say(void **state)
{
	int saved = dup(STDERR_FILENO), p[2];
	char buf[128] = "";
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	dup2(p[1], STDERR_FILENO);
	cli__say(CLI_QUIET, CLI_NORMAL, "iovbench x", "a warning %d", 1);
	cli__say(CLI_NORMAL, CLI_VERBOSE, "iovbench x", "a step");
	cli__say(CLI_VERBOSE, CLI_VERBOSE, "iovbench x", "step %s", "two");
	cli__say(CLI_NORMAL, CLI_NORMAL, "iovbench x", "note");
	dup2(saved, STDERR_FILENO);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	assert_string_equal(buf, "iovbench x: step two\niovbench x: note\n");
	close(p[0]);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_verbosity_getopt),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_say),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
