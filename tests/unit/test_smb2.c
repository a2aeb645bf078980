// SPDX-License-Identifier: GPL-2.0
/* SMB2 wire format: exact byte layouts from MS-SMB2's tables, round trips, every rejection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../bench/smb2.h"

/* Where each PDU's body starts inside an encoded frame. */
#define BODY (SMB2_NB_LEN + SMB2_HDR_LEN)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static struct smb2_hdr sample_hdr(void)
{
	struct smb2_hdr h = {
		.credit_charge = 0x0010,
		.status = 0xc000000d,
		.command = SMB2_READ,
		.credits = 0x0020,
		.flags = SMB2_FLAGS_SERVER_TO_REDIR,
		.next_command = 0,
		.message_id = 0x0102030405060708ull,
		.process_id = 0x0000feff,
		.tree_id = 0x11223344,
		.session_id = 0x8877665544332211ull,
	};

	for (int i = 0; i < 16; i++)
		h.signature[i] = 0xa0 + i;
	return h;
}

/* Field by field: structs have padding that memcmp would compare too. */
static void assert_hdr_eq(const struct smb2_hdr *a, const struct smb2_hdr *b)
{
	assert_int_equal(a->credit_charge, b->credit_charge);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->command, b->command);
	assert_int_equal(a->credits, b->credits);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->next_command, b->next_command);
	assert_true(a->message_id == b->message_id);
	assert_int_equal(a->process_id, b->process_id);
	assert_int_equal(a->tree_id, b->tree_id);
	assert_true(a->session_id == b->session_id);
	assert_memory_equal(a->signature, b->signature, sizeof(a->signature));
}

static void assert_read_req_eq(const struct smb2_read_req *a, const struct smb2_read_req *b)
{
	assert_int_equal(a->padding, b->padding);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->length, b->length);
	assert_true(a->offset == b->offset);
	assert_true(a->file_id_persistent == b->file_id_persistent);
	assert_true(a->file_id_volatile == b->file_id_volatile);
	assert_int_equal(a->minimum_count, b->minimum_count);
	assert_int_equal(a->channel, b->channel);
	assert_int_equal(a->remaining_bytes, b->remaining_bytes);
	assert_int_equal(a->read_channel_info_offset, b->read_channel_info_offset);
	assert_int_equal(a->read_channel_info_length, b->read_channel_info_length);
}

static void assert_neg_req_eq(const struct smb2_negotiate_req *a,
			      const struct smb2_negotiate_req *b)
{
	assert_int_equal(a->security_mode, b->security_mode);
	assert_int_equal(a->capabilities, b->capabilities);
	assert_memory_equal(a->client_guid, b->client_guid, sizeof(a->client_guid));
	assert_true(a->client_start_time == b->client_start_time);
	assert_int_equal(a->dialect_count, b->dialect_count);
	for (unsigned i = 0; i < a->dialect_count && i < SMB2_MAX_DIALECTS; i++)
		assert_int_equal(a->dialects[i], b->dialects[i]);
}

static void assert_neg_rsp_eq(const struct smb2_negotiate_rsp *a,
			      const struct smb2_negotiate_rsp *b)
{
	assert_int_equal(a->security_mode, b->security_mode);
	assert_int_equal(a->dialect, b->dialect);
	assert_memory_equal(a->server_guid, b->server_guid, sizeof(a->server_guid));
	assert_int_equal(a->capabilities, b->capabilities);
	assert_int_equal(a->max_transact_size, b->max_transact_size);
	assert_int_equal(a->max_read_size, b->max_read_size);
	assert_int_equal(a->max_write_size, b->max_write_size);
	assert_true(a->system_time == b->system_time);
	assert_true(a->server_start_time == b->server_start_time);
}

/* ---- transport and header ---------------------------------------------------------------- */

static void test_credit_charge(void **state)
{
	(void)state;
	assert_int_equal(smb2__credit_charge(0), 1);
	assert_int_equal(smb2__credit_charge(1), 1);
	assert_int_equal(smb2__credit_charge(3000), 1);
	assert_int_equal(smb2__credit_charge(65536), 1);
	assert_int_equal(smb2__credit_charge(65537), 2);
	assert_int_equal(smb2__credit_charge(1 << 20), 16);
	assert_int_equal(smb2__credit_charge((1 << 20) + 1), 17);
	assert_int_equal(smb2__credit_charge(8u << 20), 128);
}

static void test_nb(void **state)
{
	uint8_t b[4];
	uint32_t n = 0;

	(void)state;
	smb2__nb_encode(b, 0x123456);
	assert_memory_equal(b, ((uint8_t[]){ 0x00, 0x12, 0x34, 0x56 }), 4);
	assert_int_equal(smb2__frame_peek(b, 4, SMB2_NB_MAX, &n), 0);
	assert_int_equal(n, 0x123456);
	/* Fewer than 4 bytes: wait for more. */
	assert_int_equal(smb2__frame_peek(b, 3, SMB2_NB_MAX, &n), -EAGAIN);
	assert_int_equal(smb2__frame_peek(b, 0, SMB2_NB_MAX, &n), -EAGAIN);
	/* Beyond what the receiver takes: refused before its bytes are waited for. */
	assert_int_equal(smb2__frame_peek(b, 4, 0x123455, &n), -EMSGSIZE);
	/* NetBIOS session message types other than 0 (e.g. 0x85 keepalive) are not SMB2. */
	b[0] = 0x85;
	assert_int_equal(smb2__frame_peek(b, 4, SMB2_NB_MAX, &n), -EPROTO);
	/* Shorter than an SMB2 header. */
	smb2__nb_encode(b, 63);
	assert_int_equal(smb2__frame_peek(b, 4, SMB2_NB_MAX, &n), -EBADMSG);
	smb2__nb_encode(b, 64);
	assert_int_equal(smb2__frame_peek(b, 4, SMB2_NB_MAX, &n), 0);
	assert_int_equal(n, 64);
}

static void test_hdr_layout(void **state)
{
	static const uint8_t want[SMB2_HDR_LEN] = {
		0xfe, 'S',  'M',  'B',				/*  0 ProtocolId */
		0x40, 0x00,					/*  4 StructureSize 64 */
		0x10, 0x00,					/*  6 CreditCharge */
		0x0d, 0x00, 0x00, 0xc0,				/*  8 Status */
		0x08, 0x00,					/* 12 Command READ */
		0x20, 0x00,					/* 14 CreditRequest/Response */
		0x01, 0x00, 0x00, 0x00,				/* 16 Flags SERVER_TO_REDIR */
		0x00, 0x00, 0x00, 0x00,				/* 20 NextCommand */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* 24 MessageId */
		0xff, 0xfe, 0x00, 0x00,				/* 32 Reserved (ProcessId) */
		0x44, 0x33, 0x22, 0x11,				/* 36 TreeId */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* 40 SessionId */
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, /* 48 Signature */
		0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	struct smb2_hdr h = sample_hdr(), d;
	uint8_t buf[SMB2_HDR_LEN];

	(void)state;
	assert_int_equal(smb2__hdr_encode(&h, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));
	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), 0);
	assert_hdr_eq(&d, &h);
	assert_int_equal(smb2__hdr_encode(&h, buf, SMB2_HDR_LEN - 1), -ENOBUFS);
}

