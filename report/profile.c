// SPDX-License-Identifier: GPL-2.0
/*
 * Capture profiles (iovb/profile.h): libpcap reads the file, link and IP layers are peeled here,
 * tcpreasm puts each TCP direction in order, and a small state machine per direction follows the
 * Direct TCP framing (4-byte header, 24-bit length) to find each SMB2 message and keep just its
 * first bytes: header and fixed READ/WRITE fields. The rest of a PDU is skipped by length, so a
 * snaplen-cut capture profiles like a full one as long as the headers were kept.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <zlib.h>

#include "iovb/errf.h"
#include "iovb/profile.h"
#include "iovb/tcpreasm.h"

/* ---- SMB2 constants (MS-SMB2 2.2.1.2), as the profiler needs them ---------------------- */

#define P_SMB2_HDR 64
#define P_RW_KEEP 96 /* header + READ/WRITE request body through FileId */
#define P_KEEP 144   /* and a CREATE response through FileId (EndofFile at 112) */
#define P_CREATE 0x0005
#define P_READ 0x0008
#define P_WRITE 0x0009
#define P_NCMDS 0x13 /* NEGOTIATE .. OPLOCK_BREAK */
#define P_FLAG_RESPONSE 0x00000001u
#define P_FLAG_ASYNC 0x00000002u
#define P_STATUS_PENDING 0x00000103u

static const char *const cmd_names[P_NCMDS] = {
	"NEGOTIATE",	 "SESSION_SETUP", "LOGOFF",   "TREE_CONNECT", "TREE_DISCONNECT",
	"CREATE",	 "CLOSE",	  "FLUSH",    "READ",	      "WRITE",
	"LOCK",		 "IOCTL",	  "CANCEL",   "ECHO",	      "QUERY_DIRECTORY",
	"CHANGE_NOTIFY", "QUERY_INFO",	  "SET_INFO", "OPLOCK_BREAK",
};

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- model -------------------------------------------------------------------------------- */

/* One READ or WRITE, from its request, its response or both. */
struct pio {
	uint64_t msgid;
	uint64_t t_req, t_rsp; /* capture time, ns; valid per the HAVE_ flags */
	uint64_t offset;
	uint64_t file; /* FileId, folded */
	uint32_t len;  /* requested Length */
	uint32_t done; /* READ DataLength / WRITE Count of a successful response */
	uint32_t status;
	uint16_t cmd;
	uint16_t charge;
	uint8_t have;
};

#define HAVE_REQ 0x01
#define HAVE_RSP 0x02
#define HAVE_LEN 0x04 /* len known */
#define HAVE_DONE 0x08
#define HAVE_OFF 0x10  /* offset and file known (the request body was captured) */
#define INFERRED 0x20  /* the request's header was not captured; see sm__synth */
#define LEN_GUESS 0x40 /* len is a neighbour's: used only when no response says */

enum sm_state { SM_HUNT, SM_NB, SM_PDU, SM_REC };

#define MSG_NONE UINT32_MAX
#define P_CLASSES 16

/*
 * A PDU length seen in one direction, with the head of the last lone message that had it (its
 * class: READ response, STATUS_PENDING interim, WRITE request...). A PDU whose header the capture
 * lost is taken to be of the class of its length.
 */
struct pclass {
	uint32_t len; /* PDU length, Direct TCP header excluded */
	uint32_t valid;
	uint64_t count; /* seen, or (not seen) how many the other direction announced */
	bool seen;	/* else only expected: the search uses it at most count times */
	uint8_t hdr[P_KEEP];
};

/* Stream bytes kept while the framing is searched for: captured (data) or not. */
struct rchunk {
	uint64_t off;
	uint64_t ts;
	uint32_t len;
	uint32_t data; /* index into rbuf, or UINT32_MAX: not captured */
	bool seg_start;
};

/* The Direct TCP / SMB2 framing state of one direction. */
struct smstream {
	struct iovb_profile *prof;
	struct conv *conv;
	int dir;
	enum sm_state st;
	uint64_t off; /* stream offset of the next byte */
	uint8_t nb[4];
	uint32_t nb_have, nb_valid;
	uint64_t nb_pos;
	bool skip_pdu; /* a PDU that is not SMB2 (NetBIOS session service, SMB1) */
	uint32_t pdu_len;
	uint32_t pos;	    /* within the PDU */
	uint32_t msg_off;   /* start of the message whose head is being kept, or MSG_NONE */
	uint32_t msg_need;  /* bytes of it to keep */
	uint32_t hdr_have;  /* bytes of it seen */
	uint32_t hdr_valid; /* of those, captured (leading run) */
	uint8_t hdr[P_KEEP];
	uint64_t nb_ts, msg_ts; /* packets that held a PDU's and a message's first byte */
	uint64_t next_msgid;	/* after the last request: MessageId + CreditCharge */
	struct pclass cls[P_CLASSES];
	uint32_t ncls;
	uint8_t order[P_CLASSES]; /* during a search: the bulk classes, longest first */
	uint32_t norder;
	bool interim; /* the interim response's class is in cls */
	/*
	 * When a Direct TCP header lies in bytes the capture lost (snaplen, a hole), the stream
	 * from that boundary (rec_a) is kept until a segment starts with a header again (or the
	 * stream ends); then a search finds the PDU lengths that lead from one to the other with
	 * every boundary that falls on captured bytes a header there (sm__solve), and the kept
	 * bytes are framed again with those lengths (forced).
	 */
	uint64_t rec_a;
	struct rchunk *rc;
	size_t nrc, caprc;
	uint8_t *rbuf;
	size_t nrbuf, caprbuf;
	size_t rc_hint;
	bool replaying;
	uint64_t *fpos; /* forced boundaries: position, whole PDU length */
	uint32_t *flen;
	size_t nf, capf, fi;
};

/* A response whose MessageId was not captured: matched to a request at the end. */
struct anon_rsp {
	uint64_t ts;
	uint32_t done;
	uint16_t cmd;
	bool has_done;
};

/* A READ/WRITE request whose MessageId was not captured, in the order the client sent it. */
struct anon_req {
	uint64_t ts;
	uint64_t lo; /* MessageId the sequence predicts (last request seen + charges) */
	uint64_t hi; /* MessageId of the next request captured after it, or UINT64_MAX */
	uint32_t len;
	uint16_t cmd;
	uint16_t charge;
	bool len_exact; /* a WRITE's Length, from its PDU's length */
};

struct conv_key {
	uint8_t fam; /* 4 or 6 */
	uint8_t addr[2][16];
	uint16_t port[2];
};

struct cmd_credits {
	uint64_t requested, granted, charged;
};

struct conv {
	struct conv *hnext;  /* hash chain */
	struct conv *onext;  /* in order of first packet */
	struct conv_key key; /* endpoint 0 sent the first packet seen */
	int client;	     /* endpoint index of the client, -1 unknown */
	bool syn_seen;
	struct tcp_dir tcp[2];
	struct smstream sm[2];
	uint64_t first_ts, last_ts, packets; /* times in ns */
	uint64_t last_pkt;		     /* packet number */
	uint64_t smb_msgs[2];		     /* SMB2 messages sent by endpoint i */
	uint64_t lost_msgs[2];		     /* messages or PDUs whose head was not captured */
	uint64_t resyncs[2];		     /* times framing was lost, then found again */
	uint64_t compounded;		     /* messages after the first in a PDU */
	uint64_t encrypted, smb1, other_pdus;
	uint64_t inferred[2]; /* messages whose header was lost, known by their PDU's length */
	struct anon_rsp *anon;
	size_t nanon, capanon;
	struct anon_req *areq;
	size_t nareq, capareq, areq_open;
	struct {
		uint64_t file, eof;
	} files[16];	 /* CREATE responses: FileId (folded) and EndofFile */
	uint32_t nfiles; /* areq_open: the first without its hi yet */
	/* How each lost header was made up for: see conv__json's "inference". */
	uint64_t inf_searched;	/* PDUs framed by the search (sm__solve) */
	uint64_t inf_free;	/* of those, a last PDU sized by what was left */
	uint64_t inf_msgid_rsp; /* requests given the MessageId of a response without request */
	uint64_t inf_msgid_seq; /* requests given the MessageId the sequence predicts */
	uint64_t inf_rsp_order; /* responses matched to requests by order */
	uint64_t inf_unsolved;	/* gaps the search could not frame */
	uint64_t solve_steps;
	uint64_t cmd_req[P_NCMDS + 1]; /* last: undefined command codes */
	uint64_t cmd_err[P_NCMDS + 1]; /* final responses with a non-success status */
	struct cmd_credits cred[P_NCMDS + 1];
	struct pio *ios;
	size_t nios, capios;
	uint32_t *slots; /* open addressing by MessageId: index + 1 into ios */
	size_t nslots;
	bool smb; /* carried SMB2 */
};

struct iovb_profile {
	bool used;
	int linktype;
	uint64_t packets, bytes, tcp_packets, skipped;
	uint64_t first_ts, last_ts;
	struct conv **buckets;
	size_t nbuckets, nconvs;
	struct conv *list, **tail;
	bool oom;
	uint64_t solve_steps;
	/*
	 * Capture time of each packet, by packet number. Messages and I/Os are stamped with the
	 * packet number that carried them, so requests in flight are counted in capture order (as
	 * tshark lists frames), and times are looked up here.
	 */
	uint64_t *pkt_ts;
	size_t npkts, cappkts;
};

#define CONV_BUCKETS 4096
#define CONV_MAX (1u << 20)
#define IOS_MAX (64u << 20)

struct iovb_profile *profile__new(void)
{
	struct iovb_profile *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->buckets = calloc(CONV_BUCKETS, sizeof(*p->buckets));
	if (!p->buckets) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->nbuckets = CONV_BUCKETS;
	p->tail = &p->list;
	return p;
}

static void conv__free(struct conv *c)
{
	tcp_dir__clear(&c->tcp[0]);
	tcp_dir__clear(&c->tcp[1]);
	for (int i = 0; i < 2; i++) {
		free(c->sm[i].rc);
		free(c->sm[i].rbuf);
		free(c->sm[i].fpos);
		free(c->sm[i].flen);
	}
	free(c->anon);
	free(c->areq);
	free(c->ios);
	free(c->slots);
	free(c);
}

void profile__free(struct iovb_profile *p)
{
	struct conv *c, *n;

	if (!p)
		return;
	for (c = p->list; c; c = n) {
		n = c->onext;
		conv__free(c);
	}
	free(p->buckets);
	free(p->pkt_ts);
	free(p);
}

/* ---- I/O records ---------------------------------------------------------------------- */

static inline size_t slot_of(uint64_t msgid, size_t n)
{
	return (size_t)((msgid * 0x9e3779b97f4a7c15ull) >> 20) & (n - 1);
}

static int ios__grow(struct conv *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 1024, i, s;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < c->nios; i++) {
		for (s = slot_of(c->ios[i].msgid, n); slots[s]; s = (s + 1) & (n - 1))
			;
		slots[s] = (uint32_t)i + 1;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
	return 0;
}

/* The I/O with this MessageId, created when new; NULL on ENOMEM or beyond IOS_MAX. */
/* The I/O with this MessageId, or NULL. */
static struct pio *ios__find(struct conv *c, uint64_t msgid)
{
	if (!c->nslots)
		return NULL;
	for (size_t s = slot_of(msgid, c->nslots); c->slots[s]; s = (s + 1) & (c->nslots - 1)) {
		if (c->ios[c->slots[s] - 1].msgid == msgid)
			return &c->ios[c->slots[s] - 1];
	}
	return NULL;
}

static struct pio *ios__get(struct conv *c, uint64_t msgid)
{
	struct pio *io;
	size_t s;

