// SPDX-License-Identifier: GPL-2.0
/* Unit tests for report/parse.c: good inputs give exact values, bad ones leave *out alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "iovb/parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL UINT64_C(0xdeadbeefcafe)

struct good {
	const char *s;
	uint64_t want;
};

struct bad {
	const char *s;
	int err;
};

typedef int (*parse_fn)(const char *s, uint64_t *out);

static void check_good(parse_fn fn, const struct good *t, size_t n)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = SENTINEL;
		if (fn(t[i].s, &v) != 0 || v != t[i].want)
			fail_msg("\"%s\": got %llu (err %d), want %llu", t[i].s,
				 (unsigned long long)v, fn(t[i].s, &v),
				 (unsigned long long)t[i].want);
	}
}

static void check_bad(parse_fn fn, const struct bad *t, size_t n)
{
	uint64_t v;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		v = SENTINEL;
		err = fn(t[i].s, &v);
		if (err != t[i].err || v != SENTINEL)
			fail_msg("\"%s\": got err %d value %llu, want err %d and *out untouched",
				 t[i].s ? t[i].s : "(null)", err, (unsigned long long)v, t[i].err);
	}
}

/* Inputs no parser may accept. */
static const struct bad common_bad[] = {
	{NULL, -EINVAL},  {"", -EINVAL},      {"-1", -EINVAL},	   {"+1", -EINVAL},
	{" 1", -EINVAL},  {"1 ", -EINVAL},    {"\t1", -EINVAL},	   {"1\n", -EINVAL},
	{"abc", -EINVAL}, {"1x", -EINVAL},    {"0x10", -EINVAL},   {".5K", -EINVAL},
	{"1.K", -EINVAL}, {"1..5K", -EINVAL}, {"1.5.5K", -EINVAL}, {"1e3", -EINVAL},
	{"1 M", -EINVAL}, {"1,5K", -EINVAL},  {"K", -EINVAL},	   {"1_000", -EINVAL},
	{"nan", -EINVAL}, {"inf", -EINVAL},   {"١", -EINVAL},
};

static int parse_u64_any(const char *s, uint64_t *out)
{
	return iovb_parse_u64(s, 0, UINT64_MAX, out);
}

