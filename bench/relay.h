/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The paravirtual path's backend relay: a process in the host role that moves frames between
 * the guest's TAP and the virtual switch's TAP port, as vhost-net or the VMBus host side do.
 * Its per-packet work (a read and a write per frame, GSO super-frames kept whole) is the host
 * cost of the paravirtual path. See docs/paths.md.
 */
#ifndef IOVB_RELAY_H
#define IOVB_RELAY_H

#include <stdbool.h>
#include <sys/types.h>

#define RELAY_COMM "iovb-relay"		/* /proc/<pid>/comm of the relay: checked before a kill */
#define RELAY_THREAD_RX "iovb-relay-rx" /* host -> guest (the guest's receive side) */
#define RELAY_THREAD_TX "iovb-relay-tx" /* guest -> host (the guest's transmit side) */

/*
 * Open (create) TAP device `name` in the calling thread's network namespace: IFF_TAP |
 * IFF_NO_PI | IFF_VNET_HDR, plus IFF_NAPI when napi is true (frames written to the fd are then
 * received in a NAPI poll, in softirq, instead of inline in the writer's syscall). The vnet
 * header is struct virtio_net_hdr (10 bytes) and TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6 are offered,
 * so GSO super-frames and partial checksums cross the relay untouched. The device lives as
 * long as the fd. Returns the fd (O_CLOEXEC) or -errno.
 */
int relay__tap_open(const char *name, bool napi);

/*
 * Fork the relay over guest_fd and host_fd (from relay__tap_open). The child keeps only those
 * two fds and its end of a control socket; *ctl receives the caller's end (O_CLOEXEC). The
 * relay exits when the caller's process is gone (every copy of *ctl closed: process-wide,
 * unlike PR_SET_PDEATHSIG, which fires when the forking *thread* exits), on SIGTERM, SIGINT or
 * SIGHUP, or after a fatal I/O error, which it reports in one line on stderr. It runs in its
 * own session so a terminal's Ctrl-C reaches it only through its parent. Returns the pid or
 * -errno; the caller still owns guest_fd and host_fd (close them: the child has copies).
 */
pid_t relay__start(int guest_fd, int host_fd, int *ctl);

/*
 * Ask the relay to outlive its parent (the topology stays up after the caller exits). Waits
 * up to timeout_ms for its acknowledgement. Afterwards its stderr is /dev/null and only a
 * signal stops it. 0 or -errno (-ETIMEDOUT, -EPIPE if it is gone). Does not close ctl.
 */
int relay__detach(int ctl, int timeout_ms);

#endif
