// SPDX-License-Identifier: GPL-2.0
/*
 * The bench engine over loopback: a server thread per test, clients copying exact byte counts,
 * hostile peers dropped without hurting others, the server dying mid-copy, and the `load`
 * subcommand's exit statuses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../bench/cmds.h"
#include "../../bench/engine.h"
#include "../../bench/smb2.h"

#define MiB (1u << 20)

struct srv {
	struct engine_server_conf conf;
	uint16_t port;
	pthread_t tid;
	volatile sig_atomic_t stop;
	int err;
};

static void *srv__thread(void *arg)
{
	struct srv *s = arg;

	s->err = engine__serve(&s->conf, &s->stop);
	return NULL;
}

/* A server thread with conf (listen_fd filled in here), or NULL if addr cannot be bound. */
static struct srv *srv__start_conf(const char *addr, struct engine_server_conf conf)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->conf = conf;
	s->conf.listen_fd = engine__listen(addr, 0);
	if (s->conf.listen_fd < 0) {
		free(s);
		return NULL;
	}
	assert_int_equal(getsockname(s->conf.listen_fd, (struct sockaddr *)&ss, &len), 0);
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	assert_int_equal(pthread_create(&s->tid, NULL, srv__thread, s), 0);
	return s;
}

static struct srv *srv__start(const char *addr, uint32_t max_io)
{
	return srv__start_conf(addr, (struct engine_server_conf){ .max_io_size = max_io });
}

/* Stop, join, and check the server never hit a fatal error. */
static void srv__stop(struct srv *s)
{
	s->stop = 1;
	assert_int_equal(pthread_join(s->tid, NULL), 0);
	close(s->conf.listen_fd);
	assert_int_equal(s->err, 0);
	free(s);
}

static int setup(void **state)
{
	*state = srv__start("127.0.0.1", 0);
	return *state ? 0 : -1;
}

/* A server granting at most 1 MiB per READ. */
static int setup_1m(void **state)
{
	*state = srv__start("127.0.0.1", MiB);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	srv__stop(*state);
	return 0;
}

static struct engine_client_conf client_conf(const char *addr, uint16_t port, uint32_t io_size,
					     uint32_t depth, uint64_t bytes)
{
	struct engine_client_conf c = {
		.workload = ENGINE_READ,
		.io_size = io_size,
		.depth = depth,
		.bytes = bytes,
		.timeout_ns = 60ull * 1000000000ull, /* a hung test fails instead of hanging */
	};

	assert_int_equal(engine__addr(addr, port, &c.server, &c.server_len), 0);
	return c;
}

/* NEGOTIATE request the client sends: one dialect. */
#define NEG_REQ_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + 36 + 2)

/* CREATE request frame of connection i (its name as engine.h says). */
static uint64_t create_req_frame(unsigned i)
{
	char name[64];

	return SMB2_CREATE_REQ_FRAME(snprintf(name, sizeof(name), ENGINE_FILE_NAME, i));
}

/* Bytes each way for NEGOTIATE, CREATE and CLOSE on n connections: [0] received, [1] sent. */
static void ctl_bytes(unsigned n, uint64_t *rx, uint64_t *tx)
{
	*rx = *tx = 0;
	for (unsigned i = 0; i < n; i++) {
		*rx += SMB2_NEGOTIATE_RSP_FRAME + SMB2_CREATE_RSP_FRAME + SMB2_CLOSE_RSP_FRAME;
		*tx += NEG_REQ_FRAME + create_req_frame(i) + SMB2_CLOSE_REQ_FRAME;
	}
}

/* Is I/O number i a READ? The rule engine.h documents, written out again. */
static int io_is_read(const struct engine_client_conf *c, uint64_t i)
{
	if (c->workload == ENGINE_MIXED)
		return (i * c->read_pct) % 100 < c->read_pct;
	return c->workload == ENGINE_READ;
}

/* The copy came out exact: payload, I/O count, one latency sample each, framing on the wire. */
static void assert_exact(const struct engine_result *r, const struct engine_client_conf *c)
{
	uint64_t ios = c->bytes / c->io_size + !!(c->bytes % c->io_size);
	uint64_t rd = 0, wr = 0, nrd = 0, nwr = 0, crx, ctx;

	for (uint64_t i = 0; i < ios; i++) {
		uint64_t len = i + 1 < ios || !(c->bytes % c->io_size) ? c->io_size
								       : c->bytes % c->io_size;

		if (io_is_read(c, i)) {
			rd += len;
			nrd++;
		} else {
			wr += len;
			nwr++;
		}
	}
	if (r->status)
		fail_msg("status %d: %s", r->status, r->error);
	assert_true(r->bytes == c->bytes);
	assert_true(r->read_bytes == rd);
	assert_true(r->write_bytes == wr);
	assert_true(r->ios == ios);
	assert_true(r->latency_ns.count == ios);
	ctl_bytes(c->conns ? c->conns : 1, &crx, &ctx);
	assert_int_equal(r->conns, c->conns ? c->conns : 1);
	/* A READ the server deferred had an interim response too. */
	assert_true(r->pending <= nrd);
	assert_true(r->wire_bytes == rd + nrd * SMB2_READ_RSP_HEAD + nwr * SMB2_WRITE_RSP_FRAME +
					     r->pending * SMB2_INTERIM_RSP_FRAME + crx);
	assert_true(r->wire_tx_bytes ==
		    wr + nwr * SMB2_WRITE_REQ_HEAD + nrd * SMB2_READ_REQ_FRAME + ctx);
	if (ios) {
		uint64_t sum = 0;

		assert_true(r->end_ns > r->start_ns);
		assert_true(r->latency_ns.min > 0);
		assert_true(r->latency_ns.max <= r->end_ns - r->start_ns);
		/* The series covers the window and adds up to the bytes. */
		assert_true(r->series_interval_ns >= 1000000000ull);
		assert_true(r->series_n ==
			    (r->end_ns - r->start_ns - 1) / r->series_interval_ns + 1);
		for (uint32_t i = 0; i < r->series_n; i++)
			sum += r->series_bytes[i];
		assert_true(sum == r->bytes);
		assert_int_equal(r->nthreads, c->threads ? c->threads : 1);
		for (uint32_t i = 0; i < r->nthreads; i++)
			assert_true(r->threads[i].tid > 0 && r->threads[i].name[0]);
	}
}

