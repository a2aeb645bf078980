// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated topology, live (root only): bring it up, move real TCP bulk data over both
 * datapaths, tear it down and check nothing is left; then the same for a run whose owner was
 * SIGKILLed and for a detached one, which `topo down` has to find on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../bench/relay.h"
#include "../../bench/topo.h"

#define XFER_BYTES (256ull << 20) /* per path: long enough for a stable MiB/s on 2 vCPUs */
#define XFER_CHUNK (256 * 1024)
#define XFER_TIMEOUT_S 60

static void run_id(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "t%s%d", tag, (int)getpid());
}

static bool ns_exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

/* Namespaces named iovb-<id>-* (id NULL: any iovb-*). */
static int count_ns(const char *id)
{
	char prefix[64];
	struct dirent *de;
	DIR *d = opendir("/run/netns");
	int n = 0;

	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), id ? "iovb-%s-" : "iovb-", id);
	while ((de = readdir(d)) != NULL)
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

static bool relay_alive(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	/* A zombie still has a comm but no longer holds anything: count it as gone. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return !strcmp(comm, RELAY_COMM) && access(path, F_OK) == 0;
}

static bool run_dir_exists(const char *id)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/iovbench/%s", id);
	return access(path, F_OK) == 0;
}

/* The root namespace's links as "index:name;..." (what `ip -o link` lists, minus counters). */
static void root_links(char *buf, size_t len)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	size_t off = 0;

	buf[0] = '\0';
	assert_non_null(ifs);
	for (i = ifs; i->if_index && off < len; i++)
		off += snprintf(buf + off, len - off, "%u:%s;", i->if_index, i->if_name);
	if_freenameindex(ifs);
}

/* Relay CPU from /proc/<pid>/task/<tid>/stat (ticks) and .../schedstat (ns on CPU). */
static void relay_cpu(pid_t pid, uint64_t *ticks, uint64_t *ns)
{
	char path[512], buf[1024];
	struct dirent *de;
	DIR *d;

	*ticks = *ns = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		unsigned long long ut = 0, st = 0, run = 0;
		FILE *f;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			       &st);
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &run) != 1)
			run = 0;
		if (f)
			fclose(f);
		*ticks += ut + st;
		*ns += run;
	}
	closedir(d);
}

/* ---- a TCP bulk copy from the server to a guest ----------------------------------------- */

struct sock_req {
	const char *ns;
	bool listen;
	int fd;
};

static void *sock_thread(void *p)
{
	struct sock_req *r = p;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1;

	r->fd = -1;
	if (topo__enter(r->ns))
		return NULL;
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || !r->listen)
		return NULL;
	setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, "10.77.0.1", &sa.sin_addr);
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(r->fd, 1)) {
		close(r->fd);
		r->fd = -1;
	}
	return NULL;
}

/* A socket bound to netns ns (made by a thread that entered it; ours never moves). */
static int socket_in(const char *ns, bool listen)
{
	struct sock_req r = { ns, listen, -1 };
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, sock_thread, &r), 0);
	pthread_join(th, NULL);
	return r.fd;
}

struct sender {
	int lfd;
	uint64_t bytes;
	int err;
};

static void *send_thread(void *p)
{
	struct sender *s = p;
	char *buf = calloc(1, XFER_CHUNK);
	uint64_t left = s->bytes;
	int fd;

	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0 || !buf) {
		s->err = errno ? errno : ENOMEM;
		goto out;
	}
	while (left) {
		ssize_t n = send(fd, buf, left < XFER_CHUNK ? left : XFER_CHUNK, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			s->err = errno;
			break;
		}
		left -= n;
	}
	close(fd);
out:
	free(buf);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy XFER_BYTES from the server to guest_ns over TCP; returns MiB/s. */
