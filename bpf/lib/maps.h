/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pinned maps of the rackroute datapath and the layout of their keys and values. This header is the
 * contract with src/dataplane/ebpf/layout.ts: change a layout and the map gets a new name (_v2), so an
 * agent never writes an old layout into a new program or the reverse.
 *
 * Maps are pinned by name under the loader's pin directory (/sys/fs/bpf/rackroute in production) and
 * reused across program reloads, so an agent restart keeps pod CIDRs and counters. Integers are host
 * byte order unless the field says otherwise.
 *
 * rr_stats_v1   PERCPU_ARRAY  key u32 reason (lib/reasons.h)       value struct rr_stat (per CPU)
 * rr_pod4_v2    HASH          key struct rr_pod4_key (8 bytes)      value struct rr_pod_info (8 bytes)
 * rr_pod6_v2    HASH          key struct rr_pod6_key (20 bytes)     value struct rr_pod_info (8 bytes)
 * rr_ifaces_v1  HASH          key u32 ifindex                       value struct rr_iface (8 bytes)
 * rr_ifslots_v1 PERCPU_ARRAY  key u32 ifindex % RR_IFSLOTS          value u64 ifindex << 32 | RR_IFACE_F_* (per CPU)
 * rr_config_v2  ARRAY[1]      key u32 0                             value struct rr_config (120 bytes)
 * rr_endpoint4_v1 HASH        key 4 bytes: IPv4 address, network order  value struct rr_endpoint (20 bytes)
 * rr_endpoint6_v1 HASH        key 16 bytes: IPv6 address, network order value struct rr_endpoint (20 bytes)
 * rr_nh_v1      ARRAY[4096]   key u32 group index (rr_pod_info.nh - 1)  value struct rr_nh_group (72 bytes)
 *
 * Retired (a loader removes their pins): rr_pod4_v1, rr_pod6_v1 (LPM_TRIE: their lookup walked the trie, 50-60 ns
 * with hundreds of node CIDRs), rr_config_v1 (16 bytes: flags only).
 */
#ifndef RR_MAPS_H
#define RR_MAPS_H

#include "common.h"

/* rr_stats_v1: packets and bytes (skb->len) per reason, one slot per CPU; readers sum the CPUs. */
struct rr_stat {
	__u64 packets;
	__u64 bytes;
};

/*
 * rr_pod4_v2 / rr_pod6_v2: the pod CIDRs whose traffic takes the fast path (this node's and the other
 * nodes'). A packet qualifies when its source or its destination matches. prefixlen is the CIDR length
 * (0..32 / 0..128, host order); addr is the network address in network byte order, host bits zero.
 *
 * A longest-prefix match by hashing, one exact lookup per prefix length in use, longest first (lib/pods.h): the
 * lengths in use and a prefix that covers every entry are in rr_config_v2 (pod4_lens, pod4_cover, ...), written
 * by the same writer as the maps (src/dataplane/ebpf/maps.ts). The writer's rule, so that an answer is never
 * wrong: an entry goes in before its length and cover are published, and the summary may be wider than the
 * entries (after a removal, until the writer narrows it again), never narrower. A wider summary costs a lookup;
 * a summary the program reads half-updated (the config is rewritten as a whole) at worst sends a pod packet to
 * the stack or makes it match a shorter prefix for that moment: the FIB still decides where a packet goes.
 */
struct rr_pod4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct rr_pod6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

#define RR_POD_F_LOCAL (1U << 0) /* a pod CIDR of this node: its pods sit behind local veths */
#define RR_POD_F_REMOTE (1U << 1) /* another node's pod CIDR, reached through the fabric */

struct rr_pod_info {
	__u32 flags; /* RR_POD_F_* */
	/*
	 * The next-hop cache of a RR_POD_F_REMOTE entry: 0 none (what writers before the cache wrote here), otherwise 1 + an
	 * index into rr_nh_v1. Ignored without RR_POD_F_REMOTE.
	 */
	__u32 nh;
};

