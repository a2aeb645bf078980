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

/*
 * Where a record goes: output when given, else results/<UTC stamp>-<label>.json.gz (results/
 * created when missing). 0, or a negative errno from mkdir.
 */
int record__default_path(char *buf, size_t len, const char *output, const char *label);

/* Now as UTC ISO 8601 ("2026-11-25T08:00:00Z") into buf. */
void record__iso_now(char *buf, size_t len);

#endif
