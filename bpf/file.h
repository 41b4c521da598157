/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File access on watched paths.
 *
 * Why these hooks: only tracepoints load on every kernel we target, so
 * opens are seen at syscalls:sys_{enter,exit}_{open,openat,openat2,creat}.
 * The entry keeps the arguments; the exit resolves the path and filters:
 *  - a successful open is resolved from the new descriptor's struct file
 *    (walk_path), i.e. the file the kernel actually opened: relative paths,
 *    "..", dirfds and symlinks all end up as the real absolute path, and a
 *    thread rewriting the path buffer cannot change it;
 *  - a failed open has no struct file: the requested string is joined to
 *    the dirfd's or the cwd's resolved path in the kernel, without
 *    resolving ".." or symlinks (README: known limits).
 * Only paths in the watch maps leave the kernel; everything else costs a
 * walk and two map lookups.
 *
 * What it misses: io_uring opens and 32-bit compat calls (no syscall
 * tracepoint fires for them; the kernel-matrix issue adds
 * security_file_open where the kernel allows it), and open_by_handle_at.
 */
#ifndef __LOG_MONITOR_FILE_H
#define __LOG_MONITOR_FILE_H

#define AT_FDCWD -100
#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_TRUNC 00001000
#define O_PATH 010000000

struct file_pending {
	__u64 name;  /* user pointer to the requested path */
	__s32 dfd;
	__u32 flags; /* O_* */
	__u32 mode;
	__u32 op;    /* enum file_op */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* tid */
	__type(value, struct file_pending);
} file_pending SEC(".maps");

/* Exact watched paths, and watched directory prefixes (filled at start). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct watch_key);
	__type(value, struct watch_value);
} watch_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for LPM tries */
	__type(key, struct watch_key);
	__type(value, struct watch_value);
} watch_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_key);
} watch_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_event);
} file_scratch SEC(".maps");

/* The struct file behind descriptor @fd of @task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The directory a relative path of @dfd is resolved against. */
static __always_inline __u64 base_path(struct task_struct *task, __s32 dfd)
{
	if (dfd == AT_FDCWD) {
		struct fs_struct *fs = BPF_CORE_READ(task, fs);

		return fs ? (__u64)&fs->pwd : 0;
	}
	struct file *f = fd_file(task, dfd);

	return f ? (__u64)&f->f_path : 0;
}

/*
 * Path of a requested name: the name itself when absolute, else the base
 * directory's walked path, '/', the name.  Same packed result as walk_path.
 */
__noinline long build_path_at(__u64 base, __u64 name)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	long n, walked;
	__u32 start, len;

	if (!pb || !name)
		return -1;
	n = bpf_probe_read_user_str(&pb->buf[MAX_PATH_LEN + 1], MAX_REQUESTED_LEN, (void *)name);
	if (n <= 1)
		return -1;
	n -= 1; /* drop the NUL */
	if (pb->buf[MAX_PATH_LEN + 1] == '/' || !base)
		return WALK_PACK(MAX_PATH_LEN + 1, n, 0);
	walked = walk_path(base);
	if (walked < 0)
		return -1;
	pb->buf[MAX_PATH_LEN] = '/';
	start = WALK_START(walked);
	len = WALK_LEN(walked);
	if (len <= 1) /* the base is "/" itself */
		return WALK_PACK(MAX_PATH_LEN, n + 1, 0);
	return WALK_PACK(start, len + 1 + n, WALK_TRUNCATED(walked));
}

/*
 * Look the path up in the watch maps: exact first, then the longest
 * watched prefix.  Returns watch_value.access | id << 32, or 0.
 */
__noinline __u64 match_path(__u32 start, __u32 len)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	struct watch_key *k = bpf_map_lookup_elem(&watch_scratch, &zero);
	struct watch_value *v = NULL;
	__u32 n = len;

	if (!pb || !k)
		return 0;
	for (int i = 0; i < WATCH_KEY_LEN / 8; i++)
		((__u64 *)k->path)[i] = 0;
	if (n > WATCH_KEY_LEN - 1)
		n = WATCH_KEY_LEN - 1;
	bpf_probe_read_kernel(k->path, n, &pb->buf[start & PATH_START_MASK]);
	k->prefixlen = n * 8;
	if (n == len)
		v = bpf_map_lookup_elem(&watch_exact, k);
	if (!v)
		v = bpf_map_lookup_elem(&watch_prefix, k);
	if (!v)
		return 0;
	return v->access | ((__u64)v->id << 32);
}

