/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The steps after the checks, both families: the packet leaves (header again, TTL / hop limit - 1) by the endpoint
 * map, the next-hop cache, or the FIB lookup.
 */
#ifndef RR_FORWARD_H
#define RR_FORWARD_H

#include "common.h"
#include "csum.h"
#include "fib.h"
#include "nexthop.h"

/* TTL - 1 with the header checksum patched for the 16-bit word holding TTL and protocol. */
RR_INLINE void rr_ipv4_dec_ttl(struct iphdr *ip)
{
	__u16 *word = (__u16 *)&ip->ttl;
	__u16 before = *word;

	ip->ttl -= 1;
	ip->check = rr_csum_replace16(ip->check, before, *word);
}

/*
 * The packet is leaving on the fast path: its header again (a pull since it was read moved the data), TTL or hop
 * limit - 1 (IPv6 has no header checksum to patch). false when the header is no longer in the linear data (the
 * caller drops: it has decided to forward).
 */
RR_INLINE bool rr_leave(struct __sk_buff *ctx, bool v6)
{
	if (v6) {
		struct ipv6hdr *ip6 = rr_data(ctx) + ETH_HLEN;

		if ((void *)(ip6 + 1) > rr_data_end(ctx))
			return false;
		ip6->hop_limit -= 1;
		return true;
	}
	struct iphdr *ip = rr_data(ctx) + ETH_HLEN;

	if ((void *)(ip + 1) > rr_data_end(ctx))
		return false;
	rr_ipv4_dec_ttl(ip);
	return true;
}

/*
 * A pod packet whose lookup parameters are in `p` and `fwd`: by the next-hop cache when its pod CIDR has cached
 * next hops (`nh`, from its rr_pod_info; never for a tunnelled destination), else by bpf_fib_lookup.
 */
RR_INLINE int rr_forward(struct __sk_buff *ctx, __u32 nh, struct bpf_fib_lookup *p, struct rr_fwd *fwd, __u32 cfg_flags,
			 __u32 *reason)
{
	bool v6 = p->family == AF_INET6;
	const struct rr_nh *n = fwd->tunneled ? NULL : rr_nh_lookup(ctx, nh, p, fwd->len);
	int ret;

	if (n)
		return rr_leave(ctx, v6) ? rr_nh_redirect(ctx, n, reason) : -RR_DROP_WRITE;
	ret = rr_fib_lookup(ctx, p, fwd, cfg_flags, reason);
	if (ret != RR_REDIRECT)
		return ret;
	return rr_leave(ctx, v6) ? rr_fib_redirect(ctx, p, fwd, reason) : -RR_DROP_WRITE;
}

#endif /* RR_FORWARD_H */
