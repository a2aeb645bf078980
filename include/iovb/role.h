/* SPDX-License-Identifier: GPL-2.0 */
/* Roles: who is charged for a piece of kernel or process work. See docs/record.md. */
#ifndef IOVB_ROLE_H
#define IOVB_ROLE_H

/*
 * Role names are strings in the record: "server", "host", "guest-1", "guest-2"... , "nic"
 * (emulated adapter and wire: work real hardware does in silicon) and "other" (devices and
 * tasks outside the run's topology, e.g. the machine's own NIC).
 */
#define IOVB_ROLE_SERVER "server"
#define IOVB_ROLE_HOST "host"
#define IOVB_ROLE_NIC "nic"
#define IOVB_ROLE_OTHER "other"
#define IOVB_ROLE_MAX 32

#endif
