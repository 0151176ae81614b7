/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IP-in-IP destination maps (remote pod CIDR -> the node that owns it), shared by both program sets pinned in
 * one directory: rr_ipip.c encapsulates what they hold; rr_tc.c's fast path looks them up to know that a packet it
 * forwards will grow by 20 bytes at the uplink's egress (lib/fib.h, rr_fib_tunnel_fits). Same definition in
 * both objects, pinned by name: whichever loads first creates them, the other reuses them. Written only by
 * src/dataplane/ebpf/ipip.ts (IpipMaps).
 *
 * rr_ipip_dst_used_v1 (ARRAY[1], value struct rr_ipip_dst_used) says which of the two may hold entries, so that
 * the fast path skips the trie lookup (about 7 ns per forwarded packet) while no destination of that family is
 * tunnelled, the common case. The writer sets a family's bit before the first destination of that family goes
 * in and clears it only after the last one is gone (make before break): a set bit over an empty map costs a
 * lookup, a clear bit over entries would skip the MTU check, and the writer never lets that happen.
 */
#ifndef RR_IPIP_DST_H
#define RR_IPIP_DST_H

#include "common.h"
#include "maps.h"

/* Bytes IP-in-IP adds: the outer IPv4 header, no options. */
#define RR_IPIP_HLEN 20

struct rr_ipip_dst {
	__be32 remote; /* the remote node's underlay address: outer destination */
	__be32 local; /* outer source; 0 = rr_ipip_cfg_v1's local address */
};

#define RR_IPIP_DST_USED_V4 (1U << 0) /* rr_ipip_dst_v1 may hold entries */
#define RR_IPIP_DST_USED_V6 (1U << 1) /* rr_ipip_dst6_v1 may hold entries */

struct rr_ipip_dst_used {
	__u32 flags; /* RR_IPIP_DST_USED_* */
	__u32 reserved; /* 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_ipip_dst_used);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ipip_dst_used_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct rr_pod4_key);
	__type(value, struct rr_ipip_dst);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ipip_dst_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct rr_pod6_key);
	__type(value, struct rr_ipip_dst);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ipip_dst6_v1 SEC(".maps");

RR_INLINE bool rr_ipip_dst_used(__u32 family_flag)
{
	__u32 zero = 0;
	const struct rr_ipip_dst_used *u = bpf_map_lookup_elem(&rr_ipip_dst_used_v1, &zero);

	return !u || (u->flags & family_flag); /* no answer: look it up */
}

/* Is this IPv4 / IPv6 destination carried by IP-in-IP (encapsulated at the uplink's egress)? */
RR_INLINE bool rr_ipip_dst4_tunneled(__be32 daddr)
{
	struct rr_pod4_key key = { .prefixlen = 32 };

	if (!rr_ipip_dst_used(RR_IPIP_DST_USED_V4))
		return false;
	__builtin_memcpy(key.addr, &daddr, 4);
	return bpf_map_lookup_elem(&rr_ipip_dst_v1, &key) != NULL;
}

RR_INLINE bool rr_ipip_dst6_tunneled(const struct in6_addr *daddr)
{
	struct rr_pod6_key key = { .prefixlen = 128 };

	if (!rr_ipip_dst_used(RR_IPIP_DST_USED_V6))
		return false;
	__builtin_memcpy(key.addr, daddr, 16);
	return bpf_map_lookup_elem(&rr_ipip_dst6_v1, &key) != NULL;
}

#endif /* RR_IPIP_DST_H */