static void test_copy_exact(void **state)
{
	static const struct {
		uint32_t io_size, depth;
		uint64_t bytes;
	} cases[] = {
		{ 4096, 1, 64 * MiB },
		{ 4096, 8, 64 * MiB },
		{ MiB, 1, 64 * MiB },
		{ MiB, 8, 64 * MiB },
		{ 3000, 1, 64 * MiB }, /* not a power of two; 64 MiB is not a multiple of it */
		{ 3000, 8, 64 * MiB },
		{ MiB, 8, 64 * MiB + 777 }, /* the last READ is short */
		{ 8 * MiB, 4, 64 * MiB + 1 },
		{ 65536 + 1, 256, 16 * MiB }, /* 2 credits per READ */
		{ 4096, 256, 16 * MiB },
		{ MiB, 8, 100 }, /* less than one READ */
		{ MiB, 8, 0 },	 /* nothing: NEGOTIATE only */
	};
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, cases[i].io_size,
							  cases[i].depth, cases[i].bytes);

		assert_int_equal(engine__client(&c, r), 0);
		assert_exact(r, &c);
	}
	free(r);
}

struct client_run {
	struct engine_client_conf conf;
	struct engine_result res;
	pthread_t tid;
	struct srv *stop_srv; /* set its stop flag once progress reports some bytes */
	uint64_t stop_after;
	unsigned progress_calls;
};

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct client_run *cr = arg;

	cr->progress_calls++;
	assert_true(done <= total);
	if (cr->stop_srv && done >= cr->stop_after)
		cr->stop_srv->stop = 1;
}

static void *client__thread(void *arg)
{
	struct client_run *cr = arg;

	engine__client(&cr->conf, &cr->res);
	return NULL;
}

/* Connect a raw socket to the server, with a receive timeout so a test cannot hang. */
static int raw_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* The server must close on us: EOF or RST, not silence (the 5 s timeout) and not an answer. */
static void assert_dropped(int fd)
{
	char b[256];
	ssize_t n = recv(fd, b, sizeof(b), 0);

	if (n > 0)
		fail_msg("the server answered garbage with %zd bytes", n);
	if (n < 0)
		assert_int_equal(errno, ECONNRESET);
	close(fd);
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);

		if (n <= 0)
			fail_msg("recv after %zu of %zu bytes: %zd (%s)", got, len, n,
				 n ? strerror(errno) : "EOF");
		got += n;
	}
}

/* NEGOTIATE over a raw socket asking for `credits`; returns what the server granted. */
static uint16_t raw_negotiate(int fd, uint16_t credits)
{
	struct smb2_negotiate_req req = { .dialect_count = 1, .dialects = { SMB2_DIALECT_0210 } };
	struct smb2_negotiate_rsp rsp;
	struct smb2_hdr h = { .credits = credits };
	uint8_t buf[SMB2_NEGOTIATE_RSP_FRAME];
	size_t n;

	assert_int_equal(smb2__negotiate_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	send_all(fd, buf, n);
	recv_all(fd, buf, SMB2_NEGOTIATE_RSP_FRAME);
	assert_int_equal(smb2__negotiate_rsp_decode(buf + 4, sizeof(buf) - 4, &h, &rsp), 0);
	assert_int_equal(rsp.dialect, SMB2_DIALECT_0210);
	return h.credits;
}

/* The FileId the last raw_create got (tests run one at a time). */
static uint64_t raw_fid_p, raw_fid_v;

/* CREATE over a raw socket with MessageId msg_id; keeps the FileId for raw_*_req. */
static void raw_create(int fd, uint64_t msg_id)
{
	struct smb2_create_req req = { .name_len = 1, .name = { 'x' } };
	struct smb2_create_rsp rsp;
	struct smb2_hdr h = {
		.credit_charge = 1,
		.credits = 1,
		.message_id = msg_id,
		.tree_id = 0x00000001u,
		.session_id = 0x0000400000000001ull,
	};
	uint8_t buf[SMB2_CREATE_RSP_FRAME];
	size_t n;

	assert_int_equal(smb2__create_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	send_all(fd, buf, n);
	recv_all(fd, buf, SMB2_CREATE_RSP_FRAME);
	assert_int_equal(smb2__create_rsp_decode(buf + 4, sizeof(buf) - 4, &h, &rsp), 0);
	assert_true(h.message_id == msg_id);
	raw_fid_p = rsp.file_id_persistent;
	raw_fid_v = rsp.file_id_volatile;
}

/* A READ request frame as the engine's own client writes it (the last raw_create's FileId). */
static void raw_read_req(uint8_t *buf, uint64_t msg_id, uint32_t len, uint16_t charge)
{
	struct smb2_hdr h = {
		.credit_charge = charge,
		.credits = charge,
		.message_id = msg_id,
		.tree_id = 0x00000001u,
		.session_id = 0x0000400000000001ull,
	};
	struct smb2_read_req req = {
		.padding = 0x50,
		.length = len,
		.file_id_persistent = raw_fid_p,
		.file_id_volatile = raw_fid_v,
	};
	size_t n;

	assert_int_equal(smb2__read_req_encode(buf, SMB2_READ_REQ_FRAME, &h, &req, &n), 0);
}

static void test_garbage_dropped(void **state)
{
	static const char http[] = "GET / HTTP/1.0\r\n\r\n";
	static const uint8_t huge[] = { 0x00, 0xff, 0xff, 0xff }; /* a 16 MiB request */
	static const uint8_t smb1[] = { 0x00, 0x00, 0x00, 0x40, 0xff, 'S', 'M', 'B' };
	struct srv *s = *state;
	struct client_run *cr = calloc(1, sizeof(*cr));
	uint8_t buf[SMB2_READ_REQ_FRAME + 64];
	int fd;

	assert_non_null(cr);
	/* A proper copy runs the whole time; it must not notice the others being dropped. */
	cr->conf = client_conf("127.0.0.1", s->port, MiB, 8, 2048ull * MiB);
	assert_int_equal(pthread_create(&cr->tid, NULL, client__thread, cr), 0);

	fd = raw_connect(s->port);
	send_all(fd, http, sizeof(http) - 1);
	assert_dropped(fd);

	fd = raw_connect(s->port);
	send_all(fd, huge, sizeof(huge));
	assert_dropped(fd);

	fd = raw_connect(s->port);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, smb1, sizeof(smb1));
	send_all(fd, buf, 4 + 64);
	assert_dropped(fd);

	/* A well-formed READ, but before NEGOTIATE. */
	fd = raw_connect(s->port);
	raw_read_req(buf, 0, 4096, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);

	/* After NEGOTIATE: a READ whose CreditCharge does not cover its length. */
	fd = raw_connect(s->port);
	assert_true(raw_negotiate(fd, 64) >= 16);
	raw_read_req(buf, 1, MiB, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);

	/* A MessageId reused (replay): outside the credit window. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_read_req(buf, 0, 4096, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);

	/* More credits spent than granted. */
	fd = raw_connect(s->port);
	assert_int_equal(raw_negotiate(fd, 1), 1);
	raw_read_req(buf, 1, 2 * 65536, 2);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);

	/* A second NEGOTIATE. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 8);
	{
		struct smb2_negotiate_req req = { .dialect_count = 1,
						  .dialects = { SMB2_DIALECT_0210 } };
		struct smb2_hdr h = { .message_id = 1 };
		size_t n;

		assert_int_equal(smb2__negotiate_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
		send_all(fd, buf, n);
	}
	assert_dropped(fd);

	/*
	 * Garbage right behind a valid request: the connection goes; whether the answer to the
	 * valid one got out first is not promised, but nothing else may come.
	 */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 8);
	raw_create(fd, 1);
	raw_read_req(buf, 2, 100, 1);
	memset(buf + SMB2_READ_REQ_FRAME, 0xee, 64);
	send_all(fd, buf, SMB2_READ_REQ_FRAME + 64);
	{
		size_t got = 0;
		ssize_t n;

		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			got += n;
		assert_true(n == 0 || errno == ECONNRESET);
		assert_true(got == 0 || got == SMB2_READ_RSP_HEAD + 100);
		close(fd);
	}

	assert_int_equal(pthread_join(cr->tid, NULL), 0);
	assert_exact(&cr->res, &cr->conf);
	free(cr);
}

