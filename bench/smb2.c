// SPDX-License-Identifier: GPL-2.0
/*
 * SMB2 wire format: encoders and validating decoders. Offsets are MS-SMB2's, named below so a
 * reader can hold them against the spec's tables.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "smb2.h"

/* Sync header (2.2.1.2). */
#define H_PROTOCOL_ID 0
#define H_STRUCTURE_SIZE 4
#define H_CREDIT_CHARGE 6
#define H_STATUS 8
#define H_COMMAND 12
#define H_CREDITS 14
#define H_FLAGS 16
#define H_NEXT_COMMAND 20
#define H_MESSAGE_ID 24
#define H_PROCESS_ID 32
#define H_TREE_ID 36
#define H_ASYNC_ID 32 /* async header: over ProcessId and TreeId */
#define H_SESSION_ID 40
#define H_SIGNATURE 48

/* NEGOTIATE request (2.2.3), from the end of the header. */
#define NQ_STRUCTURE_SIZE 0
#define NQ_DIALECT_COUNT 2
#define NQ_SECURITY_MODE 4
#define NQ_RESERVED 6
#define NQ_CAPABILITIES 8
#define NQ_CLIENT_GUID 12
#define NQ_CLIENT_START_TIME 28
#define NQ_DIALECTS 36

/* NEGOTIATE response (2.2.4). */
#define NR_STRUCTURE_SIZE 0
#define NR_SECURITY_MODE 2
#define NR_DIALECT 4
#define NR_CONTEXT_COUNT 6
#define NR_SERVER_GUID 8
#define NR_CAPABILITIES 24
#define NR_MAX_TRANSACT 28
#define NR_MAX_READ 32
#define NR_MAX_WRITE 36
#define NR_SYSTEM_TIME 40
#define NR_START_TIME 48
#define NR_SECBUF_OFFSET 56
#define NR_SECBUF_LENGTH 58
#define NR_CONTEXT_OFFSET 60
#define NR_FIXED 64 /* the fixed part; StructureSize 65 counts one byte of Buffer */

/* READ request (2.2.19). */
#define RQ_STRUCTURE_SIZE 0
#define RQ_PADDING 2
#define RQ_FLAGS 3
#define RQ_LENGTH 4
#define RQ_OFFSET 8
#define RQ_FILE_ID 16
#define RQ_MINIMUM_COUNT 32
#define RQ_CHANNEL 36
#define RQ_REMAINING 40
#define RQ_CHANINFO_OFFSET 44
#define RQ_CHANINFO_LENGTH 46
#define RQ_FIXED 48

/* READ response (2.2.20). */
#define RR_STRUCTURE_SIZE 0
#define RR_DATA_OFFSET 2
#define RR_RESERVED 3
#define RR_DATA_LENGTH 4
#define RR_DATA_REMAINING 8
#define RR_FLAGS 12
#define RR_FIXED 16

/* WRITE request (2.2.21). */
#define WQ_STRUCTURE_SIZE 0
#define WQ_DATA_OFFSET 2
#define WQ_LENGTH 4
#define WQ_OFFSET 8
#define WQ_FILE_ID 16
#define WQ_CHANNEL 32
#define WQ_REMAINING 36
#define WQ_CHANINFO_OFFSET 40
#define WQ_CHANINFO_LENGTH 42
#define WQ_FLAGS 44
#define WQ_FIXED 48

/* WRITE response (2.2.22). */
#define WR_STRUCTURE_SIZE 0
#define WR_RESERVED 2
#define WR_COUNT 4
#define WR_REMAINING 8
#define WR_CHANINFO_OFFSET 12
#define WR_CHANINFO_LENGTH 14
#define WR_FIXED 16

/* CREATE request (2.2.13). */
#define CQ_STRUCTURE_SIZE 0
#define CQ_SECURITY_FLAGS 2
#define CQ_OPLOCK_LEVEL 3
#define CQ_IMPERSONATION 4
#define CQ_SMB_CREATE_FLAGS 8
#define CQ_RESERVED 16
#define CQ_DESIRED_ACCESS 24
#define CQ_FILE_ATTRIBUTES 28
#define CQ_SHARE_ACCESS 32
#define CQ_DISPOSITION 36
#define CQ_OPTIONS 40
#define CQ_NAME_OFFSET 44
#define CQ_NAME_LENGTH 46
#define CQ_CONTEXTS_OFFSET 48
#define CQ_CONTEXTS_LENGTH 52
#define CQ_FIXED 56

/* CREATE response (2.2.14). */
#define CR_STRUCTURE_SIZE 0
#define CR_OPLOCK_LEVEL 2
#define CR_FLAGS 3
#define CR_CREATE_ACTION 4
#define CR_TIMES 8 /* CreationTime .. EndofFile, FileAttributes: smb2_file_times order */
#define CR_RESERVED2 60
#define CR_FILE_ID 64
#define CR_CONTEXTS_OFFSET 80
#define CR_CONTEXTS_LENGTH 84
#define CR_FIXED 88

