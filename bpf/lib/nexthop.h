/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The next-hop cache of other nodes' pod CIDRs (rr_nh_v1; layout and writer rules in lib/maps.h). Traffic from a
 * local pod to a remote pod CIDR whose pod entry names a group skips bpf_fib_lookup: one array lookup (inlined by
 * the verifier), a flow hash when the group has more than one next hop, bpf_check_mtu on the chosen device, the
 * MACs from the group, bpf_redirect. The same idea as the endpoint maps (lib/endpoint.h) for traffic into local
 * pods. Anything uncertain (no group, a bad count, the ingress device, a packet of unknown length, a device gone,
 * a packet or GSO segment too big) returns NULL: the caller goes on to the FIB path, which decides as before.
 */
#ifndef RR_NEXTHOP_H
#define RR_NEXTHOP_H

#include "common.h"
#include "maps.h"

/* murmur3's 32-bit finalizer: every input bit reaches every output bit. */
RR_INLINE __u32 rr_nh_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

/*
 * A flow's hash from what the FIB lookup was given: addresses (IPv6 folded to 32 bits), protocol and ports (0
 * without TCP / UDP). The same flow always gets the same hash, so the same next hop while its group stays.
 */
RR_INLINE __u32 rr_nh_flow_hash(const struct bpf_fib_lookup *p)
{
	__u32 s, d, h;

	if (p->family == AF_INET) {
		s = p->ipv4_src;
		d = p->ipv4_dst;
	} else {
		s = p->ipv6_src[0] ^ p->ipv6_src[1] ^ p->ipv6_src[2] ^ p->ipv6_src[3];
		d = p->ipv6_dst[0] ^ p->ipv6_dst[1] ^ p->ipv6_dst[2] ^ p->ipv6_dst[3];
	}
	h = s * 0x9e3779b1U;
	h = (h ^ d) * 0x9e3779b1U;
	h = (h ^ ((__u32)p->sport << 16 | p->dport)) * 0x9e3779b1U;
	return rr_nh_mix(h ^ p->l4_protocol);
}

/*
 * The cached next hop of this packet, or NULL for the FIB path. nh: the destination's pod entry's (1 + group
 * index; the caller passes 0 unless the entry is REMOTE and the destination is not tunnelled). p: the FIB lookup's
 * parameters, filled (only the flow is read). len: as rr_fib_len computes it (0 unknown).
 */
RR_INLINE const struct rr_nh *rr_nh_lookup(struct __sk_buff *ctx, __u32 nh, const struct bpf_fib_lookup *p, __u32 len)
{
	const struct rr_nh_group *g;
	const struct rr_nh *n;
	__u32 idx = nh - 1, count, i = 0, mtu = len;

	if (!nh || !len)
		return NULL;
	g = bpf_map_lookup_elem(&rr_nh_v1, &idx);
	if (!g)
		return NULL;
	count = g->count;
	if (count == 0 || count > RR_NH_MAX)
		return NULL;
	if (count > 1) {
		i = rr_nh_flow_hash(p) % count;
		barrier_var(i); /* the compiler knows i < count <= RR_NH_MAX, the verifier must be told */
		if (i >= RR_NH_MAX)
			return NULL;
	}
	n = &g->nh[i];
	if (!n->ifindex || n->ifindex == ctx->ingress_ifindex)
		return NULL;
	/*
	 * One device lookup answers both: the device still exists (else -ENODEV) and the packet fits its MTU. The
	 * helper says "fits" for any GSO skb whatever its segments; the device MTU it reports back is compared with
	 * len (one segment) here, as bpf_fib_lookup compares its tot_len.
	 */
	if (bpf_check_mtu(ctx, n->ifindex, &mtu, 0, 0) != BPF_MTU_CHK_RET_SUCCESS || len > mtu)
		return NULL;
	return n;
}

/* MACs from the cache, then out of the device. RR_REDIRECT, or a negative drop reason. TTL already decremented. */
RR_INLINE int rr_nh_redirect(struct __sk_buff *ctx, const struct rr_nh *n, __u32 *reason)
{
	if (!rr_set_macs(ctx, n->dmac, n->smac))
		return -RR_DROP_WRITE;
	*reason = RR_FWD_NEXTHOP;
	return bpf_redirect(n->ifindex, 0) == TC_ACT_REDIRECT ? RR_REDIRECT : -RR_DROP_REDIRECT;
}

#endif /* RR_NEXTHOP_H */
