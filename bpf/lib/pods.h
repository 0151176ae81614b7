/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Is this pod traffic? Longest-prefix match of destination, then source, against the pod CIDR maps: one exact
 * hash lookup per prefix length in use, longest first (the lengths and a covering prefix come from rr_config_v2;
 * the rules are in lib/maps.h). An address outside the covering prefix costs no lookup at all. Why not an
 * LPM_TRIE: on this kind of kernel a trie lookup walks one node per level, 50-60 ns with a few hundred node CIDRs,
 * while a hash lookup is about 20 ns whatever the size, and a cluster's pod CIDRs come in one or two lengths.
 */
#ifndef RR_PODS_H
#define RR_PODS_H

#include "common.h"
#include "maps.h"

/* The netmask of a /len (0..32) as one 32-bit word in network order. */
RR_INLINE __be32 rr_mask32(__s32 len)
{
	if (len <= 0)
		return 0;
	if (len >= 32)
		return 0xffffffff;
	return bpf_htonl(0xffffffffU << (32 - len));
}

RR_INLINE const struct rr_pod_info *rr_pod4_lookup(const struct rr_config *cfg, __be32 addr)
{
	struct rr_pod4_key key;
	const struct rr_pod_info *info;
	__u32 n = cfg->pod4_nlens, len;
	int i;

	if (!rr_prefix4_has(&cfg->pod4_cover, addr))
		return NULL;
	for (i = 0; i < RR_POD_LENS_MAX; i++) {
		if (i >= n)
			break;
		len = cfg->pod4_lens[i];
		if (len > 32)
			break; /* not an IPv4 length: a bad summary, the stack decides */
		key.prefixlen = len;
		*(__be32 *)key.addr = addr & rr_mask32(len);
		info = bpf_map_lookup_elem(&rr_pod4_v2, &key);
		if (info)
			return info;
	}
	return NULL;
}

RR_INLINE const struct rr_pod_info *rr_pod6_lookup(const struct rr_config *cfg, const struct in6_addr *addr)
{
	const __be32 *a = addr->in6_u.u6_addr32;
	struct rr_pod6_key key;
	const struct rr_pod_info *info;
	__u32 n = cfg->pod6_nlens;
	__s32 len;
	int i;

	if (!rr_prefix6_has(&cfg->pod6_cover, addr))
		return NULL;
	for (i = 0; i < RR_POD_LENS_MAX; i++) {
		if (i >= n)
			break;
		len = cfg->pod6_lens[i];
		if (len > 128)
			break;
		key.prefixlen = len;
		((__be32 *)key.addr)[0] = a[0] & rr_mask32(len);
		((__be32 *)key.addr)[1] = a[1] & rr_mask32(len - 32);
		((__be32 *)key.addr)[2] = a[2] & rr_mask32(len - 64);
		((__be32 *)key.addr)[3] = a[3] & rr_mask32(len - 96);
		info = bpf_map_lookup_elem(&rr_pod6_v2, &key);
		if (info)
			return info;
	}
	return NULL;
}

/* The destination's entry (or the source's when only the source is a pod address), NULL for neither. */
RR_INLINE const struct rr_pod_info *rr_pod4_match(const struct rr_config *cfg, __be32 saddr, __be32 daddr,
						  bool *dst_is_pod)
{
	const struct rr_pod_info *info = rr_pod4_lookup(cfg, daddr);

	*dst_is_pod = info != NULL;
	if (info)
		return info;
	return rr_pod4_lookup(cfg, saddr);
}

RR_INLINE const struct rr_pod_info *rr_pod6_match(const struct rr_config *cfg, const struct in6_addr *saddr,
						  const struct in6_addr *daddr, bool *dst_is_pod)
{
	const struct rr_pod_info *info = rr_pod6_lookup(cfg, daddr);

	*dst_is_pod = info != NULL;
	if (info)
		return info;
	return rr_pod6_lookup(cfg, saddr);
}

#endif /* RR_PODS_H */