/* CLOSE request (2.2.15) and response (2.2.16). */
#define LQ_STRUCTURE_SIZE 0
#define LQ_FLAGS 2
#define LQ_RESERVED 4
#define LQ_FILE_ID 8
#define LR_STRUCTURE_SIZE 0
#define LR_FLAGS 2
#define LR_RESERVED 4
#define LR_TIMES 8

/* Error response (2.2.2). */
#define ER_STRUCTURE_SIZE 0
#define ER_CONTEXT_COUNT 2
#define ER_RESERVED 3
#define ER_BYTE_COUNT 4
#define ER_DATA 8

static const uint8_t smb2_protocol_id[4] = { 0xfe, 'S', 'M', 'B' };

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

uint16_t smb2__credit_charge(uint64_t payload)
{
	uint64_t c = payload ? (payload - 1) / SMB2_CREDIT_UNIT + 1 : 1;

	return c > UINT16_MAX ? UINT16_MAX : (uint16_t)c;
}

void smb2__nb_encode(void *buf, uint32_t msg_len)
{
	uint8_t *p = buf;

	/* Direct TCP transport: a zero byte, then the length in network order (MS-SMB2 2.1). */
	p[0] = 0;
	p[1] = msg_len >> 16;
	p[2] = msg_len >> 8;
	p[3] = msg_len;
}

int smb2__frame_peek(const void *buf, size_t len, uint32_t max_msg, uint32_t *msg_len)
{
	const uint8_t *p = buf;
	uint32_t n;
	int err = 0;

	if (len < SMB2_NB_LEN) {
		err = -EAGAIN;
		goto cleanup;
	}
	if (p[0] != 0) {
		err = -EPROTO;
		goto cleanup;
	}
	n = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	if (n < SMB2_HDR_LEN) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (n > max_msg) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	*msg_len = n;
cleanup:
	return err;
}

int smb2__hdr_encode(const struct smb2_hdr *h, void *buf, size_t len)
{
	uint8_t *p = buf;
	int err = 0;

	if (len < SMB2_HDR_LEN) {
		err = -ENOBUFS;
		goto cleanup;
	}
	memcpy(p + H_PROTOCOL_ID, smb2_protocol_id, sizeof(smb2_protocol_id));
	put16(p + H_STRUCTURE_SIZE, SMB2_HDR_LEN);
	put16(p + H_CREDIT_CHARGE, h->credit_charge);
	put32(p + H_STATUS, h->status);
	put16(p + H_COMMAND, h->command);
	put16(p + H_CREDITS, h->credits);
	put32(p + H_FLAGS, h->flags);
	put32(p + H_NEXT_COMMAND, h->next_command);
	put64(p + H_MESSAGE_ID, h->message_id);
	if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		put64(p + H_ASYNC_ID, h->async_id);
	} else {
		put32(p + H_PROCESS_ID, h->process_id);
		put32(p + H_TREE_ID, h->tree_id);
	}
	put64(p + H_SESSION_ID, h->session_id);
	memcpy(p + H_SIGNATURE, h->signature, sizeof(h->signature));
cleanup:
	return err;
}

int smb2__hdr_decode(const void *msg, size_t len, struct smb2_hdr *h)
{
	const uint8_t *p = msg;
	int err = 0;

	if (len < SMB2_HDR_LEN) {
		err = -EBADMSG;
		goto cleanup;
	}
	/* 0xFF 'SMB' (SMB1) and 0xFD 'SMB' (transform header: encryption) end here too. */
	if (memcmp(p + H_PROTOCOL_ID, smb2_protocol_id, sizeof(smb2_protocol_id)) ||
	    get16(p + H_STRUCTURE_SIZE) != SMB2_HDR_LEN) {
		err = -EPROTO;
		goto cleanup;
	}
	h->credit_charge = get16(p + H_CREDIT_CHARGE);
	h->status = get32(p + H_STATUS);
	h->command = get16(p + H_COMMAND);
	h->credits = get16(p + H_CREDITS);
	h->flags = get32(p + H_FLAGS);
	h->next_command = get32(p + H_NEXT_COMMAND);
	h->message_id = get64(p + H_MESSAGE_ID);
	h->session_id = get64(p + H_SESSION_ID);
	memcpy(h->signature, p + H_SIGNATURE, sizeof(h->signature));
	/* Async headers put AsyncId where ProcessId/TreeId are. */
	if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
		h->async_id = get64(p + H_ASYNC_ID);
		h->process_id = 0;
		h->tree_id = 0;
	} else {
		h->async_id = 0;
		h->process_id = get32(p + H_PROCESS_ID);
		h->tree_id = get32(p + H_TREE_ID);
	}
	/*
	 * A client's async request is a CANCEL of something pending, which this engine does not
	 * implement; compounds need chaining.
	 */
	if (h->command > SMB2_OPLOCK_BREAK || h->next_command ||
	    ((h->flags & SMB2_FLAGS_ASYNC_COMMAND) && !(h->flags & SMB2_FLAGS_SERVER_TO_REDIR))) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
cleanup:
	return err;
}

