/* SPDX-License-Identifier: GPL-2.0 */
/* A record's "meta" section (docs/record.md): the tool, kernel, CPU and command line. */
#ifndef IOVB_REC_META_H
#define IOVB_REC_META_H

#include <jansson.h>

/*
 * meta of a record: tool.{version,git_rev}, label, kernel.{release,version,machine},
 * cpu.{model,nproc,clk_tck}, started (as given, UTC ISO 8601), command_line (argv).
 * The caller adds "ended". A new reference.
 */
json_t *record__meta(const char *label, int argc, char **argv, const char *started);

/* Now as UTC ISO 8601 ("2026-11-25T08:00:00Z") into buf. */
void record__iso_now(char *buf, size_t len);

#endif
