/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why the datapath let a packet go where it went: one number per reason, for the per-CPU counters
 * (rr_stats_v1 is indexed by it) and for `rackroute datapath`.
 *
 * Rules:
 *   - A number is given once and never reused, even when its reason is retired (mark it RETIRED in the comment).
 *   - Ranges: 1..63 pass to the kernel stack (TC_ACT_OK, packet unchanged), 64..127 redirected by the fast
 *     path, 128..255 dropped (helpers return them negated). RR_REASON_MAX bounds the counters map.
 *   - One entry per line, `NAME = NUMBER, // description`: scripts/gen-reasons.mjs parses exactly this shape
 *     into src/dataplane/ebpf/reasons.generated.ts.
 */
#ifndef RR_REASONS_H
#define RR_REASONS_H

enum rr_reason {
	RR_REASON_UNSPEC = 0, // no reason recorded (a bug if it is ever counted)

	/* passed to the kernel stack unchanged */
	RR_PASS_NOT_IP = 1, // neither IPv4 nor IPv6 (ARP, LLDP, ...)
	RR_PASS_SHORT = 2, // headers not present in the packet
	RR_PASS_MALFORMED = 3, // IP header fails the stack's checks (version, length, IPv4 checksum): the kernel drops it
	RR_PASS_NOT_HOST = 4, // frame not addressed to this host's MAC (pkt_type != PACKET_HOST)
	RR_PASS_VLAN = 5, // VLAN-tagged frame: the VLAN device's stack handles it
	RR_PASS_IP_OPTIONS = 6, // IPv4 header with options
	RR_PASS_FRAGMENT = 7, // IPv4 fragment or IPv6 fragment header
	RR_PASS_TTL = 8, // TTL / hop limit <= 1: the kernel sends ICMP time exceeded
	RR_PASS_IPV6_EXT = 9, // IPv6 hop-by-hop options header
	RR_PASS_LINK_SCOPE = 10, // multicast or link-local address: never forwarded
	RR_PASS_NOT_POD = 11, // neither source nor destination in a pod CIDR we handle
	RR_PASS_FIB_NOT_FWDED = 12, // FIB: local destination, no route, or not unicast
	RR_PASS_FIB_UNREACHABLE = 13, // FIB: blackhole, unreachable or prohibit route (kernel answers with ICMP)
	RR_PASS_FIB_FWD_DISABLED = 14, // FIB: forwarding disabled on the ingress device
	RR_PASS_FIB_NO_NEIGH = 15, // FIB: no valid neighbour entry for the next hop
	RR_PASS_FIB_FRAG_NEEDED = 16, // FIB: larger than the egress MTU (kernel sends ICMP / fragments)
	RR_PASS_FIB_OTHER = 17, // FIB: another result (lwt encapsulation, no source address, ...)
	RR_PASS_HAIRPIN = 18, // egress device is the ingress device (kernel may send an ICMP redirect)
	/* IP-in-IP (rr_ipip.c); "pass" there means: on to the next tc filter, then the stack, unchanged */
	RR_PASS_IPIP_NOT_TUNNELED = 19, // egress: not IP, or destination not in rr_ipip_dst: leaves unencapsulated
	RR_PASS_IPIP_NOT_FOR_US = 20, // ingress: not IP-in-IP (protocol 4 / 41) addressed to our underlay address
	RR_PASS_IPIP_UNKNOWN_PEER = 21, // ingress: IP-in-IP from a source that is not a known node: not decapsulated
	RR_PASS_IPIP_FRAGMENT = 22, // ingress: fragment of an IP-in-IP packet: not decapsulated
	RR_PASS_IPIP_MALFORMED = 23, // ingress: outer header with options, bad checksum or length, or inner header missing or of the wrong version
	RR_PASS_IPIP_TOO_BIG = 24, // fast path: destination carried by IP-in-IP and the packet (or GSO segment) + 20 exceeds the egress MTU: the stack sends frag-needed or fragments

	/* redirected by the fast path */
	RR_FWD_REDIRECT = 64, // bpf_redirect to the egress device, MACs from the FIB lookup
	RR_FWD_REDIRECT_PEER = 65, // bpf_redirect_peer into a local pod's namespace
	RR_FWD_REDIRECT_NEIGH = 66, // bpf_redirect_neigh: the kernel resolves the next hop's MAC
	/* IP-in-IP (rr_ipip.c): rewritten by the fast path, then sent on */
	RR_FWD_IPIP_ENCAP = 67, // encapsulated; MACs of the outer next hop from the FIB lookup
	RR_FWD_IPIP_ENCAP_NEIGH = 68, // encapsulated; bpf_redirect_neigh resolves the outer next hop's MAC
	RR_FWD_IPIP_ENCAP_KEEP_L2 = 69, // encapsulated; outer FIB lookup failed: the kernel's L2 header (inner route's next hop) kept
	RR_FWD_IPIP_DECAP = 70, // decapsulated: the inner packet goes on to the next filter and the stack
	RR_FWD_ENDPOINT_PEER = 71, // local pod found in the endpoint map: MACs from the map, bpf_redirect_peer, no FIB lookup
	RR_FWD_NEXTHOP = 72, // remote pod CIDR with cached next hops (rr_nh_v1): MACs from the cache, bpf_redirect, no FIB lookup

	/* dropped */
	RR_DROP_WRITE = 128, // packet rewrite failed after the forwarding decision
	RR_DROP_REDIRECT = 129, // redirect helper refused the target
	RR_DROP_IPIP_TOO_BIG = 130, // larger than the underlay MTU once encapsulated (the route to the pod CIDR lacks mtu = underlay - 20)
	RR_DROP_IPIP_ENCAP = 131, // bpf_skb_adjust_room or the header write failed while encapsulating
	RR_DROP_IPIP_DECAP = 132, // bpf_skb_adjust_room or the header write failed while decapsulating
	RR_DROP_IPIP_ECN = 133, // outer header marked CE over a not-ECT inner packet (RFC 6040 says drop)

	RR_REASON_MAX = 256, // size of the counters map, not a reason
};

#endif /* RR_REASONS_H */
