/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire collector: what crossed chosen interfaces during the window, from a libpcap capture of
 * headers only (snaplen, default 128 bytes) taken by a capture thread: packets and bytes per
 * direction, a log2 histogram of packet sizes (GSO/GRO super-packets show up as 32-64 KiB),
 * TCP payload bytes, TCP retransmissions (per-flow sequence tracking) and libpcap's own drop
 * counts. The capture is one "any" handle in LINUX_SLL2 framing in the interfaces' netns,
 * filtered in the kernel by ifindex, so one handle serves every interface and each packet
 * says its direction.
 *
 * Needs CAP_NET_RAW (and CAP_SYS_ADMIN to enter another netns). Library code: never prints;
 * errors come back as -errno plus a message in the caller's buffer.
 */
#ifndef IOVB_WIRE_H
#define IOVB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAX_IFS 8
#define WIRE_HIST_SLOTS 20 /* packet sizes: bucket k = [2^k, 2^(k+1)) bytes, the last open */
#define WIRE_DEFAULT_SNAPLEN 128
#define WIRE_FLOWS 4096 /* TCP flows tracked per window (per interface and direction) */

enum wire_dirn { WIRE_RX, WIRE_TX, WIRE_NDIR };

struct wire_conf {
	const char *ifaces;    /* comma-separated interface names, at most WIRE_MAX_IFS */
	const char *netns;     /* a name under /run/netns, or NULL for the caller's own */
	unsigned snaplen;      /* bytes kept per packet; 0: WIRE_DEFAULT_SNAPLEN */
	const char *pcap_path; /* keep the capture (pcap, LINUX_SLL2), or NULL */
};

struct wire_dir {
	uint64_t packets;
	uint64_t bytes; /* IP packet lengths (L3); the frame length for non-IP */
	uint64_t tcp_packets;
	uint64_t tcp_payload_bytes; /* IP length - IP header - TCP header, per TCP segment */
	uint64_t retrans_packets;   /* TCP segments with payload starting below the flow's highest
				       sequence seen (repeats, in whole or in part) */
	uint64_t retrans_bytes;
	uint64_t size_hist[WIRE_HIST_SLOTS]; /* L3 lengths */
};

struct wire_if {
	char name[16];
	uint32_t ifindex;
	struct wire_dir dir[WIRE_NDIR];
};

struct wire_stats {
	char netns[64]; /* "" for the caller's own */
	unsigned snaplen;
	size_t nifs;
	struct wire_if ifs[WIRE_MAX_IFS];
	uint64_t window_ns;	  /* start -> stop, CLOCK_MONOTONIC */
	uint64_t pcap_received;	  /* pcap_stats ps_recv: packets that passed the filter */
	uint64_t pcap_dropped;	  /* ps_drop: dropped by the kernel, ring full: figures are low */
	uint64_t truncated;	  /* packets whose IP/TCP headers did not fit in snaplen */
	uint64_t flows;		  /* TCP flows seen */
	uint64_t flows_untracked; /* segments of flows the table had no room for (no retrans check)
				   */
	uint64_t thread_cpu_ns;	  /* the capture thread's CPU time in the window */
	char pcap_path[4096];	  /* "" when not kept */
};

struct wire;

/*
 * Check the configuration and that a capture can be opened (interfaces exist in the netns,
 * privileges): nothing is captured until wire__start. NULL with errno set, and a one-line
 * reason in err (EPERM: needs root / CAP_NET_RAW).
 */
struct wire *wire__open(const struct wire_conf *conf, char *err, size_t errlen);
/* Open the window: start the capture thread, return once it captures. 0 or -errno (reason in
 * the err buffer given to wire__open). */
int wire__start(struct wire *w);
/* Close the window: drain, read pcap's counters, stop the thread, fill *out. 0 or -errno. */
int wire__stop(struct wire *w, struct wire_stats *out);
/* Why the last start or stop failed ("" if it did not). */
const char *wire__error(const struct wire *w);
/* Stop if running and free. NULL-safe. */
void wire__close(struct wire *w);

/* Bucket of a size histogram: floor(log2(v)), 0 for v <= 1, clamped to WIRE_HIST_SLOTS - 1. */
unsigned wire__hist_slot(uint64_t v);

/*
 * Account one captured frame (LINUX_SLL2 framing: 20-byte header, then the network layer) of
 * original length len with caplen bytes at data. Exposed for tests; the capture thread calls it.
 * Returns 1 if it was counted, 0 if its interface is not one of ours.
 */
struct wire_acct;
struct wire_acct *wire_acct__new(const struct wire_stats *ifs);
int wire_acct__packet(struct wire_acct *a, const uint8_t *data, uint32_t caplen, uint32_t len);
/* Copy the counts into *out (the interfaces, truncated, flows); other fields are left alone. */
void wire_acct__read(const struct wire_acct *a, struct wire_stats *out);
void wire_acct__free(struct wire_acct *a);

#endif