/* Log lines the server emitted, for tests that check what it says about dropped peers. */
struct logbook {
	pthread_mutex_t mu;
	unsigned n;
	char last[256];
};

static void log__take(void *arg, const char *line)
{
	struct logbook *lb = arg;

	pthread_mutex_lock(&lb->mu);
	lb->n++;
	snprintf(lb->last, sizeof(lb->last), "%s", line);
	pthread_mutex_unlock(&lb->mu);
}

/* Wait up to 2 s for log line number `n`; it must contain `want`. */
static void log__expect(struct logbook *lb, unsigned n, const char *want)
{
	char last[256];
	unsigned got = 0;

	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&lb->mu);
		got = lb->n;
		snprintf(last, sizeof(last), "%s", lb->last);
		pthread_mutex_unlock(&lb->mu);
		if (got >= n)
			break;
		usleep(10000);
	}
	if (got != n || !strstr(last, want))
		fail_msg("log line %u (have %u): want '%s' in '%s'", n, got, want, last);
	assert_non_null(strstr(last, "dropped connection from 127.0.0.1:"));
}

/*
 * Each kind of bad input costs its connection only, with one log line saying why; a copy
 * running beside them all the while does not notice.
 */
static void test_malformed_logged(void **state)
{
	struct logbook lb = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct srv *s = srv__start_conf("127.0.0.1", (struct engine_server_conf){
							     .max_io_size = MiB,
							     .log = log__take,
							     .log_arg = &lb,
						     });
	struct client_run *cr = calloc(1, sizeof(*cr));
	uint8_t buf[SMB2_READ_REQ_FRAME + 64];
	unsigned n = 0;
	int fd;

	(void)state;
	assert_non_null(s);
	assert_non_null(cr);
	cr->conf = client_conf("127.0.0.1", s->port, 65536, 8, 512ull * MiB);
	assert_int_equal(pthread_create(&cr->tid, NULL, client__thread, cr), 0);

	/* Bad ProtocolId: SMB1. */
	fd = raw_connect(s->port);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, ((uint8_t[]){ 0x00, 0x00, 0x00, 0x40, 0xff, 'S', 'M', 'B' }), 8);
	send_all(fd, buf, 4 + 64);
	assert_dropped(fd);
	log__expect(&lb, ++n,
		    "not SMB2, out of sequence, or a MessageId outside the credits "
		    "granted (in a message's transport or SMB2 header)");

	/* Truncated header: a message shorter than the 64-byte header. */
	fd = raw_connect(s->port);
	memset(buf, 0, sizeof(buf));
	buf[3] = 32;
	memcpy(buf + 4, ((uint8_t[]){ 0xfe, 'S', 'M', 'B' }), 4);
	send_all(fd, buf, 4 + 32);
	assert_dropped(fd);
	log__expect(&lb, ++n, "malformed message (in a message's transport or SMB2 header)");

	/* A transport length beyond anything negotiated (16 MiB). */
	fd = raw_connect(s->port);
	send_all(fd, ((uint8_t[]){ 0x00, 0xff, 0xff, 0xff }), 4);
	assert_dropped(fd);
	log__expect(&lb, ++n, "beyond the negotiated maximum (in a message's transport");

	/* READ Length beyond MaxReadSize (1 MiB here), credits enough for it. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_create(fd, 1);
	raw_read_req(buf, 2, 2 * MiB, 32);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);
	log__expect(&lb, ++n, "beyond the negotiated maximum (at READ, MessageId 2)");

	/* CreditCharge not matching the length. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_create(fd, 1);
	raw_read_req(buf, 2, MiB, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);
	log__expect(&lb, ++n, "CreditCharge does not cover the length");

	/* Unknown commands: one defined but not served here (LOGOFF), one undefined. */
	for (uint16_t cmd = 0x0002; cmd <= 0x0100; cmd += 0x00fe) {
		fd = raw_connect(s->port);
		raw_negotiate(fd, 64);
		raw_read_req(buf, 1, 4096, 1);
		buf[4 + 12] = (uint8_t)cmd;
		buf[4 + 13] = (uint8_t)(cmd >> 8);
		send_all(fd, buf, SMB2_READ_REQ_FRAME);
		assert_dropped(fd);
		log__expect(&lb, ++n,
			    cmd == 2 ? "unsupported command, dialect or option (at command 0x0002"
				     : "unsupported command, dialect or option (at command 0x0100");
	}

	/* MessageId reuse: the CREATE's 1 again. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_create(fd, 1);
	raw_read_req(buf, 1, 4096, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	assert_dropped(fd);
	log__expect(&lb, ++n, "MessageId outside the credits granted (at READ, MessageId 1)");

	/* A READ of a FileId nobody opened: an error status, the connection stays. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_create(fd, 1);
	raw_fid_v ^= 1;
	raw_read_req(buf, 2, 4096, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	{
		struct smb2_hdr h;
		const uint8_t *edata;
		uint32_t elen;

		recv_all(fd, buf, SMB2_ERROR_RSP_FRAME(0));
		assert_int_equal(smb2__error_rsp_decode(buf + 4, SMB2_ERROR_RSP_FRAME(0) - 4, &h,
							&edata, &elen),
				 0);
		assert_int_equal(h.status, SMB2_STATUS_FILE_CLOSED);
		assert_int_equal(h.command, SMB2_READ);
	}
	raw_fid_v ^= 1;
	raw_read_req(buf, 3, 100, 1);
	send_all(fd, buf, SMB2_READ_REQ_FRAME);
	recv_all(fd, buf, SMB2_READ_RSP_HEAD);
	close(fd);

	/* A peer that just goes away is no news. */
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	close(fd);

	assert_int_equal(pthread_join(cr->tid, NULL), 0);
	assert_exact(&cr->res, &cr->conf);
	usleep(100 * 1000);
	pthread_mutex_lock(&lb.mu);
	assert_int_equal(lb.n, n);
	pthread_mutex_unlock(&lb.mu);
	free(cr);
	srv__stop(s);
}

