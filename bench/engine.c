// SPDX-License-Identifier: GPL-2.0
/*
 * The bench engine: an SMB2 server (epoll, many connections, synthetic file contents) and a
 * client that copies a file over one or more connections with several READs/WRITEs in flight on
 * each, as an SMB client does.
 *
 * Shape: a transport ops table (TCP today) under per-role context structs; no state outside them.
 * Hot paths do no allocation: buffers are made per connection or per run, file data is a slice
 * of one pattern buffer sent by reference (writev), and the client streams payload through one
 * receive buffer without looking at it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "smb2.h"

/* Socket buffers: a 1 MiB READ x depth 8 must fit in flight without waiting on the window. */
#define ENGINE_SOCKBUF (4 << 20)
/* Windows' largest MaxReadSize with large MTU; also well inside the 24-bit transport length. */
#define ENGINE_MAX_IO (8u << 20)
/* Credits a connection may hold at once: Samba's default "smb2 max credits". */
#define ENGINE_MAX_CREDITS 8192
/* Largest request message the server accepts: a NEGOTIATE with contexts is a few hundred bytes. */
#define ENGINE_REQ_MAX 4096
#define ENGINE_SRV_RX (64u << 10)
/* Responses queued per connection; past this the server stops reading that connection. */
#define ENGINE_SRV_QUEUE 512
/* >= every response frame but READ data: CREATE's is the largest (157 bytes). */
#define ENGINE_OUT_HDR 160
/* Final responses a connection may hold back behind their interim STATUS_PENDING ones. */
#define ENGINE_SRV_DEFER 64
/* Files a connection may hold open at once. */
#define ENGINE_SRV_OPENS 16
/* What CREATE reports as the synthetic file's size: 1 PiB, more than any copy reaches. */
#define ENGINE_FILE_SIZE (1ull << 50)
/* Where WRITE data lands when no leftover request bytes wait in rx: one per server. */
#define ENGINE_SRV_SINK (1u << 20)
#define ENGINE_NO_BAD UINT64_MAX
#define ENGINE_IOV 64
#define ENGINE_EVENTS 64
#define ENGINE_EPOLL_MS 200
/* Rounds of read-answer-send one connection gets before the others have their turn. */
#define ENGINE_PUMP_BUDGET 16
#define ENGINE_CLI_RX (1u << 20)
/*
 * Inside a message's data the client sleeps until this much of it (or all that is left of the
 * message) is queued: TCP then wakes it once per 512 KiB instead of once per 64 KiB segment,
 * saving the wake-ups on both ends, and a response still completes the moment its last byte
 * is in. Well below the receive buffer (2 x ENGINE_SOCKBUF), which the kernel requires.
 */
#define ENGINE_CLI_LOWAT (512u << 10)
/* Largest message the client buffers whole (anything but READ data): NEGOTIATE, errors. */
#define ENGINE_CLI_HEAD 1024
/* The client's NEGOTIATE, CREATE (with a short name) or CLOSE request. */
#define ENGINE_CLI_CTL 256
#define ENGINE_TICK_NS 100000000ull

/* No SESSION_SETUP/TREE_CONNECT (no authentication): fixed handles, where the real ones go. */
#define ENGINE_SESSION_ID 0x0000400000000001ull
#define ENGINE_TREE_ID 0x00000001u
#define ENGINE_PROCESS_ID 0x0000feffu /* what Windows clients put in the Reserved field */

/* FILETIME of the Unix epoch: 100 ns intervals from 1601-01-01 to 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

/*
 * A transport: how bytes move (iperf3's struct protocol shape). All return >= 0 (an fd, a byte
 * count) or -errno; -EAGAIN when a nonblocking call would block.
 */
