// SPDX-License-Identifier: GPL-2.0
/* The record's one writer and reader. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "iovb/record.h"

/* A record larger than this is not one we wrote: refuse rather than exhaust memory. */
#define RECORD_MAX_BYTES (1ULL << 30)

static int dump_cb(const char *buf, size_t size, void *data)
{
	gzFile gz = data;

	/* gzwrite takes unsigned; jansson hands us small chunks. */
	return gzwrite(gz, buf, (unsigned)size) == (int)size ? 0 : -1;
}

int record__write(const json_t *rec, const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	gzFile gz = NULL;
	int fd = -1, err_ = 0, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		err_ = -ENAMETOOLONG;
		snprintf(err, errlen, "record path too long: %s", path);
		goto cleanup;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_ = -errno;
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	fchmod(fd, 0644);
	gz = gzdopen(dup(fd), "wb6");
	if (!gz) {
		err_ = -ENOMEM;
		snprintf(err, errlen, "zlib: cannot open %s", tmp);
		goto cleanup;
	}
	if (json_dump_callback(rec, dump_cb, gz, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0) {
		err_ = -EIO;
		snprintf(err, errlen, "writing %s failed", tmp);
		goto cleanup;
	}
	n = gzclose(gz);
	gz = NULL;
	if (n != Z_OK) {
		err_ = -EIO;
		snprintf(err, errlen, "writing %s failed (zlib error %d)", tmp, n);
		goto cleanup;
	}
	if (fsync(fd) < 0) {
		err_ = -errno;
		snprintf(err, errlen, "fsync %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (rename(tmp, path) < 0) {
		err_ = -errno;
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto cleanup;
	}
	tmp[0] = '\0';
cleanup:
	if (gz)
		gzclose(gz);
	if (fd >= 0)
		close(fd);
	if (err_ && tmp[0] && fd >= 0)
		unlink(tmp);
	return err_;
}

json_t *record__read(const char *path, char *err, size_t errlen)
{
	json_t *rec = NULL, *schema;
	json_error_t jerr;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	gzFile gz = NULL;
	const char *zmsg;
	int zerr, n;

	gz = gzopen(path, "rb");
	if (!gz) {
		snprintf(err, errlen, "cannot open record %s: %s", path,
			 errno ? strerror(errno) : "out of memory");
		goto cleanup;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *nb;

			cap = cap ? cap * 2 : 1 << 20;
			if (cap > RECORD_MAX_BYTES) {
				snprintf(err, errlen, "record %s: larger than 1 GiB, refused", path);
				goto cleanup;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "record %s: out of memory", path);
				goto cleanup;
			}
			buf = nb;
		}
		n = gzread(gz, buf + len, (unsigned)(cap - len));
		if (n < 0)
			break;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	zmsg = gzerror(gz, &zerr);
	/* zlib prefixes its message with the path, which ours already names. */
	if (zmsg && !strncmp(zmsg, path, strlen(path)) && !strncmp(zmsg + strlen(path), ": ", 2))
		zmsg += strlen(path) + 2;
	if (zerr != Z_OK) {
		snprintf(err, errlen, "record %s is corrupt or truncated: %s", path,
			 zerr == Z_ERRNO ? strerror(errno) : zmsg);
		goto cleanup;
	}
	rec = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec) {
		snprintf(err, errlen, "record %s is not valid JSON (line %d: %s)", path, jerr.line,
			 jerr.text);
		goto cleanup;
	}
	schema = json_object_get(rec, "schema");
	if (!json_is_object(rec) || !json_is_integer(schema)) {
		snprintf(err, errlen, "%s is not an iovbench record (no \"schema\")", path);
		json_decref(rec);
		rec = NULL;
		goto cleanup;
	}
	if (json_integer_value(schema) != IOVB_RECORD_SCHEMA) {
		snprintf(err, errlen,
			 "record %s has schema %lld; this iovbench reads schema %d (see docs/record.md)",
			 path, (long long)json_integer_value(schema), IOVB_RECORD_SCHEMA);
		json_decref(rec);
		rec = NULL;
		goto cleanup;
	}
cleanup:
	if (gz)
		gzclose(gz);
	free(buf);
	return rec;
}

