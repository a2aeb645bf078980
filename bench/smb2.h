/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMB2 wire format (MS-SMB2), just what the bench engine speaks: the Direct TCP transport header
 * (MS-SMB2 2.1), the 64-byte sync and async headers (2.2.1.1, 2.2.1.2), the error response
 * (2.2.2), NEGOTIATE (2.2.3, 2.2.4), CREATE (2.2.13, 2.2.14), CLOSE (2.2.15, 2.2.16), READ
 * (2.2.19, 2.2.20) and WRITE (2.2.21, 2.2.22). Pure functions over caller buffers: no
 * allocation, no I/O, no printing.
 *
 * Fields are little-endian on the wire except the transport length (24-bit big-endian).
 * Encoders write a whole transport frame (4-byte transport header included) so a message can go
 * to the socket as is; decoders take the SMB2 message (starting at ProtocolId, transport header
 * stripped) and its length from the transport header.
 *
 * Errors, the same everywhere so a caller can tell what was wrong:
 *   -EAGAIN      not enough bytes yet (smb2__frame_peek only)
 *   -EPROTO      not an SMB2 message of this kind: transport type, ProtocolId, header
 *                StructureSize, wrong direction, wrong command
 *   -EBADMSG     body malformed: StructureSize, truncated, offsets or counts out of bounds
 *   -EMSGSIZE    a length beyond the negotiated (or transport) maximum
 *   -ERANGE      CreditCharge does not cover the payload (MS-SMB2 3.3.5.2.5)
 *   -EOPNOTSUPP  a command or option this engine does not implement: an undefined command
 *                code, async requests (CANCEL), compounded headers, RDMA channels, create
 *                contexts
 *   -ENOBUFS     the caller's buffer is too small (encoders)
 */
#ifndef IOVB_SMB2_H
#define IOVB_SMB2_H

#include <stddef.h>
#include <stdint.h>

#define SMB2_NB_LEN 4		/* Direct TCP transport header: zero byte + 24-bit length */
#define SMB2_NB_MAX 0x00ffffffu /* largest SMB2 message the transport can frame */
#define SMB2_HDR_LEN 64		/* sync header */
#define SMB2_CREDIT_UNIT 65536u /* payload bytes one credit pays for (3.1.5.2) */

/* Command codes (2.2.1.2). Only NEGOTIATE, READ and WRITE have encoders and decoders here. */
#define SMB2_NEGOTIATE 0x0000
#define SMB2_SESSION_SETUP 0x0001
#define SMB2_TREE_CONNECT 0x0003
#define SMB2_CREATE 0x0005
#define SMB2_CLOSE 0x0006
#define SMB2_READ 0x0008
#define SMB2_WRITE 0x0009
#define SMB2_OPLOCK_BREAK 0x0012 /* highest command code defined */

/* Header Flags. */
#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND 0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define SMB2_FLAGS_SIGNED 0x00000008u

#define SMB2_STATUS_SUCCESS 0x00000000u
#define SMB2_STATUS_PENDING 0x00000103u	    /* interim response: the final one follows */
#define SMB2_STATUS_FILE_CLOSED 0xc0000128u /* a FileId that names no open */
#define SMB2_STATUS_DATA_ERROR 0xc000003eu  /* MS-ERREF: "a data error occurred" */

/*
 * SMB 2.1: the first dialect with multi-credit (large MTU) requests and no negotiate contexts,
 * so a one-dialect NEGOTIATE is complete without the 3.1.1 preauth machinery.
 */
#define SMB2_DIALECT_0210 0x0210
#define SMB2_NEGOTIATE_SIGNING_ENABLED 0x0001
#define SMB2_GLOBAL_CAP_LARGE_MTU 0x00000004u
#define SMB2_CHANNEL_NONE 0x00000000u

/* Fixed body sizes as StructureSize declares them (they count one byte of Buffer). */
#define SMB2_NEGOTIATE_REQ_SIZE 36
#define SMB2_NEGOTIATE_RSP_SIZE 65
#define SMB2_READ_REQ_SIZE 49
#define SMB2_READ_RSP_SIZE 17
#define SMB2_READ_RSP_DATA_OFFSET (SMB2_HDR_LEN + 16) /* 0x50: header + fixed READ response */
#define SMB2_WRITE_REQ_SIZE 49
#define SMB2_WRITE_RSP_SIZE 17
#define SMB2_WRITE_REQ_DATA_OFFSET (SMB2_HDR_LEN + 48) /* 0x70: header + fixed WRITE request */
#define SMB2_ERROR_RSP_SIZE 9
#define SMB2_CREATE_REQ_SIZE 57
#define SMB2_CREATE_RSP_SIZE 89
#define SMB2_CREATE_REQ_NAME_OFFSET (SMB2_HDR_LEN + 56) /* 0x78: the name follows the fixed part   \
							 */
