// SPDX-License-Identifier: GPL-2.0
/*
 * procfs collector (contract in include/iovb/procfs.h).
 *
 * Each file is read whole into memory, then parsed line by line in place. The parsers trust
 * nothing: every line must end in '\n' (a file cut mid-line is refused rather than read as a
 * smaller number), every count must be all digits and fit 64 bits, and each file's rows must
 * have the columns its header announces. Anything else is -EINVAL.
 *
 * CPU numbering: /proc/stat prints a "cpuN" line per *online* CPU, /proc/softirqs a column per
 * *possible* CPU and /proc/interrupts a column per online CPU (fs/proc/stat.c, softirqs.c,
 * kernel/irq/proc.c). With a CPU offline the three disagree, so a snapshot's CPU index i means
 * "the i-th cpuN line of /proc/stat", and softirqs/interrupts columns are mapped to it through
 * their "CPU<n>" headers; columns of CPUs absent from /proc/stat are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iovb/parse.h"
#include "iovb/procfs.h"

const char *const procfs_softirq_names[PROCFS_NR_SOFTIRQ] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};

/* /proc/interrupts on an 8192-CPU machine is tens of MB; far beyond that is not procfs. */
#define PROCFS_MAX_FILE (256u << 20)
/* /proc/stat cpu lines: user nice system idle iowait irq softirq steal [guest guest_nice ...] */
#define STAT_MIN_FIELDS 8
/* /proc/net/dev: 8 receive and 8 transmit counters */
#define NETDEV_FIELDS 16

/* ---- reading ---- */

static int fd__read_all(int fd, char **bufp, size_t *lenp)
{
	size_t cap = 16384, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int err = 0;

	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= PROCFS_MAX_FILE) {
				err = -EFBIG;
				goto cleanup;
			}
			cap *= 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	/* The parsers work on C strings: an embedded NUL would hide the rest of the file. */
	if (memchr(buf, '\0', len)) {
		err = -EINVAL;
		goto cleanup;
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
cleanup:
	free(buf);
	return err;
}

static int file__read_all(const char *path, char **bufp, size_t *lenp)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = fd__read_all(fd, bufp, lenp);
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

/* ---- lexing ---- */

struct lines {
	char *p;
	char *end;
};

/*
 * Next line, NUL-terminated in place. 1: *line set; 0: end of file; -EINVAL: the last line has
 * no '\n', i.e. the file was cut short.
 */