	if (c->nslots) {
		for (s = slot_of(msgid, c->nslots); c->slots[s]; s = (s + 1) & (c->nslots - 1)) {
			io = &c->ios[c->slots[s] - 1];
			if (io->msgid == msgid)
				return io;
		}
	}
	if (c->nios >= IOS_MAX)
		return NULL;
	if ((c->nios + 1) * 2 > c->nslots) {
		if (ios__grow(c))
			return NULL;
	}
	if (c->nios == c->capios) {
		size_t cap = c->capios ? c->capios * 2 : 256;
		struct pio *ios = realloc(c->ios, cap * sizeof(*ios));

		if (!ios)
			return NULL;
		c->ios = ios;
		c->capios = cap;
	}
	for (s = slot_of(msgid, c->nslots); c->slots[s]; s = (s + 1) & (c->nslots - 1))
		;
	io = &c->ios[c->nios++];
	memset(io, 0, sizeof(*io));
	io->msgid = msgid;
	c->slots[s] = (uint32_t)c->nios;
	return io;
}

/* ---- SMB2 messages ------------------------------------------------------------------------- */

static void sm__expect(struct smstream *sm, uint16_t cmd, bool rsp, uint32_t pdu_len, bool once);
static void sm__expect_interim(struct smstream *sm, uint16_t cmd);

/*
 * A copy reads up to the end of the file: the READ that reaches EndofFile (from the CREATE
 * response) gets a short response, and reads of this one's size from its offset on would end
 * with a short one. Expected as response lengths (only candidates: the framing search checks
 * them), so the search can size a short last READ whose request and response were both cut.
 */
static void read__expect_eof(struct conv *c, int dir, const struct pio *io)
{
	uint64_t eof, end = io->offset + io->len;
	uint32_t i;

	for (i = 0; i < c->nfiles && c->files[i].file != io->file; i++)
		;
	if (i == c->nfiles || !io->len)
		return;
	eof = c->files[i].eof;
	if (io->offset < eof && end > eof) {
		sm__expect(&c->sm[!dir], P_READ, true, 80 + (uint32_t)(eof - io->offset), true);
	} else if (end < eof && (eof - io->offset) % io->len) {
		/* Reads of this size on to the end: the last one has what is left. */
		sm__expect(&c->sm[!dir], P_READ, true,
			   80 + (uint32_t)((eof - io->offset) % io->len), true);
	}
}

/* A message's kept head: `valid` leading bytes of hdr were captured (at least the header). */
static void smb2__message(struct iovb_profile *p, struct conv *c, int dir, const uint8_t *h,
			  uint32_t valid, bool inferred, uint64_t ts)
{
	uint32_t flags = le32(h + 16), status = le32(h + 8);
	uint16_t cmd = le16(h + 12), credits = le16(h + 14), charge = le16(h + 6);
	unsigned int ci = cmd < P_NCMDS ? cmd : P_NCMDS;
	bool rsp = flags & P_FLAG_RESPONSE;
	struct pio *io;

	c->smb = true;
	c->smb_msgs[dir]++;
	if (c->client < 0)
		c->client = rsp ? !dir : dir;
	if (!rsp) {
		/* Requests whose MessageId was lost came before this one: it bounds theirs. */
		for (; c->areq_open < c->nareq; c->areq_open++)
			c->areq[c->areq_open].hi = le64(h + 24);
		c->cmd_req[ci]++;
		/* Credits only as captured: an inferred message's would be a guess. */
		if (!inferred) {
			c->cred[ci].requested += credits;
			c->cred[ci].charged += charge ? charge : 1;
		}
	} else {
		c->cred[ci].granted += credits;
		/* MS-SMB2 2.2.14: EndofFile at body offset 48, FileId at 64. */
		if (cmd == P_CREATE && !status && valid >= P_KEEP) {
			uint32_t i = c->nfiles < 16 ? c->nfiles++ : (uint32_t)(le64(h + 24) % 16);

			c->files[i].file = le64(h + 128) * 31 + le64(h + 136);
			c->files[i].eof = le64(h + 112);
		}
		/* An interim response: the final one follows, with the same MessageId. */
		if (status == P_STATUS_PENDING && (flags & P_FLAG_ASYNC))
			return;
		if (status)
			c->cmd_err[ci]++;
	}
	if (cmd != P_READ && cmd != P_WRITE)
		return;
	io = ios__get(c, le64(h + 24));
	if (!io) {
		p->oom = true;
		return;
	}
	io->cmd = cmd;
	if (!rsp) {
		/* A MessageId used twice: keep the first, but a captured request beats a guess. */
		if ((io->have & HAVE_REQ) && (inferred || !(io->have & INFERRED)))
			return;
		io->have = (uint8_t)((io->have & (HAVE_RSP | HAVE_DONE)) | HAVE_REQ |
				     (inferred ? INFERRED : 0));
		io->t_req = ts;
		io->charge = charge;
		/* READ and WRITE requests share the layout of Length, Offset and FileId. */
		if (valid >= P_SMB2_HDR + 8) {
			io->len = le32(h + 68);
			io->have |= inferred && cmd == P_READ ? LEN_GUESS : HAVE_LEN;
			if (!inferred)
				sm__expect_interim(&c->sm[!dir], cmd);
			/* Its response: header, 16 bytes of body, the data (MS-SMB2 2.2.20). */
			if (cmd == P_READ && !inferred && io->len < (1u << 24) - 80)
				sm__expect(&c->sm[!dir], P_READ, true, 80 + io->len, false);
		}
		if (valid >= P_RW_KEEP) {
			io->offset = le64(h + 72);
			io->file = le64(h + 80) * 31 + le64(h + 88);
			io->have |= HAVE_OFF;
			if (cmd == P_READ && !inferred)
				read__expect_eof(c, dir, io);
		}
	} else {
		if (io->have & HAVE_RSP)
			return;
		io->have |= HAVE_RSP;
		io->t_rsp = ts;
		io->status = status;
		/* READ DataLength and WRITE Count both sit at body offset 4. */
		if (!status && valid >= P_SMB2_HDR + 8) {
			io->done = le32(h + 68);
			io->have |= HAVE_DONE;
			/* Its request: header, 48 bytes of body, the data (MS-SMB2 2.2.21). */
			if (cmd == P_WRITE && !inferred && io->done < (1u << 24) - 112)
				sm__expect(&c->sm[!dir], P_WRITE, false, 112 + io->done, false);
		}
	}
}

/* ---- Direct TCP framing, per direction ----------------------------------------------------- */

static void sm__lost(struct smstream *sm)
{
	if (sm->st != SM_HUNT)
		sm->conv->lost_msgs[sm->dir]++;
	sm->st = SM_HUNT;
}

static bool smb_protocol_id(const uint8_t *d)
{
	return (d[0] == 0xfe || d[0] == 0xfd || d[0] == 0xfc || d[0] == 0xff) && d[1] == 'S' &&
	       d[2] == 'M' && d[3] == 'B';
}

/* Does a segment start with a Direct TCP header and an SMB2 (or SMB1/transform) ProtocolId? */
static bool sm__looks_framed(const uint8_t *d, uint32_t len)
{
	if (len < 8 || d[0] != 0 || (d[1] == 0 && d[2] == 0 && d[3] < 4))
		return false;
	return smb_protocol_id(d + 4);
}

static void sm__next_msg(struct smstream *sm, uint32_t off)
{
	uint32_t left = sm->pdu_len - off;

	sm->msg_off = off;
	sm->msg_need = left < P_KEEP ? left : P_KEEP;
	sm->hdr_have = 0;
	sm->hdr_valid = 0;
}

/* A copy's message: READ/WRITE request or successful response, or an interim response. */
static bool bulk_hdr(const uint8_t *h)
{
	uint16_t cmd = le16(h + 12);
	uint32_t flags = le32(h + 16), status = le32(h + 8);

	if (status == P_STATUS_PENDING && (flags & P_FLAG_ASYNC))
		return true;
	return (cmd == P_READ || cmd == P_WRITE) && !status;
}

static bool bulk_class(const struct pclass *k)
{
	return bulk_hdr(k->hdr);
}

/*
 * A lone message with its header captured: remember its PDU length's class (struct pclass).
 * A copy's messages win a length over others (an error response is as long as an interim one,
 * a TREE_CONNECT response as a WRITE response).
 */
static void sm__learn(struct smstream *sm, uint32_t pdu_len, const uint8_t *h, uint32_t valid,
		      bool seen)
{
	struct pclass *k = NULL;
	uint32_t i;

	for (i = 0; i < sm->ncls; i++) {
		if (sm->cls[i].len == pdu_len) {
			k = &sm->cls[i];
			break;
		}
	}
	if (!k) {
		if (sm->ncls < P_CLASSES) {
			k = &sm->cls[sm->ncls++];
		} else {
			/* Full: the rarest goes. */
			k = &sm->cls[0];
			for (i = 1; i < sm->ncls; i++)
				if (sm->cls[i].count < k->count)
					k = &sm->cls[i];
		}
		k->len = pdu_len;
		k->count = 0;
		k->valid = 0;
		k->seen = false;
	}
	if (seen && !k->seen) {
		k->seen = true;
		k->count = 0;
		k->valid = 0;
	}
	k->count++;
	if (k->valid && bulk_class(k) != bulk_hdr(h)) {
		if (bulk_class(k))
			return;
		k->valid = 0;
	}
	if (valid >= k->valid) {
		k->valid = valid;
		memcpy(k->hdr, h, P_KEEP);
	}
}

/*
 * The other direction said a PDU of this length will come (a READ request's Length, a WRITE
 * response's Count): a class of its own until one is seen, with the usual DataOffset.
 */
static void sm__expect(struct smstream *sm, uint16_t cmd, bool rsp, uint32_t pdu_len, bool once)
{
	uint8_t h[P_KEEP] = { 0xfe, 'S', 'M', 'B', P_SMB2_HDR };
	uint32_t i;

	for (i = 0; i < sm->ncls; i++) {
		if (sm->cls[i].len == pdu_len) {
			if (!sm->cls[i].seen && !once)
				sm->cls[i].count++; /* one more announced */
			return;
		}
	}
	h[12] = (uint8_t)cmd;
	h[16] = rsp ? P_FLAG_RESPONSE : 0;
	h[66] = rsp ? 80 : 112; /* READ response DataOffset, WRITE request DataOffset */
	sm__learn(sm, pdu_len, h, P_SMB2_HDR + 8, false);
}

/*
 * A server may answer any READ or WRITE first with an interim STATUS_PENDING response: an ERROR
 * response of 73 bytes (MS-SMB2 2.2.2: 64 + 8 + 1). A class of its own once the client sends
 * READs or WRITEs, seen or not (its command does not matter to the search).
 */
static void sm__expect_interim(struct smstream *sm, uint16_t cmd)
{
	uint8_t h[P_KEEP] = { 0xfe, 'S', 'M', 'B', P_SMB2_HDR };

	if (sm->interim)
		return;
	sm->interim = true;
	h[8] = (uint8_t)P_STATUS_PENDING;
	h[9] = (uint8_t)(P_STATUS_PENDING >> 8);
	h[12] = (uint8_t)cmd;
	h[16] = P_FLAG_RESPONSE | P_FLAG_ASYNC;
	h[64] = 9; /* StructureSize */
	sm__learn(sm, P_SMB2_HDR + 9, h, P_SMB2_HDR + 9, true);
}

static bool hdr_is(const uint8_t *h, uint16_t cmd, bool rsp)
{
	return le16(h + 12) == cmd && !!(le32(h + 16) & P_FLAG_RESPONSE) == rsp && !le32(h + 8);
}

/* The class that carries data in this direction: READ responses to the client, WRITEs to it. */
static const struct pclass *sm__data_class(const struct smstream *sm)
{
	const struct pclass *best = NULL;

	for (uint32_t i = 0; i < sm->ncls; i++) {
		const struct pclass *k = &sm->cls[i];

		if ((hdr_is(k->hdr, P_READ, true) || hdr_is(k->hdr, P_WRITE, false)) &&
		    k->valid >= P_SMB2_HDR + 4 && (!best || k->len > best->len))
			best = k;
	}
	return best;
}

static const struct pclass *sm__class(const struct smstream *sm, uint32_t pdu_len, bool *free_len)
{
	*free_len = false;
	for (uint32_t i = 0; i < sm->ncls; i++)
		if (sm->cls[i].len == pdu_len)
			return &sm->cls[i];
	*free_len = true;
	return sm__data_class(sm);
}

