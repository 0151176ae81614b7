/* SPDX-License-Identifier: Apache-2.0 */
/* Ethernet: which L3 protocol follows, and whether the frame is for us at all. */
#ifndef RR_ETH_H
#define RR_ETH_H

#include "common.h"

/* The EtherType in network order, or a pass verdict (reason set) when the frame is not ours to forward. */
RR_INLINE int rr_eth_proto(struct __sk_buff *ctx, __be16 *proto, __u32 *reason)
{
	struct ethhdr *eth;

	if (ctx->pkt_type != PACKET_HOST)
		return rr_pass(reason, RR_PASS_NOT_HOST);
	if (ctx->vlan_present)
		return rr_pass(reason, RR_PASS_VLAN);
	eth = rr_data(ctx);
	if ((void *)(eth + 1) > rr_data_end(ctx))
		return rr_pass(reason, RR_PASS_SHORT);
	*proto = eth->h_proto;
	return RR_REDIRECT;
}

#endif /* RR_ETH_H */
