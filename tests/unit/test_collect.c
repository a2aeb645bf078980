// SPDX-License-Identifier: GPL-2.0
/*
 * The collect pieces that need no privileges: the softirq histogram's bucket function (the BPF
 * side's own code) and its record form, the wire collector's per-packet accounting on
 * hand-made LINUX_SLL2 frames, and the collect summary derived from a record.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <cmocka.h>

#include "iovb/collect_sum.h"
#include "iovb/netcpu.h"
#include "iovb/record.h"
#include "iovb/wire.h"
#include "../../collectors/netcpu.h" /* nc_log2: the BPF side's own bucket function */

static void test_log2_buckets(void **state)
{
	(void)state;
	assert_int_equal(nc_log2(0), 0);
	assert_int_equal(nc_log2(1), 0);
	assert_int_equal(nc_log2(2), 1);
	assert_int_equal(nc_log2(3), 1);
	assert_int_equal(nc_log2(1023), 9);
	assert_int_equal(nc_log2(1024), 10);
	assert_int_equal(nc_log2(UINT64_MAX), 63);
	/* every power of two and its neighbours land in [2^k, 2^(k+1)) */
	for (unsigned k = 1; k < 64; k++) {
		assert_int_equal(nc_log2(1ULL << k), k);
		assert_int_equal(nc_log2((1ULL << k) - 1), k - 1);
		assert_int_equal(nc_log2((1ULL << k) + 1), k == 1 ? 1 : k);
	}
	assert_int_equal(wire__hist_slot(1500), 10);
	assert_int_equal(wire__hist_slot(65226), 15);
	assert_int_equal(wire__hist_slot(1ULL << 40), WIRE_HIST_SLOTS - 1);
}

static void test_log2_hist_json(void **state)
{
	uint64_t slots[NETCPU_HIST_SLOTS] = { 0 };
	json_t *h, *l;

	(void)state;
	slots[0] = 2;
	slots[10] = 7;
	slots[NETCPU_HIST_SLOTS - 1] = 1;
	h = record__log2_hist(slots, NETCPU_HIST_SLOTS, "ns");
	assert_string_equal(json_string_value(json_object_get(h, "unit")), "ns");
	l = json_object_get(h, "log2");
	/* only the non-empty buckets, [lower bound, count], in order */
	assert_int_equal(json_array_size(l), 3);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(l, 0), 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(l, 0), 1)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(l, 1), 0)), 1024);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(l, 1), 1)), 7);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(l, 2), 0)),
			 1LL << (NETCPU_HIST_SLOTS - 1));
	json_decref(h);
	memset(slots, 0, sizeof(slots));
	h = record__log2_hist(slots, NETCPU_HIST_SLOTS, "ns");
	assert_int_equal(json_array_size(json_object_get(h, "log2")), 0);
	json_decref(h);
}

/* An SLL2 + IPv4 + TCP frame: iplen bytes of IP packet, only the headers present. */
static size_t frame(uint8_t *b, uint32_t ifindex, int outgoing, uint16_t iplen, uint32_t seq,
		    uint16_t sport)
{
	memset(b, 0, 80);
	b[0] = 0x08; /* ETH_P_IP */
	b[4] = (uint8_t)(ifindex >> 24);
	b[5] = (uint8_t)(ifindex >> 16);
	b[6] = (uint8_t)(ifindex >> 8);
	b[7] = (uint8_t)ifindex;
	b[10] = outgoing ? 4 : 0;
	b[20] = 0x45;
	b[22] = (uint8_t)(iplen >> 8);
	b[23] = (uint8_t)iplen;
	b[29] = 6; /* TCP */
	b[32] = 10, b[35] = 1;
	b[36] = 10, b[39] = 2;
	b[40] = (uint8_t)(sport >> 8);
	b[41] = (uint8_t)sport;
	b[43] = 80;
	b[44] = (uint8_t)(seq >> 24);
	b[45] = (uint8_t)(seq >> 16);
	b[46] = (uint8_t)(seq >> 8);
	b[47] = (uint8_t)seq;
	b[52] = 0x80; /* doff 8: 32-byte header with options */
	return 20 + 20 + 32;
}

