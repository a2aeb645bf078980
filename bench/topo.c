// SPDX-License-Identifier: GPL-2.0
/*
 * The emulated topology (contract in topo.h, what each piece stands for in docs/paths.md).
 *
 * Every device is created directly inside its namespace (`ip -n NS link add ... netns PEER`),
 * never in the root namespace, so deleting the namespaces removes everything and the root
 * namespace's links never change, even when a run is killed halfway. iproute2 is driven as a
 * child process (posix_spawn, no shell); sockets and TAPs are opened by a short-lived thread
 * that entered the namespace, since an fd keeps the namespace it was created in.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "iovb/errf.h"
#include "iovb/parse.h"
#include "iovb/role.h"
#include "relay.h"
#include "sriov.h"
#include "topo.h"

#define TOPO_NETNS_DIR "/run/netns"
#define TOPO_RUN_DIR "/run/iovbench"
#define TOPO_RELAY_PID "relay.pid"
#define TOPO_VF_FILE "vf-%u" /* per guest N with a real VF: how to give the netdev back */
#define TOPO_RUN_ID_MAX 32

#define TOPO_SERVER_ADDR "10.77.0.1"
#define TOPO_GUEST_ADDR_BASE 10 /* guest-N is 10.77.0.(10 + N) */
#define TOPO_PLEN "/24"
#define TOPO_STANDBY_DEV "eth1"	   /* a vf guest's standby pv NIC, in the guest */
#define TOPO_STANDBY_METRIC "200" /* its prefix route's; the VF's is 0 */
#define TOPO_FAILOVER_PRIO 16	   /* + N: guest-N's eswitch rule while it is failed over */

/*
 * wire (2), PF (2), bridge, and per guest its vNIC plus, on pv, the host's TAP port; a vf
 * guest with a failover standby has three: VF, standby vNIC, host TAP port.
 */
#define TOPO_MAX_DEVS (5 + 3 * TOPO_MAX_GUESTS)
#define TOPO_MAX_ARGS 48
#define TOPO_KILL_GRACE_MS 1000
#define TOPO_MAX_VICTIMS 256
#define TOPO_CHECK_BYTES (256 * 1024) /* enough for several GSO super-frames each way */
#define TOPO_CHECK_MIN 4096
#define TOPO_CHECK_MS 5000

/* Not yet in glibc 2.36's idtype_t: waitid() on a pidfd cannot reap a recycled pid. */
#define TOPO_P_PIDFD ((idtype_t)3)

const char *const topo_path_names[TOPO_NPATH] = { "pv", "vf" };

/*
 * The machines, in creation order; guests last so teardown in reverse drops them first.
 * Guest-N (N = 1..TOPO_MAX_GUESTS) is namespace NS_G0 + N - 1, suffix gN.
 */
enum topo_nsid { NS_SRV, NS_NIC, NS_HOST, NS_G0, NS_COUNT = NS_G0 + TOPO_MAX_GUESTS };

static const struct {
	const char *suffix;
	const char *role;
} ns_defs[NS_G0] = {
	[NS_SRV] = { "srv", IOVB_ROLE_SERVER },
	[NS_NIC] = { "nic", IOVB_ROLE_NIC },
	[NS_HOST] = { "host", IOVB_ROLE_HOST },
};

/* Last byte of each MAC: the "function index" of the port on its emulated machine. */
enum topo_mac {
	MAC_SRV = 0x01,
	MAC_WIRE = 0x02,
	MAC_PFW = 0x03,
	MAC_PF0 = 0x04,
	MAC_BR = 0x05,
	MAC_VNET = 0x06, /* + k for the k-th pv guest's host TAP (vnetK), k < 8 */
	MAC_G0 = 0x10,	 /* + N for guest-N's vNIC */
};

struct topo {
	char run_id[TOPO_RUN_ID_MAX + 1];
	char run_dir[128];
	bool run_dir_made; /* only then is the run directory ours to remove */
	bool path[TOPO_NPATH];
	uint64_t link_rate_bps;
	bool standby; /* vf guests have a standby pv NIC (failover) */
	uint32_t mtu;
	uint32_t mac_hash;
	char ns_name[NS_COUNT][64]; /* every planned name, created or not */
	char ns_role[NS_COUNT][16];
	int ns_idx[NS_COUNT];	    /* index into ns[] once created, else -1 */
	struct topo_ns ns[NS_COUNT];
	size_t nns;
	struct topo_dev devs[TOPO_MAX_DEVS];
	size_t ndevs;
	unsigned nplanned;	    /* guests numbered: guests[pv] + guests[vf], made or not */
	struct topo_guest guests[TOPO_MAX_GUESTS];
	size_t nguests;		    /* guests of the selected paths, in number order */
	bool vf_moved[TOPO_MAX_GUESTS];   /* by guests[] index: its real VF is in the guest */
	int relay_pidfd[TOPO_MAX_GUESTS]; /* by guests[] index; -1 if none */
	int relay_ctl[TOPO_MAX_GUESTS];
};

static int offload_apply(struct topo *t, const char *spec, char *err, size_t errlen);

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

static const char *errdesc(int e)
{
	const char *s = strerrordesc_np(e < 0 ? -e : e);

	return s ? s : "unknown error";
}

static void ns_path(const char *ns, char *buf, size_t len)
{
	if (strchr(ns, '/'))
		snprintf(buf, len, "%s", ns);
	else
		snprintf(buf, len, "%s/%s", TOPO_NETNS_DIR, ns);
}

/* ---- iproute2 as a child process -------------------------------------------------------- */

static int tool_path(const char *name, char *buf, size_t len)
{
	/* Fixed system directories: a caller's PATH (sudo, cron) often lacks the sbin ones. */
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, len, "%s/%s", dirs[i], name);
		if (!access(buf, X_OK)) {
			err = 0;
			break;
		}
	}
	return err;
}

/* iproute2 prints strerror() text; map it back so callers get a meaningful -errno. */
static int errno_of_msg(const char *msg)
{
	static const int known[] = { EEXIST, ENOENT, ENODEV, EPERM,   EACCES, EOPNOTSUPP,
				     EBUSY,  ENOMEM, ENOSPC, ENOBUFS, ERANGE, EINVAL };

	int e = EIO;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && e == EIO; i++)
		if (strstr(msg, errdesc(known[i])))
			e = known[i];
	return e;
}

static void join_argv(char *const argv[], char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; argv[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", argv[i]);
}

/* Run argv[0] (looked up in the system dirs); 0, or -errno with "CMD: first stderr line". */
static int run_argv(char *const argv[], char *err, size_t errlen)
{
	static const char *const envp[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
					    NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool fa_ok = false, attr_ok = false;
	char path[64], msg[512] = "", cmd[256];
	int pfd[2] = { -1, -1 }, status = 0, ret;
	size_t used = 0;
	sigset_t none;
	pid_t pid;
	ssize_t n;

	ret = tool_path(argv[0], path, sizeof(path));
	if (ret) {
		iovb_errf(err, errlen, "%s: not found in /usr/sbin, /sbin, /usr/bin or /bin",
			argv[0]);
		goto cleanup;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		iovb_errf(err, errlen, "pipe: %s", errdesc(errno));
		goto cleanup;
	}
	ret = -posix_spawn_file_actions_init(&fa);
	if (ret)
		goto spawn_fail;
	fa_ok = true;
	ret = -posix_spawnattr_init(&attr);
	if (ret)
		goto spawn_fail;
	attr_ok = true;
	/* The caller may block signals (a run blocks SIGINT around its loop); tools must not. */
	sigemptyset(&none);
	ret = -posix_spawnattr_setsigmask(&attr, &none);
	if (!ret)
		ret = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (!ret)
		ret = -posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = -posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!ret)
		ret = -posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	if (!ret)
		ret = -posix_spawn(&pid, path, &fa, &attr, argv, (char *const *)envp);
	if (ret)
		goto spawn_fail;
	close(pfd[1]);
	pfd[1] = -1;
	for (;;) {
		char chunk[256];

		n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + 1 < sizeof(msg)) {
			size_t take = (size_t)n < sizeof(msg) - 1 - used ? (size_t)n
									 : sizeof(msg) - 1 - used;

			memcpy(msg + used, chunk, take);
			used += take;
			msg[used] = '\0';
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			/* SIGCHLD ignored by the caller: the exit status is lost, so is success. */
			ret = -errno;
			join_argv(argv, cmd, sizeof(cmd));
			iovb_errf(err, errlen, "%s: waitpid: %s", cmd, errdesc(errno));
			goto cleanup;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		msg[strcspn(msg, "\n")] = '\0';
		ret = -errno_of_msg(msg);
		join_argv(argv, cmd, sizeof(cmd));
		if (WIFEXITED(status))
			iovb_errf(err, errlen, "%s: %s", cmd, msg[0] ? msg : "failed, no message");
		else
			iovb_errf(err, errlen, "%s: killed by signal %d", cmd, WTERMSIG(status));
	}
	goto cleanup;
spawn_fail:
	iovb_errf(err, errlen, "cannot run %s: %s", path, errdesc(ret));
cleanup:
	if (attr_ok)
		posix_spawnattr_destroy(&attr);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return ret;
}

/* `TOOL -n NS ARGS... NULL` (ip, tc, bridge all take -n); ns NULL runs in our own netns. */
static int run_tool(char *err, size_t errlen, const char *tool, const char *ns, ...)
{
	char *argv[TOPO_MAX_ARGS];
	size_t n = 0;
	va_list ap;
	const char *a;
	int ret = 0;

	argv[n++] = (char *)tool;
	if (ns) {
		argv[n++] = "-n";
		argv[n++] = (char *)ns;
	}
	va_start(ap, ns);
	while ((a = va_arg(ap, const char *)) != NULL) {
		if (n + 1 >= TOPO_MAX_ARGS) {
			ret = -E2BIG;
			break;
		}
		argv[n++] = (char *)a;
	}
	va_end(ap);
	argv[n] = NULL;
	if (ret) {
		iovb_errf(err, errlen, "%s: too many arguments", tool);
		goto cleanup;
	}
	ret = run_argv(argv, err, errlen);
cleanup:
	return ret;
}

/* ---- running code inside a namespace ---------------------------------------------------- */

int topo__enter(const char *ns)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!ns || !*ns) {
		err = -EINVAL;
		goto cleanup;
	}
	ns_path(ns, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
cleanup:
	return err;
}

