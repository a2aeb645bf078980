/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture profiles: what an SMB2 client did on the wire, read from a pcap or pcapng file
 * (optionally gzip-compressed) through libpcap, and the engine workload that replays it.
 *
 * Each TCP direction is reassembled by sequence number; the NetBIOS/Direct TCP framing gives
 * the SMB2 PDU boundaries, so payload the snaplen cut off is skipped by length. Every READ and
 * WRITE becomes one I/O (known from its request, its response, or both, matched by MessageId),
 * and the figures (counts, bytes, I/O sizes, offsets, requests in flight, credits) are computed
 * from those I/Os once the capture is read. The JSON document is described in docs/profile.md.
 */
#ifndef IOVB_PROFILE_H
#define IOVB_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define IOVB_PROFILE_SCHEMA 1

struct iovb_profile;

/* An empty profile, or NULL (errno set). */
struct iovb_profile *profile__new(void);
void profile__free(struct iovb_profile *p);

/*
 * Read a capture file into p (once per profile). 0, or -errno with one line in err: -ENOENT and
 * friends when the file cannot be opened, -EINVAL when it is not a capture libpcap reads, is
 * truncated or corrupt, or has a link type other than Ethernet, Linux SLL/SLL2, raw IP or
 * BSD loopback; -ENOMEM.
 */
int profile__read_file(struct iovb_profile *p, const char *path, char *err, size_t errlen);

/* The same over an open stream (closed by this call, also on failure); name is for messages. */
int profile__read_fp(struct iovb_profile *p, FILE *fp, const char *name, char *err, size_t errlen);

/*
 * The profile as a JSON document (new reference, NULL on ENOMEM): schema, capture summary and
 * conversations[] with client, server, read/write figures, other commands, TCP payload bytes
 * per direction and durations. Only conversations that carried SMB2 are listed.
 */
json_t *profile__json(const struct iovb_profile *p);

/* The engine workload a profile describes. */
enum iovb_wl_kind {
	IOVB_WL_READ = 0,
	IOVB_WL_WRITE,
	IOVB_WL_MIXED,
};

#define IOVB_WL_SIZES 8

struct iovb_workload {
	enum iovb_wl_kind kind;
	uint32_t read_pct; /* percent of I/Os that are READs (mixed) */
	uint32_t io_size;  /* the dominant I/O size (most I/Os), bytes */
	uint32_t depth;	   /* the largest number of READs/WRITEs in flight */
	uint64_t bytes;	   /* READ + WRITE bytes requested */
	uint64_t ios;	   /* READs + WRITEs */
	uint32_t nsizes;   /* the most frequent I/O sizes, most frequent first */
	struct {
		uint32_t size;
		uint64_t count;
	} sizes[IOVB_WL_SIZES];
};

/*
 * The workload of a profile document (profile__json's, or a file written by `iovbench profile
 * -o`): all conversations together. -EINVAL with a reason in err when the document is not a
 * profile or holds no READ or WRITE.
 */
int profile__workload(const json_t *doc, struct iovb_workload *wl, char *err, size_t errlen);

/* The same from a PROFILE.json file (plain or gzip). */
int profile__workload_file(const char *path, struct iovb_workload *wl, char *err, size_t errlen);

#define IOVB_WL_CMD_READ 1u
#define IOVB_WL_CMD_WRITE 2u

/*
 * The workload of only the READs or only the WRITEs (cmds: IOVB_WL_CMD_*): their count, bytes,
 * sizes and their own max_in_flight as the depth (both: as profile__workload). -EINVAL when the
 * profile holds none of them.
 */
int profile__workload_cmds(const json_t *doc, unsigned int cmds, struct iovb_workload *wl,
			   char *err, size_t errlen);
int profile__workload_file_cmds(const char *path, unsigned int cmds, struct iovb_workload *wl,
				char *err, size_t errlen);

#endif
