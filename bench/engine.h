/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench engine: an SMB2-framed bulk transfer server and client (MS-SMB2 framing: NEGOTIATE,
 * READ, WRITE). Not an SMB server: no authentication, synthetic file contents, no filesystem
 * access. All state lives in the structs passed in; nothing here prints.
 *
 * The synthetic file's byte at offset `off` is engine__pattern_byte(off): little-endian 8-byte
 * words splitmix64((off / 8) mod 32771), so the content repeats every ENGINE_PATTERN_PERIOD
 * (8 x 32771 bytes, a prime number of words) and both ends serve it by reference from one
 * buffer. --verify catches any corrupted byte and any misplaced block unless it moved by a
 * multiple of that period (for a power-of-two I/O size: by a multiple of 32771 I/Os).
 */
#ifndef IOVB_ENGINE_H
#define IOVB_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "iovb/hist.h"

enum engine_workload {
	ENGINE_READ = 0, /* server -> client: copying a file from the share */
	ENGINE_WRITE,	 /* client -> server: copying a file to the share */
	ENGINE_MIXED,	 /* both, interleaved by engine_client_conf.read_pct */
};

#define ENGINE_PATTERN_PERIOD (8u * 32771u)

struct engine_server_conf {
	int listen_fd;          /* from engine__listen() */
	uint32_t max_io_size;   /* largest READ/WRITE the server grants (MaxRead/WriteSize) */
	/*
	 * Check every WRITE byte against the pattern; a WRITE with a wrong byte is answered with
	 * STATUS_DATA_ERROR whose ErrorData is the file offset of its first wrong byte (8 bytes,
	 * little-endian). READ data is always the pattern; the client checks it.
	 */
	bool verify;
	/*
	 * Tests only: corrupt the byte at file offset corrupt_at, as a bad wire or disk would:
	 * READ responses covering it carry it flipped, and a WRITE covering it is taken as wrong
	 * there (when verify is set).
	 */
	bool corrupt;
	uint64_t corrupt_at;
};

struct engine_client_conf {
	struct sockaddr_storage server;
	socklen_t server_len;
	enum engine_workload workload;
	uint32_t io_size;       /* bytes per READ or WRITE */
	uint32_t depth;         /* requests in flight (credits used) */
	uint64_t bytes;         /* bytes to copy (both directions together for mixed) */
	/*
	 * ENGINE_MIXED: percent of I/Os that are READs, 0..100. I/O number i (each covering the
	 * next io_size bytes of the file) is a READ when (i * read_pct) mod 100 < read_pct: exactly
	 * read_pct in every 100 consecutive I/Os, evenly spread, the same every run.
	 */
	uint32_t read_pct;
	/* Check every byte of READ data against the pattern; a mismatch is status -EBADMSG. */
	bool verify;
	uint64_t timeout_ns;    /* give up (status "aborted") after this long; 0 = no limit */
	/* Called about every 100 ms from the client loop with bytes done so far; may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct engine_result {
	uint64_t bytes;         /* payload moved by completed I/Os: read_bytes + write_bytes */
	uint64_t read_bytes;    /* payload received in READ responses */
	uint64_t write_bytes;   /* payload of WRITEs the server acknowledged */
	uint64_t ios;           /* completed READs and WRITEs */
	uint64_t wire_bytes;    /* bytes received on the socket, framing included */
	uint64_t wire_tx_bytes; /* bytes sent on the socket, framing included */
	uint64_t start_ns;      /* CLOCK_MONOTONIC when the first request was sent */
	uint64_t end_ns;        /* when the last response was complete */
	struct iovb_hist latency_ns; /* per I/O: request fully sent -> response fully received */
	/*
	 * 0 ok, else -errno of what stopped the copy. -EBADMSG with bad_offset set: verification
	 * failed, bad_offset is the file offset of the first wrong byte (READ data checked here,
	 * WRITE data as the server reported it).
	 */
	int status;
	uint64_t bad_offset;
	char error[128];        /* one line when status != 0 */
};

/* Bind and listen on addr (IPv4 or IPv6 literal) and port; returns the fd or -errno. */
int engine__listen(const char *addr, uint16_t port);

/*
 * Serve connections on conf->listen_fd until *stop becomes non-zero (checked at least every
 * 200 ms). Each connection is handled independently; a malformed PDU drops that connection
 * only. Returns 0 or -errno of a fatal error (e.g. epoll failure).
 */
int engine__serve(const struct engine_server_conf *conf, volatile sig_atomic_t *stop);

/*
 * Connect, NEGOTIATE/... as needed, then copy conf->bytes with conf->depth I/Os in flight.
 * Fills *res (also on failure: what was measured until then). Returns 0 or res->status.
 */
int engine__client(const struct engine_client_conf *conf, struct engine_result *res);

/* Byte `off` of the synthetic file (see the top of this file). */
uint8_t engine__pattern_byte(uint64_t off);

/* Fill a sockaddr from "ADDR" and port. 0 or -EINVAL. */
int engine__addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

/*
 * The document `iovbench load --json` prints for a copy to target ("ADDR:PORT", as given):
 * conf and res as the keys of docs/man/iovbench-load.1 (cmd_engine.c). A new reference.
 */
struct json_t;
struct json_t *engine__load_json(const char *target, const struct engine_client_conf *conf,
				 const struct engine_result *res);

#endif