struct ns_call {
	const char *ns;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void *ns_call_thread(void *p)
{
	struct ns_call *c = p;

	c->ret = topo__enter(c->ns);
	if (!c->ret)
		c->ret = c->fn(c->arg);
	return NULL;
}

/*
 * fn(arg) on a fresh thread inside ns: the caller's own namespace never changes, and whatever
 * fn creates (sockets, TAPs) stays bound to ns. Returns fn's result or -errno.
 */
static int ns_call(const char *ns, int (*fn)(void *arg), void *arg)
{
	struct ns_call c = { ns, fn, arg, 0 };
	pthread_t th;
	int err;

	err = pthread_create(&th, NULL, ns_call_thread, &c);
	if (err) {
		c.ret = -err;
		goto cleanup;
	}
	pthread_join(th, NULL);
cleanup:
	return c.ret;
}

pid_t topo__spawn_in(const char *ns, int (*fn)(void *arg), void *arg)
{
	char path[PATH_MAX];
	int fd = -1, pfd[2] = { -1, -1 }, child_err = 0;
	pid_t pid = -1, ret;
	ssize_t n;

	if (!ns || !fn) {
		ret = -EINVAL;
		goto cleanup;
	}
	ns_path(ns, path, sizeof(path));
	/* Opened here so a missing namespace is the caller's -ENOENT, not a child's exit code. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pipe2(pfd, O_CLOEXEC)) {
		ret = -errno;
		goto cleanup;
	}
	/* Pending stdio output would otherwise be written twice, once by the child. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (pid == 0) {
		int e = 0;

		close(pfd[0]);
		if (setns(fd, CLONE_NEWNET)) {
			e = errno;
			if (write(pfd[1], &e, sizeof(e)) < 0)
				e = errno;
			_exit(127);
		}
		close(fd);
		close(pfd[1]); /* EOF tells the parent setns worked */
		e = fn(arg);
		fflush(NULL); /* _exit() skips it, and the child's own output must not be lost */
		_exit(e);
	}
	close(pfd[1]);
	pfd[1] = -1;
	do
		n = read(pfd[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(child_err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		ret = -child_err;
		goto cleanup;
	}
	ret = pid;
cleanup:
	if (fd >= 0)
		close(fd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return ret;
}

/* ---- processes: ours, inside our namespaces --------------------------------------------- */

static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	n = read(fd, buf, len - 1);
	if (n < 0) {
		err = -errno;
		n = 0;
	}
	close(fd);
cleanup:
	buf[n] = '\0';
	return err;
}

static int proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	err = read_small(path, buf, len);
	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static pid_t proc_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	uint64_t ppid;
	pid_t ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)))
		goto cleanup;
	/* comm may hold spaces and parentheses: ") STATE PPID ..." follows the last ')'. */
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 5)
		goto cleanup;
	p += 4;
	p[strcspn(p, " ")] = '\0';
	if (!iovb_parse_u64(p, 0, INT32_MAX, &ppid))
		ret = (pid_t)ppid;
cleanup:
	return ret;
}

/* Things iovbench starts carry "iovb" in their name: the binary, the relay, its threads. */
static bool comm_is_ours(const char *comm)
{
	return !strncmp(comm, TOPO_PREFIX, strlen(TOPO_PREFIX));
}

struct victims {
	int pidfd[TOPO_MAX_VICTIMS];
	pid_t pid[TOPO_MAX_VICTIMS];
	bool reap[TOPO_MAX_VICTIMS];
	size_t n;
};

/*
 * Take pid as a victim if it still is what we think (comm prefix when given): the pidfd is
 * opened before the check, so a recycled pid cannot be signalled by mistake.
 */
static void victims__add(struct victims *v, pid_t pid, const char *comm_want, bool reap)
{
	char comm[32];
	bool dup = false;
	int fd = -1;

	if (pid <= 0 || pid == getpid() || v->n >= TOPO_MAX_VICTIMS)
		goto cleanup;
	for (size_t i = 0; i < v->n; i++)
		dup |= v->pid[i] == pid;
	if (dup)
		goto cleanup;
	fd = pidfd_open(pid, 0);
	if (fd < 0)
		goto cleanup;
	if (comm_want && (proc_comm(pid, comm, sizeof(comm)) || strcmp(comm, comm_want)))
		goto cleanup;
	v->pidfd[v->n] = fd;
	v->pid[v->n] = pid;
	v->reap[v->n] = reap;
	v->n++;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
}

/* SIGTERM all, wait up to the grace period, SIGKILL what is left, reap our own children. */
static void victims__kill(struct victims *v)
{
	uint64_t deadline = now_ms() + TOPO_KILL_GRACE_MS;
	struct pollfd p;

	for (size_t i = 0; i < v->n; i++)
		pidfd_send_signal(v->pidfd[i], SIGTERM, NULL, 0);
	for (size_t i = 0; i < v->n; i++) {
		p = (struct pollfd){ v->pidfd[i], POLLIN, 0 };
		if (poll(&p, 1, ms_left(deadline)) == 1)
			continue;
		pidfd_send_signal(v->pidfd[i], SIGKILL, NULL, 0);
		p = (struct pollfd){ v->pidfd[i], POLLIN, 0 };
		poll(&p, 1, TOPO_KILL_GRACE_MS);
	}
	for (size_t i = 0; i < v->n; i++) {
		siginfo_t si;

		/* ECHILD when it is not our child (or SIGCHLD is ignored): nothing to reap. */
		if (v->reap[i])
			waitid(TOPO_P_PIDFD, v->pidfd[i], &si, WEXITED | WNOHANG);
		close(v->pidfd[i]);
	}
	v->n = 0;
}

/*
 * Collect the processes inside any of the namespaces `inos` that are ours: named iovb* or
 * children of this process (topo__spawn_in). Others (a user's `ip netns exec` shell) are only
 * counted: killing them is not ours to do, and the namespace lives on until they leave.
 */
static void victims__in_ns(struct victims *v, const uint64_t *inos, size_t nino, size_t *foreign)
{
	struct dirent *de;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[64], comm[32];
		struct stat st;
		bool in = false;
		uint64_t num;
		pid_t pid;

		if (iovb_parse_u64(de->d_name, 1, INT32_MAX, &num))
			continue;
		pid = (pid_t)num;
		if (pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if (stat(path, &st))
			continue; /* gone, or a zombie: it no longer holds a namespace */
		for (size_t i = 0; i < nino && !in; i++)
			in = (uint64_t)st.st_ino == inos[i];
		if (!in)
			continue;
		if (proc_comm(pid, comm, sizeof(comm)))
			continue;
		if (comm_is_ours(comm) || proc_ppid(pid) == getpid())
			victims__add(v, pid, comm, false);
		else if (foreign)
			(*foreign)++;
	}
	closedir(d);
}

/* ---- run directory ---------------------------------------------------------------------- */

static int run_dir_make(const struct topo *t)
{
	int err = 0;

	if ((mkdir(TOPO_RUN_DIR, 0755) && errno != EEXIST) ||
	    (mkdir(t->run_dir, 0755) && errno != EEXIST))
		err = -errno;
	return err;
}

/* The run's relay pids, one per line (one relay per pv guest), replaced atomically. */
static int pid_file_write(const struct topo *t)
{
	char tmp[PATH_MAX], path[PATH_MAX], buf[32 * TOPO_MAX_GUESTS];
	const char *dir = t->run_dir;
	int fd, len = 0, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, TOPO_RELAY_PID) >= (int)sizeof(tmp) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, TOPO_RELAY_PID) >= (int)sizeof(path)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	for (size_t i = 0; i < t->nguests; i++)
		if (t->guests[i].relay_pid > 0)
			len += snprintf(buf + len, sizeof(buf) - len, "%d\n",
					(int)t->guests[i].relay_pid);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (write(fd, buf, len) != len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	/* Renamed into place so a concurrent `topo down` never reads half a number. */
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
cleanup:
	return err;
}

/* Up to max relay pids recorded in dir; returns how many. */
static size_t pid_file_read(const char *dir, pid_t *pids, size_t max)
{
	char path[PATH_MAX], buf[32 * TOPO_MAX_GUESTS], *line, *save = NULL;
	size_t n = 0;
	uint64_t v;

	if (snprintf(path, sizeof(path), "%s/%s", dir, TOPO_RELAY_PID) >= (int)sizeof(path) ||
	    read_small(path, buf, sizeof(buf)))
		goto cleanup;
	for (line = strtok_r(buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
		if (!iovb_parse_u64(line, 1, INT32_MAX, &v))
			pids[n++] = (pid_t)v;
cleanup:
	return n;
}

static void run_dir_remove(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, TOPO_RELAY_PID) < (int)sizeof(path))
		unlink(path);
	if (snprintf(path, sizeof(path), "%s/%s.tmp", dir, TOPO_RELAY_PID) < (int)sizeof(path))
		unlink(path);
	for (unsigned n = 1; n <= TOPO_MAX_GUESTS; n++) {
		char f[16];

		snprintf(f, sizeof(f), TOPO_VF_FILE, n);
		if (snprintf(path, sizeof(path), "%s/%s", dir, f) < (int)sizeof(path))
			unlink(path);
	}
	rmdir(dir);
	rmdir(TOPO_RUN_DIR); /* only when no other run is left: ENOTEMPTY otherwise */
}

/* ---- names ------------------------------------------------------------------------------ */

static bool run_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	bool ok = n > 0 && n <= TOPO_RUN_ID_MAX;

	/* No '-': names are iovb-<id>-<what> and must split back unambiguously. */
	for (size_t i = 0; ok && i < n; i++)
		ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		     (id[i] >= '0' && id[i] <= '9') || id[i] == '_';
	return ok;
}

