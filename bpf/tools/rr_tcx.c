// SPDX-License-Identifier: Apache-2.0
/*
 * rr_tcx: tcx attachments (BPF_TCX_INGRESS / BPF_TCX_EGRESS, kernel 6.6 and later), which the loader uses on pod
 * veths: a tcx program runs straight from the device's ingress hook, without the clsact qdisc's classifier chain
 * (tc_run, tcf_classify, cls_bpf_classify), which costs about as much per packet as rr_ingress itself. Debian 12's
 * tc and bpftool predate tcx, so this tool does it with libbpf's low-level calls. Attachments made this way
 * (BPF_PROG_ATTACH, no link) belong to the device, like tc filters: they outlive the agent.
 *
 *   rr_tcx probe                        exit 0 when the kernel has tcx, 3 when it has not
 *   rr_tcx attach PROG_PIN IFNAME DIR   attach the pinned program at IFNAME's DIR (ingress|egress); a program of
 *                                       the same name already there is replaced in place (BPF_F_REPLACE: no
 *                                       moment without one); the same program already there: nothing to do
 *   rr_tcx detach IFNAME DIR NAME       detach every program named NAME from IFNAME's DIR (none: nothing to do)
 *   rr_tcx show                         every tcx attachment in this network namespace, as JSON:
 *                                       [{"ifname","ifindex","direction","id","name"}]
 *
 * Errors go to stderr with exit 1.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* enum bpf_attach_type values from kernel 6.6 (older uapi headers lack them). */
#define RR_TCX_INGRESS 46
#define RR_TCX_EGRESS 47
#define MAX_PROGS 64

static int fail(const char *what, int err)
{
	fprintf(stderr, "rr_tcx: %s: %s\n", what, strerror(err));
	return 1;
}

static int direction(const char *s)
{
	if (!strcmp(s, "ingress"))
		return RR_TCX_INGRESS;
	if (!strcmp(s, "egress"))
		return RR_TCX_EGRESS;
	return -1;
}

/* The program ids on a hook; the count, or -errno. */
static int query(int ifindex, int type, __u32 *ids)
{
	__u32 cnt = MAX_PROGS, flags = 0;

	if (bpf_prog_query(ifindex, type, 0, &flags, ids, &cnt))
		return -errno;
	return (int)cnt;
}

/* A program's name by id (name must hold BPF_OBJ_NAME_LEN); an fd on it when fd_out is set. */
static int prog_name(__u32 id, char *name, int *fd_out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(name, BPF_OBJ_NAME_LEN, "%s", info.name);
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return 0;
}

/* IFNAME's DIR hook: *type and *ifindex set, and the ids of the programs there in ids; their count, or -errno. */
static int hook(const char *ifname, const char *dir, int *type, int *ifindex, __u32 *ids)
{
	*type = direction(dir);
	if (*type < 0)
		return -EINVAL;
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return -ENODEV;
	return query(*ifindex, *type, ids);
}

static int cmd_attach(const char *pin, const char *ifname, const char *dir)
{
	int type, ifindex, fd, n, i;
	struct bpf_prog_info info;
	__u32 len = sizeof(info), ids[MAX_PROGS];
	LIBBPF_OPTS(bpf_prog_attach_opts, opts);

	n = hook(ifname, dir, &type, &ifindex, ids);
	if (n < 0)
		return fail(ifname, -n);
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return fail(pin, errno);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fail("program info", errno);
	for (i = 0; i < n; i++) {
		char name[BPF_OBJ_NAME_LEN];
		int old;

		if (ids[i] == info.id)
			return 0; /* already there */
		if (prog_name(ids[i], name, &old) || strcmp(name, info.name))
			continue;
		opts.flags = BPF_F_REPLACE;
		opts.replace_prog_fd = old;
		if (bpf_prog_attach_opts(fd, ifindex, type, &opts))
			return fail("replace", errno);
		close(old);
		return 0;
	}
	if (bpf_prog_attach_opts(fd, ifindex, type, &opts))
		return fail("attach", errno);
	return 0;
}

static int cmd_detach(const char *ifname, const char *dir, const char *want)
{
	int type, ifindex, n, i;
	__u32 ids[MAX_PROGS];

	n = hook(ifname, dir, &type, &ifindex, ids);
	if (n < 0)
		return fail(ifname, -n);
	for (i = 0; i < n; i++) {
		char name[BPF_OBJ_NAME_LEN];
		int fd;

		if (prog_name(ids[i], name, &fd))
			continue;
		if (!strcmp(name, want) && bpf_prog_detach2(fd, ifindex, type) && errno != ENOENT)
			return fail("detach", errno);
		close(fd);
	}
	return 0;
}

/* A device name as a JSON string: Linux allows '"' and '\\' in names (not '/', ':' or whitespace). */
static void put_json_name(const char *name)
{
	putchar('"');
	for (; *name; name++) {
		if (*name == '"' || *name == '\\')
			putchar('\\');
		if ((unsigned char)*name < 0x20)
			printf("\\u%04x", (unsigned char)*name);
		else
			putchar(*name);
	}
	putchar('"');
}

static int cmd_show(void)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	const char *sep = "";

	if (!ifs)
		return fail("if_nameindex", errno);
	printf("[");
	for (p = ifs; p->if_index; p++) {
		for (int d = 0; d < 2; d++) {
			__u32 ids[MAX_PROGS];
			int n = query((int)p->if_index, d ? RR_TCX_EGRESS : RR_TCX_INGRESS, ids);

			for (int i = 0; i < n; i++) {
				char name[BPF_OBJ_NAME_LEN] = "";

				prog_name(ids[i], name, NULL);
				printf("%s{\"ifname\":", sep);
				put_json_name(p->if_name);
				printf(",\"ifindex\":%u,\"direction\":\"%s\",\"id\":%u,\"name\":", p->if_index,
				       d ? "egress" : "ingress", ids[i]);
				put_json_name(name);
				putchar('}');
				sep = ",";
			}
		}
	}
	printf("]\n");
	if_freenameindex(ifs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "probe")) {
		__u32 ids[MAX_PROGS];
		int n = query(1, RR_TCX_INGRESS, ids); /* lo */

		return n >= 0 ? 0 : 3;
	}
	if (argc == 5 && !strcmp(argv[1], "attach"))
		return cmd_attach(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "detach"))
		return cmd_detach(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "show"))
		return cmd_show();
	fprintf(stderr, "usage: rr_tcx probe | attach PROG_PIN IFNAME ingress|egress | detach IFNAME ingress|egress NAME | show\n");
	return 2;
}
