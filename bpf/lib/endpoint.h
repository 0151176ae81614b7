/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local pods by address: rr_endpoint4_v1 / rr_endpoint6_v1 (filled by the agent from the pod routes, the
 * neighbour table and the veths) say which host-side veth leads to a pod and which MACs to write, so traffic to
 * a local pod skips bpf_fib_lookup, the pod CIDR match and the iface lookup: one hash lookup, MAC rewrite, TTL,
 * bpf_redirect_peer. A destination outside the prefix that covers every endpoint (rr_config_v2 ep4_cover /
 * ep6_cover: in practice the node's pod CIDR) is not looked up, so traffic to other nodes' pods pays nothing here. Anything uncertain (no entry, an entry not marked usable, the device gone, a packet that
 * does not fit its MTU, a hairpin) goes on to the FIB path, which decides as before: never a drop by accident.
 */
#ifndef RR_ENDPOINT_H
#define RR_ENDPOINT_H

#include "common.h"
#include "maps.h"

/* No lookup for a destination outside the endpoints' covering prefix (rr_config_v2): not a local pod's. */
RR_INLINE const struct rr_endpoint *rr_endpoint4(const struct rr_config *cfg, __be32 daddr)
{
	if (!rr_prefix4_has(&cfg->ep4_cover, daddr))
		return NULL;
	return bpf_map_lookup_elem(&rr_endpoint4_v1, &daddr);
}

RR_INLINE const struct rr_endpoint *rr_endpoint6(const struct rr_config *cfg, const struct in6_addr *daddr)
{
	if (!rr_prefix6_has(&cfg->ep6_cover, daddr))
		return NULL;
	return bpf_map_lookup_elem(&rr_endpoint6_v1, daddr);
}

/*
 * May this packet take the endpoint path? `len` as rr_fib_len computes it: the packet, or one GSO segment (0:
 * unknown, a GSO packet neither TCP nor UDP). bpf_check_mtu answers two questions with one device lookup: the
 * ifindex still names a device (a pod deleted since the agent's last pass: -ENODEV, stale entry) and the packet
 * fits its MTU (if not, the FIB path passes it to the stack, which answers frag-needed). The helper says "fits"
 * for any GSO skb, whatever `len`: the device MTU it reports back is compared with `len` here, as the next-hop
 * cache does; with `len` unknown, BPF_MTU_CHK_SEGS has the helper check each segment itself.
 */
RR_INLINE bool rr_endpoint_usable(struct __sk_buff *ctx, const struct rr_endpoint *ep, __u32 len)
{
	__u32 mtu = len;

	if (!(ep->flags & RR_ENDPOINT_F_PEER) || !ep->ifindex)
		return false;
	if (ep->ifindex == ctx->ingress_ifindex)
		return false;
	if (!len)
		return bpf_check_mtu(ctx, ep->ifindex, &mtu, 0, BPF_MTU_CHK_SEGS) == BPF_MTU_CHK_RET_SUCCESS;
	return bpf_check_mtu(ctx, ep->ifindex, &mtu, 0, 0) == BPF_MTU_CHK_RET_SUCCESS && len <= mtu;
}

/* MACs from the entry, then into the pod. RR_REDIRECT, or a negative drop reason. TTL already decremented. */
RR_INLINE int rr_endpoint_redirect(struct __sk_buff *ctx, const struct rr_endpoint *ep, __u32 *reason)
{
	if (!rr_set_macs(ctx, ep->pod_mac, ep->host_mac))
		return -RR_DROP_WRITE;
	*reason = RR_FWD_ENDPOINT_PEER;
	return bpf_redirect_peer(ep->ifindex, 0) == TC_ACT_REDIRECT ? RR_REDIRECT : -RR_DROP_REDIRECT;
}

#endif /* RR_ENDPOINT_H */