static void test_hdr_reject(void **state)
{
	struct smb2_hdr h = sample_hdr(), d;
	uint8_t good[SMB2_HDR_LEN], buf[SMB2_HDR_LEN];

	(void)state;
	assert_int_equal(smb2__hdr_encode(&h, good, sizeof(good)), 0);

	assert_int_equal(smb2__hdr_decode(good, SMB2_HDR_LEN - 1, &d), -EBADMSG);
	/* SMB1 and the SMB3 transform (encryption) header are other protocols to this decoder. */
	memcpy(buf, good, sizeof(buf));
	buf[0] = 0xff;
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EPROTO);
	buf[0] = 0xfd;
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EPROTO);
	memcpy(buf, good, sizeof(buf));
	buf[3] = 'X';
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EPROTO);
	memcpy(buf, good, sizeof(buf));
	put16(buf + 4, 65);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EPROTO);
	/* An undefined command code. */
	memcpy(buf, good, sizeof(buf));
	put16(buf + 12, SMB2_OPLOCK_BREAK + 1);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EOPNOTSUPP);
	put16(buf + 12, SMB2_OPLOCK_BREAK);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), 0);
	/* Async requests (a CANCEL) and compounds are not implemented; async responses are. */
	memcpy(buf, good, sizeof(buf));
	put32(buf + 16, SMB2_FLAGS_ASYNC_COMMAND);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EOPNOTSUPP);
	put32(buf + 16, SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_ASYNC_COMMAND);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), 0);
	/* AsyncId (8 bytes at 32) stands where ProcessId and TreeId are. */
	assert_true(d.async_id == get64(good + 32));
	assert_int_equal(d.process_id, 0);
	assert_int_equal(d.tree_id, 0);
	h.next_command = 0x68;
	assert_int_equal(smb2__hdr_encode(&h, buf, sizeof(buf)), 0);
	assert_int_equal(get32(buf + 20), 0x68);
	assert_int_equal(smb2__hdr_decode(buf, sizeof(buf), &d), -EOPNOTSUPP);
}

/* ---- READ -------------------------------------------------------------------------------- */

static struct smb2_read_req sample_read_req(uint32_t length)
{
	return (struct smb2_read_req){
		.padding = 0x50,
		.flags = 0,
		.length = length,
		.offset = 0x0000001122334455ull,
		.file_id_persistent = 0x0101010101010101ull,
		.file_id_volatile = 0x0202020202020202ull,
		.minimum_count = 7,
		.channel = SMB2_CHANNEL_NONE,
		.remaining_bytes = 9,
	};
}

/* A READ request frame for `length` bytes with the given CreditCharge. */
static void read_req_frame(uint8_t *buf, uint32_t length, uint16_t charge)
{
	struct smb2_hdr h = { .credit_charge = charge, .credits = charge, .message_id = 5 };
	struct smb2_read_req req = sample_read_req(length);
	size_t n = 0;

	assert_int_equal(smb2__read_req_encode(buf, SMB2_READ_REQ_FRAME, &h, &req, &n), 0);
	assert_int_equal(n, SMB2_READ_REQ_FRAME);
}

static void test_read_req_layout(void **state)
{
	struct smb2_hdr h = sample_hdr(), dh;
	struct smb2_read_req req = sample_read_req(1 << 20), d;
	uint8_t buf[SMB2_READ_REQ_FRAME + 8];
	const uint8_t *b = buf + BODY;
	size_t n = 0;

	(void)state;
	h.status = 0;
	assert_int_equal(smb2__read_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	assert_int_equal(n, 117);
	/* Transport: zero byte, 24-bit big-endian length of header + 49-byte body. */
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0, 0, 113 }), 4);
	/* The encoder marks it a request: SERVER_TO_REDIR cleared, Command READ. */
	assert_int_equal(get32(buf + SMB2_NB_LEN + 16), 0);
	assert_int_equal(get16(buf + SMB2_NB_LEN + 12), SMB2_READ);
	assert_int_equal(get16(b + 0), 49);		     /* StructureSize */
	assert_int_equal(b[2], 0x50);			     /* Padding */
	assert_int_equal(b[3], 0);			     /* Flags */
	assert_int_equal(get32(b + 4), 1 << 20);	     /* Length */
	assert_true(get64(b + 8) == 0x0000001122334455ull);  /* Offset */
	assert_true(get64(b + 16) == 0x0101010101010101ull); /* FileId.Persistent */
	assert_true(get64(b + 24) == 0x0202020202020202ull); /* FileId.Volatile */
	assert_int_equal(get32(b + 32), 7);		     /* MinimumCount */
	assert_int_equal(get32(b + 36), 0);		     /* Channel */
	assert_int_equal(get32(b + 40), 9);		     /* RemainingBytes */
	assert_int_equal(get16(b + 44), 0);		     /* ReadChannelInfoOffset */
	assert_int_equal(get16(b + 46), 0);		     /* ReadChannelInfoLength */
	assert_int_equal(b[48], 0);			     /* Buffer */

	assert_int_equal(smb2__read_req_decode(buf + 4, n - 4, 1 << 20, &dh, &d), 0);
	assert_read_req_eq(&d, &req);
	assert_int_equal(dh.credit_charge, 0x10);
	assert_true(dh.message_id == h.message_id);
	assert_true(dh.session_id == h.session_id);
	assert_int_equal(dh.tree_id, h.tree_id);
	assert_int_equal(dh.flags, 0);
	/* No room: nothing half-written is claimed. */
	assert_int_equal(smb2__read_req_encode(buf, SMB2_READ_REQ_FRAME - 1, &h, &req, &n),
			 -ENOBUFS);
}

