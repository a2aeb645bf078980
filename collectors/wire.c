// SPDX-License-Identifier: GPL-2.0
/*
 * wire collector: a libpcap capture thread over the window. One "any" handle in the
 * interfaces' netns, LINUX_SLL2 framing (which carries the ifindex and the packet type, so
 * the direction), a kernel filter on the chosen ifindexes, headers only. Each packet within
 * the window (by its kernel timestamp) is counted by wire_acct, and dumped with --pcap.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include "iovb/errf.h"
#include "iovb/wire.h"

#define SLL2_HDR_LEN 20
#define SLL2_OUTGOING 4	   /* PACKET_OUTGOING in sll2_pkttype */
#define WIRE_TIMEOUT_MS 10 /* TPACKET_V3 block retire timeout: how stale a partial block gets */
#define WIRE_DRAIN_MS 60   /* after stop, keep reading this long: blocks in flight retire */
/*
 * The TPACKET_V3 ring. Allocated, mapped and torn down with every capture (each window): at
 * 32 MiB that alone cost the capture thread about 40 ms per window on the test VM. 8 MiB
 * holds over a second of headers at this collector's rates (28k packets/s on pv, about 200
 * bytes each in the ring) and 80 ms at 500k packets/s; what overflows is pcap.dropped.
 */
#define WIRE_BUFFER (8 << 20)

struct flow_key {
	uint32_t ifindex;
	uint8_t dir;
	uint8_t family;
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
};

struct flow {
	struct flow_key key;
	bool used;
	uint32_t next_seq; /* highest seq + payload seen */
};

struct wire_acct {
	struct wire_stats st;
	struct flow *flows; /* [WIRE_FLOWS], open addressing */
};

struct wire {
	char ifnames[WIRE_MAX_IFS][IF_NAMESIZE];
	size_t nifs;
	char netns[64];
	unsigned snaplen;
	char pcap_path[4096];
	char err[256];

	/* one window */
	pthread_t th;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0 starting, 1 capturing, < 0 failed (-errno) */
	atomic_int quit;
	uint64_t start_real, stop_real; /* CLOCK_REALTIME ns: the window, as packets are stamped */
	uint64_t start_mono, stop_mono;
	uint64_t cpu_ns;
	struct pcap_stat ps;
	bool ps_ok;
	bool failed; /* the capture broke off before stop */
	struct wire_acct *acct;
};

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

unsigned wire__hist_slot(uint64_t v)
{
	unsigned k = 0;

	while (v > 1 && k < WIRE_HIST_SLOTS - 1) {
		v >>= 1;
		k++;
	}
	return k;
}

/* ---- accounting (no libpcap: unit-tested on hand-made frames) ------------------------ */

struct wire_acct *wire_acct__new(const struct wire_stats *ifs)
{
	struct wire_acct *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->flows = calloc(WIRE_FLOWS, sizeof(*a->flows));
	if (!a->flows) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->st.nifs = ifs->nifs < WIRE_MAX_IFS ? ifs->nifs : WIRE_MAX_IFS;
	for (size_t i = 0; i < a->st.nifs; i++) {
		memcpy(a->st.ifs[i].name, ifs->ifs[i].name, sizeof(a->st.ifs[i].name));
		a->st.ifs[i].ifindex = ifs->ifs[i].ifindex;
	}
	return a;
}

void wire_acct__free(struct wire_acct *a)
{
	if (!a)
		return;
	free(a->flows);
	free(a);
}

void wire_acct__read(const struct wire_acct *a, struct wire_stats *out)
{
	out->nifs = a->st.nifs;
	memcpy(out->ifs, a->st.ifs, sizeof(out->ifs));
	out->truncated = a->st.truncated;
	out->flows = a->st.flows;
	out->flows_untracked = a->st.flows_untracked;
}