json_t *record__real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* "... @ 2.10GHz" at the end of a model name: the nominal clock in MHz, or NaN. */
double record__model_mhz(const char *model)
{
	const char *at = model ? strrchr(model, '@') : NULL;
	char *end;
	double ghz;

	if (!at)
		return NAN;
	ghz = strtod(at + 1, &end);
	while (*end == ' ')
		end++;
	if (end == at + 1 || strncasecmp(end, "GHz", 3) || !(ghz > 0.1 && ghz < 100))
		return NAN;
	return ghz * 1000;
}

int record__cpu_nominal(json_t *cpu, const char *cpuinfo)
{
	char line[512], model[256] = "";
	double mhz = NAN, cur = NAN;
	FILE *f = fopen(cpuinfo ?: "/proc/cpuinfo", "re");
	int err = 0;

	if (!f) {
		err = -errno;
		goto cleanup;
	}
	/* The first CPU's lines are enough: every CPU of one package says the same. */
	while (fgets(line, sizeof(line), f) && line[0] != '\n') {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		if (!strncmp(line, "model name", 10))
			snprintf(model, sizeof(model), "%s", colon);
		else if (!strncmp(line, "cpu MHz", 7))
			cur = strtod(colon, NULL);
	}
	mhz = record__model_mhz(model);
	if (isfinite(mhz)) {
		json_object_set_new(cpu, "nominal_mhz", json_real(mhz));
		json_object_set_new(cpu, "nominal_mhz_source",
				    json_string("/proc/cpuinfo model name (@ GHz)"));
	} else if (cur > 0) {
		/* Virtual CPUs often hide the model's clock; cpu MHz is then the TSC rate. */
		json_object_set_new(cpu, "nominal_mhz", json_real(cur));
		json_object_set_new(cpu, "nominal_mhz_source",
				    json_string("/proc/cpuinfo cpu MHz (at record time)"));
	} else {
		err = -ENODATA;
	}
cleanup:
	if (f)
		fclose(f);
	return err;
}

void record__read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f)) {
		n = strlen(buf);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			buf[--n] = '\0';
	}
	fclose(f);
}

static json_t *u64_array(const uint64_t *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)v[i]));
	return a;
}

json_t *record__procfs(const struct procfs_snap *d, long clk_tck)
{
	json_t *o = json_object(), *cpus = json_array(), *sirq = json_object(), *irqs = json_array();
	json_t *nets = json_array();
	double tick_ns = 1e9 / (double)clk_tck;

	json_object_set_new(o, "source", json_string("procfs"));
	json_object_set_new(o, "unit", json_string("ticks (USER_HZ) for cpus; events for counts"));
	json_object_set_new(o, "tick_ns", json_real(tick_ns));
	for (unsigned c = 0; c < d->ncpu; c++) {
		const struct procfs_cpu *p = &d->cpu[c];

		json_array_append_new(cpus,
			json_pack("{sI sI sI sI sI sI sI sI sI}", "cpu", (json_int_t)c,
				  "user", (json_int_t)p->user, "nice", (json_int_t)p->nice,
				  "system", (json_int_t)p->system, "idle", (json_int_t)p->idle,
				  "iowait", (json_int_t)p->iowait, "irq", (json_int_t)p->irq,
				  "softirq", (json_int_t)p->softirq, "steal", (json_int_t)p->steal));
	}
	json_object_set_new(o, "cpus", cpus);
	for (unsigned v = 0; v < PROCFS_NR_SOFTIRQ; v++)
		json_object_set_new(sirq, procfs_softirq_names[v],
				    u64_array(&d->softirq[(size_t)v * d->ncpu], d->ncpu));
	json_object_set_new(o, "softirqs", sirq);
	for (size_t i = 0; i < d->nirqs; i++) {
		if (!d->irqs[i].total)
			continue;
		json_array_append_new(irqs, json_pack("{ss ss sI so}", "id", d->irqs[i].id,
						      "desc", d->irqs[i].desc,
						      "total", (json_int_t)d->irqs[i].total,
						      "per_cpu", u64_array(d->irqs[i].per_cpu, d->ncpu)));
	}
	json_object_set_new(o, "interrupts", irqs);
	for (size_t i = 0; i < d->nnetdevs; i++) {
		const struct procfs_netdev *n = &d->netdevs[i];

		json_array_append_new(nets,
			json_pack("{ss ss sI sI sI sI sI sI sI sI}", "netns", n->netns, "name", n->name,
				  "rx_bytes", (json_int_t)n->rx_bytes,
				  "rx_packets", (json_int_t)n->rx_packets,
				  "rx_errs", (json_int_t)n->rx_errs, "rx_drop", (json_int_t)n->rx_drop,
				  "tx_bytes", (json_int_t)n->tx_bytes,
				  "tx_packets", (json_int_t)n->tx_packets,
				  "tx_errs", (json_int_t)n->tx_errs, "tx_drop", (json_int_t)n->tx_drop));
	}
	json_object_set_new(o, "netdev", nets);
	return o;
}

