/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The report's figures. Per-repetition figures are pulled from a record, written into a
 * directory as gnuplot data (NAME.dat) and scripts (NAME.gp), then rendered by gnuplot run as
 * a process with that directory as its working directory, so `cd DIR && gnuplot NAME.gp`
 * redraws NAME.svg and NAME.png after a user edits either file.
 */
#ifndef IOVB_PLOT_H
#define IOVB_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

struct plot_fig {
	const char *name;    /* file stem: NAME.dat, NAME.gp, NAME.svg, NAME.png */
	const char *title;   /* "Figure 3: ..." */
	const char *caption; /* what the plot shows and how it is computed */
	const char *absent;  /* NULL: always drawn; else the page's note when the data is missing */
};

/* The figures plot__write draws, in page order; *n gets their count. */
const struct plot_fig *plot__figures(size_t *n);

/*
 * Per-repetition figures of a record's ok runs, by path (known paths "vf" then "pv" first):
 * { PATH: { "reps": N, "guest_role": ROLE, "throughput_bps": [N],
 *           "roles": { ROLE: { "total": [N], "by": { "dev:NAME (KIND)" | "thread:COMM": [N] } } } }
 * } in ns per payload byte for roles, with the path's own guest role renamed "guest" so both paths'
 * guests compare. A key a repetition did not see counts 0 there (it spent nothing). NULL with a
 * one-line reason in err when the record has no ok run.
 */
json_t *plot__collect(const json_t *rec, char *err, size_t errlen);

/*
 * Write every figure's NAME.dat and NAME.gp for rec into dir (which must exist).
 * 0 or -errno with a one-line reason in err.
 */
int plot__write(const json_t *rec, const char *dir, char *err, size_t errlen);

/*
 * Whether plot__write drew fig into dir (its NAME.gp is there): figures with an `absent` note
 * are drawn only when the record holds their data, and their stale files are removed otherwise.
 */
bool plot__drawn(const char *dir, const struct plot_fig *fig);

/* A gnuplot double-quoted string for s: what gnuplot interprets escaped, "\n" kept a break. */
void plot__gp_string(FILE *f, const char *s);

/* A path's legend and colour, the same in every figure ("#888888" for an unknown path). */
void plot__path_style(const char *path, const char **legend, const char **colour);

/*
 * Run `gnuplot NAME.gp` in dir (output appended to dir/gnuplot.log) and check it exited 0 and
 * left a non-empty NAME.EXT for each of exts (NULL-terminated). gnuplot as for plot__render.
 */
int plot__render_script(const char *dir, const char *gnuplot, const char *name,
			const char *const *exts, char *err, size_t errlen);

/*
 * Run `gnuplot NAME.gp` in dir for every drawn figure (gnuplot's output goes to dir/gnuplot.log)
 * and check each exited 0 and left a non-empty NAME.svg and NAME.png. gnuplot is the program to run
 * (NULL: "gnuplot" from PATH). -ENOENT when it cannot be found, -EIO when a script failed or left
 * no output, other -errno otherwise; a one-line reason in err.
 */
int plot__render(const char *dir, const char *gnuplot, char *err, size_t errlen);

#endif