/* Is netns `name` one of ours (of run `id`, or of any run when id is NULL)? */
static bool ns_name_ours(const char *name, const char *id)
{
	size_t plen = strlen(TOPO_PREFIX) + 1, idlen = id ? strlen(id) : 0;
	bool ours = !strncmp(name, TOPO_PREFIX "-", plen);

	/* For one run: exactly "iovb-" id "-" and a suffix we make, so run a never takes a_b's. */
	if (ours && id) {
		bool known = false;

		const char *sfx = name + plen + idlen + 1;
		uint64_t num;

		ours = !strncmp(name + plen, id, idlen) && name[plen + idlen] == '-';
		for (int i = 0; ours && i < NS_G0; i++)
			known |= !strcmp(sfx, ns_defs[i].suffix);
		/* gN, with N written as we write it (no leading zero) */
		if (ours && sfx[0] == 'g' && sfx[1] != '0')
			known |= !iovb_parse_u64(sfx + 1, 1, TOPO_MAX_GUESTS, &num);
		ours = ours && known;
	}
	return ours;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Locally administered unicast (02:...), per run and per port: known without any ARP. */
static void mac_of(const struct topo *t, enum topo_mac fn, char buf[18])
{
	snprintf(buf, 18, "02:%02x:%02x:%02x:00:%02x", (t->mac_hash >> 16) & 0xff,
		 (t->mac_hash >> 8) & 0xff, t->mac_hash & 0xff, (unsigned)fn);
}

static const char *nsn(const struct topo *t, enum topo_nsid id)
{
	return t->ns_name[id];
}

/* Guest number N of namespace id, 0 when id is no guest's. */
static unsigned ns_guest_num(enum topo_nsid id)
{
	return id >= NS_G0 && id < NS_COUNT ? (unsigned)(id - NS_G0) + 1 : 0;
}

static const struct topo_guest *guest_of_ns(const struct topo *t, enum topo_nsid id)
{
	for (size_t i = 0; i < t->nguests; i++)
		if (t->guests[i].num == ns_guest_num(id))
			return &t->guests[i];
	return NULL;
}

static bool ns_wanted(const struct topo *t, enum topo_nsid id)
{
	bool want = true;

	if (id == NS_HOST)
		want = t->path[TOPO_PV] || t->standby;
	else if (id >= NS_G0)
		want = guest_of_ns(t, id) != NULL;
	return want;
}

/* ---- building --------------------------------------------------------------------------- */

static int write_sysctl_ipv6_off(void *arg)
{
	static const char *const files[] = { "/proc/sys/net/ipv6/conf/all/disable_ipv6",
					     "/proc/sys/net/ipv6/conf/default/disable_ipv6" };
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++) {
		int fd = open(files[i], O_WRONLY | O_CLOEXEC);

		if (fd < 0) {
			/* A kernel without IPv6 is already quiet. */
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
		if (write(fd, "1\n", 2) != 2)
			err = -errno;
		close(fd);
	}
	return err;
}

static int ns_create(struct topo *t, enum topo_nsid id, char *err, size_t errlen)
{
	struct topo_ns *n = &t->ns[t->nns];
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = run_tool(err, errlen, "ip", NULL, "netns", "add", nsn(t, id), NULL);
	if (ret)
		goto cleanup;
	snprintf(n->name, sizeof(n->name), "%s", nsn(t, id));
	snprintf(n->role, sizeof(n->role), "%s", t->ns_role[id]);
	t->ns_idx[id] = (int)t->nns++;
	ns_path(n->name, path, sizeof(path));
	if (stat(path, &st)) {
		ret = -errno;
		iovb_errf(err, errlen, "stat %s: %s", path, errdesc(errno));
		goto cleanup;
	}
	n->ino = st.st_ino;
	/*
	 * IPv6 autoconfiguration would put router solicitations and MLD reports on the wire
	 * while we measure; the emulated machines speak IPv4 only.
	 */
	ret = ns_call(n->name, write_sysctl_ipv6_off, NULL);
	if (ret) {
		iovb_errf(err, errlen, "%s: disable_ipv6: %s", n->name, errdesc(ret));
		goto cleanup;
	}
	ret = run_tool(err, errlen, "ip", n->name, "link", "set", "lo", "up", NULL);
cleanup:
	return ret;
}

static void dev_add(struct topo *t, const char *name, enum topo_nsid id, const char *kind,
		    const char *stands_for)
{
	struct topo_dev *d;
	const struct topo_ns *n = &t->ns[t->ns_idx[id]];

	if (t->ndevs >= TOPO_MAX_DEVS)
		return;
	d = &t->devs[t->ndevs++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	_Static_assert(sizeof(d->netns) == sizeof(n->name), "netns name sizes differ");
	_Static_assert(sizeof(d->role) == sizeof(n->role), "role sizes differ");
	memcpy(d->netns, n->name, sizeof(d->netns));
	memcpy(d->role, n->role, sizeof(d->role));
	snprintf(d->kind, sizeof(d->kind), "%s", kind);
	snprintf(d->stands_for, sizeof(d->stands_for), "%s", stands_for);
	d->netns_ino = n->ino;
}

struct tap_req {
	const char *name;
	bool napi;
};

static int tap_open_in(void *arg)
{
	const struct tap_req *r = arg;

	return relay__tap_open(r->name, r->napi);
}

static int ifindex_in(void *arg)
{
	unsigned int idx = if_nametoindex(arg);

	return idx ? (int)idx : -errno;
}

/* The "physical" link: server NIC <-> adapter port, optionally shaped to a line rate. */
static int build_wire(struct topo *t, char *err, size_t errlen)
{
	char m_srv[18], m_wire[18], mtu[16], rate[32], burst[32];
	uint64_t b;
	int ret;

	mac_of(t, MAC_SRV, m_srv);
	mac_of(t, MAC_WIRE, m_wire);
	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	ret = run_tool(err, errlen, "ip", nsn(t, NS_NIC), "link", "add", "wire0", "address", m_wire,
		       "mtu", mtu, "type", "veth", "peer", "name", "eth0", "address", m_srv, "mtu",
		       mtu, "netns", nsn(t, NS_SRV), NULL);
	if (ret)
		goto cleanup;
	dev_add(t, "eth0", NS_SRV, "veth", "server NIC (physical link, server end)");
	dev_add(t, "wire0", NS_NIC, "veth", "adapter port (physical link, adapter end)");
	ret = run_tool(err, errlen, "ip", nsn(t, NS_SRV), "addr", "add", TOPO_SERVER_ADDR TOPO_PLEN,
		       "dev", "eth0", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_SRV), "link", "set", "eth0", "up",
			       NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_NIC), "link", "set", "wire0", "up",
			       NULL);
	if (ret || !t->link_rate_bps)
		goto cleanup;
	/*
	 * burst: at least two 64 KiB GSO super-frames (tbf segments anything above its burst,
	 * in software, which would add CPU no real wire costs) and at least 1 ms at line rate
	 * so the bucket refills well within a timer tick; latency bounds the queue to 10 ms.
	 */
	b = t->link_rate_bps / 8 / 1000;
	if (b < 128 * 1024)
		b = 128 * 1024;
	snprintf(rate, sizeof(rate), "%" PRIu64 "bit", t->link_rate_bps);
	snprintf(burst, sizeof(burst), "%" PRIu64, b);
	ret = run_tool(err, errlen, "tc", nsn(t, NS_SRV), "qdisc", "add", "dev", "eth0", "root",
		       "tbf", "rate", rate, "burst", burst, "latency", "10ms", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "qdisc", "add", "dev", "wire0",
			       "root", "tbf", "rate", rate, "burst", burst, "latency", "10ms",
			       NULL);
cleanup:
	return ret;
}

static int start_relay(struct topo *t, size_t gi, int fds[2], char *err, size_t errlen)
{
	struct topo_guest *g = &t->guests[gi];
	pid_t pid;
	int ret;

	pid = relay__start(fds[0], fds[1], &t->relay_ctl[gi]);
	if (pid < 0) {
		ret = pid;
		iovb_errf(err, errlen, "cannot start the backend relay of %s: %s", g->role,
			  errdesc(ret));
		goto cleanup;
	}
	g->relay_pid = pid;
	/* Our unreaped child: its pid cannot be recycled, so this pidfd is exact. */
	t->relay_pidfd[gi] = pidfd_open(pid, 0);
	if (t->relay_pidfd[gi] < 0) {
		ret = -errno;
		iovb_errf(err, errlen, "pidfd_open(relay): %s", errdesc(errno));
		goto cleanup;
	}
	/* Rewritten after each start, so a run killed halfway leaves every relay findable. */
	ret = pid_file_write(t);
	if (ret)
		iovb_errf(err, errlen, "%s/%s: %s", t->run_dir, TOPO_RELAY_PID, errdesc(ret));
cleanup:
	return ret;
}

/*
 * One pv guest: host TAP vnetK on br0 <=relay=> gN/eth0 (TAP), addresses, static neighbours
 * and FDB entry, and the eswitch rule that sends its MAC towards the PF.
 */
