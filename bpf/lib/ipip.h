/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP-in-IP (RFC 2003; IPv6-in-IPv4 as RFC 4213's configured tunnel) by eBPF at tc, for kernels without the
 * `ipip` module: the maps of rr_ipip.c and the helpers it composes. Contract with src/dataplane/ebpf/ipip.ts
 * (change a layout: new map name).
 *
 * rr_ipip_dst_v1   LPM_TRIE  key struct rr_pod4_key (8 bytes)   value struct rr_ipip_dst (8 bytes)
 *                  remote pod CIDR (IPv4) -> the node that owns it, and the outer source to use
 * rr_ipip_dst6_v1  LPM_TRIE  key struct rr_pod6_key (20 bytes)  value struct rr_ipip_dst (8 bytes)
 *                  the same for IPv6 pod CIDRs (carried IPv6-in-IPv4, protocol 41)
 * rr_ipip_dst_used_v1 ARRAY[1] key u32 0                        value struct rr_ipip_dst_used (8 bytes)
 *                  which of the two may hold entries (lib/ipip_dst.h: the fast path looks up only those)
 * rr_ipip_peer_v1  HASH      key __be32 node underlay address    value struct rr_ipip_peer (8 bytes)
 *                  the nodes we decapsulate for: we are never an open decapsulator
 * rr_ipip_cfg_v1   ARRAY[1]  key u32 0                          value struct rr_ipip_config (16 bytes)
 *
 * Counters go to rr_stats_v1 (lib/maps.h), shared with rr_tc.c when both are pinned in one directory. The two
 * destination maps and their used bits are defined in lib/ipip_dst.h: rr_tc.c reads them too (its MTU check for
 * tunnelled packets).
 *
 * What the encapsulation relies on (MTU): the kernel route to a tunnelled pod CIDR carries
 * mtu = underlay MTU - 20, so the stack fragments (DF clear) or answers ICMP frag-needed / packet-too-big (DF
 * set, IPv6) before a packet reaches the uplink's egress, and sizes GSO segments so that each one still fits
 * once the 20 bytes are added (hence BPF_F_ADJ_ROOM_FIXED_GSO). A packet that arrives larger anyway cannot
 * get its ICMP from here: it is dropped and counted (RR_DROP_IPIP_TOO_BIG), never sent truncated or native.
 */
#ifndef RR_IPIP_H
#define RR_IPIP_H

#include "common.h"
#include "csum.h"
#include "ipip_dst.h"
#include "maps.h"
#include "metrics.h"

#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif

/* Linux 6.3 uapi; older headers lack them, older kernels reject them (-EINVAL: we retry without). */
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif

#define RR_IPIP_DF 0x4000
#define RR_ECN_MASK 0x03
#define RR_ECN_CE 0x03

/* Helper result meaning "continue": the program returns TC_ACT_UNSPEC (next tc filter, then the stack). */
#define RR_IPIP_NEXT 1000

#define RR_IPIP_PEER_F_NODE (1U << 0)

struct rr_ipip_peer {
	__u32 flags; /* RR_IPIP_PEER_F_* */
	__u32 reserved; /* 0 */
};

struct rr_ipip_config {
	__be32 local; /* our underlay address: outer source by default, the only outer destination we decapsulate; 0 = off */
	__u32 flags; /* 0; none defined yet */
	__u8 ttl; /* outer TTL; 0 = inherit the inner TTL / hop limit */
	__u8 reserved[7]; /* 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct rr_ipip_peer);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ipip_peer_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_ipip_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ipip_cfg_v1 SEC(".maps");

RR_INLINE const struct rr_ipip_config *rr_ipip_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rr_ipip_cfg_v1, &zero);
}

/* Count and turn a helper's result into the verdict: negative = drop reason, RR_IPIP_NEXT = TC_ACT_UNSPEC. */
RR_INLINE int rr_ipip_account(struct __sk_buff *ctx, int ret, __u32 reason)
{
	if (ret < 0) {
		rr_count(ctx, (__u32)-ret);
		return TC_ACT_SHOT;
	}
	rr_count(ctx, reason);
	return ret == RR_IPIP_NEXT ? TC_ACT_UNSPEC : ret;
}

RR_INLINE int rr_ipip_next(__u32 *reason, __u32 why)
{
	*reason = why;
	return RR_IPIP_NEXT;
}

/* Internet checksum of a 20-byte IPv4 header (check field included as it is). */
RR_INLINE __u16 rr_ipv4_hdr_sum(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	return rr_csum_fold32(sum);
}

/* What the outer header copies from the inner packet. */
struct rr_ipip_inner {
	__u8 proto; /* IPPROTO_IPIP or IPPROTO_IPV6 */
	__u8 tos; /* DSCP + ECN (RFC 6040 normal mode: ECN copied) */
	__u8 ttl;
	__be16 df; /* RR_IPIP_DF in network order, or 0 */
	__be16 id;
};

/* The destination's tunnel entry, or NULL; fills `in` from the inner header. */
RR_INLINE const struct rr_ipip_dst *rr_ipip_match(struct __sk_buff *ctx, __be16 proto, struct rr_ipip_inner *in)
{
	if (proto == bpf_htons(ETH_P_IP)) {
		struct rr_pod4_key key = { .prefixlen = 32 };
		struct iphdr *ip;

		if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip)))
			return NULL;
		ip = rr_data(ctx) + ETH_HLEN;
		if ((void *)(ip + 1) > rr_data_end(ctx) || ip->version != 4)
			return NULL;
		__builtin_memcpy(key.addr, &ip->daddr, 4);
		in->proto = IPPROTO_IPIP;
		in->tos = ip->tos;
		in->ttl = ip->ttl;
		in->df = ip->frag_off & bpf_htons(RR_IPIP_DF);
		/* A DF packet is atomic (RFC 6864): its ID may repeat; without DF the outer one must vary. */
		in->id = in->df ? ip->id : (__be16)bpf_get_prandom_u32();
		return bpf_map_lookup_elem(&rr_ipip_dst_v1, &key);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct rr_pod6_key key = { .prefixlen = 128 };
		struct ipv6hdr *ip6;

		if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip6)))
			return NULL;
		ip6 = rr_data(ctx) + ETH_HLEN;
		if ((void *)(ip6 + 1) > rr_data_end(ctx) || ip6->version != 6)
			return NULL;
		__builtin_memcpy(key.addr, &ip6->daddr, 16);
		in->proto = IPPROTO_IPV6;
		in->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
		in->ttl = ip6->hop_limit;
		/* IPv6 is never fragmented on the way: the outer header must not be either (RFC 4213 3.2). */
		in->df = bpf_htons(RR_IPIP_DF);
		in->id = 0;
		return bpf_map_lookup_elem(&rr_ipip_dst6_v1, &key);
	}
	return NULL;
}