static void test_read_req_reject(void **state)
{
	const uint32_t max = 1 << 20;
	uint8_t good[SMB2_READ_REQ_FRAME], buf[SMB2_READ_REQ_FRAME];
	uint8_t *m = buf + SMB2_NB_LEN, *b = buf + BODY;
	const size_t len = SMB2_READ_REQ_FRAME - SMB2_NB_LEN;
	struct smb2_read_req d;
	struct smb2_hdr dh;

	(void)state;
	read_req_frame(good, max, 16);
	assert_int_equal(smb2__read_req_decode(good + 4, len, max, &dh, &d), 0);
	/* The Buffer byte may be left out; one byte less than that is truncated. */
	assert_int_equal(smb2__read_req_decode(good + 4, len - 1, max, &dh, &d), 0);
	assert_int_equal(smb2__read_req_decode(good + 4, len - 2, max, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__read_req_decode(good + 4, SMB2_HDR_LEN, max, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__read_req_decode(good + 4, SMB2_HDR_LEN - 1, max, &dh, &d), -EBADMSG);
	/* A header problem shows through. */
	memcpy(buf, good, sizeof(buf));
	m[0] = 0xff;
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EPROTO);
	/* Wrong direction. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 16, SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EPROTO);
	/* Wrong command. */
	memcpy(buf, good, sizeof(buf));
	put16(m + 12, SMB2_WRITE);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EPROTO);
	/* StructureSize mismatch. */
	memcpy(buf, good, sizeof(buf));
	put16(b, 48);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EBADMSG);
	/* Length beyond the negotiated MaxReadSize. */
	assert_int_equal(smb2__read_req_decode(good + 4, len, max - 1, &dh, &d), -EMSGSIZE);
	/* RDMA channels are not implemented. */
	memcpy(buf, good, sizeof(buf));
	put32(b + 36, 1);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EOPNOTSUPP);
	/* Channel info pointing outside the message. */
	memcpy(buf, good, sizeof(buf));
	put16(b + 44, SMB2_HDR_LEN + 48);
	put16(b + 46, 2);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EBADMSG);
	put16(b + 46, 1);
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), 0);
	/* A range past the largest file offset. */
	memcpy(buf, good, sizeof(buf));
	memset(b + 8, 0xff, 7);
	b[15] = 0x7f;
	assert_int_equal(smb2__read_req_decode(m, len, max, &dh, &d), -EBADMSG);
}

static void test_read_req_credit_charge(void **state)
{
	uint8_t buf[SMB2_READ_REQ_FRAME];
	const size_t len = SMB2_READ_REQ_FRAME - SMB2_NB_LEN;
	struct smb2_read_req d;
	struct smb2_hdr dh;

	(void)state;
	/* 1 MiB needs 16 credits: 15 is too few, more is legal (MS-SMB2 3.3.5.2.5). */
	read_req_frame(buf, 1 << 20, 15);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), -ERANGE);
	read_req_frame(buf, 1 << 20, 1);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), -ERANGE);
	read_req_frame(buf, 1 << 20, 17);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), 0);
	/* Zero charge: allowed up to 64 KiB only. */
	read_req_frame(buf, 65536, 0);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), 0);
	read_req_frame(buf, 65537, 0);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), -ERANGE);
	read_req_frame(buf, 65537, 1);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), -ERANGE);
	read_req_frame(buf, 65537, 2);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), 0);
	read_req_frame(buf, 3000, 1);
	assert_int_equal(smb2__read_req_decode(buf + 4, len, 8u << 20, &dh, &d), 0);
}

/* A READ response head for `data_len` bytes, plus room for a little data after it. */
static void read_rsp_frame(uint8_t *buf, uint32_t data_len)
{
	struct smb2_hdr h = { .credit_charge = 16, .credits = 16, .message_id = 5 };
	struct smb2_read_rsp rsp = {
		.data_offset = SMB2_READ_RSP_DATA_OFFSET,
		.data_length = data_len,
		.data_remaining = 0,
	};
	size_t n = 0;

	assert_int_equal(smb2__read_rsp_encode(buf, SMB2_READ_RSP_HEAD, &h, &rsp, &n), 0);
	assert_int_equal(n, SMB2_READ_RSP_HEAD);
}

static void test_read_rsp(void **state)
{
	const uint32_t dlen = 0x00123456;
	uint8_t buf[SMB2_READ_RSP_HEAD];
	const uint8_t *b = buf + BODY;
	struct smb2_read_rsp rsp = { .data_offset = 0x50, .data_length = 10 }, d;
	struct smb2_hdr h = { 0 }, dh;
	size_t n;

	(void)state;
	read_rsp_frame(buf, dlen);
	assert_int_equal(SMB2_READ_RSP_HEAD, 84);
	/* The transport length covers the data that follows the head. */
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0x12, 0x34, 0x56 + 80 }), 4);
	assert_int_equal(get32(buf + SMB2_NB_LEN + 16), SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(get16(b + 0), 17);   /* StructureSize */
	assert_int_equal(b[2], 0x50);	      /* DataOffset */
	assert_int_equal(b[3], 0);	      /* Reserved */
	assert_int_equal(get32(b + 4), dlen); /* DataLength */
	assert_int_equal(get32(b + 8), 0);    /* DataRemaining */
	assert_int_equal(get32(b + 12), 0);   /* Reserved2 */

	assert_int_equal(smb2__read_rsp_decode(buf + 4, 80, 80 + dlen, dlen, &dh, &d), 0);
	assert_int_equal(d.data_offset, 0x50);
	assert_int_equal(d.data_length, dlen);
	assert_true(dh.message_id == 5);
	assert_int_equal(dh.credits, 16);

	/* Encoder limits: data right after the head only; the transport's 24 bits; room. */
	rsp.data_offset = 0x58;
	assert_int_equal(smb2__read_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), -EINVAL);
	rsp.data_offset = 0x50;
	rsp.data_length = SMB2_NB_MAX;
	assert_int_equal(smb2__read_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), -EMSGSIZE);
	rsp.data_length = 10;
	assert_int_equal(smb2__read_rsp_encode(buf, sizeof(buf) - 1, &h, &rsp, &n), -ENOBUFS);
}

static void test_read_rsp_reject(void **state)
{
	const uint32_t dlen = 4096, mlen = 80 + dlen;
	uint8_t good[SMB2_READ_RSP_HEAD], buf[SMB2_READ_RSP_HEAD];
	uint8_t *m = buf + SMB2_NB_LEN, *b = buf + BODY;
	struct smb2_read_rsp d;
	struct smb2_hdr dh;

	(void)state;
	read_rsp_frame(good, dlen);
	assert_int_equal(smb2__read_rsp_decode(good + 4, 80, mlen, dlen, &dh, &d), 0);
	/* Truncated before the end of the fixed part. */
	assert_int_equal(smb2__read_rsp_decode(good + 4, 79, mlen, dlen, &dh, &d), -EBADMSG);
	/* DataLength beyond what was negotiated. */
	assert_int_equal(smb2__read_rsp_decode(good + 4, 80, mlen, dlen - 1, &dh, &d), -EMSGSIZE);
	/* Data running past the message. */
	assert_int_equal(smb2__read_rsp_decode(good + 4, 80, mlen - 1, dlen, &dh, &d), -EBADMSG);
	/* Data starting inside the fixed part. */
	memcpy(buf, good, sizeof(buf));
	b[2] = 0x40;
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EBADMSG);
	/* Padding before the data is legal when it stays inside the message. */
	b[2] = 0x58;
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen + 8, dlen, &dh, &d), 0);
	/* StructureSize mismatch. */
	memcpy(buf, good, sizeof(buf));
	put16(b, 16);
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EBADMSG);
	/* A request where a response belongs. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 16, 0);
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EPROTO);
	/* An error status: the body is an error response; the header is still handed back. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 8, 0xc0000011); /* STATUS_END_OF_FILE */
	memset(&dh, 0, sizeof(dh));
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EREMOTEIO);
	assert_int_equal(dh.status, 0xc0000011);
	/* Wrong command. */
	memcpy(buf, good, sizeof(buf));
	put16(m + 12, SMB2_NEGOTIATE);
	assert_int_equal(smb2__read_rsp_decode(m, 80, mlen, dlen, &dh, &d), -EPROTO);
	/* Caller error: more available than the message holds. */
	assert_int_equal(smb2__read_rsp_decode(good + 4, 80, 79, dlen, &dh, &d), -EINVAL);
}

