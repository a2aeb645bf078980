// SPDX-License-Identifier: GPL-2.0
/* TCP stream reassembly for the capture profiler (see iovb/tcpreasm.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iovb/tcpreasm.h"

struct tcp_seg {
	struct tcp_seg *next;
	uint32_t seq;
	uint32_t len; /* on the wire */
	uint32_t cap; /* captured, at data */
	uint64_t ts;
	uint8_t data[];
};

/* Sequence arithmetic modulo 2^32 (RFC 793): a - b as a signed distance. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/*
 * Hand [seq, seq + len) to the sink, of which the first `cap` bytes are at data; seq may lie
 * below nxt (an overlap): the part already delivered is skipped and counted as retransmitted.
 */
static void deliver(struct tcp_dir *d, uint32_t seq, const uint8_t *data, uint32_t cap,
		    uint32_t len, uint64_t ts, tcp_sink_fn sink, void *arg)
{
	int32_t behind = seq_diff(d->nxt, seq);
	bool start = true;
	uint32_t skip;

	if (behind > 0) {
		skip = (uint32_t)behind >= len ? len : (uint32_t)behind;
		d->retrans_bytes += skip;
		len -= skip;
		if (skip >= cap) {
			cap = 0;
		} else {
			data += skip;
			cap -= skip;
		}
		start = false;
	}
	if (!len)
		return;
	if (cap)
		sink(arg, data, cap, start, ts);
	if (len > cap) {
		sink(arg, NULL, len - cap, start && !cap, ts);
		d->cut_bytes += len - cap;
	}
	d->bytes += len;
	d->nxt += len;
}

/* Deliver held segments that now touch nxt; with force, jump the first hole as a gap. */
static void drain(struct tcp_dir *d, bool force, tcp_sink_fn sink, void *arg)
{
	struct tcp_seg *s;
	int32_t hole;

	while ((s = d->ooo)) {
		hole = seq_diff(s->seq, d->nxt);
		if (hole > 0) {
			if (!force)
				break;
			sink(arg, NULL, (uint32_t)hole, false, s->ts);
			d->gap_bytes += (uint32_t)hole;
			d->bytes += (uint32_t)hole;
			d->nxt = s->seq;
			force = false; /* one hole at a time: the next may fill in later */
		}
		d->ooo = s->next;
		d->ooo_count--;
		d->ooo_bytes -= s->cap;
		deliver(d, s->seq, s->data, s->cap, s->len, s->ts, sink, arg);
		free(s);
	}
}

static int hold(struct tcp_dir *d, uint32_t seq, const uint8_t *data, uint32_t cap, uint32_t len,
		uint64_t ts)
{
	struct tcp_seg *s, **pp;

	s = malloc(sizeof(*s) + cap);
	if (!s)
		return -ENOMEM;
	s->seq = seq;
	s->len = len;
	s->cap = cap;
	s->ts = ts;
	memcpy(s->data, data, cap);
	/* Usually appended near the end; the list stays short as holes fill quickly. */
	for (pp = &d->ooo; *pp && seq_diff((*pp)->seq, seq) <= 0; pp = &(*pp)->next)
		;
	s->next = *pp;
	*pp = s;
	d->ooo_count++;
	d->ooo_bytes += cap;
	return 0;
}

int tcp_dir__segment(struct tcp_dir *d, uint32_t seq, const uint8_t *data, uint32_t cap,
		     uint32_t len, bool syn, uint64_t ts, tcp_sink_fn sink, void *arg)
{
	int32_t ahead;
	int err = 0;

	if (syn)
		seq++; /* data, if any, follows the SYN's sequence number */
	if (!d->started) {
		d->started = true;
		d->nxt = seq;
	}
	if (cap > len)
		cap = len;
	if (!len)
		goto cleanup;
	ahead = seq_diff(seq, d->nxt);
	if (ahead > 0) {
		err = hold(d, seq, data, cap, len, ts);
		if (err)
			goto cleanup;
		while (d->ooo_count > TCP_OOO_MAX_SEGS || d->ooo_bytes > TCP_OOO_MAX_BYTES)
			drain(d, true, sink, arg);
		goto cleanup;
	}
	if (-(int64_t)ahead >= (int64_t)len) {
		d->retrans_bytes += len;
		goto cleanup;
	}
	deliver(d, seq, data, cap, len, ts, sink, arg);
	drain(d, false, sink, arg);
cleanup:
	return err;
}

void tcp_dir__flush(struct tcp_dir *d, tcp_sink_fn sink, void *arg)
{
	while (d->ooo)
		drain(d, true, sink, arg);
}

void tcp_dir__clear(struct tcp_dir *d)
{
	struct tcp_seg *s;

	while ((s = d->ooo)) {
		d->ooo = s->next;
		free(s);
	}
	d->ooo_count = 0;
	d->ooo_bytes = 0;
}
