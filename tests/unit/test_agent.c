// SPDX-License-Identifier: GPL-2.0
/*
 * The agent protocol's pieces that need no network: line framing, the token compare and the
 * token file's checks, and the address arguments of agent and run --server/--guest.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../bench/agent.h"

static void test_take_line(void **state)
{
	char buf[256];
	size_t len;
	json_t *m = NULL;

	(void)state;
	strcpy(buf, "{\"op\":\"meta\"}\n{\"op\":\"st");
	len = strlen(buf);
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), 1);
	assert_string_equal(json_string_value(json_object_get(m, "op")), "meta");
	json_decref(m);
	/* the rest stays for the next read */
	assert_int_equal(len, strlen("{\"op\":\"st"));
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), 0);
	memcpy(buf + len, "op\"}\n", 5);
	len += 5;
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), 1);
	assert_string_equal(json_string_value(json_object_get(m, "op")), "stop");
	json_decref(m);
	assert_int_equal(len, 0);
	/* not an object, not JSON: refused, and the line is gone */
	strcpy(buf, "[1,2]\nnot json\n{\"a\":1}\n");
	len = strlen(buf);
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), -EBADMSG);
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), -EBADMSG);
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), 1);
	json_decref(m);
	/* duplicate keys are refused: no doubt which token was meant */
	strcpy(buf, "{\"token\":\"a\",\"token\":\"b\"}\n");
	len = strlen(buf);
	assert_int_equal(agent__take_line(buf, &len, sizeof(buf), &m), -EBADMSG);
	/* a full buffer without a newline */
	memset(buf, 'x', 16);
	len = 16;
	assert_int_equal(agent__take_line(buf, &len, 16, &m), -E2BIG);
}

/* Send and receive over a socket pair: the framing both ends use. */
static void test_conn_roundtrip(void **state)
{
	struct agent_conn a, b;
	json_t *m = NULL, *msg = json_pack("{ss sI}", "op", "load", "bytes", (json_int_t)1 << 40);
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	agent_conn__init(&a, sv[0]);
	agent_conn__init(&b, sv[1]);
	assert_int_equal(agent_conn__send(&a, msg), 0);
	assert_int_equal(agent_conn__send(&a, msg), 0);
	assert_int_equal(agent_conn__recv(&b, 1000, &m), 0);
	assert_true(json_equal(m, msg));
	json_decref(m);
	assert_int_equal(agent_conn__recv(&b, 1000, &m), 0);
	json_decref(m);
	assert_int_equal(agent_conn__recv(&b, 50, &m), -ETIMEDOUT);
	agent_conn__close(&a);
	assert_int_equal(agent_conn__recv(&b, 1000, &m), -ECONNRESET);
	agent_conn__close(&b);
	agent_conn__close(&b); /* idempotent */
	json_decref(msg);
}

static void test_token_eq(void **state)
{
	(void)state;
	assert_true(agent__token_eq("s3cret", "s3cret"));
	assert_true(agent__token_eq("  s3cret\n", "s3cret"));
	assert_true(agent__token_eq("s3cret", "\ts3cret \r\n"));
	assert_false(agent__token_eq("s3cret", "s3cre"));
	assert_false(agent__token_eq("s3cre", "s3cret"));
	assert_false(agent__token_eq("s3cret", "S3cret"));
	assert_false(agent__token_eq("s3cret", "s3cret2"));
	assert_false(agent__token_eq("a b", "ab"));
	/* an empty token never matches, not even another empty one */
	assert_false(agent__token_eq("", ""));
	assert_false(agent__token_eq(" \n", ""));
}

static void write_file(const char *path, const char *s, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_token_read(void **state)
{
	char dir[] = "/tmp/test_agent.XXXXXX", path[64], tok[AGENT_TOKEN_MAX + 1], err[256];
	char big[AGENT_TOKEN_MAX + 10];
	bool loose;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tok", dir);
	write_file(path, "  abc123\n", 0600);
	assert_int_equal(agent__token_read(path, tok, sizeof(tok), &loose, err, sizeof(err)), 0);
	assert_string_equal(tok, "abc123");
	assert_false(loose);
	write_file(path, "abc123\n", 0644);
	assert_int_equal(agent__token_read(path, tok, sizeof(tok), &loose, err, sizeof(err)), 0);
	assert_true(loose);
	write_file(path, " \n\n", 0600);
	assert_int_equal(agent__token_read(path, tok, sizeof(tok), &loose, err, sizeof(err)),
			 -ENODATA);
	assert_non_null(strstr(err, "empty"));
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(path, big, 0600);
	assert_int_equal(agent__token_read(path, tok, sizeof(tok), &loose, err, sizeof(err)),
			 -E2BIG);
	unlink(path);
	assert_int_equal(agent__token_read(path, tok, sizeof(tok), &loose, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, path));
	rmdir(dir);
}

static void test_addresses(void **state)
{
	char name[40], host[64];
	uint16_t port;

	(void)state;
	assert_int_equal(agent__hostport("10.99.0.2:7420", host, sizeof(host), &port, 1), 0);
	assert_string_equal(host, "10.99.0.2");
	assert_int_equal(port, 7420);
	assert_int_equal(agent__hostport("[fd00::2]:80", host, sizeof(host), &port, 1), 0);
	assert_string_equal(host, "fd00::2");
	assert_int_equal(agent__hostport("fd00::2:80", host, sizeof(host), &port, 1), -EINVAL);
	assert_int_equal(agent__hostport("host:0", host, sizeof(host), &port, 1), -EINVAL);
	assert_int_equal(agent__hostport("host:0", host, sizeof(host), &port, 0), 0);
	assert_int_equal(agent__hostport("host:65536", host, sizeof(host), &port, 1), -EINVAL);
	assert_int_equal(agent__hostport(":80", host, sizeof(host), &port, 1), -EINVAL);
	assert_int_equal(agent__hostport("host", host, sizeof(host), &port, 1), -EINVAL);

	assert_int_equal(agent__guest_spec("vm-1=10.0.0.5:7420", name, sizeof(name), host,
					   sizeof(host), &port),
			 0);
	assert_string_equal(name, "vm-1");
	assert_string_equal(host, "10.0.0.5");
	assert_int_equal(port, 7420);
	assert_int_equal(
		agent__guest_spec("10.0.0.5:7420", name, sizeof(name), host, sizeof(host), &port),
		-EINVAL);
	assert_int_equal(
		agent__guest_spec("=10.0.0.5:7420", name, sizeof(name), host, sizeof(host), &port),
		-EINVAL);
	assert_int_equal(agent__guest_spec("a b=10.0.0.5:7420", name, sizeof(name), host,
					   sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(
		agent__guest_spec("vm=10.0.0.5", name, sizeof(name), host, sizeof(host), &port),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_line), cmocka_unit_test(test_conn_roundtrip),
		cmocka_unit_test(test_token_eq),  cmocka_unit_test(test_token_read),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