/* ---- NEGOTIATE --------------------------------------------------------------------------- */

static void test_negotiate_req(void **state)
{
	struct smb2_negotiate_req req = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
		.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU,
		.client_guid = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
		.dialect_count = 2,
		.dialects = { 0x0202, SMB2_DIALECT_0210 },
	}, d;
	struct smb2_hdr h = { .credits = 64 }, dh;
	uint8_t buf[256], *m = buf + SMB2_NB_LEN, *b = buf + BODY;
	size_t n = 0, len;

	(void)state;
	assert_int_equal(smb2__negotiate_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	assert_int_equal(n, 4 + 64 + 36 + 4);
	len = n - 4;
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0, 0, 104 }), 4);
	assert_int_equal(get16(m + 12), SMB2_NEGOTIATE);
	assert_int_equal(get16(b + 0), 36);		  /* StructureSize */
	assert_int_equal(get16(b + 2), 2);		  /* DialectCount */
	assert_int_equal(get16(b + 4), 1);		  /* SecurityMode */
	assert_int_equal(get32(b + 8), 4);		  /* Capabilities: LARGE_MTU */
	assert_memory_equal(b + 12, req.client_guid, 16); /* ClientGuid */
	assert_true(get64(b + 28) == 0);		  /* ClientStartTime */
	assert_int_equal(get16(b + 36), 0x0202);	  /* Dialects[0] */
	assert_int_equal(get16(b + 38), 0x0210);	  /* Dialects[1] */
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), 0);
	assert_neg_req_eq(&d, &req);
	assert_int_equal(dh.credits, 64);

	/* Rejections. */
	assert_int_equal(smb2__negotiate_req_decode(m, len - 1, &dh, &d), -EBADMSG);
	put16(b + 2, 3);
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), -EBADMSG);
	put16(b + 2, 0);
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), -EBADMSG);
	put16(b + 2, 2);
	put16(b, 35);
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), -EBADMSG);
	put16(b, 36);
	put32(m + 16, SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), -EPROTO);
	put32(m + 16, 0);
	assert_int_equal(smb2__negotiate_req_decode(m, len, &dh, &d), 0);
	req.dialect_count = 0;
	assert_int_equal(smb2__negotiate_req_encode(buf, sizeof(buf), &h, &req, &n), -EINVAL);
	req.dialect_count = 2;
	assert_int_equal(smb2__negotiate_req_encode(buf, 100, &h, &req, &n), -ENOBUFS);
}

static void test_negotiate_rsp(void **state)
{
	struct smb2_negotiate_rsp rsp = {
		.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED,
		.dialect = SMB2_DIALECT_0210,
		.server_guid = "0123456789abcde",
		.capabilities = SMB2_GLOBAL_CAP_LARGE_MTU,
		.max_transact_size = 0x00100000,
		.max_read_size = 0x00800000,
		.max_write_size = 0x00200000,
		.system_time = 0x01d9000000000000ull,
		.server_start_time = 0,
	}, d;
	struct smb2_hdr h = { .credits = 128 }, dh;
	uint8_t buf[SMB2_NEGOTIATE_RSP_FRAME], *m = buf + SMB2_NB_LEN, *b = buf + BODY;
	size_t n = 0, len;

	(void)state;
	assert_int_equal(smb2__negotiate_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), 0);
	assert_int_equal(n, 133);
	len = n - 4;
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0, 0, 129 }), 4);
	assert_int_equal(get32(m + 16), SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(get16(b + 0), 65);		 /* StructureSize */
	assert_int_equal(get16(b + 2), 1);		 /* SecurityMode */
	assert_int_equal(get16(b + 4), 0x0210);		 /* DialectRevision */
	assert_int_equal(get16(b + 6), 0);		 /* NegotiateContextCount/Reserved */
	assert_memory_equal(b + 8, rsp.server_guid, 16); /* ServerGuid */
	assert_int_equal(get32(b + 24), 4);		 /* Capabilities */
	assert_int_equal(get32(b + 28), 0x00100000);	 /* MaxTransactSize */
	assert_int_equal(get32(b + 32), 0x00800000);	 /* MaxReadSize */
	assert_int_equal(get32(b + 36), 0x00200000);	 /* MaxWriteSize */
	assert_true(get64(b + 40) == rsp.system_time);	 /* SystemTime */
	assert_true(get64(b + 48) == 0);		 /* ServerStartTime */
	assert_int_equal(get16(b + 56), 0x80);		 /* SecurityBufferOffset */
	assert_int_equal(get16(b + 58), 0);		 /* SecurityBufferLength */
	assert_int_equal(get32(b + 60), 0);		 /* NegotiateContextOffset/Reserved2 */
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), 0);
	assert_neg_rsp_eq(&d, &rsp);
	assert_int_equal(dh.credits, 128);

	/* Rejections. */
	assert_int_equal(smb2__negotiate_rsp_decode(m, SMB2_HDR_LEN + 63, &dh, &d), -EBADMSG);
	put16(b, 64);
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EBADMSG);
	put16(b, 65);
	put16(b + 58, 2); /* a 2-byte security blob at 0x80 ends past the 129-byte message */
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EBADMSG);
	put16(b + 58, 1);
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), 0);
	put16(b + 56, 0x40); /* inside the header */
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EBADMSG);
	put16(b + 56, 0x80);
	put32(m + 8, 0xc00000bb); /* STATUS_NOT_SUPPORTED */
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EREMOTEIO);
	assert_int_equal(dh.status, 0xc00000bb);
	put32(m + 8, 0);
	put32(m + 16, 0);
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EPROTO);
	put32(m + 16, SMB2_FLAGS_SERVER_TO_REDIR);
	put16(m + 12, SMB2_READ);
	assert_int_equal(smb2__negotiate_rsp_decode(m, len, &dh, &d), -EPROTO);
	assert_int_equal(smb2__negotiate_rsp_encode(buf, sizeof(buf) - 1, &h, &rsp, &n), -ENOBUFS);
}

/* ---- WRITE ------------------------------------------------------------------------------- */