static uint32_t flow_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The flow's entry (new ones start at seq), or NULL when the table is full. */
static struct flow *flow_get(struct wire_acct *a, const struct flow_key *k, uint32_t seq,
			     bool *is_new)
{
	uint32_t h = flow_hash(k);

	*is_new = false;
	for (uint32_t i = 0; i < WIRE_FLOWS; i++) {
		struct flow *f = &a->flows[(h + i) % WIRE_FLOWS];

		if (!f->used) {
			f->used = true;
			f->key = *k;
			f->next_seq = seq;
			a->st.flows++;
			*is_new = true;
			return f;
		}
		if (!memcmp(&f->key, k, sizeof(*k)))
			return f;
	}
	return NULL;
}

static void tcp_seq(struct wire_acct *a, struct wire_dir *d, struct flow_key *k, uint32_t seq,
		    uint64_t payload)
{
	struct flow *f;
	uint32_t end = seq + (uint32_t)payload;
	bool is_new;

	f = flow_get(a, k, seq, &is_new);
	if (!f) {
		a->st.flows_untracked++;
		return;
	}
	if (!payload)
		return;
	/* serial-number arithmetic (RFC 1982): a start below the highest end seen is a repeat */
	if (!is_new && (int32_t)(seq - f->next_seq) < 0) {
		d->retrans_packets++;
		d->retrans_bytes += payload;
	}
	if (is_new || (int32_t)(end - f->next_seq) > 0)
		f->next_seq = end;
}

int wire_acct__packet(struct wire_acct *a, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	const uint8_t *l3, *tcp;
	struct flow_key k;
	struct wire_dir *d = NULL;
	uint32_t ifindex, l3cap, l3len, iplen, ihl = 0, doff;
	uint16_t proto, frag;
	uint8_t ipproto = 0;
	size_t i;

	if (caplen < SLL2_HDR_LEN || len < SLL2_HDR_LEN)
		return 0;
	proto = be16(data);
	ifindex = be32(data + 4);
	for (i = 0; i < a->st.nifs; i++)
		if (a->st.ifs[i].ifindex == ifindex)
			break;
	if (i == a->st.nifs)
		return 0;
	memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.dir = data[10] == SLL2_OUTGOING ? WIRE_TX : WIRE_RX;
	d = &a->st.ifs[i].dir[k.dir];
	l3 = data + SLL2_HDR_LEN;
	l3cap = caplen - SLL2_HDR_LEN;
	l3len = len - SLL2_HDR_LEN;
	iplen = l3len;
	if (proto == 0x0800) {
		if (l3cap < 20 || (l3[0] >> 4) != 4) {
			a->st.truncated++;
		} else {
			ihl = (l3[0] & 0xf) * 4u;
			/* 0 in a GSO super-packet beyond 64 KiB (BIG TCP): the frame says */
			iplen = be16(l3 + 2) ? be16(l3 + 2) : l3len;
			frag = be16(l3 + 6) & 0x1fff;
			ipproto = frag ? 0 : l3[9];
			k.family = 4;
			memcpy(k.saddr, l3 + 12, 4);
			memcpy(k.daddr, l3 + 16, 4);
		}
	} else if (proto == 0x86DD) {
		if (l3cap < 40) {
			a->st.truncated++;
		} else {
			ihl = 40;
			iplen = be16(l3 + 4) ? be16(l3 + 4) + 40u : l3len;
			ipproto =
				l3[6]; /* extension headers are not followed: not counted as TCP */
			k.family = 6;
			memcpy(k.saddr, l3 + 8, 16);
			memcpy(k.daddr, l3 + 24, 16);
		}
	}
	d->packets++;
	d->bytes += iplen;
	d->size_hist[wire__hist_slot(iplen)]++;
	if (ipproto != 6)
		return 1;
	if (l3cap < ihl + 20) {
		a->st.truncated++;
		return 1;
	}
	tcp = l3 + ihl;
	doff = (tcp[12] >> 4) * 4u;
	d->tcp_packets++;
	if (iplen < ihl + doff)
		return 1;
	d->tcp_payload_bytes += iplen - ihl - doff;
	k.sport = be16(tcp);
	k.dport = be16(tcp + 2);
	tcp_seq(a, d, &k, be32(tcp + 4), iplen - ihl - doff);
	return 1;
}

