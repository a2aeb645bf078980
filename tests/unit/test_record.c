// SPDX-License-Identifier: GPL-2.0
/* The record's writer and reader: round trip, atomic write, and every way a file can be bad. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "iovb/record.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/iovb-test-record-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/r.json.gz", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static json_t *sample(void)
{
	struct iovb_hist h;

	iovb_hist__init(&h);
	for (uint64_t v = 1000; v < 2000000; v += 997)
		iovb_hist__add(&h, v);
	return json_pack("{si s{ss} s[{ss sI so so}] so}", "schema", IOVB_RECORD_SCHEMA, "meta",
			 "label", "t\xc3\xa9st", "runs", "path", "pv", "bytes",
			 (json_int_t)(20ULL << 30), "nan", record__real(NAN), "lat",
			 record__hist_us(&h), "big", json_integer(INT64_MAX));
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	json_t *rec = sample(), *back;

	assert_int_equal(record__write(rec, f->path, err, sizeof(err)), 0);
	back = record__read(f->path, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(rec, back));
	/* NaN went out as null: JSON has no NaN. */
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(back, "runs"), 0),
						 "nan")));
	json_decref(back);
	json_decref(rec);
}

static void test_is_gzip(void **state)
{
	struct fx *f = *state;
	char err[256];
	unsigned char magic[2];
	json_t *rec = sample();
	FILE *fp;

	assert_int_equal(record__write(rec, f->path, err, sizeof(err)), 0);
	fp = fopen(f->path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(magic, 1, 2, fp), 2);
	fclose(fp);
	assert_int_equal(magic[0], 0x1f);
	assert_int_equal(magic[1], 0x8b);
	json_decref(rec);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_failure_leaves_nothing(void **state)
{
	struct fx *f = *state;
	char err[256] = "", path[256];
	json_t *rec = sample();

	snprintf(path, sizeof(path), "%s/no/such/dir/r.json.gz", f->dir);
	assert_int_equal(record__write(rec, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create"));
	/* Over an existing directory: rename fails, and the temp file is removed. */
	snprintf(path, sizeof(path), "%s/adir", f->dir);
	assert_int_equal(system("true"), 0);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "mkdir '%s' && touch '%s/x'", path, path);
		assert_int_equal(system(cmd), 0);
	}
	assert_true(record__write(rec, path, err, sizeof(err)) < 0);
	assert_int_equal(count_entries(f->dir), 1);
	json_decref(rec);
}

static void write_raw(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static void write_gz(const char *path, const char *text, size_t keep)
{
	unsigned char out[4096];
	uLongf outlen = sizeof(out);
	z_stream zs = { 0 };

	/* A gzip stream (windowBits 31), cut to `keep` bytes when keep is non-zero. */
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = out;
	zs.avail_out = (uInt)outlen;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	outlen = zs.total_out;
	deflateEnd(&zs);
	write_raw(path, out, keep ? keep : outlen);
}

static void expect_read_error(const char *path, const char *needle)
{
	char err[256] = "";
	json_t *r = record__read(path, err, sizeof(err));

	assert_null(r);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not say '%s'", err, needle);
}

static void test_bad_files(void **state)
{
	struct fx *f = *state;
	const char *ok = "{\"schema\": 1, \"runs\": [{\"path\": \"pv\", \"bytes\": 123456789}]}";
	unsigned char junk[512];

	expect_read_error(f->path, "cannot open");
	write_gz(f->path, ok, 25);
	expect_read_error(f->path, "corrupt or truncated");
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	junk[0] = 0x1f;
	junk[1] = 0x8b;
	write_raw(f->path, junk, sizeof(junk));
	expect_read_error(f->path, "corrupt");
	write_gz(f->path, "{\"schema\": 1, \"runs\": [", 0);
	expect_read_error(f->path, "not valid JSON");
	write_gz(f->path, "{\"schema\": 7}", 0);
	expect_read_error(f->path, "schema 7");
	write_gz(f->path, "{\"runs\": []}", 0);
	expect_read_error(f->path, "not an iovbench record");
	write_gz(f->path, "{\"schema\": 1, \"schema\": 1}", 0);
	expect_read_error(f->path, "not valid JSON");
	/* Plain (uncompressed) JSON is read as is. */
	write_raw(f->path, ok, strlen(ok));
	{
		char err[256];
		json_t *r = record__read(f->path, err, sizeof(err));

		assert_non_null(r);
		json_decref(r);
	}
}

/* The nominal clock: the model name's "@ GHz" first, else cpu MHz, else nothing (-ENODATA). */
static void test_cpu_nominal(void **state)
{
	char fn[] = "/tmp/iovb-test-cpuinfo-XXXXXX";
	json_t *cpu = json_object();
	int fd = mkstemp(fn);
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	assert_true(fabs(record__model_mhz("Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz") - 2800) <
		    1e-9);
	assert_true(isnan(record__model_mhz("AMD EPYC")));
	assert_true(isnan(record__model_mhz("weird @ fastGHz")));
	assert_true(isnan(record__model_mhz(NULL)));

	f = fopen(fn, "w");
	fputs("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\ncpu MHz\t\t: "
	      "2199.998\n\nprocessor\t: 1\n",
	      f);
	fclose(f);
	assert_int_equal(record__cpu_nominal(cpu, fn), 0);
	assert_true(fabs(json_number_value(json_object_get(cpu, "nominal_mhz")) - 2200) < 1e-9);
	assert_non_null(strstr(json_string_value(json_object_get(cpu, "nominal_mhz_source")),
			       "model name"));

	f = fopen(fn, "w");
	fputs("processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2096.014\n", f);
	fclose(f);
	assert_int_equal(record__cpu_nominal(cpu, fn), 0);
	assert_true(fabs(json_number_value(json_object_get(cpu, "nominal_mhz")) - 2096.014) < 1e-9);
	assert_non_null(
		strstr(json_string_value(json_object_get(cpu, "nominal_mhz_source")), "cpu MHz"));

	f = fopen(fn, "w");
	fputs("processor\t: 0\nmodel name\t: AMD EPYC\n", f);
	fclose(f);
	assert_int_equal(record__cpu_nominal(cpu, fn), -ENODATA);
	assert_int_equal(record__cpu_nominal(cpu, "/nonexistent/cpuinfo"), -ENOENT);
	unlink(fn);
	json_decref(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_is_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test(test_cpu_nominal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