/*
 * A peer that asks a lot and reads nothing: the server stops reading it and memory stays bounded;
 * when the peer finally reads, every answer arrives, in order. Past half its queue the server
 * defers READs: an interim STATUS_PENDING with an AsyncId first, then the final response, async
 * with the same AsyncId.
 */
static void test_slow_reader(void **state)
{
	/* 3000 x 64 KiB: far more than socket buffers hold, so the server's queue fills. */
	enum { NREQ = 3000, LEN = 65536 };
	struct srv *s = *state;
	uint8_t *reqs = malloc((size_t)NREQ * SMB2_READ_REQ_FRAME);
	uint8_t head[SMB2_READ_RSP_HEAD], *data = malloc(LEN);
	uint64_t *aid = calloc(NREQ, sizeof(*aid));
	struct smb2_read_rsp rsp;
	struct smb2_hdr h;
	const uint8_t *edata;
	uint32_t elen;
	unsigned interims = 0;
	int fd;

	assert_non_null(reqs);
	assert_non_null(data);
	fd = raw_connect(s->port);
	assert_true(raw_negotiate(fd, NREQ + 1) >= NREQ + 1);
	raw_create(fd, 1);
	for (int i = 0; i < NREQ; i++)
		raw_read_req(reqs + (size_t)i * SMB2_READ_REQ_FRAME, 2 + i, LEN, 1);
	send_all(fd, reqs, (size_t)NREQ * SMB2_READ_REQ_FRAME);
	usleep(200 * 1000);
	for (int i = 0; i < NREQ;) {
		recv_all(fd, head, SMB2_NB_LEN + SMB2_HDR_LEN);
		assert_int_equal(smb2__hdr_decode(head + 4, SMB2_HDR_LEN, &h), 0);
		if (h.status == SMB2_STATUS_PENDING) {
			recv_all(fd, head + 68, SMB2_INTERIM_RSP_FRAME - 68);
			assert_int_equal(smb2__error_rsp_decode(head + 4,
								SMB2_INTERIM_RSP_FRAME - 4, &h,
								&edata, &elen),
					 0);
			assert_true(h.flags & SMB2_FLAGS_ASYNC_COMMAND);
			assert_int_equal(h.command, SMB2_READ);
			assert_true(h.message_id >= (uint64_t)2 + i && h.message_id < 2 + NREQ);
			assert_true(h.async_id != 0 && aid[h.message_id - 2] == 0);
			aid[h.message_id - 2] = h.async_id;
			interims++;
			continue;
		}
		recv_all(fd, head + 68, sizeof(head) - 68);
		assert_int_equal(smb2__read_rsp_decode(head + 4, 80, 80 + LEN, LEN, &h, &rsp), 0);
		assert_true(h.message_id == (uint64_t)2 + i);
		assert_int_equal(rsp.data_length, LEN);
		/* Async exactly when an interim came first, with its AsyncId. */
		assert_int_equal(!!(h.flags & SMB2_FLAGS_ASYNC_COMMAND), !!aid[i]);
		assert_true(h.async_id == aid[i]);
		recv_all(fd, data, LEN);
		i++;
	}
	/* 3000 READs never fit in half the queue: some must have been deferred. */
	assert_true(interims > 0);
	close(fd);
	free(aid);
	free(data);
	free(reqs);
}

/* Several connections share one copy; each opens its own file and takes I/Os as it has room. */
static void test_conns(void **state)
{
	static const struct {
		enum engine_workload w;
		uint32_t conns, threads, io_size, depth;
		uint64_t bytes;
	} cases[] = {
		{ ENGINE_READ, 2, 1, MiB, 8, 64 * MiB + 777 },
		{ ENGINE_WRITE, 4, 1, 65537, 3, 16 * MiB },
		{ ENGINE_MIXED, 64, 1, 4096, 2, 8 * MiB + 5 },
		{ ENGINE_READ, 3, 1, MiB, 8, 100 }, /* fewer I/Os than connections */
		{ ENGINE_MIXED, 4, 2, MiB, 8, 64 * MiB + 777 },
		{ ENGINE_READ, 5, 5, 65536, 4, 32 * MiB + 1 },
		{ ENGINE_WRITE, 7, 3, 3001, 4, 4 * MiB },
	};
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, cases[i].io_size,
							  cases[i].depth, cases[i].bytes);

		c.workload = cases[i].w;
		c.read_pct = 50;
		c.conns = cases[i].conns;
		c.threads = cases[i].threads;
		c.verify = true;
		if (engine__client(&c, r))
			fail_msg("case %zu: %s", i, r->error);
		assert_exact(r, &c);
	}
	{
		/* More threads than connections is a configuration error. */
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, MiB, 1, MiB);

		c.conns = 2;
		c.threads = 3;
		assert_int_equal(engine__client(&c, r), -EINVAL);
	}
	{
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, MiB, 1, MiB);

		c.conns = ENGINE_CONNS_MAX + 1;
		assert_int_equal(engine__client(&c, r), -EINVAL);
	}
	free(r);
}

