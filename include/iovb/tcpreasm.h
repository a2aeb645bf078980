/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One direction of a TCP connection put back in sequence order, for a capture reader. Segments
 * go in as captured (possibly cut by the snaplen, retransmitted, overlapping, out of order, or
 * GSO/GRO super-packets of any size); the byte stream comes out in order through a sink, as
 * runs of present bytes and runs of missing ones (known to exist from the segment lengths but
 * not captured). Nothing here prints; counters say what was seen.
 */
#ifndef IOVB_TCPREASM_H
#define IOVB_TCPREASM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Receives the stream in order. data is NULL for len missing bytes. seg_start: these bytes
 * begin a segment as it was sent (a place where an application PDU often starts). ts: the
 * capture time of the segment, ns.
 */
typedef void (*tcp_sink_fn)(void *arg, const uint8_t *data, uint32_t len, bool seg_start,
			    uint64_t ts);

struct tcp_seg;

struct tcp_dir {
	bool started;
	uint32_t nxt;	     /* next sequence number the sink expects */
	struct tcp_seg *ooo; /* segments beyond nxt, by sequence number */
	uint32_t ooo_count;
	uint64_t ooo_bytes;	/* captured bytes held in ooo */
	uint64_t bytes;		/* stream bytes delivered (present and missing) */
	uint64_t cut_bytes;	/* of those, cut off by the snaplen */
	uint64_t gap_bytes;	/* of those, never seen in any segment (lost by the capture) */
	uint64_t retrans_bytes; /* bytes seen again (retransmitted or overlapping) */
};

/* Held out-of-order segments beyond these limits are given up on: the hole becomes a gap. */
#define TCP_OOO_MAX_SEGS 4096
#define TCP_OOO_MAX_BYTES (64u << 20)

/*
 * One captured segment: seq as on the wire, `cap` captured payload bytes at data out of `len`
 * on the wire, SYN flag. Returns 0 or -ENOMEM (then the segment counts as a gap later).
 */
int tcp_dir__segment(struct tcp_dir *d, uint32_t seq, const uint8_t *data, uint32_t cap,
		     uint32_t len, bool syn, uint64_t ts, tcp_sink_fn sink, void *arg);

/* End of capture: deliver what is held, holes as gaps. */
void tcp_dir__flush(struct tcp_dir *d, tcp_sink_fn sink, void *arg);

/* Free what is held, without delivering it. */
void tcp_dir__clear(struct tcp_dir *d);

#endif