/* Header of a decoded message: the right command, travelling the right way. */
static int smb2__hdr_expect(const void *msg, size_t len, uint16_t command, int response,
			    struct smb2_hdr *h)
{
	int err;

	err = smb2__hdr_decode(msg, len, h);
	if (err)
		goto cleanup;
	if (h->command != command || !(h->flags & SMB2_FLAGS_SERVER_TO_REDIR) != !response) {
		err = -EPROTO;
		goto cleanup;
	}
cleanup:
	return err;
}

/*
 * 3.3.5.2.5: a zero charge is allowed up to 64 KiB; otherwise it must cover the payload.
 * Charging more than needed is legal (the client just spends more credits).
 */
static int smb2__charge_covers(uint16_t charge, uint32_t payload)
{
	return charge ? charge >= smb2__credit_charge(payload) : payload <= SMB2_CREDIT_UNIT;
}

/* Transport header + SMB2 header of a frame_len-byte frame holding an msg_len-byte message. */
static int smb2__frame_start(uint8_t *buf, size_t cap, const struct smb2_hdr *h, uint16_t command,
			     int response, size_t frame_len, uint32_t msg_len)
{
	struct smb2_hdr hh = *h;
	int err = 0;

	if (cap < frame_len) {
		err = -ENOBUFS;
		goto cleanup;
	}
	if (msg_len > SMB2_NB_MAX) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	hh.command = command;
	if (response)
		hh.flags |= SMB2_FLAGS_SERVER_TO_REDIR;
	else
		hh.flags &= ~SMB2_FLAGS_SERVER_TO_REDIR;
	smb2__nb_encode(buf, msg_len);
	err = smb2__hdr_encode(&hh, buf + SMB2_NB_LEN, cap - SMB2_NB_LEN);
cleanup:
	return err;
}

int smb2__negotiate_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			       const struct smb2_negotiate_req *req, size_t *len)
{
	size_t body = NQ_DIALECTS + 2 * (size_t)req->dialect_count;
	size_t frame = SMB2_NB_LEN + SMB2_HDR_LEN + body;
	uint8_t *p;
	int err;

	/* Zero dialects is invalid on the wire (3.3.5.4); more than we hold cannot be encoded. */
	if (!req->dialect_count || req->dialect_count > SMB2_MAX_DIALECTS) {
		err = -EINVAL;
		goto cleanup;
	}
	err = smb2__frame_start(buf, cap, h, SMB2_NEGOTIATE, 0, frame, SMB2_HDR_LEN + body);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	memset(p, 0, body);
	put16(p + NQ_STRUCTURE_SIZE, SMB2_NEGOTIATE_REQ_SIZE);
	put16(p + NQ_DIALECT_COUNT, req->dialect_count);
	put16(p + NQ_SECURITY_MODE, req->security_mode);
	put32(p + NQ_CAPABILITIES, req->capabilities);
	memcpy(p + NQ_CLIENT_GUID, req->client_guid, sizeof(req->client_guid));
	put64(p + NQ_CLIENT_START_TIME, req->client_start_time);
	for (unsigned i = 0; i < req->dialect_count; i++)
		put16(p + NQ_DIALECTS + 2 * i, req->dialects[i]);
	*len = frame;
cleanup:
	return err;
}

int smb2__negotiate_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			       struct smb2_negotiate_req *req)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	size_t body;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_NEGOTIATE, 0, &hh);
	if (err)
		goto cleanup;
	body = len - SMB2_HDR_LEN;
	if (body < NQ_DIALECTS || get16(p + NQ_STRUCTURE_SIZE) != SMB2_NEGOTIATE_REQ_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	req->dialect_count = get16(p + NQ_DIALECT_COUNT);
	if (!req->dialect_count || body < NQ_DIALECTS + 2 * (size_t)req->dialect_count) {
		err = -EBADMSG;
		goto cleanup;
	}
	req->security_mode = get16(p + NQ_SECURITY_MODE);
	req->capabilities = get32(p + NQ_CAPABILITIES);
	memcpy(req->client_guid, p + NQ_CLIENT_GUID, sizeof(req->client_guid));
	req->client_start_time = get64(p + NQ_CLIENT_START_TIME);
	memset(req->dialects, 0, sizeof(req->dialects));
	for (unsigned i = 0; i < req->dialect_count && i < SMB2_MAX_DIALECTS; i++)
		req->dialects[i] = get16(p + NQ_DIALECTS + 2 * i);
	if (h)
		*h = hh;
cleanup:
	return err;
}

