/* SPDX-License-Identifier: Apache-2.0 */
/* Per-reason counters and the one place where a helper's result becomes the program's return value. */
#ifndef RR_METRICS_H
#define RR_METRICS_H

#include "common.h"
#include "maps.h"

RR_INLINE void rr_count(struct __sk_buff *ctx, __u32 reason)
{
	struct rr_stat *st;

	if (reason >= RR_REASON_MAX)
		reason = RR_REASON_UNSPEC;
	st = bpf_map_lookup_elem(&rr_stats_v1, &reason);
	if (!st)
		return;
	/* Per-CPU slot, and tc programs run with preemption off for the whole run: plain adds suffice. */
	st->packets += 1;
	st->bytes += ctx->len;
}

/*
 * Turn a helper's result into the program's verdict and count it: a negative result is a drop reason,
 * anything else is the verdict with its pass or redirect reason in `reason`.
 */
RR_INLINE int rr_account(struct __sk_buff *ctx, int ret, __u32 reason)
{
	if (ret < 0) {
		rr_count(ctx, (__u32)-ret);
		return TC_ACT_SHOT;
	}
	rr_count(ctx, reason);
	return ret;
}

#endif /* RR_METRICS_H */