static int build_pv_guest(struct topo *t, size_t gi, unsigned k, char *err, size_t errlen)
{
	struct topo_guest *g = &t->guests[gi];
	enum topo_nsid gid = NS_G0 + g->num - 1;
	char m_vnet[18], m_g[18], m_srv[18], mtu[16], addr[24];
	/* A vf guest's failover standby (docs/paths.md, "Failover") is the same, as eth1. */
	bool standby = g->path == TOPO_VF;
	const char *gdev = standby ? TOPO_STANDBY_DEV : "eth0";
	struct tap_req guest = { gdev, true }, host = { g->host_dev, false };
	int fds[2] = { -1, -1 }, ret;

	mac_of(t, MAC_VNET + k, m_vnet);
	mac_of(t, MAC_G0 + g->num, m_g);
	mac_of(t, MAC_SRV, m_srv);
	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	snprintf(addr, sizeof(addr), "%s%s", g->addr, TOPO_PLEN);
	/*
	 * The host end is written without NAPI, as vhost-net writes into its tap: the bridge
	 * work of guest transmits runs in the backend's own context. The guest end uses NAPI:
	 * a guest's virtio-net receives in a NAPI poll, so should the emulated one.
	 */
	fds[1] = ns_call(nsn(t, NS_HOST), tap_open_in, &host);
	if (fds[1] < 0) {
		ret = fds[1];
		iovb_errf(err, errlen, "%s: TAP %s: %s", nsn(t, NS_HOST), g->host_dev,
			  errdesc(ret));
		goto cleanup;
	}
	dev_add(t, g->host_dev, NS_HOST, "tun", standby ?
		"standby backend port (synthetic path)" : "backend port (vhost-net / VMBus host end)");
	_Static_assert(sizeof(t->devs[0].for_guest) == sizeof(g->role), "role sizes differ");
	memcpy(t->devs[t->ndevs - 1].for_guest, g->role, sizeof(g->role));
	fds[0] = ns_call(nsn(t, gid), tap_open_in, &guest);
	if (fds[0] < 0) {
		ret = fds[0];
		iovb_errf(err, errlen, "%s: TAP %s: %s", nsn(t, gid), gdev, errdesc(ret));
		goto cleanup;
	}
	dev_add(t, gdev, gid, "tun", standby ? "standby vNIC (netvsc / virtio-net failover)" :
		"guest vNIC (virtio-net / netvsc)");
	ret = start_relay(t, gi, fds, err, errlen);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_HOST), "link", "set", g->host_dev,
			       "address", m_vnet, "mtu", mtu, "master", "br0", "up", NULL);
	/* The standby carries the VF's MAC, as net_failover's standby and VF share one. */
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "link", "set", gdev, "address",
			       m_g, "mtu", mtu, "up", NULL);
	/* Same address on the standby, its route less preferred: the VF's wins while it is there. */
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "addr", "add", addr, "dev", gdev,
			       standby ? "metric" : NULL, TOPO_STANDBY_METRIC, NULL);
	/* Static neighbours and FDB entries: no ARP, no flooding, nothing to learn mid-run. */
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "neigh", "replace",
			       TOPO_SERVER_ADDR, "lladdr", m_srv, "dev", gdev, "nud", "permanent",
			       NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_SRV), "neigh", "replace", g->addr,
			       "lladdr", m_g, "dev", "eth0", "nud", "permanent", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "bridge", nsn(t, NS_HOST), "fdb", "replace", m_g,
			       "dev", g->host_dev, "master", "static", NULL);
	/*
	 * The eswitch: frames for a pv guest's MAC leave the adapter towards the PF. u32
	 * offsets are relative to the network header at ingress, so `ether dst` matches at -14.
	 * Everything else falls through to wire0's macvlan ports (the VFs) or is dropped.
	 * A standby gets its rule only when its guest fails over (topo__failover).
	 */
	if (!ret && !standby)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "filter", "add", "dev", "wire0",
			       "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match",
			       "ether", "dst", m_g, "action", "mirred", "egress", "redirect",
			       "dev", "pfw", NULL);
cleanup:
	/* The relay holds its own copies; ours would keep the TAPs alive after it is gone. */
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/*
 * The PV path: adapter --(eswitch steering)--> pfw <-> pf0 (PF) -- br0 -- vnetK (TAP)
 * <=relay K=> gN eth0 (TAP), one TAP port and one relay per pv guest.
 */
static int build_pv(struct topo *t, char *err, size_t errlen)
{
	char m_pfw[18], m_pf0[18], m_br[18], m_srv[18], mtu[16];
	unsigned k = 0;
	int ret;

	mac_of(t, MAC_PFW, m_pfw);
	mac_of(t, MAC_PF0, m_pf0);
	mac_of(t, MAC_BR, m_br);
	mac_of(t, MAC_SRV, m_srv);
	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	ret = run_tool(err, errlen, "ip", nsn(t, NS_NIC), "link", "add", "pfw", "address", m_pfw,
		       "mtu", mtu, "type", "veth", "peer", "name", "pf0", "address", m_pf0, "mtu",
		       mtu, "netns", nsn(t, NS_HOST), NULL);
	if (ret)
		goto cleanup;
	dev_add(t, "pfw", NS_NIC, "veth", "eswitch port towards the PF");
	dev_add(t, "pf0", NS_HOST, "veth", "PF: the host's port on the adapter");
	ret = run_tool(err, errlen, "ip", nsn(t, NS_HOST), "link", "add", "br0", "address", m_br,
		       "mtu", mtu, "type", "bridge", "stp_state", "0", NULL);
	if (ret)
		goto cleanup;
	dev_add(t, "br0", NS_HOST, "bridge", "virtual switch (vSwitch / OVS / bridge)");
	ret = run_tool(err, errlen, "ip", nsn(t, NS_HOST), "link", "set", "pf0", "master", "br0",
		       "up", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_HOST), "link", "set", "br0", "up",
			       NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, NS_NIC), "link", "set", "pfw", "up", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "bridge", nsn(t, NS_HOST), "fdb", "replace", m_srv,
			       "dev", "pf0", "master", "static", NULL);
	/* Whatever the PF sends goes out on the wire. */
	if (!ret)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "qdisc", "add", "dev", "wire0",
			       "ingress", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "qdisc", "add", "dev", "pfw",
			       "ingress", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "filter", "add", "dev", "pfw",
			       "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match",
			       "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev",
			       "wire0", NULL);
	for (size_t i = 0; !ret && i < t->nguests; i++)
		if (t->guests[i].path == TOPO_PV)
			ret = build_pv_guest(t, i, k++, err, errlen);
	/* vnetK of a standby is named by guest number too: no clash with the pv guests' K. */
	for (size_t i = 0; !ret && i < t->nguests; i++)
		if (t->guests[i].path == TOPO_VF && t->guests[i].standby_dev[0])
			ret = build_pv_guest(t, i, t->guests[i].num - 1, err, errlen);
cleanup:
	return ret;
}

/* ---- real VF netdevs ------------------------------------------------------------------- */

/* What a VF netdev looked like before we took it: enough to give it back as it was. */
struct vf_orig {
	char name[IFNAMSIZ];
	unsigned mtu;
	char mac[18];
	bool up;
};

