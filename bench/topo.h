/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Emulated topology: network namespaces standing for machines, links, and the paravirtual
 * path's backend relay. See docs/paths.md for what each piece stands for.
 */
#ifndef IOVB_TOPO_H
#define IOVB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TOPO_PREFIX "iovb" /* every netns and link this tool creates starts with it */

enum topo_path { TOPO_PV = 0, TOPO_VF = 1, TOPO_NPATH };
extern const char *const topo_path_names[TOPO_NPATH]; /* "pv", "vf" */

/* Parse a list like "pv,vf" into path[]: each known once, at least one. 0 or -EINVAL. */
int topo__parse_paths(const char *s, bool path[TOPO_NPATH]);

#define TOPO_MAX_GUESTS 8 /* all paths together */

/*
 * Parse "VF+PV" guest counts, e.g. "2+2" (two VF guests, two pv guests), into
 * guests[TOPO_VF] and guests[TOPO_PV]: each 0..TOPO_MAX_GUESTS, together 1..TOPO_MAX_GUESTS.
 * 0 or -EINVAL.
 */
int topo__parse_guests(const char *s, unsigned guests[TOPO_NPATH]);

/* Syntax check of one offload setting "[ROLE/]DEV:feat=on|off,..." (docs/paths.md). 0 or -EINVAL. */
int topo__offload_check(const char *spec);

struct topo_conf {
	const char *run_id;   /* short unique id, e.g. "a1b2c3": names are iovb-<run_id>-<what> */
	bool path[TOPO_NPATH]; /* which guests to create */
	/*
	 * Guests per path (both 0: one per path). Guests are numbered pv first: guest-1 ..
	 * guest-<pv> on the pv path, then the vf guests, whether or not a path is selected, so
	 * a role names the same guest across runs of one --guests setting.
	 */
	unsigned guests[TOPO_NPATH];
	uint64_t link_rate_bps; /* shape the physical link (tbf); 0 = unshaped */
	uint32_t mtu;         /* 0 = 1500 */
	/* Offload settings applied before the path check: "NS/DEV:feat=on|off,..." (see docs/paths.md). */
	const char *const *offloads;
	size_t noffloads;
	/*
	 * Real VF netdevs (in the caller's netns) for the first nvf_netdevs vf guests, instead of
	 * macvlans: each is moved into its guest's netns as eth0 and, on teardown (also by
	 * topo__down_run after a killed run), moved back under its own name with its MTU, MAC
	 * and up/down state. Its path to the emulated server is not checked: its frames leave
	 * through the real adapter. A netdev with IP addresses is refused (in use).
	 */
	const char *const *vf_netdevs;
	size_t nvf_netdevs;
	/*
	 * Failover (docs/paths.md, "Failover"): every emulated vf guest also gets a standby
	 * paravirtual NIC eth1 (TAP, relay, host port vnetK on br0, as a pv guest's) with the
	 * VF's MAC and address and a less preferred route, for topo__failover/__failback.
	 */
	bool standby;
};

/*
 * Resolve a --vf SPEC to a netdev name in buf: "PF:INDEX" (PF a PCI address or netdev,
 * INDEX the VF number, looked up under sysfs_root, NULL = /sys) or "netdev:NAME". 0, -EINVAL
 * (malformed), -ENODEV (no such PF or VF), -ERANGE (INDEX not enabled), -ENOENT (the VF has no
 * netdev here: bound to vfio-pci, unbound or in another netns), or sriov__scan's -errno.
 */
int topo__vf_resolve(const char *sysfs_root, const char *spec, char *buf, size_t len);

/* A guest (VM) of the topology. */
struct topo_guest {
	enum topo_path path;
	unsigned num;	   /* N of guest-N */
	char ns[64];	   /* its netns */
	char role[16];	   /* "guest-N" */
	char addr[16];	   /* its IPv4 address */
	char host_dev[16]; /* pv (and vf with a standby): the host's TAP port of its backend (vnetK) */
	char vf_netdev[16]; /* vf with a real VF: its netdev's own name outside the guest, else "" */
	pid_t relay_pid;   /* pv (and vf with a standby): its backend relay (host role), else 0 */
	char standby_dev[16]; /* vf with a standby (topo_conf.standby): its name in the guest */
	bool failed_over;  /* its VF is removed and its traffic goes over the standby */
};

/* A namespace standing for a machine. */
struct topo_ns {
	char name[64];  /* under /run/netns */
	char role[16];  /* "server", "host", "nic", "guest-1"... */
	uint64_t ino;   /* netns inode: what the bpf collector reports */
};