int smb2__negotiate_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			       const struct smb2_negotiate_rsp *rsp, size_t *len)
{
	const size_t body = SMB2_NEGOTIATE_RSP_SIZE;
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_NEGOTIATE, 1, SMB2_NEGOTIATE_RSP_FRAME,
				SMB2_HDR_LEN + body);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	memset(p, 0, body);
	put16(p + NR_STRUCTURE_SIZE, SMB2_NEGOTIATE_RSP_SIZE);
	put16(p + NR_SECURITY_MODE, rsp->security_mode);
	put16(p + NR_DIALECT, rsp->dialect);
	memcpy(p + NR_SERVER_GUID, rsp->server_guid, sizeof(rsp->server_guid));
	put32(p + NR_CAPABILITIES, rsp->capabilities);
	put32(p + NR_MAX_TRANSACT, rsp->max_transact_size);
	put32(p + NR_MAX_READ, rsp->max_read_size);
	put32(p + NR_MAX_WRITE, rsp->max_write_size);
	put64(p + NR_SYSTEM_TIME, rsp->system_time);
	put64(p + NR_START_TIME, rsp->server_start_time);
	/* No security blob (no authentication); the offset still points where it would start. */
	put16(p + NR_SECBUF_OFFSET, SMB2_HDR_LEN + NR_FIXED);
	put16(p + NR_SECBUF_LENGTH, 0);
	*len = SMB2_NEGOTIATE_RSP_FRAME;
cleanup:
	return err;
}

int smb2__negotiate_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			       struct smb2_negotiate_rsp *rsp)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	uint16_t sec_off, sec_len;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_NEGOTIATE, 1, &hh);
	if (err)
		goto cleanup;
	if (hh.status != SMB2_STATUS_SUCCESS) {
		err = -EREMOTEIO;
		goto cleanup;
	}
	if (len - SMB2_HDR_LEN < NR_FIXED ||
	    get16(p + NR_STRUCTURE_SIZE) != SMB2_NEGOTIATE_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	sec_off = get16(p + NR_SECBUF_OFFSET);
	sec_len = get16(p + NR_SECBUF_LENGTH);
	if (sec_len && (sec_off < SMB2_HDR_LEN + NR_FIXED || (size_t)sec_off + sec_len > len)) {
		err = -EBADMSG;
		goto cleanup;
	}
	rsp->security_mode = get16(p + NR_SECURITY_MODE);
	rsp->dialect = get16(p + NR_DIALECT);
	memcpy(rsp->server_guid, p + NR_SERVER_GUID, sizeof(rsp->server_guid));
	rsp->capabilities = get32(p + NR_CAPABILITIES);
	rsp->max_transact_size = get32(p + NR_MAX_TRANSACT);
	rsp->max_read_size = get32(p + NR_MAX_READ);
	rsp->max_write_size = get32(p + NR_MAX_WRITE);
	rsp->system_time = get64(p + NR_SYSTEM_TIME);
	rsp->server_start_time = get64(p + NR_START_TIME);
cleanup:
	if (h && (!err || err == -EREMOTEIO))
		*h = hh;
	return err;
}

int smb2__read_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			  const struct smb2_read_req *req, size_t *len)
{
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_READ, 0, SMB2_READ_REQ_FRAME,
				SMB2_HDR_LEN + SMB2_READ_REQ_SIZE);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + RQ_STRUCTURE_SIZE, SMB2_READ_REQ_SIZE);
	p[RQ_PADDING] = req->padding;
	p[RQ_FLAGS] = req->flags;
	put32(p + RQ_LENGTH, req->length);
	put64(p + RQ_OFFSET, req->offset);
	put64(p + RQ_FILE_ID, req->file_id_persistent);
	put64(p + RQ_FILE_ID + 8, req->file_id_volatile);
	put32(p + RQ_MINIMUM_COUNT, req->minimum_count);
	put32(p + RQ_CHANNEL, req->channel);
	put32(p + RQ_REMAINING, req->remaining_bytes);
	put16(p + RQ_CHANINFO_OFFSET, req->read_channel_info_offset);
	put16(p + RQ_CHANINFO_LENGTH, req->read_channel_info_length);
	p[RQ_FIXED] = 0; /* the one byte of Buffer StructureSize counts */
	*len = SMB2_READ_REQ_FRAME;
cleanup:
	return err;
}

int smb2__read_req_decode(const void *msg, size_t len, uint32_t max_read, struct smb2_hdr *h,
			  struct smb2_read_req *req)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_READ, 0, &hh);
	if (err)
		goto cleanup;
	/* Clients may leave out the Buffer byte StructureSize counts (ksmbd accepts that too). */
	if (len - SMB2_HDR_LEN < RQ_FIXED || get16(p + RQ_STRUCTURE_SIZE) != SMB2_READ_REQ_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	req->padding = p[RQ_PADDING];
	req->flags = p[RQ_FLAGS];
	req->length = get32(p + RQ_LENGTH);
	req->offset = get64(p + RQ_OFFSET);
	req->file_id_persistent = get64(p + RQ_FILE_ID);
	req->file_id_volatile = get64(p + RQ_FILE_ID + 8);
	req->minimum_count = get32(p + RQ_MINIMUM_COUNT);
	req->channel = get32(p + RQ_CHANNEL);
	req->remaining_bytes = get32(p + RQ_REMAINING);
	req->read_channel_info_offset = get16(p + RQ_CHANINFO_OFFSET);
	req->read_channel_info_length = get16(p + RQ_CHANINFO_LENGTH);
	if (req->read_channel_info_length &&
	    (req->read_channel_info_offset < SMB2_HDR_LEN + RQ_FIXED ||
	     (size_t)req->read_channel_info_offset + req->read_channel_info_length > len)) {
		err = -EBADMSG;
		goto cleanup;
	}
	/* File offsets are signed 64-bit in NT; a range past that is not a file position. */
	if (req->offset > (uint64_t)INT64_MAX - req->length) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (req->channel != SMB2_CHANNEL_NONE) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	if (req->length > max_read) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	if (!smb2__charge_covers(hh.credit_charge, req->length)) {
		err = -ERANGE;
		goto cleanup;
	}
	if (h)
		*h = hh;
cleanup:
	return err;
}

