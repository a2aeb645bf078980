/* SPDX-License-Identifier: GPL-2.0 */
/* The wire collector's figures as a record section (docs/record.md, collectors.wire). */
#ifndef IOVB_REC_WIRE_H
#define IOVB_REC_WIRE_H

#include <jansson.h>

#include "iovb/wire.h"

/*
 * collectors.wire of a window: source "libpcap", per interface and direction packets, bytes
 * (IP length), TCP payload bytes, retransmissions and the packet-size histogram; pcap's drop
 * counts; the capture thread's CPU as overhead. A new reference.
 */
json_t *record__wire(const struct wire_stats *st);

#endif
