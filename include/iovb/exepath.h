/* SPDX-License-Identifier: GPL-2.0 */
/* Files shipped with the program, found relative to the running binary (/proc/self/exe). */
#ifndef IOVB_EXEPATH_H
#define IOVB_EXEPATH_H

#include <stddef.h>

/*
 * Find a readable file shipped beside the program: first <exe dir>/<installed> (the installed
 * layout, e.g. "../share/iovbench/modules.tsv" from PREFIX/bin), then <dir>/<in_tree> for the
 * exe's directory and up to two of its parents (the source tree: build/iovbench,
 * build/tests/test_x, build-san/tests/integ/x). Either may be NULL. Returns 0 with the path in
 * buf, -ENOENT when neither is there (buf empty), -EINVAL or -ENAMETOOLONG.
 */
int iovb_exe_relative(const char *installed, const char *in_tree, char *buf, size_t len);

#endif