int smb2__read_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			  const struct smb2_read_rsp *rsp, size_t *len)
{
	uint64_t msg_len = (uint64_t)SMB2_READ_RSP_DATA_OFFSET + rsp->data_length;
	uint8_t *p;
	int err;

	/* Data right after the fixed part is the only layout the streaming decoder needs. */
	if (rsp->data_offset != SMB2_READ_RSP_DATA_OFFSET) {
		err = -EINVAL;
		goto cleanup;
	}
	if (msg_len > SMB2_NB_MAX) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	err = smb2__frame_start(buf, cap, h, SMB2_READ, 1, SMB2_READ_RSP_HEAD, (uint32_t)msg_len);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + RR_STRUCTURE_SIZE, SMB2_READ_RSP_SIZE);
	p[RR_DATA_OFFSET] = rsp->data_offset;
	p[RR_RESERVED] = 0;
	put32(p + RR_DATA_LENGTH, rsp->data_length);
	put32(p + RR_DATA_REMAINING, rsp->data_remaining);
	put32(p + RR_FLAGS, rsp->flags);
	*len = SMB2_READ_RSP_HEAD;
cleanup:
	return err;
}

int smb2__read_rsp_decode(const void *msg, size_t avail, size_t msg_len, uint32_t max_read,
			  struct smb2_hdr *h, struct smb2_read_rsp *rsp)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	if (avail > msg_len) {
		err = -EINVAL;
		goto cleanup;
	}
	err = smb2__hdr_expect(msg, avail, SMB2_READ, 1, &hh);
	if (err)
		goto cleanup;
	if (hh.status != SMB2_STATUS_SUCCESS) {
		err = -EREMOTEIO;
		goto cleanup;
	}
	if (avail < SMB2_READ_RSP_DATA_OFFSET ||
	    get16(p + RR_STRUCTURE_SIZE) != SMB2_READ_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	rsp->data_offset = p[RR_DATA_OFFSET];
	rsp->data_length = get32(p + RR_DATA_LENGTH);
	rsp->data_remaining = get32(p + RR_DATA_REMAINING);
	rsp->flags = get32(p + RR_FLAGS);
	if (rsp->data_length > max_read) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	if (rsp->data_length && (rsp->data_offset < SMB2_READ_RSP_DATA_OFFSET ||
				 (uint64_t)rsp->data_offset + rsp->data_length > msg_len)) {
		err = -EBADMSG;
		goto cleanup;
	}
cleanup:
	if (h && (!err || err == -EREMOTEIO))
		*h = hh;
	return err;
}

int smb2__write_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_write_req *req, size_t *len)
{
	uint64_t msg_len = (uint64_t)SMB2_WRITE_REQ_DATA_OFFSET + req->length;
	uint8_t *p;
	int err;

	/* Data right after the fixed part is the only layout the streaming decoder's peer needs. */
	if (req->data_offset != SMB2_WRITE_REQ_DATA_OFFSET) {
		err = -EINVAL;
		goto cleanup;
	}
	if (msg_len > SMB2_NB_MAX) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	err = smb2__frame_start(buf, cap, h, SMB2_WRITE, 0, SMB2_WRITE_REQ_HEAD, (uint32_t)msg_len);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + WQ_STRUCTURE_SIZE, SMB2_WRITE_REQ_SIZE);
	put16(p + WQ_DATA_OFFSET, req->data_offset);
	put32(p + WQ_LENGTH, req->length);
	put64(p + WQ_OFFSET, req->offset);
	put64(p + WQ_FILE_ID, req->file_id_persistent);
	put64(p + WQ_FILE_ID + 8, req->file_id_volatile);
	put32(p + WQ_CHANNEL, req->channel);
	put32(p + WQ_REMAINING, req->remaining_bytes);
	put16(p + WQ_CHANINFO_OFFSET, req->write_channel_info_offset);
	put16(p + WQ_CHANINFO_LENGTH, req->write_channel_info_length);
	put32(p + WQ_FLAGS, req->flags);
	*len = SMB2_WRITE_REQ_HEAD;
cleanup:
	return err;
}