/* A server deferring nearly everything: interim responses, async finals, still exact. */
static void test_pending_copy(void **state)
{
	struct srv *s = srv__start_conf("127.0.0.1", (struct engine_server_conf){
							     .verify = true,
							     .pending_after = 1,
						     });
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c;

	(void)state;
	assert_non_null(s);
	assert_non_null(r);
	c = client_conf("127.0.0.1", s->port, 65536, 16, 64 * MiB + 3);
	c.verify = true;
	assert_int_equal(engine__client(&c, r), 0);
	assert_exact(r, &c);
	assert_true(r->pending > 0);
	c.workload = ENGINE_MIXED;
	c.read_pct = 30;
	c.conns = 3;
	c.bytes = 16 * MiB + 1;
	assert_int_equal(engine__client(&c, r), 0);
	assert_exact(r, &c);
	free(r);
	srv__stop(s);
}

/* By duration: warm-up and cool-down are left out, the window is what was asked. */
static void test_duration(void **state)
{
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c = client_conf("127.0.0.1", s->port, MiB, 4, 0);
	uint64_t sum = 0;

	assert_non_null(r);
	c.duration_ns = 1500ull * 1000000;
	c.warmup_ns = 200ull * 1000000;
	c.conns = 2;
	c.workload = ENGINE_MIXED;
	c.read_pct = 50;
	assert_int_equal(engine__client(&c, r), 0);
	assert_true(r->end_ns - r->start_ns == c.duration_ns);
	assert_true(r->bytes > 0 && r->bytes == r->read_bytes + r->write_bytes);
	assert_true(r->ios == r->latency_ns.count);
	/* Whole I/Os only; what went before and after the window is on the wire but not counted. */
	assert_true(r->bytes == r->ios * MiB);
	assert_true(r->wire_bytes > r->read_bytes);
	assert_int_equal(r->series_n, 2); /* 1.5 s: one whole second and a half */
	for (uint32_t i = 0; i < r->series_n; i++)
		sum += r->series_bytes[i];
	assert_true(sum == r->bytes);
	assert_int_equal(r->conns, 2);
	free(r);
}

static void test_server_dies_midcopy(void **state)
{
	struct srv *s = *state;
	struct client_run *cr = calloc(1, sizeof(*cr));
	const uint64_t want = 1ull << 40;

	assert_non_null(cr);
	cr->conf = client_conf("127.0.0.1", s->port, MiB, 8, want);
	cr->conf.progress = on_progress;
	cr->conf.progress_arg = cr;
	cr->stop_srv = s;
	cr->stop_after = 1;
	assert_int_equal(pthread_create(&cr->tid, NULL, client__thread, cr), 0);
	assert_int_equal(pthread_join(cr->tid, NULL), 0);

	assert_int_equal(cr->res.status, -ECONNRESET);
	assert_true(cr->res.bytes > 0 && cr->res.bytes < want);
	assert_true(cr->res.ios > 0 && cr->res.latency_ns.count == cr->res.ios);
	assert_true(cr->res.end_ns > cr->res.start_ns);
	assert_non_null(strstr(cr->res.error, "server closed the connection after "));
	assert_non_null(strstr(cr->res.error, " of 1099511627776 bytes"));
	assert_true(cr->progress_calls >= 1);
	free(cr);
}

static void test_timeout(void **state)
{
	struct srv *s = *state;
	struct client_run *cr = calloc(1, sizeof(*cr));

	assert_non_null(cr);
	cr->conf = client_conf("127.0.0.1", s->port, MiB, 8, 1ull << 40);
	cr->conf.timeout_ns = 300 * 1000 * 1000;
	assert_int_equal(engine__client(&cr->conf, &cr->res), -ETIMEDOUT);
	assert_int_equal(cr->res.status, -ETIMEDOUT);
	assert_true(cr->res.bytes > 0);
	assert_non_null(strstr(cr->res.error, "aborted"));
	free(cr);
}

