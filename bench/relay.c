// SPDX-License-Identifier: GPL-2.0
/*
 * The backend relay (see relay.h): one forked process, one thread per direction doing blocking
 * read -> write on two TAP fds, and a main thread that only waits for a stop condition. Frames
 * keep their virtio_net_hdr, so a 64 KiB TSO super-frame crosses as one read and one write, as
 * it does through vhost-net: what the relay costs per packet is what a backend costs per packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "relay.h"

/* A 64 KiB GSO frame plus Ethernet/VLAN headers and the vnet header, with room to spare. */
#define RELAY_BUF (128 * 1024)

/* Where the child keeps its fds after closing everything else it inherited. */
#define RELAY_FD_GUEST 3
#define RELAY_FD_HOST 4
#define RELAY_FD_CTL 5

#define RELAY_MSG_DETACH 'D'
#define RELAY_MSG_ACK 'K'

struct relay_dir {
	int in;
	int out;
	const char *thread_name;
	const char *what; /* for the one error line */
};

int relay__tap_open(const char *name, bool napi)
{
	struct ifreq ifr = { 0 };
	int hdr = sizeof(struct virtio_net_hdr);
	int fd = -1, err = 0;

	if (!name || strlen(name) >= IFNAMSIZ) {
		err = -EINVAL;
		goto cleanup;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (napi ? IFF_NAPI : 0);
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* Both taps must agree on the header size: the relay copies headers byte for byte. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		err = -errno;
		goto cleanup;
	}
	/*
	 * Without these the kernel segments every GSO skb before handing it to us and the relay
	 * pays per 1500-byte frame, which no real backend does.
	 */
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
		err = -errno;
		goto cleanup;
	}
cleanup:
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

static void relay_die(const char *what, int err)
{
	dprintf(STDERR_FILENO, "%s: %s: %s\n", RELAY_COMM, what, strerror(err));
	_exit(1);
}

/* A write error on a tap drops that frame, as a full ring would; only a dead fd is fatal. */
static bool relay_write_fatal(int err)
{
	return err == EBADF || err == EBADFD || err == EFAULT;
}

static void *relay_dir_run(void *arg)
{
	const struct relay_dir *d = arg;
	char what[64];
	const char *op = "buffer";
	char *buf;
	ssize_t n, w;
	int err = ENOMEM;

	pthread_setname_np(pthread_self(), d->thread_name);
	buf = malloc(RELAY_BUF);
	if (!buf)
		goto cleanup;
	for (;;) {
		n = read(d->in, buf, RELAY_BUF);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err = errno;
			op = "read";
			goto cleanup;
		}
		if (n == 0)
			continue;
		do
			w = write(d->out, buf, n);
		while (w < 0 && errno == EINTR);
		if (w < 0 && relay_write_fatal(errno)) {
			err = errno;
			op = "write";
			goto cleanup;
		}
	}
cleanup:
	free(buf);
	snprintf(what, sizeof(what), "%s %s", op, d->what);
	relay_die(what, err);
	return NULL;
}

/* The main thread: start both directions, then wait for a signal or the parent's end. */
static int relay_run(int guest_fd, int host_fd, int ctl)
{
	struct relay_dir dirs[2] = {
		{ host_fd, guest_fd, RELAY_THREAD_RX, "host->guest" },
		{ guest_fd, host_fd, RELAY_THREAD_TX, "guest->host" },
	};
	sigset_t set;
	pthread_t th;
	int sfd, err = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before the threads start: they inherit the mask, only signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL)) {
		err = EINVAL;
		goto cleanup;
	}
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		err = errno;
		goto cleanup;
	}
	for (int i = 0; i < 2; i++) {
		err = pthread_create(&th, NULL, relay_dir_run, &dirs[i]);
		if (err)
			goto cleanup;
		pthread_detach(th);
	}
	for (;;) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { ctl, POLLIN, 0 } };
		char c;
		ssize_t n;

		if (poll(p, ctl >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			goto cleanup;
		}
		if (p[0].revents)
			break; /* SIGTERM/SIGINT/SIGHUP: a normal stop */
		if (ctl < 0 || !p[1].revents)
			continue;
		n = recv(ctl, &c, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the parent process is gone */
		if (c == RELAY_MSG_DETACH) {
			int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

			/* Nobody reads our stderr now; a terminal or pipe must not be held. */
			if (null >= 0) {
				dup2(null, STDERR_FILENO);
				close(null);
			}
			c = RELAY_MSG_ACK;
			send(ctl, &c, 1, MSG_NOSIGNAL);
			close(ctl);
			ctl = -1;
		}
	}
cleanup:
	if (err)
		relay_die("start", err);
	return 0;
}

static void __attribute__((noreturn)) relay_child(int guest_fd, int host_fd, int ctl)
{
	int in[3] = { guest_fd, host_fd, ctl }, hi[3], null;

	/* Park the three fds above 9 first so moving them to 3..5 cannot clobber one another. */
	for (int i = 0; i < 3; i++) {
		hi[i] = fcntl(in[i], F_DUPFD, 10);
		if (hi[i] < 0)
			relay_die("dup", errno);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(hi[i], RELAY_FD_GUEST + i) < 0)
			relay_die("dup2", errno);
	/* Inherited sockets, pipes and tap fds of the parent must not be kept alive by us. */
	close_range(RELAY_FD_CTL + 1, ~0U, 0);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	setsid();
	prctl(PR_SET_NAME, RELAY_COMM, 0, 0, 0);
	_exit(relay_run(RELAY_FD_GUEST, RELAY_FD_HOST, RELAY_FD_CTL));
}

pid_t relay__start(int guest_fd, int host_fd, int *ctl)
{
	int sv[2] = { -1, -1 };
	pid_t pid = -1;
	int err = 0;

	if (guest_fd < 0 || host_fd < 0 || !ctl) {
		err = -EINVAL;
		goto cleanup;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto cleanup;
	}
	if (pid == 0)
		relay_child(guest_fd, host_fd, sv[1]);
	*ctl = sv[0];
	sv[0] = -1;
cleanup:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return err ? err : pid;
}

int relay__detach(int ctl, int timeout_ms)
{
	struct pollfd p = { ctl, POLLIN, 0 };
	char c = RELAY_MSG_DETACH;
	ssize_t n;
	int err = 0, r;

	if (send(ctl, &c, 1, MSG_NOSIGNAL) != 1) {
		err = -errno;
		goto cleanup;
	}
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		err = -errno;
		goto cleanup;
	}
	if (r == 0) {
		err = -ETIMEDOUT;
		goto cleanup;
	}
	n = recv(ctl, &c, 1, 0);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	if (n == 0 || c != RELAY_MSG_ACK) {
		err = -EPIPE;
		goto cleanup;
	}
cleanup:
	return err;
}