struct engine_transport {
	const char *name;
	int (*listen)(const struct sockaddr *sa, socklen_t len);
	int (*accept)(int lfd);
	/* Nonblocking connect, waiting at most timeout_ms (-1: the kernel's own limit). */
	int (*connect)(const struct sockaddr *sa, socklen_t len, int timeout_ms);
	ssize_t (*sendv)(int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(int fd, void *buf, size_t len);
	/* Wake a poll() for reading only once `bytes` are queued (SO_RCVLOWAT); NULL: no such knob. */
	int (*lowat)(int fd, int bytes);
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Buffer sizes must be set before listen()/connect(): the window scale is fixed at SYN time. */
static int tcp__tune(int fd)
{
	int big = ENGINE_SOCKBUF, one = 1;
	int err = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		err = -errno;
	return err;
}

static int tcp__listen(const struct sockaddr *sa, socklen_t len)
{
	int fd, one = 1;
	int err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) {
		err = -errno;
		goto cleanup;
	}
	err = tcp__tune(fd);
	if (err)
		goto cleanup;
	if (bind(fd, sa, len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		goto cleanup;
	}
	err = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

static int tcp__accept(int lfd)
{
	int fd, one = 1;
	int err;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* Buffer sizes come from the listener; Nagle is set again to be sure. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		err = -errno;
		goto cleanup;
	}
	err = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

static int tcp__connect(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, soerr = 0, n;
	int err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = tcp__tune(fd);
	if (err)
		goto cleanup;
	if (connect(fd, sa, len) && errno != EINPROGRESS) {
		err = -errno;
		goto cleanup;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	if (n == 0) {
		err = -ETIMEDOUT;
		goto cleanup;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen)) {
		err = -errno;
		goto cleanup;
	}
	if (soerr) {
		err = -soerr;
		goto cleanup;
	}
	err = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

static ssize_t tcp__sendv(int fd, const struct iovec *iov, int iovcnt)
{
	/* sendmsg rather than writev: MSG_NOSIGNAL turns a dead peer into EPIPE, not SIGPIPE. */
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt };
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : n;
}

static ssize_t tcp__recv(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : n;
}

static int tcp__lowat(int fd, int bytes)
{
	return setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof(bytes)) ? -errno : 0;
}

static const struct engine_transport engine_tcp = {
	.name = "tcp",
	.listen = tcp__listen,
	.accept = tcp__accept,
	.connect = tcp__connect,
	.sendv = tcp__sendv,
	.recv = tcp__recv,
	.lowat = tcp__lowat,
};

int engine__addr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	/* Literals only: no resolver behind a benchmark's back. */
	struct addrinfo hints = {
		.ai_family = AF_INET6,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST,
	};
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct addrinfo *ai = NULL;
	int err = 0;

	memset(ss, 0, sizeof(*ss));
	if (!addr) {
		err = -EINVAL;
		goto cleanup;
	}
	/* IPv4 strictly dotted-quad (getaddrinfo takes "10.1" too); IPv6 may carry a %scope. */
	if (!strchr(addr, ':')) {
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
			err = -EINVAL;
			goto cleanup;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		goto cleanup;
	}
	if (getaddrinfo(addr, NULL, &hints, &ai) || !ai || ai->ai_addrlen > sizeof(*ss)) {
		err = -EINVAL;
		goto cleanup;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	*len = ai->ai_addrlen;
cleanup:
	if (ai)
		freeaddrinfo(ai);
	return err;
}

int engine__listen(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int err;

	err = engine__addr(addr, port, &ss, &len);
	if (err)
		goto cleanup;
	err = engine_tcp.listen((struct sockaddr *)&ss, len);
cleanup:
	return err;
}

/* ---- server ---------------------------------------------------------------------------- */

/* One queued response: its framing bytes, then a slice of the pattern (READ data). */
struct engine_out {
	uint8_t hdr[ENGINE_OUT_HDR];
	uint32_t hdr_len;
	uint32_t data_len;
	const uint8_t *data;
	uint64_t sent; /* of hdr_len + data_len */
};

/*
 * A WRITE being received: the rest of its message after the fixed part, [0, end), holds its data
 * at [lo, hi) (file offset file_off at lo). Its response goes into the queue slot after the last
 * queued one, which stays free until the data is all in.
 */
struct engine_wr {
	bool active;
	uint64_t pos, end, lo, hi;
	uint64_t file_off;
	uint64_t bad; /* file offset of the first wrong byte, or ENGINE_NO_BAD */
	uint32_t length;
	uint32_t status; /* SMB2_STATUS_FILE_CLOSED: no open has its FileId; data is still taken */
	struct smb2_hdr rh;
};

struct engine_open {
	bool used;
	uint64_t persistent, volatile_id;
};

struct engine_conn {
	int fd;
	struct engine_conn *prev, *next;
	bool negotiated;
	struct engine_wr wr;
	bool ready; /* stopped on its budget, not on EAGAIN: no epoll edge will come for it */
	/* Credits as MessageIds: [msg_next, msg_hi) are granted and unused (MS-SMB2 3.3.1.1). */
	uint64_t msg_next, msg_hi;
	uint64_t next_async_id;
	uint32_t rx_len;
	uint32_t out_head, out_count;
	/* The request being answered, for the log line when it is dropped. */
	bool cmd_known; /* cmd and cmd_msg_id were decoded: the header was sound */
	uint16_t cmd;
	uint64_t cmd_msg_id;
	char peer[INET6_ADDRSTRLEN + 8];
	struct engine_open opens[ENGINE_SRV_OPENS];
	struct engine_out out[ENGINE_SRV_QUEUE];
	/* Final responses deferred behind an interim STATUS_PENDING, in order. */
	uint32_t defer_head, defer_count;
	struct engine_out defer[ENGINE_SRV_DEFER];
	uint8_t rx[ENGINE_SRV_RX];
};

struct engine_server {
	const struct engine_transport *tp;
	int listen_fd;
	int epfd;
	uint32_t max_io;
	uint8_t *pattern; /* ENGINE_PATTERN_PERIOD + max_io bytes */
	uint8_t *sink;	  /* ENGINE_SRV_SINK bytes */
	bool verify;
	/* Test hook: file bytes [bad_base, bad_base + 2 * max_io) with corrupt_at flipped. */
	bool corrupt;
	uint64_t corrupt_at, bad_base;
	uint8_t *bad;
	struct engine_conn *conns;
	unsigned nready; /* connections with ready set */
	uint32_t pending_after;
	uint64_t next_file_id;
	uint64_t start_filetime;
	void (*log)(void *arg, const char *line);
	void *log_arg;
	uint8_t guid[16];
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint8_t engine__pattern_byte(uint64_t off)
{
	uint64_t w = splitmix64(off % ENGINE_PATTERN_PERIOD / 8);

	return (uint8_t)(w >> (8 * (off & 7)));
}

/* The pattern for file bytes [0, len): slices at off % period are the file at off. */
static uint8_t *pattern__new(size_t len)
{
	uint8_t *p = malloc(len);

	if (!p)
		return NULL;
	/* A word at a time: a sanitizer build would take seconds byte by byte for 8 MiB. */
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = splitmix64(i % ENGINE_PATTERN_PERIOD / 8);

		for (size_t k = 0; k < 8 && i + k < len; k++)
			p[i + k] = (uint8_t)(w >> (8 * k));
	}
	return p;
}

/*
 * File offset of the first byte in p[0, n) (file bytes [off, off + n)) that is not the pattern,
 * or ENGINE_NO_BAD. pattern holds ENGINE_PATTERN_PERIOD + n or more bytes.
 */
static uint64_t pattern__check(const uint8_t *pattern, const uint8_t *p, size_t n, uint64_t off)
{
	const uint8_t *want = pattern + off % ENGINE_PATTERN_PERIOD;

	if (!memcmp(p, want, n))
		return ENGINE_NO_BAD;
	for (size_t i = 0;; i++)
		if (p[i] != want[i])
			return off + i;
}

static void conn__free(struct engine_server *s, struct engine_conn *c)
{
	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->ready)
		s->nready--;
	/* Closing the fd also takes it out of the epoll set. */
	close(c->fd);
	free(c);
}

/* Take the credits a request charges; its MessageIds must lie in the granted window. */
static int conn__charge(struct engine_conn *c, const struct smb2_hdr *h)
{
	uint64_t charge = h->credit_charge ? h->credit_charge : 1;
	int err = 0;

	if (h->message_id < c->msg_next || h->message_id > c->msg_hi ||
	    charge > c->msg_hi - h->message_id) {
		err = -EPROTO;
		goto cleanup;
	}
	c->msg_next = h->message_id + charge;
cleanup:
	return err;
}

/* Credits for a response: what was asked, within the cap, never leaving the client with none. */
static uint16_t conn__grant(struct engine_conn *c, uint16_t asked)
{
	uint64_t window = c->msg_hi - c->msg_next;
	uint64_t room = window < ENGINE_MAX_CREDITS ? ENGINE_MAX_CREDITS - window : 0;
	uint64_t g = asked < room ? asked : room;

	if (!g && !window)
		g = 1;
	c->msg_hi += g;
	return (uint16_t)g;
}

static void conn__rsp_hdr(struct engine_conn *c, const struct smb2_hdr *req, struct smb2_hdr *rsp)
{
	memset(rsp, 0, sizeof(*rsp));
	rsp->credit_charge = req->credit_charge;
	rsp->status = SMB2_STATUS_SUCCESS;
	rsp->message_id = req->message_id;
	rsp->process_id = req->process_id;
	rsp->tree_id = req->tree_id;
	rsp->session_id = req->session_id;
	rsp->credits = conn__grant(c, req->credits);
}

/* The fixed session and tree every request after NEGOTIATE names (no SESSION_SETUP here). */
static int conn__handles(struct engine_conn *c, const struct smb2_hdr *h)
{
	return h->session_id == ENGINE_SESSION_ID && h->tree_id == ENGINE_TREE_ID ? 0 : -ENOENT;
}

/* A request after NEGOTIATE: it names our session and tree, and its credits cover it. */
static int conn__admit(struct engine_conn *c, const struct smb2_hdr *h)
{
	int err = conn__handles(c, h);

	return err ? err : conn__charge(c, h);
}

static struct engine_open *conn__open_find(struct engine_conn *c, uint64_t persistent,
					   uint64_t volatile_id)
{
	for (unsigned i = 0; i < ENGINE_SRV_OPENS; i++)
		if (c->opens[i].used && c->opens[i].persistent == persistent &&
		    c->opens[i].volatile_id == volatile_id)
			return &c->opens[i];
	return NULL;
}

/* The synthetic file's attributes: created when the server started, as big as any copy. */
static void file__times(const struct engine_server *s, struct smb2_file_times *t)
{
	t->creation = t->last_access = t->last_write = t->change = s->start_filetime;
	t->allocation_size = t->end_of_file = ENGINE_FILE_SIZE;
	t->file_attributes = SMB2_FILE_ATTRIBUTE_ARCHIVE;
}

/* An error response with `status` (no ErrorData) into o. */
static int conn__error(struct engine_conn *c, struct smb2_hdr *rh, uint16_t command,
		       uint32_t status, struct engine_out *o)
{
	size_t n;
	int err;

	rh->status = status;
	err = smb2__error_rsp_encode(o->hdr, sizeof(o->hdr), rh, command, NULL, 0, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
cleanup:
	return err;
}

/*
 * Is the next accepted READ deferred? Past pending_after queued responses, or while earlier
 * ones wait (answers keep their order), as long as a defer slot is free.
 */
static bool conn__defers(const struct engine_server *s, const struct engine_conn *c)
{
	return (c->out_count >= s->pending_after || c->defer_count) &&
	       c->defer_count < ENGINE_SRV_DEFER;
}

/*
 * The interim STATUS_PENDING response into o (3.3.4.2), carrying the credits granted; *rh
 * becomes the final response's async header (same AsyncId, no further credits).
 */
static int conn__interim(struct engine_conn *c, struct smb2_hdr *rh, uint16_t command,
			 struct engine_out *o)
{
	size_t n;
	int err;

	rh->flags |= SMB2_FLAGS_ASYNC_COMMAND;
	rh->async_id = c->next_async_id++;
	err = smb2__interim_rsp_encode(o->hdr, sizeof(o->hdr), rh, command, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
	rh->credits = 0;
cleanup:
	return err;
}

/* Can parse take another request now? Queue room, and a defer slot if it would defer. */
static bool conn__room(const struct engine_server *s, const struct engine_conn *c)
{
	if (c->defer_count && c->out_count < s->pending_after)
		return true;
	return c->out_count < ENGINE_SRV_QUEUE && c->defer_count < ENGINE_SRV_DEFER;
}

static int conn__negotiate(struct engine_server *s, struct engine_conn *c, const uint8_t *msg,
			   uint32_t len, struct engine_out *o)
{
	struct smb2_negotiate_req req;
	struct smb2_negotiate_rsp rsp = { 0 };
	struct smb2_hdr h, rh;
	struct timespec ts;
	size_t n;
	bool found = false;
	int err;

	/* A second NEGOTIATE on a connection is a protocol error (MS-SMB2 3.3.5.3.1). */
	if (c->negotiated) {
		err = -EPROTO;
		goto cleanup;
	}
	err = smb2__negotiate_req_decode(msg, len, &h, &req);
	if (err)
		goto cleanup;
	for (unsigned i = 0; i < req.dialect_count && i < SMB2_MAX_DIALECTS; i++)
		found |= req.dialects[i] == SMB2_DIALECT_0210;
	if (!found) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	err = conn__charge(c, &h);
	if (err)
		goto cleanup;
	conn__rsp_hdr(c, &h, &rh);
	clock_gettime(CLOCK_REALTIME, &ts);
	rsp.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
	rsp.dialect = SMB2_DIALECT_0210;
	memcpy(rsp.server_guid, s->guid, sizeof(rsp.server_guid));
	rsp.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU;
	rsp.max_transact_size = s->max_io;
	rsp.max_read_size = s->max_io;
	rsp.max_write_size = s->max_io;
	rsp.system_time =
		FILETIME_UNIX_EPOCH + (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100;
	err = smb2__negotiate_rsp_encode(o->hdr, sizeof(o->hdr), &rh, &rsp, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
	c->negotiated = true;
cleanup:
	return err;
}

static int conn__read(struct engine_server *s, struct engine_conn *c, const uint8_t *msg,
		      uint32_t len, struct engine_out *o)
{
	struct smb2_read_req req;
	struct smb2_read_rsp rsp = { .data_offset = SMB2_READ_RSP_DATA_OFFSET };
	struct smb2_hdr h, rh;
	size_t n;
	int err;

	if (!c->negotiated) {
		err = -EPROTO;
		goto cleanup;
	}
	err = smb2__read_req_decode(msg, len, s->max_io, &h, &req);
	if (err)
		goto cleanup;
	err = conn__admit(c, &h);
	if (err)
		goto cleanup;
	conn__rsp_hdr(c, &h, &rh);
	if (!conn__open_find(c, req.file_id_persistent, req.file_id_volatile)) {
		err = conn__error(c, &rh, SMB2_READ, SMB2_STATUS_FILE_CLOSED, o);
		goto cleanup;
	}
	/* Deferred: the interim goes into the queue now, the final one waits in defer. */
	if (conn__defers(s, c)) {
		err = conn__interim(c, &rh, SMB2_READ, o);
		if (err)
			goto cleanup;
		o = &c->defer[(c->defer_head + c->defer_count) % ENGINE_SRV_DEFER];
	}
	rsp.data_length = req.length;
	err = smb2__read_rsp_encode(o->hdr, sizeof(o->hdr), &rh, &rsp, &n);
	if (err)
		goto cleanup;
	o->sent = 0;
	o->hdr_len = n;
	o->data = s->pattern + req.offset % ENGINE_PATTERN_PERIOD;
	if (s->corrupt && req.offset <= s->corrupt_at && s->corrupt_at - req.offset < req.length)
		o->data = s->bad + (req.offset - s->bad_base);
	o->data_len = req.length;
	if (rh.flags & SMB2_FLAGS_ASYNC_COMMAND)
		c->defer_count++;
cleanup:
	return err;
}

/* CREATE: any name opens the synthetic file (there is no other); a new FileId each time. */
static int conn__create(struct engine_server *s, struct engine_conn *c, const uint8_t *msg,
			uint32_t len, struct engine_out *o)
{
	struct smb2_create_req req;
	struct smb2_create_rsp rsp = {
		.oplock_level = SMB2_OPLOCK_LEVEL_NONE,
		.create_action = SMB2_FILE_OPENED,
	};
	struct engine_open *op = NULL;
	struct smb2_hdr h, rh;
	size_t n;
	int err;

	if (!c->negotiated) {
		err = -EPROTO;
		goto cleanup;
	}
	err = smb2__create_req_decode(msg, len, &h, &req);
	if (err)
		goto cleanup;
	err = conn__admit(c, &h);
	if (err)
		goto cleanup;
	for (unsigned i = 0; i < ENGINE_SRV_OPENS && !op; i++)
		if (!c->opens[i].used)
			op = &c->opens[i];
	/* A client holding this many opens of a benchmark file is broken or hostile. */
	if (!op) {
		err = -EMFILE;
		goto cleanup;
	}
	op->used = true;
	op->persistent = s->next_file_id++;
	op->volatile_id = op->persistent ^ 0xffffffff00000000ull;
	conn__rsp_hdr(c, &h, &rh);
	file__times(s, &rsp.t);
	rsp.file_id_persistent = op->persistent;
	rsp.file_id_volatile = op->volatile_id;
	err = smb2__create_rsp_encode(o->hdr, sizeof(o->hdr), &rh, &rsp, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
cleanup:
	return err;
}

static int conn__close(struct engine_server *s, struct engine_conn *c, const uint8_t *msg,
		       uint32_t len, struct engine_out *o)
{
	struct smb2_close_req req;
	struct smb2_close_rsp rsp = { 0 };
	struct engine_open *op;
	struct smb2_hdr h, rh;
	size_t n;
	int err;

	if (!c->negotiated) {
		err = -EPROTO;
		goto cleanup;
	}
	err = smb2__close_req_decode(msg, len, &h, &req);
	if (err)
		goto cleanup;
	err = conn__admit(c, &h);
	if (err)
		goto cleanup;
	conn__rsp_hdr(c, &h, &rh);
	op = conn__open_find(c, req.file_id_persistent, req.file_id_volatile);
	if (!op) {
		err = conn__error(c, &rh, SMB2_CLOSE, SMB2_STATUS_FILE_CLOSED, o);
		goto cleanup;
	}
	op->used = false;
	if (req.flags & SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB) {
		rsp.flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB;
		file__times(s, &rsp.t);
	}
	err = smb2__close_rsp_encode(o->hdr, sizeof(o->hdr), &rh, &rsp, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
cleanup:
	return err;
}

/* The head of a WRITE is in: check it, then let its data stream in (conn__write_data). */
static int conn__write(struct engine_server *s, struct engine_conn *c, const uint8_t *msg,
		       uint32_t avail, uint32_t len)
{
	struct smb2_write_req req;
	struct smb2_hdr h;
	int err;

	if (!c->negotiated) {
		err = -EPROTO;
		goto cleanup;
	}
	err = smb2__write_req_decode(msg, avail, len, s->max_io, &h, &req);
	if (err)
		goto cleanup;
	err = conn__admit(c, &h);
	if (err)
		goto cleanup;
	c->wr = (struct engine_wr){
		.active = true,
		.end = len - SMB2_WRITE_REQ_DATA_OFFSET,
		.lo = req.length ? req.data_offset - SMB2_WRITE_REQ_DATA_OFFSET : 0,
		.file_off = req.offset,
		.bad = ENGINE_NO_BAD,
		.length = req.length,
		.status = conn__open_find(c, req.file_id_persistent, req.file_id_volatile)
				  ? SMB2_STATUS_SUCCESS
				  : SMB2_STATUS_FILE_CLOSED,
	};
	c->wr.hi = c->wr.lo + req.length;
	conn__rsp_hdr(c, &h, &c->wr.rh);
cleanup:
	return err;
}

/* All of a WRITE is in: queue its answer in the slot kept for it. */
static int conn__write_end(struct engine_server *s, struct engine_conn *c)
{
	struct engine_out *o = &c->out[(c->out_head + c->out_count) % ENGINE_SRV_QUEUE];
	struct smb2_write_rsp rsp = { .count = c->wr.length };
	uint8_t where[8];
	size_t n;
	int err;

	c->wr.active = false;
	if (c->wr.status != SMB2_STATUS_SUCCESS) {
		c->wr.rh.status = c->wr.status;
		err = smb2__error_rsp_encode(o->hdr, sizeof(o->hdr), &c->wr.rh, SMB2_WRITE, NULL, 0,
					     &n);
	} else if (c->wr.bad != ENGINE_NO_BAD) {
		for (int i = 0; i < 8; i++)
			where[i] = (uint8_t)(c->wr.bad >> (8 * i));
		c->wr.rh.status = SMB2_STATUS_DATA_ERROR;
		err = smb2__error_rsp_encode(o->hdr, sizeof(o->hdr), &c->wr.rh, SMB2_WRITE, where,
					     sizeof(where), &n);
	} else {
		err = smb2__write_rsp_encode(o->hdr, sizeof(o->hdr), &c->wr.rh, &rsp, &n);
	}
	if (err)
		goto cleanup;
	o->sent = 0;
	o->hdr_len = n;
	o->data = NULL;
	o->data_len = 0;
	c->out_count++;
cleanup:
	return err;
}

/* The next n bytes of the WRITE being received (n <= what is left of it). */
static int conn__write_data(struct engine_server *s, struct engine_conn *c, const uint8_t *p,
			    uint64_t n)
{
	struct engine_wr *w = &c->wr;
	uint64_t a = w->pos > w->lo ? w->pos : w->lo;
	uint64_t b = w->pos + n < w->hi ? w->pos + n : w->hi;
	uint64_t off, bad;
	int err = 0;

	if (s->verify && a < b && w->bad == ENGINE_NO_BAD && w->status == SMB2_STATUS_SUCCESS) {
		off = w->file_off + (a - w->lo);
		bad = pattern__check(s->pattern, p + (a - w->pos), b - a, off);
		if (s->corrupt && s->corrupt_at >= off && s->corrupt_at < off + (b - a) &&
		    s->corrupt_at < bad)
			bad = s->corrupt_at;
		w->bad = bad;
	}
	w->pos += n;
	if (w->pos == w->end)
		err = conn__write_end(s, c);
	return err;
}

/*
 * Answer every complete request in rx while the output queue has room. *full: it stopped for want
 * of room (queue or defer slots), so complete requests may still wait in rx (no new bytes will
 * announce them).
 */
static int conn__parse(struct engine_server *s, struct engine_conn *c, bool *full)
{
	uint32_t off = 0, mlen, need;
	uint64_t k;
	struct engine_out *o;
	struct smb2_hdr h = { 0 };
	const uint8_t *msg;
	int err = 0;

	*full = false;
	for (;;) {
		/* Deferred final responses go out first, once the queue has drained enough. */
		while (c->defer_count && c->out_count < s->pending_after) {
			c->out[(c->out_head + c->out_count) % ENGINE_SRV_QUEUE] =
				c->defer[c->defer_head];
			c->defer_head = (c->defer_head + 1) % ENGINE_SRV_DEFER;
			c->defer_count--;
			c->out_count++;
		}
		if (!conn__room(s, c)) {
			*full = true;
			break;
		}
		if (c->wr.active) {
			k = c->wr.end - c->wr.pos;
			if (k > c->rx_len - off)
				k = c->rx_len - off;
			err = conn__write_data(s, c, c->rx + off, k);
			if (err)
				goto cleanup;
			off += k;
			if (c->wr.active)
				break;
			continue;
		}
		/* Only a WRITE may be larger than a small request: its data streams past. */
		c->cmd_known = false;
		err = smb2__frame_peek(c->rx + off, c->rx_len - off,
				       SMB2_WRITE_REQ_DATA_OFFSET + UINT16_MAX + s->max_io, &mlen);
		if (err == -EAGAIN) {
			err = 0;
			break;
		}
		if (err)
			goto cleanup;
		if (c->rx_len - off < SMB2_NB_LEN + SMB2_HDR_LEN)
			break;
		msg = c->rx + off + SMB2_NB_LEN;
		err = smb2__hdr_decode(msg, SMB2_HDR_LEN, &h);
		/* Refused for what it asks (an undefined command, async, compound): say what. */
		if (!err || err == -EOPNOTSUPP) {
			c->cmd_known = true;
			c->cmd = h.command;
			c->cmd_msg_id = h.message_id;
		}
		if (err)
			goto cleanup;
		if (h.command == SMB2_WRITE) {
			need = mlen < SMB2_WRITE_REQ_DATA_OFFSET ? mlen
								 : SMB2_WRITE_REQ_DATA_OFFSET;
		} else if (mlen > ENGINE_REQ_MAX) {
			err = -EMSGSIZE;
			goto cleanup;
		} else {
			need = mlen;
		}
		if (c->rx_len - off < SMB2_NB_LEN + need)
			break;
		if (h.command == SMB2_WRITE) {
			err = conn__write(s, c, msg, need, mlen);
			if (err)
				goto cleanup;
			off += SMB2_NB_LEN + need;
			if (c->wr.end == 0) {
				err = conn__write_end(s, c);
				if (err)
					goto cleanup;
			}
			continue;
		}
		o = &c->out[(c->out_head + c->out_count) % ENGINE_SRV_QUEUE];
		o->sent = 0;
		switch (h.command) {
		case SMB2_NEGOTIATE:
			err = conn__negotiate(s, c, msg, mlen, o);
			break;
		case SMB2_READ:
			err = conn__read(s, c, msg, mlen, o);
			break;
		case SMB2_CREATE:
			err = conn__create(s, c, msg, mlen, o);
			break;
		case SMB2_CLOSE:
			err = conn__close(s, c, msg, mlen, o);
			break;
		default:
			err = -EOPNOTSUPP;
			break;
		}
		if (err)
			goto cleanup;
		c->out_count++;
		off += SMB2_NB_LEN + mlen;
	}
cleanup:
	/* Requests are small: moving a partial one to the front costs less than a ring would. */
	if (off) {
		memmove(c->rx, c->rx + off, c->rx_len - off);
		c->rx_len -= off;
	}
	return err;
}

/* Send queued responses until the queue is empty (0) or the socket is full (-EAGAIN). */
static int conn__flush(struct engine_server *s, struct engine_conn *c)
{
	struct iovec iov[ENGINE_IOV];
	struct engine_out *o;
	ssize_t n;
	int cnt, err = 0;

	while (c->out_count) {
		cnt = 0;
		for (uint32_t i = 0; i < c->out_count && cnt + 2 <= ENGINE_IOV; i++) {
			o = &c->out[(c->out_head + i) % ENGINE_SRV_QUEUE];
			if (o->sent < o->hdr_len) {
				iov[cnt++] =
					(struct iovec){ o->hdr + o->sent, o->hdr_len - o->sent };
				if (o->data_len)
					iov[cnt++] = (struct iovec){ (void *)o->data, o->data_len };
			} else {
				uint64_t d = o->sent - o->hdr_len;

				iov[cnt++] =
					(struct iovec){ (void *)(o->data + d), o->data_len - d };
			}
		}
		n = s->tp->sendv(c->fd, iov, cnt);
		if (n < 0) {
			err = (int)n;
			goto cleanup;
		}
		while (n > 0) {
			uint64_t rem;

			o = &c->out[c->out_head];
			rem = o->hdr_len + (uint64_t)o->data_len - o->sent;
			if ((uint64_t)n < rem) {
				o->sent += n;
				break;
			}
			n -= rem;
			c->out_head = (c->out_head + 1) % ENGINE_SRV_QUEUE;
			c->out_count--;
		}
	}
cleanup:
	return err;
}

static void conn__set_ready(struct engine_server *s, struct engine_conn *c, bool ready)
{
	if (c->ready != ready)
		s->nready += ready ? 1 : -1;
	c->ready = ready;
}

/*
 * Move a connection as far as it goes (edge-triggered epoll): answer, send, read, until the
 * socket would block on the side that matters, or its budget is spent (then it is marked ready
 * and pumped again after the others). Nonzero: drop the connection.
 */
static int conn__pump(struct engine_server *s, struct engine_conn *c)
{
	bool full = false;
	ssize_t n;
	int round, err;

	conn__set_ready(s, c, false);
	for (round = 0;; round++) {
		if (round == ENGINE_PUMP_BUDGET) {
			conn__set_ready(s, c, true);
			break;
		}
		err = conn__parse(s, c, &full);
		if (err)
			goto cleanup;
		err = conn__flush(s, c);
		if (err && err != -EAGAIN)
			goto cleanup;
		err = 0;
		/*
		 * Parse stopped for want of room. Still none: the flush blocked (it stops only on
		 * an empty queue or EAGAIN); EPOLLOUT brings us back, memory stays bounded. Room
		 * again: the requests left in rx are answered first. Reading (and stopping on
		 * EAGAIN) now would strand them: the peer may have sent everything already, so no
		 * edge would ever come for them.
		 */
		if (full) {
			if (!conn__room(s, c))
				break;
			continue;
		}
		/* Deferred answers the flush made room for: parse moves them into the queue. */
		if (c->defer_count && c->out_count < s->pending_after)
			continue;
		/*
		 * Parse stopped for want of bytes: inside WRITE data (rx is then empty: take it
		 * straight into the sink) or at an incomplete request, shorter than ENGINE_REQ_MAX.
		 */
		if (c->wr.active && !c->rx_len) {
			uint64_t want = c->wr.end - c->wr.pos;

			n = s->tp->recv(c->fd, s->sink,
					want < ENGINE_SRV_SINK ? want : ENGINE_SRV_SINK);
			if (n > 0) {
				err = conn__write_data(s, c, s->sink, (uint64_t)n);
				if (err)
					goto cleanup;
				continue;
			}
		} else {
			n = s->tp->recv(c->fd, c->rx + c->rx_len, ENGINE_SRV_RX - c->rx_len);
		}
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			err = (int)n;
			goto cleanup;
		}
		if (n == 0) {
			err = -ECONNRESET;
			goto cleanup;
		}
		c->rx_len += n;
	}
cleanup:
	return err;
}

/* "ADDR:PORT" of the peer, for log lines. */
static void conn__peer(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";

	if (!getpeername(fd, (struct sockaddr *)&ss, &sl))
		getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static const char *cmd__name(uint16_t cmd)
{
	switch (cmd) {
	case SMB2_NEGOTIATE:
		return "NEGOTIATE";
	case SMB2_CREATE:
		return "CREATE";
	case SMB2_CLOSE:
		return "CLOSE";
	case SMB2_READ:
		return "READ";
	case SMB2_WRITE:
		return "WRITE";
	default:
		return NULL;
	}
}

/* What a pump error says about the peer's messages; NULL: the peer or its socket went away. */
static const char *conn__why(int err)
{
	switch (err) {
	case -EPROTO:
		return "not SMB2, out of sequence, or a MessageId outside the credits granted";
	case -EBADMSG:
		return "malformed message";
	case -EMSGSIZE:
		return "message or length beyond the negotiated maximum";
	case -ERANGE:
		return "CreditCharge does not cover the length";
	case -EOPNOTSUPP:
		return "unsupported command, dialect or option";
	case -ENOENT:
		return "unknown SessionId or TreeId";
	case -EMFILE:
		return "too many open files";
	default:
		return NULL;
	}
}

/* Drop a connection after pump error err (0: EPOLLERR); say why if it was the peer's fault. */
static void conn__drop(struct engine_server *s, struct engine_conn *c, int err)
{
	const char *why = conn__why(err), *cmd = cmd__name(c->cmd);
	char line[256], what[64];

	if (why && s->log) {
		if (!c->cmd_known)
			snprintf(what, sizeof(what), "in a message's transport or SMB2 header");
		else if (cmd)
			snprintf(what, sizeof(what), "at %s, MessageId %" PRIu64, cmd,
				 c->cmd_msg_id);
		else
			snprintf(what, sizeof(what), "at command 0x%04x, MessageId %" PRIu64,
				 c->cmd, c->cmd_msg_id);
		snprintf(line, sizeof(line), "dropped connection from %s: %s (%s)", c->peer, why,
			 what);
		s->log(s->log_arg, line);
	}
	conn__free(s, c);
}

static void server__accept(struct engine_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	struct engine_conn *c;
	int fd, err;

	for (;;) {
		fd = s->tp->accept(s->listen_fd);
		if (fd == -EAGAIN || fd == -ECONNABORTED || fd == -EINTR) {
			if (fd == -EAGAIN)
				break;
			continue;
		}
		/* Out of fds or memory: leave the rest in the backlog, keep serving the others. */
		if (fd < 0)
			break;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			break;
		}
		c->fd = fd;
		c->msg_hi = 1; /* every connection starts with one credit, for NEGOTIATE */
		c->next_async_id = 1;
		conn__peer(fd, c->peer, sizeof(c->peer));
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			conn__free(s, c);
			continue;
		}
		/* Data may have come with the handshake; with edge triggers nobody says so. */
		err = conn__pump(s, c);
		if (err)
			conn__drop(s, c, err);
	}
}

int engine__serve(const struct engine_server_conf *conf, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[ENGINE_EVENTS];
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	struct engine_server s = { .tp = &engine_tcp, .listen_fd = conf->listen_fd, .epfd = -1 };
	static const char guid[16] = "iovbench-server";
	struct timespec ts;
	size_t plen;
	int fl, n, err = 0;

	s.max_io = conf->max_io_size ? conf->max_io_size : ENGINE_MAX_IO;
	s.verify = conf->verify;
	s.log = conf->log;
	s.log_arg = conf->log_arg;
	s.pending_after = conf->pending_after ? conf->pending_after : ENGINE_SRV_QUEUE / 2;
	s.next_file_id = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	s.start_filetime =
		FILETIME_UNIX_EPOCH + (uint64_t)ts.tv_sec * 10000000u + (uint64_t)ts.tv_nsec / 100;
	s.corrupt = conf->corrupt;
	s.corrupt_at = conf->corrupt_at;
	if (s.max_io > ENGINE_MAX_IO || conf->listen_fd < 0) {
		err = -EINVAL;
		goto cleanup;
	}
	memcpy(s.guid, guid, sizeof(s.guid));
	/* The listener must not block: a connection can vanish between readiness and accept. */
	fl = fcntl(conf->listen_fd, F_GETFL);
	if (fl < 0 || fcntl(conf->listen_fd, F_SETFL, fl | O_NONBLOCK)) {
		err = -errno;
		goto cleanup;
	}
	plen = ENGINE_PATTERN_PERIOD + (size_t)s.max_io;
	s.pattern = pattern__new(plen);
	s.sink = malloc(ENGINE_SRV_SINK);
	if (!s.pattern || !s.sink) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (s.corrupt) {
		s.bad_base = s.corrupt_at >= s.max_io ? s.corrupt_at - (s.max_io - 1) : 0;
		s.bad = malloc(2 * (size_t)s.max_io);
		if (!s.bad) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < 2 * (size_t)s.max_io; i++)
			s.bad[i] = engine__pattern_byte(s.bad_base + i);
		s.bad[s.corrupt_at - s.bad_base] ^= 0xff;
	}
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.epfd < 0 || epoll_ctl(s.epfd, EPOLL_CTL_ADD, conf->listen_fd, &lev)) {
		err = -errno;
		goto cleanup;
	}
	while (!*stop) {
		n = epoll_wait(s.epfd, evs, ENGINE_EVENTS, s.nready ? 0 : ENGINE_EPOLL_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		for (int i = 0; i < n; i++) {
			struct engine_conn *c = evs[i].data.ptr;

			if (!c) {
				server__accept(&s);
				continue;
			}
			/* A malformed request or a dead peer costs that connection only. */
			if (evs[i].events & EPOLLERR) {
				conn__drop(&s, c, 0);
				continue;
			}
			err = conn__pump(&s, c);
			if (err)
				conn__drop(&s, c, err);
		}
		for (struct engine_conn *c = s.conns, *next; s.nready && c; c = next) {
			next = c->next;
			if (!c->ready)
				continue;
			err = conn__pump(&s, c);
			if (err)
				conn__drop(&s, c, err);
		}
		err = 0;
	}
cleanup:
	while (s.conns)
		conn__free(&s, s.conns);
	if (s.epfd >= 0)
		close(s.epfd);
	free(s.bad);
	free(s.sink);
	free(s.pattern);
	return err;
}

/* ---- client ---------------------------------------------------------------------------- */

struct engine_inflight {
	uint64_t msg_id;
	uint64_t async_id;	   /* from its interim response; 0 if none came */
	uint64_t sent_ns;	   /* 0 until the request has fully left in a send() */
	uint64_t offset;	   /* file offset */
	const uint8_t *data;	   /* WRITE payload: a slice of the pattern */
	uint32_t hdr_off, hdr_len; /* the request's framing in the tx buffer */
	uint32_t data_len;	   /* WRITE payload bytes sent after it */
	uint32_t length;
	bool write;
	bool done;
};

enum client_stage {
	STAGE_HDR,  /* collecting transport + SMB2 header */
	STAGE_BODY, /* collecting the rest of what is decoded (READ's fixed part, whole others) */
	STAGE_DATA, /* passing READ data (and any padding) through, checking it with verify */
};

/* Where a connection is in its life: each phase waits for the previous one's response. */
enum chan_phase {
	PHASE_NEGOTIATE,
	PHASE_CREATE,
	PHASE_IO,
	PHASE_CLOSE,
	PHASE_DONE,
};

struct engine_load;

/* One connection of a load: its own credits, file handle, parser and requests in flight. */
struct engine_chan {
	struct engine_load *ld;
	unsigned idx;
	int fd;
	enum chan_phase phase;
	uint32_t max_read;
	uint64_t file_persistent, file_volatile;
	uint64_t next_msg_id; /* MessageIds below are used */
	uint64_t credit_hi;   /* MessageIds below are granted */
	/* receive side */
	enum client_stage stage;
	uint32_t head_have, head_need;
	uint32_t msg_len;
	uint16_t command;
	bool interim; /* the message being collected is a STATUS_PENDING interim response */
	uint64_t skip;
	/* READ data of cur: [data_lo, data_hi) of the skip region; data_pos bytes passed */
	uint64_t data_pos, data_lo, data_hi;
	struct engine_inflight *cur;
	uint8_t head[ENGINE_CLI_HEAD];
	int lowat; /* the socket's SO_RCVLOWAT as last set (1: the default) */
	/* send side: NEGOTIATE, CREATE, CLOSE from ctl; I/O requests' framing in tx */
	uint8_t ctl[ENGINE_CLI_CTL];
	size_t ctl_len, ctl_off;
	uint8_t *tx;
	size_t tx_cap, tx_len;
	uint64_t tx_part; /* bytes of ring[ring_stamped] sent so far */
	/* requests in flight, in send order; the first ring_stamped have fully left */
	struct engine_inflight *ring;
	uint32_t ring_cap, ring_head, ring_count, ring_stamped;
};

/* What the client's threads share: the file range handed out, the clock, the outcome. */
struct engine_shared {
	_Atomic uint64_t requested; /* bytes handed out to I/Os (may run past total) */
	_Atomic uint64_t done;	    /* payload completed, for progress */
	_Atomic uint64_t first_ns;  /* the earliest first request fully sent */
	atomic_int abort;	    /* a thread failed: the others stop */
};

/* One thread of the client: its connections, one event loop. */
struct engine_load {
	const struct engine_transport *tp;
	const struct engine_client_conf *conf;
	struct engine_result *res; /* this thread's share, merged by engine__client */
	struct engine_shared *sh;
	unsigned thread;
	int cpu;		/* pin to this CPU, or -1 */
	const uint8_t *pattern; /* ENGINE_PATTERN_PERIOD + io_size bytes: WRITE payloads, checks */
	uint8_t *rx;		/* one receive buffer: the connections take turns */
	uint64_t total;		/* bytes to copy; UINT64_MAX by duration */
	bool stopping;		/* no new I/O: all asked for, or the window is over */
	uint64_t first_ns;	/* the first request fully sent */
	uint64_t win_start, win_end; /* by duration, once first_ns is known */
	uint64_t deadline_ns;	     /* 0: none */
	uint64_t next_tick_ns;
	uint64_t last_done_ns; /* the last counted completion */
	bool cpu_open, cpu_closed;
	uint64_t cpu0_user, cpu0_sys;
	unsigned nchan;
	struct engine_chan *ch;
	struct pollfd *pfd;
};

static int client__fail(struct engine_load *ld, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first failure: status and its one-line reason. Returns err for chaining. */
static int client__fail(struct engine_load *ld, int err, const char *fmt, ...)
{
	va_list ap;

	if (ld->res->status)
		return ld->res->status;
	ld->res->status = err;
	va_start(ap, fmt);
	vsnprintf(ld->res->error, sizeof(ld->res->error), fmt, ap);
	va_end(ap);
	return err;
}

/* This thread's user and system CPU so far, ns. */
static void thread__cpu(uint64_t *user, uint64_t *sys)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru)) {
		*user = *sys = 0;
		return;
	}
	*user = (uint64_t)ru.ru_utime.tv_sec * 1000000000ull + (uint64_t)ru.ru_utime.tv_usec * 1000;
	*sys = (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000;
}

/* The measured window opens (start its CPU count) or closes (record the thread's share). */
static void client__cpu_mark(struct engine_load *ld, bool open)
{
	struct engine_thread_cpu *t;
	uint64_t u, s;

	if (open ? ld->cpu_open : !ld->cpu_open || ld->cpu_closed)
		return;
	thread__cpu(&u, &s);
	if (open) {
		ld->cpu0_user = u;
		ld->cpu0_sys = s;
		ld->cpu_open = true;
		return;
	}
	ld->cpu_closed = true;
	t = &ld->res->threads[ld->res->nthreads++];
	if (prctl(PR_GET_NAME, t->name, 0, 0, 0))
		snprintf(t->name, sizeof(t->name), "load");
	t->name[sizeof(t->name) - 1] = '\0';
	t->tid = (int)syscall(SYS_gettid);
	t->utime_ns = u - ld->cpu0_user;
	t->stime_ns = s - ld->cpu0_sys;
}

/* Make room for interval idx of the series: halve the resolution until it fits. */
static uint64_t series__fit(struct engine_result *res, uint64_t off_ns)
{
	uint64_t idx = off_ns / res->series_interval_ns;

	while (idx >= ENGINE_SERIES_MAX) {
		for (unsigned i = 0; i < ENGINE_SERIES_MAX / 2; i++)
			res->series_bytes[i] =
				res->series_bytes[2 * i] + res->series_bytes[2 * i + 1];
		memset(res->series_bytes + ENGINE_SERIES_MAX / 2, 0, sizeof(res->series_bytes) / 2);
		res->series_n = (res->series_n + 1) / 2;
		res->series_interval_ns *= 2;
		idx = off_ns / res->series_interval_ns;
	}
	return idx;
}

/* The series covers [start, start + span_ns]: an interval for each (the last may be short). */
static void series__extend(struct engine_result *res, uint64_t span_ns)
{
	uint64_t n;

	if (!span_ns)
		return;
	series__fit(res, span_ns - 1);
	n = (span_ns - 1) / res->series_interval_ns + 1;
	if (n > res->series_n)
		res->series_n = (uint32_t)n;
}

static void client__hdr(struct engine_chan *ch, struct smb2_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->message_id = ch->next_msg_id;
	h->process_id = ENGINE_PROCESS_ID;
	if (ch->phase != PHASE_NEGOTIATE) {
		h->tree_id = ENGINE_TREE_ID;
		h->session_id = ENGINE_SESSION_ID;
	}
}

static int client__queue_negotiate(struct engine_chan *ch)
{
	const struct engine_client_conf *conf = ch->ld->conf;
	struct smb2_negotiate_req req = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
		.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU,
		.client_guid = "iovbench-client",
		.dialect_count = 1,
		.dialects = { SMB2_DIALECT_0210 },
	};
	/* Enough for depth requests in flight, plus the CREATE. */
	uint64_t want = (uint64_t)conf->depth * smb2__credit_charge(conf->io_size) + 1;
	struct smb2_hdr h;
	size_t n;
	int err;

	client__hdr(ch, &h);
	/* CreditCharge 0: multi-credit is not negotiated yet (MS-SMB2 3.2.4.1.5). */
	h.credit_charge = 0;
	h.credits = want > UINT16_MAX ? UINT16_MAX : (uint16_t)want;
	err = smb2__negotiate_req_encode(ch->ctl, sizeof(ch->ctl), &h, &req, &n);
	if (err)
		goto cleanup;
	ch->ctl_len = n;
	ch->ctl_off = 0;
	ch->next_msg_id++;
cleanup:
	return err;
}

/* A one-credit request (CREATE, CLOSE) into ctl; it needs a granted MessageId. */
static int client__ctl_credit(struct engine_chan *ch, const char *what)
{
	if (ch->credit_hi > ch->next_msg_id)
		return 0;
	return client__fail(ch->ld, -EPROTO, "the server granted no credit for %s", what);
}

static int client__queue_create(struct engine_chan *ch)
{
	struct smb2_create_req req = {
		.oplock_level = SMB2_OPLOCK_LEVEL_NONE,
		.impersonation_level = SMB2_IMPERSONATION_IMPERSONATION,
		.desired_access =
			SMB2_FILE_READ_DATA | SMB2_FILE_WRITE_DATA | SMB2_FILE_READ_ATTRIBUTES,
		.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE,
		.create_disposition = SMB2_FILE_OPEN_IF,
		.create_options = SMB2_FILE_NON_DIRECTORY_FILE,
	};
	char name[64];
	struct smb2_hdr h;
	size_t n;
	int len, err;

	err = client__ctl_credit(ch, "CREATE");
	if (err)
		goto cleanup;
	len = snprintf(name, sizeof(name), ENGINE_FILE_NAME, ch->idx);
	for (int i = 0; i < len; i++)
		req.name[i] = (uint8_t)name[i]; /* ASCII is its own UTF-16 */
	req.name_len = (uint16_t)len;
	client__hdr(ch, &h);
	h.credit_charge = 1;
	h.credits = 1;
	err = smb2__create_req_encode(ch->ctl, sizeof(ch->ctl), &h, &req, &n);
	if (err) {
		client__fail(ch->ld, err, "CREATE: %s", strerror(-err));
		goto cleanup;
	}
	ch->ctl_len = n;
	ch->ctl_off = 0;
	ch->next_msg_id++;
cleanup:
	return err;
}

static int client__queue_close(struct engine_chan *ch)
{
	struct smb2_close_req req = {
		.file_id_persistent = ch->file_persistent,
		.file_id_volatile = ch->file_volatile,
	};
	struct smb2_hdr h;
	size_t n;
	int err;

	err = client__ctl_credit(ch, "CLOSE");
	if (err)
		goto cleanup;
	client__hdr(ch, &h);
	h.credit_charge = 1;
	h.credits = 1;
	err = smb2__close_req_encode(ch->ctl, sizeof(ch->ctl), &h, &req, &n);
	if (err) {
		client__fail(ch->ld, err, "CLOSE: %s", strerror(-err));
		goto cleanup;
	}
	ch->ctl_len = n;
	ch->ctl_off = 0;
	ch->next_msg_id++;
	ch->phase = PHASE_CLOSE;
cleanup:
	return err;
}

/* I/O number i of the run: a READ (true) or a WRITE. */
static bool client__is_read(const struct engine_client_conf *conf, uint64_t i)
{
	if (conf->workload == ENGINE_MIXED)
		return (i % 100) * conf->read_pct % 100 < conf->read_pct;
	return conf->workload == ENGINE_READ;
}

/* Append requests while depth, credits and bytes allow; only once all before have been sent. */
static int client__fill(struct engine_chan *ch)
{
	struct engine_load *ld = ch->ld;
	const struct engine_client_conf *conf = ld->conf;
	struct smb2_read_req rreq = {
		.padding = SMB2_READ_RSP_DATA_OFFSET,
		.file_id_persistent = ch->file_persistent,
		.file_id_volatile = ch->file_volatile,
		.channel = SMB2_CHANNEL_NONE,
	};
	struct smb2_write_req wreq = {
		.data_offset = SMB2_WRITE_REQ_DATA_OFFSET,
		.file_id_persistent = ch->file_persistent,
		.file_id_volatile = ch->file_volatile,
		.channel = SMB2_CHANNEL_NONE,
	};
	struct engine_inflight *f;
	struct smb2_hdr h;
	uint64_t len, off;
	uint16_t charge;
	bool rd;
	size_t n;
	int err = 0;

	if (ch->phase != PHASE_IO || ld->stopping || ch->ctl_off < ch->ctl_len ||
	    ch->ring_stamped < ch->ring_count)
		goto cleanup;
	ch->tx_len = 0;
	ch->tx_part = 0;
	while (ch->ring_count < ch->ring_cap) {
		/* Credits for a whole I/O first: once taken, a piece of the file must be sent. */
		if (ch->credit_hi - ch->next_msg_id < smb2__credit_charge(conf->io_size))
			break;
		/* The next io_size bytes of the file, whichever thread asks first. */
		off = atomic_fetch_add(&ld->sh->requested, conf->io_size);
		if (off >= ld->total) {
			ld->stopping = true;
			break;
		}
		len = ld->total - off;
		if (len > conf->io_size)
			len = conf->io_size;
		charge = smb2__credit_charge(len);
		client__hdr(ch, &h);
		h.credit_charge = charge;
		h.credits = charge; /* ask back what this request spends: a steady window */
		rd = client__is_read(conf, off / conf->io_size); /* I/O number off / io_size */
		if (rd) {
			rreq.length = (uint32_t)len;
			rreq.offset = off;
			err = smb2__read_req_encode(ch->tx + ch->tx_len, ch->tx_cap - ch->tx_len,
						    &h, &rreq, &n);
		} else {
			wreq.length = (uint32_t)len;
			wreq.offset = off;
			err = smb2__write_req_encode(ch->tx + ch->tx_len, ch->tx_cap - ch->tx_len,
						     &h, &wreq, &n);
		}
		if (err)
			goto cleanup;
		f = &ch->ring[(ch->ring_head + ch->ring_count) % ch->ring_cap];
		*f = (struct engine_inflight){
			.msg_id = ch->next_msg_id,
			.offset = off,
			.hdr_off = (uint32_t)ch->tx_len,
			.hdr_len = (uint32_t)n,
			.length = (uint32_t)len,
			.write = !rd,
		};
		if (!rd) {
			f->data = ld->pattern + off % ENGINE_PATTERN_PERIOD;
			f->data_len = (uint32_t)len;
		}
		ch->tx_len += n;
		ch->ring_count++;
		ch->next_msg_id += charge;
	}
	if (!ch->ring_count && !ld->stopping) {
		err = client__fail(ld, -EPROTO,
				   "the server granted %" PRIu64 " credits; a request needs %u",
				   ch->credit_hi - ch->next_msg_id,
				   (unsigned)smb2__credit_charge(conf->io_size));
		goto cleanup;
	}
cleanup:
	return err;
}

/* The first request has fully left: the copy's clock starts. */
static void client__started(struct engine_load *ld, uint64_t now)
{
	const struct engine_client_conf *conf = ld->conf;
	uint64_t cur = atomic_load(&ld->sh->first_ns);

	/* The run's clock starts at the earliest first request of any thread. */
	while ((!cur || now < cur) && !atomic_compare_exchange_weak(&ld->sh->first_ns, &cur, now))
		;
	if (cur && cur < now)
		now = cur;
	ld->first_ns = now;
	if (conf->duration_ns) {
		ld->win_start = now + conf->warmup_ns;
		ld->win_end = ld->win_start + conf->duration_ns;
		ld->res->start_ns = ld->win_start;
	} else {
		ld->res->start_ns = now;
		client__cpu_mark(ld, true);
	}
}

/*
 * Send ctl (NEGOTIATE, CREATE, CLOSE), else queued requests (framing from tx, WRITE payload from
 * the pattern, in one sendmsg); time-stamp each once its last byte has been handed to the kernel.
 */
static int client__send(struct engine_chan *ch)
{
	struct engine_load *ld = ch->ld;
	struct iovec iov[ENGINE_IOV];
	struct engine_inflight *f;
	uint64_t now, skip, rem;
	ssize_t n;
	int cnt = 0, err = 0;

	if (ch->ctl_off < ch->ctl_len) {
		iov[cnt++] = (struct iovec){ ch->ctl + ch->ctl_off, ch->ctl_len - ch->ctl_off };
	} else {
		for (uint32_t i = ch->ring_stamped; i < ch->ring_count && cnt + 2 <= ENGINE_IOV;
		     i++) {
			f = &ch->ring[(ch->ring_head + i) % ch->ring_cap];
			skip = i == ch->ring_stamped ? ch->tx_part : 0;
			if (skip < f->hdr_len) {
				iov[cnt++] = (struct iovec){ ch->tx + f->hdr_off + skip,
							     f->hdr_len - skip };
				if (f->data_len)
					iov[cnt++] = (struct iovec){ (void *)f->data, f->data_len };
			} else {
				skip -= f->hdr_len;
				iov[cnt++] = (struct iovec){ (void *)(f->data + skip),
							     f->data_len - skip };
			}
		}
	}
	if (!cnt)
		goto cleanup;
	n = ld->tp->sendv(ch->fd, iov, cnt);
	if (n == -EAGAIN)
		goto cleanup;
	if (n < 0) {
		err = (int)n;
		goto cleanup;
	}
	ld->res->wire_tx_bytes += n;
	if (ch->ctl_off < ch->ctl_len) {
		ch->ctl_off += n;
		goto cleanup;
	}
	now = now_ns();
	while (n > 0) {
		f = &ch->ring[(ch->ring_head + ch->ring_stamped) % ch->ring_cap];
		rem = f->hdr_len + (uint64_t)f->data_len - ch->tx_part;
		if ((uint64_t)n < rem) {
			ch->tx_part += n;
			break;
		}
		n -= rem;
		ch->tx_part = 0;
		f->sent_ns = now;
		if (!ld->first_ns)
			client__started(ld, now);
		ch->ring_stamped++;
	}
cleanup:
	return err;
}

static struct engine_inflight *client__find(struct engine_chan *ch, uint64_t msg_id)
{
	struct engine_inflight *f;

	/* The server answers in order, so the oldest request is nearly always the one. */
	for (uint32_t i = 0; i < ch->ring_stamped; i++) {
		f = &ch->ring[(ch->ring_head + i) % ch->ring_cap];
		if (f->msg_id == msg_id && !f->done)
			return f;
	}
	return NULL;
}

static void client__complete(struct engine_chan *ch, uint64_t now)
{
	struct engine_load *ld = ch->ld;
	struct engine_inflight *f = ch->cur;
	struct engine_result *res = ld->res;
	uint64_t idx;

	/* By duration, only what completes inside the window counts (warm-up, cool-down out). */
	if (!ld->conf->duration_ns || (now >= ld->win_start && now < ld->win_end)) {
		res->bytes += f->length;
		if (f->write)
			res->write_bytes += f->length;
		else
			res->read_bytes += f->length;
		res->ios++;
		iovb_hist__add(&res->latency_ns, now - f->sent_ns);
		atomic_fetch_add(&ld->sh->done, f->length);
		idx = series__fit(res, now > res->start_ns ? now - res->start_ns : 0);
		res->series_bytes[idx] += f->length;
		if (idx >= res->series_n)
			res->series_n = (uint32_t)idx + 1;
		ld->last_done_ns = now;
	}
	f->done = true;
	while (ch->ring_count && ch->ring[ch->ring_head].done) {
		ch->ring_head = (ch->ring_head + 1) % ch->ring_cap;
		ch->ring_count--;
		ch->ring_stamped--;
	}
	ch->cur = NULL;
}

static int client__on_negotiate(struct engine_chan *ch)
{
	struct engine_load *ld = ch->ld;
	const struct engine_client_conf *conf = ld->conf;
	const uint8_t *msg = ch->head + SMB2_NB_LEN;
	struct smb2_negotiate_rsp rsp;
	struct smb2_hdr h;
	int err;

	err = smb2__negotiate_rsp_decode(msg, ch->msg_len, &h, &rsp);
	if (err) {
		client__fail(ld, err, "malformed NEGOTIATE response (%s)", strerror(-err));
		goto cleanup;
	}
	if (ch->phase != PHASE_NEGOTIATE || h.message_id != 0 || rsp.dialect != SMB2_DIALECT_0210) {
		err = client__fail(ld, -EPROTO,
				   "unexpected NEGOTIATE response (MessageId %" PRIu64
				   ", dialect 0x%04x)",
				   h.message_id, rsp.dialect);
		goto cleanup;
	}
	if (conf->workload != ENGINE_WRITE && conf->io_size > rsp.max_read_size) {
		err = client__fail(ld, -EMSGSIZE, "io size %u is above the server's MaxReadSize %u",
				   conf->io_size, rsp.max_read_size);
		goto cleanup;
	}
	if (conf->workload != ENGINE_READ && conf->io_size > rsp.max_write_size) {
		err = client__fail(ld, -EMSGSIZE,
				   "io size %u is above the server's MaxWriteSize %u",
				   conf->io_size, rsp.max_write_size);
		goto cleanup;
	}
	if (conf->io_size > SMB2_CREDIT_UNIT && !(rsp.capabilities & SMB2_GLOBAL_CAP_LARGE_MTU)) {
		err = client__fail(ld, -EPROTO,
				   "io size %u needs multi-credit (large MTU) the server lacks",
				   conf->io_size);
		goto cleanup;
	}
	ch->credit_hi += h.credits;
	ch->max_read = rsp.max_read_size;
	ch->phase = PHASE_CREATE;
	err = client__queue_create(ch);
cleanup:
	return err;
}

static int client__on_create(struct engine_chan *ch)
{
	const uint8_t *msg = ch->head + SMB2_NB_LEN;
	struct smb2_create_rsp rsp;
	struct smb2_hdr h;
	int err;

	err = smb2__create_rsp_decode(msg, ch->msg_len, &h, &rsp);
	if (err) {
		client__fail(ch->ld, err, "malformed CREATE response (%s)", strerror(-err));
		goto cleanup;
	}
	if (ch->phase != PHASE_CREATE || h.message_id != 1) {
		err = client__fail(ch->ld, -EPROTO,
				   "unexpected CREATE response (MessageId %" PRIu64 ")",
				   h.message_id);
		goto cleanup;
	}
	ch->credit_hi += h.credits;
	ch->file_persistent = rsp.file_id_persistent;
	ch->file_volatile = rsp.file_id_volatile;
	ch->phase = PHASE_IO;
	ch->ld->res->conns++;
cleanup:
	return err;
}

static int client__on_close(struct engine_chan *ch)
{
	const uint8_t *msg = ch->head + SMB2_NB_LEN;
	struct smb2_close_rsp rsp;
	struct smb2_hdr h;
	int err;

	err = smb2__close_rsp_decode(msg, ch->msg_len, &h, &rsp);
	if (err) {
		client__fail(ch->ld, err, "malformed CLOSE response (%s)", strerror(-err));
		goto cleanup;
	}
	if (ch->phase != PHASE_CLOSE || h.message_id != ch->next_msg_id - 1) {
		err = client__fail(ch->ld, -EPROTO,
				   "unexpected CLOSE response (MessageId %" PRIu64 ")",
				   h.message_id);
		goto cleanup;
	}
	ch->credit_hi += h.credits;
	ch->phase = PHASE_DONE;
cleanup:
	return err;
}

/* An interim STATUS_PENDING response: the request's final answer comes later, async. */
static int client__on_interim(struct engine_chan *ch)
{
	const uint8_t *msg = ch->head + SMB2_NB_LEN, *edata;
	struct engine_inflight *f;
	struct smb2_hdr h;
	uint32_t elen;
	int err;

	err = smb2__error_rsp_decode(msg, ch->msg_len, &h, &edata, &elen);
	if (err) {
		client__fail(ch->ld, err, "malformed interim response (%s)", strerror(-err));
		goto cleanup;
	}
	f = client__find(ch, h.message_id);
	if (!f || f->async_id || !h.async_id) {
		err = client__fail(ch->ld, -EPROTO,
				   "interim response to unknown MessageId %" PRIu64, h.message_id);
		goto cleanup;
	}
	f->async_id = h.async_id;
	ch->credit_hi += h.credits;
	ch->ld->res->pending++;
cleanup:
	return err;
}

/* A final response is async exactly when an interim one came before it, with its AsyncId. */
static int client__check_async(struct engine_chan *ch, const struct smb2_hdr *h,
			       const struct engine_inflight *f)
{
	bool async = h->flags & SMB2_FLAGS_ASYNC_COMMAND;

	if (async == !!f->async_id && (!async || h->async_id == f->async_id))
		return 0;
	return client__fail(ch->ld, -EPROTO,
			    "response to MessageId %" PRIu64 " with AsyncId %" PRIu64
			    " (interim said %" PRIu64 ")",
			    h->message_id, h->async_id, f->async_id);
}

/* The header of a READ response is in: match it to its request, then let the data through. */
static int client__on_read(struct engine_chan *ch)
{
	const uint8_t *msg = ch->head + SMB2_NB_LEN;
	struct smb2_read_rsp rsp;
	struct engine_inflight *f;
	struct smb2_hdr h;
	int err;

	err = smb2__read_rsp_decode(msg, SMB2_READ_RSP_DATA_OFFSET, ch->msg_len, ch->max_read, &h,
				    &rsp);
	if (err) {
		client__fail(ch->ld, err, "malformed READ response (%s)", strerror(-err));
		goto cleanup;
	}
	f = client__find(ch, h.message_id);
	if (!f || f->write) {
		err = client__fail(ch->ld, -EPROTO, "READ response to unknown MessageId %" PRIu64,
				   h.message_id);
		goto cleanup;
	}
	err = client__check_async(ch, &h, f);
	if (err)
		goto cleanup;
	if (rsp.data_length != f->length) {
		err = client__fail(ch->ld, -EPROTO, "READ of %u bytes answered with %u", f->length,
				   rsp.data_length);
		goto cleanup;
	}
	ch->credit_hi += h.credits;
	ch->cur = f;
	ch->skip = ch->msg_len - SMB2_READ_RSP_DATA_OFFSET;
	ch->data_pos = 0;
	ch->data_lo = rsp.data_length ? rsp.data_offset - SMB2_READ_RSP_DATA_OFFSET : 0;
	ch->data_hi = ch->data_lo + rsp.data_length;
cleanup:
	return err;
}

/* A WRITE response (or the server's verdict that its data was wrong), whole in head. */
static int client__on_write(struct engine_chan *ch)
{
	struct engine_load *ld = ch->ld;
	const uint8_t *msg = ch->head + SMB2_NB_LEN, *edata;
	struct smb2_write_rsp rsp;
	struct engine_inflight *f;
	struct smb2_hdr h;
	uint64_t bad = 0;
	uint32_t elen;
	int err;

	err = smb2__write_rsp_decode(msg, ch->msg_len, &h, &rsp);
	if (err == -EREMOTEIO && h.status == SMB2_STATUS_DATA_ERROR) {
		f = client__find(ch, h.message_id);
		err = smb2__error_rsp_decode(msg, ch->msg_len, &h, &edata, &elen);
		if (err || !f || !f->write) {
			err = client__fail(ld, -EPROTO, "malformed WRITE error response");
			goto cleanup;
		}
		/* ErrorData: the first wrong byte's file offset; without it, the WRITE's. */
		bad = f->offset;
		if (elen >= 8) {
			bad = 0;
			for (int i = 7; i >= 0; i--)
				bad = bad << 8 | edata[i];
		}
		ld->res->bad_offset = bad;
		err = client__fail(ld, -EBADMSG,
				   "the server found WRITE data differing from the pattern at "
				   "offset %" PRIu64,
				   bad);
		goto cleanup;
	}
	if (err) {
		client__fail(ld, err, "malformed WRITE response (%s)", strerror(-err));
		goto cleanup;
	}
	f = client__find(ch, h.message_id);
	if (!f || !f->write) {
		err = client__fail(ld, -EPROTO, "WRITE response to unknown MessageId %" PRIu64,
				   h.message_id);
		goto cleanup;
	}
	err = client__check_async(ch, &h, f);
	if (err)
		goto cleanup;
	if (rsp.count != f->length) {
		err = client__fail(ld, -EPROTO, "WRITE of %u bytes answered with Count %u",
				   f->length, rsp.count);
		goto cleanup;
	}
	ch->credit_hi += h.credits;
	ch->cur = f;
	ch->skip = 0;
cleanup:
	return err;
}

/* Header collected: decide how much more to collect before decoding. */
static int client__on_hdr(struct engine_chan *ch)
{
	/* No READ asks for more than io_size; DataOffset (one byte) may add padding before it. */
	uint32_t max_msg = ENGINE_CLI_HEAD + UINT8_MAX + ch->ld->conf->io_size;
	struct smb2_hdr h;
	uint32_t body;
	int err;

	err = smb2__frame_peek(ch->head, ch->head_have, max_msg, &ch->msg_len);
	if (!err)
		err = smb2__hdr_decode(ch->head + SMB2_NB_LEN, SMB2_HDR_LEN, &h);
	if (err) {
		client__fail(ch->ld, err, "malformed response from the server (%s)",
			     strerror(-err));
		goto cleanup;
	}
	ch->interim = h.status == SMB2_STATUS_PENDING && (h.flags & SMB2_FLAGS_ASYNC_COMMAND);
	/* A WRITE's DATA_ERROR carries where the data went wrong: read it whole. */
	if (h.status != SMB2_STATUS_SUCCESS && !ch->interim &&
	    !(h.command == SMB2_WRITE && h.status == SMB2_STATUS_DATA_ERROR)) {
		err = client__fail(ch->ld, -EREMOTEIO,
				   "the server answered command %u with status 0x%08x", h.command,
				   h.status);
		goto cleanup;
	}
	if (h.command == SMB2_READ && !ch->interim) {
		body = SMB2_READ_RSP_DATA_OFFSET;
		if (ch->msg_len < body) {
			err = client__fail(ch->ld, -EBADMSG, "truncated READ response");
			goto cleanup;
		}
	} else {
		body = ch->msg_len;
		if (body > ENGINE_CLI_HEAD - SMB2_NB_LEN) {
			err = client__fail(ch->ld, -EMSGSIZE, "oversized response to command %u",
					   h.command);
			goto cleanup;
		}
	}
	ch->command = h.command;
	ch->head_need = SMB2_NB_LEN + body;
	ch->stage = STAGE_BODY;
cleanup:
	return err;
}

static int client__on_body(struct engine_chan *ch)
{
	int err;

	if (ch->interim)
		err = client__on_interim(ch);
	else if (ch->command == SMB2_READ)
		err = client__on_read(ch);
	else if (ch->command == SMB2_WRITE)
		err = client__on_write(ch);
	else if (ch->command == SMB2_NEGOTIATE)
		err = client__on_negotiate(ch);
	else if (ch->command == SMB2_CREATE)
		err = client__on_create(ch);
	else if (ch->command == SMB2_CLOSE)
		err = client__on_close(ch);
	else
		err = client__fail(ch->ld, -EPROTO, "unexpected response to command %u",
				   ch->command);
	if (!err)
		ch->stage = STAGE_DATA;
	return err;
}

/* The next n bytes of the READ response's rest: check those that are data. */
static int client__check(struct engine_chan *ch, const uint8_t *p, uint64_t n)
{
	uint64_t a = ch->data_pos > ch->data_lo ? ch->data_pos : ch->data_lo;
	uint64_t b = ch->data_pos + n < ch->data_hi ? ch->data_pos + n : ch->data_hi;
	uint64_t off, bad;
	int err = 0;

	ch->data_pos += n;
	if (a >= b)
		goto cleanup;
	off = ch->cur->offset + (a - ch->data_lo);
	bad = pattern__check(ch->ld->pattern, p + (a - (ch->data_pos - n)), b - a, off);
	if (bad != ENGINE_NO_BAD) {
		ch->ld->res->bad_offset = bad;
		err = client__fail(ch->ld, -EBADMSG,
				   "READ data differs from the pattern at offset %" PRIu64, bad);
	}
cleanup:
	return err;
}

/* Feed received bytes through the frame parser; `now` is when they arrived. */
static int client__rx(struct engine_chan *ch, const uint8_t *p, size_t n, uint64_t now)
{
	uint64_t k;
	int err = 0;

	while (n || (ch->stage == STAGE_DATA && !ch->skip)) {
		if (ch->stage == STAGE_DATA) {
			k = ch->skip < n ? ch->skip : n;
			if (ch->ld->conf->verify && ch->cur && k) {
				err = client__check(ch, p, k);
				if (err)
					goto cleanup;
			}
			ch->skip -= k;
			p += k;
			n -= k;
			if (ch->skip)
				continue;
			if (ch->cur)
				client__complete(ch, now);
			ch->stage = STAGE_HDR;
			ch->head_have = 0;
			ch->head_need = SMB2_NB_LEN + SMB2_HDR_LEN;
			continue;
		}
		k = ch->head_need - ch->head_have;
		if (k > n)
			k = n;
		memcpy(ch->head + ch->head_have, p, k);
		ch->head_have += k;
		p += k;
		n -= k;
		if (ch->head_have < ch->head_need)
			continue;
		err = ch->stage == STAGE_HDR ? client__on_hdr(ch) : client__on_body(ch);
		if (err)
			goto cleanup;
		/* A message of just a header (no body) is complete at once. */
		if (ch->stage == STAGE_BODY && ch->head_have >= ch->head_need) {
			err = client__on_body(ch);
			if (err)
				goto cleanup;
		}
		if (ch->stage == STAGE_DATA && ch->cur == NULL)
			ch->skip = SMB2_NB_LEN + ch->msg_len - ch->head_have;
	}
cleanup:
	return err;
}

static void client__describe(const struct engine_client_conf *conf, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 8] = "?", port[8] = "?";

	getnameinfo((const struct sockaddr *)&conf->server, conf->server_len, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	snprintf(buf, len, conf->server.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* One turn of a connection: queue, send, receive once. *moved: bytes came in. */
static int chan__turn(struct engine_chan *ch, bool *moved)
{
	struct engine_load *ld = ch->ld;
	ssize_t n;
	int err;

	if (ch->phase == PHASE_IO && ld->stopping && !ch->ring_count &&
	    ch->ctl_off >= ch->ctl_len) {
		err = client__queue_close(ch);
		if (err)
			goto cleanup;
	}
	err = client__fill(ch);
	if (err)
		goto cleanup;
	err = client__send(ch);
	if (err)
		goto cleanup;
	n = ld->tp->recv(ch->fd, ld->rx, ENGINE_CLI_RX);
	if (n > 0) {
		ld->res->wire_bytes += n;
		*moved = true;
		err = client__rx(ch, ld->rx, n, now_ns());
		goto cleanup;
	}
	if (n != -EAGAIN)
		err = n ? (int)n : -ECONNRESET;
cleanup:
	return err;
}

/*
 * Before sleeping: how much must be queued before a poll() says the connection is readable.
 * Only inside a message's data, and never more than the rest of that message, which the
 * server is sending anyway: the wait cannot outlast the response.
 */
static int chan__set_lowat(struct engine_chan *ch)
{
	const struct engine_transport *tp = ch->ld->tp;
	int want = 1, err = 0;

	if (!tp->lowat)
		goto cleanup;
	if (ch->stage == STAGE_DATA && ch->skip > 1)
		want = ch->skip < ENGINE_CLI_LOWAT ? (int)ch->skip : (int)ENGINE_CLI_LOWAT;
	if (want == ch->lowat)
		goto cleanup;
	err = tp->lowat(ch->fd, want);
	if (err)
		err = client__fail(ch->ld, err, "SO_RCVLOWAT: %s", strerror(-err));
	else
		ch->lowat = want;
cleanup:
	return err;
}

/* What a socket-level error (the peer went away, the socket failed) says, once. */
static int client__lost(struct engine_load *ld, int err)
{
	const char *what = ld->total == UINT64_MAX ? "" : " of ";
	char of[32] = "";

	if (ld->total != UINT64_MAX)
		snprintf(of, sizeof(of), "%" PRIu64, ld->total);
	if (err == -ECONNRESET || err == -EPIPE)
		return client__fail(ld, -ECONNRESET,
				    "server closed the connection after %" PRIu64 "%s%s bytes",
				    atomic_load(&ld->sh->done), what, of);
	return client__fail(ld, err, "connection failed after %" PRIu64 "%s%s bytes: %s",
			    atomic_load(&ld->sh->done), what, of, strerror(-err));
}

static int client__loop(struct engine_load *ld)
{
	const struct engine_client_conf *conf = ld->conf;
	struct engine_result *res = ld->res;
	uint64_t now, wait_ns;
	unsigned done;
	bool moved;
	int err = 0;

	for (;;) {
		now = now_ns();
		/*
		 * Another thread may have started the clock first: the window is the run's, and
		 * this thread's CPU counts from then on even if it never gets an I/O.
		 */
		if (!ld->first_ns && atomic_load(&ld->sh->first_ns))
			client__started(ld, atomic_load(&ld->sh->first_ns));
		if (conf->duration_ns && ld->first_ns) {
			if (now >= ld->win_start)
				client__cpu_mark(ld, true);
			if (now >= ld->win_end) {
				ld->stopping = true;
				client__cpu_mark(ld, false);
			}
		}
		if (atomic_load(&ld->sh->requested) >= ld->total)
			ld->stopping = true;
		if (atomic_load(&ld->sh->abort)) {
			err = client__fail(ld, -ECANCELED, "stopped: another thread failed");
			goto cleanup;
		}
		done = 0;
		for (unsigned i = 0; i < ld->nchan; i++)
			done += ld->ch[i].phase == PHASE_DONE;
		if (done == ld->nchan)
			break;
		if (ld->deadline_ns && now >= ld->deadline_ns) {
			err = client__fail(ld, -ETIMEDOUT,
					   "aborted at the time limit after %" PRIu64 " of %" PRIu64
					   " bytes",
					   atomic_load(&ld->sh->done), ld->total);
			goto cleanup;
		}
		if (now >= ld->next_tick_ns) {
			if (conf->progress && ld->thread == 0)
				conf->progress(conf->progress_arg, atomic_load(&ld->sh->done),
					       conf->duration_ns ? 0 : ld->total);
			ld->next_tick_ns = now + (conf->progress_ns ?: ENGINE_TICK_NS);
		}
		moved = false;
		for (unsigned i = 0; i < ld->nchan; i++) {
			struct engine_chan *ch = &ld->ch[i];

			if (ch->phase == PHASE_DONE)
				continue;
			err = chan__turn(ch, &moved);
			if (err)
				goto cleanup;
		}
		if (moved)
			continue;
		wait_ns = ld->next_tick_ns - now;
		if (ld->deadline_ns && ld->deadline_ns - now < wait_ns)
			wait_ns = ld->deadline_ns - now;
		if (conf->duration_ns && ld->first_ns && !ld->stopping) {
			uint64_t edge = now < ld->win_start ? ld->win_start : ld->win_end;

			if (edge > now && edge - now < wait_ns)
				wait_ns = edge - now;
		}
		for (unsigned i = 0; i < ld->nchan; i++) {
			struct engine_chan *ch = &ld->ch[i];

			if (ch->phase != PHASE_DONE) {
				err = chan__set_lowat(ch);
				if (err)
					goto cleanup;
			}
			ld->pfd[i].fd = ch->phase == PHASE_DONE ? -1 : ch->fd;
			ld->pfd[i].events =
				POLLIN |
				(ch->ctl_off < ch->ctl_len || ch->ring_stamped < ch->ring_count
					 ? POLLOUT
					 : 0);
		}
		if (poll(ld->pfd, ld->nchan, (int)(wait_ns / 1000000 + 1)) < 0 && errno != EINTR) {
			err = client__fail(ld, -errno, "poll: %s", strerror(errno));
			goto cleanup;
		}
	}
cleanup:
	/* Socket-level ends: the peer went away (EOF, RST, EPIPE) or the socket failed. */
	if (err && !res->status)
		err = client__lost(ld, err);
	return err;
}

static int chan__open(struct engine_load *ld, struct engine_chan *ch, unsigned idx, int timeout_ms)
{
	const struct engine_client_conf *conf = ld->conf;
	char where[INET6_ADDRSTRLEN + 16];
	int err;

	*ch = (struct engine_chan){ .ld = ld, .idx = idx, .fd = -1, .phase = PHASE_NEGOTIATE };
	ch->ring_cap = conf->depth;
	ch->ring = calloc(ch->ring_cap, sizeof(*ch->ring));
	ch->tx_cap = (size_t)conf->depth * (SMB2_READ_REQ_FRAME > SMB2_WRITE_REQ_HEAD
						    ? SMB2_READ_REQ_FRAME
						    : SMB2_WRITE_REQ_HEAD);
	ch->tx = malloc(ch->tx_cap);
	if (!ch->ring || !ch->tx) {
		err = client__fail(ld, -ENOMEM, "out of memory");
		goto cleanup;
	}
	ch->credit_hi = 1; /* the one credit every connection starts with */
	ch->lowat = 1;
	ch->stage = STAGE_HDR;
	ch->head_need = SMB2_NB_LEN + SMB2_HDR_LEN;
	ch->fd = ld->tp->connect((const struct sockaddr *)&conf->server, conf->server_len,
				 timeout_ms);
	if (ch->fd < 0) {
		err = ch->fd;
		client__describe(conf, where, sizeof(where));
		client__fail(ld, err, "connect to %s: %s", where, strerror(-err));
		goto cleanup;
	}
	err = client__queue_negotiate(ch);
	if (err)
		client__fail(ld, err, "NEGOTIATE: %s", strerror(-err));
cleanup:
	return err;
}

static void chan__close(struct engine_chan *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	free(ch->tx);
	free(ch->ring);
}

/* One client thread: open its connections, run its loop, close; its share in ld->res. */
static int load__run(struct engine_load *ld, const unsigned *idx, unsigned nchan)
{
	const struct engine_client_conf *conf = ld->conf;
	struct engine_result *res = ld->res;
	int timeout_ms = -1;
	cpu_set_t set;
	int err;

	memset(res, 0, sizeof(*res));
	iovb_hist__init(&res->latency_ns);
	res->series_interval_ns = 1000000000ull;
	if (ld->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(ld->cpu, &set);
		err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (err) {
			client__fail(ld, err, "pin to CPU %d: %s", ld->cpu, strerror(-err));
			goto cleanup;
		}
	}
	ld->rx = malloc(ENGINE_CLI_RX);
	ld->ch = calloc(nchan, sizeof(*ld->ch));
	ld->pfd = calloc(nchan, sizeof(*ld->pfd));
	if (!ld->rx || !ld->ch || !ld->pfd) {
		err = client__fail(ld, -ENOMEM, "out of memory");
		goto cleanup;
	}
	if (conf->timeout_ns)
		timeout_ms = (int)(conf->timeout_ns / 1000000 + 1);
	for (unsigned i = 0; i < nchan; i++) {
		ld->nchan = i + 1;
		err = chan__open(ld, &ld->ch[i], idx[i], timeout_ms);
		if (err)
			goto cleanup;
	}
	err = client__loop(ld);
cleanup:
	if (err)
		atomic_store(&ld->sh->abort, 1);
	if (!conf->duration_ns) {
		res->end_ns = ld->last_done_ns ? ld->last_done_ns : res->start_ns;
	} else {
		/* The window, cut short where the copy stopped early. */
		res->end_ns = ld->win_end;
		if (err)
			res->end_ns =
				ld->last_done_ns > res->start_ns ? ld->last_done_ns : res->start_ns;
	}
	client__cpu_mark(ld, false);
	for (unsigned i = 0; i < ld->nchan; i++)
		chan__close(&ld->ch[i]);
	free(ld->pfd);
	free(ld->ch);
	free(ld->rx);
	return err;
}

struct load_thread {
	struct engine_load ld;
	struct engine_result res;
	unsigned idx[ENGINE_CONNS_MAX];
	unsigned nchan;
	pthread_t tid;
	bool started;
};

static void *load__thread(void *arg)
{
	struct load_thread *t = arg;
	char name[16];

	snprintf(name, sizeof(name), "iovb-load-%u", t->ld.thread);
	pthread_setname_np(pthread_self(), name);
	load__run(&t->ld, t->idx, t->nchan);
	return NULL;
}

/* Add one thread's share p into res (whose series interval is already the largest). */
static void load__merge(struct engine_result *res, const struct engine_result *p)
{
	uint64_t factor = res->series_interval_ns / p->series_interval_ns, shift = 0;

	res->bytes += p->bytes;
	res->read_bytes += p->read_bytes;
	res->write_bytes += p->write_bytes;
	res->ios += p->ios;
	res->wire_bytes += p->wire_bytes;
	res->wire_tx_bytes += p->wire_tx_bytes;
	res->conns += p->conns;
	res->pending += p->pending;
	iovb_hist__merge(&res->latency_ns, &p->latency_ns);
	if (p->start_ns > res->start_ns)
		shift = (p->start_ns - res->start_ns) / res->series_interval_ns;
	for (uint32_t i = 0; i < p->series_n; i++) {
		uint64_t k = i / factor + shift;

		if (k < ENGINE_SERIES_MAX)
			res->series_bytes[k] += p->series_bytes[i];
	}
	for (uint32_t i = 0; i < p->nthreads && res->nthreads < ENGINE_THREADS_MAX; i++)
		res->threads[res->nthreads++] = p->threads[i];
	/* The first real failure (not a thread stopped because another failed) is the run's. */
	if (p->status && (!res->status || res->status == -ECANCELED)) {
		res->status = p->status;
		res->bad_offset = p->bad_offset;
		memcpy(res->error, p->error, sizeof(res->error));
	}
}

int engine__client(const struct engine_client_conf *conf, struct engine_result *res)
{
	struct engine_shared sh = { 0 };
	struct load_thread *t = NULL;
	uint8_t *pattern = NULL;
	unsigned nchan = conf->conns ? conf->conns : 1;
	unsigned nthr = conf->threads ? conf->threads : 1;
	uint64_t start = now_ns(), span;
	int err = 0;

	memset(res, 0, sizeof(*res));
	iovb_hist__init(&res->latency_ns);
	res->series_interval_ns = 1000000000ull;
	if (conf->workload > ENGINE_MIXED || conf->read_pct > 100 || !conf->io_size ||
	    conf->io_size > ENGINE_MAX_IO || !conf->depth || nchan > ENGINE_CONNS_MAX ||
	    nthr > nchan || (conf->ncpus && !conf->cpus)) {
		res->status = -EINVAL;
		snprintf(res->error, sizeof(res->error), "invalid engine configuration");
		goto cleanup;
	}
	pattern = pattern__new(ENGINE_PATTERN_PERIOD + (size_t)conf->io_size);
	t = calloc(nthr, sizeof(*t));
	if (!pattern || !t) {
		res->status = -ENOMEM;
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto cleanup;
	}
	for (unsigned i = 0; i < nthr; i++) {
		t[i].ld = (struct engine_load){
			.tp = &engine_tcp,
			.conf = conf,
			.res = &t[i].res,
			.sh = &sh,
			.thread = i,
			.cpu = conf->ncpus ? conf->cpus[i % conf->ncpus] : -1,
			.pattern = pattern,
			.total = conf->duration_ns ? UINT64_MAX : conf->bytes,
			.deadline_ns = conf->timeout_ns ? start + conf->timeout_ns : 0,
			.next_tick_ns = start + (conf->progress_ns ?: ENGINE_TICK_NS),
		};
	}
	/* Connection i belongs to thread i mod threads. */
	for (unsigned i = 0; i < nchan; i++)
		t[i % nthr].idx[t[i % nthr].nchan++] = i;
	/* One thread: the caller's own (what `iovbench run` measures as the client). */
	if (nthr == 1) {
		load__run(&t[0].ld, t[0].idx, t[0].nchan);
	} else {
		for (unsigned i = 0; i < nthr; i++) {
			err = -pthread_create(&t[i].tid, NULL, load__thread, &t[i]);
			if (err) {
				atomic_store(&sh.abort, 1);
				res->status = err;
				snprintf(res->error, sizeof(res->error), "thread: %s",
					 strerror(-err));
				break;
			}
			t[i].started = true;
		}
		for (unsigned i = 0; i < nthr; i++)
			if (t[i].started)
				pthread_join(t[i].tid, NULL);
	}
	/* Merge: the window is the union of the threads' (the same one by duration). */
	res->start_ns = UINT64_MAX;
	for (unsigned i = 0; i < nthr; i++) {
		if (t[i].res.start_ns && t[i].res.start_ns < res->start_ns)
			res->start_ns = t[i].res.start_ns;
		if (t[i].res.end_ns > res->end_ns)
			res->end_ns = t[i].res.end_ns;
		if (t[i].res.series_interval_ns > res->series_interval_ns)
			res->series_interval_ns = t[i].res.series_interval_ns;
	}
	if (res->start_ns == UINT64_MAX)
		res->start_ns = 0;
	if (res->end_ns < res->start_ns)
		res->end_ns = res->start_ns;
	for (unsigned i = 0; i < nthr; i++)
		load__merge(res, &t[i].res);
	span = res->end_ns - res->start_ns;
	res->series_n = 0;
	if (span) {
		series__extend(res, span);
	}
cleanup:
	free(t);
	free(pattern);
	return res->status;
}