static void test_refused(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c;
	char want[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_non_null(r);
	/* A bound port nobody listens on refuses for sure. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	c = client_conf("127.0.0.1", ntohs(sin.sin_port), MiB, 8, MiB);
	assert_int_equal(engine__client(&c, r), -ECONNREFUSED);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u: ", ntohs(sin.sin_port));
	assert_non_null(strstr(r->error, want));
	assert_true(r->bytes == 0 && r->ios == 0);
	close(fd);
	free(r);
}

static void test_io_above_max_read(void **state)
{
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c = client_conf("127.0.0.1", s->port, 2 * MiB, 8, 64 * MiB);

	assert_non_null(r);
	assert_int_equal(engine__client(&c, r), -EMSGSIZE);
	assert_non_null(strstr(r->error, "MaxReadSize 1048576"));
	c.io_size = MiB;
	assert_int_equal(engine__client(&c, r), 0);
	assert_exact(r, &c);
	free(r);
}

static void test_bad_conf(void **state)
{
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c = client_conf("127.0.0.1", s->port, MiB, 0, MiB);

	assert_non_null(r);
	assert_int_equal(engine__client(&c, r), -EINVAL);
	c.depth = 1;
	c.io_size = 0;
	assert_int_equal(engine__client(&c, r), -EINVAL);
	free(r);
}

static void test_concurrent_clients(void **state)
{
	enum { N = 4 };
	struct srv *s = *state;
	struct client_run *cr = calloc(N, sizeof(*cr));

	assert_non_null(cr);
	for (int i = 0; i < N; i++) {
		cr[i].conf = client_conf("127.0.0.1", s->port, i % 2 ? 3000 : MiB, 1 + 3 * i,
					 32 * MiB + i);
		assert_int_equal(pthread_create(&cr[i].tid, NULL, client__thread, &cr[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(pthread_join(cr[i].tid, NULL), 0);
		assert_exact(&cr[i].res, &cr[i].conf);
	}
	free(cr);
}

static void test_ipv6(void **state)
{
	struct srv *s = srv__start("::1", 0);
	struct engine_result *r;
	struct engine_client_conf c;

	(void)state;
	if (!s)
		skip(); /* no IPv6 loopback here */
	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	c = client_conf("::1", s->port, MiB, 8, 16 * MiB);
	assert_int_equal(engine__client(&c, r), 0);
	assert_exact(r, &c);
	free(r);
	srv__stop(s);
}

static void test_addr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(engine__addr("10.1.2.3", 445, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 445);
	assert_int_equal(engine__addr("fe80::1", 445, &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(engine__addr("localhost", 445, &ss, &len), -EINVAL);
	assert_int_equal(engine__addr("10.1.2", 445, &ss, &len), -EINVAL);
	assert_int_equal(engine__addr("", 445, &ss, &len), -EINVAL);
	assert_int_equal(engine__listen("not-an-address", 0), -EINVAL);
}

/* WRITE and mixed copies, exact byte counts both ways, verified or not. */
static void test_write_mixed_exact(void **state)
{
	static const struct {
		enum engine_workload w;
		uint32_t pct, io_size, depth;
		uint64_t bytes;
		bool verify;
	} cases[] = {
		{ ENGINE_WRITE, 0, 4096, 1, 16 * MiB, false },
		{ ENGINE_WRITE, 0, MiB, 8, 64 * MiB + 777, false },
		{ ENGINE_WRITE, 0, 8 * MiB, 4, 64 * MiB + 1, true },
		{ ENGINE_WRITE, 0, 65536 + 1, 256, 16 * MiB, true }, /* 2 credits per WRITE */
		{ ENGINE_WRITE, 0, 3001, 7, 8 * MiB + 5, true },     /* odd, not a word multiple */
		{ ENGINE_WRITE, 0, MiB, 8, 100, true },
		{ ENGINE_WRITE, 0, MiB, 8, 0, true },
		{ ENGINE_READ, 0, 3001, 7, 8 * MiB + 5, true },
		{ ENGINE_READ, 0, 8 * MiB, 2, 32 * MiB + 3, true },
		{ ENGINE_READ, 0, 4096, 256, 16 * MiB, true },
		{ ENGINE_MIXED, 70, MiB, 8, 64 * MiB + 777, false },
		{ ENGINE_MIXED, 70, 3001, 16, 8 * MiB + 5, true },
		{ ENGINE_MIXED, 50, 65537, 3, 16 * MiB, true },
		{ ENGINE_MIXED, 0, 12345, 4, 4 * MiB, true },	/* all WRITEs */
		{ ENGINE_MIXED, 100, 12345, 4, 4 * MiB, true }, /* all READs */
		{ ENGINE_MIXED, 1, 4096, 8, 4 * MiB, true },
	};
	struct srv *s = *state;
	struct engine_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, cases[i].io_size,
							  cases[i].depth, cases[i].bytes);

		c.workload = cases[i].w;
		c.read_pct = cases[i].pct;
		c.verify = cases[i].verify;
		if (engine__client(&c, r))
			fail_msg("case %zu: %s", i, r->error);
		assert_exact(r, &c);
		assert_true(r->bad_offset == 0);
	}
	free(r);
}

/* The interleave: exactly read_pct READs in every 100 I/Os, whatever the phase. */
static void test_mixed_ratio(void **state)
{
	struct engine_client_conf c = { .workload = ENGINE_MIXED };

	(void)state;
	for (c.read_pct = 0; c.read_pct <= 100; c.read_pct++) {
		for (uint64_t start = 0; start < 300; start += 37) {
			unsigned n = 0;

			for (uint64_t i = start; i < start + 100; i++)
				n += io_is_read(&c, i);
			assert_int_equal(n, c.read_pct);
		}
	}
	/* 70%: R W R R W R R W R R, then again. */
	c.read_pct = 70;
	assert_true(io_is_read(&c, 0) && !io_is_read(&c, 1) && io_is_read(&c, 2));
}

static int setup_verify(void **state)
{
	*state = srv__start_conf("127.0.0.1", (struct engine_server_conf){ .verify = true });
	return *state ? 0 : -1;
}

/* A server with corrupt_at set; verify on so WRITEs covering it are refused. */
static struct srv *srv__start_corrupt(uint64_t at)
{
	struct srv *s = srv__start_conf("127.0.0.1", (struct engine_server_conf){
							     .verify = true,
							     .corrupt = true,
							     .corrupt_at = at,
						     });

	assert_non_null(s);
	return s;
}

static void test_verify_catches_corruption(void **state)
{
	static const uint64_t ats[] = { 0, 1, 4095, 4096, 3 * MiB + 12345, 40 * MiB - 1 };
	struct engine_result *r = calloc(1, sizeof(*r));

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(ats) / sizeof(ats[0]); i++) {
		struct srv *s = srv__start_corrupt(ats[i]);
		struct engine_client_conf c = client_conf("127.0.0.1", s->port, 3001, 8, 40 * MiB);

		/* Unverified, the bad byte goes unnoticed: the copy is "fine". */
		assert_int_equal(engine__client(&c, r), 0);
		/* READ: the client finds it. */
		c.verify = true;
		assert_int_equal(engine__client(&c, r), -EBADMSG);
		assert_true(r->bad_offset == ats[i]);
		assert_non_null(strstr(r->error, "READ data differs"));
		/* WRITE: the server finds it and says where. */
		c.workload = ENGINE_WRITE;
		c.io_size = MiB;
		assert_int_equal(engine__client(&c, r), -EBADMSG);
		assert_true(r->bad_offset == ats[i]);
		assert_non_null(strstr(r->error, "the server found WRITE data"));
		/* Several threads: the one that finds it speaks for the run. */
		c.conns = 4;
		c.threads = 2;
		assert_int_equal(engine__client(&c, r), -EBADMSG);
		assert_true(r->bad_offset == ats[i]);
		c.conns = 0;
		c.threads = 0;
		/* Mixed 50%: whichever direction the byte falls in. */
		c.workload = ENGINE_MIXED;
		c.read_pct = 50;
		c.io_size = 65536;
		assert_int_equal(engine__client(&c, r), -EBADMSG);
		assert_true(r->bad_offset == ats[i]);
		srv__stop(s);
	}
	free(r);
}

/* A raw WRITE as the engine's client frames it, followed by `len` bytes of data. */
static size_t raw_write_req(uint8_t *buf, uint64_t msg_id, uint64_t off, uint32_t len,
			    int corrupt_at)
{
	struct smb2_hdr h = {
		.credit_charge = smb2__credit_charge(len),
		.credits = 8,
		.message_id = msg_id,
		.tree_id = 0x00000001u,
		.session_id = 0x0000400000000001ull,
	};
	struct smb2_write_req req = {
		.data_offset = 0x70,
		.length = len,
		.offset = off,
		.file_id_persistent = raw_fid_p,
		.file_id_volatile = raw_fid_v,
	};
	size_t n;

	assert_int_equal(smb2__write_req_encode(buf, SMB2_WRITE_REQ_HEAD, &h, &req, &n), 0);
	for (uint32_t i = 0; i < len; i++)
		buf[n + i] = engine__pattern_byte(off + i);
	if (corrupt_at >= 0)
		buf[n + corrupt_at] ^= 0x10;
	return n + len;
}