#define SMB2_CREATE_NAME_MAX 255			/* UTF-16 code units a decoded name keeps */
#define SMB2_CLOSE_REQ_SIZE 24
#define SMB2_CLOSE_RSP_SIZE 60

/* CREATE fields the engine uses (2.2.13, 2.2.14; FILE_ constants from MS-FSCC). */
#define SMB2_OPLOCK_LEVEL_NONE 0x00
#define SMB2_IMPERSONATION_IMPERSONATION 0x00000002u
#define SMB2_FILE_READ_DATA 0x00000001u
#define SMB2_FILE_WRITE_DATA 0x00000002u
#define SMB2_FILE_READ_ATTRIBUTES 0x00000080u
#define SMB2_FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define SMB2_FILE_ATTRIBUTE_NORMAL 0x00000080u
#define SMB2_FILE_SHARE_READ 0x00000001u
#define SMB2_FILE_SHARE_WRITE 0x00000002u
#define SMB2_FILE_OPEN_IF 0x00000003u
#define SMB2_FILE_NON_DIRECTORY_FILE 0x00000040u
#define SMB2_FILE_OPENED 0x00000001u /* CreateAction */
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x0001

#define SMB2_MAX_DIALECTS 16 /* dialects a decoded NEGOTIATE request keeps */

/* Whole frames (transport header included) the encoders produce. */
#define SMB2_READ_REQ_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_READ_REQ_SIZE)
/* A READ response frame up to its data: 4 + 64 + 16 = 84 bytes. */
#define SMB2_READ_RSP_HEAD (SMB2_NB_LEN + SMB2_READ_RSP_DATA_OFFSET)
#define SMB2_NEGOTIATE_RSP_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_NEGOTIATE_RSP_SIZE)
/* A WRITE request frame up to its data: 4 + 64 + 48 = 116 bytes. */
#define SMB2_WRITE_REQ_HEAD (SMB2_NB_LEN + SMB2_WRITE_REQ_DATA_OFFSET)
#define SMB2_WRITE_RSP_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_WRITE_RSP_SIZE)
/* An error response frame with `n` bytes of ErrorData (one zero byte stands in for none). */
#define SMB2_ERROR_RSP_FRAME(n) (SMB2_NB_LEN + SMB2_HDR_LEN + 8 + ((n) ? (n) : 1))
/* A CREATE request frame with a name of `n` UTF-16 code units and no create contexts. */
#define SMB2_CREATE_REQ_FRAME(n) (SMB2_NB_LEN + SMB2_CREATE_REQ_NAME_OFFSET + ((n) ? 2 * (n) : 1))
/* A CREATE response frame without create contexts: 4 + 64 + 88 + the one Buffer byte. */
#define SMB2_CREATE_RSP_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_CREATE_RSP_SIZE)
#define SMB2_CLOSE_REQ_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_CLOSE_REQ_SIZE)
#define SMB2_CLOSE_RSP_FRAME (SMB2_NB_LEN + SMB2_HDR_LEN + SMB2_CLOSE_RSP_SIZE)
/* The interim STATUS_PENDING response: an async header and an empty error response. */
#define SMB2_INTERIM_RSP_FRAME SMB2_ERROR_RSP_FRAME(0)

/*
 * The header, host order. Request and response share it; `credits` is CreditRequest in a
 * request, CreditResponse in a response. Status is ChannelSequence/Reserved in 3.x requests.
 * With SMB2_FLAGS_ASYNC_COMMAND in flags it is the async header (2.2.1.1): async_id takes the
 * place of process_id and tree_id on the wire (which then encode and decode as 0).
 */
struct smb2_hdr {
	uint16_t credit_charge;
	uint32_t status;
	uint16_t command;
	uint16_t credits;
	uint32_t flags;
	uint32_t next_command;
	uint64_t message_id;
	uint32_t process_id; /* Reserved in SMB 2.1+ sync headers; clients send 0xFEFF */
	uint32_t tree_id;
	uint64_t session_id;
	uint8_t signature[16];
	uint64_t async_id; /* async header only */
};

struct smb2_negotiate_req {
	uint16_t security_mode;
	uint32_t capabilities;
	uint8_t client_guid[16];
	uint64_t client_start_time;	      /* 0 in 2.x; NegotiateContext fields in 3.1.1 */
	uint16_t dialect_count;		      /* as on the wire */
	uint16_t dialects[SMB2_MAX_DIALECTS]; /* the first min(dialect_count, SMB2_MAX_DIALECTS) */
};