int smb2__write_req_decode(const void *msg, size_t avail, size_t msg_len, uint32_t max_write,
			   struct smb2_hdr *h, struct smb2_write_req *req)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	if (avail > msg_len) {
		err = -EINVAL;
		goto cleanup;
	}
	err = smb2__hdr_expect(msg, avail, SMB2_WRITE, 0, &hh);
	if (err)
		goto cleanup;
	if (avail < SMB2_WRITE_REQ_DATA_OFFSET ||
	    get16(p + WQ_STRUCTURE_SIZE) != SMB2_WRITE_REQ_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	req->data_offset = get16(p + WQ_DATA_OFFSET);
	req->length = get32(p + WQ_LENGTH);
	req->offset = get64(p + WQ_OFFSET);
	req->file_id_persistent = get64(p + WQ_FILE_ID);
	req->file_id_volatile = get64(p + WQ_FILE_ID + 8);
	req->channel = get32(p + WQ_CHANNEL);
	req->remaining_bytes = get32(p + WQ_REMAINING);
	req->write_channel_info_offset = get16(p + WQ_CHANINFO_OFFSET);
	req->write_channel_info_length = get16(p + WQ_CHANINFO_LENGTH);
	req->flags = get32(p + WQ_FLAGS);
	if (req->length > max_write) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	/* Data (and channel info) after the fixed part, inside the message. */
	if (req->length && (req->data_offset < SMB2_WRITE_REQ_DATA_OFFSET ||
			    (uint64_t)req->data_offset + req->length > msg_len)) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (req->write_channel_info_length &&
	    (req->write_channel_info_offset < SMB2_WRITE_REQ_DATA_OFFSET ||
	     (size_t)req->write_channel_info_offset + req->write_channel_info_length > msg_len)) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (req->offset > (uint64_t)INT64_MAX - req->length) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (req->channel != SMB2_CHANNEL_NONE) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	if (!smb2__charge_covers(hh.credit_charge, req->length)) {
		err = -ERANGE;
		goto cleanup;
	}
	if (h)
		*h = hh;
cleanup:
	return err;
}

int smb2__write_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_write_rsp *rsp, size_t *len)
{
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_WRITE, 1, SMB2_WRITE_RSP_FRAME,
				SMB2_HDR_LEN + SMB2_WRITE_RSP_SIZE);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + WR_STRUCTURE_SIZE, SMB2_WRITE_RSP_SIZE);
	put16(p + WR_RESERVED, 0);
	put32(p + WR_COUNT, rsp->count);
	put32(p + WR_REMAINING, rsp->remaining);
	put16(p + WR_CHANINFO_OFFSET, rsp->write_channel_info_offset);
	put16(p + WR_CHANINFO_LENGTH, rsp->write_channel_info_length);
	p[WR_FIXED] = 0; /* the one byte of Buffer StructureSize counts */
	*len = SMB2_WRITE_RSP_FRAME;
cleanup:
	return err;
}

int smb2__write_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_write_rsp *rsp)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_WRITE, 1, &hh);
	if (err)
		goto cleanup;
	if (hh.status != SMB2_STATUS_SUCCESS) {
		err = -EREMOTEIO;
		goto cleanup;
	}
	/* Windows leaves out the Buffer byte StructureSize counts; so may anyone. */
	if (len - SMB2_HDR_LEN < WR_FIXED || get16(p + WR_STRUCTURE_SIZE) != SMB2_WRITE_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	rsp->count = get32(p + WR_COUNT);
	rsp->remaining = get32(p + WR_REMAINING);
	rsp->write_channel_info_offset = get16(p + WR_CHANINFO_OFFSET);
	rsp->write_channel_info_length = get16(p + WR_CHANINFO_LENGTH);
cleanup:
	if (h && (!err || err == -EREMOTEIO))
		*h = hh;
	return err;
}

int smb2__error_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h, uint16_t command,
			   const void *data, uint32_t data_len, size_t *len)
{
	uint64_t frame = SMB2_ERROR_RSP_FRAME((uint64_t)data_len);
	uint8_t *p;
	int err;

	if (h->status == SMB2_STATUS_SUCCESS || (data_len && !data)) {
		err = -EINVAL;
		goto cleanup;
	}
	if (frame - SMB2_NB_LEN > SMB2_NB_MAX) {
		err = -EMSGSIZE;
		goto cleanup;
	}
	err = smb2__frame_start(buf, cap, h, command, 1, frame, (uint32_t)(frame - SMB2_NB_LEN));
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + ER_STRUCTURE_SIZE, SMB2_ERROR_RSP_SIZE);
	p[ER_CONTEXT_COUNT] = 0;
	p[ER_RESERVED] = 0;
	put32(p + ER_BYTE_COUNT, data_len);
	if (data_len)
		memcpy(p + ER_DATA, data, data_len);
	else
		p[ER_DATA] = 0;
	*len = frame;
cleanup:
	return err;
}

int smb2__error_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h, const uint8_t **data,
			   uint32_t *data_len)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	uint32_t n;
	int err;

	err = smb2__hdr_decode(msg, len, &hh);
	if (err)
		goto cleanup;
	if (!(hh.flags & SMB2_FLAGS_SERVER_TO_REDIR) || hh.status == SMB2_STATUS_SUCCESS) {
		err = -EPROTO;
		goto cleanup;
	}
	if (len - SMB2_HDR_LEN < ER_DATA || get16(p + ER_STRUCTURE_SIZE) != SMB2_ERROR_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	n = get32(p + ER_BYTE_COUNT);
	if (n > len - SMB2_HDR_LEN - ER_DATA) {
		err = -EBADMSG;
		goto cleanup;
	}
	*data = p + ER_DATA;
	*data_len = n;
	if (h)
		*h = hh;
cleanup:
	return err;
}

