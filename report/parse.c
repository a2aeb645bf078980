// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsing of numbers, sizes, durations and rates (contract in include/iovb/parse.h).
 * Digits are scanned by hand rather than with strtoull() so that signs, leading blanks and
 * "0x" prefixes, which strtoull() quietly accepts, are rejected, and fractions are exact
 * integer arithmetic: "0.3K" is 307, never 306 from a binary-floating 0.29999.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "iovb/parse.h"

struct parse_unit {
	const char *name;
	uint64_t mult;
};

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define TIB (UINT64_C(1) << 40)
#define KB UINT64_C(1000)
#define MB UINT64_C(1000000)
#define GB UINT64_C(1000000000)
#define TB UINT64_C(1000000000000)
#define NS_PER_S UINT64_C(1000000000)

/* One unit a line reads better than the packed grid clang-format would make. */
/* clang-format off */
static const struct parse_unit size_units[] = {
	{ "B", 1 },
	{ "K", KIB },
	{ "M", MIB },
	{ "G", GIB },
	{ "T", TIB },
	{ "KiB", KIB },
	{ "MiB", MIB },
	{ "GiB", GIB },
	{ "TiB", TIB },
	{ "kB", KB },
	{ "KB", KB },
	{ "MB", MB },
	{ "GB", GB },
	{ "TB", TB },
};

static const struct parse_unit duration_units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "ms", 1000000 },
	{ "s", NS_PER_S },
	{ "m", 60 * NS_PER_S },
	{ "h", 3600 * NS_PER_S },
};

/*
 * tc(8) spells rates case-insensitively ("10Gbit" and "10gbit" both work there), so these are
 * matched with strcasecmp(). "bps" is deliberately absent: in tc it means bytes per second, and
 * accepting it here as bits would silently be off by 8.
 */
static const struct parse_unit rate_units[] = {
	{ "bit", 1 },
	{ "kbit", KB },
	{ "mbit", MB },
	{ "gbit", GB },
	{ "tbit", TB },
	{ "k", KB },
	{ "m", MB },
	{ "g", GB },
	{ "t", TB },
};
/* clang-format on */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A scanned "digits[.digits]suffix": pointers into the caller's string. */
struct decimal {
	const char *int_digits;
	size_t int_len;
	const char *frac_digits;
	size_t frac_len;
	const char *suffix;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Split s into integer digits, optional fraction digits and suffix. Both digit runs non-empty. */
static int decimal__scan(const char *s, struct decimal *d)
{
	const char *p = s;
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!s || !is_digit(*p)) {
		err = -EINVAL;
		goto cleanup;
	}
	d->int_digits = p;
	while (is_digit(*p))
		p++;
	d->int_len = p - d->int_digits;
	if (*p == '.') {
		p++;
		d->frac_digits = p;
		while (is_digit(*p))
			p++;
		d->frac_len = p - d->frac_digits;
		/* "1." is a typo more often than a number: refuse it. */
		if (!d->frac_len) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	d->suffix = p;
cleanup:
	return err;
}

/* Accumulate decimal digits; -ERANGE past UINT64_MAX. */
static int digits__to_u64(const char *digits, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	int err = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(digits[i] - '0'), &v)) {
			err = -ERANGE;
			goto cleanup;
		}
	}
	*out = v;
cleanup:
	return err;
}

/*
 * floor(0.d1d2...dn * mult), exact for any number of digits. Horner's rule from the last digit:
 * t_n = dn * mult, t_i = di * mult + floor(t_{i+1} / 10), result floor(t_1 / 10). Flooring at each
 * step loses nothing because floor(floor(x) / 10) == floor(x / 10) for x >= 0, and t stays below
 * 10 * mult, which fits in 64 bits for every unit in the tables above.
 */
static uint64_t fraction__scale(const char *digits, size_t len, uint64_t mult)
{
	uint64_t t = 0;
	size_t i;

	for (i = len; i > 0; i--)
		t = (uint64_t)(digits[i - 1] - '0') * mult + t / 10;
	return t / 10;
}

static const struct parse_unit *unit__find(const struct parse_unit *units, size_t n,
					   const char *name, bool ignore_case)
{
	const struct parse_unit *found = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (ignore_case ? !strcasecmp(units[i].name, name) : !strcmp(units[i].name, name)) {
			found = &units[i];
			break;
		}
	}
	return found;
}

/*
 * The shared body of size, duration and rate parsing. A fraction needs a unit bigger than the
 * base one: "1.5B" or "1.5ns" would have to round away a part of the smallest unit, which is
 * more likely a mistake than an intent.
 */
static int parse_scaled(const char *s, const struct parse_unit *units, size_t nunits,
			uint64_t bare_mult, bool ignore_case, uint64_t *out)
{
	const struct parse_unit *unit;
	struct decimal d;
	uint64_t mult, whole, v;
	int err;

	err = decimal__scan(s, &d);
	if (err)
		goto cleanup;
	if (*d.suffix) {
		unit = unit__find(units, nunits, d.suffix, ignore_case);
		if (!unit) {
			err = -EINVAL;
			goto cleanup;
		}
		mult = unit->mult;
	} else {
		mult = bare_mult;
	}
	if (d.frac_len && mult == 1) {
		err = -EINVAL;
		goto cleanup;
	}
	err = digits__to_u64(d.int_digits, d.int_len, &whole);
	if (err)
		goto cleanup;
	if (__builtin_mul_overflow(whole, mult, &v) ||
	    __builtin_add_overflow(v, fraction__scale(d.frac_digits, d.frac_len, mult), &v)) {
		err = -ERANGE;
		goto cleanup;
	}
	*out = v;
cleanup:
	return err;
}

int iovb_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	struct decimal d;
	uint64_t v;
	int err;

	if (!out || min > max) {
		err = -EINVAL;
		goto cleanup;
	}
	err = decimal__scan(s, &d);
	if (err)
		goto cleanup;
	if (d.frac_len || *d.suffix) {
		err = -EINVAL;
		goto cleanup;
	}
	err = digits__to_u64(d.int_digits, d.int_len, &v);
	if (err)
		goto cleanup;
	if (v < min || v > max) {
		err = -ERANGE;
		goto cleanup;
	}
	*out = v;
cleanup:
	return err;
}

int iovb_parse_size(const char *s, uint64_t *out)
{
	int err = -EINVAL;

	if (out)
		err = parse_scaled(s, size_units, ARRAY_SIZE(size_units), 1, false, out);
	return err;
}

int iovb_parse_duration_ns(const char *s, uint64_t *out)
{
	int err = -EINVAL;

	if (out)
		err = parse_scaled(s, duration_units, ARRAY_SIZE(duration_units), NS_PER_S, false,
				   out);
	return err;
}

int iovb_parse_rate_bps(const char *s, uint64_t *out)
{
	int err = -EINVAL;

	if (out)
		err = parse_scaled(s, rate_units, ARRAY_SIZE(rate_units), 1, true, out);
	return err;
}
