// floader OBJ AVAIL READY: load and attach every fentry/fexit program of OBJ
// whose target AVAIL lists (available_filter_functions), create READY, and
// at SIGTERM detach; prints how long loading, attaching and detaching took.
// PIN=1: every link is pinned in bpffs, then unpinned, before the detach
// (does the kernel then detach in the background?).
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINKS 1024

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_DEBUG ? 0 : vfprintf(stderr, f, a);
}

static volatile sig_atomic_t stop;
static void on_term(int s) { stop = 1; }

/* the whole list, one name a line, between newlines for strstr */
static char *read_avail(const char *path)
{
	static char buf[1 << 24];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	buf[0] = '\n';
	n = fread(buf + 1, 1, sizeof(buf) - 2, f);
	buf[n + 1] = 0;
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_program *p;
	int want = 0, skip = 0, nl = 0;
	char *avail;

	if (argc != 4 || !(avail = read_avail(argv[2]))) {
		fprintf(stderr, "usage: floader OBJ AVAIL READY\n");
		return 2;
	}
	libbpf_set_print(quiet);
	long long t0 = now_ms();
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);

	if (!obj) {
		fprintf(stderr, "open %s failed\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		char key[256];

		snprintf(key, sizeof(key), "\n%s\n", strchr(bpf_program__section_name(p), '/') + 1);
		if (strstr(avail, key)) {
			want++;
		} else {
			bpf_program__set_autoload(p, false);
			skip++;
		}
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	long long t1 = now_ms();

	bpf_object__for_each_program(p, obj) {
		if (!bpf_program__autoload(p) || nl == MAX_LINKS)
			continue;
		links[nl] = bpf_program__attach(p);
		if (!links[nl]) {
			fprintf(stderr, "attach %s failed\n", bpf_program__section_name(p));
			return 1;
		}
		nl++;
	}
	long long t2 = now_ms();

	printf("floader: %d programs (%d skipped): load %lld ms, attach %lld ms\n",
	       want, skip, t1 - t0, t2 - t1);
	fflush(stdout);
	signal(SIGTERM, on_term);
	close(open(argv[3], O_CREAT | O_WRONLY, 0644));
	while (!stop)
		pause();

	long long t3 = now_ms();
	if (getenv("PIN")) {
		char path[64];

		mkdir("/sys/fs/bpf/fnattach", 0700);
		for (int i = 0; i < nl; i++) {
			snprintf(path, sizeof(path), "/sys/fs/bpf/fnattach/%d", i);
			if (bpf_link__pin(links[i], path)) {
				fprintf(stderr, "pin %s failed\n", path);
				return 1;
			}
		}
		for (int i = 0; i < nl; i++)
			bpf_link__unpin(links[i]);
	}
	for (int i = 0; i < nl; i++)
		bpf_link__destroy(links[i]);
	long long t4 = now_ms();

	bpf_object__close(obj);
	printf("floader: detach %lld ms, close %lld ms\n", t4 - t3, now_ms() - t4);
	return 0;
}
