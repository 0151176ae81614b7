// SPDX-License-Identifier: Apache-2.0
/*
 * Benchmark-only programs (bench:datapath's forwarding rate; never loaded by the agent):
 *
 *   rr_bench_gen   XDP, writes the frame in rr_bench_frame over the packet and returns XDP_TX. Run by
 *                  bpf/tools/rr_fwd_rate through BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on a pod's eth0,
 *                  it sends that frame out of the veth over and over (the kernel's own traffic generator mode, as
 *                  xdp-trafficgen uses it): the node under test receives a packet stream that costs the sender
 *                  almost nothing, so the node's forwarding is what limits the rate. The frame is rewritten on every
 *                  run because live frames are recycled with whatever the stack left in them (the forwarding path
 *                  rewrites MACs and TTL in place).
 *   rr_bench_sink  tc ingress of the receiving pod's eth0: counts IPv4 UDP frames and drops everything (no
 *                  socket, no ICMP port unreachable), so the receiver costs little too. Counts in rr_bench_count
 *                  (per CPU).
 *
 * And two reference points for the ns/packet figures, run through BPF_PROG_TEST_RUN on the same packet:
 *
 *   rr_bench_nop   tc: returns TC_ACT_OK. What the test-run loop itself costs per run.
 *   rr_bench_fib   tc: bounds-checks the IPv4 header and calls bpf_fib_lookup with what the fast path passes
 *                  (addresses, TOS, protocol, length, ingress device; flags 0): nothing else. The helper's own cost
 *                  on this kernel, the floor of any path that calls it.
 */
#include "lib/common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} rr_bench_count SEC(".maps");

/* A 60-byte frame (Ethernet + IPv4 + UDP + payload, the minimum frame without FCS). */
#define RR_BENCH_FRAME 60

struct rr_bench_frame {
	__u8 data[RR_BENCH_FRAME];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rr_bench_frame);
	__uint(max_entries, 1);
} rr_bench_frame SEC(".maps");

SEC("xdp")
int rr_bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	const struct rr_bench_frame *f = bpf_map_lookup_elem(&rr_bench_frame, &zero);

	if (!f || data + RR_BENCH_FRAME > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, f->data, RR_BENCH_FRAME);
	return XDP_TX;
}

SEC("tc")
int rr_bench_sink(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 zero = 0;
	__u64 *n;

	/* Only the generator's IPv4 UDP frames count (not the namespace's own IPv6 ND and MLD). */
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP)
		return TC_ACT_SHOT;
	n = bpf_map_lookup_elem(&rr_bench_count, &zero);
	if (n)
		*n += 1;
	return TC_ACT_SHOT;
}

SEC("tc")
int rr_bench_nop(struct __sk_buff *ctx)
{
	return TC_ACT_OK;
}

SEC("tc")
int rr_bench_fib(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct bpf_fib_lookup p = {};

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_SHOT;
	p.family = AF_INET;
	p.tos = ip->tos;
	p.l4_protocol = ip->protocol;
	p.tot_len = bpf_ntohs(ip->tot_len);
	p.ipv4_src = ip->saddr;
	p.ipv4_dst = ip->daddr;
	p.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) == BPF_FIB_LKUP_RET_SUCCESS ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