/* ---- capture ------------------------------------------------------------------------- */

/* Enter the netns (this thread only), open and filter the capture; fill ifindexes in *ifs. */
static pcap_t *cap_open(const struct wire *w, struct wire_stats *ifs, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", filter[WIRE_MAX_IFS * 24] = "", path[128];
	struct bpf_program prog;
	pcap_t *p = NULL;
	size_t off = 0;
	int fd, ret = 0;

	if (w->netns[0]) {
		snprintf(path, sizeof(path), "/run/netns/%s", w->netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			ret = -errno;
			iovb_errf(err, errlen, "wire: cannot enter netns %s: %s%s", w->netns,
				  strerror(-ret),
				  ret == -EPERM ? " (needs root / CAP_SYS_ADMIN)" : "");
			if (fd >= 0)
				close(fd);
			goto cleanup;
		}
		close(fd);
	}
	ifs->nifs = w->nifs;
	for (size_t i = 0; i < w->nifs; i++) {
		snprintf(ifs->ifs[i].name, sizeof(ifs->ifs[i].name), "%s", w->ifnames[i]);
		ifs->ifs[i].ifindex = if_nametoindex(w->ifnames[i]);
		if (!ifs->ifs[i].ifindex) {
			ret = -ENODEV;
			iovb_errf(err, errlen, "wire: no interface %s in %s%s", w->ifnames[i],
				  w->netns[0] ? "netns " : "this netns", w->netns);
			goto cleanup;
		}
		off += (size_t)snprintf(filter + off, sizeof(filter) - off, "%sifindex %u",
					i ? " or " : "", ifs->ifs[i].ifindex);
	}
	p = pcap_create("any", ebuf);
	if (!p) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "wire: pcap_create: %s", ebuf);
		goto cleanup;
	}
	pcap_set_snaplen(p, (int)w->snaplen);
	pcap_set_timeout(p, WIRE_TIMEOUT_MS);
	pcap_set_buffer_size(p, WIRE_BUFFER);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	ret = pcap_activate(p);
	if (ret < 0) {
		iovb_errf(err, errlen, "wire: cannot capture on %s: %s%s", w->ifnames[0],
			  pcap_geterr(p),
			  ret == PCAP_ERROR_PERM_DENIED ? " (needs root / CAP_NET_RAW)" : "");
		ret = ret == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
		goto cleanup;
	}
	ret = 0;
	if (pcap_set_datalink(p, DLT_LINUX_SLL2) || pcap_setnonblock(p, 1, ebuf)) {
		ret = -EOPNOTSUPP;
		iovb_errf(err, errlen, "wire: libpcap cannot give LINUX_SLL2 framing: %s",
			  pcap_geterr(p));
		goto cleanup;
	}
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "wire: filter '%s': %s", filter, pcap_geterr(p));
		goto cleanup;
	}
	ret = pcap_setfilter(p, &prog) ? -EIO : 0;
	pcap_freecode(&prog);
	if (ret)
		iovb_errf(err, errlen, "wire: setting the filter: %s", pcap_geterr(p));
cleanup:
	if (ret && p) {
		pcap_close(p);
		p = NULL;
	}
	if (ret)
		errno = -ret;
	return p;
}

struct cap_ctx {
	struct wire *w;
	pcap_dumper_t *dump;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cap_ctx *c = (struct cap_ctx *)user;
	struct wire *w = c->w;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;

	/* the window is the packets' kernel timestamps, not when this thread got to them */
	if (ts < w->start_real)
		return;
	if (atomic_load(&w->quit) && ts > w->stop_real)
		return;
	if (c->dump)
		pcap_dump((u_char *)c->dump, h, bytes);
	wire_acct__packet(w->acct, bytes, h->caplen, h->len);
}

