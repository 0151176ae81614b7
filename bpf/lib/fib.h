/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forwarding by the kernel's own FIB: bpf_fib_lookup decides the egress device and next hop (routes,
 * policy rules, ECMP, neighbours: the same answer the stack would give), then the packet is redirected.
 * The lookup does not touch the packet; the caller decrements TTL / hop limit between the two steps.
 */
#ifndef RR_FIB_H
#define RR_FIB_H

#include "common.h"
#include "ipip_dst.h"
#include "maps.h"

enum rr_fwd_how {
	RR_FWD_MACS = 1, /* neighbour known: write MACs, bpf_redirect / bpf_redirect_peer */
	RR_FWD_NEIGH = 2, /* no neighbour entry yet: bpf_redirect_neigh resolves it */
};

struct rr_fwd {
	__u8 how; /* enum rr_fwd_how */
	bool dst_local_pod; /* destination matched a pod CIDR of this node: the target may be a pod veth */
	bool tunneled; /* destination in rr_ipip_dst: rr_ipip_egress adds 20 bytes on the way out */
	__u32 len; /* what the MTU checks measure: the L3 packet or one GSO segment; 0 unknown (rr_fib_len) */
};

/*
 * The length the MTU checks measure: the IP packet (l3_len) or, for a GSO packet, one segment as it will leave
 * (IP header + TCP/UDP header + gso_size). 0 when a GSO packet is neither TCP nor UDP directly after the IP
 * header: bpf_fib_lookup then checks the skb against the egress device itself (GSO-aware).
 * May pull data: packet pointers taken before are invalid afterwards.
 */
RR_INLINE __u32 rr_fib_len(struct __sk_buff *ctx, __u32 l4_off, __u8 proto, __u32 l3_len)
{
	__u32 gso = ctx->gso_size;
	__u8 *doff;

	if (!gso)
		return l3_len;
	if (proto == IPPROTO_UDP)
		return l4_off - ETH_HLEN + 8 + gso;
	if (proto != IPPROTO_TCP || !rr_pull(ctx, l4_off + 13))
		return 0;
	doff = rr_data(ctx) + l4_off + 12;
	if ((void *)(doff + 1) > rr_data_end(ctx))
		return 0;
	return l4_off - ETH_HLEN + (*doff >> 4) * 4 + gso;
}

/*
 * A tunnelled packet must still fit the egress device once rr_ipip_egress has added its 20 bytes. The route to a
 * tunnelled pod CIDR says mtu = underlay - 20, but bpf_fib_lookup checks only the device's MTU (a route MTU
 * counts there only when locked or with ip_forward_use_pmtu), so the fast path checks it here; a packet that does
 * not fit goes to the stack, which answers frag-needed (mtu = underlay - 20) or fragments, as for any route.
 */
RR_INLINE bool rr_fib_tunnel_fits(struct __sk_buff *ctx, __u32 ifindex, __u32 len)
{
	__u32 mtu = len;

	if (!len)
		return false;
	/* The helper's verdict says "fits" for any GSO skb: only the device MTU it reports back is used. */
	if (bpf_check_mtu(ctx, ifindex, &mtu, 0, 0) < 0)
		return false;
	return len + RR_IPIP_HLEN <= mtu;
}

/*
 * Look the packet up in the FIB. RR_REDIRECT means "forward it" (fwd->how says how); RR_OK means the
 * kernel stack must handle it, with the reason set. cfg: rr_config_v2's flags.
 */
RR_INLINE int rr_fib_lookup(struct __sk_buff *ctx, struct bpf_fib_lookup *p, struct rr_fwd *fwd, __u32 cfg,
			    __u32 *reason)
{
	int rc;

	/*
	 * tot_len: the kernel compares it with the route's MTU (ip_mtu_from_fib_result: the device's unless the
	 * route's is locked) and answers FRAG_NEEDED; 0 would compare the whole skb with the device MTU plus 4 bytes
	 * of VLAN slack (is_skb_forwardable), letting a 1451-byte packet through a 1450 VXLAN device. tot_len and
	 * mtu_result share their bytes: fwd->len keeps the length.
	 */
	p->tot_len = fwd->len;
	rc = bpf_fib_lookup(ctx, p, sizeof(*p), (cfg & RR_CFG_F_FIB_DIRECT) ? BPF_FIB_LOOKUP_DIRECT : 0);

	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		fwd->how = RR_FWD_MACS;
		break;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		if (!(cfg & RR_CFG_F_REDIRECT_NEIGH))
			return rr_pass(reason, RR_PASS_FIB_NO_NEIGH);
		fwd->how = RR_FWD_NEIGH;
		break;
	case BPF_FIB_LKUP_RET_NOT_FWDED:
		return rr_pass(reason, RR_PASS_FIB_NOT_FWDED);
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return rr_pass(reason, RR_PASS_FIB_UNREACHABLE);
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return rr_pass(reason, RR_PASS_FIB_FWD_DISABLED);
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return rr_pass(reason, RR_PASS_FIB_FRAG_NEEDED);
	default:
		return rr_pass(reason, RR_PASS_FIB_OTHER);
	}
	if (p->ifindex == ctx->ingress_ifindex)
		return rr_pass(reason, RR_PASS_HAIRPIN);
	if (fwd->tunneled && !rr_fib_tunnel_fits(ctx, p->ifindex, fwd->len))
		return rr_pass(reason, RR_PASS_IPIP_TOO_BIG);
	return RR_REDIRECT;
}

/* The host side of a pod veth? From rr_ifslots_v1 (an array: no hash lookup); a device not found there is not. */
RR_INLINE bool rr_iface_is_pod(__u32 ifindex)
{
	__u32 slot = ifindex % RR_IFSLOTS;
	const __u64 *v = bpf_map_lookup_elem(&rr_ifslots_v1, &slot);

	return v && (__u32)(*v >> 32) == ifindex && (*v & RR_IFACE_F_POD);
}

/* Send the packet where rr_fib_lookup said. RR_REDIRECT, or a negative drop reason. */
RR_INLINE int rr_fib_redirect(struct __sk_buff *ctx, const struct bpf_fib_lookup *p, const struct rr_fwd *fwd,
			      __u32 *reason)
{
	long ret;

	if (fwd->how == RR_FWD_NEIGH) {
		struct bpf_redir_neigh nh = { .nh_family = p->family };

		if (p->family == AF_INET)
			nh.ipv4_nh = p->ipv4_dst;
		else
			__builtin_memcpy(nh.ipv6_nh, p->ipv6_dst, sizeof(nh.ipv6_nh));
		*reason = RR_FWD_REDIRECT_NEIGH;
		ret = bpf_redirect_neigh(p->ifindex, &nh, sizeof(nh), 0);
		return ret == TC_ACT_REDIRECT ? RR_REDIRECT : -RR_DROP_REDIRECT;
	}

	if (!rr_set_macs(ctx, p->dmac, p->smac))
		return -RR_DROP_WRITE;

	if (fwd->dst_local_pod && rr_iface_is_pod(p->ifindex)) {
		*reason = RR_FWD_REDIRECT_PEER;
		ret = bpf_redirect_peer(p->ifindex, 0);
	} else {
		*reason = RR_FWD_REDIRECT;
		ret = bpf_redirect(p->ifindex, 0);
	}
	return ret == TC_ACT_REDIRECT ? RR_REDIRECT : -RR_DROP_REDIRECT;
}

#endif /* RR_FIB_H */