static struct smb2_write_req sample_write_req(uint32_t length)
{
	return (struct smb2_write_req){
		.data_offset = 0x70,
		.length = length,
		.offset = 0x0000001122334455ull,
		.file_id_persistent = 0x0101010101010101ull,
		.file_id_volatile = 0x0202020202020202ull,
		.channel = SMB2_CHANNEL_NONE,
		.remaining_bytes = 9,
		.flags = 0x00000002, /* SMB2_WRITEFLAG_WRITE_UNBUFFERED: carried, not acted on */
	};
}

static void assert_write_req_eq(const struct smb2_write_req *a, const struct smb2_write_req *b)
{
	assert_int_equal(a->data_offset, b->data_offset);
	assert_int_equal(a->length, b->length);
	assert_true(a->offset == b->offset);
	assert_true(a->file_id_persistent == b->file_id_persistent);
	assert_true(a->file_id_volatile == b->file_id_volatile);
	assert_int_equal(a->channel, b->channel);
	assert_int_equal(a->remaining_bytes, b->remaining_bytes);
	assert_int_equal(a->write_channel_info_offset, b->write_channel_info_offset);
	assert_int_equal(a->write_channel_info_length, b->write_channel_info_length);
	assert_int_equal(a->flags, b->flags);
}

/* A WRITE request head for `length` bytes with the given CreditCharge. */
static void write_req_frame(uint8_t *buf, uint32_t length, uint16_t charge)
{
	struct smb2_hdr h = { .credit_charge = charge, .credits = charge, .message_id = 5 };
	struct smb2_write_req req = sample_write_req(length);
	size_t n = 0;

	assert_int_equal(smb2__write_req_encode(buf, SMB2_WRITE_REQ_HEAD, &h, &req, &n), 0);
	assert_int_equal(n, SMB2_WRITE_REQ_HEAD);
}

static void test_write_req_layout(void **state)
{
	const uint32_t dlen = 0x00123456;
	struct smb2_hdr h = sample_hdr(), dh;
	struct smb2_write_req req = sample_write_req(dlen), d;
	uint8_t buf[SMB2_WRITE_REQ_HEAD];
	const uint8_t *b = buf + BODY;
	size_t n = 0;

	(void)state;
	h.status = 0;
	h.credit_charge = 19; /* ceil(0x123456 / 64 KiB) */
	assert_int_equal(SMB2_WRITE_REQ_HEAD, 116);
	assert_int_equal(smb2__write_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	assert_int_equal(n, 116);
	/* Transport length: header + 48-byte fixed part + the data the caller sends after. */
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0x12, 0x34, 0x56 + 0x70 }), 4);
	/* A request: SERVER_TO_REDIR cleared, Command WRITE. */
	assert_int_equal(get32(buf + SMB2_NB_LEN + 16), 0);
	assert_int_equal(get16(buf + SMB2_NB_LEN + 12), SMB2_WRITE);
	assert_int_equal(get16(b + 0), 49);		     /* StructureSize */
	assert_int_equal(get16(b + 2), 0x70);		     /* DataOffset */
	assert_int_equal(get32(b + 4), dlen);		     /* Length */
	assert_true(get64(b + 8) == 0x0000001122334455ull);  /* Offset */
	assert_true(get64(b + 16) == 0x0101010101010101ull); /* FileId.Persistent */
	assert_true(get64(b + 24) == 0x0202020202020202ull); /* FileId.Volatile */
	assert_int_equal(get32(b + 32), 0);		     /* Channel */
	assert_int_equal(get32(b + 36), 9);		     /* RemainingBytes */
	assert_int_equal(get16(b + 40), 0);		     /* WriteChannelInfoOffset */
	assert_int_equal(get16(b + 42), 0);		     /* WriteChannelInfoLength */
	assert_int_equal(get32(b + 44), 2);		     /* Flags */

	/* Only the head is there; the data is still to come. */
	assert_int_equal(smb2__write_req_decode(buf + 4, 0x70, 0x70 + dlen, 8u << 20, &dh, &d), 0);
	assert_write_req_eq(&d, &req);
	assert_int_equal(dh.credit_charge, 19);
	assert_true(dh.message_id == h.message_id);
	assert_int_equal(dh.flags, 0);

	/* Encoder limits: data right after the head only; the transport's 24 bits; room. */
	req.data_offset = 0x78;
	assert_int_equal(smb2__write_req_encode(buf, sizeof(buf), &h, &req, &n), -EINVAL);
	req.data_offset = 0x70;
	req.length = SMB2_NB_MAX;
	assert_int_equal(smb2__write_req_encode(buf, sizeof(buf), &h, &req, &n), -EMSGSIZE);
	req.length = 10;
	assert_int_equal(smb2__write_req_encode(buf, sizeof(buf) - 1, &h, &req, &n), -ENOBUFS);
}

static void test_write_req_reject(void **state)
{
	const uint32_t max = 1 << 20, mlen = 0x70 + max;
	uint8_t good[SMB2_WRITE_REQ_HEAD], buf[SMB2_WRITE_REQ_HEAD];
	uint8_t *m = buf + SMB2_NB_LEN, *b = buf + BODY;
	struct smb2_write_req d;
	struct smb2_hdr dh;

	(void)state;
	write_req_frame(good, max, 16);
	assert_int_equal(smb2__write_req_decode(good + 4, 0x70, mlen, max, &dh, &d), 0);
	/* Truncated before the end of the fixed part. */
	assert_int_equal(smb2__write_req_decode(good + 4, 0x6f, mlen, max, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__write_req_decode(good + 4, 63, mlen, max, &dh, &d), -EBADMSG);
	/* Caller error: more available than the message holds. */
	assert_int_equal(smb2__write_req_decode(good + 4, 0x70, 0x6f, max, &dh, &d), -EINVAL);
	/* Data running past the message. */
	assert_int_equal(smb2__write_req_decode(good + 4, 0x70, mlen - 1, max, &dh, &d), -EBADMSG);
	/* Length beyond the negotiated MaxWriteSize. */
	assert_int_equal(smb2__write_req_decode(good + 4, 0x70, mlen, max - 1, &dh, &d), -EMSGSIZE);
	/* A header problem shows through. */
	memcpy(buf, good, sizeof(buf));
	m[0] = 0xff;
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EPROTO);
	/* Wrong direction. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 16, SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EPROTO);
	/* Wrong command. */
	memcpy(buf, good, sizeof(buf));
	put16(m + 12, SMB2_READ);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EPROTO);
	/* StructureSize mismatch. */
	memcpy(buf, good, sizeof(buf));
	put16(b, 48);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EBADMSG);
	/* Data starting inside the fixed part. */
	memcpy(buf, good, sizeof(buf));
	put16(b + 2, 0x6f);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EBADMSG);
	/* Padding before the data is legal when it stays inside the message. */
	put16(b + 2, 0x78);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen + 8, max, &dh, &d), 0);
	assert_int_equal(d.data_offset, 0x78);
	/* RDMA channels are not implemented. */
	memcpy(buf, good, sizeof(buf));
	put32(b + 32, 1);
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EOPNOTSUPP);
	/* Channel info pointing outside the message, or into the fixed part. */
	write_req_frame(buf, 100, 1);
	put16(b + 40, 0x70 + 100);
	put16(b + 42, 1);
	assert_int_equal(smb2__write_req_decode(m, 0x70, 0x70 + 100, max, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__write_req_decode(m, 0x70, 0x70 + 101, max, &dh, &d), 0);
	put16(b + 40, 0x40);
	assert_int_equal(smb2__write_req_decode(m, 0x70, 0x70 + 101, max, &dh, &d), -EBADMSG);
	/* A range past the largest file offset. */
	memcpy(buf, good, sizeof(buf));
	memset(b + 8, 0xff, 7);
	b[15] = 0x7f;
	assert_int_equal(smb2__write_req_decode(m, 0x70, mlen, max, &dh, &d), -EBADMSG);
	/* A zero-length WRITE has no data to place: any DataOffset, a bare head. */
	write_req_frame(buf, 0, 1);
	put16(b + 2, 0);
	assert_int_equal(smb2__write_req_decode(m, 0x70, 0x70, max, &dh, &d), 0);
	assert_int_equal(d.length, 0);
}