static void test_wire_accounting(void **state)
{
	struct wire_stats ifs = { .nifs = 1 }, out = { 0 };
	const struct wire_dir *tx, *rx;
	struct wire_acct *a;
	uint8_t b[80];
	size_t cap;

	(void)state;
	strcpy(ifs.ifs[0].name, "eth0");
	ifs.ifs[0].ifindex = 7;
	a = wire_acct__new(&ifs);
	assert_non_null(a);
	/* a 64 KiB GSO super-packet, then the next, then a repeat of the first (retransmission) */
	cap = frame(b, 7, 1, 65226, 1000, 445);
	assert_int_equal(wire_acct__packet(a, b, (uint32_t)cap, 20 + 65226), 1);
	cap = frame(b, 7, 1, 65226, 1000 + 65226 - 52, 445);
	assert_int_equal(wire_acct__packet(a, b, (uint32_t)cap, 20 + 65226), 1);
	cap = frame(b, 7, 1, 1500, 1000, 445);
	assert_int_equal(wire_acct__packet(a, b, (uint32_t)cap, 20 + 1500), 1);
	/* a pure ACK the other way, and a wrap of the sequence space that is no repeat */
	cap = frame(b, 7, 0, 52, 5, 80);
	assert_int_equal(wire_acct__packet(a, b, (uint32_t)cap, 20 + 52), 1);
	cap = frame(b, 7, 1, 1052, 0xfffffe00u, 446);
	wire_acct__packet(a, b, (uint32_t)cap, 20 + 1052);
	cap = frame(b, 7, 1, 1052, 0xfffffe00u + 1000, 446);
	wire_acct__packet(a, b, (uint32_t)cap, 20 + 1052);
	/* another interface's packet is not ours; a frame cut before the TCP header is counted */
	cap = frame(b, 9, 1, 1500, 1, 1);
	assert_int_equal(wire_acct__packet(a, b, (uint32_t)cap, 20 + 1500), 0);
	cap = frame(b, 7, 0, 1500, 1, 1);
	assert_int_equal(wire_acct__packet(a, b, 40, 20 + 1500), 1);

	wire_acct__read(a, &out);
	tx = &out.ifs[0].dir[WIRE_TX];
	rx = &out.ifs[0].dir[WIRE_RX];
	assert_int_equal(tx->packets, 5);
	assert_int_equal(tx->bytes, 65226 * 2 + 1500 + 1052 * 2);
	assert_int_equal(tx->tcp_payload_bytes, (65226 - 52) * 2 + (1500 - 52) + 1000 * 2);
	assert_int_equal(tx->retrans_packets, 1);
	assert_int_equal(tx->retrans_bytes, 1500 - 52);
	assert_int_equal(tx->size_hist[15], 2);
	assert_int_equal(tx->size_hist[10], 3);
	assert_int_equal(rx->packets, 2);
	assert_int_equal(rx->tcp_payload_bytes, 0);
	assert_int_equal(out.truncated, 1);
	assert_int_equal(out.flows, 3);
	wire_acct__free(a);
}

static json_t *collect_record(void)
{
	static const char text[] =
		"{\"schema\": 1, \"workload\": {\"kind\": \"collect\"}, \"status\": \"ok\","
		" \"collectors\": [{\"name\": \"procfs\", \"status\": \"ok\"},"
		"  {\"name\": \"perf\", \"status\": \"unavailable\", \"error\": \"perf: no\"}],"
		" \"runs\": [{\"path\": \"collect\", \"window\": {\"duration_ns\": 2000000000},"
		"  \"collectors\": {"
		"   \"procfs\": {\"softirqs\": {\"NET_RX\": [600, 400]},"
		"              \"overhead\": {\"cpu_ns\": 1234}},"
		"   \"bpf\": {\"softirq\": {\"NET_RX\": {\"count\": [598, 400], \"ns\": [5000, "
		"7000]}},"
		"           \"softirq_hist\": {\"NET_RX\": {\"unit\": \"ns\", \"log2\": [[4096, "
		"998]]}},"
		"           \"overhead\": {\"cpu_ns\": 777, \"prog_run_cnt\": 4000}}}}]}";

	return json_loads(text, 0, NULL);
}

static void test_summary(void **state)
{
	json_t *rec, *sum, *rx;

	(void)state;
	rec = collect_record();
	assert_non_null(rec);
	sum = collect__summary(rec);
	assert_non_null(sum);
	rx = json_object_get(json_object_get(sum, "softirq"), "NET_RX");
	assert_int_equal(json_integer_value(json_object_get(rx, "bpf_count")), 998);
	assert_int_equal(json_integer_value(json_object_get(rx, "procfs_count")), 1000);
	assert_int_equal(json_integer_value(json_object_get(rx, "bpf_ns")), 12000);
	/* a vector the record lacks: null, never 0 */
	assert_true(json_is_null(json_object_get(
		json_object_get(json_object_get(sum, "softirq"), "TIMER"), "bpf_count")));
	assert_true(fabs(json_real_value(json_object_get(json_object_get(sum, "checks"),
							 "softirq_count_rel_err")) -
			 0.002) < 1e-9);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(sum, "overhead"), "bpf"), "cpu_ns")),
		777);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(json_object_get(sum, "overhead"), "procfs"), "cpu_ns")),
		1234);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(sum, "collectors"), "perf")),
		"unavailable");
	assert_null(json_object_get(sum, "perf"));
	json_decref(sum);
	/* a run record is not a collect record */
	json_object_set_new(json_object_get(rec, "workload"), "kind", json_string("read"));
	assert_null(collect__summary(rec));
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log2_buckets),
		cmocka_unit_test(test_log2_hist_json),
		cmocka_unit_test(test_wire_accounting),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
