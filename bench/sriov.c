// SPDX-License-Identifier: GPL-2.0
/*
 * Real SR-IOV discovery from sysfs and netlink, and enabling VFs. Reads only what the kernel
 * publishes for any PCI device, so a copy of a machine's /sys (or a fixture tree) reads the same
 * as the live one; only the VFs' administrative settings need the live netlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "iovb/parse.h"
#include "sriov.h"

#define SYSFS_DEFAULT "/sys"

struct sriov {
	struct sriov_pf *pfs;
	size_t npfs;
	struct sriov_vf *lone; /* VFs without a physfn link */
	size_t nlone;
	char **warn;
	size_t nwarn;
};

/*
 * VF drivers and PCI ids (from the pci.ids database) that tell a VF without a physfn link, as
 * a VF passed into a VM shows. mlx5_core and others drive PFs and VFs alike: only ids tell.
 */
static const char *const vf_drivers[] = { "ixgbevf", "igbvf", "iavf", "i40evf" };
static const struct {
	uint16_t vendor, device;
} vf_ids[] = {
	{ 0x8086, 0x10ca }, /* 82576 VF */
	{ 0x8086, 0x10ed }, /* 82599 VF */
	{ 0x8086, 0x1515 }, /* X540 VF */
	{ 0x8086, 0x1520 }, /* I350 VF */
	{ 0x8086, 0x1565 }, /* X550 VF */
	{ 0x8086, 0x154c }, /* 700 series (XL710/X710) VF */
	{ 0x8086, 0x1889 }, /* Adaptive VF (E810, iavf) */
	{ 0x15b3, 0x1004 }, /* ConnectX-3 VF */
	{ 0x15b3, 0x1014 }, /* ConnectX-4 VF */
	{ 0x15b3, 0x1016 }, /* ConnectX-4 Lx VF */
	{ 0x15b3, 0x1018 }, /* ConnectX-5 VF */
	{ 0x15b3, 0x101a }, /* ConnectX-5 Ex VF */
	{ 0x15b3, 0x101c }, /* ConnectX-6 VF */
	{ 0x15b3, 0x101e }, /* ConnectX family mlx5Gen VF */
};