/* The seven file-time fields CREATE and CLOSE responses share, in this order (52 bytes). */
static void times__put(uint8_t *p, const struct smb2_file_times *t)
{
	put64(p, t->creation);
	put64(p + 8, t->last_access);
	put64(p + 16, t->last_write);
	put64(p + 24, t->change);
	put64(p + 32, t->allocation_size);
	put64(p + 40, t->end_of_file);
	put32(p + 48, t->file_attributes);
}

static void times__get(const uint8_t *p, struct smb2_file_times *t)
{
	t->creation = get64(p);
	t->last_access = get64(p + 8);
	t->last_write = get64(p + 16);
	t->change = get64(p + 24);
	t->allocation_size = get64(p + 32);
	t->end_of_file = get64(p + 40);
	t->file_attributes = get32(p + 48);
}

int smb2__create_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			    const struct smb2_create_req *req, size_t *len)
{
	size_t frame = SMB2_CREATE_REQ_FRAME((size_t)req->name_len);
	uint8_t *p;
	int err;

	if (req->name_len > SMB2_CREATE_NAME_MAX) {
		err = -EINVAL;
		goto cleanup;
	}
	err = smb2__frame_start(buf, cap, h, SMB2_CREATE, 0, frame,
				(uint32_t)(frame - SMB2_NB_LEN));
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	memset(p, 0, frame - SMB2_NB_LEN - SMB2_HDR_LEN);
	put16(p + CQ_STRUCTURE_SIZE, SMB2_CREATE_REQ_SIZE);
	p[CQ_SECURITY_FLAGS] = req->security_flags;
	p[CQ_OPLOCK_LEVEL] = req->oplock_level;
	put32(p + CQ_IMPERSONATION, req->impersonation_level);
	put32(p + CQ_DESIRED_ACCESS, req->desired_access);
	put32(p + CQ_FILE_ATTRIBUTES, req->file_attributes);
	put32(p + CQ_SHARE_ACCESS, req->share_access);
	put32(p + CQ_DISPOSITION, req->create_disposition);
	put32(p + CQ_OPTIONS, req->create_options);
	/* Windows points NameOffset at the Buffer even for an empty name. */
	put16(p + CQ_NAME_OFFSET, SMB2_CREATE_REQ_NAME_OFFSET);
	put16(p + CQ_NAME_LENGTH, 2 * req->name_len);
	for (unsigned i = 0; i < req->name_len; i++)
		put16(p + CQ_FIXED + 2 * i, req->name[i]);
	*len = frame;
cleanup:
	return err;
}

int smb2__create_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			    struct smb2_create_req *req)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	uint16_t name_off, name_bytes;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_CREATE, 0, &hh);
	if (err)
		goto cleanup;
	if (len - SMB2_HDR_LEN < CQ_FIXED || get16(p + CQ_STRUCTURE_SIZE) != SMB2_CREATE_REQ_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	name_off = get16(p + CQ_NAME_OFFSET);
	name_bytes = get16(p + CQ_NAME_LENGTH);
	if (name_bytes &&
	    (name_off < SMB2_CREATE_REQ_NAME_OFFSET || (name_bytes & 1) ||
	     (size_t)name_off + name_bytes > len || name_bytes / 2 > SMB2_CREATE_NAME_MAX)) {
		err = -EBADMSG;
		goto cleanup;
	}
	if (get32(p + CQ_CONTEXTS_LENGTH)) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	req->security_flags = p[CQ_SECURITY_FLAGS];
	req->oplock_level = p[CQ_OPLOCK_LEVEL];
	req->impersonation_level = get32(p + CQ_IMPERSONATION);
	req->desired_access = get32(p + CQ_DESIRED_ACCESS);
	req->file_attributes = get32(p + CQ_FILE_ATTRIBUTES);
	req->share_access = get32(p + CQ_SHARE_ACCESS);
	req->create_disposition = get32(p + CQ_DISPOSITION);
	req->create_options = get32(p + CQ_OPTIONS);
	req->name_len = name_bytes / 2;
	for (unsigned i = 0; i < req->name_len; i++)
		req->name[i] = get16((const uint8_t *)msg + name_off + 2 * i);
	req->name[req->name_len] = 0;
	if (h)
		*h = hh;
cleanup:
	return err;
}

int smb2__create_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			    const struct smb2_create_rsp *rsp, size_t *len)
{
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_CREATE, 1, SMB2_CREATE_RSP_FRAME,
				SMB2_HDR_LEN + SMB2_CREATE_RSP_SIZE);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	memset(p, 0, SMB2_CREATE_RSP_SIZE);
	put16(p + CR_STRUCTURE_SIZE, SMB2_CREATE_RSP_SIZE);
	p[CR_OPLOCK_LEVEL] = rsp->oplock_level;
	p[CR_FLAGS] = rsp->flags;
	put32(p + CR_CREATE_ACTION, rsp->create_action);
	times__put(p + CR_TIMES, &rsp->t);
	put64(p + CR_FILE_ID, rsp->file_id_persistent);
	put64(p + CR_FILE_ID + 8, rsp->file_id_volatile);
	*len = SMB2_CREATE_RSP_FRAME;
