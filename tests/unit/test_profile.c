// SPDX-License-Identifier: GPL-2.0
/*
 * The capture profiler on small captures written here with libpcap: two READs in one segment,
 * a response split, reordered and retransmitted, a compounded WRITE + CLOSE; the same cut by a
 * snaplen, behind VLAN tags, over IPv6 and Linux SLL2, gzip-compressed; READ responses whose
 * headers a snaplen cut, framed by the search; bad files; and the workload a profile document
 * describes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include <zlib.h>
#include <cmocka.h>

#include "iovb/profile.h"

/* ---- a capture writer ------------------------------------------------------------------- */

enum link { L_ETH, L_VLAN, L_SLL2, L_RAW };

struct capw {
	char path[64];
	pcap_t *dead;
	pcap_dumper_t *d;
	enum link link;
	bool v6;
	uint32_t snap;
	uint64_t usec;
	uint32_t seq[2]; /* next sequence number: client, server */
};

static void le16p(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32p(uint8_t *p, uint32_t v)
{
	le16p(p, (uint16_t)v);
	le16p(p + 2, (uint16_t)(v >> 16));
}

static void le64p(uint8_t *p, uint64_t v)
{
	le32p(p, (uint32_t)v);
	le32p(p + 4, (uint32_t)(v >> 32));
}

static void be16p(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32p(uint8_t *p, uint32_t v)
{
	be16p(p, (uint16_t)(v >> 16));
	be16p(p + 2, (uint16_t)v);
}

static void capw_open(struct capw *w, enum link link, bool v6, uint32_t snap)
{
	int dlt = link == L_SLL2 ? DLT_LINUX_SLL2 : link == L_RAW ? DLT_RAW : DLT_EN10MB;

	memset(w, 0, sizeof(*w));
	strcpy(w->path, "/tmp/iovb-test-profile-XXXXXX");
	close(mkstemp(w->path));
	w->link = link;
	w->v6 = v6;
	w->snap = snap;
	w->seq[0] = 1000;
	w->seq[1] = 900000;
	w->dead = pcap_open_dead(dlt, 262144);
	assert_non_null(w->dead);
	w->d = pcap_dump_open(w->dead, w->path);
	assert_non_null(w->d);
}

static void capw_close(struct capw *w)
{
	pcap_dump_close(w->d);
	pcap_close(w->dead);
}

/*
 * One TCP segment from the client (dir 0) or server (dir 1) at sequence `seq` (0: the next one).
 * Returns the sequence number after it.
 */
static uint32_t seg(struct capw *w, int dir, uint32_t seq, uint8_t flags, const uint8_t *pl,
		    size_t len)
{
	static uint8_t f[300000];
	struct pcap_pkthdr ph;
	size_t off = 0, iphl = w->v6 ? 40 : 20;
	uint16_t ports[2] = { 40000, 445 };

	if (!seq)
		seq = w->seq[dir];
	memset(f, 0, 128);
	if (w->link == L_ETH || w->link == L_VLAN) {
		f[5] = (uint8_t)(1 + dir);
		f[11] = (uint8_t)(2 - dir);
		off = 12;
		if (w->link == L_VLAN) {
			be16p(f + off, 0x88a8); /* QinQ: two tags */
			be16p(f + off + 4, 0x8100);
			off += 8;
		}
		be16p(f + off, w->v6 ? 0x86dd : 0x0800);
		off += 2;
	} else if (w->link == L_SLL2) {
		be16p(f, w->v6 ? 0x86dd : 0x0800);
		off = 20;
	}
	if (w->v6) {
		f[off] = 0x60;
		be16p(f + off + 4, (uint16_t)(20 + len));
		f[off + 6] = 6;
		f[off + 7] = 64;
		f[off + 8 + 15] = (uint8_t)(1 + dir); /* ::1 and ::2 */
		f[off + 24 + 15] = (uint8_t)(2 - dir);
	} else {
		f[off] = 0x45;
		be16p(f + off + 2, (uint16_t)(20 + 20 + len));
		f[off + 8] = 64;
		f[off + 9] = 6;
		be32p(f + off + 12, 0x0a000001u + (uint32_t)dir);
		be32p(f + off + 16, 0x0a000002u - (uint32_t)dir);
	}
	off += iphl;
	be16p(f + off, ports[dir]);
	be16p(f + off + 2, ports[!dir]);
	be32p(f + off + 4, seq);
	f[off + 12] = 5 << 4;
	f[off + 13] = flags;
	off += 20;
	if (len)
		memcpy(f + off, pl, len);
	ph.len = (uint32_t)(off + len);
	ph.caplen = ph.len < w->snap ? ph.len : w->snap;
	w->usec += 100;
	ph.ts.tv_sec = 1700000000 + (time_t)(w->usec / 1000000);
	ph.ts.tv_usec = (suseconds_t)(w->usec % 1000000);
	pcap_dump((u_char *)w->d, &ph, f);
	seq += (uint32_t)len + ((flags & 0x02) ? 1 : 0);
	if ((int32_t)(seq - w->seq[dir]) > 0)
		w->seq[dir] = seq;
	return seq;
}

/* ---- SMB2 messages ------------------------------------------------------------------------ */

/* Header at p: command, response?, MessageId, CreditCharge, NextCommand. */
static void hdr(uint8_t *p, uint16_t cmd, bool rsp, uint64_t msgid, uint16_t charge, uint32_t next)
{
	memset(p, 0, 64);
	memcpy(p, "\xfeSMB", 4);
	le16p(p + 4, 64);
	le16p(p + 6, charge);
	le16p(p + 12, cmd);
	le16p(p + 14, 8); /* credits asked or granted */
	le32p(p + 16, rsp ? 1 : 0);
	le32p(p + 20, next);
	le64p(p + 24, msgid);
}

static size_t nb(uint8_t *p, size_t msg_len)
{
	be32p(p, (uint32_t)msg_len);
	return 4 + msg_len;
}

static size_t read_req(uint8_t *p, uint64_t msgid, uint32_t len, uint64_t off)
{
	uint8_t *m = p + 4;

	hdr(m, 8, false, msgid, 1, 0);
	memset(m + 64, 0, 49);
	le16p(m + 64, 49);
	m[66] = 0x50;
	le32p(m + 68, len);
	le64p(m + 72, off);
	le64p(m + 80, 7); /* FileId */
	return nb(p, 64 + 49);
}

static size_t read_rsp(uint8_t *p, uint64_t msgid, uint32_t len)
{
	uint8_t *m = p + 4;

	hdr(m, 8, true, msgid, 1, 0);
	memset(m + 64, 0, 16 + len);
	le16p(m + 64, 17);
	m[66] = 0x50;
	le32p(m + 68, len);
	return nb(p, 64 + 16 + len);
}

/* A compounded WRITE of `len` bytes at offset 0, then a CLOSE: one PDU. */
static size_t write_close_req(uint8_t *p, uint64_t msgid, uint32_t len)
{
	uint8_t *m = p + 4;
	uint32_t first = (64 + 48 + len + 7) & ~7u;

	hdr(m, 9, false, msgid, 1, first);
	memset(m + 64, 0, first - 64);
	le16p(m + 64, 49);
	le16p(m + 66, 0x70);
	le32p(m + 68, len);
	le64p(m + 80, 7);
	hdr(m + first, 6, false, msgid + 1, 1, 0);
	memset(m + first + 64, 0, 24);
	le16p(m + first + 64, 24);
	return nb(p, first + 64 + 24);
}

static size_t write_close_rsp(uint8_t *p, uint64_t msgid, uint32_t len)
{
	uint8_t *m = p + 4;

	hdr(m, 9, true, msgid, 1, 88);
	memset(m + 64, 0, 24);
	le16p(m + 64, 17);
	le32p(m + 68, len);
	hdr(m + 88, 6, true, msgid + 1, 1, 0);
	memset(m + 88 + 64, 0, 60);
	le16p(m + 88 + 64, 60);
	return nb(p, 88 + 64 + 60);
}

/* The scenario of this file: see the top. */
static void scenario(struct capw *w)
{
	static uint8_t b[20000];
	size_t n, half;
	uint32_t s1;

	seg(w, 0, 0, 0x02, NULL, 0); /* SYN */
	seg(w, 1, 0, 0x12, NULL, 0); /* SYN-ACK */
	n = read_req(b, 1, 4096, 0);
	n += read_req(b + n, 2, 4096, 4096);
	seg(w, 0, 0, 0x18, b, n); /* both READs in one segment */
	n = read_rsp(b, 1, 4096);
	half = n / 2;
	s1 = w->seq[1];
	seg(w, 1, s1 + (uint32_t)half, 0x18, b + half, n - half); /* second half first */
	seg(w, 1, s1, 0x18, b, half);
	seg(w, 1, s1, 0x18, b, half); /* a retransmission */
	n = read_rsp(b, 2, 4096);
	seg(w, 1, 0, 0x18, b, n);
	n = write_close_req(b, 3, 100);
	seg(w, 0, 0, 0x18, b, n);
	n = write_close_rsp(b, 3, 100);
	seg(w, 1, 0, 0x18, b, n);
	seg(w, 0, 0, 0x11, NULL, 0); /* FIN */
}

static json_t *profile_of(const char *path)
{
	struct iovb_profile *p = profile__new();
	char err[256] = "";
	json_t *doc;
	int rc;

	assert_non_null(p);
	rc = profile__read_file(p, path, err, sizeof(err));
	if (rc)
		fail_msg("profile %s: %s", path, err);
	doc = profile__json(p);
	assert_non_null(doc);
	profile__free(p);
	return doc;
}

static long long geti(const json_t *doc, const char *path)
{
	char buf[128], *tok, *save = NULL;
	const json_t *v = doc;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok))
				     : json_object_get(v, tok);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

static void check_scenario(const json_t *doc, bool cut)
{
	const json_t *c = json_array_get(json_object_get(doc, "conversations"), 0);

	assert_int_equal(json_array_size(json_object_get(doc, "conversations")), 1);
	assert_int_equal(geti(c, "read.count"), 2);
	assert_int_equal(geti(c, "read.bytes"), 8192);
	assert_int_equal(geti(c, "read.bytes_done"), 8192);
	assert_int_equal(geti(c, "read.io_size"), 4096);
	assert_int_equal(geti(c, "read.max_in_flight"), 2);
	assert_int_equal(geti(c, "read.sequential"), cut ? 1 : 2);
	assert_int_equal(geti(c, "write.count"), 1);
	assert_int_equal(geti(c, "write.bytes"), 100);
	assert_int_equal(geti(c, "write.max_in_flight"), 1);
	if (!cut) {
		assert_int_equal(geti(c, "commands.CLOSE"), 1);
		assert_int_equal(geti(c, "smb2_messages.compounded"), 2);
	}
	assert_int_equal(geti(c, "tcp_retransmitted_bytes.to_client"), (4 + 64 + 16 + 4096) / 2);
	assert_int_equal(geti(c, "tcp_payload_bytes.to_server"), 2 * 117 + 4 + 8 * 27 + 64 + 24);
	assert_int_equal(geti(c, "tcp_payload_bytes.to_client"), 2 * 4180 + 4 + 88 + 124);
	assert_string_equal(json_string_value(json_object_get(c, "server")),
			    strchr(json_string_value(json_object_get(c, "server")), '[')
				    ? "[::2]:445"
				    : "10.0.0.2:445");
}

static void run_scenario(enum link link, bool v6, uint32_t snap, bool cut)
{
	struct capw w;
	json_t *doc;

	capw_open(&w, link, v6, snap);
	scenario(&w);
	capw_close(&w);
	doc = profile_of(w.path);
	check_scenario(doc, cut);
	json_decref(doc);
	unlink(w.path);
}

static void test_ethernet(void **state)
{
	run_scenario(L_ETH, false, 262144, false);
}

/*
 * 54 bytes of headers + 150 of payload: the second READ request loses its header (its response
 * tells its size), the compounded CLOSE is lost; counts, bytes and depth stay exact.
 */
static void test_snaplen(void **state)
{
	run_scenario(L_ETH, false, 54 + 150, true);
}

static void test_vlan_ipv6(void **state)
{
	run_scenario(L_VLAN, true, 262144, false);
}

static void test_sll2_raw(void **state)
{
	run_scenario(L_SLL2, false, 262144, false);
	run_scenario(L_RAW, true, 262144, false);
}

/* The same addresses and ports again, a new SYN: a second conversation, counted apart. */
static void test_port_reuse(void **state)
{
	struct capw w;
	json_t *doc, *convs;

	capw_open(&w, L_ETH, false, 262144);
	scenario(&w);
	w.seq[0] = 77777777;
	w.seq[1] = 3000000000u;
	scenario(&w);
	capw_close(&w);
	doc = profile_of(w.path);
	convs = json_object_get(doc, "conversations");
	assert_int_equal(json_array_size(convs), 2);
	for (size_t i = 0; i < 2; i++) {
		const json_t *c = json_array_get(convs, i);

		assert_int_equal(geti(c, "read.count"), 2);
		assert_int_equal(geti(c, "read.bytes"), 8192);
		assert_int_equal(geti(c, "write.count"), 1);
	}
	json_decref(doc);
	unlink(w.path);
}

static void test_gzip(void **state)
{
	char gzpath[80], buf[65536];
	struct capw w;
	json_t *doc;
	FILE *in;
	gzFile gz;
	size_t n;

	capw_open(&w, L_ETH, false, 262144);
	scenario(&w);
	capw_close(&w);
	snprintf(gzpath, sizeof(gzpath), "%s.gz", w.path);
	in = fopen(w.path, "rb");
	gz = gzopen(gzpath, "wb");
	assert_non_null(in);
	assert_non_null(gz);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(gzwrite(gz, buf, (unsigned)n), (int)n);
	fclose(in);
	gzclose(gz);
	doc = profile_of(gzpath);
	check_scenario(doc, false);
	json_decref(doc);
	unlink(w.path);
	unlink(gzpath);
}

/* Bad files: one -EINVAL with a reason each, nothing else. */
static void expect_bad(const void *data, size_t len, const char *why)
{
	char path[] = "/tmp/iovb-test-profile-bad-XXXXXX", err[256] = "";
	struct iovb_profile *p = profile__new();
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(profile__read_file(p, path, err, sizeof(err)), -EINVAL);
	if (!err[0] || strchr(err, '\n'))
		fail_msg("%s: no one-line reason: '%s'", why, err);
	profile__free(p);
	unlink(path);
}

static void test_bad_files(void **state)
{
	/* A pcap file header: magic, 2.4, zone, sigfigs, snaplen, Ethernet. */
	uint8_t fh[24 + 16 + 64] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	uint8_t *rec = fh + 24;

	expect_bad("not a capture at all", 20, "bad magic");
	expect_bad(fh, 10, "short file header");
	le32p(fh + 16, 262144);
	le32p(fh + 20, 1);
	le32p(rec + 8, 64);
	le32p(rec + 12, 64);
	expect_bad(fh, 24 + 7, "truncated record header");
	expect_bad(fh, 24 + 16 + 20, "truncated record");
	le32p(rec + 8, 0x7fffffff); /* an absurd caplen */
	le32p(rec + 12, 0x7fffffff);
	expect_bad(fh, sizeof(fh), "absurd length");
	le32p(fh + 20, 147); /* a link type the profiler does not read (DLT_USER0) */
	le32p(rec + 8, 64);
	le32p(rec + 12, 64);
	expect_bad(fh, sizeof(fh), "link type");
}

/* Snaplen 0 in the file header: libpcap takes it as "no limit"; an empty capture profiles. */
/* An interim STATUS_PENDING response (ERROR body, 73 bytes) to the request msgid. */
static size_t interim(uint8_t *p, uint64_t msgid)
{
	uint8_t *m = p + 4;

	hdr(m, 8, true, msgid, 1, 0);
	le32p(m + 8, 0x103);
	le32p(m + 16, 3); /* response, async */
	memset(m + 64, 0, 9);
	le16p(m + 64, 9);
	return nb(p, 64 + 9);
}

/*
 * Cut at 150 bytes of payload: four READs (the last short), answered by an interim response and
 * the four READ responses back-to-back in one segment, so the headers of the last three lie in
 * the cut part; then an ECHO. The framing search sizes them from the requests' Lengths: exact,
 * and the profile says it recovered them.
 */
static void test_search(void **state)
{
	static uint8_t b[20000];
	const json_t *c;
	struct capw w;
	json_t *doc;
	size_t n;

	capw_open(&w, L_ETH, false, 54 + 150);
	seg(&w, 0, 0, 0x02, NULL, 0);
	seg(&w, 1, 0, 0x12, NULL, 0);
	for (int i = 0; i < 4; i++) {
		n = read_req(b, 1 + i, i < 3 ? 4096 : 1000, 4096u * i);
		seg(&w, 0, 0, 0x18, b, n);
	}
	n = interim(b, 3);
	for (int i = 0; i < 4; i++)
		n += read_rsp(b + n, 1 + i, i < 3 ? 4096 : 1000);
	seg(&w, 1, 0, 0x18, b, n);
	hdr(b + 4, 13, true, 5, 1, 0); /* an ECHO response: a header the search lands on */
	memset(b + 68, 0, 4);
	le16p(b + 68, 4);
	seg(&w, 1, 0, 0x18, b, nb(b, 68));
	seg(&w, 0, 0, 0x11, NULL, 0);
	capw_close(&w);
	doc = profile_of(w.path);
	c = json_array_get(json_object_get(doc, "conversations"), 0);
	assert_int_equal(geti(c, "read.count"), 4);
	assert_int_equal(geti(c, "read.bytes"), 3 * 4096 + 1000);
	assert_int_equal(geti(c, "read.bytes_done"), 3 * 4096 + 1000);
	assert_int_equal(geti(c, "read.unanswered"), 0);
	assert_int_equal(geti(c, "read.max_in_flight"), 4);
	assert_int_equal(geti(c, "smb2_messages.lost"), 0);
	assert_true(geti(c, "inference.framed_by_search") >= 2);
	assert_true(json_is_true(json_object_get(json_object_get(c, "inference"), "recovered")));
	assert_true(json_is_false(json_object_get(json_object_get(c, "inference"), "exact")));
	json_decref(doc);
	unlink(w.path);
}

static void test_snaplen0_empty(void **state)
{
	uint8_t fh[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	char path[] = "/tmp/iovb-test-profile-0-XXXXXX";
	json_t *doc;
	int fd = mkstemp(path);

	le32p(fh + 20, 1);
	assert_int_equal(write(fd, fh, sizeof(fh)), (ssize_t)sizeof(fh));
	close(fd);
	doc = profile_of(path);
	assert_int_equal(json_array_size(json_object_get(doc, "conversations")), 0);
	assert_int_equal(geti(doc, "packets"), 0);
	json_decref(doc);
	unlink(path);
}

static void test_workload(void **state)
{
	struct iovb_workload wl;
	char err[256];
	json_t *doc;
	struct capw w;

	capw_open(&w, L_ETH, false, 262144);
	scenario(&w);
	capw_close(&w);
	doc = profile_of(w.path);
	assert_int_equal(profile__workload(doc, &wl, err, sizeof(err)), 0);
	assert_int_equal(wl.kind, IOVB_WL_MIXED);
	assert_int_equal(wl.read_pct, 67); /* 2 of 3 I/Os */
	assert_int_equal(wl.io_size, 4096);
	assert_int_equal(wl.depth, 2);
	assert_int_equal(wl.bytes, 8192 + 100);
	assert_int_equal(wl.nsizes, 2);
	assert_int_equal(wl.sizes[1].size, 100);
	json_decref(doc);
	unlink(w.path);

	doc = json_loads("{\"schema\": 1, \"conversations\": []}", 0, NULL);
	assert_int_equal(profile__workload(doc, &wl, err, sizeof(err)), -EINVAL);
	json_decref(doc);
	doc = json_loads("{\"schema\": 2, \"conversations\": []}", 0, NULL);
	assert_int_equal(profile__workload(doc, &wl, err, sizeof(err)), -EINVAL);
	json_decref(doc);
	assert_int_equal(profile__workload_file("/nonexistent/p.json", &wl, err, sizeof(err)),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet),  cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_vlan_ipv6), cmocka_unit_test(test_sll2_raw),
		cmocka_unit_test(test_gzip),	  cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_bad_files), cmocka_unit_test(test_snaplen0_empty),
		cmocka_unit_test(test_workload),  cmocka_unit_test(test_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