static double bulk_copy(const struct topo *t, const char *guest_ns)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct timeval tmo = { XFER_TIMEOUT_S, 0 };
	struct sender s = { -1, XFER_BYTES, 0 };
	uint64_t got = 0;
	pthread_t th;
	double t0, t1;
	char *buf;
	int cfd;

	s.lfd = socket_in(topo__server_ns(t), true);
	assert_true(s.lfd >= 0);
	assert_int_equal(getsockname(s.lfd, (struct sockaddr *)&sa, &sl), 0);
	cfd = socket_in(guest_ns, false);
	assert_true(cfd >= 0);
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	assert_int_equal(pthread_create(&th, NULL, send_thread, &s), 0);
	t0 = now_s();
	assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	buf = malloc(XFER_CHUNK);
	assert_non_null(buf);
	for (;;) {
		ssize_t n = recv(cfd, buf, XFER_CHUNK, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	t1 = now_s();
	pthread_join(th, NULL);
	free(buf);
	close(cfd);
	close(s.lfd);
	assert_int_equal(s.err, 0);
	assert_int_equal(got, XFER_BYTES);
	return got / (1024.0 * 1024.0) / (t1 - t0);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_up_copy_down(void **state)
{
	struct topo_conf conf = { .path = { true, true } };
	static const char *const roles[] = { "server", "nic", "host", "guest-1", "guest-2" };
	char id[32], err[512], before[8192], after[8192], off[256];
	uint64_t ticks0, ns0, ticks1, ns1;
	double pv, vf;
	struct topo *t;
	pid_t relay;

	if (geteuid() != 0)
		skip();
	run_id(id, sizeof(id), "a");
	conf.run_id = id;
	root_links(before, sizeof(before));
	t = topo__up(&conf, err, sizeof(err));
	if (!t)
		fail_msg("topo__up: %s", err);

	assert_int_equal(topo__nns(t), 5);
	for (size_t i = 0; i < topo__nns(t); i++) {
		const struct topo_ns *n = topo__ns(t, i);
		char path[128];
		struct stat st;

		assert_true(ns_exists(n->name));
		assert_string_equal(n->role, roles[i]);
		snprintf(path, sizeof(path), "/run/netns/%s", n->name);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(n->ino, st.st_ino);
		assert_string_equal(topo__role_of(t, n->ino), n->role);
	}
	assert_string_equal(topo__role_of(t, 1), "other");
	assert_string_equal(topo__guest_role(t, TOPO_PV), "guest-1");
	assert_string_equal(topo__guest_role(t, TOPO_VF), "guest-2");
	for (size_t i = 0; i < topo__ndevs(t); i++) {
		const struct topo_dev *d = topo__dev(t, i);

		assert_true(d->ifindex > 0);
		assert_string_equal(topo__role_of(t, d->netns_ino), d->role);
		assert_int_equal(topo__dev_offloads(t, i, off, sizeof(off)), 0);
		assert_non_null(strstr(off, "tso="));
		print_message("  %-16s %-6s %-8s %-7s %s\n", d->netns, d->name, d->role, d->kind,
			      off);
	}
	relay = topo__relay_pid(t);
	assert_true(relay > 0);
	assert_true(relay_alive(relay));
	assert_true(run_dir_exists(id));

	relay_cpu(relay, &ticks0, &ns0);
	pv = bulk_copy(t, topo__guest_ns(t, TOPO_PV));
	relay_cpu(relay, &ticks1, &ns1);
	vf = bulk_copy(t, topo__guest_ns(t, TOPO_VF));
	print_message("  pv (srv -> g1 via eswitch, pf0, br0, vnet0, relay): %.0f MiB/s\n", pv);
	print_message("  vf (srv -> g2 via eswitch, macvlan):                %.0f MiB/s\n", vf);
	print_message("  relay CPU over the pv copy: %.1f ms (%" PRIu64 " ticks in stat)\n",
		      (ns1 - ns0) / 1e6, ticks1 - ticks0);
	assert_true(ticks1 > 0);
	assert_true(ns1 > ns0);

	assert_int_equal(topo__down(t), 0);
	assert_int_equal(count_ns(id), 0);
	assert_false(relay_alive(relay));
	assert_false(run_dir_exists(id));
	root_links(after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_killed_owner(void **state)
{
	char id[32], err[512];
	int pfd[2], removed;
	pid_t child, relay = 0;

	if (geteuid() != 0)
		skip();
	/* topo__down_all takes every iovb-* netns: never run it over someone else's live run. */
	if (count_ns(NULL) > 0) {
		print_message(
			"  other iovb-* namespaces exist: not running topo__down_all over them\n");
		skip();
	}
	run_id(id, sizeof(id), "k");
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct topo_conf conf = { .run_id = id, .path = { true, true } };
		struct topo *t = topo__up(&conf, err, sizeof(err));
		pid_t r = t ? topo__relay_pid(t) : -1;

		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &relay, sizeof(relay)), sizeof(relay));
	close(pfd[0]);
	assert_true(relay > 0);
	assert_int_equal(count_ns(id), 5);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);

	removed = topo__down_all(err, sizeof(err));
	if (removed < 0)
		fail_msg("topo__down_all: %s", err);
	assert_int_equal(removed, 5);
	assert_int_equal(count_ns(id), 0);
	assert_false(relay_alive(relay));
	assert_false(run_dir_exists(id));
}

static void test_detached(void **state)
{
	struct topo_conf conf = { .path = { true, false } };
	char id[32], err[512];
	struct topo *t;
	pid_t relay;
	int removed;

	if (geteuid() != 0)
		skip();
	run_id(id, sizeof(id), "d");
	conf.run_id = id;
	t = topo__up(&conf, err, sizeof(err));
	if (!t)
		fail_msg("topo__up: %s", err);
	relay = topo__relay_pid(t);
	assert_int_equal(topo__detach(t), 0);
	assert_int_equal(count_ns(id), 4);
	assert_true(relay_alive(relay));

	/* Only the pid file under /run/iovbench leads to the relay now. */
	removed = topo__down_run(id, err, sizeof(err));
	if (removed < 0)
		fail_msg("topo__down_run: %s", err);
	assert_int_equal(removed, 4);
	assert_int_equal(count_ns(id), 0);
	assert_false(relay_alive(relay));
	assert_false(run_dir_exists(id));
}

static void test_bad_conf(void **state)
{
	struct topo_conf conf = { .run_id = "bad-id", .path = { true, true } };
	char err[256];

	if (geteuid() != 0)
		skip();
	errno = 0;
	assert_null(topo__up(&conf, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	conf.run_id = "ok";
	conf.path[0] = conf.path[1] = false;
	assert_null(topo__up(&conf, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(topo__down_run("no/such", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_up_copy_down),
		cmocka_unit_test(test_killed_owner),
		cmocka_unit_test(test_detached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