/*
 * Encapsulate: room for the outer header right after Ethernet, then the header itself. The packet is the
 * outer one on success (RR_IPIP_NEXT, `saddr` set), unchanged on a pass, dropped on a negative result.
 */
RR_INLINE int rr_ipip_push(struct __sk_buff *ctx, const struct rr_ipip_dst *dst, const struct rr_ipip_config *cfg,
			   const struct rr_ipip_inner *in, __be32 *saddr, __u32 *reason)
{
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_IPV4;
	struct iphdr outer = {};
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 mtu = 0, len;

	/* Not GSO: the packet as it is plus 20 bytes must fit the device. GSO: checked per segment below. */
	if (!ctx->gso_size && bpf_check_mtu(ctx, 0, &mtu, RR_IPIP_HLEN, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return -RR_DROP_IPIP_TOO_BIG;

	outer.version = 4;
	outer.ihl = 5;
	outer.tos = in->tos;
	len = ctx->len - ETH_HLEN + RR_IPIP_HLEN;
	outer.tot_len = bpf_htons(len > 0xffff ? 0 : len); /* GSO: segmentation rewrites it per segment */
	outer.id = in->id;
	outer.frag_off = in->df;
	outer.ttl = cfg->ttl ? cfg->ttl : in->ttl;
	outer.protocol = in->proto;
	outer.saddr = dst->local ? dst->local : cfg->local;
	outer.daddr = dst->remote;
	outer.check = ~rr_ipv4_hdr_sum(&outer);
	*saddr = outer.saddr;

	if (bpf_skb_adjust_room(ctx, RR_IPIP_HLEN, BPF_ADJ_ROOM_MAC, flags) < 0)
		return -RR_DROP_IPIP_ENCAP;
	if (ctx->gso_size) {
		mtu = 0;
		if (bpf_check_mtu(ctx, 0, &mtu, 0, BPF_MTU_CHK_SEGS) != BPF_MTU_CHK_RET_SUCCESS)
			return -RR_DROP_IPIP_TOO_BIG;
	}
	if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip)))
		return -RR_DROP_IPIP_ENCAP;
	eth = rr_data(ctx);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > rr_data_end(ctx))
		return -RR_DROP_IPIP_ENCAP;
	eth->h_proto = bpf_htons(ETH_P_IP); /* was IPv6 for 6in4 */
	__builtin_memcpy(ip, &outer, sizeof(outer));
	*reason = RR_FWD_IPIP_ENCAP;
	return RR_IPIP_NEXT;
}

