// SPDX-License-Identifier: Apache-2.0
/*
 * rr_load OBJECT PIN_DIR: load a rackroute BPF object with libbpf, maps pinned by name under PIN_DIR
 * (reused when already pinned there with the same layout), every program pinned as PIN_DIR/progs/NAME.
 * A program pin is replaced atomically (pin beside, then rename over), so tc filters that refer to the
 * old program keep running it until they are replaced. Prints one JSON object on stdout.
 *
 * Why a tool of our own: bpftool cannot choose where LIBBPF_PIN_BY_NAME maps go (libbpf's default root,
 * /sys/fs/bpf), and `tc ... bpf obj` loads a private program copy per device under /sys/fs/bpf/tc/globals.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int print_warnings(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int ensure_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	fprintf(stderr, "rr_load: mkdir %s: %s\n", path, strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	char progs_dir[4096], path[4096], tmp[4200];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	const char *sep = "";
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: rr_load OBJECT PIN_DIR\n");
		return 2;
	}
	snprintf(progs_dir, sizeof(progs_dir), "%s/progs", argv[2]);
	if (ensure_dir(argv[2]) || ensure_dir(progs_dir))
		return 1;
	libbpf_set_print(print_warnings);

	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = argv[2]);
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fprintf(stderr, "rr_load: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "rr_load: load %s: %s (a pinned map with another layout needs a new name)\n",
			argv[1], strerror(-err));
		return 1;
	}

	printf("{\"programs\":[");
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		snprintf(path, sizeof(path), "%s/%s", progs_dir, bpf_program__name(prog));
		snprintf(tmp, sizeof(tmp), "%s_new", path); /* bpffs names may not contain dots */
		unlink(tmp);
		if (bpf_obj_pin(bpf_program__fd(prog), tmp) || rename(tmp, path)) {
			fprintf(stderr, "rr_load: pin %s: %s\n", path, strerror(errno));
			return 1;
		}
		bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
		printf("%s{\"name\":\"%s\",\"id\":%u,\"pin\":\"%s\"}", sep, bpf_program__name(prog), info.id, path);
		sep = ",";
	}
	printf("],\"maps\":[");
	sep = "";
	bpf_object__for_each_map(map, obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		const char *pin = bpf_map__pin_path(map);

		if (bpf_map__is_internal(map))
			continue;
		bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len);
		printf("%s{\"name\":\"%s\",\"id\":%u,\"pin\":\"%s\"}", sep, bpf_map__name(map), info.id, pin ? pin : "");
		sep = ",";
	}
	printf("]}\n");
	bpf_object__close(obj);
	return 0;
}