static void test_write_req_credit_charge(void **state)
{
	uint8_t buf[SMB2_WRITE_REQ_HEAD];
	struct smb2_write_req d;
	struct smb2_hdr dh;

#define WDEC(len) smb2__write_req_decode(buf + 4, 0x70, 0x70 + (len), 8u << 20, &dh, &d)
	(void)state;
	write_req_frame(buf, 1 << 20, 15);
	assert_int_equal(WDEC(1 << 20), -ERANGE);
	write_req_frame(buf, 1 << 20, 16);
	assert_int_equal(WDEC(1 << 20), 0);
	write_req_frame(buf, 1 << 20, 17);
	assert_int_equal(WDEC(1 << 20), 0);
	write_req_frame(buf, 65536, 0);
	assert_int_equal(WDEC(65536), 0);
	write_req_frame(buf, 65537, 0);
	assert_int_equal(WDEC(65537), -ERANGE);
	write_req_frame(buf, 65537, 1);
	assert_int_equal(WDEC(65537), -ERANGE);
	write_req_frame(buf, 65537, 2);
	assert_int_equal(WDEC(65537), 0);
	write_req_frame(buf, 8u << 20, 128);
	assert_int_equal(WDEC(8u << 20), 0);
#undef WDEC
}

static void test_write_rsp(void **state)
{
	struct smb2_hdr h = { .credit_charge = 16, .credits = 16, .message_id = 5 }, dh;
	struct smb2_write_rsp rsp = { .count = 0x00123456 }, d;
	uint8_t buf[SMB2_WRITE_RSP_FRAME], good[SMB2_WRITE_RSP_FRAME];
	uint8_t *m = buf + SMB2_NB_LEN;
	const uint8_t *b = buf + BODY;
	const size_t len = SMB2_WRITE_RSP_FRAME - SMB2_NB_LEN;
	size_t n = 0;

	(void)state;
	assert_int_equal(smb2__write_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), 0);
	assert_int_equal(n, 85);
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0, 0, 81 }), 4);
	assert_int_equal(get32(buf + SMB2_NB_LEN + 16), SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(get16(buf + SMB2_NB_LEN + 12), SMB2_WRITE);
	assert_int_equal(get16(b + 0), 17);	  /* StructureSize */
	assert_int_equal(get16(b + 2), 0);	  /* Reserved */
	assert_int_equal(get32(b + 4), 0x123456); /* Count */
	assert_int_equal(get32(b + 8), 0);	  /* Remaining */
	assert_int_equal(get16(b + 12), 0);	  /* WriteChannelInfoOffset */
	assert_int_equal(get16(b + 14), 0);	  /* WriteChannelInfoLength */
	assert_int_equal(b[16], 0);		  /* Buffer */
	assert_int_equal(smb2__write_rsp_decode(m, len, &dh, &d), 0);
	assert_int_equal(d.count, 0x123456);
	assert_true(dh.message_id == 5);
	assert_int_equal(dh.credits, 16);
	/* Without the Buffer byte (as Windows sends it): fine; one byte less is truncated. */
	assert_int_equal(smb2__write_rsp_decode(m, len - 1, &dh, &d), 0);
	assert_int_equal(smb2__write_rsp_decode(m, len - 2, &dh, &d), -EBADMSG);
	assert_int_equal(smb2__write_rsp_encode(buf, sizeof(buf) - 1, &h, &rsp, &n), -ENOBUFS);

	memcpy(good, buf, sizeof(buf));
	/* StructureSize mismatch. */
	put16(buf + BODY, 16);
	assert_int_equal(smb2__write_rsp_decode(m, len, &dh, &d), -EBADMSG);
	/* A request where a response belongs; a READ response. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 16, 0);
	assert_int_equal(smb2__write_rsp_decode(m, len, &dh, &d), -EPROTO);
	memcpy(buf, good, sizeof(buf));
	put16(m + 12, SMB2_READ);
	assert_int_equal(smb2__write_rsp_decode(m, len, &dh, &d), -EPROTO);
	/* An error status: the header is handed back for its Status. */
	memcpy(buf, good, sizeof(buf));
	put32(m + 8, SMB2_STATUS_DATA_ERROR);
	memset(&dh, 0, sizeof(dh));
	assert_int_equal(smb2__write_rsp_decode(m, len, &dh, &d), -EREMOTEIO);
	assert_int_equal(dh.status, SMB2_STATUS_DATA_ERROR);
}

