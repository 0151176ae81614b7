// SPDX-License-Identifier: Apache-2.0
/*
 * IP-in-IP by eBPF (lib/ipip.h), for kernels without the `ipip` module. A program set of its own that composes
 * with rr_tc.c on the same devices and the same pin directory (counters shared in rr_stats_v1):
 *
 *   rr_ipip_egress   tc egress of each underlay device. A packet whose destination is in rr_ipip_dst_v1 /
 *                    rr_ipip_dst6_v1 (a remote pod CIDR reached through the tunnel) gets an outer IPv4 header to
 *                    the remote node (protocol 4, or 41 for IPv6) and the MACs of the outer next hop. The kernel
 *                    route to that pod CIDR is an ordinary route via the underlay gateway with mtu = underlay - 20.
 *   rr_ipip_ingress  tc ingress of each underlay device, ahead of rr_ingress (lower pref). IP-in-IP addressed to
 *                    our underlay address from a node in rr_ipip_peer_v1 loses its outer header.
 *
 * Both return TC_ACT_UNSPEC for whatever they pass or finish (tc's "continue"): the next filter on the hook
 * (rr_ingress forwards the decapsulated packet into its pod) and then the stack see the result. With no other
 * filter, TC_ACT_UNSPEC is TC_ACT_OK.
 */
#include "lib/common.h"
#include "lib/ipip.h"

SEC("tc")
int rr_ipip_egress(struct __sk_buff *ctx)
{
	__u32 reason = RR_REASON_UNSPEC;
	int ret = rr_ipip_encap(ctx, &reason);

	return rr_ipip_account(ctx, ret, reason);
}

SEC("tc")
int rr_ipip_ingress(struct __sk_buff *ctx)
{
	__u32 reason = RR_REASON_UNSPEC;
	int ret = rr_ipip_decap(ctx, &reason);

	return rr_ipip_account(ctx, ret, reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
