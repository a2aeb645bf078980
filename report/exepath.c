// SPDX-License-Identifier: GPL-2.0
/* Files shipped with the program, found relative to the running binary. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iovb/exepath.h"

static int try_path(char *buf, size_t len, const char *dir, const char *rel)
{
	int n = snprintf(buf, len, "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return access(buf, R_OK) ? -ENOENT : 0;
}

int iovb_exe_relative(const char *installed, const char *in_tree, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash = NULL;
	ssize_t n;
	int err = -ENOENT;

	if (!buf || !len) {
		err = -EINVAL;
		goto cleanup;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
	}
	if (!slash || slash == exe)
		goto cleanup;
	*slash = '\0';
	if (installed) {
		err = try_path(buf, len, exe, installed);
		if (!err)
			goto cleanup;
	}
	for (int up = 0; in_tree && up < 3; up++) {
		err = try_path(buf, len, exe, in_tree);
		if (!err)
			goto cleanup;
		slash = strrchr(exe, '/');
		if (!slash || slash == exe)
			break;
		*slash = '\0';
	}
	err = -ENOENT;
cleanup:
	if (err && buf && len)
		buf[0] = '\0';
	return err;
}