static void test_u64(void **state)
{
	static const struct good good[] = {
		{"0", 0},
		{"7", 7},
		{"000123", 123},
		{"4294967296", UINT64_C(4294967296)},
		{"18446744073709551615", UINT64_MAX},
		{"000000000000000000000000018446744073709551615", UINT64_MAX},
	};
	static const struct bad bad[] = {
		{"18446744073709551616", -ERANGE},
		{"99999999999999999999999", -ERANGE},
		{"1K", -EINVAL},
		{"1.0", -EINVAL},
		{"1B", -EINVAL},
	};
	uint64_t v;

	(void)state;
	check_good(parse_u64_any, good, ARRAY_SIZE(good));
	check_bad(parse_u64_any, bad, ARRAY_SIZE(bad));
	check_bad(parse_u64_any, common_bad, ARRAY_SIZE(common_bad));

	/* Bounds are inclusive; outside them is -ERANGE and *out untouched. */
	v = SENTINEL;
	assert_int_equal(iovb_parse_u64("1", 1, 10, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(iovb_parse_u64("10", 1, 10, &v), 0);
	assert_int_equal(v, 10);
	v = SENTINEL;
	assert_int_equal(iovb_parse_u64("0", 1, 10, &v), -ERANGE);
	assert_int_equal(iovb_parse_u64("11", 1, 10, &v), -ERANGE);
	assert_int_equal(v, SENTINEL);
	/* Not a number beats out of range. */
	assert_int_equal(iovb_parse_u64("11x", 1, 10, &v), -EINVAL);
	/* Inverted bounds and a NULL out are caller bugs. */
	assert_int_equal(iovb_parse_u64("5", 10, 1, &v), -EINVAL);
	assert_int_equal(iovb_parse_u64("5", 0, 10, NULL), -EINVAL);
}

static void test_size(void **state)
{
	static const struct good good[] = {
		{"0", 0},
		{"4096", 4096},
		{"4096B", 4096},
		{"0B", 0},
		{"1K", 1024},
		{"4K", 4096},
		{"4KiB", 4096},
		{"1M", 1 << 20},
		{"1MiB", 1 << 20},
		{"1G", 1 << 30},
		{"1GiB", 1 << 30},
		{"1T", UINT64_C(1) << 40},
		{"1TiB", UINT64_C(1) << 40},
		{"1kB", 1000},
		{"1KB", 1000},
		{"1MB", 1000000},
		{"20GB", UINT64_C(20000000000)},
		{"3TB", UINT64_C(3000000000000)},
		{"0.3K", 307}, /* 307.2, rounded down */
		{"1.5K", 1536},
		{"1.5G", UINT64_C(1610612736)},
		{"0.1M", 104857}, /* 104857.6 */
		{"0.5KB", 500},
		{"2.25MB", 2250000},
		{"0.999K", 1022}, /* 1022.976 */
		{"1.0000000000000000000000000001K", 1024},
		{"0.0000000000000000000000000001T", 0},
		{"1.9999999999999999999999999999K", 2047},
		/* Largest sizes that still fit. */
		{"18446744073709551615B", UINT64_MAX},
		{"16777215T", UINT64_C(16777215) << 40},
		{"16777215.999999999999T", UINT64_MAX - 1}, /* 2^64 - 1.0995 */
	};
	static const struct bad bad[] = {
		{"18446744073709551616", -ERANGE},
		{"16777216T", -ERANGE}, /* 2^64 */
		{"16777216TiB", -ERANGE},
		{"18446744073709552KB", -ERANGE},
		{"18446744073709551615.5K", -ERANGE},
		{"99999999999999999999999K", -ERANGE},
		{"16E", -EINVAL}, /* exa and peta are not size units here */
		{"1P", -EINVAL},
		{"1k", -EINVAL},  /* lower-case k only in "kB" */
		{"1Kb", -EINVAL}, /* bits are not a size */
		{"1KIB", -EINVAL},
		{"1mb", -EINVAL},
		{"1Ki", -EINVAL},
		{"1BB", -EINVAL},
		{"1.5", -EINVAL}, /* fraction without a unit */
		{"1.5B", -EINVAL},
		{"1s", -EINVAL},
	};

	(void)state;
	check_good(iovb_parse_size, good, ARRAY_SIZE(good));
	check_bad(iovb_parse_size, bad, ARRAY_SIZE(bad));
	check_bad(iovb_parse_size, common_bad, ARRAY_SIZE(common_bad));
	assert_int_equal(iovb_parse_size("1K", NULL), -EINVAL);
}

static void test_size_fraction_exact(void **state)
{
	char s[32];
	uint64_t v, m;
	unsigned i, k;

	(void)state;
	/* Every 3-digit fraction with every binary unit against exact integer arithmetic. */
	for (k = 1; k <= 4; k++) {
		m = UINT64_C(1) << (10 * k);
		for (i = 0; i < 1000; i++) {
			snprintf(s, sizeof(s), "7.%03u%c", i, "KMGT"[k - 1]);
			assert_int_equal(iovb_parse_size(s, &v), 0);
			assert_int_equal(v, 7 * m + i * m / 1000);
		}
	}
}

static void test_duration(void **state)
{
	static const struct good good[] = {
		{"0", 0},
		{"10", UINT64_C(10000000000)}, /* bare is seconds */
		{"10s", UINT64_C(10000000000)},
		{"1.5s", UINT64_C(1500000000)},
		{"1.5", UINT64_C(1500000000)},
		{"0.000000001s", 1},
		{"0.0000000019s", 1},
		{"500ms", 500000000},
		{"2.5ms", 2500000},
		{"250us", 250000},
		{"1.5us", 1500},
		{"100ns", 100},
		{"0ns", 0},
		{"2m", UINT64_C(120000000000)},
		{"1.5m", UINT64_C(90000000000)},
		{"1h", UINT64_C(3600000000000)},
		{"0.25h", UINT64_C(900000000000)},
		{"18446744073709551615ns", UINT64_MAX},
		{"18446744073s", UINT64_C(18446744073000000000)},
	};
	static const struct bad bad[] = {
		{"18446744074s", -ERANGE}, {"18446744074", -ERANGE},
		{"5124096h", -ERANGE},	   {"18446744073709551616ns", -ERANGE},
		{"1.5ns", -EINVAL},	   {"10S", -EINVAL},
		{"10sec", -EINVAL},	   {"10min", -EINVAL},
		{"1d", -EINVAL},	   {"10 s", -EINVAL},
		{"10µs", -EINVAL},	   {"1K", -EINVAL},
	};

	(void)state;
	check_good(iovb_parse_duration_ns, good, ARRAY_SIZE(good));
	check_bad(iovb_parse_duration_ns, bad, ARRAY_SIZE(bad));
	check_bad(iovb_parse_duration_ns, common_bad, ARRAY_SIZE(common_bad));
	assert_int_equal(iovb_parse_duration_ns("1s", NULL), -EINVAL);
}

static void test_rate(void **state)
{
	static const struct good good[] = {
		{"800", 800},
		{"800bit", 800},
		{"1kbit", 1000},
		{"100mbit", 100000000},
		{"10gbit", UINT64_C(10000000000)},
		{"10Gbit", UINT64_C(10000000000)},
		{"10GBIT", UINT64_C(10000000000)},
		{"1tbit", UINT64_C(1000000000000)},
		{"10G", UINT64_C(10000000000)},
		{"100M", 100000000},
		{"1K", 1000},
		{"1T", UINT64_C(1000000000000)},
		{"10g", UINT64_C(10000000000)},
		{"2.5G", UINT64_C(2500000000)},
		{"2.5gbit", UINT64_C(2500000000)},
		{"0.0015kbit", 1},
		{"18446744tbit", UINT64_C(18446744000000000000)},
	};
	static const struct bad bad[] = {
		{"18446745tbit", -ERANGE}, {"18446744073709551616", -ERANGE},
		{"1.5", -EINVAL},	   {"1.5bit", -EINVAL},
		{"10bps", -EINVAL}, /* tc's bps is bytes: refused rather than misread */
		{"10mbps", -EINVAL},	   {"10gb", -EINVAL},
		{"10Gb", -EINVAL},	   {"10kibit", -EINVAL},
		{"10 gbit", -EINVAL},	   {"10bits", -EINVAL},
		{"10s", -EINVAL},
	};

	(void)state;
	check_good(iovb_parse_rate_bps, good, ARRAY_SIZE(good));
	check_bad(iovb_parse_rate_bps, bad, ARRAY_SIZE(bad));
	check_bad(iovb_parse_rate_bps, common_bad, ARRAY_SIZE(common_bad));
	assert_int_equal(iovb_parse_rate_bps("1G", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_fraction_exact),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
