/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench engine: an SMB2-framed bulk transfer server and client (MS-SMB2 framing: NEGOTIATE,
 * CREATE, READ, WRITE, CLOSE, STATUS_PENDING interim responses). Not an SMB server: no
 * authentication (no SESSION_SETUP or TREE_CONNECT: fixed SessionId and TreeId), synthetic file
 * contents, no filesystem access. All state lives in the structs passed in; nothing here prints
 * (the server reports through its log callback). See docs/engine.md.
 *
 * Each client connection opens its own file, ENGINE_FILE_NAME with the connection's index
 * (CREATE), moves its share of the I/Os with that FileId and closes it (CLOSE) at the end.
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
/* printf format of the name connection N opens (CREATE); all name the same synthetic file. */
#define ENGINE_FILE_NAME "iovbench-%u.bin"
#define ENGINE_CONNS_MAX 64
/* Points a result's series keeps; a longer run doubles the interval (pairs are summed). */
#define ENGINE_SERIES_MAX 1024
#define ENGINE_THREADS_MAX ENGINE_CONNS_MAX

struct engine_server_conf {
	int listen_fd;	      /* from engine__listen() */
	uint32_t max_io_size; /* largest READ/WRITE the server grants (MaxRead/WriteSize) */
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
	/*
	 * Called with one line (no newline) when the server drops a connection for a protocol
	 * error (malformed PDU, credit or MessageId violation, unknown handle); may be NULL.
	 * Peers that merely go away are not logged.
	 */
	void (*log)(void *arg, const char *line);
	void *log_arg;
	/*
	 * Defer a request the server accepts while its send queue for the connection is past
	 * this many responses (0: ENGINE default, half the queue): an interim STATUS_PENDING
	 * response with an AsyncId goes out at once, the final one (SMB2_FLAGS_ASYNC_COMMAND)
	 * when the queue has drained. UINT32_MAX: never defer.
	 */
	uint32_t pending_after;
};

struct engine_client_conf {
	struct sockaddr_storage server;
	socklen_t server_len;
	enum engine_workload workload;
	uint32_t io_size; /* bytes per READ or WRITE */
	uint32_t depth;	  /* requests in flight per connection (credits used) */
	/*
	 * Connections, 1..ENGINE_CONNS_MAX (0 counts as 1), multichannel-like: all copy the same
	 * file range, each I/O goes to whichever connection has room for it first.
	 */
	uint32_t conns;
	/*
	 * Client threads, 1..conns (0 counts as 1): connection i is served by thread
	 * i mod threads, each an event loop of its own. With one, engine__client runs in the
	 * calling thread.
	 */
	uint32_t threads;
	/* Pin client thread i to cpus[i mod ncpus]; ncpus 0: no pinning. */
	const int *cpus;
	uint32_t ncpus;
	/* bytes to copy (both directions together for mixed); ignored when duration_ns is set */
	uint64_t bytes;
	/*
	 * Copy for this long instead of a byte count: I/Os complete during warmup_ns (counted
	 * from the first request) are not counted, then the window of duration_ns is measured,
	 * then no new I/O starts and those in flight drain uncounted (cool-down).
	 */
	uint64_t duration_ns;
	uint64_t warmup_ns;
	/*
	 * ENGINE_MIXED: percent of I/Os that are READs, 0..100. I/O number i (each covering the
	 * next io_size bytes of the file) is a READ when (i * read_pct) mod 100 < read_pct: exactly
	 * read_pct in every 100 consecutive I/Os, evenly spread, the same every run.
	 */
	uint32_t read_pct;
	/* Check every byte of READ data against the pattern; a mismatch is status -EBADMSG. */
	bool verify;
	uint64_t timeout_ns; /* give up (status "aborted") after this long; 0 = no limit */
	/*
	 * Called about every progress_ns (0: 100 ms) from the client loop with bytes done so far;
	 * may be NULL.
	 */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	uint64_t progress_ns;
};

/* CPU the engine's own thread used over the measured window (getrusage RUSAGE_THREAD). */
struct engine_thread_cpu {
	char name[16];
	int tid;
	uint64_t utime_ns, stime_ns;
};

struct engine_result {
	uint64_t bytes;		/* payload moved by completed I/Os: read_bytes + write_bytes */
	uint64_t read_bytes;	/* payload received in READ responses */
	uint64_t write_bytes;	/* payload of WRITEs the server acknowledged */
	uint64_t ios;		/* completed READs and WRITEs */
	uint64_t wire_bytes;	/* bytes received on the socket, framing included */
	uint64_t wire_tx_bytes; /* bytes sent on the socket, framing included */
	/*
	 * The measured window, CLOCK_MONOTONIC. By bytes: the first request sent to the last
	 * response complete. By duration: warm-up end to window end (or to the last response if
	 * the copy stopped early).
	 */
	uint64_t start_ns;
	uint64_t end_ns;
	uint32_t conns; /* connections that completed NEGOTIATE and CREATE */
	/*
	 * Payload completed per interval of series_interval_ns since start_ns (1 s, doubled as
	 * often as needed to fit ENGINE_SERIES_MAX); series_n intervals, the last one ends at
	 * end_ns and may be shorter.
	 */
	uint64_t series_interval_ns;
	uint32_t series_n;
	uint64_t series_bytes[ENGINE_SERIES_MAX];
	/* The engine's client threads (one event loop each) and their CPU over the window. */
	uint32_t nthreads;
	struct engine_thread_cpu threads[ENGINE_THREADS_MAX];
	uint64_t pending;	     /* interim STATUS_PENDING responses received */
	struct iovb_hist latency_ns; /* per I/O: request fully sent -> response fully received */
	/*
	 * 0 ok, else -errno of what stopped the copy. -EBADMSG with bad_offset set: verification
	 * failed, bad_offset is the file offset of the first wrong byte (READ data checked here,
	 * WRITE data as the server reported it).
	 */
	int status;
	uint64_t bad_offset;
	char error[128]; /* one line when status != 0 */
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
 * Open conf->conns connections (NEGOTIATE, CREATE), copy conf->bytes (or for
 * conf->duration_ns) with conf->depth I/Os in flight on each, CLOSE. Fills *res (also on
 * failure: what was measured until then). Returns 0 or res->status.
 */
int engine__client(const struct engine_client_conf *conf, struct engine_result *res);

/* Byte `off` of the synthetic file (see the top of this file). */
uint8_t engine__pattern_byte(uint64_t off);

/* "read", "write" or "mixed" (cmd_engine.c). */
const char *engine__workload_name(enum engine_workload w);

/*
 * "read", "write", "mixed" or "mixed:READPCT" (0..100, default 70) into conf->workload and
 * conf->read_pct (cmd_engine.c). 0 or -EINVAL, conf untouched then.
 */
int engine__parse_workload(const char *arg, struct engine_client_conf *conf);

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
