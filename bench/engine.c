// SPDX-License-Identifier: GPL-2.0
/*
 * The bench engine: an SMB2 READ server (epoll, many connections, synthetic file contents) and a
 * client that copies a file with several READs in flight, as an SMB client does.
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
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
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
/* >= SMB2_NEGOTIATE_RSP_FRAME, SMB2_READ_RSP_HEAD, SMB2_WRITE_RSP_FRAME, an error + offset */
#define ENGINE_OUT_HDR 136
/* Where WRITE data lands when no leftover request bytes wait in rx: one per server. */
#define ENGINE_SRV_SINK (1u << 20)
#define ENGINE_NO_BAD UINT64_MAX
#define ENGINE_IOV 64
#define ENGINE_EVENTS 64
#define ENGINE_EPOLL_MS 200
/* Rounds of read-answer-send one connection gets before the others have their turn. */
#define ENGINE_PUMP_BUDGET 16
#define ENGINE_CLI_RX (1u << 20)
/* Largest message the client buffers whole (anything but READ data): NEGOTIATE, errors. */
#define ENGINE_CLI_HEAD 1024
#define ENGINE_TICK_NS 100000000ull

/* No SESSION_SETUP/TREE_CONNECT/CREATE yet: fixed handles, written where the real ones go. */
#define ENGINE_SESSION_ID 0x0000400000000001ull
#define ENGINE_TREE_ID 0x00000001u
#define ENGINE_FILE_PERSISTENT 0x0000000000000001ull
#define ENGINE_FILE_VOLATILE 0x00000000ffffffffull
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

static const struct engine_transport engine_tcp = {
	.name = "tcp",
	.listen = tcp__listen,
	.accept = tcp__accept,
	.connect = tcp__connect,
	.sendv = tcp__sendv,
	.recv = tcp__recv,
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
	struct smb2_hdr rh;
};

