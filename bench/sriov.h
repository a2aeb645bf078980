/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real SR-IOV discovery: physical functions (PFs) and their virtual functions (VFs) from a
 * sysfs tree (sriov_totalvfs, sriov_numvfs, virtfnN, physfn, driver, net/), the VFs'
 * administrative settings from the PF's netlink link info, and enabling VFs. See docs/sriov.md.
 */
#ifndef IOVB_SRIOV_H
#define IOVB_SRIOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SRIOV_PCI_LEN 32  /* "0000:01:10.0" and room for odd domains */
#define SRIOV_NAME_LEN 64 /* netdev (IFNAMSIZ 16) and driver names */
#define SRIOV_MAC_LEN 24  /* "aa:bb:cc:dd:ee:ff" */

/* A VF; empty strings mean "none". */
struct sriov_vf {
	uint32_t index;		     /* N of the PF's virtfnN; 0 for a VF without a PF */
	char pci[SRIOV_PCI_LEN];     /* PCI address */
	char netdev[SRIOV_NAME_LEN]; /* "": bound to vfio-pci, unbound, or in another netns */
	char driver[SRIOV_NAME_LEN]; /* "": no driver bound */
	/*
	 * The settings below come from the PF's netlink info (IFLA_VFINFO_LIST), only on a live
	 * system after sriov__read_vf_config(); have_config says whether they were read.
	 */
	bool have_config;
	char mac[SRIOV_MAC_LEN]; /* administrative MAC, "" when not reported */
	uint32_t vlan, qos;	 /* 0: no VLAN */
	int spoofchk, trust;	 /* 1 on, 0 off, -1 not reported by the driver */
};

/* A PF: a PCI function with sriov_totalvfs. */
struct sriov_pf {
	char pci[SRIOV_PCI_LEN];
	char netdev[SRIOV_NAME_LEN]; /* "": none in this netns */
	char driver[SRIOV_NAME_LEN];
	char mac[SRIOV_MAC_LEN]; /* the netdev's address from sysfs, "" when none */
	uint32_t totalvfs, numvfs;
	size_t nvfs;	      /* VFs found through virtfnN links, in index order */
	struct sriov_vf *vfs; /* owned by the struct sriov */
};

struct sriov;

/*
 * Scan the sysfs tree at root (NULL: the live /sys; else a directory laid out like /sys:
 * bus/pci/devices, devices, class/net) into *out. Damaged entries (broken links, garbage in
 * sriov_numvfs) are skipped and described in sriov__warning(); they are not errors.
 * 0, or -ENOENT (no bus/pci/devices under root), -ENOMEM...; *out is NULL on error.
 */
int sriov__scan(const char *root, struct sriov **out);
/* NULL-safe. */
void sriov__free(struct sriov *s);

/* The accessors below take NULL as an empty scan. */
size_t sriov__npfs(const struct sriov *s);
const struct sriov_pf *sriov__pf(const struct sriov *s, size_t i);
/*
 * VFs with no physfn link: a VF passed through into this VM (the usual case) or one whose PF is
 * hidden. Recognised by their driver (ixgbevf, iavf...) or PCI ids (known VF device ids).
 */
size_t sriov__nlone_vfs(const struct sriov *s);
const struct sriov_vf *sriov__lone_vf(const struct sriov *s, size_t i);
/* What was skipped and why, one line each ("bus/pci/devices/X: broken link"). */
size_t sriov__nwarnings(const struct sriov *s);
const char *sriov__warning(const struct sriov *s, size_t i);

/*
 * Fill the VFs' MAC, VLAN, spoofchk and trust from each PF netdev's netlink info
 * (RTM_GETLINK with RTEXT_FILTER_VF), in the calling thread's netns. Only meaningful for a scan
 * of the live /sys. PFs whose netdev cannot be queried get a warning. 0 or -errno (socket).
 */
int sriov__read_vf_config(struct sriov *s);
/*
 * Apply one RTM_NEWLINK message (buf, len: a whole netlink message) to PF i's VFs: the parser
 * behind sriov__read_vf_config(), exposed for tests. 0, -EINVAL (malformed), -ERANGE (i).
 */
int sriov__apply_link_msg(struct sriov *s, size_t i, const void *buf, size_t len);

/*
 * The PCI address of the PCI function behind name, a PCI address or a netdev name, under root
 * (as sriov__scan()). 0, -ENODEV (no such device or netdev, or a netdev not on PCI), -ENOSPC.
 */
int sriov__resolve(const char *root, const char *name, char *pci, size_t len);

/*
 * Set PF pf's (PCI address or netdev) number of VFs to n by writing sriov_numvfs; the kernel
 * refuses to change a non-zero count, so a change from non-zero writes 0 first. Nothing is
 * written when n is already the count. 0, -ENODEV (no such PF), -EOPNOTSUPP (not SR-IOV
 * capable), -ERANGE (n > sriov_totalvfs), -EINVAL (unreadable sriov files), or the write's
 * -errno (-EACCES without root, -EBUSY/-ENOMEM from the driver).
 */
int sriov__enable(const char *root, const char *pf, uint32_t n);

#endif