struct smb2_negotiate_rsp {
	uint16_t security_mode;
	uint16_t dialect;
	uint8_t server_guid[16];
	uint32_t capabilities;
	uint32_t max_transact_size;
	uint32_t max_read_size;
	uint32_t max_write_size;
	uint64_t system_time; /* FILETIME: 100 ns units since 1601-01-01 */
	uint64_t server_start_time;
};

struct smb2_read_req {
	uint8_t padding; /* where the client wants the data: 0x50 */
	uint8_t flags;
	uint32_t length;
	uint64_t offset;
	uint64_t file_id_persistent;
	uint64_t file_id_volatile;
	uint32_t minimum_count;
	uint32_t channel;
	uint32_t remaining_bytes;
	uint16_t read_channel_info_offset;
	uint16_t read_channel_info_length;
};

struct smb2_read_rsp {
	uint8_t data_offset; /* from the start of the SMB2 header */
	uint32_t data_length;
	uint32_t data_remaining;
	uint32_t flags; /* Reserved2 before 3.1.1 */
};

struct smb2_write_req {
	uint16_t
		data_offset; /* from the start of the SMB2 header: 0x70 when data follows at once */
	uint32_t length;
	uint64_t offset;
	uint64_t file_id_persistent;
	uint64_t file_id_volatile;
	uint32_t channel;
	uint32_t remaining_bytes;
	uint16_t write_channel_info_offset;
	uint16_t write_channel_info_length;
	uint32_t flags;
};

struct smb2_create_req {
	uint8_t security_flags;
	uint8_t oplock_level;
	uint32_t impersonation_level;
	uint32_t desired_access;
	uint32_t file_attributes;
	uint32_t share_access;
	uint32_t create_disposition;
	uint32_t create_options;
	uint16_t name_len;			 /* UTF-16 code units (NameLength / 2) */
	uint16_t name[SMB2_CREATE_NAME_MAX + 1]; /* UTF-16LE code units, host order */
};

/* FILETIMEs (100 ns units since 1601) and sizes of the opened file (2.2.14). */
struct smb2_file_times {
	uint64_t creation, last_access, last_write, change;
	uint64_t allocation_size, end_of_file;
	uint32_t file_attributes;
};

struct smb2_create_rsp {
	uint8_t oplock_level;
	uint8_t flags;
	uint32_t create_action;
	struct smb2_file_times t;
	uint64_t file_id_persistent;
	uint64_t file_id_volatile;
};

struct smb2_close_req {
	uint16_t flags;
	uint64_t file_id_persistent;
	uint64_t file_id_volatile;
};

struct smb2_close_rsp {
	uint16_t flags;
	struct smb2_file_times t; /* all zero unless flags has POSTQUERY_ATTRIB */
};

struct smb2_write_rsp {
	uint32_t count; /* bytes written */
	uint32_t remaining;
	uint16_t write_channel_info_offset;
	uint16_t write_channel_info_length;
};

/* CreditCharge for a payload (3.1.5.2): ceil(payload / 64 KiB), at least 1. */
uint16_t smb2__credit_charge(uint64_t payload);

/* Write the 4-byte transport header for an SMB2 message of msg_len bytes (<= SMB2_NB_MAX). */
void smb2__nb_encode(void *buf, uint32_t msg_len);

/*
 * Look at the start of a byte stream: if a whole transport header is there, store the length of
 * the SMB2 message that follows it in *msg_len (which may not have fully arrived yet). Messages
 * shorter than a header (-EBADMSG) or longer than max_msg (-EMSGSIZE) are rejected here, before
 * anyone waits for their bytes. -EAGAIN if fewer than 4 bytes are available.
 */
int smb2__frame_peek(const void *buf, size_t len, uint32_t max_msg, uint32_t *msg_len);

/* Header alone: 64 bytes at buf. */
int smb2__hdr_encode(const struct smb2_hdr *h, void *buf, size_t len);
/*
 * Decode and check the header at the start of an SMB2 message: ProtocolId, StructureSize, a sync
 * header in requests (an async one only in responses), no compounding (NextCommand 0, which this
 * engine does not implement) and a defined command code. Direction and per-command checks belong to
 * the body decoders.
 */
int smb2__hdr_decode(const void *msg, size_t len, struct smb2_hdr *h);

/*
 * Encoders: header + body into buf (with the transport header), total frame length in *len.
 * They set Command and, for responses, SERVER_TO_REDIR in the header copy they write.
 */
int smb2__negotiate_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			       const struct smb2_negotiate_req *req, size_t *len);
int smb2__negotiate_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			       const struct smb2_negotiate_rsp *rsp, size_t *len);
int smb2__read_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			  const struct smb2_read_req *req, size_t *len);
/*
 * A READ response up to its data (SMB2_READ_RSP_HEAD bytes, *len set to that): the transport
 * length covers rsp->data_length bytes of data the caller sends right after, so data never has
 * to be copied next to the header.
 */
