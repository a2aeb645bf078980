// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for bench/sriov.c and `iovbench sriov`: sysfs fixture trees (tests/fixtures/sysfs,
 * see its README) with exact PFs and VFs, damaged trees, enabling VFs on a copy, the netlink VF
 * info parser on built messages, and the live /sys of whatever machine runs the tests.
 * Fixtures are found from the source path (run from the repository root), from the test
 * binary's location, or from $IOVB_FIXTURES (the sysfs fixture directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "../../bench/cmds.h"
#include "../../bench/sriov.h"

static char fixtures[PATH_MAX];
static char tmpdir[64];

/* ---- helpers ---- */

static bool dir_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static const char *tree(const char *name)
{
	static char path[4][PATH_MAX];
	static int next;
	char *p = path[next++ % 4];

	assert_true(snprintf(p, PATH_MAX, "%s/%s", fixtures, name) < PATH_MAX);
	return p;
}

static struct sriov *scan_root(const char *root)
{
	struct sriov *s = NULL;

	assert_int_equal(sriov__scan(root, &s), 0);
	assert_non_null(s);
	return s;
}

static struct sriov *scan(const char *name)
{
	return scan_root(tree(name));
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Output of one cmd_sriov() call. */
struct run {
	int rc;
	char out[1 << 16];
	char err[4096];
	int err_lines;
};

static void capture_into(const char *path, char *buf, size_t len)
{
	const char *s = slurp(path);

	snprintf(buf, len, "%s", s);
}

/* cmd_sriov(argv...) with stdout and stderr captured. */
static void run_cmd(struct run *r, ...)
{
	char *argv[16], out_path[PATH_MAX], err_path[PATH_MAX];
	int argc = 0, saved_out, saved_err, fo, fe;
	const char *a;
	va_list ap;

	va_start(ap, r);
	argv[argc++] = "sriov";
	while ((a = va_arg(ap, const char *)) != NULL && argc < 15)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/out", tmpdir);
	snprintf(err_path, sizeof(err_path), "%s/err", tmpdir);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved_out >= 0 && saved_err >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	r->rc = cmd_sriov(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(fo);
	close(fe);
	capture_into(out_path, r->out, sizeof(r->out));
	capture_into(err_path, r->err, sizeof(r->err));
	r->err_lines = 0;
	for (const char *c = r->err; *c; c++)
		r->err_lines += *c == '\n';
}

/* A fresh copy of fixture `name` under tmpdir, made as the issue says: cp -a. */
static const char *copy_tree(const char *name)
{
	static char dst[PATH_MAX];
	char cmd[3 * PATH_MAX];

	snprintf(dst, sizeof(dst), "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", dst, tree(name), dst);
	assert_int_equal(system(cmd), 0);
	return dst;
}

static void assert_vf(const struct sriov_vf *vf, uint32_t index, const char *pci,
		      const char *netdev, const char *driver)
{
	assert_non_null(vf);
	assert_int_equal(vf->index, index);
	assert_string_equal(vf->pci, pci);
	assert_string_equal(vf->netdev, netdev);
	assert_string_equal(vf->driver, driver);
	/* A tree, not a live system: no netlink settings. */
	assert_false(vf->have_config);
	assert_string_equal(vf->mac, "");
	assert_int_equal(vf->spoofchk, -1);
	assert_int_equal(vf->trust, -1);
}

/* ---- fixture trees ---- */

/* An 82599 with 12 VFs on port 0 (VF 3 on vfio-pci), none on port 1, and a plain e1000e. */
static void test_host(void **state)
{
	struct sriov *s = scan("host");
	const struct sriov_pf *pf;
	char pci[32], netdev[32];

	assert_int_equal(sriov__npfs(s), 2);
	assert_int_equal(sriov__nlone_vfs(s), 0);
	assert_int_equal(sriov__nwarnings(s), 0);

	pf = sriov__pf(s, 0);
	assert_string_equal(pf->pci, "0000:01:00.0");
	assert_string_equal(pf->netdev, "enp1s0f0");
	assert_string_equal(pf->driver, "ixgbe");
	assert_string_equal(pf->mac, "90:e2:ba:00:00:10");
	assert_int_equal(pf->totalvfs, 63);
	assert_int_equal(pf->numvfs, 12);
	assert_int_equal(pf->nvfs, 12);
	for (uint32_t i = 0; i < 12; i++) {
		snprintf(pci, sizeof(pci), "0000:01:%02x.%u", 0x10 + i / 8, i % 8);
		snprintf(netdev, sizeof(netdev), "enp1s0f0v%u", i);
		/* Numeric order: virtfn10 and virtfn11 after virtfn9, not after virtfn1. */
		if (i == 3)
			assert_vf(&pf->vfs[i], i, pci, "", "vfio-pci");
		else
			assert_vf(&pf->vfs[i], i, pci, netdev, "ixgbevf");
	}
	assert_string_equal(pf->vfs[10].pci, "0000:01:11.2");

	pf = sriov__pf(s, 1);
	assert_string_equal(pf->pci, "0000:01:00.1");
	assert_string_equal(pf->netdev, "enp1s0f1");
	assert_string_equal(pf->driver, "ixgbe");
	assert_int_equal(pf->totalvfs, 63);
	assert_int_equal(pf->numvfs, 0);
	assert_int_equal(pf->nvfs, 0);

	assert_null(sriov__pf(s, 2));
	assert_null(sriov__lone_vf(s, 0));
	assert_null(sriov__warning(s, 0));
	sriov__free(s);
}

/* A guest: virtio-net is no VF; an ixgbevf VF and a ConnectX-5 VF (mlx5_core) without physfn. */
static void test_vm(void **state)
{
	struct sriov *s = scan("vm");
	const struct sriov_vf *vf;

	assert_int_equal(sriov__npfs(s), 0);
	assert_int_equal(sriov__nwarnings(s), 0);
	assert_int_equal(sriov__nlone_vfs(s), 2);
	vf = sriov__lone_vf(s, 0);
	assert_vf(vf, 0, "0000:00:05.0", "eth1", "ixgbevf");
	/* mlx5_core drives PFs too: only the PCI id (15b3:1018) says VF. */
	vf = sriov__lone_vf(s, 1);
	assert_vf(vf, 0, "0000:00:06.0", "eth2", "mlx5_core");
	sriov__free(s);
}

/* Garbage sriov_numvfs, a dangling virtfn link, a dangling bus/pci/devices entry. */
static void test_broken(void **state)
{
	struct sriov *s = scan("broken");
	const struct sriov_pf *pf;

	assert_int_equal(sriov__npfs(s), 1);
	pf = sriov__pf(s, 0);
	assert_string_equal(pf->pci, "0000:03:00.1");
	assert_int_equal(pf->numvfs, 2);
	assert_int_equal(pf->totalvfs, 64);
	assert_int_equal(pf->nvfs, 1);
	assert_vf(&pf->vfs[0], 0, "0000:03:0a.0", "ens3f1v0", "iavf");

	assert_int_equal(sriov__nwarnings(s), 3);
	assert_string_equal(sriov__warning(s, 0),
			    "PF 0000:03:00.0: sriov_numvfs is not a count ('lots'): skipped");
	assert_non_null(strstr(sriov__warning(s, 1), "PF 0000:03:00.1: virtfn1: broken link"));
	assert_non_null(strstr(sriov__warning(s, 1), "VF 1 skipped"));
	assert_non_null(strstr(sriov__warning(s, 2), "bus/pci/devices/0000:04:00.0: broken link"));
	sriov__free(s);
}

static void test_plain(void **state)
{
	struct sriov *s = scan("plain");

	assert_int_equal(sriov__npfs(s), 0);
	assert_int_equal(sriov__nlone_vfs(s), 0);
	assert_int_equal(sriov__nwarnings(s), 0);
	sriov__free(s);
}

/* Damage made here: binary garbage and an overflow in the counts, a virtfn with a bad name. */
static void test_garbage_counts(void **state)
{
	const char *root = copy_tree("host");
	const char *cases[] = { "\x1b[31m7", "4294967296", "-1", "", " 3x" };
	char path[PATH_MAX], link[PATH_MAX];
	struct sriov *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/0000:01:00.0/sriov_numvfs", root);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(cases[c], f);
		fclose(f);
		s = scan_root(root);
		/* The damaged PF is skipped, the other still listed; no control bytes echoed. */
		assert_int_equal(sriov__npfs(s), 1);
		assert_string_equal(sriov__pf(s, 0)->pci, "0000:01:00.1");
		assert_int_equal(sriov__nwarnings(s), 1);
		assert_non_null(strstr(sriov__warning(s, 0), "sriov_numvfs is not a count"));
		assert_null(strchr(sriov__warning(s, 0), '\x1b'));
		sriov__free(s);
	}
	f = fopen(path, "w");
	fputs("12\n", f);
	fclose(f);
	snprintf(link, sizeof(link), "%s/bus/pci/devices/0000:01:00.0/virtfnX", root);
	assert_int_equal(symlink("../0000:01:10.0", link), 0);
	s = scan_root(root);
	assert_int_equal(sriov__npfs(s), 2);
	assert_int_equal(sriov__pf(s, 0)->nvfs, 12);
	assert_int_equal(sriov__nwarnings(s), 1);
	assert_string_equal(sriov__warning(s, 0),
			    "PF 0000:01:00.0: virtfnX is not virtfnN: ignored");
	sriov__free(s);
}

static void test_not_sysfs(void **state)
{
	struct sriov *s = (struct sriov *)1;

	assert_int_equal(sriov__scan(tree("no-such-tree"), &s), -ENOENT);
	assert_null(s);
	/* The accessors take NULL as empty (the live "no PCI bus" case). */
	assert_int_equal(sriov__npfs(NULL), 0);
	assert_int_equal(sriov__nlone_vfs(NULL), 0);
	assert_int_equal(sriov__nwarnings(NULL), 0);
	sriov__free(NULL);
}

static void test_resolve(void **state)
{
	char pci[32];

	assert_int_equal(sriov__resolve(tree("host"), "enp1s0f0", pci, sizeof(pci)), 0);
	assert_string_equal(pci, "0000:01:00.0");
	assert_int_equal(sriov__resolve(tree("host"), "0000:01:00.1", pci, sizeof(pci)), 0);
	assert_string_equal(pci, "0000:01:00.1");
	assert_int_equal(sriov__resolve(tree("host"), "enp1s0f0v10", pci, sizeof(pci)), 0);
	assert_string_equal(pci, "0000:01:11.2");
	/* virtio-net: the netdev hangs off virtio0 under the PCI function. */
	assert_int_equal(sriov__resolve(tree("vm"), "eth0", pci, sizeof(pci)), 0);
	assert_string_equal(pci, "0000:00:03.0");
	assert_int_equal(sriov__resolve(tree("host"), "lo", pci, sizeof(pci)), -ENODEV);
	assert_int_equal(sriov__resolve(tree("host"), "nosuch0", pci, sizeof(pci)), -ENODEV);
	assert_int_equal(sriov__resolve(tree("host"), "../../class", pci, sizeof(pci)), -ENODEV);
	assert_int_equal(sriov__resolve(tree("host"), "", pci, sizeof(pci)), -ENODEV);
	assert_int_equal(sriov__resolve(tree("host"), "enp1s0f0", pci, 4), -ENOSPC);
}

/* ---- enable ---- */

/* How many times the file was written and closed since the watch began. */
static int writes(int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;
	ssize_t len;

	while ((len = read(ifd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			n += !!(ev->mask & IN_CLOSE_WRITE);
			p += sizeof(*ev) + ev->len;
		}
	return n;
}

static void test_enable(void **state)
{
	const char *root = copy_tree("host");
	char num[PATH_MAX], num1[PATH_MAX];
	int ifd;

	snprintf(num, sizeof(num), "%s/bus/pci/devices/0000:01:00.0/sriov_numvfs", root);
	snprintf(num1, sizeof(num1), "%s/bus/pci/devices/0000:01:00.1/sriov_numvfs", root);
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(ifd >= 0);
	/* IN_MODIFY too: inotify merges identical back-to-back events, two closes would be one. */
	assert_true(inotify_add_watch(ifd, num, IN_MODIFY | IN_CLOSE_WRITE) >= 0);

	/* 12 -> 4: the kernel wants 0 in between, so two writes. */
	assert_int_equal(sriov__enable(root, "enp1s0f0", 4), 0);
	assert_string_equal(slurp(num), "4\n");
	assert_int_equal(writes(ifd), 2);
	/* Already 4: nothing written. */
	assert_int_equal(sriov__enable(root, "0000:01:00.0", 4), 0);
	assert_int_equal(writes(ifd), 0);
	/* 4 -> 0: one write. */
	assert_int_equal(sriov__enable(root, "enp1s0f0", 0), 0);
	assert_string_equal(slurp(num), "0\n");
	assert_int_equal(writes(ifd), 1);
	/* 0 -> 63 (all): one write. */
	assert_int_equal(sriov__enable(root, "enp1s0f0", 63), 0);
	assert_string_equal(slurp(num), "63\n");
	assert_int_equal(writes(ifd), 1);
	/* More than totalvfs: refused, nothing written. */
	assert_int_equal(sriov__enable(root, "enp1s0f0", 64), -ERANGE);
	assert_string_equal(slurp(num), "63\n");
	assert_int_equal(writes(ifd), 0);
	close(ifd);

	assert_int_equal(sriov__enable(root, "0000:01:00.1", 2), 0);
	assert_string_equal(slurp(num1), "2\n");
	assert_int_equal(sriov__enable(root, "eno1", 1), -EOPNOTSUPP);
	assert_int_equal(sriov__enable(root, "0000:01:10.0", 1), -EOPNOTSUPP);
	assert_int_equal(sriov__enable(root, "nosuch0", 1), -ENODEV);

	root = copy_tree("broken");
	assert_int_equal(sriov__enable(root, "ens3f0", 1), -EINVAL);
}

/* ---- netlink VF info ---- */

struct msgbuf {
	char b[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
};

static struct rtattr *put(struct msgbuf *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->b + m->len);

	assert_true(m->len + RTA_SPACE(len) <= sizeof(m->b));
	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (data)
		memcpy(RTA_DATA(a), data, len);
	m->len += RTA_SPACE(len);
	return a;
}

static void end_nest(struct msgbuf *m, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)(m->b + m->len - (char *)nest);
}

static void put_vf(struct msgbuf *m, uint32_t vf, uint8_t last, uint32_t vlan, uint32_t qos,
		   uint32_t spoof, uint32_t trust)
{
	struct ifla_vf_mac mac = { .vf = vf, .mac = { 0x02, 0, 0, 0, 0x01, last } };
	struct ifla_vf_vlan vl = { .vf = vf, .vlan = vlan, .qos = qos };
	struct ifla_vf_spoofchk sp = { .vf = vf, .setting = spoof };
	struct ifla_vf_trust tr = { .vf = vf, .setting = trust };
	struct rtattr *info = put(m, IFLA_VF_INFO | NLA_F_NESTED, NULL, 0);

	put(m, IFLA_VF_MAC, &mac, sizeof(mac));
	put(m, IFLA_VF_VLAN, &vl, sizeof(vl));
	put(m, IFLA_VF_SPOOFCHK, &sp, sizeof(sp));
	put(m, IFLA_VF_TRUST, &tr, sizeof(tr));
	end_nest(m, info);
}

/* An RTM_NEWLINK as the kernel answers for an 82599 PF with VF settings (as ip link shows). */
static void build_link_msg(struct msgbuf *m)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->b;
	struct ifinfomsg *ifi;
	struct rtattr *list;
	uint32_t mtu = 1500;

	memset(m, 0, sizeof(*m));
	ifi = NLMSG_DATA(nh);
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_index = 7;
	m->len = NLMSG_LENGTH(sizeof(*ifi));
	put(m, IFLA_MTU, &mtu, sizeof(mtu));
	put(m, IFLA_IFNAME, "enp1s0f0", 9);
	list = put(m, IFLA_VFINFO_LIST | NLA_F_NESTED, NULL, 0);
	put_vf(m, 0, 0x00, 100, 3, 1, 0);
	put_vf(m, 10, 0x0a, 0, 0, (uint32_t)-1, 1);
	put_vf(m, 40, 0x28, 5, 0, 0, 0); /* no such VF in sysfs: ignored */
	end_nest(m, list);
	nh->nlmsg_len = (uint32_t)m->len;
	nh->nlmsg_type = RTM_NEWLINK;
}

static void test_link_msg(void **state)
{
	struct sriov *s = scan("host");
	const struct sriov_pf *pf = sriov__pf(s, 0);
	struct msgbuf m;

	build_link_msg(&m);
	assert_int_equal(sriov__apply_link_msg(s, 0, m.b, m.len), 0);
	assert_true(pf->vfs[0].have_config);
	assert_string_equal(pf->vfs[0].mac, "02:00:00:00:01:00");
	assert_int_equal(pf->vfs[0].vlan, 100);
	assert_int_equal(pf->vfs[0].qos, 3);
	assert_int_equal(pf->vfs[0].spoofchk, 1);
	assert_int_equal(pf->vfs[0].trust, 0);
	assert_true(pf->vfs[10].have_config);
	assert_string_equal(pf->vfs[10].mac, "02:00:00:00:01:0a");
	assert_int_equal(pf->vfs[10].vlan, 0);
	assert_int_equal(pf->vfs[10].spoofchk, -1); /* driver does not implement it */
	assert_int_equal(pf->vfs[10].trust, 1);
	/* VFs the message does not name stay unknown. */
	assert_false(pf->vfs[1].have_config);
	assert_int_equal(pf->vfs[1].spoofchk, -1);

	/* Truncated, mistyped, or for a PF that is not there. */
	assert_int_equal(sriov__apply_link_msg(s, 0, m.b, 8), -EINVAL);
	assert_int_equal(sriov__apply_link_msg(s, 0, m.b, m.len - 4), -EINVAL);
	((struct nlmsghdr *)m.b)->nlmsg_type = NLMSG_ERROR;
	assert_int_equal(sriov__apply_link_msg(s, 0, m.b, m.len), -EINVAL);
	((struct nlmsghdr *)m.b)->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(sriov__apply_link_msg(s, 2, m.b, m.len), -ERANGE);
	sriov__free(s);
}

/* Every prefix of the message: an error or a partial fill, never a read past its end (ASan). */
static void test_link_msg_truncated(void **state)
{
	struct sriov *s = scan("host");
	struct msgbuf m;
	char *copy;

	build_link_msg(&m);
	for (size_t len = 0; len <= m.len; len++) {
		int err;

		copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, m.b, len);
		if (len >= sizeof(struct nlmsghdr))
			((struct nlmsghdr *)copy)->nlmsg_len = (uint32_t)len;
		err = sriov__apply_link_msg(s, 0, copy, len);
		assert_true(err == 0 || err == -EINVAL);
		free(copy);
	}
	sriov__free(s);
}

