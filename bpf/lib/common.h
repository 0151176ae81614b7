/* SPDX-License-Identifier: Apache-2.0 */
/* Includes, constants and small helpers every rackroute BPF program uses. */
#ifndef RR_COMMON_H
#define RR_COMMON_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "reasons.h"

#define RR_INLINE static __always_inline

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define RR_IP_MF 0x2000
#define RR_IP_OFFSET 0x1fff

#define RR_NEXTHDR_HOP 0
#define RR_NEXTHDR_FRAGMENT 44

/* Verdicts: helpers return one of these, or a negative RR_DROP_* reason. */
#define RR_OK TC_ACT_OK
#define RR_REDIRECT TC_ACT_REDIRECT

/*
 * ctx->data and ctx->data_end, each read as one load at its fixed offset from ctx. Plain C lets clang keep
 * `ctx + offsetof(data_end)` in a register across a helper call and load through it later, which the verifier
 * refuses ("dereference of modified ctx ptr"); the inline asm keeps every read a direct ctx access.
 */
RR_INLINE void *rr_data(const struct __sk_buff *ctx)
{
	void *p;

	asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(p) : "r"(ctx), "i"(__builtin_offsetof(struct __sk_buff, data)));
	return p;
}

RR_INLINE void *rr_data_end(const struct __sk_buff *ctx)
{
	void *p;

	asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(p) : "r"(ctx), "i"(__builtin_offsetof(struct __sk_buff, data_end)));
	return p;
}

/* The frame's destination and source MACs rewritten; false when the Ethernet header is not in the linear data. */
RR_INLINE bool rr_set_macs(struct __sk_buff *ctx, const __u8 *dmac, const __u8 *smac)
{
	struct ethhdr *eth = rr_data(ctx);

	if ((void *)(eth + 1) > rr_data_end(ctx))
		return false;
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	return true;
}

/* Make the first `len` bytes linear and re-check they fit; false when the packet is shorter. */
RR_INLINE bool rr_pull(struct __sk_buff *ctx, __u32 len)
{
	if (rr_data(ctx) + len <= rr_data_end(ctx))
		return true;
	if (bpf_skb_pull_data(ctx, len) < 0)
		return false;
	return rr_data(ctx) + len <= rr_data_end(ctx);
}

/* Record a pass-to-stack reason and return the verdict that passes the packet on unchanged. */
RR_INLINE int rr_pass(__u32 *reason, __u32 why)
{
	*reason = why;
	return RR_OK;
}

#endif /* RR_COMMON_H */
