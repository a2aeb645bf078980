/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's pages: report.md (tables, PNG figures beside it) and report.html (one
 * self-contained file: styles and SVG figures inlined, no external resource).
 */
#ifndef IOVB_PAGE_H
#define IOVB_PAGE_H

#include <stddef.h>
#include <jansson.h>

/*
 * Pool the runs of n records of the same workload (kind, bytes, io_size, depth) and topology
 * kind into one record: meta, topology and collectors of the first, runs of all in order, and
 * "sources": [{ file, label, started, status, runs }] naming each input for the page. NULL with
 * a one-line reason in err when the workloads differ (their repetitions would not compare).
 */
json_t *page__merge(json_t *const *recs, const char *const *files, size_t n, char *err,
		    size_t errlen);

/*
 * Write dir/report.md and dir/report.html for rec and its summary (summary__build). The figures
 * (plot__figures) must already be rendered in dir: the HTML inlines each NAME.svg, with its
 * element ids prefixed by NAME so figures do not share ids. 0 or -errno with a one-line
 * reason in err.
 */
int page__write(const json_t *rec, const json_t *sum, const char *dir, char *err, size_t errlen);

#endif