/*
 * The outer packet's next hop: the FIB's answer for the outer destination, from this device's egress point of
 * view (BPF_FIB_LOOKUP_OUTPUT: nexthops through this device only). MACs rewritten when the neighbour is known,
 * bpf_redirect_neigh when it is not, and the kernel's L2 header (towards the inner route's next hop, the same
 * gateway in the usual case) kept when the FIB has no answer. The lookup needs IPv4 forwarding on the uplink
 * (bpf_fib_lookup checks it even for an output lookup): a node that routes pods has it.
 */
RR_INLINE int rr_ipip_l2(struct __sk_buff *ctx, __be32 saddr, __be32 daddr, __u8 tos, __u32 *reason)
{
	struct bpf_fib_lookup p = {};
	int rc;

	p.family = AF_INET;
	p.tos = tos;
	p.l4_protocol = IPPROTO_IPIP;
	p.ipv4_src = saddr;
	p.ipv4_dst = daddr;
	p.ifindex = ctx->ifindex;
	rc = bpf_fib_lookup(ctx, &p, sizeof(p), BPF_FIB_LOOKUP_OUTPUT);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		struct bpf_redir_neigh nh = { .nh_family = AF_INET, .ipv4_nh = p.ipv4_dst };

		*reason = RR_FWD_IPIP_ENCAP_NEIGH;
		return bpf_redirect_neigh(p.ifindex, &nh, sizeof(nh), 0) == TC_ACT_REDIRECT ? TC_ACT_REDIRECT
											     : -RR_DROP_REDIRECT;
	}
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return rr_ipip_next(reason, RR_FWD_IPIP_ENCAP_KEEP_L2);
	if (!rr_set_macs(ctx, p.dmac, p.smac))
		return -RR_DROP_WRITE;
	*reason = RR_FWD_IPIP_ENCAP;
	if (p.ifindex != ctx->ifindex)
		return bpf_redirect(p.ifindex, 0) == TC_ACT_REDIRECT ? TC_ACT_REDIRECT : -RR_DROP_REDIRECT;
	return RR_IPIP_NEXT;
}

RR_INLINE int rr_ipip_encap(struct __sk_buff *ctx, __u32 *reason)
{
	const struct rr_ipip_config *cfg = rr_ipip_cfg();
	const struct rr_ipip_dst *dst;
	struct rr_ipip_inner in = {};
	struct ethhdr *eth;
	__be32 saddr = 0;
	int ret;

	if (!cfg || ctx->vlan_present)
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_TUNNELED);
	eth = rr_data(ctx);
	if ((void *)(eth + 1) > rr_data_end(ctx))
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_TUNNELED);
	dst = rr_ipip_match(ctx, eth->h_proto, &in);
	if (!dst || !(dst->local || cfg->local))
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_TUNNELED);
	ret = rr_ipip_push(ctx, dst, cfg, &in, &saddr, reason);
	if (ret != RR_IPIP_NEXT)
		return ret;
	return rr_ipip_l2(ctx, saddr, dst->remote, in.tos, reason);
}

/*
 * RFC 6040 normal mode at decapsulation: an outer CE mark is copied into an ECN-capable inner packet; over a
 * not-ECT inner packet it means the packet must go. Runs after decapsulation: the inner header follows Ethernet.
 */
RR_INLINE int rr_ipip_ecn(struct __sk_buff *ctx, __u8 proto)
{
	if (proto == IPPROTO_IPIP) {
		struct iphdr *ip = rr_data(ctx) + ETH_HLEN;
		__u16 *word, before;

		if ((void *)(ip + 1) > rr_data_end(ctx))
			return -RR_DROP_IPIP_DECAP;
		if ((ip->tos & RR_ECN_MASK) == 0)
			return -RR_DROP_IPIP_ECN;
		word = (__u16 *)ip;
		before = *word;
		ip->tos |= RR_ECN_CE;
		ip->check = rr_csum_replace16(ip->check, before, *word);
	} else {
		struct ipv6hdr *ip6 = rr_data(ctx) + ETH_HLEN;
		__u8 ecn;

		if ((void *)(ip6 + 1) > rr_data_end(ctx))
			return -RR_DROP_IPIP_DECAP;
		ecn = (ip6->flow_lbl[0] >> 4) & RR_ECN_MASK;
		if (ecn == 0)
			return -RR_DROP_IPIP_ECN;
		ip6->flow_lbl[0] |= RR_ECN_CE << 4;
	}
	return 0;
}