static int vf_file(const struct topo *t, unsigned num, char *buf, size_t len)
{
	char f[16];

	snprintf(f, sizeof(f), TOPO_VF_FILE, num);
	return snprintf(buf, len, "%s/%s", t->run_dir, f) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Read name, MTU, MAC and IFF_UP of netdev name in the calling thread's netns; refuse one with
 * IPv4 addresses (someone uses it). 0 or -errno. */
static int vf_read(const char *name, struct vf_orig *o)
{
	struct ifreq ifr = { 0 };
	unsigned char *m;
	int fd, err = 0;

	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
		goto cleanup;
	}
	o->up = ifr.ifr_flags & IFF_UP;
	if (ioctl(fd, SIOCGIFMTU, &ifr)) {
		err = -errno;
		goto cleanup;
	}
	o->mtu = (unsigned)ifr.ifr_mtu;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		err = -errno;
		goto cleanup;
	}
	m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
	snprintf(o->mac, sizeof(o->mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	/* SIOCGIFADDR gives the first IPv4 address; EADDRNOTAVAIL = none. */
	if (!ioctl(fd, SIOCGIFADDR, &ifr))
		err = -EADDRINUSE;
	else if (errno != EADDRNOTAVAIL)
		err = -errno;
cleanup:
	close(fd);
	return err;
}

static int vf_orig_write(const struct topo *t, unsigned num, const struct vf_orig *o)
{
	char path[PATH_MAX];
	FILE *f;
	int err;

	err = vf_file(t, num, path, sizeof(path));
	if (err)
		return err;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s %u %s %d\n", o->name, o->mtu, o->mac, o->up);
	if (fclose(f))
		err = -errno;
	return err;
}

static int vf_orig_read(const char *path, struct vf_orig *o)
{
	char buf[128], name[IFNAMSIZ + 1], mac[18];
	unsigned mtu;
	int up;

	if (read_small(path, buf, sizeof(buf)) ||
	    sscanf(buf, "%16s %u %17s %d", name, &mtu, mac, &up) != 4 || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->mtu = mtu;
	snprintf(o->mac, sizeof(o->mac), "%s", mac);
	o->up = up;
	return 0;
}

/*
 * Give a VF back: out of netns `ns` (its eth0) into ours under its own name, in one
 * RTM_NEWLINK (move and rename together, so "eth0" never appears here), then its MTU, MAC and
 * state. With ns NULL or gone, only the settings, if it is here under its name (a real VF
 * comes back to the initial netns by itself when its netns is deleted; a stand-in veth dies).
 */
static int vf_restore(const char *ns, const struct vf_orig *o, char *err, size_t errlen)
{
	char pid[16], mtu[16], path[PATH_MAX];
	int ret = 0;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(mtu, sizeof(mtu), "%u", o->mtu);
	if (ns) {
		ns_path(ns, path, sizeof(path));
		if (!access(path, F_OK)) {
			run_tool(NULL, 0, "ip", ns, "link", "set", "eth0", "down", NULL);
			ret = run_tool(err, errlen, "ip", ns, "link", "set", "eth0", "netns", pid,
				       "name", o->name, NULL);
			if (ret)
				goto cleanup;
		}
	}
	if (!if_nametoindex(o->name)) {
		ret = -ENODEV;
		iovb_errf(err, errlen, "VF netdev %s is gone", o->name);
		goto cleanup;
	}
	ret = run_tool(err, errlen, "ip", NULL, "link", "set", o->name, "mtu", mtu, "address",
		       o->mac, NULL);
	if (!ret && o->up)
		ret = run_tool(err, errlen, "ip", NULL, "link", "set", o->name, "up", NULL);
cleanup:
	return ret;
}

/* Move guest i's real VF netdev into its netns as eth0, noting first how to give it back. */
static int vf_move_in(struct topo *t, size_t i, char *err, size_t errlen)
{
	struct topo_guest *g = &t->guests[i];
	enum topo_nsid gid = NS_G0 + g->num - 1;
	char stands[48], mtu[16];
	struct vf_orig o;
	int ret;

	ret = vf_read(g->vf_netdev, &o);
	if (ret) {
		iovb_errf(err, errlen, "VF netdev %s: %s", g->vf_netdev,
			  ret == -EADDRINUSE ? "has IPv4 addresses (in use?)" : errdesc(ret));
		goto cleanup;
	}
	/* Written before the move: a run killed right after it can still be undone. */
	ret = vf_orig_write(t, g->num, &o);
	if (ret) {
		iovb_errf(err, errlen, "%s: %s", t->run_dir, errdesc(ret));
		goto cleanup;
	}
	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	run_tool(NULL, 0, "ip", NULL, "link", "set", g->vf_netdev, "down", NULL);
	ret = run_tool(err, errlen, "ip", NULL, "link", "set", g->vf_netdev, "netns", nsn(t, gid),
		       "name", "eth0", NULL);
	if (ret)
		goto cleanup;
	t->vf_moved[i] = true;
	ret = run_tool(err, errlen, "ip", nsn(t, gid), "link", "set", "eth0", "mtu", mtu, NULL);
	snprintf(stands, sizeof(stands), "real VF %s in the guest", g->vf_netdev);
	dev_add(t, "eth0", gid, "vf", stands);
cleanup:
	return ret;
}

/*
 * Guest i's emulated VF: a macvlan port of wire0 as its eth0, with its MAC, address, the
 * server's static neighbour, up. Also how a failed-over guest gets its VF back.
 */
static int vf_macvlan_make(struct topo *t, size_t i, char *err, size_t errlen)
{
	const struct topo_guest *g = &t->guests[i];
	enum topo_nsid gid = NS_G0 + g->num - 1;
	char m_g[18], m_srv[18], mtu[16], addr[24];
	int ret;

	mac_of(t, MAC_G0 + g->num, m_g);
	mac_of(t, MAC_SRV, m_srv);
	snprintf(mtu, sizeof(mtu), "%u", t->mtu);
	snprintf(addr, sizeof(addr), "%s%s", g->addr, TOPO_PLEN);
	/* Created straight into the guest: the lower device is looked up in nic. */
	ret = run_tool(err, errlen, "ip", nsn(t, NS_NIC), "link", "add", "link", "wire0", "name",
		       "eth0", "netns", nsn(t, gid), "address", m_g, "mtu", mtu, "type", "macvlan",
		       "mode", "bridge", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "addr", "add", addr, "dev", "eth0",
			       NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "link", "set", "eth0", "up", NULL);
	if (!ret)
		ret = run_tool(err, errlen, "ip", nsn(t, gid), "neigh", "replace", TOPO_SERVER_ADDR,
			       "lladdr", m_srv, "dev", "eth0", "nud", "permanent", NULL);
	return ret;
}

/* The VF path: per vf guest a macvlan port of the adapter's wire0, or a real VF. */
static int build_vf(struct topo *t, char *err, size_t errlen)
{
	char m_g[18], addr[24];
	int ret = 0;

	for (size_t i = 0; !ret && i < t->nguests; i++) {
		const struct topo_guest *g = &t->guests[i];
		enum topo_nsid gid = NS_G0 + g->num - 1;

		if (g->path != TOPO_VF)
			continue;
		mac_of(t, MAC_G0 + g->num, m_g);
		snprintf(addr, sizeof(addr), "%s%s", g->addr, TOPO_PLEN);
		if (g->vf_netdev[0]) {
			ret = vf_move_in(t, i, err, errlen);
			if (ret)
				break;
			/* Its MAC stays: a real VF's MAC is the PF's to set (ip link set PF vf N). */
			ret = run_tool(err, errlen, "ip", nsn(t, gid), "addr", "add", addr, "dev",
				       "eth0", NULL);
			if (!ret)
				ret = run_tool(err, errlen, "ip", nsn(t, gid), "link", "set", "eth0", "up",
					       NULL);
			continue;
		}
		ret = vf_macvlan_make(t, i, err, errlen);
		if (ret)
			break;
		dev_add(t, "eth0", gid, "macvlan", "VF in the guest (eswitch-steered macvlan)");
		ret = run_tool(err, errlen, "ip", nsn(t, NS_SRV), "neigh", "replace", g->addr,
			       "lladdr", m_g, "dev", "eth0", "nud", "permanent", NULL);
	}
	return ret;
}

/* ---- connectivity check ----------------------------------------------------------------- */

static int tcp_socket_in(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	return fd < 0 ? -errno : fd;
}

static int tcp_listener_in(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1, err = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	inet_pton(AF_INET, TOPO_SERVER_ADDR, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		err = -errno;
		close(fd);
	}
cleanup:
	return err ? err : fd;
}

static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int r;

	do
		r = poll(&p, 1, ms_left(deadline));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

/*
 * Connect from the guest to the server and move `bytes` each way at once: a SYN
 * alone would pass even with broken GSO or vnet headers, bulk data does not.
 */
static int check_path(const struct topo *t, int lfd, const struct sockaddr_in *srv,
		      enum topo_nsid gid, size_t bytes, char *err, size_t errlen)
{
	static const char zeros[16384];
	uint64_t deadline = now_ms() + TOPO_CHECK_MS;
	size_t sent[2] = { 0, 0 }, got[2] = { 0, 0 };
	int cfd = -1, afd = -1, ret, soerr = 0;
	socklen_t sl = sizeof(soerr);
	const char *stage = "socket";
	char buf[16384];

	cfd = ns_call(nsn(t, gid), tcp_socket_in, NULL);
	if (cfd < 0) {
		ret = cfd;
		goto cleanup;
	}
	stage = "connect";
	if (connect(cfd, (const struct sockaddr *)srv, sizeof(*srv)) && errno != EINPROGRESS) {
		ret = -errno;
		goto cleanup;
	}
	ret = wait_fd(cfd, POLLOUT, deadline);
	if (!ret && getsockopt(cfd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
		ret = -errno;
	if (!ret && soerr)
		ret = -soerr;
	if (ret)
		goto cleanup;
	stage = "accept";
	ret = wait_fd(lfd, POLLIN, deadline);
	if (ret)
		goto cleanup;
	afd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (afd < 0) {
		ret = -errno;
		goto cleanup;
	}
	stage = "transfer";
	while (got[0] < bytes || got[1] < bytes) {
		struct pollfd p[2] = { { afd, POLLIN, 0 }, { cfd, POLLIN, 0 } };
		int fds[2] = { afd, cfd };

		for (int i = 0; i < 2; i++)
			if (sent[i] < bytes)
				p[i].events |= POLLOUT;
		ret = poll(p, 2, ms_left(deadline));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0) {
			ret = ret ? -errno : -ETIMEDOUT;
			goto cleanup;
		}
		ret = 0;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if ((p[i].revents & POLLOUT) && sent[i] < bytes) {
				size_t want = bytes - sent[i];

				n = send(fds[i], zeros, want < sizeof(zeros) ? want : sizeof(zeros),
					 MSG_NOSIGNAL);
				if (n < 0 && errno != EAGAIN) {
					ret = -errno;
					goto cleanup;
				}
				sent[i] += n > 0 ? (size_t)n : 0;
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				n = recv(fds[i], buf, sizeof(buf), 0);
				if (n == 0 || (n < 0 && errno != EAGAIN)) {
					ret = n ? -errno : -ECONNRESET;
					goto cleanup;
				}
				got[i] += n > 0 ? (size_t)n : 0;
			}
		}
	}
cleanup:
	if (ret)
		iovb_errf(err, errlen,
			"no TCP path from %s to %s (%s: %s; %zu+%zu of %zu+%zu bytes moved)",
			nsn(t, gid), TOPO_SERVER_ADDR, stage, errdesc(ret), got[0], got[1], bytes,
			bytes);
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	return ret;
}

/*
 * The server side of a path check: a listener in the server's netns (its fd, or -errno with
 * err set), its address in *srv, and in *bytes how much to move each way.
 */
static int check_listener(const struct topo *t, struct sockaddr_in *srv, size_t *bytes,
			  char *err, size_t errlen)
{
	socklen_t sl = sizeof(*srv);
	int lfd;

	lfd = ns_call(nsn(t, NS_SRV), tcp_listener_in, NULL);
	if (lfd < 0) {
		iovb_errf(err, errlen, "%s: listen on %s: %s", nsn(t, NS_SRV), TOPO_SERVER_ADDR,
			  errdesc(lfd));
		return lfd;
	}
	if (getsockname(lfd, (struct sockaddr *)srv, &sl)) {
		int e = -errno;

		iovb_errf(err, errlen, "getsockname: %s", errdesc(errno));
		close(lfd);
		return e;
	}
	/* On a slow shaped link, about half a second's worth each way still proves the path. */
	*bytes = TOPO_CHECK_BYTES;
	if (t->link_rate_bps && t->link_rate_bps / 16 < *bytes)
		*bytes = t->link_rate_bps / 16 > TOPO_CHECK_MIN ? t->link_rate_bps / 16
								: TOPO_CHECK_MIN;
	return lfd;
}

static int check_connectivity(const struct topo *t, char *err, size_t errlen)
{
	struct sockaddr_in srv;
	size_t bytes;
	int lfd, ret = 0;

	lfd = check_listener(t, &srv, &bytes, err, errlen);
	if (lfd < 0) {
		ret = lfd;
		goto cleanup;
	}
	/* A real VF's frames leave through the adapter: the emulated server is not there. */
	for (size_t i = 0; !ret && i < t->nguests; i++)
		if (!t->guests[i].vf_netdev[0])
			ret = check_path(t, lfd, &srv, NS_G0 + t->guests[i].num - 1, bytes, err,
					 errlen);
cleanup:
	if (lfd >= 0)
		close(lfd);
	return ret;
}

/* ---- failover (docs/paths.md, "Failover") ---------------------------------------------- */

static int failover_guest(const struct topo *t, size_t i, const struct topo_guest **g)
{
	*g = t && i < t->nguests ? &t->guests[i] : NULL;
	/* A real VF's frames never reach the emulated eswitch: nothing to steer. */
	return *g && (*g)->standby_dev[0] && !(*g)->vf_netdev[0] ? 0 : -EINVAL;
}

int topo__failover(struct topo *t, size_t i, char *err, size_t errlen)
{
	const struct topo_guest *g;
	char m_g[18], prio[16], ns[64];
	int ret;

	ret = failover_guest(t, i, &g);
	if (ret) {
		iovb_errf(err, errlen, "guest %zu has no standby NIC to fail over to", i);
		goto cleanup;
	}
	if (t->guests[i].failed_over) {
		ret = -EALREADY;
		iovb_errf(err, errlen, "%s is already failed over", g->role);
		goto cleanup;
	}
	mac_of(t, MAC_G0 + g->num, m_g);
	snprintf(prio, sizeof(prio), "%u", TOPO_FAILOVER_PRIO + g->num);
	snprintf(ns, sizeof(ns), "%s", g->ns);
	/*
	 * The eswitch first (the hypervisor steers the VM's MAC to the vSwitch port), then the VF
	 * goes (hot-unplug): its routes go with it, so the guest's sockets re-route through the
	 * standby, which has the same address and MAC; the server's neighbour entry stays right.
	 */
	ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "filter", "add", "dev", "wire0", "parent",
		       "ffff:", "protocol", "all", "prio", prio, "u32", "match", "ether", "dst",
		       m_g, "action", "mirred", "egress", "redirect", "dev", "pfw", NULL);
	if (ret)
		goto cleanup;
	t->guests[i].failed_over = true;
	ret = run_tool(err, errlen, "ip", ns, "link", "del", "eth0", NULL);
cleanup:
	return ret;
}

int topo__failback(struct topo *t, size_t i, char *err, size_t errlen)
{
	const struct topo_guest *g;
	char prio[16];
	int ret, idx;

	ret = failover_guest(t, i, &g);
	if (ret) {
		iovb_errf(err, errlen, "guest %zu has no standby NIC", i);
		goto cleanup;
	}
	if (!g->failed_over) {
		ret = -EALREADY;
		iovb_errf(err, errlen, "%s has its VF", g->role);
		goto cleanup;
	}
	snprintf(prio, sizeof(prio), "%u", TOPO_FAILOVER_PRIO + g->num);
	/* The VF back first (its route wins again), then the eswitch sends it the frames. */
	ret = vf_macvlan_make(t, i, err, errlen);
	if (!ret)
		ret = run_tool(err, errlen, "tc", nsn(t, NS_NIC), "filter", "del", "dev", "wire0",
			       "parent", "ffff:", "prio", prio, NULL);
	if (ret)
		goto cleanup;
	t->guests[i].failed_over = false;
	/* A new netdev: the record's devices[] keeps naming it right. */
	idx = ns_call(g->ns, ifindex_in, "eth0");
	for (size_t k = 0; idx > 0 && k < t->ndevs; k++)
		if (!strcmp(t->devs[k].netns, g->ns) && !strcmp(t->devs[k].name, "eth0"))
			t->devs[k].ifindex = (uint32_t)idx;
cleanup:
	return ret;
}

/* Each standby works: fail over, move data, fail back, move data again over the VF. */
static int check_standby(struct topo *t, char *err, size_t errlen)
{
	struct sockaddr_in srv;
	size_t bytes;
	int lfd, ret = 0;

	lfd = check_listener(t, &srv, &bytes, err, errlen);
	if (lfd < 0) {
		ret = lfd;
		goto cleanup;
	}
	for (size_t i = 0; !ret && i < t->nguests; i++) {
		enum topo_nsid gid = NS_G0 + t->guests[i].num - 1;
		char one[256];

		if (!t->guests[i].standby_dev[0] || t->guests[i].vf_netdev[0])
			continue;
		ret = topo__failover(t, i, err, errlen);
		if (!ret) {
			ret = check_path(t, lfd, &srv, gid, bytes, one, sizeof(one));
			if (ret)
				iovb_errf(err, errlen, "standby NIC: %s", one);
		}
		if (!ret)
			ret = topo__failback(t, i, err, errlen);
		if (!ret) {
			ret = check_path(t, lfd, &srv, gid, bytes, one, sizeof(one));
			if (ret)
				iovb_errf(err, errlen, "VF after failback: %s", one);
		}
	}
cleanup:
	if (lfd >= 0)
		close(lfd);
	return ret;
}

/* ---- teardown --------------------------------------------------------------------------- */

/* Remove what t made, in any state of construction. Returns the first -errno. */
static int topo_teardown(struct topo *t)
{
	struct victims *v;
	uint64_t inos[NS_COUNT];
	size_t foreign = 0;
	int ret = 0, e;

	v = calloc(1, sizeof(*v));
	if (!v)
		ret = -ENOMEM;
	for (size_t i = 0; i < t->nguests; i++) {
		if (t->relay_ctl[i] >= 0) {
			/* Closing our end stops the relay; the signal covers a stuck write. */
			close(t->relay_ctl[i]);
			t->relay_ctl[i] = -1;
		}
		if (t->relay_pidfd[i] < 0)
			continue;
		if (v && v->n < TOPO_MAX_VICTIMS) {
			v->pidfd[v->n] = t->relay_pidfd[i];
			v->pid[v->n] = t->guests[i].relay_pid;
			v->reap[v->n] = true;
			v->n++;
		} else {
			pidfd_send_signal(t->relay_pidfd[i], SIGKILL, NULL, 0);
			close(t->relay_pidfd[i]);
		}
		t->relay_pidfd[i] = -1;
		t->guests[i].relay_pid = 0;
	}
	if (v)
		victims__kill(v); /* closes the pidfds, all relays stop in one grace period */
	for (size_t i = 0; i < t->nguests; i++) {
		struct vf_orig o;
		char path[PATH_MAX];

		if (!t->vf_moved[i] || vf_file(t, t->guests[i].num, path, sizeof(path)) ||
		    vf_orig_read(path, &o))
			continue;
		e = vf_restore(t->guests[i].ns, &o, NULL, 0);
		if (e && !ret)
			ret = e;
		t->vf_moved[i] = false;
	}
	for (size_t i = 0; i < t->nns; i++)
		inos[i] = t->ns[i].ino;
	if (v) {
		victims__in_ns(v, inos, t->nns, &foreign);
		victims__kill(v);
	}
	while (t->nns > 0) {
		const char *name = t->ns[t->nns - 1].name;

		e = run_tool(NULL, 0, "ip", NULL, "netns", "del", name, NULL);
		if (e && e != -ENOENT && !ret)
			ret = e;
		t->nns--;
	}
	for (int i = 0; i < NS_COUNT; i++)
		t->ns_idx[i] = -1;
	t->ndevs = 0;
	if (t->run_dir_made)
		run_dir_remove(t->run_dir);
	t->run_dir_made = false;
	/* A foreign process keeps its namespace alive after the name is gone: say so. */
	if (!ret && foreign)
		ret = -EBUSY;
	free(v);
	return ret;
}

/* ---- public ----------------------------------------------------------------------------- */

struct topo *topo__up(const struct topo_conf *conf, char *err, size_t errlen)
{
	struct topo *t = NULL;
	unsigned ng[TOPO_NPATH], nvf = 0;
	char path[PATH_MAX];
	int ret = 0;

	iovb_errf(err, errlen, "ok");
	if (!conf || !run_id_valid(conf->run_id)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "run id must be 1..%d characters of [A-Za-z0-9_]",
			TOPO_RUN_ID_MAX);
		goto cleanup;
	}
	if (!conf->path[TOPO_PV] && !conf->path[TOPO_VF]) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "no path selected");
		goto cleanup;
	}
	if (conf->mtu && (conf->mtu < 576 || conf->mtu > 65535)) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "mtu %u outside 576..65535", conf->mtu);
		goto cleanup;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "out of memory");
		goto cleanup;
	}
	/* Both 0: one guest per path, as before guest counts existed; else taken as given. */
	for (int p = 0; p < TOPO_NPATH; p++)
		ng[p] = conf->guests[TOPO_PV] || conf->guests[TOPO_VF] ? conf->guests[p] : 1;
	for (int p = 0; p < TOPO_NPATH; p++) {
		if (conf->path[p] && !ng[p]) {
			ret = -EINVAL;
			iovb_errf(err, errlen, "path %s selected with no guest", topo_path_names[p]);
			goto cleanup;
		}
	}
	if (ng[TOPO_PV] + ng[TOPO_VF] > TOPO_MAX_GUESTS) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%u guests: at most %d", ng[TOPO_PV] + ng[TOPO_VF],
			  TOPO_MAX_GUESTS);
		goto cleanup;
	}
	for (size_t i = 0; i < conf->noffloads; i++) {
		if (topo__offload_check(conf->offloads[i])) {
			ret = -EINVAL;
			iovb_errf(err, errlen, "bad offload setting '%s'", conf->offloads[i]);
			goto cleanup;
		}
	}
	for (int i = 0; i < TOPO_MAX_GUESTS; i++) {
		t->relay_ctl[i] = -1;
		t->relay_pidfd[i] = -1;
	}
	snprintf(t->run_id, sizeof(t->run_id), "%s", conf->run_id);
	snprintf(t->run_dir, sizeof(t->run_dir), "%s/%s", TOPO_RUN_DIR, t->run_id);
	for (int p = 0; p < TOPO_NPATH; p++)
		t->path[p] = conf->path[p];
	t->link_rate_bps = conf->link_rate_bps;
	t->standby = conf->standby && conf->path[TOPO_VF];
	t->mtu = conf->mtu ? conf->mtu : 1500;
	t->mac_hash = fnv1a(t->run_id);
	/* pv guests first, then vf: guest-N names the same guest whichever paths are selected */
	t->nplanned = ng[TOPO_PV] + ng[TOPO_VF];
	for (unsigned n = 1; n <= t->nplanned; n++) {
		enum topo_path p = n <= ng[TOPO_PV] ? TOPO_PV : TOPO_VF;
		struct topo_guest *g = &t->guests[t->nguests];

		if (!t->path[p])
			continue;
		g->path = p;
		g->num = n;
		snprintf(g->ns, sizeof(g->ns), "%s-%s-g%u", TOPO_PREFIX, conf->run_id, n);
		snprintf(g->role, sizeof(g->role), "guest-%u", n);
		snprintf(g->addr, sizeof(g->addr), "10.77.0.%u", TOPO_GUEST_ADDR_BASE + n);
		if (p == TOPO_PV)
			snprintf(g->host_dev, sizeof(g->host_dev), "vnet%u", n - 1);
		if (p == TOPO_VF && nvf < conf->nvf_netdevs) {
			if (strlen(conf->vf_netdevs[nvf]) >= sizeof(g->vf_netdev)) {
				ret = -EINVAL;
				iovb_errf(err, errlen, "VF netdev name '%s' too long",
					  conf->vf_netdevs[nvf]);
				goto cleanup;
			}
			snprintf(g->vf_netdev, sizeof(g->vf_netdev), "%s", conf->vf_netdevs[nvf]);
			nvf++;
		}
		/* A real VF's frames leave through the real adapter: no emulated standby for it. */
		if (p == TOPO_VF && t->standby && !g->vf_netdev[0]) {
			snprintf(g->host_dev, sizeof(g->host_dev), "vnet%u", n - 1);
			snprintf(g->standby_dev, sizeof(g->standby_dev), "%s", TOPO_STANDBY_DEV);
		}
		t->nguests++;
	}
	if (nvf < conf->nvf_netdevs) {
		ret = -EINVAL;
		iovb_errf(err, errlen, "%zu VF netdevs for %u vf guests", conf->nvf_netdevs, nvf);
		goto cleanup;
	}
	for (int i = 0; i < NS_COUNT; i++) {
		t->ns_idx[i] = -1;
		if (i < NS_G0) {
			snprintf(t->ns_name[i], sizeof(t->ns_name[i]), "%s-%s-%s", TOPO_PREFIX,
				 t->run_id, ns_defs[i].suffix);
			snprintf(t->ns_role[i], sizeof(t->ns_role[i]), "%s", ns_defs[i].role);
		} else {
			snprintf(t->ns_name[i], sizeof(t->ns_name[i]), "%s-%s-g%u", TOPO_PREFIX,
				 t->run_id, ns_guest_num(i));
			snprintf(t->ns_role[i], sizeof(t->ns_role[i]), "guest-%u", ns_guest_num(i));
		}
		ns_path(t->ns_name[i], path, sizeof(path));
		if (ns_wanted(t, i) && !access(path, F_OK)) {
			/* Never adopt (and later delete) what another run made. */
			ret = -EEXIST;
			iovb_errf(err, errlen, "%s already exists (run id in use?)", t->ns_name[i]);
			goto cleanup;
		}
	}
	ret = run_dir_make(t);
	if (ret) {
		iovb_errf(err, errlen, "mkdir %s: %s", t->run_dir, errdesc(ret));
		goto cleanup;
	}
	t->run_dir_made = true;
	for (int i = 0; i < NS_COUNT; i++) {
		if (!ns_wanted(t, i))
			continue;
		ret = ns_create(t, i, err, errlen);
		if (ret)
			goto cleanup;
	}
	ret = build_wire(t, err, errlen);
	if (ret)
		goto cleanup;
	if (t->path[TOPO_PV] || t->standby) {
		ret = build_pv(t, err, errlen);
		if (ret)
			goto cleanup;
	}
	if (t->path[TOPO_VF]) {
		ret = build_vf(t, err, errlen);
		if (ret)
			goto cleanup;
	}
	for (size_t i = 0; i < t->ndevs; i++) {
		struct topo_dev *d = &t->devs[i];
		int idx = ns_call(d->netns, ifindex_in, d->name);

		if (idx < 0) {
			ret = idx;
			iovb_errf(err, errlen, "%s: ifindex of %s: %s", d->netns, d->name,
				errdesc(ret));
			goto cleanup;
		}
		d->ifindex = (uint32_t)idx;
	}
	for (size_t i = 0; i < conf->noffloads && !ret; i++)
		ret = offload_apply(t, conf->offloads[i], err, errlen);
	if (!ret)
		ret = check_connectivity(t, err, errlen);
	if (!ret && t->standby)
		ret = check_standby(t, err, errlen);