/*
 * The real RTM_GETLINK round trip, with no SR-IOV device: a copied tree whose PF netdev is
 * renamed to lo (the kernel answers, with no VF list) and to a name no netdev has.
 */
static void test_netlink_live(void **state)
{
	const char *root = copy_tree("host");
	char from[PATH_MAX], to[PATH_MAX];
	struct sriov *s;

	snprintf(from, sizeof(from), "%s/bus/pci/devices/0000:01:00.0/net/enp1s0f0", root);
	snprintf(to, sizeof(to), "%s/bus/pci/devices/0000:01:00.0/net/lo", root);
	assert_int_equal(rename(from, to), 0);
	s = scan_root(root);
	assert_string_equal(sriov__pf(s, 0)->netdev, "lo");
	assert_int_equal(sriov__read_vf_config(s), 0);
	assert_int_equal(sriov__nwarnings(s), 0);
	for (size_t v = 0; v < sriov__pf(s, 0)->nvfs; v++)
		assert_false(sriov__pf(s, 0)->vfs[v].have_config);
	sriov__free(s);

	snprintf(from, sizeof(from), "%s/bus/pci/devices/0000:01:00.0/net/iovbnosuch0", root);
	assert_int_equal(rename(to, from), 0);
	s = scan_root(root);
	assert_int_equal(sriov__read_vf_config(s), 0);
	assert_int_equal(sriov__nwarnings(s), 1);
	assert_string_equal(sriov__warning(s, 0), "PF 0000:01:00.0: cannot read its VFs' "
						  "settings from iovbnosuch0 (No such device)");
	sriov__free(s);
}