RR_INLINE int rr_ipip_decap(struct __sk_buff *ctx, __u32 *reason)
{
	const struct rr_ipip_config *cfg = rr_ipip_cfg();
	__u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
	bool outer_ce, v6;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 inner_min;
	__u8 proto, ver;
	__be32 saddr;
	int ret;

	if (ctx->pkt_type != PACKET_HOST || ctx->vlan_present || !cfg || !cfg->local)
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_FOR_US);
	eth = rr_data(ctx);
	if ((void *)(eth + 1) > rr_data_end(ctx) || eth->h_proto != bpf_htons(ETH_P_IP))
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_FOR_US);
	if (!rr_pull(ctx, ETH_HLEN + sizeof(*ip)))
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_FOR_US);
	ip = rr_data(ctx) + ETH_HLEN;
	if ((void *)(ip + 1) > rr_data_end(ctx))
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_FOR_US);
	proto = ip->protocol;
	if ((proto != IPPROTO_IPIP && proto != IPPROTO_IPV6) || ip->daddr != cfg->local || ip->version != 4)
		return rr_ipip_next(reason, RR_PASS_IPIP_NOT_FOR_US);
	saddr = ip->saddr;
	if (!bpf_map_lookup_elem(&rr_ipip_peer_v1, &saddr))
		return rr_ipip_next(reason, RR_PASS_IPIP_UNKNOWN_PEER);
	if (ip->frag_off & bpf_htons(RR_IP_MF | RR_IP_OFFSET))
		return rr_ipip_next(reason, RR_PASS_IPIP_FRAGMENT);
	v6 = proto == IPPROTO_IPV6;
	inner_min = v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	/* ip_rcv's checks on the outer header (it is never seen by the stack), and a whole inner header. */
	if (ip->ihl != 5 || rr_ipv4_hdr_sum(ip) != 0xffff || bpf_ntohs(ip->tot_len) < RR_IPIP_HLEN + inner_min ||
	    bpf_ntohs(ip->tot_len) > ctx->len - ETH_HLEN)
		return rr_ipip_next(reason, RR_PASS_IPIP_MALFORMED);
	outer_ce = (ip->tos & RR_ECN_MASK) == RR_ECN_CE;
	if (!rr_pull(ctx, ETH_HLEN + RR_IPIP_HLEN + 1))
		return rr_ipip_next(reason, RR_PASS_IPIP_MALFORMED);
	eth = rr_data(ctx);
	if ((void *)(eth + 1) + RR_IPIP_HLEN + 1 > rr_data_end(ctx))
		return rr_ipip_next(reason, RR_PASS_IPIP_MALFORMED);
	ver = *((__u8 *)(eth + 1) + RR_IPIP_HLEN) >> 4;
	if (ver != (v6 ? 6 : 4))
		return rr_ipip_next(reason, RR_PASS_IPIP_MALFORMED);

	flags |= v6 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV6 : BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
	ret = bpf_skb_adjust_room(ctx, -RR_IPIP_HLEN, BPF_ADJ_ROOM_MAC, flags);
	/* Before 6.3 the DECAP flags are unknown: IPv4 in IPv4 needs nothing they do (skb->protocol stays). */
	if (ret == -22 /* EINVAL */ && !v6)
		ret = bpf_skb_adjust_room(ctx, -RR_IPIP_HLEN, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_FIXED_GSO);
	if (ret < 0)
		return -RR_DROP_IPIP_DECAP;
	if (!rr_pull(ctx, ETH_HLEN + inner_min))
		return -RR_DROP_IPIP_DECAP;
	eth = rr_data(ctx);
	if ((void *)(eth + 1) > rr_data_end(ctx))
		return -RR_DROP_IPIP_DECAP;
	if (v6)
		eth->h_proto = bpf_htons(ETH_P_IPV6);
	if (outer_ce) {
		ret = rr_ipip_ecn(ctx, proto);
		if (ret < 0)
			return ret;
	}
	return rr_ipip_next(reason, RR_FWD_IPIP_DECAP);
}

#endif /* RR_IPIP_H */