cleanup:
	if (ret && t) {
		topo_teardown(t);
		free(t);
		t = NULL;
	}
	if (ret)
		errno = -ret;
	return t;
}

int topo__down(struct topo *t)
{
	int ret = 0;

	if (t)
		ret = topo_teardown(t);
	free(t);
	return ret;
}

int topo__detach(struct topo *t)
{
	int ret = 0;

	if (!t) {
		ret = -EINVAL;
		goto cleanup;
	}
	for (size_t i = 0; i < t->nguests; i++) {
		if (t->relay_ctl[i] < 0)
			continue;
		ret = relay__detach(t->relay_ctl[i], 2000);
		if (ret)
			goto cleanup;
	}
	/* All relays acknowledged: only now is it safe to let go of them. */
	for (size_t i = 0; i < t->nguests; i++) {
		if (t->relay_ctl[i] >= 0)
			close(t->relay_ctl[i]);
		if (t->relay_pidfd[i] >= 0)
			close(t->relay_pidfd[i]);
	}
	free(t);
cleanup:
	return ret;
}

/* Remove every netns of run `id` (any run when NULL), its relay and its run directory. */
static int down_match(const char *id, char *err, size_t errlen)
{
	char(*names)[64] = NULL;
	uint64_t *inos = NULL;
	struct victims *v = NULL;
	size_t n = 0, cap = 0, foreign = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0, count = 0, e;

	iovb_errf(err, errlen, "ok");
	v = calloc(1, sizeof(*v));
	if (!v) {
		ret = -ENOMEM;
		iovb_errf(err, errlen, "out of memory");
		goto cleanup;
	}
	d = opendir(TOPO_NETNS_DIR);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX];
			struct stat st;

			if (!ns_name_ours(de->d_name, id) || strlen(de->d_name) >= 64)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *a = realloc(names, nc * sizeof(*names));
				void *b = a ? realloc(inos, nc * sizeof(*inos)) : NULL;

				if (a)
					names = a;
				if (b)
					inos = b;
				if (!a || !b) {
					ret = -ENOMEM;
					iovb_errf(err, errlen, "out of memory");
					break;
				}
				cap = nc;
			}
			snprintf(names[n], 64, "%s", de->d_name);
			ns_path(de->d_name, path, sizeof(path));
			inos[n] = stat(path, &st) ? 0 : (uint64_t)st.st_ino;
			n++;
		}
		closedir(d);
	}
	if (ret)
		goto cleanup;
	/* Relays first: each holds a TAP, and with it its namespace, alive. */
	d = opendir(TOPO_RUN_DIR);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			char dir[PATH_MAX];

			if (!run_id_valid(de->d_name) || (id && strcmp(de->d_name, id)))
				continue;
			if (snprintf(dir, sizeof(dir), "%s/%s", TOPO_RUN_DIR, de->d_name) >=
			    (int)sizeof(dir))
				continue;
			pid_t pids[TOPO_MAX_GUESTS];
			size_t np = pid_file_read(dir, pids, TOPO_MAX_GUESTS);

			for (size_t k = 0; k < np; k++)
				victims__add(v, pids[k], RELAY_COMM, true);
		}
		closedir(d);
	}
	victims__kill(v);
	/* Real VFs back to where they came from, before their namespaces go. */
	d = opendir(TOPO_RUN_DIR);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (!run_id_valid(de->d_name) || (id && strcmp(de->d_name, id)))
				continue;
			for (unsigned g = 1; g <= TOPO_MAX_GUESTS; g++) {
				char path[PATH_MAX], ns[64], one[256];
				struct vf_orig o;

				if (snprintf(path, sizeof(path), "%s/%s/" TOPO_VF_FILE, TOPO_RUN_DIR,
					     de->d_name, g) >= (int)sizeof(path) ||
				    vf_orig_read(path, &o))
					continue;
				snprintf(ns, sizeof(ns), "%s-%.32s-g%u", TOPO_PREFIX, de->d_name, g);
				e = vf_restore(ns, &o, one, sizeof(one));
				if (e && !ret) {
					ret = e;
					iovb_errf(err, errlen, "%s", one);
				}
			}
		}
		closedir(d);
	}
	victims__in_ns(v, inos, n, &foreign);
	victims__kill(v);
	for (size_t i = 0; i < n; i++) {
		char one[256];

		e = run_tool(one, sizeof(one), "ip", NULL, "netns", "del", names[i], NULL);
		if (!e) {
			count++;
		} else if (e != -ENOENT && !ret) {
			ret = e;
			iovb_errf(err, errlen, "%s", one);
		}
	}
	d = opendir(TOPO_RUN_DIR);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			char dir[PATH_MAX];

			if (!run_id_valid(de->d_name) || (id && strcmp(de->d_name, id)))
				continue;
			if (snprintf(dir, sizeof(dir), "%s/%s", TOPO_RUN_DIR, de->d_name) >=
			    (int)sizeof(dir))
				continue;
			run_dir_remove(dir);
		}
		closedir(d);
	}
	if (!ret && foreign) {
		ret = -EBUSY;
		iovb_errf(err, errlen,
			"%zu process(es) not started by iovbench are still inside; their "
			"namespaces are freed when they exit",
			foreign);
	}