static void set_state(struct wire *w, int state)
{
	pthread_mutex_lock(&w->lock);
	w->state = state;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *cap_thread(void *arg)
{
	struct wire *w = arg;
	struct cap_ctx c = { .w = w };
	struct wire_stats ifs = { 0 };
	struct pollfd pfd = { .events = POLLIN };
	uint64_t cpu0;
	pcap_t *p;
	int n;

	p = cap_open(w, &ifs, w->err, sizeof(w->err));
	if (!p) {
		set_state(w, -errno);
		return NULL;
	}
	w->acct = wire_acct__new(&ifs);
	if (w->pcap_path[0]) {
		c.dump = pcap_dump_open(p, w->pcap_path);
		if (!c.dump)
			iovb_errf(w->err, sizeof(w->err), "wire: cannot write %s: %s", w->pcap_path,
				  pcap_geterr(p));
	}
	if (!w->acct || (w->pcap_path[0] && !c.dump)) {
		pcap_close(p);
		if (!w->acct)
			iovb_errf(w->err, sizeof(w->err), "wire: out of memory");
		set_state(w, w->acct ? -EIO : -ENOMEM);
		return NULL;
	}
	pfd.fd = pcap_get_selectable_fd(p);
	/* a command the caller forks must not keep the capture socket alive */
	fcntl(pfd.fd, F_SETFD, FD_CLOEXEC);
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	w->start_real = clock_ns(CLOCK_REALTIME);
	w->start_mono = clock_ns(CLOCK_MONOTONIC);
	set_state(w, 1);
	for (;;) {
		poll(&pfd, 1, WIRE_TIMEOUT_MS);
		n = pcap_dispatch(p, -1, on_packet, (u_char *)&c);
		if (n < 0) {
			/* the figures stop here: wire__stop reports it rather than short counts */
			iovb_errf(w->err, sizeof(w->err), "wire: capture failed: %s",
				  pcap_geterr(p));
			w->failed = true;
			break;
		}
		/* after stop: read on until blocks that were being filled have retired */
		if (atomic_load(&w->quit) && n == 0 &&
		    clock_ns(CLOCK_MONOTONIC) > w->stop_mono + WIRE_DRAIN_MS * 1000000ULL)
			break;
	}
	w->ps_ok = pcap_stats(p, &w->ps) == 0;
	if (c.dump)
		pcap_dump_close(c.dump);
	pcap_close(p);
	w->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	return NULL;
}

struct probe {
	struct wire *w;
	int ret;
};

static void *probe_thread(void *arg)
{
	struct probe *pr = arg;
	struct wire_stats ifs = { 0 };
	pcap_t *p = cap_open(pr->w, &ifs, pr->w->err, sizeof(pr->w->err));

	pr->ret = p ? 0 : -errno;
	if (p)
		pcap_close(p);
	return NULL;
}

struct wire *wire__open(const struct wire_conf *conf, char *err, size_t errlen)
{
	struct probe pr = { 0 };
	char list[WIRE_MAX_IFS * IF_NAMESIZE + 64], *tok, *save = NULL;
	struct wire *w = NULL;
	pthread_t th;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!conf || !conf->ifaces || !*conf->ifaces || strlen(conf->ifaces) >= sizeof(list)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "wire: no interfaces given");
		goto cleanup;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "wire: out of memory");
		goto cleanup;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->snaplen = conf->snaplen ? conf->snaplen : WIRE_DEFAULT_SNAPLEN;
	if (w->snaplen < 64 || w->snaplen > 65535) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "wire: snaplen %u: 64 to 65535", w->snaplen);
		goto cleanup;
	}
	if (conf->netns && (strlen(conf->netns) >= sizeof(w->netns) || strchr(conf->netns, '/'))) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "wire: bad netns name '%s'", conf->netns);
		goto cleanup;
	}
	snprintf(w->netns, sizeof(w->netns), "%s", conf->netns ? conf->netns : "");
	snprintf(w->pcap_path, sizeof(w->pcap_path), "%s", conf->pcap_path ? conf->pcap_path : "");
	strcpy(list, conf->ifaces);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (w->nifs == WIRE_MAX_IFS || strlen(tok) >= IF_NAMESIZE) {
			ret = -EINVAL;
			iovb_errf(err, errlen,
				  "wire: '%s': at most %d interfaces of < %d characters",
				  conf->ifaces, WIRE_MAX_IFS, IF_NAMESIZE);
			goto cleanup;
		}
		snprintf(w->ifnames[w->nifs++], IF_NAMESIZE, "%s", tok);
	}
	if (!w->nifs) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "wire: no interfaces given");
		goto cleanup;
	}
	/* a trial open in a throwaway thread: setns never touches the caller's namespace */
	pr.w = w;
	ret = -pthread_create(&th, NULL, probe_thread, &pr);
	if (ret) {
		iovb_errf(err, errlen, "wire: thread: %s", strerror(-ret));
		goto cleanup;
	}
	pthread_join(th, NULL);
	ret = pr.ret;
	if (ret)
		iovb_errf(err, errlen, "%s", w->err);