static bool anon__push(struct iovb_profile *p, struct conv *c, const struct anon_rsp *r)
{
	if (c->nanon == c->capanon) {
		size_t cap = c->capanon ? c->capanon * 2 : 64;
		struct anon_rsp *a = realloc(c->anon, cap * sizeof(*a));

		if (!a) {
			p->oom = true;
			return false;
		}
		c->anon = a;
		c->capanon = cap;
	}
	c->anon[c->nanon++] = *r;
	return true;
}

static bool areq__push(struct iovb_profile *p, struct conv *c, const struct anon_req *r)
{
	if (c->nareq == c->capareq) {
		size_t cap = c->capareq ? c->capareq * 2 : 64;
		struct anon_req *a = realloc(c->areq, cap * sizeof(*a));

		if (!a) {
			p->oom = true;
			return false;
		}
		c->areq = a;
		c->capareq = cap;
	}
	c->areq[c->nareq++] = *r;
	return true;
}

/*
 * A PDU of known length whose SMB2 header the capture lost (all of it, or but its first `valid`
 * bytes): it is a message of its length's class. A READ response's DataLength and a WRITE's
 * Length follow from the PDU's length; a READ request's Length is its class's (a guess, used only
 * when no response says). A MessageId not captured is worked out at the end (areq__assign).
 */
static void sm__synth(struct smstream *sm, const uint8_t *cap, uint32_t valid, uint64_t ts)
{
	struct conv *c = sm->conv;
	struct iovb_profile *p = sm->prof;
	const struct pclass *k;
	uint32_t plen = sm->pdu_len, doff, dlen, flags, status;
	uint16_t cmd, charge;
	bool free_len, rsp;
	uint8_t h[P_KEEP];

	k = sm__class(sm, plen, &free_len);
	if (!k || (valid >= 20 && (le16(cap + 12) != le16(k->hdr + 12) ||
				   ((le32(cap + 16) ^ le32(k->hdr + 16)) & P_FLAG_RESPONSE)))) {
		c->lost_msgs[sm->dir]++;
		return;
	}
	memcpy(h, k->hdr, P_KEEP);
	if (valid)
		memcpy(h, cap, valid < P_KEEP ? valid : P_KEEP);
	if (free_len)
		c->inf_free++;
	c->inferred[sm->dir]++;
	cmd = le16(h + 12);
	flags = le32(h + 16);
	status = le32(h + 8);
	rsp = flags & P_FLAG_RESPONSE;
	c->smb = true;
	if (c->client < 0)
		c->client = rsp ? !sm->dir : sm->dir;
	doff = le16(h + 66);
	dlen = doff >= P_SMB2_HDR && doff <= plen ? plen - doff : 0;
	if (!rsp) {
		charge = le16(h + 6);
		if (cmd == P_WRITE) {
			for (int b = 0; b < 4; b++)
				h[68 + b] = (uint8_t)(dlen >> (8 * b));
			charge = dlen ? (uint16_t)((dlen - 1) / 65536 + 1) : 1;
			h[6] = (uint8_t)charge;
			h[7] = (uint8_t)(charge >> 8);
		}
		if (!charge)
			charge = 1;
		if (valid >= 32) {
			/* The MessageId was captured: a message like any other. */
			smb2__message(p, c, sm->dir, h, cmd == P_WRITE || valid >= 72 ? 72 : 64,
				      true, ts);
			sm->next_msgid = le64(h + 24) + charge;
			return;
		}
		c->smb_msgs[sm->dir]++;
		c->cmd_req[cmd < P_NCMDS ? cmd : P_NCMDS]++;
		if (cmd == P_READ || cmd == P_WRITE)
			areq__push(p, c,
				   &(struct anon_req){ .ts = ts,
						       .lo = sm->next_msgid,
						       .hi = UINT64_MAX,
						       .len = cmd == P_WRITE ? dlen : le32(h + 68),
						       .cmd = cmd,
						       .charge = charge,
						       .len_exact = cmd == P_WRITE });
		sm->next_msgid += charge;
		return;
	}
	if (status == P_STATUS_PENDING && (flags & P_FLAG_ASYNC)) {
		c->smb_msgs[sm->dir]++; /* an interim response: its final one follows */
		return;
	}
	if (cmd == P_READ && !status) {
		for (int b = 0; b < 4; b++)
			h[68 + b] = (uint8_t)(dlen >> (8 * b));
	}
	if (valid >= 32) {
		smb2__message(p, c, sm->dir, h, cmd == P_READ && !status ? 72 : 64, true, ts);
		return;
	}
	c->smb_msgs[sm->dir]++;
	if (status)
		c->cmd_err[cmd < P_NCMDS ? cmd : P_NCMDS]++;
	if (cmd == P_READ || cmd == P_WRITE)
		anon__push(p, c,
			   &(struct anon_rsp){ .ts = ts,
					       .cmd = cmd,
					       .done = cmd == P_READ ? dlen : 0,
					       .has_done = cmd == P_READ && !status });
}

/* The kept head of a message is complete (or its capture broke off): decode it, find the next. */
static void sm__msg_done(struct iovb_profile *p, struct smstream *sm, uint64_t ts)
{
	struct conv *c = sm->conv;
	const uint8_t *h = sm->hdr;
	uint32_t next;

	if (sm->hdr_valid < 4 ||
	    (sm->hdr_valid < P_SMB2_HDR && smb_protocol_id(h) && h[0] == 0xfe)) {
		/* The PDU's length is known: a lone message of its class. */
		if (!sm->msg_off && (sm->hdr_valid < 24 || !le32(h + 20)))
			sm__synth(sm, h, sm->hdr_valid, ts);
		else
			c->lost_msgs[sm->dir]++;
		sm->msg_off = MSG_NONE;
		return;
	}
	if (h[0] != 0xfe || h[1] != 'S' || h[2] != 'M' || h[3] != 'B') {
		if (h[1] == 'S' && h[2] == 'M' && h[3] == 'B' && sm->msg_off == 0) {
			if (h[0] == 0xff)
				c->smb1++;
			else
				c->encrypted++; /* 0xfd transform or 0xfc compression header */
			sm->msg_off = MSG_NONE;
			return;
		}
		/* Not where a message should start: the framing is off. */
		sm__lost(sm);
		return;
	}
	if (le16(h + 4) != P_SMB2_HDR) {
		c->other_pdus++;
		next = le32(h + 20);
	} else {
		uint32_t valid = sm->hdr_valid;

		if (sm->msg_off)
			c->compounded++;
		/*
		 * A lone READ response or WRITE request cut before its data length: the PDU's
		 * length says it (the data runs from DataOffset to the end).
		 */
		if (!sm->msg_off && !le32(h + 20) && valid < P_SMB2_HDR + 8 &&
		    ((le16(h + 12) == P_READ && (le32(h + 16) & P_FLAG_RESPONSE) && !le32(h + 8)) ||
		     (le16(h + 12) == P_WRITE && !(le32(h + 16) & P_FLAG_RESPONSE)))) {
			bool rsp = le32(h + 16) & P_FLAG_RESPONSE;
			uint32_t doff = valid >= P_SMB2_HDR + 4 ? (rsp ? h[66] : le16(h + 66))
								: (rsp ? 80 : 112);

			if (doff >= P_SMB2_HDR && doff <= sm->pdu_len) {
				for (int b = 0; b < 4; b++)
					sm->hdr[68 + b] =
						(uint8_t)((sm->pdu_len - doff) >> (8 * b));
				valid = P_SMB2_HDR + 8;
			}
		}
		smb2__message(p, c, sm->dir, h, valid, false, ts);
		next = le32(h + 20);
		if (!(le32(h + 16) & P_FLAG_RESPONSE))
			sm->next_msgid = le64(h + 24) + (le16(h + 6) ? le16(h + 6) : 1);
		if (!sm->msg_off && !next)
			sm__learn(sm, sm->pdu_len, h, sm->hdr_valid, true);
	}
	/* NextCommand: 8-aligned, past this header, room for the next header in the PDU. */
	if (next && next >= P_SMB2_HDR && !(next & 7) &&
	    (uint64_t)sm->msg_off + next + P_SMB2_HDR <= sm->pdu_len)
		sm__next_msg(sm, sm->msg_off + next);
	else
		sm->msg_off = MSG_NONE;
}

/* ---- the framing search -----------------------------------------------------------------------
 */

#define REC_MAX_BYTES (64u << 20) /* captured bytes kept while searching */
#define REC_MAX_CHUNKS (4u << 20)
/* Steps of one search, of a conversation's, of a capture's: bounds on hostile input. */
#define SOLVE_MAX_STEPS (256u << 10) /* per pass */
#define SOLVE_CONV_STEPS(c) ((1u << 20) + 256 * (c)->packets)
#define SOLVE_ALL_STEPS(p) ((4u << 20) + 256 * (p)->packets)

static void rec__clear(struct smstream *sm)
{
	sm->nrc = 0;
	sm->nrbuf = 0;
	sm->rc_hint = 0;
}

static bool rec__push(struct smstream *sm, const uint8_t *data, uint32_t len, bool seg_start,
		      uint64_t ts)
{
	struct rchunk *r;

	if (sm->nrc >= REC_MAX_CHUNKS || (data && sm->nrbuf + len > REC_MAX_BYTES))
		return false;
	if (sm->nrc == sm->caprc) {
		size_t cap = sm->caprc ? sm->caprc * 2 : 256;
		struct rchunk *v = realloc(sm->rc, cap * sizeof(*v));

		if (!v)
			return false;
		sm->rc = v;
		sm->caprc = cap;
	}
	if (data && sm->nrbuf + len > sm->caprbuf) {
		size_t cap = sm->caprbuf ? sm->caprbuf : 65536;
		uint8_t *b;

		while (cap < sm->nrbuf + len)
			cap *= 2;
		b = realloc(sm->rbuf, cap);
		if (!b)
			return false;
		sm->rbuf = b;
		sm->caprbuf = cap;
	}
	r = &sm->rc[sm->nrc++];
	*r = (struct rchunk){ .off = sm->off,
			      .ts = ts,
			      .len = len,
			      .seg_start = seg_start,
			      .data = data ? (uint32_t)sm->nrbuf : UINT32_MAX };
	if (data) {
		memcpy(sm->rbuf + sm->nrbuf, data, len);
		sm->nrbuf += len;
	}
	sm->off += len;
	return true;
}

/* Byte q of the kept stream: -1 when not captured (or not kept). */
static int rec__byte(struct smstream *sm, uint64_t q)
{
	size_t lo = 0, hi = sm->nrc, i = sm->rc_hint;
	const struct rchunk *r;

	if (i >= sm->nrc || q < sm->rc[i].off || q >= sm->rc[i].off + sm->rc[i].len) {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (sm->rc[mid].off + sm->rc[mid].len <= q)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= sm->nrc || q < sm->rc[lo].off)
			return -1;
		i = lo;
		sm->rc_hint = i;
	}
	r = &sm->rc[i];
	return r->data == UINT32_MAX ? -1 : sm->rbuf[r->data + (q - r->off)];
}

/*
 * Could a PDU of class k (whole length L) start at q? Every captured byte of its Direct TCP and
 * SMB2 headers must agree: the length, the ProtocolId, the command and the response flag, and a
 * READ response's or WRITE's data length.
 */