/* The server checks WRITE data itself: a bad byte gets STATUS_DATA_ERROR with its offset. */
static void test_server_verifies_writes(void **state)
{
	struct srv *s = *state;
	uint8_t buf[SMB2_WRITE_REQ_HEAD + 5000], rsp[128];
	struct smb2_write_rsp wr;
	struct smb2_hdr h;
	const uint8_t *edata;
	uint32_t elen;
	uint64_t bad = 0;
	size_t n;
	int fd;

	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	raw_create(fd, 1);
	/* A good WRITE, sent in dribbles: the server reassembles across reads. */
	n = raw_write_req(buf, 2, 777777, 5000, -1);
	for (size_t i = 0; i < n; i += 1000) {
		send_all(fd, buf + i, n - i < 1000 ? n - i : 1000);
		usleep(1000);
	}
	recv_all(fd, rsp, SMB2_WRITE_RSP_FRAME);
	assert_int_equal(smb2__write_rsp_decode(rsp + 4, SMB2_WRITE_RSP_FRAME - 4, &h, &wr), 0);
	assert_int_equal(wr.count, 5000);
	assert_true(h.message_id == 2);
	/* A bad byte at 4321 into the data. */
	n = raw_write_req(buf, 3, 777777, 5000, 4321);
	send_all(fd, buf, n);
	recv_all(fd, rsp, SMB2_ERROR_RSP_FRAME(8));
	assert_int_equal(smb2__write_rsp_decode(rsp + 4, SMB2_ERROR_RSP_FRAME(8) - 4, &h, &wr),
			 -EREMOTEIO);
	assert_int_equal(h.status, SMB2_STATUS_DATA_ERROR);
	assert_int_equal(
		smb2__error_rsp_decode(rsp + 4, SMB2_ERROR_RSP_FRAME(8) - 4, &h, &edata, &elen), 0);
	assert_int_equal(elen, 8);
	for (int i = 7; i >= 0; i--)
		bad = bad << 8 | edata[i];
	assert_true(bad == 777777 + 4321);
	/* The connection stays usable: framing was kept. */
	n = raw_write_req(buf, 4, 0, 0, -1);
	send_all(fd, buf, n);
	recv_all(fd, rsp, SMB2_WRITE_RSP_FRAME);
	assert_int_equal(smb2__write_rsp_decode(rsp + 4, SMB2_WRITE_RSP_FRAME - 4, &h, &wr), 0);
	assert_int_equal(wr.count, 0);
	close(fd);

	/* Hostile WRITEs: before NEGOTIATE; Length past MaxWriteSize; a wrong handle. */
	fd = raw_connect(s->port);
	n = raw_write_req(buf, 0, 0, 100, -1);
	send_all(fd, buf, n);
	assert_dropped(fd);
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	{
		struct smb2_hdr hh = { .credit_charge = 129,
				       .message_id = 1,
				       .tree_id = 1,
				       .session_id = 0x0000400000000001ull };
		struct smb2_write_req req = { .data_offset = 0x70, .length = (8u << 20) + 1 };

		assert_int_equal(smb2__write_req_encode(buf, sizeof(buf), &hh, &req, &n), 0);
		send_all(fd, buf, n);
	}
	assert_dropped(fd);
	fd = raw_connect(s->port);
	raw_negotiate(fd, 64);
	n = raw_write_req(buf, 1, 0, 100, -1);
	buf[SMB2_NB_LEN + 36] = 2; /* TreeId */
	send_all(fd, buf, n);
	assert_dropped(fd);
}

/* Run a subcommand with stdout and stderr sent to /dev/null; return its exit status. */
static int run_quiet(int (*fn)(int, char **), char **argv)
{
	int argc = 0, rc, out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);

	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	return rc;
}

/* Run a subcommand, its stdout captured into buf (NUL-terminated); return its exit status. */
static int run_capture(int (*fn)(int, char **), char **argv, char *buf, size_t cap)
{
	FILE *f = tmpfile();
	int argc = 0, rc, out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	size_t n;

	assert_non_null(f);
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(f), 1);
	dup2(null, 2);
	rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	close(null);
	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return rc;
}

/* load --json says what moved each way and whether it was verified. */
static void test_cmd_load_json(void **state)
{
	struct srv *s = *state;
	struct srv *bad = srv__start_corrupt(5 * MiB + 3);
	char target[32], btarget[32], *out = malloc(16384);

	assert_non_null(out);
	snprintf(target, sizeof(target), "127.0.0.1:%u", s->port);
	snprintf(btarget, sizeof(btarget), "127.0.0.1:%u", bad->port);
	{
		char *a[] = { "load",	  "-c", target, "-n",	    "10M",    "-w",
			      "mixed:50", "-s", "1M",	"--verify", "--json", NULL };
		assert_int_equal(run_capture(cmd_load, a, out, 16384), 0);
		assert_non_null(strstr(out, "\"workload\": \"mixed\""));
		assert_non_null(strstr(out, "\"read_pct\": 50"));
		assert_non_null(strstr(out, "\"read_bytes\": 5242880"));
		assert_non_null(strstr(out, "\"write_bytes\": 5242880"));
		assert_non_null(strstr(out, "\"verified\": true"));
		assert_non_null(strstr(out, "\"bad_offset\": null"));
	}
	{
		char *a[] = { "load", "-c", target, "-n", "1M", "-w", "write", "--json", NULL };
		assert_int_equal(run_capture(cmd_load, a, out, 16384), 0);
		assert_non_null(strstr(out, "\"read_bytes\": 0"));
		assert_non_null(strstr(out, "\"write_bytes\": 1048576"));
		assert_non_null(strstr(out, "\"verified\": false"));
	}
	{
		char *a[] = { "load", "-c", btarget, "-n", "10M", "--verify", "--json", NULL };
		assert_int_equal(run_capture(cmd_load, a, out, 16384), 1);
		assert_non_null(strstr(out, "\"status\": \"error\""));
		assert_non_null(strstr(out, "\"verified\": false"));
		assert_non_null(strstr(out, "\"bad_offset\": 5242883"));
	}
	srv__stop(bad);
	free(out);
}

/* Kill the server thread 300 ms from now, as a dying process would: its listener goes too. */
static void *stop_later(void *arg)
{
	struct srv *s = arg;

	usleep(300 * 1000);
	s->stop = 1;
	assert_int_equal(pthread_join(s->tid, NULL), 0);
	close(s->conf.listen_fd);
	return NULL;
}