cleanup:
	if (ret) {
		wire__close(w);
		w = NULL;
		errno = -ret;
	}
	return w;
}

int wire__start(struct wire *w)
{
	int err = 0;

	if (!w || w->running) {
		err = -EINVAL;
		goto cleanup;
	}
	w->err[0] = '\0';
	w->state = 0;
	atomic_store(&w->quit, 0);
	w->ps_ok = false;
	w->failed = false;
	wire_acct__free(w->acct);
	w->acct = NULL;
	err = -pthread_create(&w->th, NULL, cap_thread, w);
	if (err) {
		iovb_errf(w->err, sizeof(w->err), "wire: thread: %s", strerror(-err));
		goto cleanup;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->state)
		pthread_cond_wait(&w->cond, &w->lock);
	err = w->state < 0 ? w->state : 0;
	pthread_mutex_unlock(&w->lock);
	if (err) {
		pthread_join(w->th, NULL);
		goto cleanup;
	}
	w->running = true;
cleanup:
	return err;
}

int wire__stop(struct wire *w, struct wire_stats *out)
{
	int err = 0;

	if (!w || !out || !w->running) {
		err = -EINVAL;
		goto cleanup;
	}
	w->stop_real = clock_ns(CLOCK_REALTIME);
	w->stop_mono = clock_ns(CLOCK_MONOTONIC);
	atomic_store(&w->quit, 1);
	pthread_join(w->th, NULL);
	w->running = false;
	memset(out, 0, sizeof(*out));
	wire_acct__read(w->acct, out);
	snprintf(out->netns, sizeof(out->netns), "%s", w->netns);
	snprintf(out->pcap_path, sizeof(out->pcap_path), "%s", w->pcap_path);
	out->snaplen = w->snaplen;
	out->window_ns = w->stop_mono - w->start_mono;
	out->thread_cpu_ns = w->cpu_ns;
	if (w->failed) {
		err = -EIO;
	} else if (w->ps_ok) {
		out->pcap_received = w->ps.ps_recv;
		out->pcap_dropped = w->ps.ps_drop;
	} else {
		err = -EIO;
		iovb_errf(w->err, sizeof(w->err), "wire: pcap_stats failed: drops unknown");
	}
cleanup:
	return err;
}

const char *wire__error(const struct wire *w)
{
	return w ? w->err : "";
}

void wire__close(struct wire *w)
{
	struct wire_stats st;

	if (!w)
		return;
	if (w->running)
		wire__stop(w, &st);
	wire_acct__free(w->acct);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