static bool solve__fits(struct smstream *sm, uint64_t q, uint32_t L, const struct pclass *k)
{
	static const uint8_t fixed_at[] = { 4, 5, 6, 7, 8, 9, 16, 17, 20 };
	uint8_t want[24];
	int b;

	want[0] = 0;
	want[1] = (uint8_t)((L - 4) >> 16);
	want[2] = (uint8_t)((L - 4) >> 8);
	want[3] = (uint8_t)(L - 4);
	for (int i = 0; i < 4; i++) {
		b = rec__byte(sm, q + i);
		if (b >= 0 && b != want[i])
			return false;
	}
	if (!k)
		return true;
	/* ProtocolId, StructureSize (64), Command, and the flags' low byte (response, async). */
	memcpy(want + 4, k->hdr, 4);
	want[8] = P_SMB2_HDR;
	want[9] = 0;
	want[16] = k->hdr[12];
	want[17] = k->hdr[13];
	want[20] = k->hdr[16] & (P_FLAG_RESPONSE | P_FLAG_ASYNC);
	for (size_t i = 0; i < sizeof(fixed_at); i++) {
		b = rec__byte(sm, q + fixed_at[i]);
		if (b < 0)
			continue;
		/* An interim response: for a READ or a WRITE, whichever. */
		if ((fixed_at[i] == 16 || fixed_at[i] == 17) &&
		    le32(k->hdr + 8) == P_STATUS_PENDING)
			continue;
		if (fixed_at[i] == 20 ? (b & 3) != want[20] : b != want[fixed_at[i]])
			return false;
	}
	if (hdr_is(k->hdr, P_READ, true) || hdr_is(k->hdr, P_WRITE, false)) {
		uint32_t doff = le16(k->hdr + 66), dlen = L - 4 - doff;

		for (int i = 0; i < 4; i++) {
			b = rec__byte(sm, q + 4 + 68 + i);
			if (b >= 0 && b != (uint8_t)(dlen >> (8 * i)))
				return false;
		}
	}
	return true;
}

struct solve_opt {
	uint32_t len; /* whole PDU, Direct TCP header included */
	uint16_t cmd;
	uint16_t charge; /* of a request: MessageIds it takes */
	uint64_t use;	 /* added to the path's uses of classes only expected */
};

/* A state of the search: a boundary reached by a framing from rec_a. */
struct solve_frame {
	uint64_t q;
	uint64_t uses;	/* 4 bits per class only expected: how often the path took it */
	uint64_t msgid; /* of a request starting at q, by the MessageIds taken before */
	size_t parent;	/* the state before, SIZE_MAX at rec_a */
	uint32_t took;	/* the length of the PDU from the parent to q */
};

static uint16_t class_charge(const struct pclass *k, uint32_t L)
{
	if (hdr_is(k->hdr, P_WRITE, false) && L > 4 + 112)
		return (uint16_t)((L - 4 - 112 - 1) / 65536 + 1);
	return le16(k->hdr + 6) ? le16(k->hdr + 6) : 1;
}

/*
 * The PDU lengths worth trying at q, most likely first. In the client's direction, a response
 * already seen for the MessageId a request at q would take says which command it is: that one
 * first (a mixed copy's READ and WRITE requests would fit in either order).
 */
static uint32_t solve__options(struct smstream *sm, uint64_t q, uint64_t msgid, uint64_t uses,
			       uint64_t b_end, bool allow_free, struct solve_opt *opt)
{
	struct conv *c = sm->conv;
	struct solve_opt tmp[P_CLASSES + 2];
	uint32_t n = 0, L, m = 0;
	const struct pio *io;
	uint16_t want = 0;
	int nb[8];

	for (int i = 0; i < 8; i++)
		nb[i] = rec__byte(sm, q + i);
	if (nb[1] >= 0 && nb[2] >= 0 && nb[3] >= 0) {
		/* The length was captured: nothing to choose. */
		uint8_t pid[4];
		int b;

		L = 4 + ((uint32_t)nb[1] << 16 | (uint32_t)nb[2] << 8 | (uint32_t)nb[3]);
		if (nb[0] != 0 || L < 4 + P_SMB2_HDR)
			return 0;
		/* Payload that happens to start 0, LEN: a ProtocolId must follow where captured. */
		for (int i = 0; i < 4; i++) {
			b = nb[4 + i];
			pid[i] = b < 0 ? (i ? "\xfeSMB"[i] : 0xfe) : (uint8_t)b;
		}
		if (!smb_protocol_id(pid))
			return 0;
		opt[n++] = (struct solve_opt){ L, 0, 1, 0 };
		for (uint32_t i = 0; i < sm->ncls; i++) {
			if (sm->cls[i].len + 4 == L) {
				opt[0].cmd = le16(sm->cls[i].hdr + 12);
				opt[0].charge = class_charge(&sm->cls[i], L);
			}
		}
		return n;
	}
	/*
	 * Classes, longest first (P_CLASSES is small: a selection sort): a copy is runs of its
	 * largest PDUs, with small ones (interim responses, READ requests) where the capture
	 * shows them or the lengths need them. Among framings that fit, the one with the fewest
	 * PDUs comes out first.
	 */
	for (uint32_t r = 0; r < sm->norder; r++) {
		int best = sm->order[r];

		/* Announced, not seen: no more of them than were announced. */
		if (!sm->cls[best].seen &&
		    ((uses >> (4 * best)) & 15) >=
			    (sm->cls[best].count < 15 ? sm->cls[best].count : 15))
			continue;
		L = sm->cls[best].len + 4;
		if (solve__fits(sm, q, L, &sm->cls[best]))
			tmp[n++] =
				(struct solve_opt){ L, le16(sm->cls[best].hdr + 12),
						    class_charge(&sm->cls[best], L),
						    sm->cls[best].seen ? 0 : 1ull << (4 * best) };
	}
	/*
	 * A data PDU sized by what is left: a copy's short last READ or WRITE, no longer than the
	 * usual ones. Tried first: the earliest place it fits is where the full ones stop.
	 */
	if (allow_free && b_end - q >= 4 + P_SMB2_HDR && b_end - q < (1u << 24) + 4) {
		const struct pclass *k = sm__data_class(sm);

		L = (uint32_t)(b_end - q);
		if (k && L <= k->len + 4 && solve__fits(sm, q, L, k)) {
			opt[m++] =
				(struct solve_opt){ L, le16(k->hdr + 12), class_charge(k, L), 0 };
			for (uint32_t i = 0; i < n; i++)
				if (tmp[i].len == L)
					tmp[i].len = 0;
		}
	}
	if (sm->dir == c->client && (io = ios__find(c, msgid)) && (io->have & HAVE_RSP) &&
	    !(io->have & HAVE_REQ))
		want = io->cmd;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < n; i++)
			if (tmp[i].len && (want && tmp[i].cmd == want) == !pass)
				opt[m++] = tmp[i];
	return m;
}

/* The states (position, uses) the search reached (open addressing). */
struct posset {
	struct {
		uint64_t q1, uses; /* q1: position + 1, 0 for an empty slot */
	} * v;
	size_t n, cap;
};

static size_t posset__slot(uint64_t q, uint64_t uses, size_t cap)
{
	return slot_of(q ^ (uses * 0xff51afd7ed558ccdull), cap);
}

static bool posset__has(const struct posset *s, uint64_t q, uint64_t uses)
{
	if (!s->cap)
		return false;
	for (size_t i = posset__slot(q, uses, s->cap); s->v[i].q1; i = (i + 1) & (s->cap - 1))
		if (s->v[i].q1 == q + 1 && s->v[i].uses == uses)
			return true;
	return false;
}

static int posset__add(struct posset *s, uint64_t q, uint64_t uses)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		__typeof__(s->v) v = calloc(cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++) {
			if (!s->v[j].q1)
				continue;
			for (i = posset__slot(s->v[j].q1 - 1, s->v[j].uses, cap); v[i].q1;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = s->v[j];
		}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = posset__slot(q, uses, s->cap); s->v[i].q1; i = (i + 1) & (s->cap - 1))
		;
	s->v[i].q1 = q + 1;
	s->v[i].uses = uses;
	s->n++;
	return 0;
}

/*
 * Frame the kept stream from rec_a to b_end (a captured header, or the stream's end when at_end:
 * then the last PDU may run past it): breadth-first over the options at each boundary, so the
 * framing with the fewest PDUs is found (a copy is runs of its largest PDUs) without walking
 * every way small ones (interim responses) could tile a segment's cut part; each state
 * (position, uses of announced classes) once. First without, then with a last PDU sized by
 * what is left. On success, fpos/flen hold the boundaries. Returns 0, -ENOENT or -ENOMEM.
 */
static int sm__solve(struct smstream *sm, uint64_t b_end, bool at_end)
{
	struct solve_frame *st = NULL;
	struct posset seen = { 0 };
	struct solve_opt opt[P_CLASSES + 2];
	size_t nst, cap = 0, found = SIZE_MAX;
	uint64_t steps;
	int err = -ENOENT;
	bool used[P_CLASSES] = { false };

	/*
	 * The options at each boundary: only a copy's messages (READ/WRITE requests and
	 * responses, interim responses). Others (setup, CREATE, CLOSE ...) are few and small, so
	 * their segments were kept; as options they would tile any stretch the capture lost.
	 * Longest first (a selection sort: P_CLASSES is small).
	 */
	sm->norder = 0;
	for (uint32_t r = 0; r < sm->ncls; r++) {
		int best = -1;

		for (uint32_t i = 0; i < sm->ncls; i++)
			if (!used[i] && (best < 0 || sm->cls[i].len > sm->cls[best].len))
				best = (int)i;
		used[best] = true;
		if (bulk_class(&sm->cls[best]))
			sm->order[sm->norder++] = (uint8_t)best;
	}
	for (int pass = 0; pass < 2 && err == -ENOENT; pass++) {
		free(seen.v);
		seen = (struct posset){ 0 };
		nst = 0;
		steps = 0; /* a first pass that found nothing leaves the second its own budget */
		if (!cap) {
			cap = 1024;
			st = malloc(cap * sizeof(*st));
			if (!st) {
				err = -ENOMEM;
				break;
			}
		}
		st[nst++] = (struct solve_frame){ .q = sm->rec_a,
						  .msgid = sm->next_msgid,
						  .parent = SIZE_MAX };
		if (posset__add(&seen, sm->rec_a, 0)) {
			err = -ENOMEM;
			break;
		}
		/* The states array is the queue: states are added layer after layer. */
		for (size_t i = 0; i < nst && found == SIZE_MAX && err == -ENOENT; i++) {
			uint32_t n;

			if (++steps > SOLVE_MAX_STEPS ||
			    ++sm->conv->solve_steps > SOLVE_CONV_STEPS(sm->conv) ||
			    ++sm->prof->solve_steps > SOLVE_ALL_STEPS(sm->prof))
				break;
			n = solve__options(sm, st[i].q, st[i].msgid, st[i].uses, b_end, pass == 1,
					   opt);
			for (uint32_t o = 0; o < n; o++) {
				uint64_t nq = st[i].q + opt[o].len, nu = st[i].uses + opt[o].use;

				if (nq > b_end) {
					if (!at_end)
						continue;
					nq = b_end; /* the capture ended inside this PDU */
				}
				if (posset__has(&seen, nq, nu))
					continue;
				if (nst == cap) {
					struct solve_frame *v = realloc(st, cap * 2 * sizeof(*v));

					if (!v) {
						err = -ENOMEM;
						break;
					}
					st = v;
					cap *= 2;
				}
				if (posset__add(&seen, nq, nu)) {
					err = -ENOMEM;
					break;
				}
				st[nst++] =
					(struct solve_frame){ .q = nq,
							      .uses = nu,
							      .msgid = st[i].msgid + opt[o].charge,
							      .parent = i,
							      .took = opt[o].len };
				if (nq == b_end) {
					found = nst - 1;
					err = 0;
					break;
				}
			}
		}
		if (err)
			continue;
		/* The path: parents back from the end. */
		size_t depth = 0;

		for (size_t j = found; st[j].parent != SIZE_MAX; j = st[j].parent)
			depth++;
		if (depth > sm->capf) {
			uint64_t *fp = realloc(sm->fpos, depth * sizeof(*fp));
			uint32_t *fl = fp ? realloc(sm->flen, depth * sizeof(*fl)) : NULL;

			if (fp)
				sm->fpos = fp;
			if (!fl) {
				err = -ENOMEM;
				break;
			}
			sm->flen = fl;
			sm->capf = depth;
		}
		sm->nf = depth;
		for (size_t j = found; st[j].parent != SIZE_MAX; j = st[j].parent) {
			depth--;
			sm->fpos[depth] = st[st[j].parent].q;
			sm->flen[depth] = st[j].took;
		}
		sm->conv->inf_searched += sm->nf;
	}
	free(seen.v);
	free(st);
	return err;
}

static void sm__feed_framed(struct smstream *sm, const uint8_t *data, uint32_t len, bool seg_start,
			    uint64_t ts);

