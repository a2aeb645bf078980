// SPDX-License-Identifier: GPL-2.0
// fuzz-srcs: bench/smb2.c
/*
 * libFuzzer target for the SMB2 wire parser (bench/smb2.c). The input is a byte stream as the
 * engine reads it from a socket: transport-framed messages one after another. Each message is
 * copied to a buffer of exactly its size (ASan then catches any read past it) and given to every
 * decoder; the last, possibly truncated, message goes to the streaming decoders (READ response,
 * WRITE request) with avail < msg_len, as the engine does. Whatever a decoder accepts is encoded
 * again and must survive a second decode/encode unchanged: a mismatch aborts (a finding like a
 * crash), as do decoded offsets and lengths that point outside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smb2.h"

#define MAX_IO (8u << 20) /* the engine's largest MaxReadSize/MaxWriteSize */
/* A frame re-encoded from a decoded message: the largest fixed part plus 16 dialects. */
#define REENC_CAP (SMB2_NB_LEN + SMB2_HDR_LEN + 36 + 2 * SMB2_MAX_DIALECTS + 128)

#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void hdr_roundtrip(const uint8_t *msg, size_t len)
{
	uint8_t again[SMB2_HDR_LEN];
	struct smb2_hdr h;

	if (smb2__hdr_decode(msg, len, &h))
		return;
	/* Every header byte is either a field or a checked constant: encoding gives it back. */
	check(smb2__hdr_encode(&h, again, sizeof(again)) == 0);
	check(!memcmp(again, msg, SMB2_HDR_LEN));
}

/*
 * A decoded message encoded again (frame a) must decode, and encoding that gives the same bytes
 * (frame b). Encoders write every field, so a == b means both decodes gave the same fields;
 * comparing bytes rather than structs keeps struct padding out of it.
 */
static void same_frames(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	check(na == nb && !memcmp(a, b, na));
}

static void negotiate(const uint8_t *msg, size_t len)
{
	struct smb2_negotiate_req q;
	struct smb2_negotiate_rsp r;
	uint8_t a[REENC_CAP], b[REENC_CAP];
	struct smb2_hdr h;
	size_t na, nb;

	if (!smb2__negotiate_req_decode(msg, len, &h, &q) && q.dialect_count <= SMB2_MAX_DIALECTS) {
		check(smb2__negotiate_req_encode(a, sizeof(a), &h, &q, &na) == 0);
		check(smb2__negotiate_req_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN, &h, &q) == 0);
		check(smb2__negotiate_req_encode(b, sizeof(b), &h, &q, &nb) == 0);
		same_frames(a, na, b, nb);
	}
	if (!smb2__negotiate_rsp_decode(msg, len, &h, &r)) {
		check(smb2__negotiate_rsp_encode(a, sizeof(a), &h, &r, &na) == 0);
		check(smb2__negotiate_rsp_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN, &h, &r) == 0);
		check(smb2__negotiate_rsp_encode(b, sizeof(b), &h, &r, &nb) == 0);
		same_frames(a, na, b, nb);
	}
}

static void read_req(const uint8_t *msg, size_t len)
{
	uint8_t a[SMB2_READ_REQ_FRAME], b[SMB2_READ_REQ_FRAME];
	struct smb2_read_req q;
	struct smb2_hdr h;
	size_t na, nb;

	if (smb2__read_req_decode(msg, len, MAX_IO, &h, &q))
		return;
	/* Channel info lies in the original message's Buffer; the re-encoded one has none. */
	if (q.read_channel_info_length)
		return;
	check(smb2__read_req_encode(a, sizeof(a), &h, &q, &na) == 0);
	check(smb2__read_req_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN, MAX_IO, &h, &q) == 0);
	check(smb2__read_req_encode(b, sizeof(b), &h, &q, &nb) == 0);
	same_frames(a, na, b, nb);
}

/* msg holds the first avail bytes of an msg_len-byte message. */
static void read_rsp(const uint8_t *msg, size_t avail, size_t msg_len)
{
	uint8_t a[SMB2_READ_RSP_HEAD], b[SMB2_READ_RSP_HEAD];
	struct smb2_read_rsp r;
	struct smb2_hdr h;
	size_t na, nb;

	if (smb2__read_rsp_decode(msg, avail, msg_len, MAX_IO, &h, &r))
		return;
	check(!r.data_length || (uint64_t)r.data_offset + r.data_length <= msg_len);
	check(r.data_length <= MAX_IO);
	/* The encoder makes only the streaming layout: data right after the fixed part. */
	if (r.data_offset != SMB2_READ_RSP_DATA_OFFSET)
		return;
	check(smb2__read_rsp_encode(a, sizeof(a), &h, &r, &na) == 0);
	check(smb2__read_rsp_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN,
				    SMB2_READ_RSP_DATA_OFFSET + (size_t)r.data_length, MAX_IO, &h,
				    &r) == 0);
	check(smb2__read_rsp_encode(b, sizeof(b), &h, &r, &nb) == 0);
	same_frames(a, na, b, nb);
}

