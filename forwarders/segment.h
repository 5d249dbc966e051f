/* DOC: software segmentation of TCP super-packets
 *
 * A capture (the pcap and raw-socket forwarders) sees what the kernel
 * holds, and the kernel holds TCP in super-packets: a sender's segments
 * joined under one IP header (TSO on a veth, GRO on a NIC), up to 64 KB.
 * netfilter splits them before NFQUEUE; a capture does not, and one SVR
 * packet of 64 KB cannot cross a 1500-byte WAN.  So the data plane splits
 * them itself, as the kernel's GSO would: segments of at most mss bytes of
 * payload, sequence numbers advanced, FIN and PSH on the last only, CWR on
 * the first only, IPv4 identifiers counted up, checksums made again.
 */
#ifndef SVR_SEGMENT_H
#define SVR_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

typedef void (*seg_emit)(const uint8_t *pkt, size_t len, void *arg);

/* When pkt is an IPv4 or IPv6 TCP packet carrying more than mss bytes of
 * payload, give emit each segment in order and return how many; 0 when
 * pkt is anything else (the caller takes it as it is). */
size_t tcp_segment(const uint8_t *pkt, size_t len, size_t mss, seg_emit emit, void *arg);

#endif