static __always_inline __u32 open_access(__u32 flags)
{
	__u32 acc = 0;

	if (flags & O_PATH)
		return 0; /* a handle, no access to the content */
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		acc = ACC_WRITE;
		break;
	case O_RDWR:
		acc = ACC_READ | ACC_WRITE;
		break;
	default:
		acc = ACC_READ;
	}
	if (flags & O_TRUNC)
		acc |= ACC_TRUNC;
	if (flags & O_CREAT)
		acc |= ACC_WRITE;
	return acc;
}

static __always_inline int file_open_enter(__s32 dfd, const char *name, __u32 flags, __u32 mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct file_pending p = {
		.name = (__u64)name,
		.dfd = dfd,
		.flags = flags,
		.mode = mode,
		.op = FILE_OP_OPEN,
	};

	if ((id >> 32) == self_tgid)
		return 0;
	if (bpf_map_update_elem(&file_pending, &tid, &p, BPF_ANY))
		stat_inc(STAT_PENDING_FULL);
	return 0;
}

static __always_inline int file_open_exit(void *ctx, long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct file_pending *pending, p;
	struct file_event *e;
	struct path_buf *pb;
	__u32 access, fflags = 0, len, start;
	__u64 off, m;
	long walked, n;

	pending = bpf_map_lookup_elem(&file_pending, &tid);
	if (!pending)
		return 0;
	p = *pending;
	bpf_map_delete_elem(&file_pending, &tid);

	access = open_access(p.flags);
	if (!access)
		return 0;
	stat_inc(STAT_FILE_CHECKED);
	if (ret >= 0) {
		struct file *f = fd_file(task, ret);

		if (!f)
			return 0;
		walked = walk_path((__u64)&f->f_path);
		fflags |= FILE_F_RESOLVED;
	} else {
		walked = build_path_at(base_path(task, p.dfd), p.name);
	}
	if (walked < 0)
		return 0;
	m = match_path(WALK_START(walked), WALK_LEN(walked));
	if (!((__u32)m & access))
		return 0;

	e = bpf_map_lookup_elem(&file_scratch, &zero);
	pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!e || !pb) {
		stat_inc(STAT_SCRATCH_MISS);
		return 0;
	}
	fill_header(&e->hdr, EVENT_FILE, task);
	e->ret = ret;
	e->op = p.op;
	e->open_flags = p.flags;
	e->mode = p.mode;
	e->access = access;
	e->watch_id = m >> 32;
	e->pad = 0;
	e->pad2 = 0;
	e->target_len = 0;
	if (WALK_TRUNCATED(walked))
		fflags |= FILE_F_PATH_TRUNCATED;

	start = WALK_START(walked);
	len = WALK_LEN(walked);
	if (len > MAX_PATH_LEN) {
		len = MAX_PATH_LEN;
		fflags |= FILE_F_PATH_TRUNCATED;
	}
	barrier_var(len);
	len &= 2 * MAX_PATH_LEN - 1; /* a bound the verifier keeps */
	bpf_probe_read_kernel(e->data, len, &pb->buf[start & PATH_START_MASK]);
	e->path_len = len;
	off = len;

	n = bpf_probe_read_user_str(&e->data[off & (2 * MAX_PATH_LEN - 1)], MAX_REQUESTED_LEN, (void *)p.name);
	if (n > 0) {
		e->requested_len = n - 1;
		if (n == MAX_REQUESTED_LEN)
			fflags |= FILE_F_REQUESTED_TRUNCATED;
		off += n - 1;
	} else {
		e->requested_len = 0;
	}
	e->flags = fflags;
	off += FILE_EVENT_FIXED_LEN;
	if (off > sizeof(*e))
		off = sizeof(*e);
	e->hdr.size = off;
	emit(ctx, e, off);
	stat_inc(STAT_FILE_SENT);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int tracepoint__syscalls__sys_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return file_open_enter(AT_FDCWD, (const char *)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return file_open_enter(ctx->args[0], (const char *)ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tracepoint__syscalls__sys_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return file_open_enter(ctx->args[0], (const char *)ctx->args[1], how.flags, how.mode);
}

SEC("tracepoint/syscalls/sys_enter_creat")
int tracepoint__syscalls__sys_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return file_open_enter(AT_FDCWD, (const char *)ctx->args[0], O_CREAT | O_WRONLY | O_TRUNC,
			       ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__syscalls__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return file_open_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return file_open_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tracepoint__syscalls__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return file_open_exit(ctx, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int tracepoint__syscalls__sys_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return file_open_exit(ctx, ctx->ret);
}

#endif /* __LOG_MONITOR_FILE_H */