struct engine_conn {
	int fd;
	struct engine_conn *prev, *next;
	bool negotiated;
	struct engine_wr wr;
	bool ready; /* stopped on its budget, not on EAGAIN: no epoll edge will come for it */
	/* Credits as MessageIds: [msg_next, msg_hi) are granted and unused (MS-SMB2 3.3.1.1). */
	uint64_t msg_next, msg_hi;
	uint32_t rx_len;
	uint32_t out_head, out_count;
	struct engine_out out[ENGINE_SRV_QUEUE];
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
	for (size_t i = 0; i < len; i++)
		p[i] = engine__pattern_byte(i);
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
	/* Only the one open the fixed handles name exists (a real server: STATUS_FILE_CLOSED). */
	if (h.session_id != ENGINE_SESSION_ID || h.tree_id != ENGINE_TREE_ID ||
	    req.file_id_persistent != ENGINE_FILE_PERSISTENT ||
	    req.file_id_volatile != ENGINE_FILE_VOLATILE) {
		err = -ENOENT;
		goto cleanup;
	}
	err = conn__charge(c, &h);
	if (err)
		goto cleanup;
	conn__rsp_hdr(c, &h, &rh);
	rsp.data_length = req.length;
	err = smb2__read_rsp_encode(o->hdr, sizeof(o->hdr), &rh, &rsp, &n);
	if (err)
		goto cleanup;
	o->hdr_len = n;
	o->data = s->pattern + req.offset % ENGINE_PATTERN_PERIOD;
	if (s->corrupt && req.offset <= s->corrupt_at && s->corrupt_at - req.offset < req.length)
		o->data = s->bad + (req.offset - s->bad_base);
	o->data_len = req.length;
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
	if (h.session_id != ENGINE_SESSION_ID || h.tree_id != ENGINE_TREE_ID ||
	    req.file_id_persistent != ENGINE_FILE_PERSISTENT ||
	    req.file_id_volatile != ENGINE_FILE_VOLATILE) {
		err = -ENOENT;
		goto cleanup;
	}
	err = conn__charge(c, &h);
	if (err)
		goto cleanup;
	c->wr = (struct engine_wr){
		.active = true,
		.end = len - SMB2_WRITE_REQ_DATA_OFFSET,
		.lo = req.length ? req.data_offset - SMB2_WRITE_REQ_DATA_OFFSET : 0,
		.file_off = req.offset,
		.bad = ENGINE_NO_BAD,
		.length = req.length,
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
	if (c->wr.bad != ENGINE_NO_BAD) {
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

	if (s->verify && a < b && w->bad == ENGINE_NO_BAD) {
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
 * Answer every complete request in rx while the output queue has room. *full: it stopped because
 * the queue filled, so complete requests may still wait in rx (no new bytes will announce them).
 */
static int conn__parse(struct engine_server *s, struct engine_conn *c, bool *full)
{
	uint32_t off = 0, mlen, need;
	uint64_t k;
	struct engine_out *o;
	struct smb2_hdr h;
	const uint8_t *msg;
	int err = 0;

	while (c->out_count < ENGINE_SRV_QUEUE) {
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
		default:
			err = -EOPNOTSUPP;
			break;
		}
		if (err)
			goto cleanup;
		c->out_count++;
		off += SMB2_NB_LEN + mlen;
	}
	*full = c->out_count == ENGINE_SRV_QUEUE;
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
		/* Full queue: flush blocked; EPOLLOUT brings us back. Memory stays bounded. */
		if (c->out_count == ENGINE_SRV_QUEUE)
			break;
		/*
		 * Parse stopped on a full queue the flush has since drained: the requests left in
		 * rx are answered first. Reading (and stopping on EAGAIN) now would strand them: the
		 * peer may have sent everything already, so no edge would ever come for them.
		 */
		if (full)
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

static void server__accept(struct engine_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	struct engine_conn *c;
	int fd;

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
		if (conn__pump(s, c))
			conn__free(s, c);
	}
}

int engine__serve(const struct engine_server_conf *conf, volatile sig_atomic_t *stop)
{
	struct epoll_event evs[ENGINE_EVENTS];
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	struct engine_server s = { .tp = &engine_tcp, .listen_fd = conf->listen_fd, .epfd = -1 };
	static const char guid[16] = "iovbench-server";
	size_t plen;
	int fl, n, err = 0;

	s.max_io = conf->max_io_size ? conf->max_io_size : ENGINE_MAX_IO;
	s.verify = conf->verify;
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
			if ((evs[i].events & EPOLLERR) || conn__pump(&s, c))
				conn__free(&s, c);
		}
		for (struct engine_conn *c = s.conns, *next; s.nready && c; c = next) {
			next = c->next;
			if (c->ready && conn__pump(&s, c))
				conn__free(&s, c);
		}
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

struct engine_client {
	const struct engine_transport *tp;
	const struct engine_client_conf *conf;
	struct engine_result *res;
	int fd;
	bool negotiated;
	uint32_t max_read;
	uint8_t *pattern;     /* ENGINE_PATTERN_PERIOD + io_size bytes: WRITE payloads, checks */
	uint64_t requested;   /* bytes asked for so far */
	uint64_t nio;	      /* I/Os queued so far: picks READ or WRITE for mixed */
	uint64_t next_msg_id; /* MessageIds below are used */
	uint64_t credit_hi;   /* MessageIds below are granted */
	uint64_t deadline_ns; /* 0: none */
	uint64_t next_tick_ns;
	uint64_t last_done_ns;
	/* receive side */
	uint8_t *rx;
	enum client_stage stage;
	uint32_t head_have, head_need;
	uint32_t msg_len;
	uint16_t command;
	uint64_t skip;
	/* READ data of cur: [data_lo, data_hi) of the skip region; data_pos bytes passed */
	uint64_t data_pos, data_lo, data_hi;
	struct engine_inflight *cur;
	uint8_t head[ENGINE_CLI_HEAD];
	/* send side: NEGOTIATE from ctl; requests' framing appended to tx once all sent */
	uint8_t ctl[SMB2_NEGOTIATE_RSP_FRAME];
	size_t ctl_len, ctl_off;
	uint8_t *tx;
	size_t tx_cap, tx_len;
	uint64_t tx_part; /* bytes of ring[ring_stamped] sent so far */
	/* requests in flight, in send order; the first ring_stamped have fully left */
	struct engine_inflight *ring;
	uint32_t ring_cap, ring_head, ring_count, ring_stamped;
};

static int client__fail(struct engine_client *cl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first failure: status and its one-line reason. Returns err for chaining. */
static int client__fail(struct engine_client *cl, int err, const char *fmt, ...)
{
	va_list ap;

	if (cl->res->status)
		return cl->res->status;
	cl->res->status = err;
	va_start(ap, fmt);
	vsnprintf(cl->res->error, sizeof(cl->res->error), fmt, ap);
	va_end(ap);
	return err;
}

static void client__hdr(struct engine_client *cl, struct smb2_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->message_id = cl->next_msg_id;
	h->process_id = ENGINE_PROCESS_ID;
}

static int client__queue_negotiate(struct engine_client *cl)
{
	struct smb2_negotiate_req req = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
		.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU,
		.client_guid = "iovbench-client",
		.dialect_count = 1,
		.dialects = { SMB2_DIALECT_0210 },
	};
	uint64_t want = (uint64_t)cl->conf->depth * smb2__credit_charge(cl->conf->io_size);
	struct smb2_hdr h;
	size_t n;
	int err;

	client__hdr(cl, &h);
	/* CreditCharge 0: multi-credit is not negotiated yet (MS-SMB2 3.2.4.1.5). */
	h.credit_charge = 0;
	h.credits = want > UINT16_MAX ? UINT16_MAX : (uint16_t)want;
	err = smb2__negotiate_req_encode(cl->ctl, sizeof(cl->ctl), &h, &req, &n);
	if (err)
		goto cleanup;
	cl->ctl_len = n;
	cl->ctl_off = 0;
	cl->next_msg_id++;
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
static int client__fill(struct engine_client *cl)
{
	const struct engine_client_conf *conf = cl->conf;
	struct smb2_read_req rreq = {
		.padding = SMB2_READ_RSP_DATA_OFFSET,
		.file_id_persistent = ENGINE_FILE_PERSISTENT,
		.file_id_volatile = ENGINE_FILE_VOLATILE,
		.channel = SMB2_CHANNEL_NONE,
	};
	struct smb2_write_req wreq = {
		.data_offset = SMB2_WRITE_REQ_DATA_OFFSET,
		.file_id_persistent = ENGINE_FILE_PERSISTENT,
		.file_id_volatile = ENGINE_FILE_VOLATILE,
		.channel = SMB2_CHANNEL_NONE,
	};
	struct engine_inflight *f;
	struct smb2_hdr h;
	uint64_t len;
	uint16_t charge;
	bool rd;
	size_t n;
	int err = 0;

	if (!cl->negotiated || cl->ctl_off < cl->ctl_len || cl->ring_stamped < cl->ring_count)
		goto cleanup;
	cl->tx_len = 0;
	cl->tx_part = 0;
	while (cl->requested < conf->bytes && cl->ring_count < cl->ring_cap) {
		len = conf->bytes - cl->requested;
		if (len > conf->io_size)
			len = conf->io_size;
		charge = smb2__credit_charge(len);
		if (cl->credit_hi - cl->next_msg_id < charge)
			break;
		client__hdr(cl, &h);
		h.credit_charge = charge;
		h.credits = charge; /* ask back what this request spends: a steady window */
		h.tree_id = ENGINE_TREE_ID;
		h.session_id = ENGINE_SESSION_ID;
		rd = client__is_read(conf, cl->nio);
		if (rd) {
			rreq.length = (uint32_t)len;
			rreq.offset = cl->requested;
			err = smb2__read_req_encode(cl->tx + cl->tx_len, cl->tx_cap - cl->tx_len,
						    &h, &rreq, &n);
		} else {
			wreq.length = (uint32_t)len;
			wreq.offset = cl->requested;
			err = smb2__write_req_encode(cl->tx + cl->tx_len, cl->tx_cap - cl->tx_len,
						     &h, &wreq, &n);
		}
		if (err)
			goto cleanup;
		f = &cl->ring[(cl->ring_head + cl->ring_count) % cl->ring_cap];
		*f = (struct engine_inflight){
			.msg_id = cl->next_msg_id,
			.offset = cl->requested,
			.hdr_off = (uint32_t)cl->tx_len,
			.hdr_len = (uint32_t)n,
			.length = (uint32_t)len,
			.write = !rd,
		};
		if (!rd) {
			f->data = cl->pattern + cl->requested % ENGINE_PATTERN_PERIOD;
			f->data_len = (uint32_t)len;
		}
		cl->tx_len += n;
		cl->ring_count++;
		cl->nio++;
		cl->next_msg_id += charge;
		cl->requested += len;
	}
	if (!cl->ring_count && cl->requested < conf->bytes) {
		err = client__fail(cl, -EPROTO,
				   "the server granted %" PRIu64 " credits; a request needs %u",
				   cl->credit_hi - cl->next_msg_id,
				   (unsigned)smb2__credit_charge(conf->io_size));
		goto cleanup;
	}
cleanup:
	return err;
}

/*
 * Send NEGOTIATE, then queued requests (framing from tx, WRITE payload from the pattern, in one
 * sendmsg); time-stamp each once its last byte has been handed to the kernel.
 */
static int client__send(struct engine_client *cl)
{
	struct iovec iov[ENGINE_IOV];
	struct engine_inflight *f;
	uint64_t now, skip, rem;
	ssize_t n;
	int cnt = 0, err = 0;

	if (cl->ctl_off < cl->ctl_len) {
		iov[cnt++] = (struct iovec){ cl->ctl + cl->ctl_off, cl->ctl_len - cl->ctl_off };
	} else {
		for (uint32_t i = cl->ring_stamped; i < cl->ring_count && cnt + 2 <= ENGINE_IOV;
		     i++) {
			f = &cl->ring[(cl->ring_head + i) % cl->ring_cap];
			skip = i == cl->ring_stamped ? cl->tx_part : 0;
			if (skip < f->hdr_len) {
				iov[cnt++] = (struct iovec){ cl->tx + f->hdr_off + skip,
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
	n = cl->tp->sendv(cl->fd, iov, cnt);
	if (n == -EAGAIN)
		goto cleanup;
	if (n < 0) {
		err = (int)n;
		goto cleanup;
	}
	cl->res->wire_tx_bytes += n;
	if (cl->ctl_off < cl->ctl_len) {
		cl->ctl_off += n;
		goto cleanup;
	}
	now = now_ns();
	while (n > 0) {
		f = &cl->ring[(cl->ring_head + cl->ring_stamped) % cl->ring_cap];
		rem = f->hdr_len + (uint64_t)f->data_len - cl->tx_part;
		if ((uint64_t)n < rem) {
			cl->tx_part += n;
			break;
		}
		n -= rem;
		cl->tx_part = 0;
		f->sent_ns = now;
		if (!cl->res->start_ns)
			cl->res->start_ns = now;
		cl->ring_stamped++;
	}
cleanup:
	return err;
}

static struct engine_inflight *client__find(struct engine_client *cl, uint64_t msg_id)
{
	struct engine_inflight *f;

	/* The server answers in order, so the oldest request is nearly always the one. */
	for (uint32_t i = 0; i < cl->ring_stamped; i++) {
		f = &cl->ring[(cl->ring_head + i) % cl->ring_cap];
		if (f->msg_id == msg_id && !f->done)
			return f;
	}
	return NULL;
}

static void client__complete(struct engine_client *cl, uint64_t now)
{
	struct engine_inflight *f = cl->cur;
	struct engine_result *res = cl->res;

	res->bytes += f->length;
	if (f->write)
		res->write_bytes += f->length;
	else
		res->read_bytes += f->length;
	res->ios++;
	iovb_hist__add(&res->latency_ns, now - f->sent_ns);
	cl->last_done_ns = now;
	f->done = true;
	while (cl->ring_count && cl->ring[cl->ring_head].done) {
		cl->ring_head = (cl->ring_head + 1) % cl->ring_cap;
		cl->ring_count--;
		cl->ring_stamped--;
	}
	cl->cur = NULL;
}

static int client__on_negotiate(struct engine_client *cl)
{
	const uint8_t *msg = cl->head + SMB2_NB_LEN;
	struct smb2_negotiate_rsp rsp;
	struct smb2_hdr h;
	int err;

	err = smb2__negotiate_rsp_decode(msg, cl->msg_len, &h, &rsp);
	if (err) {
		client__fail(cl, err, "malformed NEGOTIATE response (%s)", strerror(-err));
		goto cleanup;
	}
	if (cl->negotiated || h.message_id != 0 || rsp.dialect != SMB2_DIALECT_0210) {
		err = client__fail(cl, -EPROTO,
				   "unexpected NEGOTIATE response (MessageId %" PRIu64
				   ", dialect 0x%04x)",
				   h.message_id, rsp.dialect);
		goto cleanup;
	}
	if (cl->conf->workload != ENGINE_WRITE && cl->conf->io_size > rsp.max_read_size) {
		err = client__fail(cl, -EMSGSIZE, "io size %u is above the server's MaxReadSize %u",
				   cl->conf->io_size, rsp.max_read_size);
		goto cleanup;
	}
	if (cl->conf->workload != ENGINE_READ && cl->conf->io_size > rsp.max_write_size) {
		err = client__fail(cl, -EMSGSIZE,
				   "io size %u is above the server's MaxWriteSize %u",
				   cl->conf->io_size, rsp.max_write_size);
		goto cleanup;
	}
	if (cl->conf->io_size > SMB2_CREDIT_UNIT &&
	    !(rsp.capabilities & SMB2_GLOBAL_CAP_LARGE_MTU)) {
		err = client__fail(cl, -EPROTO,
				   "io size %u needs multi-credit (large MTU) the server lacks",
				   cl->conf->io_size);
		goto cleanup;
	}
	cl->credit_hi += h.credits;
	cl->max_read = rsp.max_read_size;
	cl->negotiated = true;
cleanup:
	return err;
}

/* The header of a READ response is in: match it to its request, then let the data through. */
static int client__on_read(struct engine_client *cl)
{
	const uint8_t *msg = cl->head + SMB2_NB_LEN;
	struct smb2_read_rsp rsp;
	struct engine_inflight *f;
	struct smb2_hdr h;
	int err;

	err = smb2__read_rsp_decode(msg, SMB2_READ_RSP_DATA_OFFSET, cl->msg_len, cl->max_read, &h,
				    &rsp);
	if (err) {
		client__fail(cl, err, "malformed READ response (%s)", strerror(-err));
		goto cleanup;
	}
	f = client__find(cl, h.message_id);
	if (!f || f->write) {
		err = client__fail(cl, -EPROTO, "READ response to unknown MessageId %" PRIu64,
				   h.message_id);
		goto cleanup;
	}
	if (rsp.data_length != f->length) {
		err = client__fail(cl, -EPROTO, "READ of %u bytes answered with %u", f->length,
				   rsp.data_length);
		goto cleanup;
	}
	cl->credit_hi += h.credits;
	cl->cur = f;
	cl->skip = cl->msg_len - SMB2_READ_RSP_DATA_OFFSET;
	cl->data_pos = 0;
	cl->data_lo = rsp.data_length ? rsp.data_offset - SMB2_READ_RSP_DATA_OFFSET : 0;
	cl->data_hi = cl->data_lo + rsp.data_length;
cleanup:
	return err;
}

/* A WRITE response (or the server's verdict that its data was wrong), whole in head. */
static int client__on_write(struct engine_client *cl)
{
	const uint8_t *msg = cl->head + SMB2_NB_LEN, *edata;
	struct smb2_write_rsp rsp;
	struct engine_inflight *f;
	struct smb2_hdr h;
	uint64_t bad = 0;
	uint32_t elen;
	int err;

	err = smb2__write_rsp_decode(msg, cl->msg_len, &h, &rsp);
	if (err == -EREMOTEIO && h.status == SMB2_STATUS_DATA_ERROR) {
		f = client__find(cl, h.message_id);
		err = smb2__error_rsp_decode(msg, cl->msg_len, &h, &edata, &elen);
		if (err || !f || !f->write) {
			err = client__fail(cl, -EPROTO, "malformed WRITE error response");
			goto cleanup;
		}
		/* ErrorData: the first wrong byte's file offset; without it, the WRITE's. */
		bad = f->offset;
		if (elen >= 8) {
			bad = 0;
			for (int i = 7; i >= 0; i--)
				bad = bad << 8 | edata[i];
		}
		cl->res->bad_offset = bad;
		err = client__fail(cl, -EBADMSG,
				   "the server found WRITE data differing from the pattern at "
				   "offset %" PRIu64,
				   bad);
		goto cleanup;
	}
	if (err) {
		client__fail(cl, err, "malformed WRITE response (%s)", strerror(-err));
		goto cleanup;
	}
	f = client__find(cl, h.message_id);
	if (!f || !f->write) {
		err = client__fail(cl, -EPROTO, "WRITE response to unknown MessageId %" PRIu64,
				   h.message_id);
		goto cleanup;
	}
	if (rsp.count != f->length) {
		err = client__fail(cl, -EPROTO, "WRITE of %u bytes answered with Count %u",
				   f->length, rsp.count);
		goto cleanup;
	}
	cl->credit_hi += h.credits;
	cl->cur = f;
	cl->skip = 0;
cleanup:
	return err;
}

/* Header collected: decide how much more to collect before decoding. */
static int client__on_hdr(struct engine_client *cl)
{
	/* No READ asks for more than io_size; DataOffset (one byte) may add padding before it. */
	uint32_t max_msg = ENGINE_CLI_HEAD + UINT8_MAX + cl->conf->io_size;
	struct smb2_hdr h;
	uint32_t body;
	int err;

	err = smb2__frame_peek(cl->head, cl->head_have, max_msg, &cl->msg_len);
	if (!err)
		err = smb2__hdr_decode(cl->head + SMB2_NB_LEN, SMB2_HDR_LEN, &h);
	if (err) {
		client__fail(cl, err, "malformed response from the server (%s)", strerror(-err));
		goto cleanup;
	}
	/* A WRITE's DATA_ERROR carries where the data went wrong: read it whole. */
	if (h.status != SMB2_STATUS_SUCCESS &&
	    !(h.command == SMB2_WRITE && h.status == SMB2_STATUS_DATA_ERROR)) {
		err = client__fail(cl, -EREMOTEIO,
				   "the server answered command %u with status 0x%08x", h.command,
				   h.status);
		goto cleanup;
	}
	if (h.command == SMB2_READ) {
		body = SMB2_READ_RSP_DATA_OFFSET;
		if (cl->msg_len < body) {
			err = client__fail(cl, -EBADMSG, "truncated READ response");
			goto cleanup;
		}
	} else {
		body = cl->msg_len;
		if (body > ENGINE_CLI_HEAD - SMB2_NB_LEN) {
			err = client__fail(cl, -EMSGSIZE, "oversized response to command %u",
					   h.command);
			goto cleanup;
		}
	}
	cl->command = h.command;
	cl->head_need = SMB2_NB_LEN + body;
	cl->stage = STAGE_BODY;
cleanup:
	return err;
}

static int client__on_body(struct engine_client *cl)
{
	int err;

	if (cl->command == SMB2_READ)
		err = client__on_read(cl);
	else if (cl->command == SMB2_WRITE)
		err = client__on_write(cl);
	else if (cl->command == SMB2_NEGOTIATE)
		err = client__on_negotiate(cl);
	else
		err = client__fail(cl, -EPROTO, "unexpected response to command %u", cl->command);
	if (!err)
		cl->stage = STAGE_DATA;
	return err;
}

/* The next n bytes of the READ response's rest: check those that are data. */
static int client__check(struct engine_client *cl, const uint8_t *p, uint64_t n)
{
	uint64_t a = cl->data_pos > cl->data_lo ? cl->data_pos : cl->data_lo;
	uint64_t b = cl->data_pos + n < cl->data_hi ? cl->data_pos + n : cl->data_hi;
	uint64_t off, bad;
	int err = 0;

	cl->data_pos += n;
	if (a >= b)
		goto cleanup;
	off = cl->cur->offset + (a - cl->data_lo);
	bad = pattern__check(cl->pattern, p + (a - (cl->data_pos - n)), b - a, off);
	if (bad != ENGINE_NO_BAD) {
		cl->res->bad_offset = bad;
		err = client__fail(cl, -EBADMSG,
				   "READ data differs from the pattern at offset %" PRIu64, bad);
	}
cleanup:
	return err;
}

/* Feed received bytes through the frame parser; `now` is when they arrived. */
static int client__rx(struct engine_client *cl, const uint8_t *p, size_t n, uint64_t now)
{
	uint64_t k;
	int err = 0;

	while (n || (cl->stage == STAGE_DATA && !cl->skip)) {
		if (cl->stage == STAGE_DATA) {
			k = cl->skip < n ? cl->skip : n;
			if (cl->conf->verify && cl->cur && k) {
				err = client__check(cl, p, k);
				if (err)
					goto cleanup;
			}
			cl->skip -= k;
			p += k;
			n -= k;
			if (cl->skip)
				continue;
			if (cl->cur)
				client__complete(cl, now);
			cl->stage = STAGE_HDR;
			cl->head_have = 0;
			cl->head_need = SMB2_NB_LEN + SMB2_HDR_LEN;
			continue;
		}
		k = cl->head_need - cl->head_have;
		if (k > n)
			k = n;
		memcpy(cl->head + cl->head_have, p, k);
		cl->head_have += k;
		p += k;
		n -= k;
		if (cl->head_have < cl->head_need)
			continue;
		err = cl->stage == STAGE_HDR ? client__on_hdr(cl) : client__on_body(cl);
		if (err)
			goto cleanup;
		/* A message of just a header (no body) is complete at once. */
		if (cl->stage == STAGE_BODY && cl->head_have >= cl->head_need) {
			err = client__on_body(cl);
			if (err)
				goto cleanup;
		}
		if (cl->stage == STAGE_DATA && cl->cur == NULL)
			cl->skip = SMB2_NB_LEN + cl->msg_len - cl->head_have;
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

static int client__loop(struct engine_client *cl)
{
	const struct engine_client_conf *conf = cl->conf;
	struct engine_result *res = cl->res;
	struct pollfd pfd = { .fd = cl->fd };
	uint64_t now, wait_ns;
	ssize_t n;
	int err = 0;

	for (;;) {
		now = now_ns();
		if (cl->negotiated && cl->requested == conf->bytes && !cl->ring_count)
			break;
		if (cl->deadline_ns && now >= cl->deadline_ns) {
			err = client__fail(cl, -ETIMEDOUT,
					   "aborted at the time limit after %" PRIu64 " of %" PRIu64
					   " bytes",
					   res->bytes, conf->bytes);
			goto cleanup;
		}
		if (now >= cl->next_tick_ns) {
			if (conf->progress)
				conf->progress(conf->progress_arg, res->bytes, conf->bytes);
			cl->next_tick_ns = now + ENGINE_TICK_NS;
		}
		err = client__fill(cl);
		if (err)
			goto cleanup;
		err = client__send(cl);
		if (err)
			break;
		n = cl->tp->recv(cl->fd, cl->rx, ENGINE_CLI_RX);
		if (n > 0) {
			res->wire_bytes += n;
			err = client__rx(cl, cl->rx, n, now_ns());
			if (err)
				goto cleanup;
			continue;
		}
		if (n != -EAGAIN) {
			err = n ? (int)n : -ECONNRESET;
			break;
		}
		wait_ns = cl->next_tick_ns - now;
		if (cl->deadline_ns && cl->deadline_ns - now < wait_ns)
			wait_ns = cl->deadline_ns - now;
		pfd.events =
			POLLIN |
			(cl->ctl_off < cl->ctl_len || cl->ring_stamped < cl->ring_count ? POLLOUT
											: 0);
		if (poll(&pfd, 1, (int)(wait_ns / 1000000 + 1)) < 0 && errno != EINTR) {
			err = client__fail(cl, -errno, "poll: %s", strerror(errno));
			goto cleanup;
		}
	}
	/* Socket-level ends: the peer went away (EOF, RST, EPIPE) or the socket failed. */
	if (err == -ECONNRESET || err == -EPIPE)
		err = client__fail(cl, -ECONNRESET,
				   "server closed the connection after %" PRIu64 " of %" PRIu64
				   " bytes",
				   res->bytes, conf->bytes);
	else if (err)
		err = client__fail(cl, err,
				   "connection failed after %" PRIu64 " of %" PRIu64 " bytes: %s",
				   res->bytes, conf->bytes, strerror(-err));
cleanup:
	return err;
}

int engine__client(const struct engine_client_conf *conf, struct engine_result *res)
{
	struct engine_client cl = { .tp = &engine_tcp, .conf = conf, .res = res, .fd = -1 };
	char where[INET6_ADDRSTRLEN + 16];
	uint64_t start = now_ns();
	int timeout_ms = -1;
	int err;

	memset(res, 0, sizeof(*res));
	iovb_hist__init(&res->latency_ns);
	if (conf->workload > ENGINE_MIXED || conf->read_pct > 100 || !conf->io_size ||
	    conf->io_size > ENGINE_MAX_IO || !conf->depth) {
		err = client__fail(&cl, -EINVAL, "invalid engine configuration");
		goto cleanup;
	}
	cl.deadline_ns = conf->timeout_ns ? start + conf->timeout_ns : 0;
	cl.next_tick_ns = start + ENGINE_TICK_NS;
	cl.ring_cap = conf->depth;
	cl.ring = calloc(cl.ring_cap, sizeof(*cl.ring));
	cl.tx_cap = (size_t)conf->depth * (SMB2_READ_REQ_FRAME > SMB2_WRITE_REQ_HEAD
						   ? SMB2_READ_REQ_FRAME
						   : SMB2_WRITE_REQ_HEAD);
	cl.tx = malloc(cl.tx_cap);
	cl.rx = malloc(ENGINE_CLI_RX);
	cl.pattern = pattern__new(ENGINE_PATTERN_PERIOD + (size_t)conf->io_size);
	if (!cl.ring || !cl.tx || !cl.rx || !cl.pattern) {
		err = client__fail(&cl, -ENOMEM, "out of memory");
		goto cleanup;
	}
	cl.credit_hi = 1; /* the one credit every connection starts with */
	cl.stage = STAGE_HDR;
	cl.head_need = SMB2_NB_LEN + SMB2_HDR_LEN;
	if (conf->timeout_ns)
		timeout_ms = (int)(conf->timeout_ns / 1000000 + 1);
	cl.fd = cl.tp->connect((const struct sockaddr *)&conf->server, conf->server_len,
			       timeout_ms);
	if (cl.fd < 0) {
		client__describe(conf, where, sizeof(where));
		err = client__fail(&cl, cl.fd, "connect to %s: %s", where, strerror(-cl.fd));
		goto cleanup;
	}
	err = client__queue_negotiate(&cl);
	if (err) {
		client__fail(&cl, err, "NEGOTIATE: %s", strerror(-err));
		goto cleanup;
	}
	err = client__loop(&cl);
cleanup:
	res->end_ns = cl.last_done_ns ? cl.last_done_ns : res->start_ns;
	if (cl.fd >= 0)
		close(cl.fd);
	free(cl.pattern);
	free(cl.rx);
	free(cl.tx);
	free(cl.ring);
	return err;
}
