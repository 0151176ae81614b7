// SPDX-License-Identifier: Apache-2.0
/*
 * rackroute's tc programs. rr_ingress sits at the ingress of the uplinks (a tc filter) and of the host side of
 * every pod veth (tcx where the kernel has it, kernel 6.6+; a tc filter otherwise): pod traffic the kernel FIB can
 * forward is redirected straight to its egress device (or into the pod), everything else goes on to the kernel
 * stack untouched. Its verdicts mean the same at both hooks (TC_ACT_OK = TCX_PASS, TC_ACT_SHOT = TCX_DROP,
 * TC_ACT_REDIRECT = TCX_REDIRECT). Attach only to Ethernet devices.
 *
 * IP-in-IP (issue 7) is its own program set (rr_ipip.c) on the same devices: its ingress program decapsulates
 * ahead of this one, its egress program encapsulates what this one redirects to the uplink. rr_ingress reads its
 * destination maps (lib/ipip_dst.h) for one thing: a tunnelled packet must fit the uplink with 20 bytes more,
 * or it goes to the stack (which sends frag-needed), never to a drop at the uplink's egress.
 */
#include "lib/common.h"
#include "lib/eth.h"
#include "lib/ipv4.h"
#include "lib/ipv6.h"
#include "lib/metrics.h"

SEC("tc")
int rr_ingress(struct __sk_buff *ctx)
{
	__u32 reason = RR_REASON_UNSPEC;
	__be16 proto = 0;
	int ret;

	ret = rr_eth_proto(ctx, &proto, &reason);
	if (ret != RR_REDIRECT)
		return rr_account(ctx, ret, reason);

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		ret = rr_fwd_ipv4(ctx, &reason);
		break;
	case bpf_htons(ETH_P_IPV6):
		ret = rr_fwd_ipv6(ctx, &reason);
		break;
	default:
		ret = rr_pass(&reason, RR_PASS_NOT_IP);
	}
	return rr_account(ctx, ret, reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
