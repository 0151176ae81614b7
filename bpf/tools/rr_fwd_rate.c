// SPDX-License-Identifier: Apache-2.0
/*
 * rr_fwd_rate: the two ends of bench:datapath's forwarding-rate measurement (bpf/rr_bench.c), each run in its
 * pod's network namespace:
 *
 *   rr_fwd_rate sink OBJ IFNAME PIN    attach rr_bench_sink at tc ingress of IFNAME (it stays attached after this
 *                                      exits; deleting the namespace removes it) and pin its counter map at PIN
 *   rr_fwd_rate count PIN              print the counter (summed over CPUs)
 *   rr_fwd_rate gen OBJ IFNAME PKT SECONDS
 *                                      send the 60-byte frame in file PKT out of IFNAME for SECONDS with rr_bench_gen via
 *                                      BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES; print JSON {runs, seconds}
 *
 * The veth peer of IFNAME must accept XDP frames (NAPI on: GRO enabled on it, or an XDP program attached).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct bpf_object *open_obj(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "rr_fwd_rate: cannot open %s\n", path);
		exit(1);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "rr_fwd_rate: cannot load %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return obj;
}

static int sink(const char *objPath, const char *ifname, const char *pin)
{
	struct bpf_object *obj = open_obj(objPath);
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "rr_bench_sink");
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "rr_bench_count");
	int ifindex = if_nametoindex(ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1, .prog_fd = bpf_program__fd(prog));
	int err;

	if (!ifindex || !prog || !map) {
		fprintf(stderr, "rr_fwd_rate: no device %s or program/map missing\n", ifname);
		return 1;
	}
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "rr_fwd_rate: clsact on %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	if ((err = bpf_tc_attach(&hook, &opts)) || (err = bpf_map__pin(map, pin))) {
		fprintf(stderr, "rr_fwd_rate: attach/pin: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}

static int count(const char *pin)
{
	int fd = bpf_obj_get(pin), ncpu = libbpf_num_possible_cpus(), i;
	__u32 zero = 0;
	__u64 *v, sum = 0;

	if (fd < 0 || ncpu < 1) {
		fprintf(stderr, "rr_fwd_rate: %s: %s\n", pin, strerror(errno));
		return 1;
	}
	v = calloc(ncpu, sizeof(*v));
	if (bpf_map_lookup_elem(fd, &zero, v)) {
		fprintf(stderr, "rr_fwd_rate: lookup: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < ncpu; i++)
		sum += v[i];
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}

static int gen(const char *objPath, const char *ifname, const char *pktPath, double seconds)
{
	struct bpf_object *obj = open_obj(objPath);
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "rr_bench_gen");
	unsigned char pkt[2048];
	struct xdp_md ctx = { .ingress_ifindex = if_nametoindex(ifname) };
	FILE *f = fopen(pktPath, "rb");
	size_t len;
	double t0, t;
	unsigned long long runs = 0;
	const __u32 repeat = 1 << 16;

	if (!f || !prog || !ctx.ingress_ifindex) {
		fprintf(stderr, "rr_fwd_rate: bad packet file, program or device\n");
		return 1;
	}
	len = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	if (len != 60) {
		fprintf(stderr, "rr_fwd_rate: the frame must be 60 bytes (rr_bench.c), not %zu\n", len);
		return 1;
	}
	{
		__u32 zero = 0;
		struct bpf_map *frame = bpf_object__find_map_by_name(obj, "rr_bench_frame");

		if (!frame || bpf_map_update_elem(bpf_map__fd(frame), &zero, pkt, BPF_ANY)) {
			fprintf(stderr, "rr_fwd_rate: cannot write the frame map: %s\n", strerror(errno));
			return 1;
		}
	}
	ctx.data_end = len;
	t0 = now_s();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = repeat, .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = 64);
		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)) {
			fprintf(stderr, "rr_fwd_rate: BPF_PROG_TEST_RUN (live frames): %s\n", strerror(errno));
			return 1;
		}
		runs += repeat;
		t = now_s();
	} while (t - t0 < seconds);
	printf("{\"runs\":%llu,\"seconds\":%.3f}\n", runs, t - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "sink"))
		return sink(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "count"))
		return count(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argv[3], argv[4], atof(argv[5]));
	fprintf(stderr, "usage: rr_fwd_rate sink OBJ IFNAME PIN | count PIN | gen OBJ IFNAME PKT SECONDS\n");
	return 2;
}