/* Frame the kept stream up to b_end with the search's lengths, or give it up as lost. */
static void sm__resolve(struct smstream *sm, uint64_t b_end, bool at_end)
{
	size_t n = sm->nrc;
	int err;

	err = sm__solve(sm, b_end, at_end);
	if (err == -ENOMEM)
		sm->prof->oom = true;
	if (err) {
		sm->conv->inf_unsolved++;
		sm->conv->lost_msgs[sm->dir]++;
		rec__clear(sm);
		sm->off = b_end;
		sm->st = SM_HUNT;
		return;
	}
	sm->off = sm->rec_a;
	sm->st = SM_NB;
	sm->nb_have = 0;
	sm->fi = 0;
	sm->replaying = true;
	for (size_t i = 0; i < n; i++) {
		const struct rchunk *r = &sm->rc[i];

		sm__feed_framed(sm, r->data == UINT32_MAX ? NULL : sm->rbuf + r->data, r->len,
				r->seg_start, r->ts);
	}
	sm->replaying = false;
	sm->nf = 0;
	rec__clear(sm);
	sm->off = b_end;
	if (!at_end) {
		sm->st = SM_NB;
		sm->nb_have = 0;
	}
}

/* End of the stream: frame what was kept. */
static void sm__finish(struct smstream *sm)
{
	if (sm->st == SM_REC)
		sm__resolve(sm, sm->off, true);
}

/* Start keeping the stream at the boundary nb_pos, whose header was not (all) captured. */
static void sm__record(struct smstream *sm, const uint8_t *data, uint32_t len, bool seg_start,
		       uint64_t ts)
{
	uint64_t at = sm->off;

	sm->rec_a = sm->nb_pos;
	sm->off = sm->nb_pos;
	rec__clear(sm);
	/* The header's first bytes, when they were captured. */
	if ((sm->nb_valid && !rec__push(sm, sm->nb, sm->nb_valid, false, sm->nb_ts)) ||
	    (sm->nb_have > sm->nb_valid &&
	     !rec__push(sm, NULL, sm->nb_have - sm->nb_valid, false, sm->nb_ts)) ||
	    sm->off != at || !rec__push(sm, data, len, seg_start, ts)) {
		rec__clear(sm);
		sm->off = at + len;
		sm__lost(sm);
		return;
	}
	sm->st = SM_REC;
}

static void sm__feed_framed(struct smstream *sm, const uint8_t *data, uint32_t len, bool seg_start,
			    uint64_t ts)
{
	uint32_t k;

	while (len) {
		switch (sm->st) {
		case SM_REC:
			/* A segment that starts with a header ends the search's stretch. */
			if (seg_start && data && sm__looks_framed(data, len)) {
				sm__resolve(sm, sm->off, false);
				sm->conv->resyncs[sm->dir]++;
				break;
			}
			if (!rec__push(sm, data, len, seg_start, ts)) {
				rec__clear(sm);
				sm->conv->inf_unsolved++;
				sm->off += len;
				sm__lost(sm);
			}
			return;
		case SM_HUNT:
			if (!seg_start || !data || !sm__looks_framed(data, len)) {
				sm->off += len;
				return;
			}
			sm->conv->resyncs[sm->dir]++;
			sm->st = SM_NB;
			sm->nb_have = 0;
			break;
		case SM_NB:
			if (!sm->nb_have) {
				sm->nb_pos = sm->off;
				sm->nb_ts = ts;
				sm->nb_valid = 0;
			}
			/* The search said where PDUs begin: skip those it passed. */
			while (sm->replaying && sm->fi < sm->nf && sm->fpos[sm->fi] < sm->nb_pos)
				sm->fi++;
			if (!data && !sm->replaying) {
				sm__record(sm, data, len, seg_start, ts);
				return;
			}
			k = 4 - sm->nb_have;
			k = k < len ? k : len;
			if (data) {
				if (sm->nb_valid == sm->nb_have) {
					memcpy(sm->nb + sm->nb_have, data, k);
					sm->nb_valid += k;
				}
				data += k;
			}
			sm->nb_have += k;
			sm->off += k;
			len -= k;
			seg_start = false;
			if (sm->nb_have < 4)
				break;
			sm->nb_have = 0;
			sm->skip_pdu = false;
			if (sm->nb_valid < 4) {
				/* Replaying: the search knows this PDU's length. */
				if (sm->fi < sm->nf && sm->fpos[sm->fi] == sm->nb_pos) {
					sm->pdu_len = sm->flen[sm->fi++] - 4;
				} else {
					sm__lost(sm);
					break;
				}
			} else if (sm->nb[0] == 0) {
				sm->pdu_len = be32(sm->nb) & 0x00ffffffu;
			} else if (sm->nb[0] >= 0x81 && sm->nb[0] <= 0x85) {
				/* NetBIOS session service (RFC 1002): 17-bit length, skipped. */
				sm->pdu_len = (uint32_t)(sm->nb[1] & 1) << 16 | be16(sm->nb + 2);
				sm->skip_pdu = true;
				sm->conv->other_pdus++;
			} else {
				sm__lost(sm);
				break;
			}
			if (!sm->pdu_len)
				break;
			sm->st = SM_PDU;
			sm->pos = 0;
			if (sm->skip_pdu)
				sm->msg_off = MSG_NONE;
			else
				sm__next_msg(sm, 0);
			break;
		case SM_PDU:
			if (sm->msg_off != MSG_NONE && sm->pos >= sm->msg_off) {
				k = sm->msg_off + sm->msg_need - sm->pos;
				/* Stop at NextCommand first: a compounded message may be short. */
				if (sm->hdr_have < 24 && k > 24 - sm->hdr_have)
					k = 24 - sm->hdr_have;
				k = k < len ? k : len;
				if (!sm->hdr_have)
					sm->msg_ts = sm->msg_off ? ts : sm->nb_ts;
				if (data && sm->hdr_valid == sm->hdr_have) {
					memcpy(sm->hdr + sm->hdr_have, data, k);
					sm->hdr_valid += k;
				}
				sm->hdr_have += k;
				if (sm->hdr_have == 24 && sm->hdr_valid == 24) {
					uint32_t next = le32(sm->hdr + 20);

					if (next >= P_SMB2_HDR && next < sm->msg_need)
						sm->msg_need = next;
				}
			} else {
				k = sm->msg_off != MSG_NONE ? sm->msg_off - sm->pos
							    : sm->pdu_len - sm->pos;
				k = k < len ? k : len;
			}
			sm->pos += k;
			sm->off += k;
			if (data)
				data += k;
			len -= k;
			seg_start = false;
			if (sm->msg_off != MSG_NONE && sm->hdr_have == sm->msg_need) {
				sm__msg_done(sm->prof, sm, sm->msg_ts);
				if (sm->st == SM_HUNT) {
					sm->off += len;
					return;
				}
			}
			if (sm->pos == sm->pdu_len)
				sm->st = SM_NB;
			break;
		}
	}
}

static void sm__feed(void *arg, const uint8_t *data, uint32_t len, bool seg_start, uint64_t ts)
{
	sm__feed_framed(arg, data, len, seg_start, ts);
}

/* ---- packets ------------------------------------------------------------------------------ */

static uint32_t key_hash(const uint8_t *a, uint16_t port, int alen)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < alen; i++)
		h = (h ^ a[i]) * 16777619u;
	return (h ^ port) * 16777619u;
}

/* The conversation of a packet from (sa, sp) to (da, dp); *dir is the sender's endpoint. */
static struct conv *conv__find(struct iovb_profile *p, uint8_t fam, const uint8_t *sa, uint16_t sp,
			       const uint8_t *da, uint16_t dp, int *dir)
{
	int alen = fam == 4 ? 4 : 16;
	uint32_t h = key_hash(sa, sp, alen) ^ key_hash(da, dp, alen); /* the same both ways */
	struct conv **b = &p->buckets[h & (p->nbuckets - 1)], *c;

	for (c = *b; c; c = c->hnext) {
		if (c->key.fam != fam)
			continue;
		if (c->key.port[0] == sp && c->key.port[1] == dp &&
		    !memcmp(c->key.addr[0], sa, alen) && !memcmp(c->key.addr[1], da, alen)) {
			*dir = 0;
			return c;
		}
		if (c->key.port[0] == dp && c->key.port[1] == sp &&
		    !memcmp(c->key.addr[0], da, alen) && !memcmp(c->key.addr[1], sa, alen)) {
			*dir = 1;
			return c;
		}
	}
	if (p->nconvs >= CONV_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		p->oom = true;
		return NULL;
	}
	c->key.fam = fam;
	memcpy(c->key.addr[0], sa, alen);
	memcpy(c->key.addr[1], da, alen);
	c->key.port[0] = sp;
	c->key.port[1] = dp;
	c->client = -1;
	for (int i = 0; i < 2; i++) {
		c->sm[i].prof = p;
		c->sm[i].conv = c;
		c->sm[i].dir = i;
		c->sm[i].st = SM_HUNT;
	}
	c->hnext = *b;
	*b = c;
	*p->tail = c;
	p->tail = &c->onext;
	p->nconvs++;
	*dir = 0;
	return c;
}

static void conv__unhash(struct iovb_profile *p, struct conv *c)
{
	for (size_t b = 0; b < p->nbuckets; b++) {
		for (struct conv **pp = &p->buckets[b]; *pp; pp = &(*pp)->hnext) {
			if (*pp == c) {
				*pp = c->hnext;
				c->hnext = NULL;
				return;
			}
		}
	}
}

/*
 * A TCP segment: header at t (tlen captured bytes from there), `wire` bytes of TCP header and
 * payload on the wire.
 */
static void tcp__packet(struct iovb_profile *p, uint8_t fam, const uint8_t *sa, const uint8_t *da,
			const uint8_t *t, uint32_t tcap, uint32_t wire, uint64_t ts)
{
	uint32_t hlen, seq, cap, len;
	struct conv *c;
	uint8_t flags;
	int dir;

	if (tcap < 20 || wire < 20) {
		p->skipped++;
		return;
	}
	hlen = (uint32_t)(t[12] >> 4) * 4;
	if (hlen < 20 || hlen > wire || hlen > tcap) {
		p->skipped++;
		return;
	}
	p->tcp_packets++;
	flags = t[13];
	seq = be32(t + 4);
	c = conv__find(p, fam, sa, be16(t), da, be16(t + 2), &dir);
	if (!c)
		return;
	/*
	 * A new connection on the same addresses and ports (a SYN at another sequence number):
	 * a new conversation, MessageIds and sequence numbers start over.
	 */
	if ((flags & 0x12) == 0x02 && c->tcp[dir].started && seq + 1 != c->tcp[dir].nxt) {
		conv__unhash(p, c);
		c = conv__find(p, fam, sa, be16(t), da, be16(t + 2), &dir);
		if (!c)
			return;
	}
	if (!c->packets)
		c->first_ts = p->pkt_ts[ts];
	c->packets++;
	c->last_ts = p->pkt_ts[ts];
	c->last_pkt = ts;
	/* SYN without ACK: the connection's opener, the SMB client. */
	if ((flags & 0x12) == 0x02) {
		c->syn_seen = true;
		if (c->client < 0)
			c->client = dir;
	}
	if (flags & 0x04) /* RST: carries no stream data */
		return;
	len = wire - hlen;
	cap = tcap - hlen;
	if (cap > len)
		cap = len;
	/* Ethernet pads short frames: never more than the IP length says. */
	if (c->sm[dir].st == SM_HUNT && c->tcp[dir].ooo_count > 64)
		tcp_dir__flush(&c->tcp[dir], sm__feed,
			       &c->sm[dir]); /* not SMB2 (yet): no hoarding */
	if (tcp_dir__segment(&c->tcp[dir], seq, t + hlen, cap, len, flags & 0x02, ts, sm__feed,
			     &c->sm[dir]))
		p->oom = true;
}