/*
 * rr_ifaces_v1: the devices the agent manages, by ifindex. RR_IFACE_F_POD marks the host side of a pod
 * veth: a packet routed to it may use bpf_redirect_peer (straight into the pod's namespace). Only devices
 * with that flag are ever a redirect_peer target (the helper drops for devices without a peer).
 */
#define RR_IFACE_F_ATTACHED (1U << 0) /* rr_ingress is attached at this device's tc ingress */
#define RR_IFACE_F_POD (1U << 1) /* host side of a pod veth */
#define RR_IFACE_F_UPLINK (1U << 2) /* an uplink towards the fabric */

struct rr_iface {
	__u32 flags; /* RR_IFACE_F_* */
	__u32 reserved; /* 0 */
};

/*
 * rr_ifslots_v1: the same flags as rr_ifaces_v1, in a direct-mapped table the program reads without a hash lookup
 * (an array lookup is a few instructions; a hash lookup about 20 ns): slot ifindex % RR_IFSLOTS holds
 * ifindex << 32 | flags, or 0. The writer (src/dataplane/ebpf/maps.ts, with every rr_ifaces_v1 change) gives a
 * slot to one device; when two devices share a slot, the other is simply not found here: a packet to it uses
 * bpf_redirect instead of bpf_redirect_peer (slower, delivered the same). Per CPU because the kernel writes a
 * per-CPU value in 8-byte words, so the program never reads half a slot.
 */
#define RR_IFSLOTS 4096

/* rr_config_v2: datapath switches, and what the pod CIDR and endpoint maps hold; one entry at index 0. */
#define RR_CFG_F_REDIRECT_NEIGH (1U << 0) /* on a FIB hit without a neighbour entry, bpf_redirect_neigh */
/*
 * Look up the main table directly (BPF_FIB_LOOKUP_DIRECT), skipping policy rules: about 15 ns less per packet.
 * Only correct while the namespace has no routing rules besides the defaults; whoever sets it must watch them.
 */
#define RR_CFG_F_FIB_DIRECT (1U << 1)

/* Addresses a with (a & mask) == addr, both network order; "none" is mask 0 with addr all ones. */
struct rr_prefix4 {
	__be32 addr;
	__be32 mask;
};

struct rr_prefix6 {
	__be32 addr[4];
	__be32 mask[4];
};

#define RR_POD_LENS_MAX 16

struct rr_config {
	__u32 flags; /* RR_CFG_F_*: set by the agent */
	/*
	 * Summary of rr_pod4_v2 / rr_pod6_v2 (rules there): the prefix lengths in use, longest first (the first
	 * pod4_nlens / pod6_nlens bytes; with more distinct lengths than RR_POD_LENS_MAX, the longest ones, and an
	 * address only in a CIDR of a length left out goes to the stack), and a prefix every pod CIDR lies in (an
	 * address outside it is no pod's: no lookup at all).
	 */
	__u8 pod4_nlens;
	__u8 pod6_nlens;
	__u8 reserved[2]; /* 0 */
	__u8 pod4_lens[RR_POD_LENS_MAX];
	__u8 pod6_lens[RR_POD_LENS_MAX];
	struct rr_prefix4 pod4_cover;
	struct rr_prefix6 pod6_cover;
	/*
	 * A prefix every address in rr_endpoint4_v1 / rr_endpoint6_v1 lies in (the node's pods share its pod CIDR):
	 * a destination outside it skips the endpoint lookup. Same writer rules as the pod summary; all zeros (a
	 * config never written) covers everything.
	 */
	struct rr_prefix4 ep4_cover;
	struct rr_prefix6 ep6_cover;
};

/*
 * rr_endpoint4_v1 / rr_endpoint6_v1: the pods of this node by address (/32, /128), for traffic to them that
 * skips the FIB (lib/endpoint.h). ifindex is the host side of the pod's veth; pod_mac the pod's MAC (the
 * destination written), host_mac the host side's (the source written). An entry is used only with
 * RR_ENDPOINT_F_PEER (the device is a veth whose peer is the pod: bpf_redirect_peer applies); without it, or when
 * the device is gone, the packet takes the FIB path as if there were no entry.
 */