json_t *record__log2_hist(const uint64_t *slots, size_t n, const char *unit)
{
	json_t *o = json_object(), *l = json_array();

	for (size_t k = 0; k < n && k < 63; k++)
		if (slots[k])
			json_array_append_new(l, json_pack("[II]", (json_int_t)(1ULL << k),
							   (json_int_t)slots[k]));
	json_object_set_new(o, "unit", json_string(unit));
	json_object_set_new(o, "log2", l);
	return o;
}

/* collectors.bpf.overhead: the programs' own run time, each and in total; null when unknown. */
static json_t *netcpu_overhead(const struct netcpu_stats *st)
{
	json_t *o = json_object(), *progs = json_array();

	json_object_set_new(o, "source", json_string("bpf_stats (run_time_ns of our programs)"));
	if (!st->run_stats) {
		/* unknown is not zero: say why there is no figure */
		json_object_set_new(o, "cpu_ns", json_null());
		json_object_set_new(o, "error",
				    json_string("kernel.bpf_stats_enabled could not be turned on"));
		json_decref(progs);
		return o;
	}
	json_object_set_new(o, "cpu_ns", json_integer((json_int_t)st->prog_run_ns));
	json_object_set_new(o, "prog_run_ns", json_integer((json_int_t)st->prog_run_ns));
	json_object_set_new(o, "prog_run_cnt", json_integer((json_int_t)st->prog_run_cnt));
	for (size_t i = 0; i < st->nprogs; i++)
		json_array_append_new(progs, json_pack("{ss sI sI sI}", "name", st->progs[i].name,
						       "run_ns", (json_int_t)st->progs[i].run_ns,
						       "run_cnt", (json_int_t)st->progs[i].run_cnt,
						       "misses", (json_int_t)st->progs[i].misses));
	json_object_set_new(o, "programs", progs);
	return o;
}

/* bpf.tick_audit: per-CPU arrays of what the scheduler tick interrupted (docs/record.md). */
static json_t *netcpu_ticks_json(const struct netcpu_stats *st)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "ticks", offsetof(struct netcpu_ticks, ticks) },
		{ "in_handler", offsetof(struct netcpu_ticks, in_vec) },
		{ "in_handler_ksoftirqd", offsetof(struct netcpu_ticks, in_vec_ksd) },
		{ "due_in_handler", offsetof(struct netcpu_ticks, exp_in_vec) },
		{ "due_unknown", offsetof(struct netcpu_ticks, exp_unknown) },
		{ "late_in_handler_ns", offsetof(struct netcpu_ticks, late_in_ns) },
		{ "late_other_ns", offsetof(struct netcpu_ticks, late_out_ns) },
	};
	json_t *o = json_object();

	json_object_set_new(o, "source", json_string("bpf: hrtimer_expire_entry of the tick"));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		json_t *a = json_array();

		for (unsigned c = 0; c < st->ncpu; c++) {
			const char *base = (const char *)&st->ticks[c];
			uint64_t v;

			memcpy(&v, base + f[i].off, sizeof(v));
			json_array_append_new(a, json_integer((json_int_t)v));
		}
		json_object_set_new(o, f[i].name, a);
	}
	json_object_set_new(o, "softirq_ns_by_tick_phase",
			    u64_array(st->tick_phase_ns, NETCPU_TICK_PHASES));
	return o;
}