static void write_req(const uint8_t *msg, size_t avail, size_t msg_len)
{
	uint8_t a[SMB2_WRITE_REQ_HEAD], b[SMB2_WRITE_REQ_HEAD];
	struct smb2_write_req q;
	struct smb2_hdr h;
	size_t na, nb;

	if (smb2__write_req_decode(msg, avail, msg_len, MAX_IO, &h, &q))
		return;
	check(!q.length || (uint64_t)q.data_offset + q.length <= msg_len);
	check(q.length <= MAX_IO);
	if (q.data_offset != SMB2_WRITE_REQ_DATA_OFFSET || q.write_channel_info_length)
		return;
	check(smb2__write_req_encode(a, sizeof(a), &h, &q, &na) == 0);
	check(smb2__write_req_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN,
				     SMB2_WRITE_REQ_DATA_OFFSET + (size_t)q.length, MAX_IO, &h,
				     &q) == 0);
	check(smb2__write_req_encode(b, sizeof(b), &h, &q, &nb) == 0);
	same_frames(a, na, b, nb);
}

static void write_rsp(const uint8_t *msg, size_t len)
{
	uint8_t a[SMB2_WRITE_RSP_FRAME], b[SMB2_WRITE_RSP_FRAME];
	struct smb2_write_rsp r;
	struct smb2_hdr h;
	size_t na, nb;

	if (smb2__write_rsp_decode(msg, len, &h, &r))
		return;
	check(smb2__write_rsp_encode(a, sizeof(a), &h, &r, &na) == 0);
	check(smb2__write_rsp_decode(a + SMB2_NB_LEN, na - SMB2_NB_LEN, &h, &r) == 0);
	check(smb2__write_rsp_encode(b, sizeof(b), &h, &r, &nb) == 0);
	same_frames(a, na, b, nb);
}

static void error_rsp(const uint8_t *msg, size_t len)
{
	const uint8_t *data = NULL;
	uint32_t data_len = 0;
	struct smb2_hdr h;
	uint8_t *buf;
	size_t n;

	if (smb2__error_rsp_decode(msg, len, &h, &data, &data_len))
		return;
	check(data >= msg && data + data_len <= msg + len);
	buf = malloc(SMB2_ERROR_RSP_FRAME((size_t)data_len));
	check(buf);
	check(smb2__error_rsp_encode(buf, SMB2_ERROR_RSP_FRAME((size_t)data_len), &h, h.command,
				     data, data_len, &n) == 0);
	check(n == SMB2_ERROR_RSP_FRAME((size_t)data_len));
	/* ErrorData is the caller's bytes, copied as is. */
	check(!data_len || !memcmp(buf + SMB2_NB_LEN + SMB2_HDR_LEN + 8, data, data_len));
	free(buf);
}

/* One whole message, in a buffer of exactly its size. */
static void message(const uint8_t *msg, size_t len)
{
	hdr_roundtrip(msg, len);
	negotiate(msg, len);
	read_req(msg, len);
	read_rsp(msg, len, len);
	write_req(msg, len, len);
	write_rsp(msg, len);
	error_rsp(msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t mlen;
	uint8_t *copy;
	size_t avail;

	while (size) {
		if (smb2__frame_peek(data, size, SMB2_NB_MAX, &mlen))
			break;
		check(mlen >= SMB2_HDR_LEN && mlen <= SMB2_NB_MAX);
		data += SMB2_NB_LEN;
		size -= SMB2_NB_LEN;
		avail = size < mlen ? size : mlen;
		copy = malloc(avail ? avail : 1);
		check(copy);
		memcpy(copy, data, avail);
		if (avail == mlen) {
			message(copy, mlen);
		} else {
			/* The part of a message a reader has so far: streaming decoders only. */
			read_rsp(copy, avail, mlen);
			write_req(copy, avail, mlen);
		}
		free(copy);
		data += avail;
		size -= avail;
	}
	return 0;
}