/* ---- the command ---- */

static void test_cmd_list_text(void **state)
{
	static struct run r;
	char *v9, *v10, *v1;

	run_cmd(&r, "list", "--sysfs-root", tree("host"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "0000:01:00.0 enp1s0f0        ixgbe      90:e2:ba:00:00:10 "
				      "SR-IOV PF: 12 of 63 VFs enabled\n"));
	assert_non_null(strstr(r.out, "0000:01:00.1 enp1s0f1        ixgbe      90:e2:ba:00:00:11 "
				      "SR-IOV PF: 0 of 63 VFs enabled\n"));
	assert_non_null(strstr(r.out, "     3  0000:01:10.3 -               vfio-pci   -"));
	v1 = strstr(r.out, " enp1s0f0v1 ");
	v9 = strstr(r.out, " enp1s0f0v9 ");
	v10 = strstr(r.out, " enp1s0f0v10 ");
	assert_true(v1 && v9 && v10 && v1 < v9 && v9 < v10);

	run_cmd(&r, "list", "--sysfs-root", tree("plain"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_string_equal(r.out, "no SR-IOV capable devices found\n");

	run_cmd(&r, "list", "--sysfs-root", tree("vm"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_non_null(strstr(r.out, "no SR-IOV physical functions found\n"));
	assert_non_null(strstr(r.out, "  0000:00:05.0 eth1            ixgbevf\n"));

	/* Damage: listed anyway, one warning line each on stderr, exit 0. */
	run_cmd(&r, "list", "--sysfs-root", tree("broken"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_int_equal(r.err_lines, 3);
	assert_non_null(
		strstr(r.err, "iovbench sriov list: warning: PF 0000:03:00.0: sriov_numvfs"));
	assert_non_null(strstr(r.out, "2 of 64 VFs enabled (1 VF link found)"));
}

static json_t *load_json(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fail_msg("not JSON (%s): %s", jerr.text, text);
	return j;
}

static void test_cmd_list_json(void **state)
{
	static struct run r;
	json_t *j, *pfs, *pf, *vfs, *vf;

	run_cmd(&r, "list", "--json", "--sysfs-root", tree("host"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	j = load_json(r.out);
	pfs = json_object_get(j, "pfs");
	assert_int_equal(json_array_size(pfs), 2);
	pf = json_array_get(pfs, 0);
	assert_string_equal(json_string_value(json_object_get(pf, "pci")), "0000:01:00.0");
	assert_string_equal(json_string_value(json_object_get(pf, "netdev")), "enp1s0f0");
	assert_string_equal(json_string_value(json_object_get(pf, "driver")), "ixgbe");
	assert_int_equal(json_integer_value(json_object_get(pf, "totalvfs")), 63);
	assert_int_equal(json_integer_value(json_object_get(pf, "numvfs")), 12);
	vfs = json_object_get(pf, "vfs");
	assert_int_equal(json_array_size(vfs), 12);
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(
			json_integer_value(json_object_get(json_array_get(vfs, i), "index")), i);
	vf = json_array_get(vfs, 3);
	assert_true(json_is_null(json_object_get(vf, "netdev")));
	assert_string_equal(json_string_value(json_object_get(vf, "driver")), "vfio-pci");
	vf = json_array_get(vfs, 10);
	assert_string_equal(json_string_value(json_object_get(vf, "pci")), "0000:01:11.2");
	assert_string_equal(json_string_value(json_object_get(vf, "netdev")), "enp1s0f0v10");
	/* From a tree: the netlink-only fields are null. */
	assert_true(json_is_null(json_object_get(vf, "mac")));
	assert_true(json_is_null(json_object_get(vf, "vlan")));
	assert_true(json_is_null(json_object_get(vf, "spoofchk")));
	assert_true(json_is_null(json_object_get(vf, "trust")));
	pf = json_array_get(pfs, 1);
	assert_int_equal(json_integer_value(json_object_get(pf, "numvfs")), 0);
	assert_int_equal(json_array_size(json_object_get(pf, "vfs")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "vfs_without_pf")), 0);
	json_decref(j);

	run_cmd(&r, "list", "--sysfs-root", tree("vm"), "--json", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	j = load_json(r.out);
	assert_int_equal(json_array_size(json_object_get(j, "pfs")), 0);
	vfs = json_object_get(j, "vfs_without_pf");
	assert_int_equal(json_array_size(vfs), 2);
	vf = json_array_get(vfs, 1);
	assert_string_equal(json_string_value(json_object_get(vf, "pci")), "0000:00:06.0");
	assert_string_equal(json_string_value(json_object_get(vf, "netdev")), "eth2");
	assert_string_equal(json_string_value(json_object_get(vf, "driver")), "mlx5_core");
	json_decref(j);

	run_cmd(&r, "list", "--json", "--sysfs-root", tree("plain"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	j = load_json(r.out);
	assert_true(json_is_array(json_object_get(j, "pfs")));
	assert_int_equal(json_array_size(json_object_get(j, "pfs")), 0);
	json_decref(j);

	run_cmd(&r, "list", "--json", "--sysfs-root", tree("broken"), NULL);
	j = load_json(r.out);
	assert_int_equal(json_array_size(json_object_get(j, "warnings")), 3);
	json_decref(j);
}

static void test_cmd_enable(void **state)
{
	static struct run r;
	const char *root = copy_tree("host");
	char num[PATH_MAX];

	snprintf(num, sizeof(num), "%s/bus/pci/devices/0000:01:00.0/sriov_numvfs", root);
	run_cmd(&r, "enable", "--sysfs-root", root, "enp1s0f0", "4", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_string_equal(r.out, "0000:01:00.0 (enp1s0f0): 4 VFs (was 12)\n");
	assert_string_equal(slurp(num), "4\n");

	/* Each usage or input error: exit 2, one line on stderr, nothing written. */
	const char *bad[][2] = { { "enp1s0f0", "64" }, { "eno1", "1" },	    { "lo", "1" },
				 { "nosuch0", "1" },   { "enp1s0f0", "x" }, { "enp1s0f0", "-1" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_cmd(&r, "enable", "--sysfs-root", root, bad[i][0], bad[i][1], NULL);
		assert_int_equal(r.rc, IOVB_EXIT_USAGE);
		assert_int_equal(r.err_lines, 1);
		assert_string_equal(r.out, "");
		assert_string_equal(slurp(num), "4\n");
	}
	run_cmd(&r, "enable", "--sysfs-root", root, "enp1s0f0", "64", NULL);
	assert_string_equal(r.err, "iovbench sriov enable: enp1s0f0 supports at most 63 VFs, "
				   "not 64\n");
	run_cmd(&r, "enable", "--sysfs-root", root, "eno1", "1", NULL);
	assert_string_equal(r.err, "iovbench sriov enable: eno1 (0000:00:19.0) is not SR-IOV "
				   "capable (no sriov_totalvfs)\n");
}

static void test_cmd_usage(void **state)
{
	static struct run r;

	run_cmd(&r, "--help", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	assert_non_null(strstr(r.out, "usage: iovbench sriov list"));
	assert_non_null(strstr(r.out, "null in JSON"));
	run_cmd(&r, "enable", "-h", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);

	const char *cases[][4] = {
		{ NULL },
		{ "show", NULL },
		{ "list", "--bogus", NULL },
		{ "list", "extra", NULL },
		{ "list", "--sysfs-root", NULL },
		{ "enable", NULL },
		{ "enable", "enp1s0f0", NULL },
		{ "enable", "--json", "a", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_cmd(&r, cases[i][0], cases[i][0] ? cases[i][1] : NULL,
			cases[i][0] && cases[i][1] ? cases[i][2] : NULL, NULL);
		assert_int_equal(r.rc, IOVB_EXIT_USAGE);
		assert_int_equal(r.err_lines, 1);
		assert_string_equal(r.out, "");
	}
	run_cmd(&r, "list", "--sysfs-root", tree("no-such-tree"), NULL);
	assert_int_equal(r.rc, IOVB_EXIT_USAGE);
	assert_int_equal(r.err_lines, 1);
}

/* ---- the live /sys, whatever this machine has ---- */

static void test_live(void **state)
{
	struct sriov *s = NULL;
	static struct run r;
	json_t *j;
	int err;

	err = sriov__scan(NULL, &s);
	if (err == -ENOENT)
		skip(); /* no PCI bus here */
	assert_int_equal(err, 0);
	for (size_t i = 0; i < sriov__npfs(s); i++) {
		const struct sriov_pf *pf = sriov__pf(s, i);

		assert_true(pf->numvfs <= pf->totalvfs);
		for (size_t v = 1; v < pf->nvfs; v++)
			assert_true(pf->vfs[v - 1].index < pf->vfs[v].index);
	}
	/* Netlink needs no privilege to read; only PFs with VFs are asked. */
	assert_int_equal(sriov__read_vf_config(s), 0);
	run_cmd(&r, "list", "--json", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	j = load_json(r.out);
	assert_int_equal(json_array_size(json_object_get(j, "pfs")), sriov__npfs(s));
	assert_int_equal(json_array_size(json_object_get(j, "vfs_without_pf")),
			 sriov__nlone_vfs(s));
	json_decref(j);
	run_cmd(&r, "list", NULL);
	assert_int_equal(r.rc, IOVB_EXIT_OK);
	if (!sriov__npfs(s) && !sriov__nlone_vfs(s))
		assert_string_equal(r.out, "no SR-IOV capable devices found\n");
	sriov__free(s);
}

/* ---- setup ---- */

static int find_fixtures(void)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("IOVB_FIXTURES");
	ssize_t n;

	if (env && *env) {
		snprintf(fixtures, sizeof(fixtures), "%s", env);
		return dir_exists(fixtures) ? 0 : -1;
	}
	/* tests/unit/test_sriov.c -> tests/fixtures/sysfs, relative to where we were built. */
	snprintf(fixtures, sizeof(fixtures), "%s", __FILE__);
	slash = strrchr(fixtures, '/');
	if (slash) {
		snprintf(slash, sizeof(fixtures) - (slash - fixtures), "/../fixtures/sysfs");
		if (dir_exists(fixtures))
			return 0;
	}
	/* build/tests/test_sriov -> tests/fixtures/sysfs */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (snprintf(fixtures, sizeof(fixtures), "%s/../../tests/fixtures/sysfs", exe) >=
	    (int)sizeof(fixtures))
		return -1;
	return dir_exists(fixtures) ? 0 : -1;
}

static int group_setup(void **state)
{
	char real[PATH_MAX];

	if (find_fixtures() || !realpath(fixtures, real)) {
		fprintf(stderr, "test_sriov: fixtures not found (run from the repository root "
				"or set IOVB_FIXTURES)\n");
		return -1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s", real);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iovb-test-sriov-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	/* One test a line: clang-format would pack these short names into columns. */
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_vm),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_garbage_counts),
		cmocka_unit_test(test_not_sysfs),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_enable),
		cmocka_unit_test(test_link_msg),
		cmocka_unit_test(test_link_msg_truncated),
		cmocka_unit_test(test_netlink_live),
		cmocka_unit_test(test_cmd_list_text),
		cmocka_unit_test(test_cmd_list_json),
		cmocka_unit_test(test_cmd_enable),
		cmocka_unit_test(test_cmd_usage),
		cmocka_unit_test(test_live),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