static void test_error_rsp(void **state)
{
	struct smb2_hdr h = { .status = SMB2_STATUS_DATA_ERROR, .message_id = 9 }, dh;
	const uint8_t payload[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, *data;
	uint8_t buf[SMB2_ERROR_RSP_FRAME(8)];
	uint8_t *m = buf + SMB2_NB_LEN;
	const uint8_t *b = buf + BODY;
	uint32_t dlen;
	size_t n = 0;

	(void)state;
	/* No ErrorData: ByteCount 0 and one zero byte (2.2.2). */
	assert_int_equal(smb2__error_rsp_encode(buf, sizeof(buf), &h, SMB2_WRITE, NULL, 0, &n), 0);
	assert_int_equal(n, 4 + 64 + 9);
	assert_memory_equal(buf, ((uint8_t[]){ 0, 0, 0, 73 }), 4);
	assert_int_equal(get32(m + 8), SMB2_STATUS_DATA_ERROR);
	assert_int_equal(get16(m + 12), SMB2_WRITE);
	assert_int_equal(get32(m + 16), SMB2_FLAGS_SERVER_TO_REDIR);
	assert_int_equal(get16(b + 0), 9); /* StructureSize */
	assert_int_equal(b[2], 0);	   /* ErrorContextCount */
	assert_int_equal(b[3], 0);	   /* Reserved */
	assert_int_equal(get32(b + 4), 0); /* ByteCount */
	assert_int_equal(b[8], 0);	   /* ErrorData */
	assert_int_equal(smb2__error_rsp_decode(m, n - 4, &dh, &data, &dlen), 0);
	assert_int_equal(dlen, 0);

	assert_int_equal(smb2__error_rsp_encode(buf, sizeof(buf), &h, SMB2_WRITE, payload, 8, &n),
			 0);
	assert_int_equal(n, 4 + 64 + 16);
	assert_int_equal(get32(b + 4), 8);
	assert_memory_equal(b + 8, payload, 8);
	assert_int_equal(smb2__error_rsp_decode(m, n - 4, &dh, &data, &dlen), 0);
	assert_int_equal(dlen, 8);
	assert_memory_equal(data, payload, 8);
	assert_int_equal(dh.status, SMB2_STATUS_DATA_ERROR);
	assert_int_equal(dh.command, SMB2_WRITE);
	/* ByteCount past the message; truncated fixed part; success is not an error. */
	assert_int_equal(smb2__error_rsp_decode(m, n - 5, &dh, &data, &dlen), -EBADMSG);
	assert_int_equal(smb2__error_rsp_decode(m, 64 + 7, &dh, &data, &dlen), -EBADMSG);
	put32(m + 8, 0);
	assert_int_equal(smb2__error_rsp_decode(m, n - 4, &dh, &data, &dlen), -EPROTO);
	h.status = 0;
	assert_int_equal(smb2__error_rsp_encode(buf, sizeof(buf), &h, SMB2_WRITE, NULL, 0, &n),
			 -EINVAL);
	h.status = SMB2_STATUS_DATA_ERROR;
	assert_int_equal(
		smb2__error_rsp_encode(buf, sizeof(buf) - 1, &h, SMB2_WRITE, payload, 8, &n),
		-ENOBUFS);
}

/* ---- CREATE, CLOSE, interim ------------------------------------------------------------- */

static void test_create(void **state)
{
	struct smb2_hdr h = sample_hdr(), dh;
	struct smb2_create_req req = {
		.oplock_level = SMB2_OPLOCK_LEVEL_NONE,
		.impersonation_level = SMB2_IMPERSONATION_IMPERSONATION,
		.desired_access = SMB2_FILE_READ_DATA | SMB2_FILE_WRITE_DATA,
		.file_attributes = SMB2_FILE_ATTRIBUTE_NORMAL,
		.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE,
		.create_disposition = SMB2_FILE_OPEN_IF,
		.create_options = SMB2_FILE_NON_DIRECTORY_FILE,
		.name_len = 3,
		.name = { 'a', 0x00e9, 'z' },
	}, dreq;
	struct smb2_create_rsp rsp = {
		.create_action = SMB2_FILE_OPENED,
		.t = { 1, 2, 3, 4, 1ull << 50, (1ull << 50) - 1, SMB2_FILE_ATTRIBUTE_ARCHIVE },
		.file_id_persistent = 0x1111111111111111ull,
		.file_id_volatile = 0x2222222222222222ull,
	}, drsp;
	uint8_t buf[256];
	uint8_t *m = buf + SMB2_NB_LEN;
	const uint8_t *b = buf + BODY;
	size_t n = 0;

	(void)state;
	h.flags = 0; /* a request, */
	h.status = 0;
	h.command = SMB2_CREATE; /* as the decoder will say */
	assert_int_equal(smb2__create_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	assert_int_equal(n, SMB2_CREATE_REQ_FRAME(3));
	assert_int_equal(n, 4 + 64 + 56 + 6);
	assert_int_equal(get16(m + 12), SMB2_CREATE);
	/* 2.2.13 offsets */
	assert_int_equal(get16(b + 0), 57);
	assert_int_equal(b[3], SMB2_OPLOCK_LEVEL_NONE);
	assert_int_equal(get32(b + 4), SMB2_IMPERSONATION_IMPERSONATION);
	assert_int_equal(get32(b + 24), SMB2_FILE_READ_DATA | SMB2_FILE_WRITE_DATA);
	assert_int_equal(get32(b + 28), SMB2_FILE_ATTRIBUTE_NORMAL);
	assert_int_equal(get32(b + 32), SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE);
	assert_int_equal(get32(b + 36), SMB2_FILE_OPEN_IF);
	assert_int_equal(get32(b + 40), SMB2_FILE_NON_DIRECTORY_FILE);
	assert_int_equal(get16(b + 44), 0x78); /* NameOffset */
	assert_int_equal(get16(b + 46), 6);    /* NameLength, bytes */
	assert_int_equal(get32(b + 48), 0);
	assert_int_equal(get32(b + 52), 0);
	assert_memory_equal(b + 56, ((uint8_t[]){ 'a', 0, 0xe9, 0, 'z', 0 }), 6);
	assert_int_equal(smb2__create_req_decode(m, n - 4, &dh, &dreq), 0);
	assert_int_equal(dreq.name_len, 3);
	assert_memory_equal(dreq.name, req.name, 6);
	assert_int_equal(dreq.desired_access, req.desired_access);
	assert_int_equal(dreq.create_disposition, SMB2_FILE_OPEN_IF);
	assert_hdr_eq(&dh, &h);
	/* Name past the message, odd length, create contexts, a response. */
	assert_int_equal(smb2__create_req_decode(m, n - 5, &dh, &dreq), -EBADMSG);
	put16(m + 64 + 46, 5);
	assert_int_equal(smb2__create_req_decode(m, n - 4, &dh, &dreq), -EBADMSG);
	put16(m + 64 + 46, 6);
	put32(m + 64 + 52, 16);
	assert_int_equal(smb2__create_req_decode(m, n - 4, &dh, &dreq), -EOPNOTSUPP);
	put32(m + 64 + 52, 0);
	assert_int_equal(smb2__create_req_decode(m, 64 + 55, &dh, &dreq), -EBADMSG);
	req.name_len = SMB2_CREATE_NAME_MAX + 1;
	assert_int_equal(smb2__create_req_encode(buf, sizeof(buf), &h, &req, &n), -EINVAL);

	assert_int_equal(smb2__create_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), 0);
	assert_int_equal(n, SMB2_CREATE_RSP_FRAME);
	assert_int_equal(n, 4 + 64 + 89);
	assert_int_equal(get32(m + 16) & SMB2_FLAGS_SERVER_TO_REDIR, SMB2_FLAGS_SERVER_TO_REDIR);
	/* 2.2.14 offsets */
	assert_int_equal(get16(b + 0), 89);
	assert_int_equal(get32(b + 4), SMB2_FILE_OPENED);
	assert_true(get64(b + 8) == 1 && get64(b + 32) == 4);
	assert_true(get64(b + 40) == 1ull << 50);
	assert_true(get64(b + 48) == (1ull << 50) - 1);
	assert_int_equal(get32(b + 56), SMB2_FILE_ATTRIBUTE_ARCHIVE);
	assert_true(get64(b + 64) == rsp.file_id_persistent);
	assert_true(get64(b + 72) == rsp.file_id_volatile);
	assert_int_equal(get32(b + 80), 0);
	assert_int_equal(get32(b + 84), 0);
	assert_int_equal(smb2__create_rsp_decode(m, n - 4, &dh, &drsp), 0);
	assert_true(drsp.file_id_persistent == rsp.file_id_persistent);
	assert_true(drsp.file_id_volatile == rsp.file_id_volatile);
	assert_true(drsp.t.end_of_file == rsp.t.end_of_file);
	assert_int_equal(smb2__create_rsp_decode(m, 64 + 87, &dh, &drsp), -EBADMSG);
	assert_int_equal(smb2__create_req_decode(m, n - 4, &dh, &dreq), -EPROTO);
	assert_int_equal(smb2__create_rsp_encode(buf, SMB2_CREATE_RSP_FRAME - 1, &h, &rsp, &n),
			 -ENOBUFS);
}

static void test_close(void **state)
{
	struct smb2_hdr h = sample_hdr(), dh;
	struct smb2_close_req req = { .flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB,
				      .file_id_persistent = 7,
				      .file_id_volatile = 8 },
			      dreq;
	struct smb2_close_rsp rsp = { .flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB,
				      .t = { 1, 2, 3, 4, 5, 6, 0x20 } },
			      drsp;
	uint8_t buf[128];
	uint8_t *m = buf + SMB2_NB_LEN;
	const uint8_t *b = buf + BODY;
	size_t n = 0;

	(void)state;
	h.status = 0;
	assert_int_equal(smb2__close_req_encode(buf, sizeof(buf), &h, &req, &n), 0);
	assert_int_equal(n, 4 + 64 + 24);
	assert_int_equal(get16(m + 12), SMB2_CLOSE);
	assert_int_equal(get16(b + 0), 24);
	assert_int_equal(get16(b + 2), SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB);
	assert_true(get64(b + 8) == 7 && get64(b + 16) == 8);
	assert_int_equal(smb2__close_req_decode(m, n - 4, &dh, &dreq), 0);
	assert_true(dreq.file_id_persistent == 7 && dreq.file_id_volatile == 8);
	assert_int_equal(dreq.flags, SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB);
	assert_int_equal(smb2__close_req_decode(m, n - 5, &dh, &dreq), -EBADMSG);
	put16(m + 64, 25);
	assert_int_equal(smb2__close_req_decode(m, n - 4, &dh, &dreq), -EBADMSG);

	assert_int_equal(smb2__close_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), 0);
	assert_int_equal(n, 4 + 64 + 60);
	assert_int_equal(get16(b + 0), 60);
	assert_true(get64(b + 8) == 1 && get64(b + 40) == 5 && get64(b + 48) == 6);
	assert_int_equal(get32(b + 56), 0x20);
	assert_int_equal(smb2__close_rsp_decode(m, n - 4, &dh, &drsp), 0);
	assert_true(drsp.t.end_of_file == 6 && drsp.t.file_attributes == 0x20);
	assert_int_equal(smb2__close_rsp_decode(m, n - 5, &dh, &drsp), -EBADMSG);
	put32(m + 8, SMB2_STATUS_FILE_CLOSED);
	assert_int_equal(smb2__close_rsp_decode(m, n - 4, &dh, &drsp), -EREMOTEIO);
	assert_int_equal(dh.status, SMB2_STATUS_FILE_CLOSED);
}

