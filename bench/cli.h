/* SPDX-License-Identifier: GPL-2.0 */
/* The command-line helpers moved to include/iovb/cli.h (report/ uses them too). */
#ifndef IOVB_BENCH_CLI_H
#define IOVB_BENCH_CLI_H

#include "iovb/cli.h"

#endif