cleanup:
	free(v);
	free(names);
	free(inos);
	return ret ? ret : count;
}

int topo__down_all(char *err, size_t errlen)
{
	return down_match(NULL, err, errlen);
}

int topo__down_run(const char *run_id, char *err, size_t errlen)
{
	int ret = -EINVAL;

	if (!run_id_valid(run_id)) {
		iovb_errf(err, errlen, "not a run id: '%s'", run_id ? run_id : "");
		goto cleanup;
	}
	ret = down_match(run_id, err, errlen);
cleanup:
	return ret;
}

size_t topo__nns(const struct topo *t)
{
	return t ? t->nns : 0;
}

const struct topo_ns *topo__ns(const struct topo *t, size_t i)
{
	return t && i < t->nns ? &t->ns[i] : NULL;
}

size_t topo__ndevs(const struct topo *t)
{
	return t ? t->ndevs : 0;
}

const struct topo_dev *topo__dev(const struct topo *t, size_t i)
{
	return t && i < t->ndevs ? &t->devs[i] : NULL;
}

const char *topo__role_of(const struct topo *t, uint64_t netns_ino)
{
	const char *role = IOVB_ROLE_OTHER;

	for (size_t i = 0; t && i < t->nns; i++)
		if (t->ns[i].ino == netns_ino)
			role = t->ns[i].role;
	return role;
}

const char *topo__server_ns(const struct topo *t)
{
	return t ? t->ns_name[NS_SRV] : NULL;
}

const char *topo__server_addr(const struct topo *t)
{
	return t ? TOPO_SERVER_ADDR : NULL;
}

size_t topo__nguests(const struct topo *t)
{
	return t ? t->nguests : 0;
}

const struct topo_guest *topo__guest(const struct topo *t, size_t i)
{
	return t && i < t->nguests ? &t->guests[i] : NULL;
}

static const struct topo_guest *first_guest(const struct topo *t, enum topo_path path)
{
	for (size_t i = 0; t && i < t->nguests; i++)
		if (t->guests[i].path == path)
			return &t->guests[i];
	return NULL;
}

const char *topo__guest_ns(const struct topo *t, enum topo_path path)
{
	const struct topo_guest *g = first_guest(t, path);

	return g ? g->ns : NULL;
}

const char *topo__guest_role(const struct topo *t, enum topo_path path)
{
	const struct topo_guest *g = first_guest(t, path);

	return g ? g->role : NULL;
}

pid_t topo__relay_pid(const struct topo *t)
{
	const struct topo_guest *g = first_guest(t, TOPO_PV);

	return g ? g->relay_pid : 0;
}

struct offload_req {
	const char *ifname;
	char *buf;
	size_t len;
};