/* IPv4 or IPv6 at ip, `cap` captured bytes of `wire` on the wire (0: unknown). */
static void ip__packet(struct iovb_profile *p, const uint8_t *ip, uint32_t cap, uint32_t wire,
		       uint64_t ts)
{
	uint32_t hl, tot, off;
	uint8_t nh;

	if (cap < 1)
		goto skip;
	if (ip[0] >> 4 == 4) {
		if (cap < 20)
			goto skip;
		hl = (uint32_t)(ip[0] & 15) * 4;
		tot = be16(ip + 2);
		/* 0: a GSO/GRO (BIG TCP) super-packet beyond 64 KiB; its size is the frame's. */
		if (!tot)
			tot = wire;
		if (tot > wire)
			tot = wire; /* cut by the capture, not the sender: trust the frame */
		if (hl < 20 || hl > cap || hl > tot || ip[9] != 6)
			goto skip;
		/* Fragments: only whole datagrams carry a TCP header we can trust. */
		if (be16(ip + 6) & 0x3fff)
			goto skip;
		tcp__packet(p, 4, ip + 12, ip + 16, ip + hl, cap - hl, tot - hl, ts);
		return;
	}
	if (ip[0] >> 4 == 6) {
		if (cap < 40)
			goto skip;
		tot = be16(ip + 4) + 40u;
		if (tot == 40 || tot > wire)
			tot = wire; /* 0: a jumbogram (RFC 2675) or BIG TCP super-packet */
		nh = ip[6];
		off = 40;
		/* Extension headers before TCP: hop-by-hop, routing, destination options. */
		while (nh == 0 || nh == 43 || nh == 60) {
			if (off + 8 > cap || off + 8 > tot)
				goto skip;
			hl = (ip[off + 1] + 1u) * 8;
			nh = ip[off];
			off += hl;
		}
		if (nh != 6 || off > cap || off > tot)
			goto skip;
		tcp__packet(p, 6, ip + 8, ip + 24, ip + off, cap - off, tot - off, ts);
		return;
	}
skip:
	p->skipped++;
}

/* One frame of the capture's link type, captured at ts_ns. */
static void link__packet(struct iovb_profile *p, const uint8_t *f, uint32_t cap, uint32_t wire,
			 uint64_t ts_ns)
{
	uint64_t ts = p->npkts; /* what the layers above stamp things with */
	uint32_t off, proto;

	if (p->npkts == p->cappkts) {
		size_t n = p->cappkts ? p->cappkts * 2 : 65536;
		uint64_t *v = realloc(p->pkt_ts, n * sizeof(*v));

		if (!v) {
			p->oom = true;
			return;
		}
		p->pkt_ts = v;
		p->cappkts = n;
	}
	p->pkt_ts[p->npkts++] = ts_ns;
	p->packets++;
	p->bytes += wire;
	if (!p->first_ts || ts_ns < p->first_ts)
		p->first_ts = ts_ns;
	if (ts_ns > p->last_ts)
		p->last_ts = ts_ns;
	switch (p->linktype) {
	case DLT_EN10MB:
		off = 12;
		if (cap < 14)
			goto skip;
		proto = be16(f + 12);
		/* 802.1Q, 802.1ad and the old QinQ tag, any number of them. */
		while (proto == 0x8100 || proto == 0x88a8 || proto == 0x9100) {
			off += 4;
			if (cap < off + 2)
				goto skip;
			proto = be16(f + off);
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (cap < 16)
			goto skip;
		proto = be16(f + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (cap < 20)
			goto skip;
		proto = be16(f);
		off = 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		proto = 0;
		off = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/* A 4-byte address family, in the writer's byte order (DLT_NULL) or big-endian. */
		if (cap < 4)
			goto skip;
		proto = 0;
		off = 4;
		break;
	default:
		goto skip;
	}
	if (proto && proto != 0x0800 && proto != 0x86dd)
		goto skip;
	if (off > cap || off > wire)
		goto skip;
	ip__packet(p, f + off, cap - off, wire - off, ts);
	return;
skip:
	p->skipped++;
}

/* ---- reading ----------------------------------------------------------------------------- */

static bool link_ok(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_NULL ||
	       dlt == DLT_LOOP;
}

static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
	unsigned int n = size > (1u << 30) ? 1u << 30 : (unsigned int)size;

	return gzread(cookie, buf, n);
}

static int gz_close(void *cookie)
{
	return gzclose(cookie) == Z_OK ? 0 : EOF;
}

int profile__read_fp(struct iovb_profile *p, FILE *fp, const char *name, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *pc = NULL;
	uint64_t ts;
	int rc, ret = 0;

	if (p->used) {
		ret = -EBUSY;
		iovb_errf(err, errlen, "a profile reads one capture");
		goto cleanup;
	}
	p->used = true;
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!pc) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s: not a capture libpcap reads: %s", name, ebuf);
		goto cleanup;
	}
	fp = NULL; /* pcap_close closes it */
	p->linktype = pcap_datalink(pc);
	if (!link_ok(p->linktype)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s: link type %s is not Ethernet, Linux SLL/SLL2 or raw IP",
			  name, pcap_datalink_val_to_name(p->linktype) ?: "unknown");
		goto cleanup;
	}
	while ((rc = pcap_next_ex(pc, &ph, &data)) == 1) {
		ts = (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec;
		link__packet(p, data, ph->caplen, ph->len < ph->caplen ? ph->caplen : ph->len, ts);
		if (p->oom)
			break;
	}
	if (p->oom) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "%s: out of memory after %" PRIu64 " packets", name,
			  p->packets);
		goto cleanup;
	}
	if (rc == PCAP_ERROR) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s: after %" PRIu64 " packets: %s", name, p->packets,
			  pcap_geterr(pc));
		goto cleanup;
	}
	for (struct conv *c = p->list; c; c = c->onext) {
		for (int i = 0; i < 2; i++) {
			tcp_dir__flush(&c->tcp[i], sm__feed, &c->sm[i]);
			sm__finish(&c->sm[i]);
		}
	}
	if (p->oom) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "%s: out of memory", name);
	}
cleanup:
	if (pc)
		pcap_close(pc);
	if (fp)
		fclose(fp);
	return ret;
}

int profile__read_file(struct iovb_profile *p, const char *path, char *err, size_t errlen)
{
	static const cookie_io_functions_t gz_io = { .read = gz_read, .close = gz_close };
	unsigned char magic[2] = { 0 };
	gzFile gz = NULL;
	FILE *fp, *zfp;
	int ret = 0;

	fp = fopen(path, "rb");
	if (!fp) {
		ret = -errno;
		iovb_errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fread(magic, 1, 2, fp) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		/* gzip: libpcap reads through stdio, so hand it a stream that inflates. */
		rewind(fp); /* the shared file offset too: gzip starts at byte 0 */
		gz = gzdopen(dup(fileno(fp)), "rb");
		fclose(fp);
		fp = NULL;
		if (!gz) {
			ret = -ENOMEM;
			iovb_errf(err, errlen, "%s: zlib cannot open it", path);
			goto cleanup;
		}
		gzbuffer(gz, 256 << 10);
		zfp = fopencookie(gz, "rb", gz_io);
		if (!zfp) {
			ret = -ENOMEM;
			gzclose(gz);
			iovb_errf(err, errlen, "%s: cannot open a decompressing stream", path);
			goto cleanup;
		}
		fp = zfp;
	} else {
		rewind(fp);
	}
	ret = profile__read_fp(p, fp, path, err, errlen);
	fp = NULL;
cleanup:
	if (fp)
		fclose(fp);
	return ret;
}

/* ---- figures ------------------------------------------------------------------------------- */

struct size_count {
	uint32_t size;
	uint64_t count;
};

struct cmd_stats {
	uint64_t count, bytes, done_bytes, unknown_size, guessed_size, errors, unanswered;
	uint64_t sequential, random, unknown_offset;
	uint32_t max_in_flight;
	double mean_in_flight;
	uint64_t t_first, t_last;
	struct size_count *sizes; /* most frequent first */
	size_t nsizes;
};