static int lines__next(struct lines *l, char **line)
{
	char *nl;
	int ret;

	if (l->p >= l->end) {
		ret = 0;
		goto cleanup;
	}
	nl = memchr(l->p, '\n', l->end - l->p);
	if (!nl) {
		ret = -EINVAL;
		goto cleanup;
	}
	*nl = '\0';
	*line = l->p;
	l->p = nl + 1;
	ret = 1;
cleanup:
	return ret;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Like strchr(), const in and non-const out, so it serves both parsing and read-only scans. */
static char *skip_blank(const char *p)
{
	while (is_blank(*p))
		p++;
	return (char *)p;
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (p[n] && !is_blank(p[n]))
		n++;
	return n;
}

static bool token_is_number(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

/* Parse the n-character token at p as a decimal u64 through the project's one strict helper. */
static int token__u64(const char *p, size_t n, uint64_t *v)
{
	char tok[24];
	int err = 0;

	if (!n || n >= sizeof(tok)) {
		err = -EINVAL;
		goto cleanup;
	}
	memcpy(tok, p, n);
	tok[n] = '\0';
	/* -ERANGE from a 21-digit count is still a file that did not parse. */
	if (iovb_parse_u64(tok, 0, UINT64_MAX, v))
		err = -EINVAL;
cleanup:
	return err;
}

/* Take the next blank-separated token at *pp as a u64 and move past it. */
static int take_u64(char **pp, uint64_t *v)
{
	char *p = skip_blank(*pp);
	size_t n = token_len(p);
	int err;

	err = token__u64(p, n, v);
	if (!err)
		*pp = p + n;
	return err;
}

/* Only blanks may follow. */
static int expect_eol(const char *p)
{
	return *skip_blank(p) ? -EINVAL : 0;
}

/* A row label: leading blanks, then non-blank characters up to ':'. *pp moves past the ':'. */
static int take_label(char **pp, char *out, size_t size)
{
	char *p = skip_blank(*pp), *colon;
	size_t n;
	int err = 0;

	colon = strchr(p, ':');
	if (!colon) {
		err = -EINVAL;
		goto cleanup;
	}
	n = colon - p;
	if (!n || n >= size) {
		err = -EINVAL;
		goto cleanup;
	}
	if (token_len(p) < n) {
		err = -EINVAL;
		goto cleanup;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	*pp = colon + 1;
cleanup:
	return err;
}

/* Copy s with blank runs folded to one space and no leading/trailing blanks, truncated. */
static void fold_blanks(const char *s, char *out, size_t size)
{
	size_t n = 0;
	bool gap = false;

	s = skip_blank(s);
	for (; *s && n + 1 < size; s++) {
		if (is_blank(*s)) {
			gap = true;
			continue;
		}
		if (gap && n + 2 < size)
			out[n++] = ' ';
		else if (gap)
			break;
		gap = false;
		out[n++] = *s;
	}
	out[n] = '\0';
}

/* ---- /proc/stat ---- */

/* The cpuN lines of /proc/stat: cpu[i] belongs to CPU id[i], ids strictly increasing. */
struct stat_cpus {
	struct procfs_cpu total;
	struct procfs_cpu *cpu;
	unsigned *id;
	unsigned n;
	unsigned cap;
};

static void stat_cpus__free(struct stat_cpus *c)
{
	free(c->cpu);
	free(c->id);
	memset(c, 0, sizeof(*c));
}

static int stat_cpus__grow(struct stat_cpus *c)
{
	unsigned cap = c->cap ? c->cap * 2 : 8;
	struct procfs_cpu *cpu;
	unsigned *id;
	int err = 0;

	cpu = reallocarray(c->cpu, cap, sizeof(*cpu));
	if (!cpu) {
		err = -ENOMEM;
		goto cleanup;
	}
	c->cpu = cpu;
	id = reallocarray(c->id, cap, sizeof(*id));
	if (!id) {
		err = -ENOMEM;
		goto cleanup;
	}
	c->id = id;
	c->cap = cap;
cleanup:
	return err;
}

/* The counters after "cpu" / "cpuN": at least STAT_MIN_FIELDS, all numeric, extra ones ignored. */
static int stat__parse_fields(char *p, struct procfs_cpu *cpu)
{
	uint64_t f[STAT_MIN_FIELDS], extra;
	unsigned i;
	int err = 0;

	for (i = 0; i < STAT_MIN_FIELDS; i++) {
		err = take_u64(&p, &f[i]);
		if (err)
			goto cleanup;
	}
	/* Kernels since 2.6.24 add guest and guest_nice; later ones may add more. */
	while (*skip_blank(p)) {
		err = take_u64(&p, &extra);
		if (err)
			goto cleanup;
	}
	cpu->user = f[0];
	cpu->nice = f[1];
	cpu->system = f[2];
	cpu->idle = f[3];
	cpu->iowait = f[4];
	cpu->irq = f[5];
	cpu->softirq = f[6];
	cpu->steal = f[7];
cleanup:
	return err;
}

static int stat__parse(char *buf, size_t len, struct stat_cpus *c)
{
	struct lines l = {buf, buf + len};
	bool have_total = false;
	uint64_t id;
	char *line, *p;
	size_t n;
	int ret, err = 0;

	while ((ret = lines__next(&l, &line)) > 0) {
		p = line;
		n = token_len(p);
		/* intr, ctxt, btime, processes, procs_*, softirq: not ours. */
		if (n < 3 || strncmp(p, "cpu", 3)) {
			if (!n) {
				err = -EINVAL;
				goto cleanup;
			}
			continue;
		}
		if (n == 3) {
			if (have_total) {
				err = -EINVAL;
				goto cleanup;
			}
			err = stat__parse_fields(p + n, &c->total);
			if (err)
				goto cleanup;
			have_total = true;
			continue;
		}
		err = token__u64(p + 3, n - 3, &id);
		if (err)
			goto cleanup;
		if (id > UINT_MAX || (c->n && id <= c->id[c->n - 1])) {
			err = -EINVAL;
			goto cleanup;
		}
		if (c->n == c->cap) {
			err = stat_cpus__grow(c);
			if (err)
				goto cleanup;
		}
		err = stat__parse_fields(p + n, &c->cpu[c->n]);
		if (err)
			goto cleanup;
		c->id[c->n++] = id;
	}
	if (ret < 0 || !have_total || !c->n)
		err = -EINVAL;
cleanup:
	return err;
}

/* ---- "CPU0 CPU1 ..." headers of softirqs and interrupts ---- */

/*
 * col[j] = snapshot index of the j-th header column's CPU, or -1 if /proc/stat did not list it.
 * Column CPU numbers must be strictly increasing.
 */
static int cpu_header__parse(char *p, const struct stat_cpus *c, int **colp, unsigned *ncolp)
{
	unsigned ncol = 0, cap = 0, k = 0;
	int *col = NULL, *ncols;
	uint64_t id, prev = 0;
	size_t n;
	int err = 0;

	for (p = skip_blank(p); *p; p = skip_blank(p + n)) {
		n = token_len(p);
		if (n < 4 || strncmp(p, "CPU", 3)) {
			err = -EINVAL;
			goto cleanup;
		}
		err = token__u64(p + 3, n - 3, &id);
		if (err)
			goto cleanup;
		if (id > UINT_MAX || (ncol && id <= prev)) {
			err = -EINVAL;
			goto cleanup;
		}
		prev = id;
		if (ncol == cap) {
			cap = cap ? cap * 2 : 8;
			ncols = reallocarray(col, cap, sizeof(*col));
			if (!ncols) {
				err = -ENOMEM;
				goto cleanup;
			}
			col = ncols;
		}
		/* Both lists ascend: walk them together. */
		while (k < c->n && c->id[k] < id)
			k++;
		col[ncol++] = k < c->n && c->id[k] == id ? (int)k : -1;
	}
	if (!ncol) {
		err = -EINVAL;
		goto cleanup;
	}
	*colp = col;
	*ncolp = ncol;
	col = NULL;
cleanup:
	free(col);
	return err;
}

/* ---- /proc/softirqs ---- */

static int softirqs__parse(char *buf, size_t len, const struct stat_cpus *c, uint64_t *softirq)
{
	struct lines l = {buf, buf + len};
	unsigned ncol = 0, seen = 0, j, vec;
	char name[32], *line, *p;
	int *col = NULL;
	uint64_t v;
	int ret, err;

	ret = lines__next(&l, &line);
	if (ret <= 0) {
		err = -EINVAL;
		goto cleanup;
	}
	err = cpu_header__parse(line, c, &col, &ncol);
	if (err)
		goto cleanup;
	while ((ret = lines__next(&l, &line)) > 0) {
		p = line;
		err = take_label(&p, name, sizeof(name));
		if (err)
			goto cleanup;
		for (vec = 0; vec < PROCFS_NR_SOFTIRQ; vec++)
			if (!strcmp(name, procfs_softirq_names[vec]))
				break;
		if (vec < PROCFS_NR_SOFTIRQ && (seen & (1u << vec))) {
			err = -EINVAL;
			goto cleanup;
		}
		for (j = 0; j < ncol; j++) {
			err = take_u64(&p, &v);
			if (err)
				goto cleanup;
			/* A vector a newer kernel added is read (to validate) but not kept. */
			if (vec < PROCFS_NR_SOFTIRQ && col[j] >= 0)
				softirq[vec * c->n + col[j]] = v;
		}
		err = expect_eol(p);
		if (err)
			goto cleanup;
		if (vec < PROCFS_NR_SOFTIRQ)
			seen |= 1u << vec;
	}
	if (ret < 0 || seen != (1u << PROCFS_NR_SOFTIRQ) - 1)
		err = -EINVAL;
cleanup:
	free(col);
	return err;
}

/* ---- /proc/interrupts ---- */

static void irqs__free(struct procfs_irq *irqs, size_t n)
{
	size_t i;

	if (!irqs)
		return;
	for (i = 0; i < n; i++)
		free(irqs[i].per_cpu);
	free(irqs);
}

static bool label_is_number(const char *s)
{
	return token_is_number(s, strlen(s));
}

/*
 * One row. Numbered IRQs carry a count per header column, then "chip hwirq-type name". Named
 * rows (NMI, LOC, ... on x86, IPI0.. on arm64) carry a count per column and a description,
 * except a few global counters (x86 ERR and MIS) that print one number: that one is the row's
 * total, with no per-CPU split.
 */
static int interrupts__parse_row(char *p, const int *col, unsigned ncol, unsigned ncpu,
				 struct procfs_irq *irq)
{
	uint64_t *counts = NULL, total = 0;
	unsigned k = 0, j;
	size_t n;
	int err;

	memset(irq, 0, sizeof(*irq));
	err = take_label(&p, irq->id, sizeof(irq->id));
	if (err)
		goto cleanup;
	counts = calloc(ncol, sizeof(*counts));
	if (!counts) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		p = skip_blank(p);
		n = token_len(p);
		if (k == ncol || !token_is_number(p, n))
			break;
		err = token__u64(p, n, &counts[k]);
		if (err)
			goto cleanup;
		if (__builtin_add_overflow(total, counts[k], &total)) {
			err = -EINVAL;
			goto cleanup;
		}
		k++;
		p += n;
	}
	if (!k || (k != ncol && (k != 1 || label_is_number(irq->id)))) {
		err = -EINVAL;
		goto cleanup;
	}
	irq->per_cpu = calloc(ncpu, sizeof(*irq->per_cpu));
	if (!irq->per_cpu) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (k == ncol)
		for (j = 0; j < ncol; j++)
			if (col[j] >= 0)
				irq->per_cpu[col[j]] = counts[j];
	irq->total = total;
	fold_blanks(p, irq->desc, sizeof(irq->desc));
cleanup:
	free(counts);
	return err;
}

static int interrupts__parse(char *buf, size_t len, const struct stat_cpus *c,
			     struct procfs_irq **irqsp, size_t *nirqsp)
{
	struct lines l = {buf, buf + len};
	struct procfs_irq *irqs = NULL, *nirqs;
	size_t n = 0, cap = 0, i;
	unsigned ncol = 0;
	int *col = NULL;
	char *line;
	int ret, err;

	ret = lines__next(&l, &line);
	if (ret <= 0) {
		err = -EINVAL;
		goto cleanup;
	}
	err = cpu_header__parse(line, c, &col, &ncol);
	if (err)
		goto cleanup;
	while ((ret = lines__next(&l, &line)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nirqs = reallocarray(irqs, cap, sizeof(*irqs));
			if (!nirqs) {
				err = -ENOMEM;
				goto cleanup;
			}
			irqs = nirqs;
		}
		err = interrupts__parse_row(line, col, ncol, c->n, &irqs[n]);
		if (err)
			goto cleanup;
		n++;
		/* Deltas match rows by id: an id seen twice would make that ambiguous. */
		for (i = 0; i + 1 < n; i++) {
			if (!strcmp(irqs[i].id, irqs[n - 1].id)) {
				err = -EINVAL;
				goto cleanup;
			}
		}
	}
	if (ret < 0) {
		err = -EINVAL;
		goto cleanup;
	}
	*irqsp = irqs;
	*nirqsp = n;
	irqs = NULL;
cleanup:
	irqs__free(irqs, n);
	free(col);
	return err;
}

/* ---- procfs_snap__read ---- */

static int path__join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int procfs_snap__read(struct procfs_snap *s, const char *root)
{
	struct procfs_snap tmp = {0};
	struct stat_cpus c = {0};
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	int err;

	if (!s) {
		err = -EINVAL;
		goto cleanup;
	}
	if (!root)
		root = "/proc";

	err = path__join(path, sizeof(path), root, "stat");
	if (err)
		goto cleanup;
	err = file__read_all(path, &buf, &len);
	if (err)
		goto cleanup;
	err = stat__parse(buf, len, &c);
	if (err)
		goto cleanup;
	free(buf);
	buf = NULL;
	tmp.ncpu = c.n;
	tmp.total = c.total;
	tmp.cpu = calloc(c.n, sizeof(*tmp.cpu));
	tmp.softirq = calloc((size_t)PROCFS_NR_SOFTIRQ * c.n, sizeof(*tmp.softirq));
	if (!tmp.cpu || !tmp.softirq) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(tmp.cpu, c.cpu, c.n * sizeof(*tmp.cpu));

	err = path__join(path, sizeof(path), root, "softirqs");
	if (err)
		goto cleanup;
	err = file__read_all(path, &buf, &len);
	if (err)
		goto cleanup;
	err = softirqs__parse(buf, len, &c, tmp.softirq);
	if (err)
		goto cleanup;
	free(buf);
	buf = NULL;

	err = path__join(path, sizeof(path), root, "interrupts");
	if (err)
		goto cleanup;
	err = file__read_all(path, &buf, &len);
	if (err)
		goto cleanup;
	err = interrupts__parse(buf, len, &c, &tmp.irqs, &tmp.nirqs);
	if (err)
		goto cleanup;

	procfs_snap__free(s);
	*s = tmp;
	memset(&tmp, 0, sizeof(tmp));
cleanup:
	procfs_snap__free(&tmp);
	stat_cpus__free(&c);
	free(buf);
	return err;
}

/* ---- /proc/net/dev ---- */

static int netdev__parse(char *buf, size_t len, const char *netns, struct procfs_netdev **rowsp,
			 size_t *nrowsp)
{
	struct lines l = {buf, buf + len};
	struct procfs_netdev *rows = NULL, *nrows, *r;
	size_t n = 0, cap = 0, i;
	uint64_t f[NETDEV_FIELDS];
	char *line, *p;
	int ret, err = 0;

	/* Two header lines: "Inter-|   Receive ... |  Transmit" and " face |bytes packets ...". */
	ret = lines__next(&l, &line);
	if (ret <= 0 || strncmp(line, "Inter-|", 7)) {
		err = -EINVAL;
		goto cleanup;
	}
	ret = lines__next(&l, &line);
	if (ret <= 0 || strncmp(line, " face |", 7)) {
		err = -EINVAL;
		goto cleanup;
	}
	while ((ret = lines__next(&l, &line)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nrows = reallocarray(rows, cap, sizeof(*rows));
			if (!nrows) {
				err = -ENOMEM;
				goto cleanup;
			}
			rows = nrows;
		}
		r = &rows[n];
		memset(r, 0, sizeof(*r));
		p = line;
		/* dev_valid_name() forbids ':' and blanks in names, so the first ':' ends it. */
		err = take_label(&p, r->name, sizeof(r->name));
		if (err)
			goto cleanup;
		for (i = 0; i < NETDEV_FIELDS; i++) {
			err = take_u64(&p, &f[i]);
			if (err)
				goto cleanup;
		}
		err = expect_eol(p);
		if (err)
			goto cleanup;
		snprintf(r->netns, sizeof(r->netns), "%s", netns);
		r->rx_bytes = f[0];
		r->rx_packets = f[1];
		r->rx_errs = f[2];
		r->rx_drop = f[3];
		r->tx_bytes = f[8];
		r->tx_packets = f[9];
		r->tx_errs = f[10];
		r->tx_drop = f[11];
		for (i = 0; i < n; i++) {
			if (!strcmp(rows[i].name, r->name)) {
				err = -EINVAL;
				goto cleanup;
			}
		}
		n++;
	}
	if (ret < 0) {
		err = -EINVAL;
		goto cleanup;
	}
	*rowsp = rows;
	*nrowsp = n;
	rows = NULL;
cleanup:
	free(rows);
	return err;
}

struct netns_reader {
	int nsfd;
	char *buf;
	size_t len;
	int err;
};

/*
 * Runs in its own short-lived thread: the network namespace is per thread, so setns() here
 * moves only this thread, and the namespace goes away with it. The caller's thread is never
 * moved, so nothing can leave it stranded in the wrong namespace on an error path.
 * /proc/thread-self/net shows this thread's namespace; /proc/self/net would show the main
 * thread's.
 */
static void *netns_reader__run(void *arg)
{
	struct netns_reader *r = arg;

	if (setns(r->nsfd, CLONE_NEWNET)) {
		r->err = -errno;
		goto cleanup;
	}
	r->err = file__read_all("/proc/thread-self/net/dev", &r->buf, &r->len);
cleanup:
	return NULL;
}

static int netns__read_netdev(const char *netns, char **bufp, size_t *lenp)
{
	struct netns_reader r = {.nsfd = -1};
	char path[PATH_MAX];
	pthread_t thread;
	int err;

	/* A name, not a path: "../x" or "a/b" must not reach outside /run/netns. */
	if (!*netns || strchr(netns, '/') || !strcmp(netns, ".") || !strcmp(netns, "..")) {
		err = -EINVAL;
		goto cleanup;
	}
	err = path__join(path, sizeof(path), "/run/netns", netns);
	if (err)
		goto cleanup;
	r.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.nsfd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = -pthread_create(&thread, NULL, netns_reader__run, &r);
	if (err)
		goto cleanup;
	pthread_join(thread, NULL);
	err = r.err;
	if (err)
		goto cleanup;
	*bufp = r.buf;
	*lenp = r.len;
	r.buf = NULL;
cleanup:
	free(r.buf);
	if (r.nsfd >= 0)
		close(r.nsfd);
	return err;
}

int procfs_snap__read_netdev(struct procfs_snap *s, const char *netns, const char *path)
{
	struct procfs_netdev *rows = NULL, *all;
	size_t nrows = 0, len, i, j;
	const char *label = netns ? netns : "";
	char *buf = NULL;
	int err;

	if (!s) {
		err = -EINVAL;
		goto cleanup;
	}
	if (strlen(label) >= sizeof(rows->netns)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	if (path)
		err = file__read_all(path, &buf, &len);
	else if (netns)
		err = netns__read_netdev(netns, &buf, &len);
	else
		err = file__read_all("/proc/thread-self/net/dev", &buf, &len);
	if (err)
		goto cleanup;
	err = netdev__parse(buf, len, label, &rows, &nrows);
	if (err)
		goto cleanup;
	/* Reading one namespace twice would make delta matching ambiguous. */
	for (i = 0; i < s->nnetdevs; i++) {
		for (j = 0; j < nrows; j++) {
			if (!strcmp(s->netdevs[i].netns, label) &&
			    !strcmp(s->netdevs[i].name, rows[j].name)) {
				err = -EEXIST;
				goto cleanup;
			}
		}
	}
	if (nrows) {
		all = reallocarray(s->netdevs, s->nnetdevs + nrows, sizeof(*all));
		if (!all) {
			err = -ENOMEM;
			goto cleanup;
		}
		memcpy(all + s->nnetdevs, rows, nrows * sizeof(*rows));
		s->netdevs = all;
		s->nnetdevs += nrows;
	}
cleanup:
	free(rows);
	free(buf);
	return err;
}

/* ---- delta ---- */

static int sub_u64(uint64_t end, uint64_t start, uint64_t *out)
{
	int err = 0;

	if (end < start) {
		err = -ERANGE;
		goto cleanup;
	}
	*out = end - start;
cleanup:
	return err;
}

static int cpu__delta(const struct procfs_cpu *a, const struct procfs_cpu *b, struct procfs_cpu *d)
{
	int err = 0;

	err = err ?: sub_u64(b->user, a->user, &d->user);
	err = err ?: sub_u64(b->nice, a->nice, &d->nice);
	err = err ?: sub_u64(b->system, a->system, &d->system);
	err = err ?: sub_u64(b->idle, a->idle, &d->idle);
	err = err ?: sub_u64(b->irq, a->irq, &d->irq);
	err = err ?: sub_u64(b->softirq, a->softirq, &d->softirq);
	err = err ?: sub_u64(b->steal, a->steal, &d->steal);
	/*
	 * iowait is the one field the kernel documents as able to decrease
	 * (Documentation/filesystems/proc.rst, "iowait ... will decrease in certain conditions"),
	 * so a step back is 0, not a broken window.
	 */
	d->iowait = b->iowait > a->iowait ? b->iowait - a->iowait : 0;
	return err;
}

static const struct procfs_irq *irq__find(const struct procfs_snap *s, const char *id)
{
	const struct procfs_irq *found = NULL;
	size_t i;

	for (i = 0; i < s->nirqs; i++) {
		if (!strcmp(s->irqs[i].id, id)) {
			found = &s->irqs[i];
			break;
		}
	}
	return found;
}

static const struct procfs_netdev *netdev__find(const struct procfs_snap *s,
						const struct procfs_netdev *key)
{
	const struct procfs_netdev *found = NULL;
	size_t i;

	for (i = 0; i < s->nnetdevs; i++) {
		if (!strcmp(s->netdevs[i].netns, key->netns) &&
		    !strcmp(s->netdevs[i].name, key->name)) {
			found = &s->netdevs[i];
			break;
		}
	}
	return found;
}

static int netdev__delta(const struct procfs_netdev *a, const struct procfs_netdev *b,
			 struct procfs_netdev *d)
{
	static const struct procfs_netdev zero;
	int err = 0;

	if (!a)
		a = &zero;
	memcpy(d->netns, b->netns, sizeof(d->netns));
	memcpy(d->name, b->name, sizeof(d->name));
	err = err ?: sub_u64(b->rx_bytes, a->rx_bytes, &d->rx_bytes);
	err = err ?: sub_u64(b->rx_packets, a->rx_packets, &d->rx_packets);
	err = err ?: sub_u64(b->rx_errs, a->rx_errs, &d->rx_errs);
	err = err ?: sub_u64(b->rx_drop, a->rx_drop, &d->rx_drop);
	err = err ?: sub_u64(b->tx_bytes, a->tx_bytes, &d->tx_bytes);
	err = err ?: sub_u64(b->tx_packets, a->tx_packets, &d->tx_packets);
	err = err ?: sub_u64(b->tx_errs, a->tx_errs, &d->tx_errs);
	err = err ?: sub_u64(b->tx_drop, a->tx_drop, &d->tx_drop);
	return err;
}

int procfs_snap__delta(const struct procfs_snap *start, const struct procfs_snap *end,
		       struct procfs_snap *out)
{
	static const struct procfs_irq no_irq;
	struct procfs_snap d = {0};
	const struct procfs_irq *si;
	struct procfs_irq *di;
	size_t i, nsoft;
	unsigned j;
	int err;

	if (!start || !end || !out || start->ncpu != end->ncpu || !start->cpu != !end->cpu ||
	    !start->softirq != !end->softirq) {
		err = -EINVAL;
		goto cleanup;
	}
	d.ncpu = end->ncpu;
	err = cpu__delta(&start->total, &end->total, &d.total);
	if (err)
		goto cleanup;
	if (end->cpu) {
		d.cpu = calloc(d.ncpu, sizeof(*d.cpu));
		if (!d.cpu) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (j = 0; j < d.ncpu; j++) {
			err = cpu__delta(&start->cpu[j], &end->cpu[j], &d.cpu[j]);
			if (err)
				goto cleanup;
		}
	}
	if (end->softirq) {
		nsoft = (size_t)PROCFS_NR_SOFTIRQ * d.ncpu;
		d.softirq = calloc(nsoft, sizeof(*d.softirq));
		if (!d.softirq) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (i = 0; i < nsoft; i++) {
			err = sub_u64(end->softirq[i], start->softirq[i], &d.softirq[i]);
			if (err)
				goto cleanup;
		}
	}
	if (end->nirqs) {
		d.irqs = calloc(end->nirqs, sizeof(*d.irqs));
		if (!d.irqs) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (i = 0; i < end->nirqs; i++) {
		di = &d.irqs[i];
		*di = end->irqs[i];
		di->per_cpu = calloc(d.ncpu ? d.ncpu : 1, sizeof(*di->per_cpu));
		if (!di->per_cpu) {
			err = -ENOMEM;
			goto cleanup;
		}
		d.nirqs = i + 1;
		/* A row only in end (an IRQ requested during the window) counts from 0. */
		si = irq__find(start, di->id);
		if (!si)
			si = &no_irq;
		err = sub_u64(end->irqs[i].total, si->total, &di->total);
		if (err)
			goto cleanup;
		for (j = 0; j < d.ncpu; j++) {
			err = sub_u64(end->irqs[i].per_cpu[j], si->per_cpu ? si->per_cpu[j] : 0,
				      &di->per_cpu[j]);
			if (err)
				goto cleanup;
		}
	}
	if (end->nnetdevs) {
		d.netdevs = calloc(end->nnetdevs, sizeof(*d.netdevs));
		if (!d.netdevs) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	d.nnetdevs = end->nnetdevs;
	for (i = 0; i < end->nnetdevs; i++) {
		err = netdev__delta(netdev__find(start, &end->netdevs[i]), &end->netdevs[i],
				    &d.netdevs[i]);
		if (err)
			goto cleanup;
	}
	*out = d;
	memset(&d, 0, sizeof(d));
cleanup:
	procfs_snap__free(&d);
	return err;
}

void procfs_snap__free(struct procfs_snap *s)
{
	if (!s)
		return;
	irqs__free(s->irqs, s->nirqs);
	free(s->netdevs);
	free(s->softirq);
	free(s->cpu);
	memset(s, 0, sizeof(*s));
}

uint64_t procfs__softirq_total_ns(void)
{
	struct procfs_snap p = { 0 };
	uint64_t v = 0;

	if (!procfs_snap__read(&p, "/proc"))
		v = p.total.softirq * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
	procfs_snap__free(&p);
	return v;
}