json_t *record__netcpu(const struct netcpu_stats *st, record_role_fn role_of, void *arg)
{
	json_t *o = json_object(), *vec = json_object(), *devs = json_array(), *irqs = json_array();
	json_t *tasks = json_array();

	json_object_set_new(o, "source", json_string("bpf"));
	json_object_set_new(o, "unit", json_string("ns (CLOCK_MONOTONIC in BPF) and events"));
	json_object_set_new(o, "attach", json_string(st->attach));
	for (unsigned v = 0; v < NETCPU_NR_VEC; v++) {
		json_t *one =
			json_pack("{so so}", "count",
				  u64_array(&st->vec_count[(size_t)v * st->ncpu], st->ncpu), "ns",
				  u64_array(&st->vec_ns[(size_t)v * st->ncpu], st->ncpu));

		if (st->vec_ksoftirqd_ns)
			json_object_set_new(
				one, "ksoftirqd_ns",
				u64_array(&st->vec_ksoftirqd_ns[(size_t)v * st->ncpu], st->ncpu));
		json_object_set_new(vec, netcpu_vec_names[v], one);
	}
	json_object_set_new(o, "softirq", vec);
	if (st->ticks && st->tick_audit)
		json_object_set_new(o, "tick_audit", netcpu_ticks_json(st));
	if (st->vec_hist) {
		json_t *hist = json_object();

		for (unsigned v = 0; v < NETCPU_NR_VEC; v++) {
			const uint64_t *h = &st->vec_hist[(size_t)v * NETCPU_HIST_SLOTS];
			uint64_t sum = 0;

			for (unsigned k = 0; k < NETCPU_HIST_SLOTS; k++)
				sum += h[k];
			if (sum)
				json_object_set_new(hist, netcpu_vec_names[v],
						    record__log2_hist(h, NETCPU_HIST_SLOTS, "ns"));
		}
		json_object_set_new(o, "softirq_hist", hist);
	}
	json_object_set_new(o, "net_rx_ns", json_integer((json_int_t)st->net_rx_ns));
	json_object_set_new(o, "net_rx_attributed_ns",
			    json_integer((json_int_t)st->net_rx_attributed_ns));
	for (size_t i = 0; i < st->ndevs; i++) {
		const struct netcpu_dev *d = &st->devs[i];

		json_array_append_new(devs,
			json_pack("{ss ss ss ss sI sI sI sI sI sI}", "name", d->name,
				  "role", role_of(arg, d->netns_ino), "kind", d->kind,
				  "poll_fn", d->poll_fn, "netns_ino", (json_int_t)d->netns_ino,
				  "ifindex", (json_int_t)d->ifindex, "ns", (json_int_t)d->ns,
				  "backlog_ns", (json_int_t)d->backlog_ns,
				  "polls", (json_int_t)d->polls, "packets", (json_int_t)d->packets));
	}
	json_object_set_new(o, "net_rx_devices", devs);
	for (size_t i = 0; i < st->nirqs; i++)
		json_array_append_new(irqs, json_pack("{sI ss sI sI}", "irq",
						      (json_int_t)st->irqs[i].irq, "name",
						      st->irqs[i].name, "ns", (json_int_t)st->irqs[i].ns,
						      "count", (json_int_t)st->irqs[i].count));
	json_object_set_new(o, "hardirqs", irqs);
	for (size_t i = 0; i < st->ntasks; i++)
		json_array_append_new(tasks, json_pack("{sI sI}", "tid", (json_int_t)st->tasks[i].tid,
						       "irq_ns", (json_int_t)st->tasks[i].irq_ns));
	json_object_set_new(o, "task_irq", tasks);
	json_object_set_new(o, "overhead", netcpu_overhead(st));
	return o;
}

