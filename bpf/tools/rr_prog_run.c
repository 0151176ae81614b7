// SPDX-License-Identifier: Apache-2.0
/*
 * rr_prog_run PROG_PIN DATA CTX REPEAT CALLS: run a pinned program through BPF_PROG_TEST_RUN CALLS times
 * with the same packet and __sk_buff, REPEAT runs per call, in the caller's network namespace (where
 * bpf_fib_lookup looks). Prints JSON: the return value of the last call, the kernel's per-run duration
 * (its own clock around the runs) as median / mean / min over the calls, and wall time per call.
 * REPEAT 1 with many CALLS is the Katran-style figure; a large REPEAT is the batched one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (!f)
		return NULL;
	buf = malloc(65536);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned char *data, *ctx, out[65536], ctx_out[256];
	size_t data_len, ctx_len;
	int fd, repeat, calls, i;
	__u32 *durations, retval = 0;
	double sum = 0, t0, t1;

	if (argc != 6) {
		fprintf(stderr, "usage: rr_prog_run PROG_PIN DATA CTX REPEAT CALLS\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	data = read_file(argv[2], &data_len);
	ctx = read_file(argv[3], &ctx_len);
	repeat = atoi(argv[4]);
	calls = atoi(argv[5]);
	if (fd < 0 || !data || !ctx || repeat < 1 || calls < 1) {
		fprintf(stderr, "rr_prog_run: bad arguments or unreadable files: %s\n", strerror(errno));
		return 1;
	}
	durations = calloc(calls, sizeof(*durations));
	t0 = now_ns();
	for (i = 0; i < calls; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = data_len, .data_out = out,
			    .data_size_out = sizeof(out), .ctx_in = ctx, .ctx_size_in = ctx_len, .ctx_out = ctx_out,
			    .ctx_size_out = sizeof(ctx_out), .repeat = repeat);
		if (bpf_prog_test_run_opts(fd, &opts)) {
			fprintf(stderr, "rr_prog_run: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			return 1;
		}
		durations[i] = opts.duration;
		retval = opts.retval;
		sum += opts.duration;
	}
	t1 = now_ns();
	qsort(durations, calls, sizeof(*durations), cmp_u32);
	printf("{\"retval\":%u,\"repeat\":%d,\"calls\":%d,\"median_ns\":%u,\"mean_ns\":%.2f,\"min_ns\":%u,"
	       "\"wall_ns_per_call\":%.1f}\n",
	       retval, repeat, calls, durations[calls / 2], sum / calls, durations[0], (t1 - t0) / calls);
	return 0;
}