static int cmp_msgid(const void *a, const void *b)
{
	const struct pio *x = *(struct pio *const *)a, *y = *(struct pio *const *)b;

	return x->msgid < y->msgid ? -1 : x->msgid > y->msgid;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_count_desc(const void *a, const void *b)
{
	const struct size_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

struct ev {
	uint64_t t;
	int d;
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->d - y->d; /* completions first at equal times */
}

static uint32_t io_size(const struct pio *io)
{
	if (io->have & HAVE_LEN)
		return io->len;
	if (io->have & HAVE_DONE)
		return io->done;
	return (io->have & LEN_GUESS) ? io->len : 0;
}

/*
 * Every I/O gets an issue and a completion time. Where the capture lost one side, the time is
 * bounded by MessageId order: a client sends MessageIds in increasing order, so a request not
 * seen went out no earlier than the closest lower MessageId seen; a response not seen arrived no
 * earlier than its request and the closest lower answered MessageId. Requests never answered
 * before the capture ends stay in flight until the conversation's last packet.
 */
static void ios__times(struct conv *c, struct pio **v, size_t n)
{
	uint64_t last_req = 0, last_rsp = 0;
	bool any_req = false, any_rsp = false;
	size_t i, last_answered = 0;
	bool answered = false;

	for (i = 0; i < n; i++) {
		if (v[i]->have & HAVE_RSP) {
			last_answered = i;
			answered = true;
		}
	}
	for (i = 0; i < n; i++) {
		struct pio *io = v[i];

		if (io->have & HAVE_REQ) {
			last_req = io->t_req;
			any_req = true;
		} else {
			io->t_req = any_req ? last_req : io->t_rsp;
			if (io->t_req > io->t_rsp)
				io->t_req = io->t_rsp;
		}
		if (io->have & HAVE_RSP) {
			last_rsp = io->t_rsp;
			any_rsp = true;
		} else if (answered && i < last_answered) {
			io->t_rsp = any_rsp && last_rsp > io->t_req ? last_rsp : io->t_req;
		} else {
			io->t_rsp = c->last_pkt > io->t_req ? c->last_pkt : io->t_req;
		}
	}
}

#define P_READ_WRITE 0xffff /* cmd__stats over both */
#define MATCH(io, c)                                                                               \
	((c) == P_READ_WRITE ? (io)->cmd == P_READ || (io)->cmd == P_WRITE : (io)->cmd == (c))

/*
 * Responses whose MessageId was cut go to the oldest unanswered request of their command sent
 * before them: servers answer a copy's READs and WRITEs about in order.
 */
static int cmp_io_msgid(const void *a, const void *b, void *arg)
{
	const struct pio *ios = arg;
	uint64_t x = ios[*(const size_t *)a].msgid, y = ios[*(const size_t *)b].msgid;

	return x < y ? -1 : x > y;
}

static void areq__take(struct pio *io, const struct anon_req *q)
{
	io->have |= HAVE_REQ | INFERRED;
	io->t_req = q->ts;
	io->charge = q->charge;
	if (q->len_exact || (q->len && !(io->have & HAVE_LEN))) {
		io->len = q->len;
		io->have |= q->len_exact ? HAVE_LEN : LEN_GUESS;
	}
}

/*
 * Requests whose MessageId the capture lost (struct anon_req) get one. A client sends MessageIds
 * in increasing order: when the sequence (last seen + CreditCharges) closes on the next request
 * seen, it is right; else the MessageIds in [lo, hi) between two requests seen of the responses
 * whose request was not seen, in order, command by command. Those left take the MessageId the
 * sequence predicts, when free.
 */
static int areq__assign(struct iovb_profile *p, struct conv *c)
{
	size_t *cand = NULL, ncand = 0, r0, r1, i;
	uint64_t fake = 1ull << 62;
	int err = 0;

	if (!c->nareq)
		return 0;
	cand = malloc((c->nios + 1) * sizeof(*cand));
	if (!cand)
		return -ENOMEM;
	for (i = 0; i < c->nios; i++)
		if ((c->ios[i].have & (HAVE_RSP | HAVE_REQ)) == HAVE_RSP)
			cand[ncand++] = i;
	qsort_r(cand, ncand, sizeof(*cand), cmp_io_msgid, c->ios);
	for (r0 = 0; r0 < c->nareq; r0 = r1) {
		uint64_t lo = c->areq[r0].lo, hi = c->areq[r0].hi, m = lo;
		size_t a, b;

		for (r1 = r0 + 1; r1 < c->nareq && c->areq[r1].hi == hi; r1++)
			;
		/*
		 * The sequence closes on the next request seen (the last one's MessageId plus its
		 * CreditCharge is hi): each takes the MessageId the sequence gives it.
		 */
		if (hi != UINT64_MAX && c->areq[r1 - 1].lo + c->areq[r1 - 1].charge == hi) {
			bool fits = true;

			for (i = r0; i < r1 && fits; i++) {
				const struct pio *io = ios__find(c, c->areq[i].lo);

				fits = !io || (!(io->have & HAVE_REQ) && io->cmd == c->areq[i].cmd);
			}
			for (i = r0; i < r1 && fits; i++) {
				const struct anon_req *q = &c->areq[i];
				struct pio *io = ios__get(c, q->lo);

				if (!io) {
					err = -ENOMEM;
					p->oom = true;
					goto cleanup;
				}
				io->cmd = q->cmd;
				areq__take(io, q);
				c->inf_msgid_seq++;
			}
			if (fits)
				continue;
		}
		/* The first response in range: a binary search. */
		a = 0;
		b = ncand;
		while (a < b) {
			size_t mid = a + (b - a) / 2;

			if (c->ios[cand[mid]].msgid < lo)
				a = mid + 1;
			else
				b = mid;
		}
		/* Command by command: the k-th READ of the run is the k-th READ response. */
		size_t cur[2] = { a, a };

		for (i = r0; i < r1; i++) {
			const struct anon_req *q = &c->areq[i];
			struct pio *io = NULL;
			size_t *pc = &cur[q->cmd == P_WRITE];

			while (*pc < ncand && c->ios[cand[*pc]].msgid < hi &&
			       c->ios[cand[*pc]].cmd != q->cmd)
				(*pc)++;
			if (*pc < ncand && c->ios[cand[*pc]].msgid < hi) {
				io = &c->ios[cand[(*pc)++]];
				c->inf_msgid_rsp++;
			} else {
				io = ios__find(c, m);
				if (io && (io->have & HAVE_REQ || io->cmd != q->cmd))
					io = NULL;
				if (!io)
					io = ios__get(c, ios__find(c, m) ? fake++ : m);
				if (!io) {
					err = -ENOMEM;
					p->oom = true;
					goto cleanup;
				}
				io->cmd = q->cmd;
				c->inf_msgid_seq++;
			}
			m = io->msgid < fake ? io->msgid + q->charge : m + q->charge;
			areq__take(io, q);
		}
	}
cleanup:
	free(cand);
	return err;
}

static void anon__answer(struct conv *c, struct pio *io, const struct anon_rsp *r)
{
	io->have |= HAVE_RSP;
	io->t_rsp = r->ts;
	c->inf_rsp_order++;
	if (r->has_done) {
		io->done = r->done;
		io->have |= HAVE_DONE;
	} else if (io->have & HAVE_LEN) {
		io->done = io->len; /* a WRITE's Count: what it asked to write */
		io->have |= HAVE_DONE;
	}
}

#define ANON_SCAN 4096 /* requests looked at past the oldest unanswered one */

/*
 * First, a response whose DataLength is known goes to the oldest unanswered request of its
 * command sent before it that asked for exactly that Length (a server may answer out of order:
 * a copy's short last READ must not take a full one's place); then the others go to the oldest
 * unanswered request of their command sent before them.
 */
static void anon__assign(struct conv *c, struct pio **v, size_t n)
{
	bool *used = c->nanon ? calloc(c->nanon, sizeof(*used)) : NULL;

	for (int k = 0; k < 2; k++) {
		uint16_t cmd = k ? P_WRITE : P_READ;
		size_t i = 0;

		for (size_t a = 0; used && a < c->nanon; a++) {
			const struct anon_rsp *r = &c->anon[a];

			if (r->cmd != cmd || !r->has_done)
				continue;
			while (i < n && (v[i]->cmd != cmd || (v[i]->have & HAVE_RSP)))
				i++;
			for (size_t j = i; j < n && j < i + ANON_SCAN; j++) {
				struct pio *io = v[j];

				if (io->cmd != cmd || (io->have & HAVE_RSP) ||
				    !(io->have & HAVE_REQ))
					continue;
				if (io->t_req > r->ts)
					break;
				if ((io->have & HAVE_LEN) && io->len == r->done) {
					anon__answer(c, io, r);
					used[a] = true;
					break;
				}
			}
		}
		i = 0;
		for (size_t a = 0; a < c->nanon; a++) {
			const struct anon_rsp *r = &c->anon[a];

			if (r->cmd != cmd || (used && used[a]))
				continue;
			while (i < n && (v[i]->cmd != cmd || (v[i]->have & HAVE_RSP)))
				i++;
			if (i == n)
				break;
			if (!(v[i]->have & HAVE_REQ) || v[i]->t_req > r->ts)
				continue; /* answers nothing we know of */
			anon__answer(c, v[i], r);
		}
	}
	free(used);
}

static int cmd__stats(const struct iovb_profile *p, struct pio **v, size_t n, uint16_t cmd,
		      struct cmd_stats *st)
{
	struct {
		uint64_t file, end;
	} files[16];
	size_t nfiles = 0, i, j, k, ne = 0;
	bool broken = false; /* an I/O before had no offset: no judging a jump */
	uint32_t *sz = NULL;
	struct ev *ev = NULL;
	int32_t cur = 0;
	double area = 0;
	uint64_t prev = 0;
	int err = 0;

	memset(st, 0, sizeof(*st));
	sz = malloc((n + 1) * sizeof(*sz));
	ev = malloc((2 * n + 1) * sizeof(*ev));
	if (!sz || !ev) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct pio *io = v[i];

		/* Offsets are judged across READs and WRITEs, as a mixed copy interleaves them. */
		if (io->have & HAVE_OFF) {
			for (j = 0; j < nfiles && files[j].file != io->file; j++)
				;
			if (MATCH(io, cmd)) {
				if (j < nfiles ? files[j].end == io->offset : io->offset == 0)
					st->sequential++;
				else if (broken)
					st->unknown_offset++;
				else
					st->random++;
			}
			broken = false;
			if (j == nfiles) {
				j = nfiles < 16 ? nfiles++ : (size_t)(io->msgid % 16);
				files[j].file = io->file;
			}
			files[j].end = io->offset + io->len;
		} else {
			broken = true;
			if (MATCH(io, cmd))
				st->unknown_offset++;
		}
		if (!MATCH(io, cmd))
			continue;
		st->count++;
		if (!io_size(io))
			st->unknown_size++;
		else if (!(io->have & (HAVE_LEN | HAVE_DONE)))
			st->guessed_size++;
		st->bytes += io_size(io);
		if (io->have & HAVE_DONE)
			st->done_bytes += io->done;
		if ((io->have & HAVE_RSP) && io->status)
			st->errors++;
		if (!(io->have & HAVE_RSP))
			st->unanswered++;
		sz[ne / 2] = io_size(io);
		ev[ne++] = (struct ev){ io->t_req, +1 };
		ev[ne++] = (struct ev){ io->t_rsp, -1 };
		if (st->count == 1 || io->t_req < st->t_first)
			st->t_first = io->t_req;
		if (io->t_rsp > st->t_last)
			st->t_last = io->t_rsp;
	}
	/* Requests in flight: a sweep over issue (+1) and completion (-1) times. */
	qsort(ev, ne, sizeof(*ev), cmp_ev);
	for (i = 0; i < ne; i++) {
		if (i)
			area += (double)cur * (double)(p->pkt_ts[ev[i].t] - p->pkt_ts[prev]);
		cur += ev[i].d;
		prev = ev[i].t;
		if (cur > 0 && (uint32_t)cur > st->max_in_flight)
			st->max_in_flight = (uint32_t)cur;
	}
	if (st->count) {
		st->t_first = p->pkt_ts[st->t_first];
		st->t_last = p->pkt_ts[st->t_last];
	}
	if (st->t_last > st->t_first)
		st->mean_in_flight = area / (double)(st->t_last - st->t_first);
	else
		st->mean_in_flight = st->count ? NAN : 0;
	/* The I/O size distribution: sort, count runs, most frequent first. */
	k = ne / 2;
	qsort(sz, k, sizeof(*sz), cmp_u32);
	st->sizes = calloc(k + 1, sizeof(*st->sizes));
	if (!st->sizes) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < k; i++) {
		if (!sz[i])
			continue; /* unknown: counted in unknown_size */
		if (st->nsizes && st->sizes[st->nsizes - 1].size == sz[i])
			st->sizes[st->nsizes - 1].count++;
		else
			st->sizes[st->nsizes++] = (struct size_count){ sz[i], 1 };
	}
	qsort(st->sizes, st->nsizes, sizeof(*st->sizes), cmp_count_desc);
cleanup:
	free(sz);
	free(ev);
	return err;
}

