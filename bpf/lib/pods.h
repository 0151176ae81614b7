/* SPDX-License-Identifier: Apache-2.0 */
/* Is this pod traffic? Longest-prefix match of source and destination against the pod CIDR maps. */
#ifndef RR_PODS_H
#define RR_PODS_H

#include "common.h"
#include "maps.h"

/* The destination's entry (or the source's when only the source is a pod address), NULL for neither. */
RR_INLINE const struct rr_pod_info *rr_pod4_match(__be32 saddr, __be32 daddr, bool *dst_is_pod)
{
	struct rr_pod4_key key = { .prefixlen = 32 };
	const struct rr_pod_info *info;

	__builtin_memcpy(key.addr, &daddr, 4);
	info = bpf_map_lookup_elem(&rr_pod4_v1, &key);
	*dst_is_pod = info != NULL;
	if (info)
		return info;
	__builtin_memcpy(key.addr, &saddr, 4);
	return bpf_map_lookup_elem(&rr_pod4_v1, &key);
}

RR_INLINE const struct rr_pod_info *rr_pod6_match(const struct in6_addr *saddr, const struct in6_addr *daddr,
						  bool *dst_is_pod)
{
	struct rr_pod6_key key = { .prefixlen = 128 };
	const struct rr_pod_info *info;

	__builtin_memcpy(key.addr, daddr, 16);
	info = bpf_map_lookup_elem(&rr_pod6_v1, &key);
	*dst_is_pod = info != NULL;
	if (info)
		return info;
	__builtin_memcpy(key.addr, saddr, 16);
	return bpf_map_lookup_elem(&rr_pod6_v1, &key);
}

#endif /* RR_PODS_H */
