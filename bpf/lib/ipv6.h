/* SPDX-License-Identifier: Apache-2.0 */
/* IPv6 forwarding on the fast path: the same steps as IPv4 (endpoint maps, next-hop cache, FIB); no header checksum to patch. */
#ifndef RR_IPV6_H
#define RR_IPV6_H

#include "common.h"
#include "endpoint.h"
#include "fib.h"
#include "forward.h"
#include "ipv4.h"
#include "pods.h"

RR_INLINE bool rr_ipv6_link_scope(const struct in6_addr *a)
{
	__u8 b0 = a->in6_u.u6_addr8[0], b1 = a->in6_u.u6_addr8[1];

	return b0 == 0xff || (b0 == 0xfe && (b1 & 0xc0) == 0x80);
}

RR_INLINE int rr_fwd_ipv6(struct __sk_buff *ctx, __u32 *reason)
{
	struct bpf_fib_lookup p = {};
	const struct rr_endpoint *ep;
	const struct rr_config *cfg;
	const struct rr_pod_info *pod;
	struct rr_fwd fwd = {};
	struct ipv6hdr *ip6;
	bool dst_is_pod;
	__u32 flags, nh;

	if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip6)))
		return rr_pass(reason, RR_PASS_SHORT);
	ip6 = rr_data(ctx) + ETH_HLEN;
	if ((void *)(ip6 + 1) > rr_data_end(ctx))
		return rr_pass(reason, RR_PASS_SHORT);
	if (ip6->version != 6)
		return rr_pass(reason, RR_PASS_MALFORMED);
	/* payload_len 0 is a jumbogram (hop-by-hop option): the stack's business. */
	if (!ip6->payload_len || bpf_ntohs(ip6->payload_len) > ctx->len - ETH_HLEN - sizeof(*ip6))
		return rr_pass(reason, RR_PASS_MALFORMED);
	if (ip6->nexthdr == RR_NEXTHDR_HOP)
		return rr_pass(reason, RR_PASS_IPV6_EXT);
	if (ip6->nexthdr == RR_NEXTHDR_FRAGMENT)
		return rr_pass(reason, RR_PASS_FRAGMENT);
	if (ip6->hop_limit <= 1)
		return rr_pass(reason, RR_PASS_TTL);
	if (rr_ipv6_link_scope(&ip6->daddr) || rr_ipv6_link_scope(&ip6->saddr))
		return rr_pass(reason, RR_PASS_LINK_SCOPE);

	cfg = rr_config();
	if (!cfg)
		return rr_pass(reason, RR_PASS_NOT_POD);

	ep = rr_endpoint6(cfg, &ip6->daddr);
	if (ep) {
		fwd.len = rr_fib_len(ctx, ETH_HLEN + sizeof(*ip6), ip6->nexthdr, sizeof(*ip6) + bpf_ntohs(ip6->payload_len));
		if (rr_endpoint_usable(ctx, ep, fwd.len))
			return rr_leave(ctx, true) ? rr_endpoint_redirect(ctx, ep, reason) : -RR_DROP_WRITE;
		ip6 = rr_data(ctx) + ETH_HLEN;
		if ((void *)(ip6 + 1) > rr_data_end(ctx))
			return rr_pass(reason, RR_PASS_SHORT);
	}

	pod = rr_pod6_match(cfg, &ip6->saddr, &ip6->daddr, &dst_is_pod);
	if (!pod)
		return rr_pass(reason, RR_PASS_NOT_POD);
	flags = pod->flags;
	nh = dst_is_pod && (flags & RR_POD_F_REMOTE) ? pod->nh : 0;
	fwd.dst_local_pod = dst_is_pod && (flags & RR_POD_F_LOCAL);

	p.family = AF_INET6;
	/* Traffic class and flow label, as the stack's own lookup uses them. */
	p.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
	p.l4_protocol = ip6->nexthdr;
	__builtin_memcpy(p.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(p.ipv6_dst, &ip6->daddr, 16);
	p.ifindex = ctx->ingress_ifindex;
	fwd.tunneled = rr_ipip_dst6_tunneled(&ip6->daddr);
	rr_l4_ports(ctx, ETH_HLEN + sizeof(*ip6), ip6->nexthdr, &p);
	fwd.len = rr_fib_len(ctx, ETH_HLEN + sizeof(*ip6), p.l4_protocol, sizeof(*ip6) + bpf_ntohs(ip6->payload_len));
	return rr_forward(ctx, nh, &p, &fwd, cfg->flags, reason);
}

#endif /* RR_IPV6_H */
