/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 forwarding on the fast path: checks that send a packet to the stack, the endpoint maps (a local pod), the
 * next-hop cache (a remote pod CIDR), else the FIB lookup; TTL, redirect.
 */
#ifndef RR_IPV4_H
#define RR_IPV4_H

#include "common.h"
#include "csum.h"
#include "endpoint.h"
#include "fib.h"
#include "forward.h"
#include "pods.h"

/* What ip_rcv checks before routing: header checksum and a total length that fits the packet. */
RR_INLINE bool rr_ipv4_sane(const struct __sk_buff *ctx, const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u16 tot_len = bpf_ntohs(ip->tot_len);
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	if (rr_csum_fold32(sum) != 0xffff)
		return false;
	return tot_len >= sizeof(*ip) && tot_len <= ctx->len - ETH_HLEN;
}

/* Source and destination ports for the FIB's multipath hash, when the packet has them. */
RR_INLINE void rr_l4_ports(struct __sk_buff *ctx, __u32 l4_off, __u8 proto, struct bpf_fib_lookup *p)
{
	__be16 *ports;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return;
	ports = rr_data(ctx) + l4_off;
	if ((void *)(ports + 2) > rr_data_end(ctx))
		return;
	p->sport = ports[0];
	p->dport = ports[1];
}

RR_INLINE int rr_fwd_ipv4(struct __sk_buff *ctx, __u32 *reason)
{
	struct bpf_fib_lookup p = {};
	const struct rr_endpoint *ep;
	const struct rr_config *cfg;
	const struct rr_pod_info *pod;
	struct rr_fwd fwd = {};
	bool dst_is_pod;
	struct iphdr *ip;
	__u32 flags, nh;

	if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip)))
		return rr_pass(reason, RR_PASS_SHORT);
	ip = rr_data(ctx) + ETH_HLEN;
	if ((void *)(ip + 1) > rr_data_end(ctx))
		return rr_pass(reason, RR_PASS_SHORT);
	if (ip->version != 4)
		return rr_pass(reason, RR_PASS_MALFORMED);
	if (ip->ihl != 5)
		return rr_pass(reason, RR_PASS_IP_OPTIONS);
	if (!rr_ipv4_sane(ctx, ip))
		return rr_pass(reason, RR_PASS_MALFORMED);
	if (ip->frag_off & bpf_htons(RR_IP_MF | RR_IP_OFFSET))
		return rr_pass(reason, RR_PASS_FRAGMENT);
	if (ip->ttl <= 1)
		return rr_pass(reason, RR_PASS_TTL);

	cfg = rr_config();
	if (!cfg)
		return rr_pass(reason, RR_PASS_NOT_POD);

	ep = rr_endpoint4(cfg, ip->daddr);
	if (ep) {
		/* may pull: ip reloaded below */
		fwd.len = rr_fib_len(ctx, ETH_HLEN + sizeof(*ip), ip->protocol, bpf_ntohs(ip->tot_len));
		if (rr_endpoint_usable(ctx, ep, fwd.len))
			return rr_leave(ctx, false) ? rr_endpoint_redirect(ctx, ep, reason) : -RR_DROP_WRITE;
		/* Not usable: the FIB path below decides, as without an entry. */
		ip = rr_data(ctx) + ETH_HLEN;
		if ((void *)(ip + 1) > rr_data_end(ctx))
			return rr_pass(reason, RR_PASS_SHORT);
	}

	pod = rr_pod4_match(cfg, ip->saddr, ip->daddr, &dst_is_pod);
	if (!pod)
		return rr_pass(reason, RR_PASS_NOT_POD);
	flags = pod->flags;
	/* Read at once, beside flags: the entry is not read again after the calls below. */
	nh = dst_is_pod && (flags & RR_POD_F_REMOTE) ? pod->nh : 0;
	fwd.dst_local_pod = dst_is_pod && (flags & RR_POD_F_LOCAL);

	p.family = AF_INET;
	p.tos = ip->tos;
	p.l4_protocol = ip->protocol;
	p.ipv4_src = ip->saddr;
	p.ipv4_dst = ip->daddr;
	p.ifindex = ctx->ingress_ifindex;
	fwd.tunneled = rr_ipip_dst4_tunneled(ip->daddr);
	rr_l4_ports(ctx, ETH_HLEN + sizeof(*ip), ip->protocol, &p);
	fwd.len = rr_fib_len(ctx, ETH_HLEN + sizeof(*ip), p.l4_protocol, bpf_ntohs(ip->tot_len)); /* may pull: ip reloaded below */
	return rr_forward(ctx, nh, &p, &fwd, cfg->flags, reason);
}

#endif /* RR_IPV4_H */