/* A device the topology created, with its settings as configured. */
struct topo_dev {
	char name[16];
	char netns[64];
	char role[16];
	char kind[16];      /* veth, bridge, tun, macvlan */
	char stands_for[48]; /* e.g. "physical link (server side)", "guest vNIC (virtio-net)" */
	uint32_t ifindex;
	uint64_t netns_ino;
	char for_guest[16]; /* host-side device serving one guest only (its backend TAP), else "" */
};

struct topo;

/*
 * Create everything; on failure remove what was made and return NULL with errno set and a
 * one-line reason in err. Requires root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
 */
struct topo *topo__up(const struct topo_conf *conf, char *err, size_t errlen);
/* Stop the relay (by pid), delete every namespace and link. Returns 0 or the first -errno. NULL-safe. */
int topo__down(struct topo *t);
/* Remove leftovers of killed runs: every netns named iovb-*, and relay processes recorded in them. */
int topo__down_all(char *err, size_t errlen);

size_t topo__nns(const struct topo *t);
const struct topo_ns *topo__ns(const struct topo *t, size_t i);
size_t topo__ndevs(const struct topo *t);
const struct topo_dev *topo__dev(const struct topo *t, size_t i);
/* Role charged for work on (netns inode, ifindex); "other" when outside the topology. */
const char *topo__role_of(const struct topo *t, uint64_t netns_ino);

/* Guests of the selected paths, in number order. */
size_t topo__nguests(const struct topo *t);
const struct topo_guest *topo__guest(const struct topo *t, size_t i);

/* netns name of the file server and of the (first) guest on `path`; the server's address. */
const char *topo__server_ns(const struct topo *t);
const char *topo__server_addr(const struct topo *t);
const char *topo__guest_ns(const struct topo *t, enum topo_path path);
const char *topo__guest_role(const struct topo *t, enum topo_path path);
/* Offload settings of device i as "tso=on gso=on gro=off ..." (ethtool -k). 0 or -errno. */
int topo__dev_offloads(const struct topo *t, size_t i, char *buf, size_t len);

/* The (first pv guest's) backend relay process (host role), 0 if none. */
pid_t topo__relay_pid(const struct topo *t);

/*
 * Fail vf guest i (topo__guest index; it needs a standby, an emulated VF) over to its standby:
 * the eswitch steers its MAC to the PF (a tc u32 rule on nic/wire0, prio 16 + N), then its VF
 * (macvlan eth0) is deleted. Its address and MAC stay the guest's, so its TCP connections go
 * on over the host. 0, -EINVAL (no standby), -EALREADY (already failed over) or the failing
 * tool's -errno, with a one-line reason in err.
 */
int topo__failover(struct topo *t, size_t i, char *err, size_t errlen);
/* Undo topo__failover: a new VF (macvlan eth0, same MAC and address), then the rule goes. */
int topo__failback(struct topo *t, size_t i, char *err, size_t errlen);

/* Run fn(arg) in a forked child inside netns `ns`; returns the child's pid or -errno. */
pid_t topo__spawn_in(const char *ns, int (*fn)(void *arg), void *arg);
/* Enter netns `ns` in the calling thread. 0 or -errno. */
int topo__enter(const char *ns);

/*
 * Added for `iovbench topo` and the record (docs/paths.md, "Offloads"):
 *
 * Offload settings of device i as they are now, read in its namespace with the ethtool
 * ioctls, e.g. "sg=on tso=on gso=on gro=on lro=off rx-csum=on tx-csum=on". 0 or -errno
 * (-EINVAL: i out of range, -ENOSPC: buf too small).
 */
int topo__dev_offloads(const struct topo *t, size_t i, char *buf, size_t len);
/*
 * Leave the topology up after this process exits (`iovbench topo up`): the relay stops
 * watching its parent and t is freed; nothing is removed. Remove it later with
 * topo__down_run() or topo__down_all(). On failure t is unchanged and still the caller's.
 */
int topo__detach(struct topo *t);
/*
 * As topo__down_all(), for the namespaces iovb-<run_id>-* and the relay of that run only.
 * Both return the number of namespaces removed, or -errno with a one-line reason in err
 * (-EBUSY: processes iovbench did not start are still inside; their namespaces outlive the
 * names until they exit).
 */
int topo__down_run(const char *run_id, char *err, size_t errlen);

#endif