/* The server dies mid-copy: exit 1, and --json still says what was measured, "aborted". */
static void test_cmd_load_aborted(void **state)
{
	struct srv *s = srv__start("127.0.0.1", 0);
	struct engine_result *r = calloc(1, sizeof(*r));
	struct engine_client_conf c;
	char target[32], *out = malloc(65536);
	pthread_t tid;

	(void)state;
	assert_non_null(s);
	assert_non_null(r);
	assert_non_null(out);
	/* Serving already (a sanitizer build takes a while to start): the copy will move. */
	c = client_conf("127.0.0.1", s->port, MiB, 1, MiB);
	assert_int_equal(engine__client(&c, r), 0);
	snprintf(target, sizeof(target), "127.0.0.1:%u", s->port);
	assert_int_equal(pthread_create(&tid, NULL, stop_later, s), 0);
	{
		char *a[] = { "load", "-c", target, "-n", "1T", "-C", "2", "--json", NULL };
		assert_int_equal(run_capture(cmd_load, a, out, 65536), 1);
	}
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(s->err, 0);
	assert_non_null(strstr(out, "\"status\": \"aborted\""));
	assert_non_null(strstr(out, "server closed the connection after "));
	assert_null(strstr(out, "\"bytes\": 0,"));
	assert_non_null(strstr(out, "\"series\": {"));
	assert_non_null(strstr(out, "\"engine_threads\": ["));
	free(s);
	free(r);
	free(out);
}

static void test_cmd_load(void **state)
{
	struct srv *s = *state;
	char target[32], refused[32];

	snprintf(target, sizeof(target), "127.0.0.1:%u", s->port);
	snprintf(refused, sizeof(refused), "127.0.0.1:%u", 1);
	{
		char *a[] = { "load", "--help", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-h", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "--connect", target, "--bytes", "64M", "--json", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-c", target, "-n", "10M", "-s", "3000", "-d", "4", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-c", target, "-n", "10M", "-w", "write", "-V", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-c",	    target,	"-n",	    "10M",    "-s",
			      "3001", "--workload", "mixed:30", "--verify", "--json", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-c", target, "-n", "10M", "-w", "mixed", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "-c", target, "-D", "300ms", "-W", "0", "-C", "3", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 0);
	}
	{
		char *a[] = { "load", "--connect", refused, "--bytes", "1M", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 1);
	}
	{
		char *a[] = { "load", "--connect", refused, "--bytes", "1M", "--json", NULL };
		assert_int_equal(run_quiet(cmd_load, a), 1);
	}
	/* Usage errors: exit 2. */
	static const char *bad[][8] = {
		{ "load", "--bogus", NULL },
		{ "load", "-x", NULL },
		{ "load", "--bytes", "1M", NULL },			 /* no --connect */
		{ "load", "--connect", "127.0.0.1:1", NULL },		 /* no --bytes */
		{ "load", "--connect", "127.0.0.1:1", "--bytes", NULL }, /* value missing */
		{ "load", "--connect", "127.0.0.1", "--bytes", "1M", NULL },
		{ "load", "--connect", "::1:80", "--bytes", "1M", NULL },
		{ "load", "--connect", "[::1]:0", "--bytes", "1M", NULL },
		{ "load", "--connect", "127.0.0.1:70000", "--bytes", "1M", NULL },
		{ "load", "--connect", "host.example:80", "--bytes", "1M", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--depth", "0", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--depth", "257", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--depth", "8x", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--io-size", "0", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--io-size", "9M", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "0", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "-5", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--workload", "copy", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--workload", "mixed:101", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--workload", "mixed:", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--workload", "read:50", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--timeout", "soon", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "extra", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--duration", "1s", NULL },
		{ "load", "-c", "127.0.0.1:1", "--duration", "0", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--warmup", "1s", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--conns", "0", NULL },
		{ "load", "-c", "127.0.0.1:1", "-n", "1M", "--conns", "65", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (run_quiet(cmd_load, (char **)bad[i]) != 2)
			fail_msg("case %zu (%s %s) did not exit 2", i, bad[i][1], bad[i][2]);
	}
	{
		char *a[] = { "serve", "--help", NULL };
		assert_int_equal(run_quiet(cmd_serve, a), 0);
	}
	{
		char *a[] = { "serve", NULL };
		assert_int_equal(run_quiet(cmd_serve, a), 2);
	}
	{
		char *a[] = { "serve", "--listen", "nowhere:1", NULL };
		assert_int_equal(run_quiet(cmd_serve, a), 2);
	}
	{
		char *a[] = { "serve", "--listen", "127.0.0.1:0", "--max-io", "16M", NULL };
		assert_int_equal(run_quiet(cmd_serve, a), 2);
	}
	{
		char *a[] = { "serve", "--listen", "127.0.0.1:0", "--pending-after", "0", NULL };
		assert_int_equal(run_quiet(cmd_serve, a), 2);
	}
	{
		static const char *sbad[][6] = {
			{ "serve", "-l", "127.0.0.1:0", "--threads", "0", NULL },
			{ "serve", "-l", "127.0.0.1:0", "--threads", "17", NULL },
			{ "serve", "-l", "127.0.0.1:0", "--cpu", "", NULL },
			{ "serve", "-l", "127.0.0.1:0", "--cpu", "1,", NULL },
			{ "serve", "-l", "127.0.0.1:0", "--cpu", "3-1", NULL },
			{ "serve", "-l", "127.0.0.1:0", "--cpu", "0-x", NULL },
		};
		for (size_t i = 0; i < sizeof(sbad) / sizeof(sbad[0]); i++)
			if (run_quiet(cmd_serve, (char **)sbad[i]) != 2)
				fail_msg("serve case %zu (%s) did not exit 2", i, sbad[i][4]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test_setup_teardown(test_copy_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_dropped, setup, teardown),
		cmocka_unit_test(test_malformed_logged),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_dies_midcopy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conns, setup_verify, teardown),
		cmocka_unit_test(test_pending_copy),
		cmocka_unit_test_setup_teardown(test_duration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_conf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_above_max_read, setup_1m, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_load, setup, teardown),
		cmocka_unit_test(test_mixed_ratio),
		cmocka_unit_test_setup_teardown(test_write_mixed_exact, setup_verify, teardown),
		cmocka_unit_test_setup_teardown(test_server_verifies_writes, setup_verify,
						teardown),
		cmocka_unit_test(test_verify_catches_corruption),
		cmocka_unit_test_setup_teardown(test_cmd_load_json, setup_verify, teardown),
		cmocka_unit_test(test_cmd_load_aborted),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