static void addr__str(const struct conv *c, int ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(c->key.fam == 4 ? AF_INET : AF_INET6, c->key.addr[ep], a, sizeof(a));
	snprintf(buf, len, c->key.fam == 4 ? "%s:%u" : "[%s]:%u", a, c->key.port[ep]);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

#define SIZES_SHOWN 32

static json_t *cmd__json(const struct cmd_stats *st, const struct cmd_credits *cr, uint64_t t0)
{
	json_t *o = json_object(), *sizes = json_array();
	double dur = st->t_last > st->t_first ? secs(st->t_last - st->t_first) : 0;
	uint64_t other = 0;

	if (!o || !sizes) {
		json_decref(o);
		json_decref(sizes);
		return NULL;
	}
	for (size_t i = 0; i < st->nsizes; i++) {
		if (i < SIZES_SHOWN)
			json_array_append_new(
				sizes, json_pack("{s:I,s:I}", "size", (json_int_t)st->sizes[i].size,
						 "count", (json_int_t)st->sizes[i].count));
		else
			other += st->sizes[i].count;
	}
	json_object_set_new(o, "count", json_integer((json_int_t)st->count));
	json_object_set_new(o, "bytes", json_integer((json_int_t)st->bytes));
	json_object_set_new(o, "bytes_done", json_integer((json_int_t)st->done_bytes));
	json_object_set_new(o, "io_size",
			    st->nsizes ? json_integer(st->sizes[0].size) : json_null());
	json_object_set_new(o, "io_sizes", sizes);
	json_object_set_new(o, "io_sizes_other", json_integer((json_int_t)other));
	json_object_set_new(o, "unknown_size", json_integer((json_int_t)st->unknown_size));
	json_object_set_new(o, "guessed_size", json_integer((json_int_t)st->guessed_size));
	json_object_set_new(o, "sequential", json_integer((json_int_t)st->sequential));
	json_object_set_new(o, "random", json_integer((json_int_t)st->random));
	json_object_set_new(o, "unknown_offset", json_integer((json_int_t)st->unknown_offset));
	json_object_set_new(o, "max_in_flight", json_integer(st->max_in_flight));
	json_object_set_new(o, "mean_in_flight", real_or_null(st->mean_in_flight));
	json_object_set_new(o, "credits_requested", json_integer((json_int_t)cr->requested));
	json_object_set_new(o, "credits_granted", json_integer((json_int_t)cr->granted));
	json_object_set_new(o, "credits_charged", json_integer((json_int_t)cr->charged));
	json_object_set_new(o, "errors", json_integer((json_int_t)st->errors));
	json_object_set_new(o, "unanswered", json_integer((json_int_t)st->unanswered));
	json_object_set_new(o, "start_s",
			    st->count ? json_real(secs(st->t_first - t0)) : json_null());
	json_object_set_new(o, "duration_s", json_real(dur));
	json_object_set_new(o, "throughput_bps",
			    dur > 0 ? json_real((double)st->bytes * 8 / dur) : json_null());
	return o;
}

static json_t *conv__json(const struct iovb_profile *p, struct conv *c, uint64_t t0)
{
	int cl = c->client < 0 ? 0 : c->client, sv = !cl;
	struct cmd_stats rd = { 0 }, wr = { 0 }, rw = { 0 };
	char a[INET6_ADDRSTRLEN + 16];
	json_t *o = NULL, *cmds, *tcp;
	struct pio **v = NULL;
	uint64_t lost;
	double dur;
	size_t i;

	if (areq__assign((struct iovb_profile *)p, c))
		goto cleanup;
	v = malloc((c->nios + 1) * sizeof(*v));
	if (!v)
		goto cleanup;
	for (i = 0; i < c->nios; i++)
		v[i] = &c->ios[i];
	qsort(v, c->nios, sizeof(*v), cmp_msgid);
	anon__assign(c, v, c->nios);
	ios__times(c, v, c->nios);
	if (cmd__stats(p, v, c->nios, P_READ, &rd) || cmd__stats(p, v, c->nios, P_WRITE, &wr) ||
	    cmd__stats(p, v, c->nios, P_READ_WRITE, &rw))
		goto cleanup;
	o = json_object();
	if (!o)
		goto cleanup;
	addr__str(c, cl, a, sizeof(a));
	json_object_set_new(o, "client", json_string(a));
	addr__str(c, sv, a, sizeof(a));
	json_object_set_new(o, "server", json_string(a));
	json_object_set_new(o, "client_known", json_boolean(c->client >= 0));
	json_object_set_new(o, "start_s", json_real(secs(c->first_ts - t0)));
	dur = secs(c->last_ts - c->first_ts);
	json_object_set_new(o, "duration_s", json_real(dur));
	json_object_set_new(o, "packets", json_integer((json_int_t)c->packets));
	json_object_set_new(o, "read", cmd__json(&rd, &c->cred[P_READ], t0));
	json_object_set_new(o, "write", cmd__json(&wr, &c->cred[P_WRITE], t0));
	/* READs and WRITEs together: what a mixed copy's depth is. */
	json_object_set_new(o, "io_max_in_flight", json_integer(rw.max_in_flight));
	json_object_set_new(o, "io_mean_in_flight", real_or_null(rw.mean_in_flight));
	cmds = json_object();
	for (i = 0; i <= P_NCMDS; i++) {
		if (c->cmd_req[i] && i != P_READ && i != P_WRITE)
			json_object_set_new(cmds, i < P_NCMDS ? cmd_names[i] : "other",
					    json_integer((json_int_t)c->cmd_req[i]));
	}
	json_object_set_new(o, "commands", cmds);
	json_object_set_new(o, "smb2_messages",
			    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "to_server",
				      (json_int_t)c->smb_msgs[cl], "to_client",
				      (json_int_t)c->smb_msgs[sv], "compounded",
				      (json_int_t)c->compounded, "lost",
				      (json_int_t)(c->lost_msgs[0] + c->lost_msgs[1]), "resyncs",
				      (json_int_t)(c->resyncs[0] + c->resyncs[1]), "inferred",
				      (json_int_t)(c->inferred[0] + c->inferred[1]), "encrypted",
				      (json_int_t)c->encrypted, "smb1", (json_int_t)c->smb1));
	lost = c->lost_msgs[0] + c->lost_msgs[1];
	json_object_set_new(o, "inference",
			    json_pack("{s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "exact",
				      !lost && !c->inferred[0] && !c->inferred[1], "recovered",
				      !lost && !c->inf_unsolved && !rd.guessed_size &&
					      !rd.unknown_size && !wr.guessed_size &&
					      !wr.unknown_size,
				      "framed_by_search", (json_int_t)c->inf_searched,
				      "sized_by_remainder", (json_int_t)c->inf_free,
				      "msgid_from_response", (json_int_t)c->inf_msgid_rsp,
				      "msgid_from_sequence", (json_int_t)c->inf_msgid_seq,
				      "responses_by_order", (json_int_t)c->inf_rsp_order,
				      "unframed_gaps", (json_int_t)c->inf_unsolved));
	tcp = json_pack("{s:I,s:I}", "to_server", (json_int_t)c->tcp[cl].bytes, "to_client",
			(json_int_t)c->tcp[sv].bytes);
	json_object_set_new(o, "tcp_payload_bytes", tcp);
	json_object_set_new(o, "tcp_snaplen_cut_bytes",
			    json_pack("{s:I,s:I}", "to_server", (json_int_t)c->tcp[cl].cut_bytes,
				      "to_client", (json_int_t)c->tcp[sv].cut_bytes));
	json_object_set_new(o, "tcp_lost_bytes",
			    json_pack("{s:I,s:I}", "to_server", (json_int_t)c->tcp[cl].gap_bytes,
				      "to_client", (json_int_t)c->tcp[sv].gap_bytes));
	json_object_set_new(o, "tcp_retransmitted_bytes",
			    json_pack("{s:I,s:I}", "to_server",
				      (json_int_t)c->tcp[cl].retrans_bytes, "to_client",
				      (json_int_t)c->tcp[sv].retrans_bytes));
	json_object_set_new(
		o, "throughput_bps",
		dur > 0 ? json_real((double)(c->tcp[0].bytes + c->tcp[1].bytes) * 8 / dur)
			: json_null());
cleanup:
	free(rd.sizes);
	free(wr.sizes);
	free(rw.sizes);
	free(v);
	return o;
}

static const char *link_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

json_t *profile__json(const struct iovb_profile *p)
{
	json_t *doc = json_object(), *convs = json_array(), *cj;
	struct conv *c;

	if (!doc || !convs)
		goto fail;
	json_object_set_new(doc, "schema", json_integer(IOVB_PROFILE_SCHEMA));
	json_object_set_new(doc, "kind", json_string("iovbench-profile"));
	json_object_set_new(doc, "link_type", json_string(link_name(p->linktype)));
	json_object_set_new(doc, "packets", json_integer((json_int_t)p->packets));
	json_object_set_new(doc, "bytes", json_integer((json_int_t)p->bytes));
	json_object_set_new(doc, "tcp_packets", json_integer((json_int_t)p->tcp_packets));
	json_object_set_new(doc, "skipped_packets", json_integer((json_int_t)p->skipped));
	json_object_set_new(doc, "duration_s", json_real(secs(p->last_ts - p->first_ts)));
	for (c = p->list; c; c = c->onext) {
		if (!c->smb)
			continue;
		cj = conv__json(p, c, p->first_ts);
		if (!cj)
			goto fail;
		json_array_append_new(convs, cj);
	}
	json_object_set_new(doc, "conversations", convs);
	return doc;
fail:
	json_decref(convs);
	json_decref(doc);
	return NULL;
}

/* ---- workload ---------------------------------------------------------------------------- */

static uint64_t jint(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(json_object_get(o, path1), path2);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

int profile__workload(const json_t *doc, struct iovb_workload *wl, char *err, size_t errlen)
{
	return profile__workload_cmds(doc, IOVB_WL_CMD_READ | IOVB_WL_CMD_WRITE, wl, err, errlen);
}

int profile__workload_cmds(const json_t *doc, unsigned int cmds, struct iovb_workload *wl,
			   char *err, size_t errlen)
{
	static const char *const kinds[] = { "read", "write" };
	struct size_count *sizes = NULL;
	size_t nsizes = 0, cap = 0, i, ci;
	uint64_t nread = 0, nwrite = 0, depth;
	const json_t *convs, *c, *arr, *e;
	int ret = 0;

	memset(wl, 0, sizeof(*wl));
	convs = json_object_get(doc, "conversations");
	if (!json_is_object(doc) || !json_is_array(convs) ||
	    json_integer_value(json_object_get(doc, "schema")) != IOVB_PROFILE_SCHEMA) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "not an iovbench profile (schema %d)", IOVB_PROFILE_SCHEMA);
		goto cleanup;
	}
	json_array_foreach(convs, ci, c) {
		bool rd = cmds & IOVB_WL_CMD_READ, wr = cmds & IOVB_WL_CMD_WRITE;

		nread += rd ? jint(c, "read", "count") : 0;
		nwrite += wr ? jint(c, "write", "count") : 0;
		wl->bytes +=
			(rd ? jint(c, "read", "bytes") : 0) + (wr ? jint(c, "write", "bytes") : 0);
		/* Both commands: the depth of READs and WRITEs together; one: its own. */
		if (rd && wr) {
			const json_t *d = json_object_get(c, "io_max_in_flight");

			depth = json_is_integer(d) ? (uint64_t)json_integer_value(d) : 0;
		} else {
			depth = jint(c, rd ? "read" : "write", "max_in_flight");
		}
		if (depth > wl->depth)
			wl->depth = depth > UINT32_MAX ? UINT32_MAX : (uint32_t)depth;
		for (int k = 0; k < 2; k++) {
			if (!(cmds & (k ? IOVB_WL_CMD_WRITE : IOVB_WL_CMD_READ)))
				continue;
			arr = json_object_get(json_object_get(c, kinds[k]), "io_sizes");
			json_array_foreach(arr, i, e) {
				uint64_t sz, n;
				size_t j;

				sz = json_integer_value(json_object_get(e, "size"));
				n = json_integer_value(json_object_get(e, "count"));
				if (!sz || sz > UINT32_MAX || !n)
					continue;
				for (j = 0; j < nsizes && sizes[j].size != sz; j++)
					;
				if (j == nsizes) {
					if (nsizes == cap) {
						size_t nc = cap ? cap * 2 : 16;
						struct size_count *ns =
							realloc(sizes, nc * sizeof(*ns));

						if (!ns) {
							ret = -ENOMEM;
							iovb_errf(err, errlen, "out of memory");
							goto cleanup;
						}
						sizes = ns;
						cap = nc;
					}
					sizes[nsizes++] = (struct size_count){ (uint32_t)sz, 0 };
				}
				sizes[j].count += n;
			}
		}
	}
	wl->ios = nread + nwrite;
	if (!wl->ios || !nsizes) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "the profile holds no READ or WRITE of a known size");
		goto cleanup;
	}
	if (!nwrite) {
		wl->kind = IOVB_WL_READ;
		wl->read_pct = 100;
	} else if (!nread) {
		wl->kind = IOVB_WL_WRITE;
	} else {
		wl->kind = IOVB_WL_MIXED;
		wl->read_pct = (uint32_t)((nread * 100 + wl->ios / 2) / wl->ios);
	}
	qsort(sizes, nsizes, sizeof(*sizes), cmp_count_desc);
	wl->io_size = sizes[0].size;
	for (i = 0; i < nsizes && i < IOVB_WL_SIZES; i++) {
		wl->sizes[i].size = sizes[i].size;
		wl->sizes[i].count = sizes[i].count;
	}
	wl->nsizes = (uint32_t)i;
	if (!wl->depth)
		wl->depth = 1;
cleanup:
	free(sizes);
	return ret;
}

int profile__workload_file(const char *path, struct iovb_workload *wl, char *err, size_t errlen)
{
	return profile__workload_file_cmds(path, IOVB_WL_CMD_READ | IOVB_WL_CMD_WRITE, wl, err,
					   errlen);
}

int profile__workload_file_cmds(const char *path, unsigned int cmds, struct iovb_workload *wl,
				char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = NULL;
	gzFile gz;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int n, ret = 0;

	/* gzread passes plain files through, so one path reads both. */
	gz = gzopen(path, "rb");
	if (!gz) {
		ret = errno ? -errno : -ENOMEM;
		iovb_errf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	do {
		if (cap - len < 65536) {
			char *nb;

			cap = cap ? cap * 2 : 1 << 20;
			nb = cap > (256u << 20) ? NULL : realloc(buf, cap);
			if (!nb) {
				ret = -EFBIG;
				iovb_errf(err, errlen, "%s: too large for a profile", path);
				goto cleanup;
			}
			buf = nb;
		}
		n = gzread(gz, buf + len, (unsigned)(cap - len));
		if (n < 0) {
			ret = -EINVAL;
			iovb_errf(err, errlen, "%s: cannot decompress it", path);
			goto cleanup;
		}
		len += (size_t)n;
	} while (n > 0);
	doc = json_loadb(buf, len, 0, &je);
	if (!doc) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%s: not JSON: line %d: %s", path, je.line, je.text);
		goto cleanup;
	}
	ret = profile__workload_cmds(doc, cmds, wl, err, errlen);
	if (ret) {
		char why[160];

		snprintf(why, sizeof(why), "%s", err ? err : "");
		iovb_errf(err, errlen, "%s: %s", path, why);
	}
cleanup:
	json_decref(doc);
	free(buf);
	if (gz)
		gzclose(gz);
	return ret;
}
