// SPDX-License-Identifier: GPL-2.0
/* collectors.wire: the wire collector's window as JSON (docs/record.md). */
#include <stdint.h>

#include "iovb/rec_wire.h"
#include "iovb/record.h"

static json_t *dir_json(const struct wire_dir *d)
{
	return json_pack("{sI sI sI sI sI sI so}", "packets", (json_int_t)d->packets, "bytes",
			 (json_int_t)d->bytes, "tcp_packets", (json_int_t)d->tcp_packets,
			 "tcp_payload_bytes", (json_int_t)d->tcp_payload_bytes, "retrans_packets",
			 (json_int_t)d->retrans_packets, "retrans_bytes",
			 (json_int_t)d->retrans_bytes, "size_hist",
			 record__log2_hist(d->size_hist, WIRE_HIST_SLOTS, "bytes (IP length)"));
}

json_t *record__wire(const struct wire_stats *st)
{
	json_t *o = json_object(), *ifs = json_array();

	json_object_set_new(o, "source", json_string("libpcap"));
	json_object_set_new(o, "capture",
			    json_string("\"any\" in LINUX_SLL2 framing, kernel filter on ifindex; "
					"headers only; packets by their kernel timestamp"));
	json_object_set_new(o, "unit",
			    json_string("packets; bytes = IP packet length (L3); "
					"tcp_payload_bytes = IP length - IP header - "
					"TCP header"));
	json_object_set_new(o, "netns", json_string(st->netns));
	json_object_set_new(o, "snaplen", json_integer(st->snaplen));
	json_object_set_new(o, "window_ns", json_integer((json_int_t)st->window_ns));
	for (size_t i = 0; i < st->nifs; i++)
		json_array_append_new(ifs, json_pack("{ss sI so so}", "name", st->ifs[i].name,
						     "ifindex", (json_int_t)st->ifs[i].ifindex,
						     "rx", dir_json(&st->ifs[i].dir[WIRE_RX]), "tx",
						     dir_json(&st->ifs[i].dir[WIRE_TX])));
	json_object_set_new(o, "interfaces", ifs);
	json_object_set_new(o, "pcap",
			    json_pack("{sI sI ss}", "received", (json_int_t)st->pcap_received,
				      "dropped", (json_int_t)st->pcap_dropped, "note",
				      "pcap_stats: received passed the filter; dropped "
				      "were lost by the kernel (ring full), so the "
				      "figures above are low by that many"));
	json_object_set_new(o, "truncated", json_integer((json_int_t)st->truncated));
	json_object_set_new(o, "tcp_flows", json_integer((json_int_t)st->flows));
	json_object_set_new(o, "tcp_flows_untracked",
			    json_integer((json_int_t)st->flows_untracked));
	json_object_set_new(o, "pcap_file",
			    st->pcap_path[0] ? json_string(st->pcap_path) : json_null());
	json_object_set_new(o, "overhead",
			    json_pack("{ss sI}", "source",
				      "CLOCK_THREAD_CPUTIME_ID of the capture thread", "cpu_ns",
				      (json_int_t)st->thread_cpu_ns));
	return o;
}
