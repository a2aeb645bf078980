// SPDX-License-Identifier: GPL-2.0
/*
 * The perf collector's prefix -> module table for built-in kernel code (docs/modules.md), and
 * where to find it. Kept apart from perfcol.c so it is tested without perf.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iovb/errf.h"
#include "iovb/exepath.h"
#include "iovb/perfcol.h"

#define TABLE_MAX_ENTRIES 65536 /* a table this long is a mistake, not a table */

struct table_entry {
	char *prefix;
	size_t len;
	const char *module; /* interned in mods: one pointer per distinct module name */
	unsigned line;
};

struct perfcol_table {
	struct table_entry *ents;
	size_t n, cap;
	char **mods;
	size_t nmods, mods_cap;
};

static const char *tab_intern(struct perfcol_table *t, const char *mod)
{
	const char *ret = NULL;
	char **grown, *dup;
	size_t i, ncap;

	for (i = 0; i < t->nmods; i++)
		if (!strcmp(t->mods[i], mod))
			return t->mods[i];
	if (t->nmods == t->mods_cap) {
		ncap = t->mods_cap ? 2 * t->mods_cap : 32;
		grown = realloc(t->mods, ncap * sizeof(*grown));
		if (!grown)
			goto cleanup;
		t->mods = grown;
		t->mods_cap = ncap;
	}
	dup = strdup(mod);
	if (!dup)
		goto cleanup;
	t->mods[t->nmods++] = dup;
	ret = dup;
cleanup:
	return ret;
}

/* A prefix or module name: printable, no spaces (they would be invisible mistakes in a TSV). */
static int tab_word_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return n > 0 && n < max;
}

/* Split one non-comment line into prefix and module; a third field is the comment. */
static int tab_parse_line(struct perfcol_table *t, char *line, unsigned lineno, const char *path,
			  char *err, size_t errlen)
{
	char *prefix = line, *mod, *end;
	struct table_entry *grown, *e;
	size_t i, ncap;
	int ret = 0;

	mod = strchr(line, '\t');
	if (!mod) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s:%u: expected \"prefix<TAB>module[<TAB>comment]\"", path,
			 lineno);
		goto cleanup;
	}
	*mod++ = '\0';
	end = strchr(mod, '\t');
	if (end)
		*end = '\0';
	if (!tab_word_ok(prefix, PERFCOL_NAME_LEN)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s:%u: bad prefix \"%s\" (empty, too long or has spaces)",
			 path, lineno, prefix);
		goto cleanup;
	}
	if (!tab_word_ok(mod, PERFCOL_MOD_LEN)) {
		ret = -EINVAL;
		iovb_errf(err, errlen,
			 "%s:%u: bad module \"%s\" (empty, over %d chars or has spaces)", path,
			 lineno, mod, PERFCOL_MOD_LEN - 1);
		goto cleanup;
	}
	/* a repeated prefix would make the answer depend on line order: refuse it */
	for (i = 0; i < t->n; i++) {
		if (!strcmp(t->ents[i].prefix, prefix)) {
			ret = -EINVAL;
			iovb_errf(err, errlen, "%s:%u: prefix \"%s\" already given at line %u", path,
				 lineno, prefix, t->ents[i].line);
			goto cleanup;
		}
	}
	if (t->n >= TABLE_MAX_ENTRIES) {
		ret = -E2BIG;
		iovb_errf(err, errlen, "%s:%u: more than %d entries", path, lineno,
			 TABLE_MAX_ENTRIES);
		goto cleanup;
	}
	if (t->n == t->cap) {
		ncap = t->cap ? 2 * t->cap : 128;
		grown = realloc(t->ents, ncap * sizeof(*grown));
		if (!grown) {
			ret = -ENOMEM;
			iovb_errf(err, errlen, "%s: out of memory", path);
			goto cleanup;
		}
		t->ents = grown;
		t->cap = ncap;
	}
	e = &t->ents[t->n];
	e->module = tab_intern(t, mod);
	e->prefix = strdup(prefix);
	if (!e->module || !e->prefix) {
		free(e->prefix);
		ret = -ENOMEM;
		iovb_errf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	e->len = strlen(prefix);
	e->line = lineno;
	t->n++;
cleanup:
	return ret;
}

struct perfcol_table *perfcol_table__load(const char *path, char *err, size_t errlen)
{
	struct perfcol_table *t = NULL;
	char *line = NULL, *s;
	unsigned lineno = 0;
	size_t cap = 0, n;
	ssize_t len;
	FILE *f = NULL;
	int ret = 0;

	if (!path) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "module table: no path");
		goto cleanup;
	}
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		iovb_errf(err, errlen, "module table %s: %s", path, strerror(errno));
		goto cleanup;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "module table %s: out of memory", path);
		goto cleanup;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		n = (size_t)len;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (strlen(line) != n) {
			ret = -EINVAL;
			iovb_errf(err, errlen, "%s:%u: NUL byte in line", path, lineno);
			goto cleanup;
		}
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (!*s || *s == '#')
			continue;
		if (s != line) {
			ret = -EINVAL;
			iovb_errf(err, errlen,
				 "%s:%u: line starts with blanks (prefix must be first)", path,
				 lineno);
			goto cleanup;
		}
		ret = tab_parse_line(t, line, lineno, path, err, errlen);
		if (ret)
			goto cleanup;
	}
	if (ferror(f)) {
		ret = -EIO;
		iovb_errf(err, errlen, "module table %s: read error", path);
		goto cleanup;
	}
	if (!t->n) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "module table %s: no entries", path);
		goto cleanup;
	}
cleanup:
	free(line);
	if (f)
		fclose(f);
	if (ret) {
		perfcol_table__free(t);
		t = NULL;
		errno = -ret;
	}
	return t;
}

static const struct table_entry *tab_longest(const struct perfcol_table *t, const char *sym)
{
	const struct table_entry *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct table_entry *e = &t->ents[i];

		/* first-byte test first: this runs once per kallsyms line at open */
		if (e->prefix[0] != sym[0] || (best && e->len <= best->len))
			continue;
		if (!strncmp(e->prefix, sym, e->len))
			best = e;
	}
	return best;
}

const char *perfcol_table__lookup(const struct perfcol_table *t, const char *sym)
{
	const struct table_entry *e;

	if (!t || !sym || !*sym)
		return NULL;
	e = tab_longest(t, sym);
	if (!e && sym[0] == '_') {
		/* __tcp_*, __netif_* ...: the same subsystem as without the underscores */
		while (*sym == '_')
			sym++;
		e = *sym ? tab_longest(t, sym) : NULL;
	}
	return e ? e->module : NULL;
}

size_t perfcol_table__size(const struct perfcol_table *t)
{
	return t ? t->n : 0;
}

void perfcol_table__free(struct perfcol_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->ents[i].prefix);
	for (i = 0; i < t->nmods; i++)
		free(t->mods[i]);
	free(t->ents);
	free(t->mods);
	free(t);
}

int perfcol__default_table(char *buf, size_t len)
{
	const char *dir = getenv("IOVB_DATADIR");
	int n, err = -EINVAL;

	if (!buf || !len)
		goto cleanup;
	if (dir && *dir) {
		n = snprintf(buf, len, "%s/modules.tsv", dir);
		err = n > 0 && (size_t)n < len && !access(buf, R_OK) ? 0 : -ENOENT;
		if (!err)
			goto cleanup;
	}
	/* Installed: PREFIX/bin/iovbench reads PREFIX/share/iovbench/; else the source tree. */
	err = iovb_exe_relative("../share/iovbench/modules.tsv", "../data/modules.tsv", buf, len);
cleanup:
	return err;
}