json_t *record__kernel_threads(const struct threads_snap *td, const struct netcpu_stats *st)
{
	json_t *list = json_array();

	for (size_t i = 0; i < td->n; i++) {
		const struct thread_cpu *t = &td->t[i];
		int cpu = t->kcpu;
		enum thread_kind kind = t->kind;
		json_t *tj = json_pack(
			"{sI ss ss ss sI sI sI}", "pid", (json_int_t)t->pid, "comm", t->comm,
			"kind", kind == THREAD_KIND_KSOFTIRQD ? "ksoftirqd" : "napi", "role",
			t->role, "cpu_ns", (json_int_t)t->cpu_ns, "utime_ticks",
			(json_int_t)t->utime_ticks, "stime_ticks", (json_int_t)t->stime_ticks);
		json_t *sj = json_null(), *oj = json_null();

		if (kind == THREAD_KIND_KSOFTIRQD)
			json_object_set_new(tj, "cpu", json_integer(cpu));
		/* only ksoftirqd/N is split: bpf knows which handler runs were in it, per CPU */
		if (kind == THREAD_KIND_KSOFTIRQD && st && st->vec_ksoftirqd_ns && cpu >= 0 &&
		    (unsigned)cpu < st->ncpu) {
			uint64_t in = 0;

			for (unsigned v = 0; v < NETCPU_NR_VEC; v++)
				in += st->vec_ksoftirqd_ns[(size_t)v * st->ncpu + (unsigned)cpu];
			json_decref(sj);
			json_decref(oj);
			sj = json_integer((json_int_t)in);
			oj = json_integer(t->cpu_ns > in ? (json_int_t)(t->cpu_ns - in) : 0);
		}
		json_object_set_new(tj, "softirq_ns", sj);
		json_object_set_new(tj, "outside_handlers_ns", oj);
		json_array_append_new(list, tj);
	}
	return json_pack(
		"{ss ss ss so}", "source",
		"schedstat and stat of /proc/PID (kernel threads ksoftirqd/N, napi/DEV-ID); "
		"softirq_ns: bpf softirq handler time that ran in the thread",
		"unit", "ns; utime/stime in USER_HZ ticks", "relation",
		"softirq_ns is already in collectors.bpf.softirq (and its NET_RX part in "
		"net_rx_devices): add only outside_handlers_ns to the role",
		"list", list);
}

json_t *record__hist_us(const struct iovb_hist *h)
{
	json_t *o = json_object(), *slots = json_array();

	json_object_set_new(o, "unit", json_string("us"));
	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	if (h->count) {
		json_object_set_new(o, "min", json_real((double)h->min / 1e3));
		json_object_set_new(o, "max", json_real((double)h->max / 1e3));
		json_object_set_new(o, "mean", json_real((double)h->sum / (double)h->count / 1e3));
		json_object_set_new(o, "p50", json_real((double)iovb_hist__quantile(h, 0.50) / 1e3));
		json_object_set_new(o, "p90", json_real((double)iovb_hist__quantile(h, 0.90) / 1e3));
		json_object_set_new(o, "p99", json_real((double)iovb_hist__quantile(h, 0.99) / 1e3));
		json_object_set_new(o, "p99_9",
				    json_real((double)iovb_hist__quantile(h, 0.999) / 1e3));
	}
	/* Non-empty slots as [lower bound ns, count] so the histogram can be redrawn. */
	for (unsigned i = 0; i < IOVB_HIST_SLOTS; i++)
		if (h->slot[i])
			json_array_append_new(slots, json_pack("[II]",
						(json_int_t)iovb_hist__slot_low(i), (json_int_t)h->slot[i]));
	json_object_set_new(o, "slots_ns", slots);
	return o;
}

double record__rel_stddev(const json_t *runs, const char *path)
{
	double sum = 0, sq = 0, v, mean;
	size_t i, k = 0;
	json_t *r;

	json_array_foreach(runs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "path")) ?: "", path) ||
		    strcmp(json_string_value(json_object_get(r, "status")) ?: "", "ok"))
			continue;
		v = json_number_value(json_object_get(json_object_get(r, "engine"),
						      "throughput_bps"));
		sum += v;
		sq += v * v;
		k++;
	}
	if (k < 2)
		return NAN;
	mean = sum / (double)k;
	v = (sq - (double)k * mean * mean) / (double)(k - 1);
	return mean > 0 ? sqrt(v > 0 ? v : 0) / mean : NAN;
}

const char *record__reps_stop(uint64_t rep, uint64_t reps, double max_stddev, uint64_t max_reps,
			      bool below)
{
	if (!max_stddev)
		return rep >= reps ? "reps" : NULL;
	if (rep >= reps && below)
		return "max-stddev";
	return rep >= max_reps ? "max-reps" : NULL;
}