int smb2__read_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			  const struct smb2_read_rsp *rsp, size_t *len);

/*
 * Decoders: msg is an SMB2 message of len bytes (as smb2__frame_peek said); they check the
 * header too (direction and command) and fill *h if h is not NULL.
 */
int smb2__negotiate_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			       struct smb2_negotiate_req *req);
int smb2__negotiate_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			       struct smb2_negotiate_rsp *rsp);
/* max_read: the MaxReadSize the server announced; Length above it is -EMSGSIZE. */
int smb2__read_req_decode(const void *msg, size_t len, uint32_t max_read, struct smb2_hdr *h,
			  struct smb2_read_req *req);
/*
 * A READ response whose first `avail` bytes are at msg (at least SMB2_READ_RSP_DATA_OFFSET) out
 * of msg_len in all, so the data can stream past without being buffered. Checks that the data
 * lies within msg_len and that DataLength <= max_read. A non-success Status is -EREMOTEIO
 * (h->status says which); its body is then an error response, not a READ response.
 */
int smb2__read_rsp_decode(const void *msg, size_t avail, size_t msg_len, uint32_t max_read,
			  struct smb2_hdr *h, struct smb2_read_rsp *rsp);

/*
 * A WRITE request up to its data (SMB2_WRITE_REQ_HEAD bytes, *len set to that): the transport
 * length covers req->length bytes the caller sends right after (DataOffset must be 0x70), so
 * data never has to be copied next to the header.
 */
int smb2__write_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_write_req *req, size_t *len);
/*
 * A WRITE request whose first `avail` bytes are at msg (at least SMB2_WRITE_REQ_DATA_OFFSET) out
 * of msg_len in all, so the data can stream past without being buffered. Checks that the data
 * (and any channel info) lies within msg_len and after the fixed part, that the range is a file
 * position, Length <= max_write (else -EMSGSIZE), no RDMA channel (-EOPNOTSUPP) and that
 * CreditCharge covers Length (-ERANGE).
 */
int smb2__write_req_decode(const void *msg, size_t avail, size_t msg_len, uint32_t max_write,
			   struct smb2_hdr *h, struct smb2_write_req *req);
int smb2__write_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_write_rsp *rsp, size_t *len);
/* A non-success Status is -EREMOTEIO (h->status says which; the body is an error response). */
int smb2__write_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_write_rsp *rsp);

/*
 * Error response (2.2.2) to `command` with h->status (which must not be success) and data_len
 * bytes of ErrorData (ErrorContextCount 0, as in SMB 2.x).
 */
int smb2__error_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h, uint16_t command,
			   const void *data, uint32_t data_len, size_t *len);
/*
 * Decode an error response (any command, non-success Status, server to client): *data points
 * at ErrorData inside msg, *data_len is ByteCount.
 */
int smb2__error_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h, const uint8_t **data,
			   uint32_t *data_len);

/*
 * CREATE (2.2.13): the name (req->name_len code units, at most SMB2_CREATE_NAME_MAX) right after
 * the fixed part, no create contexts. The decoder rejects create contexts (-EOPNOTSUPP), a name
 * outside the message or of an odd byte length or longer than SMB2_CREATE_NAME_MAX (-EBADMSG).
 */
int smb2__create_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			    const struct smb2_create_req *req, size_t *len);
int smb2__create_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			    struct smb2_create_req *req);
/* CREATE response (2.2.14) without create contexts: SMB2_CREATE_RSP_FRAME bytes. */
int smb2__create_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			    const struct smb2_create_rsp *rsp, size_t *len);
/* A non-success Status is -EREMOTEIO (h->status says which; the body is an error response). */
int smb2__create_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			    struct smb2_create_rsp *rsp);
int smb2__close_req_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_close_req *req, size_t *len);
int smb2__close_req_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_close_req *req);
int smb2__close_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h,
			   const struct smb2_close_rsp *rsp, size_t *len);
/* A non-success Status is -EREMOTEIO (h->status says which; the body is an error response). */
int smb2__close_rsp_decode(const void *msg, size_t len, struct smb2_hdr *h,
			   struct smb2_close_rsp *rsp);

/*
 * The interim response (3.3.4.2) to `command`: async header with h->async_id, STATUS_PENDING and
 * an empty error body; SMB2_INTERIM_RSP_FRAME bytes. The final response then goes with
 * SMB2_FLAGS_ASYNC_COMMAND and the same AsyncId.
 */
int smb2__interim_rsp_encode(void *buf, size_t cap, const struct smb2_hdr *h, uint16_t command,
			     size_t *len);

#endif
