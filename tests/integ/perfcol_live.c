// SPDX-License-Identifier: GPL-2.0
/*
 * perfcol_live: the perf collector for real. A bulk TCP transfer over loopback (our own sockets,
 * two threads, ~2 s) runs inside the window; the samples must be there, none lost, NET_RX time
 * seen, and most kernel samples charged to named modules (the table found and used), not to
 * "kernel"/"unknown". Root only: every test skips, saying why, when run without it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "iovb/perfcol.h"
#include "iovb/rec_perf.h"

#define XFER_SECS 2.0
#define CHUNK (64 * 1024)

#define need_root()                                                                                \
	do {                                                                                       \
		if (geteuid() != 0) {                                                              \
			print_message("perfcol_live: skipped, needs root (system-wide perf)\n");   \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

struct xfer {
	int lfd;
	uint16_t port;
	uint64_t sent, received;
	int rx_err, tx_err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *rx_thread(void *arg)
{
	struct xfer *x = arg;
	char *buf = malloc(CHUNK);
	ssize_t n;
	int fd;

	fd = accept(x->lfd, NULL, NULL);
	if (fd < 0 || !buf) {
		x->rx_err = errno ? errno : ENOMEM;
		goto out;
	}
	while ((n = recv(fd, buf, CHUNK, 0)) > 0)
		x->received += (uint64_t)n;
	if (n < 0)
		x->rx_err = errno;
	close(fd);
out:
	free(buf);
	return NULL;
}

static void *tx_thread(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct xfer *x = arg;
	char *buf = calloc(1, CHUNK);
	double end = now_s() + XFER_SECS;
	ssize_t n;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(x->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		x->tx_err = errno ? errno : ENOMEM;
		goto out;
	}
	while (now_s() < end) {
		n = send(fd, buf, CHUNK, 0);
		if (n < 0) {
			x->tx_err = errno;
			break;
		}
		x->sent += (uint64_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void loopback_bulk(struct xfer *x)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	pthread_t rx, tx;
	int one = 1;

	memset(x, 0, sizeof(*x));
	x->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(x->lfd >= 0);
	setsockopt(x->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(x->lfd, 1), 0);
	assert_int_equal(getsockname(x->lfd, (struct sockaddr *)&sa, &len), 0);
	x->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&rx, NULL, rx_thread, x), 0);
	assert_int_equal(pthread_create(&tx, NULL, tx_thread, x), 0);
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);
	close(x->lfd);
	assert_int_equal(x->tx_err, 0);
	assert_int_equal(x->rx_err, 0);
	assert_true(x->received > 0);
	assert_true(x->received == x->sent);
}

static bool named(const char *module)
{
	return strcmp(module, "kernel") && strcmp(module, "unknown");
}

static void test_loopback_attribution(void **state)
{
	struct perfcol_stats st = { 0 };
	struct perfcol_conf conf = { 0 };
	uint64_t rx_named = 0, rx_ns = 0, busy = 0, busy_named = 0;
	struct perfcol *pc;
	struct xfer x;
	char err[256] = "";
	json_t *j;
	size_t i;

	(void)state;
	need_root();
	pc = perfcol__open(&conf, err, sizeof(err));
	if (!pc)
		fail_msg("perfcol__open: %s", err);
	assert_int_equal(perfcol__start(pc), 0);
	assert_int_equal(perfcol__start(pc), -EINVAL); /* already running */
	loopback_bulk(&x);
	assert_int_equal(perfcol__stop(pc, &st), 0);

	print_message("perfcol_live: %.1f MB over loopback; %llu samples (period %llu ns, %u CPUs,"
		      " %.2f s), lost %llu, unresolved %llu, via helper %llu, reader %.1f ms CPU; "
		      "table %s (%zu)\n",
		      (double)x.received / 1e6, (unsigned long long)st.nsamples,
		      (unsigned long long)st.period_ns, st.ncpu, (double)st.window_ns / 1e9,
		      (unsigned long long)st.lost, (unsigned long long)st.unresolved,
		      (unsigned long long)st.via_helper, (double)st.reader_cpu_ns / 1e6,
		      st.table_path, st.table_entries);
	for (i = 0; i < st.ncells && i < 25; i++)
		print_message("  %-12s %-8s %6llu samples %8.1f ms\n", st.cells[i].module,
			      perfcol_ctx__name(st.cells[i].ctx),
			      (unsigned long long)st.cells[i].samples,
			      (double)st.cells[i].ns / 1e6);
	for (i = 0; i < st.nmodules && i < 8; i++) {
		print_message("  top of %-10s", st.modules[i].module);
		for (size_t k = 0; k < st.modules[i].ntop; k++)
			print_message(" %s (%llu)", st.modules[i].top[k].name,
				      (unsigned long long)st.modules[i].top[k].samples);
		print_message("\n");
	}

	assert_true(st.table_path[0] != '\0');
	assert_true(st.table_entries > 100);
	assert_true(st.nsamples > 0);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.period_ns, 1000000000ULL / PERFCOL_DEFAULT_HZ);
	for (i = 0; i < st.ncells; i++) {
		const struct perfcol_cell *c = &st.cells[i];

		assert_int_equal(c->ns, c->samples * st.period_ns);
		if (c->ctx == PERFCOL_CTX_NET_RX) {
			rx_ns += c->ns;
			rx_named += named(c->module) ? c->samples : 0;
		}
		if (c->ctx != PERFCOL_CTX_IDLE) {
			busy += c->samples;
			busy_named += named(c->module) ? c->samples : 0;
		}
	}
	assert_true(rx_ns > 0);
	assert_int_equal(rx_ns, st.ctx_samples[PERFCOL_CTX_NET_RX] * st.period_ns);
	/* the table names the receive path's code: tcp/ip, core-net, loopback, lib copies */
	assert_true(rx_named * 2 >= st.ctx_samples[PERFCOL_CTX_NET_RX]);
	assert_true(busy_named * 2 >= busy);

	j = record__perf(&st);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "source")), "perf-sample");
	assert_non_null(strstr(json_string_value(json_object_get(j, "caveat")), "interrupts off"));
	assert_int_equal(json_integer_value(json_object_get(j, "samples")), st.nsamples);
	assert_int_equal(json_array_size(json_object_get(j, "modules")), st.ncells);
	json_decref(j);

	perfcol_stats__free(&st);
	/* a second window on the same collector starts from zero */
	assert_int_equal(perfcol__start(pc), 0);
	usleep(200000);
	assert_int_equal(perfcol__stop(pc, &st), 0);
	assert_true(st.window_ns < 1000000000ULL);
	assert_true(st.nsamples <= (uint64_t)st.ncpu * 1000 / 2);
	perfcol_stats__free(&st);
	assert_int_equal(perfcol__stop(pc, &st), -EINVAL); /* not running */
	perfcol__close(pc);
}

static void test_bad_conf(void **state)
{
	struct perfcol_conf conf = { .period_ns = 5000 };
	char err[256] = "";

	(void)state;
	errno = 0;
	assert_null(perfcol__open(&conf, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "period"));
	conf = (struct perfcol_conf){ .table_path = "/nonexistent/modules.tsv" };
	errno = 0;
	assert_null(perfcol__open(&conf, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/modules.tsv"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_loopback_attribution),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