cleanup:
	return err;
}

int smb2__create_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			    struct smb2_create_rsp *rsp)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	uint32_t ctx_off, ctx_len;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_CREATE, 1, &hh);
	if (err)
		goto cleanup;
	if (hh.status != SMB2_STATUS_SUCCESS) {
		err = -EREMOTEIO;
		goto cleanup;
	}
	if (len - SMB2_HDR_LEN < CR_FIXED || get16(p + CR_STRUCTURE_SIZE) != SMB2_CREATE_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	ctx_off = get32(p + CR_CONTEXTS_OFFSET);
	ctx_len = get32(p + CR_CONTEXTS_LENGTH);
	if (ctx_len && (ctx_off < SMB2_HDR_LEN + CR_FIXED || (uint64_t)ctx_off + ctx_len > len)) {
		err = -EBADMSG;
		goto cleanup;
	}
	rsp->oplock_level = p[CR_OPLOCK_LEVEL];
	rsp->flags = p[CR_FLAGS];
	rsp->create_action = get32(p + CR_CREATE_ACTION);
	times__get(p + CR_TIMES, &rsp->t);
	rsp->file_id_persistent = get64(p + CR_FILE_ID);
	rsp->file_id_volatile = get64(p + CR_FILE_ID + 8);
cleanup:
	if (h && (!err || err == -EREMOTEIO))
		*h = hh;
	return err;
}

int smb2__close_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_close_req *req, size_t *len)
{
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_CLOSE, 0, SMB2_CLOSE_REQ_FRAME,
				SMB2_HDR_LEN + SMB2_CLOSE_REQ_SIZE);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + LQ_STRUCTURE_SIZE, SMB2_CLOSE_REQ_SIZE);
	put16(p + LQ_FLAGS, req->flags);
	put32(p + LQ_RESERVED, 0);
	put64(p + LQ_FILE_ID, req->file_id_persistent);
	put64(p + LQ_FILE_ID + 8, req->file_id_volatile);
	*len = SMB2_CLOSE_REQ_FRAME;
cleanup:
	return err;
}

int smb2__close_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_close_req *req)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_CLOSE, 0, &hh);
	if (err)
		goto cleanup;
	if (len - SMB2_HDR_LEN < SMB2_CLOSE_REQ_SIZE ||
	    get16(p + LQ_STRUCTURE_SIZE) != SMB2_CLOSE_REQ_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	req->flags = get16(p + LQ_FLAGS);
	req->file_id_persistent = get64(p + LQ_FILE_ID);
	req->file_id_volatile = get64(p + LQ_FILE_ID + 8);
	if (h)
		*h = hh;
cleanup:
	return err;
}

int smb2__close_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_close_rsp *rsp, size_t *len)
{
	uint8_t *p;
	int err;

	err = smb2__frame_start(buf, cap, h, SMB2_CLOSE, 1, SMB2_CLOSE_RSP_FRAME,
				SMB2_HDR_LEN + SMB2_CLOSE_RSP_SIZE);
	if (err)
		goto cleanup;
	p = (uint8_t *)buf + SMB2_NB_LEN + SMB2_HDR_LEN;
	put16(p + LR_STRUCTURE_SIZE, SMB2_CLOSE_RSP_SIZE);
	put16(p + LR_FLAGS, rsp->flags);
	put32(p + LR_RESERVED, 0);
	times__put(p + LR_TIMES, &rsp->t);
	*len = SMB2_CLOSE_RSP_FRAME;
cleanup:
	return err;
}

int smb2__close_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_close_rsp *rsp)
{
	struct smb2_hdr hh;
	const uint8_t *p = (const uint8_t *)msg + SMB2_HDR_LEN;
	int err;

	err = smb2__hdr_expect(msg, len, SMB2_CLOSE, 1, &hh);
	if (err)
		goto cleanup;
	if (hh.status != SMB2_STATUS_SUCCESS) {
		err = -EREMOTEIO;
		goto cleanup;
	}
	if (len - SMB2_HDR_LEN < SMB2_CLOSE_RSP_SIZE ||
	    get16(p + LR_STRUCTURE_SIZE) != SMB2_CLOSE_RSP_SIZE) {
		err = -EBADMSG;
		goto cleanup;
	}
	rsp->flags = get16(p + LR_FLAGS);
	times__get(p + LR_TIMES, &rsp->t);
cleanup:
	if (h && (!err || err == -EREMOTEIO))
		*h = hh;
	return err;
}

int smb2__interim_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h, uint16_t command,
			     size_t *len)
{
	struct smb2_hdr hh = *h;

	hh.flags |= SMB2_FLAGS_ASYNC_COMMAND;
	hh.status = SMB2_STATUS_PENDING;
	return smb2__error_rsp_encode(buf, cap, &hh, command, NULL, 0, len);
}