#define RR_ENDPOINT_F_PEER (1U << 0)

struct rr_endpoint {
	__u32 ifindex;
	__u32 flags; /* RR_ENDPOINT_F_* */
	__u8 pod_mac[ETH_ALEN];
	__u8 host_mac[ETH_ALEN];
};

/*
 * rr_nh_v1: the next-hop cache of other nodes' pod CIDRs (lib/nexthop.h). A REMOTE entry of rr_pod4_v2 /
 * rr_pod6_v2 with nh != 0 names group nh - 1 here: the devices and MACs the FIB would answer for that CIDR
 * (its ECMP next hops), so traffic to it skips bpf_fib_lookup. The agent fills it from the kernel's routes and
 * neighbours (src/dataplane/ebpf/maps.ts, syncNexthops) and clears it before it changes those routes.
 *
 * Writer rules (a reader holds no lock: it loads nh from the pod entry, then the group):
 *   - A group is never rewritten while a pod entry may name it: new next hops go into a free index, then the pod
 *     entry is switched (a hash update links a whole new element: a reader finds the old nh or the new one),
 *     and only then is the old index freed.
 *   - A freed index is not written again before the writer's next sync (src/dataplane/ebpf/nexthop.ts), so a
 *     reader that loaded the old nh reads the old group, never another's.
 *   - Groups with the same next hops may be shared by several pod entries (they never change while named).
 * The program uses a group only when count is 1..RR_NH_MAX, the destination is not tunnelled, the device is not
 * the ingress device and the packet (or GSO segment) fits the device's MTU; otherwise the FIB path decides, as
 * without an entry. The cache knows nothing of route MTUs (mtu lock, PMTU exceptions), link state or policy rules:
 * the agent caches only what the FIB would answer the same way, and clears before that changes.
 */
#define RR_NH_GROUPS 4096
#define RR_NH_MAX 4

struct rr_nh {
	__u32 ifindex; /* egress device: bpf_redirect */
	__u8 dmac[ETH_ALEN]; /* the next hop's MAC: destination written */
	__u8 smac[ETH_ALEN]; /* the egress device's MAC: source written */
};

struct rr_nh_group {
	__u32 count; /* next hops in nh[]: 1..RR_NH_MAX; 0 = unused */
	__u32 reserved; /* 0 */
	struct rr_nh nh[RR_NH_MAX]; /* a flow takes nh[hash % count] */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_stat);
	__uint(max_entries, RR_REASON_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_stats_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct rr_pod4_key);
	__type(value, struct rr_pod_info);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_pod4_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct rr_pod6_key);
	__type(value, struct rr_pod_info);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_pod6_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct rr_iface);
	__uint(max_entries, 4096);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ifaces_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, RR_IFSLOTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_ifslots_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_config);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_config_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct rr_endpoint);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_endpoint4_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct in6_addr);
	__type(value, struct rr_endpoint);
	__uint(max_entries, 16384);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_endpoint6_v1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_nh_group);
	__uint(max_entries, RR_NH_GROUPS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_nh_v1 SEC(".maps");

/* The config; never NULL in practice (an array's index 0), but the verifier wants the check. */
RR_INLINE const struct rr_config *rr_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rr_config_v2, &zero);
}

RR_INLINE bool rr_prefix4_has(const struct rr_prefix4 *p, __be32 a)
{
	return (a & p->mask) == p->addr;
}

RR_INLINE bool rr_prefix6_has(const struct rr_prefix6 *p, const struct in6_addr *a)
{
	const __be32 *w = a->in6_u.u6_addr32;

	return ((w[0] & p->mask[0]) ^ p->addr[0]) == 0 && ((w[1] & p->mask[1]) ^ p->addr[1]) == 0 &&
	       ((w[2] & p->mask[2]) ^ p->addr[2]) == 0 && ((w[3] & p->mask[3]) ^ p->addr[3]) == 0;
}

#endif /* RR_MAPS_H */
