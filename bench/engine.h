/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bench engine: an SMB2-framed bulk transfer server and client (MS-SMB2 framing, READ for
 * now). Not an SMB server: no authentication, synthetic file contents, no filesystem access.
 * All state lives in the structs passed in; nothing here prints.
 */
#ifndef IOVB_ENGINE_H
#define IOVB_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "iovb/hist.h"

enum engine_workload {
	ENGINE_READ = 0, /* server -> client: copying a file from the share */
};

struct engine_server_conf {
	int listen_fd;          /* from engine__listen() */
	uint32_t max_io_size;   /* largest READ the server grants (MaxReadSize) */
};

struct engine_client_conf {
	struct sockaddr_storage server;
	socklen_t server_len;
	enum engine_workload workload;
	uint32_t io_size;       /* bytes per READ */
	uint32_t depth;         /* READs in flight (credits used) */
	uint64_t bytes;         /* bytes to copy */
	uint64_t timeout_ns;    /* give up (status "aborted") after this long; 0 = no limit */
	/* Called about every 100 ms from the client loop with bytes done so far; may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct engine_result {
	uint64_t bytes;         /* payload bytes received in READ responses */
	uint64_t ios;           /* completed READs */
	uint64_t wire_bytes;    /* bytes received on the socket, framing included */
	uint64_t start_ns;      /* CLOCK_MONOTONIC when the first READ was sent */
	uint64_t end_ns;        /* when the last response was complete */
	struct iovb_hist latency_ns; /* per READ: request sent -> response fully received */
	int status;             /* 0 ok, else -errno of what stopped the copy */
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
 * Connect, NEGOTIATE/... as needed, then copy conf->bytes with conf->depth READs in flight.
 * Fills *res (also on failure: what was measured until then). Returns 0 or res->status.
 */
int engine__client(const struct engine_client_conf *conf, struct engine_result *res);

/* Fill a sockaddr from "ADDR" and port. 0 or -EINVAL. */
int engine__addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);

#endif