/* STATUS_PENDING: an async header carrying the AsyncId, an empty error body (3.3.4.2). */
static void test_interim(void **state)
{
	struct smb2_hdr h = sample_hdr(), dh;
	struct smb2_read_rsp rsp = { .data_offset = SMB2_READ_RSP_DATA_OFFSET, .data_length = 10 },
			     drsp;
	uint8_t buf[SMB2_READ_RSP_HEAD];
	uint8_t *m = buf + SMB2_NB_LEN;
	const uint8_t *data;
	uint32_t dlen;
	size_t n = 0;

	(void)state;
	h.status = 0;
	h.async_id = 0x0123456789abcdefull;
	assert_int_equal(smb2__interim_rsp_encode(buf, sizeof(buf), &h, SMB2_READ, &n), 0);
	assert_int_equal(n, SMB2_INTERIM_RSP_FRAME);
	assert_int_equal(get32(m + 8), SMB2_STATUS_PENDING);
	assert_int_equal(get32(m + 16) & (SMB2_FLAGS_ASYNC_COMMAND | SMB2_FLAGS_SERVER_TO_REDIR),
			 SMB2_FLAGS_ASYNC_COMMAND | SMB2_FLAGS_SERVER_TO_REDIR);
	assert_true(get64(m + 32) == h.async_id);
	assert_true(get64(m + 24) == h.message_id);
	assert_int_equal(smb2__error_rsp_decode(m, n - 4, &dh, &data, &dlen), 0);
	assert_int_equal(dlen, 0);
	assert_true(dh.async_id == h.async_id);
	/* The final response: async header, same AsyncId, decodes as a READ response. */
	h.flags = SMB2_FLAGS_ASYNC_COMMAND;
	assert_int_equal(smb2__read_rsp_encode(buf, sizeof(buf), &h, &rsp, &n), 0);
	assert_true(get64(m + 32) == h.async_id);
	assert_int_equal(smb2__read_rsp_decode(m, 80, 90, 10, &dh, &drsp), 0);
	assert_true(dh.async_id == h.async_id && (dh.flags & SMB2_FLAGS_ASYNC_COMMAND));
	assert_int_equal(drsp.data_length, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credit_charge),
		cmocka_unit_test(test_nb),
		cmocka_unit_test(test_hdr_layout),
		cmocka_unit_test(test_hdr_reject),
		cmocka_unit_test(test_read_req_layout),
		cmocka_unit_test(test_read_req_reject),
		cmocka_unit_test(test_read_req_credit_charge),
		cmocka_unit_test(test_read_rsp),
		cmocka_unit_test(test_read_rsp_reject),
		cmocka_unit_test(test_negotiate_req),
		cmocka_unit_test(test_negotiate_rsp),
		cmocka_unit_test(test_write_req_layout),
		cmocka_unit_test(test_write_req_reject),
		cmocka_unit_test(test_write_req_credit_charge),
		cmocka_unit_test(test_write_rsp),
		cmocka_unit_test(test_error_rsp),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_interim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
