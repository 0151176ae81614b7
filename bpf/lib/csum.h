/* SPDX-License-Identifier: Apache-2.0 */
/* Incremental Internet checksum update (RFC 1624, equation 3): HC' = ~(~HC + ~m + m'). */
#ifndef RR_CSUM_H
#define RR_CSUM_H

#include "common.h"

RR_INLINE __u16 rr_csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* `check` and both words as they sit in the packet (network order): one's complement sums are order-free. */
RR_INLINE __u16 rr_csum_replace16(__u16 check, __u16 old_word, __u16 new_word)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~old_word;
	sum += new_word;
	return (__u16)~rr_csum_fold32(sum);
}

#endif /* RR_CSUM_H */