/* The offload features iovbench reads and sets, by their `ethtool -k` short names. */
static const struct {
	const char *key;
	__u32 get, set;
	__u32 flag; /* for ETHTOOL_GFLAGS/SFLAGS: the bit; 0 = the value itself */
} offload_feats[] = {
	{ "sg", ETHTOOL_GSG, ETHTOOL_SSG, 0 },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO, 0 },
	{ "gso", ETHTOOL_GGSO, ETHTOOL_SGSO, 0 },
	{ "gro", ETHTOOL_GGRO, ETHTOOL_SGRO, 0 },
	{ "lro", ETHTOOL_GFLAGS, ETHTOOL_SFLAGS, ETH_FLAG_LRO },
	{ "rx-csum", ETHTOOL_GRXCSUM, ETHTOOL_SRXCSUM, 0 },
	{ "tx-csum", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM, 0 },
};

#define NFEATS (sizeof(offload_feats) / sizeof(offload_feats[0]))

/* A parsed "[ROLE/]DEV:feat=on|off,...": want[f] is -1 (leave), 0 or 1. */
struct offload_spec {
	char role[16]; /* "" = any */
	char dev[16];  /* "*" = any */
	int want[NFEATS];
};

static int offload_parse(const char *s, struct offload_spec *o)
{
	char buf[256], *colon, *slash, *tok, *save = NULL;
	size_t n = 0;
	int err = -EINVAL;

	if (!s || strlen(s) >= sizeof(buf))
		goto cleanup;
	strcpy(buf, s);
	memset(o, 0, sizeof(*o));
	for (size_t f = 0; f < NFEATS; f++)
		o->want[f] = -1;
	colon = strchr(buf, ':');
	if (!colon)
		goto cleanup;
	*colon = '\0';
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!*buf || strlen(buf) >= sizeof(o->role))
			goto cleanup;
		strcpy(o->role, buf);
	}
	tok = slash ? slash + 1 : buf;
	if (!*tok || strlen(tok) >= sizeof(o->dev))
		goto cleanup;
	strcpy(o->dev, tok);
	for (tok = strtok_r(colon + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		size_t f;

		if (!eq)
			goto cleanup;
		*eq++ = '\0';
		for (f = 0; f < NFEATS && strcmp(tok, offload_feats[f].key); f++)
			;
		if (f == NFEATS || (strcmp(eq, "on") && strcmp(eq, "off")))
			goto cleanup;
		o->want[f] = !strcmp(eq, "on");
		n++;
	}
	if (n)
		err = 0;
cleanup:
	return err;
}

int topo__offload_check(const char *spec)
{
	struct offload_spec o;

	return offload_parse(spec, &o);
}

struct offload_set {
	const char *ifname;
	const int *want;
	size_t failed; /* index of the feature that did not take, or NFEATS */
};

static int offload_ioctl(int fd, const char *ifname, struct ethtool_value *ev)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)ev;
	return ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

/* In the device's netns: set each wanted feature, then read it back. */
static int offload_set_in(void *arg)
{
	struct offload_set *r = arg;
	int fd, ret = 0;

	r->failed = NFEATS;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	for (size_t f = 0; f < NFEATS && !ret; f++) {
		struct ethtool_value ev = { .cmd = offload_feats[f].get };
		bool on;

		if (r->want[f] < 0)
			continue;
		ret = offload_ioctl(fd, r->ifname, &ev);
		if (ret)
			break;
		if (offload_feats[f].flag)
			ev.data = r->want[f] ? ev.data | offload_feats[f].flag
					     : ev.data & ~offload_feats[f].flag;
		else
			ev.data = (__u32)r->want[f];
		ev.cmd = offload_feats[f].set;
		ret = offload_ioctl(fd, r->ifname, &ev);
		/* The legacy set calls may accept a change the device then refuses: read back. */
		ev = (struct ethtool_value){ .cmd = offload_feats[f].get };
		if (!ret)
			ret = offload_ioctl(fd, r->ifname, &ev);
		on = offload_feats[f].flag ? !!(ev.data & offload_feats[f].flag) : !!ev.data;
		if (!ret && on != (r->want[f] == 1))
			ret = -EOPNOTSUPP;
		if (ret)
			r->failed = f;
	}
	close(fd);
cleanup:
	return ret;
}

static int offload_apply(struct topo *t, const char *spec, char *err, size_t errlen)
{
	struct offload_spec o;
	struct offload_set r;
	size_t matched = 0;
	int ret;

	ret = offload_parse(spec, &o);
	if (ret) {
		iovb_errf(err, errlen, "bad offload setting '%s'", spec);
		goto cleanup;
	}
	for (size_t i = 0; i < t->ndevs && !ret; i++) {
		const struct topo_dev *d = &t->devs[i];

		if ((o.role[0] && strcmp(o.role, d->role)) ||
		    (strcmp(o.dev, "*") && strcmp(o.dev, d->name)))
			continue;
		matched++;
		r = (struct offload_set){ d->name, o.want, NFEATS };
		ret = ns_call(d->netns, offload_set_in, &r);
		if (ret)
			iovb_errf(err, errlen, "--offload %s: %s/%s: cannot set %s: %s", spec, d->role,
				  d->name, r.failed < NFEATS ? offload_feats[r.failed].key : "?",
				  errdesc(ret));
	}
	if (!ret && !matched) {
		ret = -ENODEV;
		iovb_errf(err, errlen, "--offload %s: no such device in the topology (ROLE/DEV, "
			  "e.g. host/br0, guest-1/eth0, nic/wire0)", spec);
	}
cleanup:
	return ret;
}

static int offloads_in(void *arg)
{
	struct offload_req *r = arg;
	size_t off = 0;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	for (size_t i = 0; i < NFEATS; i++) {
		struct ethtool_value ev = { .cmd = offload_feats[i].get };
		bool on;
		int n;

		/* The legacy one-feature ioctls: no string sets to fetch, same dev->features. */
		ret = offload_ioctl(fd, r->ifname, &ev);
		if (ret)
			break;
		on = offload_feats[i].flag ? !!(ev.data & offload_feats[i].flag) : !!ev.data;
		n = snprintf(r->buf + off, r->len - off, "%s%s=%s", off ? " " : "",
			     offload_feats[i].key, on ? "on" : "off");
		if (n < 0 || (size_t)n >= r->len - off) {
			ret = -ENOSPC;
			break;
		}
		off += n;
	}
	close(fd);
cleanup:
	return ret;
}

int topo__dev_offloads(const struct topo *t, size_t i, char *buf, size_t len)
{
	struct offload_req r = { NULL, buf, len };
	int ret = -EINVAL;

	if (!t || i >= t->ndevs || !buf || !len)
		goto cleanup;
	buf[0] = '\0';
	r.ifname = t->devs[i].name;
	ret = ns_call(t->devs[i].netns, offloads_in, &r);
cleanup:
	return ret;
}

int topo__vf_resolve(const char *sysfs_root, const char *spec, char *buf, size_t len)
{
	const struct sriov_pf *pf;
	struct sriov *sr = NULL;
	char pfname[SRIOV_PCI_LEN + SRIOV_NAME_LEN], pci[SRIOV_PCI_LEN];
	const char *colon;
	uint64_t idx;
	int err = -EINVAL;

	if (!spec || !buf || !len)
		goto cleanup;
	if (!strncmp(spec, "netdev:", 7)) {
		if (!spec[7] || strlen(spec + 7) >= IFNAMSIZ || strlen(spec + 7) >= len)
			goto cleanup;
		snprintf(buf, len, "%s", spec + 7);
		err = 0;
		goto cleanup;
	}
	/* PCI addresses hold ':' themselves: the index follows the last one. */
	colon = strrchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(pfname) ||
	    iovb_parse_u64(colon + 1, 0, UINT32_MAX, &idx))
		goto cleanup;
	snprintf(pfname, sizeof(pfname), "%.*s", (int)(colon - spec), spec);
	err = sriov__resolve(sysfs_root, pfname, pci, sizeof(pci));
	if (err)
		goto cleanup;
	err = sriov__scan(sysfs_root, &sr);
	if (err)
		goto cleanup;
	err = -ENODEV;
	for (size_t i = 0; i < sriov__npfs(sr); i++) {
		pf = sriov__pf(sr, i);
		if (strcmp(pf->pci, pci))
			continue;
		err = -ERANGE;
		for (size_t k = 0; k < pf->nvfs; k++) {
			if (pf->vfs[k].index != idx)
				continue;
			err = !pf->vfs[k].netdev[0] ? -ENOENT :
			      strlen(pf->vfs[k].netdev) >= len ? -ENOSPC : 0;
			if (!err)
				snprintf(buf, len, "%s", pf->vfs[k].netdev);
		}
	}
cleanup:
	sriov__free(sr);
	return err;
}

int topo__parse_guests(const char *s, unsigned guests[TOPO_NPATH])
{
	char buf[32], *plus;
	uint64_t vf, pv;
	int err = -EINVAL;

	if (!s || strlen(s) >= sizeof(buf))
		goto cleanup;
	strcpy(buf, s);
	plus = strchr(buf, '+');
	if (!plus)
		goto cleanup;
	*plus = '\0';
	if (iovb_parse_u64(buf, 0, TOPO_MAX_GUESTS, &vf) ||
	    iovb_parse_u64(plus + 1, 0, TOPO_MAX_GUESTS, &pv) || !(vf + pv) ||
	    vf + pv > TOPO_MAX_GUESTS)
		goto cleanup;
	guests[TOPO_VF] = (unsigned)vf;
	guests[TOPO_PV] = (unsigned)pv;
	err = 0;
cleanup:
	return err;
}

int topo__parse_paths(const char *s, bool path[TOPO_NPATH])
{
	char buf[64], *tok, *save = NULL;
	int n = 0, err = 0;

	if (strlen(s) >= sizeof(buf)) {
		err = -EINVAL;
		goto cleanup;
	}
	strcpy(buf, s);
	for (int i = 0; i < TOPO_NPATH; i++)
		path[i] = false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < TOPO_NPATH; i++)
			if (!strcmp(tok, topo_path_names[i]))
				break;
		if (i == TOPO_NPATH || path[i]) {
			err = -EINVAL;
			goto cleanup;
		}
		path[i] = true;
		n++;
	}
	if (!n)
		err = -EINVAL;
cleanup:
	return err;
}