static const char *root_or_default(const char *root)
{
	return root && *root ? root : SYSFS_DEFAULT;
}

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 ? -EINVAL : (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int copy_str(char *dst, size_t len, const char *src)
{
	return path_fmt(dst, len, "%s", src);
}

/* First line of a small file, without trailing whitespace. */
static int read_line(const char *path, char *buf, size_t len)
{
	int err = 0;
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	n = fread(buf, 1, len - 1, f);
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (n = strlen(buf); n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r');)
		buf[--n] = '\0';
cleanup:
	if (f)
		fclose(f);
	return err;
}

/* A sysfs count; -EINVAL with the text in raw when it is not one. */
static int read_u32(const char *path, uint32_t *out, char *raw, size_t rawlen)
{
	uint64_t v;
	int err;

	raw[0] = '\0';
	err = read_line(path, raw, rawlen);
	if (err)
		goto cleanup;
	err = iovb_parse_u64(raw, 0, UINT32_MAX, &v);
	if (err) {
		/* raw goes into a message: no terminal control bytes from a damaged file. */
		for (char *c = raw; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		err = -EINVAL;
		goto cleanup;
	}
	*out = (uint32_t)v;
cleanup:
	return err;
}

static int read_hex16(const char *path, uint16_t *out)
{
	char buf[32], *end;
	unsigned long v;
	int err;

	err = read_line(path, buf, sizeof(buf));
	if (err)
		goto cleanup;
	errno = 0;
	/* sysfs writes "0x8086"; parse.h has no hex parser and this is not user input. */
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > 0xffff) {
		err = -EINVAL;
		goto cleanup;
	}
	*out = (uint16_t)v;
cleanup:
	return err;
}

static int add_warning(struct sriov *s, const char *fmt, ...)
{
	char **w, *msg = NULL;
	int err = 0;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		err = -ENOMEM;
	}
	va_end(ap);
	if (err)
		goto cleanup;
	w = realloc(s->warn, (s->nwarn + 1) * sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->warn = w;
	s->warn[s->nwarn++] = msg;
	msg = NULL;
cleanup:
	free(msg);
	return err;
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The first (by name) netdev of the device in dir: dir/net/NAME, or for virtio-net, whose
 * netdev hangs off the virtio device, dir/virtioN/net/NAME. Never other subdirectories: a VF's
 * physfn/ leads to the PF's netdev.
 */
static void find_netdev(const char *dir, char *netdev, char *mac)
{
	char sub[PATH_MAX], best[SRIOV_NAME_LEN] = "", path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	netdev[0] = mac[0] = '\0';
	if (path_fmt(sub, sizeof(sub), "%s/net", dir))
		return;
	d = opendir(sub);
	if (!d) {
		DIR *top = opendir(dir);

		while (top && (de = readdir(top)) != NULL) {
			if (strncmp(de->d_name, "virtio", 6))
				continue;
			if (path_fmt(path, sizeof(path), "%s/%s/net", dir, de->d_name))
				continue;
			d = opendir(path);
			if (d) {
				(void)copy_str(sub, sizeof(sub), path);
				break;
			}
		}
		if (top)
			closedir(top);
		if (!d)
			return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(best))
			continue;
		if (!best[0] || strcmp(de->d_name, best) < 0)
			(void)copy_str(best, sizeof(best), de->d_name);
	}
	closedir(d);
	(void)copy_str(netdev, SRIOV_NAME_LEN, best);
	if (best[0] && !path_fmt(path, sizeof(path), "%s/%s/address", sub, best) &&
	    read_line(path, mac, SRIOV_MAC_LEN))
		mac[0] = '\0';
}

/* The name of the driver bound to the device in dir, "" when none. */
static void find_driver(const char *dir, char *driver)
{
	char path[PATH_MAX], target[PATH_MAX], *base;
	ssize_t n;

	driver[0] = '\0';
	if (path_fmt(path, sizeof(path), "%s/driver", dir))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	(void)copy_str(driver, SRIOV_NAME_LEN, base ? base + 1 : target);
}

static void vf_fill(struct sriov_vf *vf, const char *pci, const char *dir)
{
	char mac[SRIOV_MAC_LEN];

	memset(vf, 0, sizeof(*vf));
	(void)copy_str(vf->pci, sizeof(vf->pci), pci);
	find_netdev(dir, vf->netdev, mac);
	find_driver(dir, vf->driver);
	vf->spoofchk = vf->trust = -1;
}

static int vf_cmp(const void *a, const void *b)
{
	const struct sriov_vf *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* PF `name` (its directory resolved into dir): counts, and VFs through virtfnN links. */
static int scan_pf(struct sriov *s, const char *name, const char *dir)
{
	char path[PATH_MAX], vfdir[PATH_MAX], raw[64], *base;
	struct sriov_pf pf = { 0 };
	struct sriov_vf *vfs;
	struct dirent *de;
	DIR *d = NULL;
	uint64_t idx;
	int err = 0;

	(void)copy_str(pf.pci, sizeof(pf.pci), name);
	find_netdev(dir, pf.netdev, pf.mac);
	find_driver(dir, pf.driver);
	for (int f = 0; f < 2; f++) {
		const char *file = f ? "sriov_numvfs" : "sriov_totalvfs";

		err = path_fmt(path, sizeof(path), "%s/%s", dir, file);
		if (err)
			goto cleanup;
		err = read_u32(path, f ? &pf.numvfs : &pf.totalvfs, raw, sizeof(raw));
		if (err == -EINVAL) {
			err = add_warning(s, "PF %s: %s is not a count ('%s'): skipped", name, file,
					  raw);
			goto cleanup;
		}
		if (err) {
			err = add_warning(s, "PF %s: cannot read %s (%s): skipped", name, file,
					  strerror(-err));
			goto cleanup;
		}
	}
	d = opendir(dir);
	if (!d) {
		err = add_warning(s, "PF %s: cannot list its directory (%s): skipped", name,
				  strerror(errno));
		goto cleanup;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "virtfn", 6))
			continue;
		if (iovb_parse_u64(de->d_name + 6, 0, UINT32_MAX, &idx)) {
			err = add_warning(s, "PF %s: %s is not virtfnN: ignored", name, de->d_name);
			if (err)
				goto cleanup;
			continue;
		}
		err = path_fmt(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (err)
			goto cleanup;
		if (!realpath(path, vfdir)) {
			err = add_warning(s, "PF %s: %s: broken link (%s): VF %llu skipped", name,
					  de->d_name, strerror(errno), (unsigned long long)idx);
			if (err)
				goto cleanup;
			continue;
		}
		vfs = realloc(pf.vfs, (pf.nvfs + 1) * sizeof(*vfs));
		if (!vfs) {
			err = -ENOMEM;
			goto cleanup;
		}
		pf.vfs = vfs;
		base = strrchr(vfdir, '/');
		vf_fill(&pf.vfs[pf.nvfs], base ? base + 1 : vfdir, vfdir);
		pf.vfs[pf.nvfs++].index = (uint32_t)idx;
	}
	/* readdir order is the filesystem's: virtfn10 may come before virtfn9. */
	if (pf.nvfs)
		qsort(pf.vfs, pf.nvfs, sizeof(*pf.vfs), vf_cmp);
	{
		struct sriov_pf *pfs = realloc(s->pfs, (s->npfs + 1) * sizeof(*pfs));

		if (!pfs) {
			err = -ENOMEM;
			goto cleanup;
		}
		s->pfs = pfs;
		s->pfs[s->npfs++] = pf;
		pf.vfs = NULL;
	}
cleanup:
	if (d)
		closedir(d);
	free(pf.vfs);
	return err;
}

static bool looks_like_vf(const char *dir)
{
	char path[PATH_MAX], driver[SRIOV_NAME_LEN];
	uint16_t vendor, device;

	find_driver(dir, driver);
	for (size_t i = 0; i < sizeof(vf_drivers) / sizeof(vf_drivers[0]); i++)
		if (!strcmp(driver, vf_drivers[i]))
			return true;
	if (path_fmt(path, sizeof(path), "%s/vendor", dir) || read_hex16(path, &vendor))
		return false;
	if (path_fmt(path, sizeof(path), "%s/device", dir) || read_hex16(path, &device))
		return false;
	for (size_t i = 0; i < sizeof(vf_ids) / sizeof(vf_ids[0]); i++)
		if (vf_ids[i].vendor == vendor && vf_ids[i].device == device)
			return true;
	return false;
}

static int add_lone_vf(struct sriov *s, const char *name, const char *dir)
{
	struct sriov_vf *v;
	int err = 0;

	v = realloc(s->lone, (s->nlone + 1) * sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->lone = v;
	vf_fill(&s->lone[s->nlone++], name, dir);
cleanup:
	return err;
}

void sriov__free(struct sriov *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npfs; i++)
		free(s->pfs[i].vfs);
	free(s->pfs);
	free(s->lone);
	for (size_t i = 0; i < s->nwarn; i++)
		free(s->warn[i]);
	free(s->warn);
	free(s);
}

int sriov__scan(const char *root, struct sriov **out)
{
	char devs[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
	char **names = NULL, **grown;
	size_t nnames = 0;
	struct sriov *s = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int err;

	*out = NULL;
	root = root_or_default(root);
	err = path_fmt(devs, sizeof(devs), "%s/bus/pci/devices", root);
	if (err)
		goto cleanup;
	s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto cleanup;
	}
	d = opendir(devs);
	if (!d) {
		err = -errno;
		goto cleanup;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		grown = realloc(names, (nnames + 1) * sizeof(*names));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		names = grown;
		names[nnames] = strdup(de->d_name);
		if (!names[nnames]) {
			err = -ENOMEM;
			goto cleanup;
		}
		nnames++;
	}
	if (nnames)
		qsort(names, nnames, sizeof(*names), name_cmp);
	for (size_t i = 0; i < nnames; i++) {
		err = path_fmt(path, sizeof(path), "%s/%s", devs, names[i]);
		if (err)
			goto cleanup;
		if (!realpath(path, dir)) {
			err = add_warning(s, "bus/pci/devices/%s: broken link (%s): skipped",
					  names[i], strerror(errno));
			if (err)
				goto cleanup;
			continue;
		}
		err = path_fmt(path, sizeof(path), "%s/sriov_totalvfs", dir);
		if (err)
			goto cleanup;
		if (exists(path)) {
			err = scan_pf(s, names[i], dir);
			if (err)
				goto cleanup;
			continue;
		}
		err = path_fmt(path, sizeof(path), "%s/physfn", dir);
		if (err)
			goto cleanup;
		/* A VF whose PF is here is listed under the PF. */
		if (exists(path) && !access(path, F_OK))
			continue;
		if (exists(path) || looks_like_vf(dir)) {
			err = add_lone_vf(s, names[i], dir);
			if (err)
				goto cleanup;
		}
	}
	*out = s;
	s = NULL;
cleanup:
	if (d)
		closedir(d);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	sriov__free(s);
	return err;
}

size_t sriov__npfs(const struct sriov *s)
{
	return s ? s->npfs : 0;
}

const struct sriov_pf *sriov__pf(const struct sriov *s, size_t i)
{
	return s && i < s->npfs ? &s->pfs[i] : NULL;
}

size_t sriov__nlone_vfs(const struct sriov *s)
{
	return s ? s->nlone : 0;
}

const struct sriov_vf *sriov__lone_vf(const struct sriov *s, size_t i)
{
	return s && i < s->nlone ? &s->lone[i] : NULL;
}

size_t sriov__nwarnings(const struct sriov *s)
{
	return s ? s->nwarn : 0;
}

const char *sriov__warning(const struct sriov *s, size_t i)
{
	return s && i < s->nwarn ? s->warn[i] : NULL;
}

/* ---- netlink: the VFs' administrative settings ---- */

static struct sriov_vf *vf_by_index(struct sriov_pf *pf, uint32_t index)
{
	for (size_t i = 0; i < pf->nvfs; i++)
		if (pf->vfs[i].index == index)
			return &pf->vfs[i];
	return NULL;
}

/* An on/off VF setting; (u32)-1 means the driver does not implement it. */
static int setting(__u32 v)
{
	return v == (__u32)-1 ? -1 : !!v;
}

/* One IFLA_VF_INFO nest. Attributes the kernel or driver did not send stay unknown. */
static int apply_vf_info(struct sriov_pf *pf, struct rtattr *info, bool ether)
{
	int len = (int)RTA_PAYLOAD(info), err = 0;
	struct sriov_vf *vf = NULL;
	struct rtattr *a;

	/* IFLA_VF_MAC comes first and names the VF; find it before applying the rest. */
	for (a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if ((a->rta_type & NLA_TYPE_MASK) != IFLA_VF_MAC)
			continue;
		if (RTA_PAYLOAD(a) < sizeof(struct ifla_vf_mac)) {
			err = -EINVAL;
			goto cleanup;
		}
		vf = vf_by_index(pf, ((struct ifla_vf_mac *)RTA_DATA(a))->vf);
		break;
	}
	if (!vf)
		goto cleanup; /* a VF sysfs does not show (e.g. numvfs changing): nothing to fill */
	vf->have_config = true;
	len = (int)RTA_PAYLOAD(info);
	for (a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type & NLA_TYPE_MASK) {
		case IFLA_VF_MAC: {
			const unsigned char *m = ((struct ifla_vf_mac *)RTA_DATA(a))->mac;

			if (RTA_PAYLOAD(a) < sizeof(struct ifla_vf_mac)) {
				err = -EINVAL;
				goto cleanup;
			}
			/* InfiniBand VFs report a GUID here, not a MAC. */
			if (ether)
				snprintf(vf->mac, sizeof(vf->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
					 m[0], m[1], m[2], m[3], m[4], m[5]);
			break;
		}
		case IFLA_VF_VLAN:
			if (RTA_PAYLOAD(a) < sizeof(struct ifla_vf_vlan)) {
				err = -EINVAL;
				goto cleanup;
			}
			vf->vlan = ((struct ifla_vf_vlan *)RTA_DATA(a))->vlan;
			vf->qos = ((struct ifla_vf_vlan *)RTA_DATA(a))->qos;
			break;
		case IFLA_VF_SPOOFCHK:
			if (RTA_PAYLOAD(a) < sizeof(struct ifla_vf_spoofchk)) {
				err = -EINVAL;
				goto cleanup;
			}
			vf->spoofchk = setting(((struct ifla_vf_spoofchk *)RTA_DATA(a))->setting);
			break;
		case IFLA_VF_TRUST:
			if (RTA_PAYLOAD(a) < sizeof(struct ifla_vf_trust)) {
				err = -EINVAL;
				goto cleanup;
			}
			vf->trust = setting(((struct ifla_vf_trust *)RTA_DATA(a))->setting);
			break;
		}
	}
cleanup:
	return err;
}

int sriov__apply_link_msg(struct sriov *s, size_t i, const void *buf, size_t len)
{
	const struct nlmsghdr *nh = buf;
	struct ifinfomsg *ifi;
	struct rtattr *a, *info;
	int alen, ilen, err = 0;

	if (i >= s->npfs) {
		err = -ERANGE;
		goto cleanup;
	}
	if (len < NLMSG_LENGTH(sizeof(*ifi)) || nh->nlmsg_len > len ||
	    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || nh->nlmsg_type != RTM_NEWLINK) {
		err = -EINVAL;
		goto cleanup;
	}
	ifi = NLMSG_DATA(nh);
	alen = (int)IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if ((a->rta_type & NLA_TYPE_MASK) != IFLA_VFINFO_LIST)
			continue;
		ilen = (int)RTA_PAYLOAD(a);
		for (info = RTA_DATA(a); RTA_OK(info, ilen); info = RTA_NEXT(info, ilen)) {
			if ((info->rta_type & NLA_TYPE_MASK) != IFLA_VF_INFO)
				continue;
			err = apply_vf_info(&s->pfs[i], info, ifi->ifi_type == ARPHRD_ETHER);
			if (err)
				goto cleanup;
		}
	}
cleanup:
	return err;
}

/* RTM_GETLINK for ifindex with the VF list; the reply in *msg (malloc'd), its length in *len. */
static int link_query(int fd, uint32_t seq, int ifindex, void **msg, size_t *len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[RTA_SPACE(sizeof(uint32_t))];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nh;
	struct rtattr *rta;
	uint32_t mask = RTEXT_FILTER_VF;
	void *buf = NULL;
	ssize_t n;
	int err = 0;

	*msg = NULL;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_SPACE(sizeof(mask));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	rta = (struct rtattr *)req.attrs;
	rta->rta_type = IFLA_EXT_MASK;
	rta->rta_len = RTA_LENGTH(sizeof(mask));
	memcpy(RTA_DATA(rta), &mask, sizeof(mask));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* A PF with many VFs answers with more than a page: size the buffer first. */
	n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	n = recv(fd, buf, (size_t)n, 0);
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	nh = buf;
	if ((size_t)n < sizeof(*nh) || nh->nlmsg_len > (size_t)n) {
		err = -EIO;
		goto cleanup;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		err = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EIO;
		goto cleanup;
	}
	*msg = buf;
	*len = (size_t)n;
	buf = NULL;
cleanup:
	free(buf);
	return err;
}

int sriov__read_vf_config(struct sriov *s)
{
	int fd, err = 0, e;
	unsigned int ifindex;
	void *msg = NULL;
	size_t len = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	for (size_t i = 0; i < s->npfs; i++) {
		struct sriov_pf *pf = &s->pfs[i];

		if (!pf->nvfs || !pf->netdev[0])
			continue;
		ifindex = if_nametoindex(pf->netdev);
		e = ifindex ? link_query(fd, (uint32_t)i + 1, (int)ifindex, &msg, &len) : -errno;
		if (!e)
			e = sriov__apply_link_msg(s, i, msg, len);
		free(msg);
		msg = NULL;
		if (e) {
			err = add_warning(s, "PF %s: cannot read its VFs' settings from %s (%s)",
					  pf->pci, pf->netdev, strerror(-e));
			if (err)
				goto cleanup;
		}
	}
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

/* ---- resolving and enabling ---- */

/* Is dir the directory of PCI function name under root? */
static bool is_pci_function(const char *root, const char *name, const char *dir)
{
	char path[PATH_MAX], real[PATH_MAX];

	return !path_fmt(path, sizeof(path), "%s/bus/pci/devices/%s", root, name) &&
	       realpath(path, real) && !strcmp(real, dir);
}

int sriov__resolve(const char *root, const char *name, char *pci, size_t len)
{
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	int err = -ENODEV;
	struct stat st;

	root = root_or_default(root);
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		goto cleanup;
	if (!path_fmt(path, sizeof(path), "%s/bus/pci/devices/%s", root, name) &&
	    !stat(path, &st) && S_ISDIR(st.st_mode)) {
		err = copy_str(pci, len, name) ? -ENOSPC : 0;
		goto cleanup;
	}
	/* A netdev: class/net/NAME is .../<pci>/net/NAME, or .../<pci>/virtioN/net/NAME. */
	if (path_fmt(path, sizeof(path), "%s/class/net/%s", root, name) || !realpath(path, dir))
		goto cleanup;
	for (int up = 0; up < 4; up++) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			goto cleanup;
		if (up >= 2 && is_pci_function(root, slash + 1, dir)) {
			err = copy_str(pci, len, slash + 1) ? -ENOSPC : 0;
			goto cleanup;
		}
		*slash = '\0';
	}
cleanup:
	return err;
}

static int write_count(const char *path, uint32_t n)
{
	char buf[16];
	int fd, len, err = 0;

	len = snprintf(buf, sizeof(buf), "%u\n", n);
	/* O_TRUNC: sysfs ignores it, a copied tree needs it. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	/* sysfs reports the driver's refusal (-EBUSY, -ENOMEM...) from write(). */
	if (write(fd, buf, (size_t)len) != len) {
		err = errno ? -errno : -EIO;
		goto cleanup;
	}
cleanup:
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	return err;
}

int sriov__enable(const char *root, const char *pf, uint32_t n)
{
	char pci[SRIOV_PCI_LEN], total_path[PATH_MAX], num_path[PATH_MAX], raw[64];
	uint32_t total, num;
	int err;

	root = root_or_default(root);
	err = sriov__resolve(root, pf, pci, sizeof(pci));
	if (err)
		goto cleanup;
	err = path_fmt(total_path, sizeof(total_path), "%s/bus/pci/devices/%s/sriov_totalvfs", root,
		       pci);
	if (!err)
		err = path_fmt(num_path, sizeof(num_path), "%s/bus/pci/devices/%s/sriov_numvfs",
			       root, pci);
	if (err)
		goto cleanup;
	if (!exists(total_path)) {
		err = -EOPNOTSUPP;
		goto cleanup;
	}
	err = read_u32(total_path, &total, raw, sizeof(raw));
	if (!err)
		err = read_u32(num_path, &num, raw, sizeof(raw));
	if (err) {
		err = -EINVAL;
		goto cleanup;
	}
	if (n > total) {
		err = -ERANGE;
		goto cleanup;
	}
	if (n == num)
		goto cleanup;
	if (num) {
		err = write_count(num_path, 0);
		if (err)
			goto cleanup;
	}
	if (n)
		err = write_count(num_path, n);
cleanup:
	return err;
}
