/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File access on watched paths.
 *
 * Why these hooks: only tracepoints load on every kernel we target, so
 * the file syscalls are seen at raw_syscalls:sys_{enter,exit} (syscalls.h).
 * Nothing is kept at entry: the exit reads the arguments back from the
 * user registers, which a syscall leaves as they were (file_open_exit,
 * file_change_exit).  The exit resolves the path and filters:
 *  - a successful open is resolved from the new descriptor's struct file
 *    (walk_path), i.e. the file the kernel actually opened: relative paths,
 *    "..", dirfds and symlinks all end up as the real absolute path, and a
 *    thread rewriting the path buffer cannot change it;
 *  - a failed open has no struct file: the requested string is joined to
 *    the dirfd's or the cwd's resolved path in the kernel, without
 *    resolving ".." or symlinks (README: known limits).
 * Only paths in the watch maps leave the kernel; everything else costs a
 * descriptor lookup and a verdict-cache lookup (a walk on a miss).
 *
 * io_uring opens pass no syscall: io_uring_complete below (6.0+), or the
 * security_file_open kprobe (kprobes.h) where kprobes exist.  32-bit
 * compat calls arrive here translated (syscalls.h).  What it misses:
 * open_by_handle_at.
 */
#ifndef __LOG_MONITOR_FILE_H
#define __LOG_MONITOR_FILE_H

#include "base.h"
#include "common.h"
#include "maps.h"

/*
 * The verdict cache (path_verdicts and verdict_gen, maps.h, where its
 * design is described): a per-CPU direct-mapped table of match_path's
 * results per opened file, invalidated all at once by a generation bump.
 */

/* The slot for a file whose key mixes to @mix (verdict_key_of): a
 * multiplicative hash, top bits kept. */
static __always_inline struct verdict_slot *verdict_slot_of(__u64 mix)
{
	__u32 i = (mix * 0x9E3779B97F4A7C15ULL) >> 51;

	i &= VERDICT_SLOTS - 1;
	return bpf_map_lookup_elem(&path_verdicts, &i);
}

static __always_inline int verdict_key_eq(const struct verdict_key *a, const struct verdict_key *b)
{
	return a->dentry == b->dentry && a->mnt == b->mnt && a->parent == b->parent &&
	       a->ino == b->ino && a->id == b->id;
}

/*
 * The cache key of the opened file @bf, a BTF pointer (fd_file_view):
 * plain loads.  Returns a number mixing it, for the slot (verdict_slot_of):
 * BTF pointers cannot be hashed (no arithmetic on them), so the inode
 * number and the name's hash are mixed instead.
 */
static __always_inline __u64 verdict_key_btf(struct file *bf, struct verdict_key *vk)
{
	struct dentry *d = bf->f_path.dentry;
	struct inode *ino = bf->f_inode;

	vk->dentry = (__u64)d;
	vk->mnt = (__u64)bf->f_path.mnt;
	vk->parent = (__u64)d->d_parent;
	vk->ino = (__u64)ino;
	/* hash_len: the 6.1 verifier resolves the union to its first member,
	 * the 32-bit hash, and refuses an 8-byte load there: two loads on
	 * kernels without bpf_rdonly_cast (a load-time constant) */
	if (have_rdonly_cast)
		vk->id = ino->i_ino ^ d->d_name.hash_len;
	else
		vk->id = ino->i_ino ^ ((__u64)d->d_name.len << 32 | d->d_name.hash);
	return vk->id;
}

/*
 * The same of @f, a number: in the object for 6.4 and later
 * (have_rdonly_cast, bpf/common.h) it becomes a BTF pointer; elsewhere the
 * fields are probe reads, each a helper call.
 */
static __always_inline __u64 verdict_key_of(struct file *f, struct verdict_key *vk)
{
	if (have_rdonly_cast)
		return verdict_key_btf(KCAST(f, file), vk);
	/* Three helper calls, not five: struct file holds f_path (mount,
	 * dentry) and f_inode side by side, and struct dentry d_parent and
	 * d_name (its hash first) -- checked at load: CO-RE offsets are
	 * constants to the verifier, which drops the branch not taken. */
	__u64 fp[3], dp[2]; /* mnt, dentry, inode; parent, name hash */
	struct dentry *d;

	if (bpf_core_field_offset(struct file, f_inode) ==
		    bpf_core_field_offset(struct file, f_path) + 16 &&
	    bpf_core_field_offset(struct path, dentry) == 8) {
		bpf_probe_read_kernel(fp, sizeof(fp), (void *)f + bpf_core_field_offset(struct file, f_path));
	} else {
		fp[0] = (__u64)BPF_CORE_READ(f, f_path.mnt);
		fp[1] = (__u64)BPF_CORE_READ(f, f_path.dentry);
		fp[2] = (__u64)BPF_CORE_READ(f, f_inode);
	}
	d = (struct dentry *)fp[1];
	if (bpf_core_field_offset(struct dentry, d_name) == bpf_core_field_offset(struct dentry, d_parent) + 8 &&
	    bpf_core_field_offset(struct dentry, d_name.hash_len) == bpf_core_field_offset(struct dentry, d_name)) {
		bpf_probe_read_kernel(dp, sizeof(dp), (void *)d + bpf_core_field_offset(struct dentry, d_parent));
	} else {
		dp[0] = (__u64)BPF_CORE_READ(d, d_parent);
		dp[1] = BPF_CORE_READ(d, d_name.hash_len);
	}
	vk->dentry = fp[1];
	vk->mnt = fp[0];
	vk->parent = dp[0];
	vk->ino = fp[2]; /* the inode itself */
	vk->id = BPF_CORE_READ((struct inode *)fp[2], i_ino) ^ dp[1];
	/* the mix of verdict_key_btf: one file is one slot, whichever way
	 * its key was read */
	return vk->id;
}

static __always_inline __u64 current_gen(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&verdict_gen, &zero);

	return g ? *g : 0;
}

static __always_inline void bump_gen(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&verdict_gen, &zero);

	if (g)
		__sync_fetch_and_add(g, 1);
}

/* The requested name of the scratch @ns into @dst: from the key when it
 * fits there, else from the task's memory. */
static __always_inline long read_name(void *dst, struct name_scratch *ns)
{
	if (ns->in_key)
		return bpf_probe_read_kernel_str(dst, MAX_REQUESTED_LEN, ns->key.name);
	return bpf_probe_read_user_str(dst, MAX_REQUESTED_LEN, (void *)ns->uname);
}

/*
 * Path of the requested name in name_key_scratch (name_key_of): the name
 * itself when absolute (after the task's root, walked from the key's root,
 * when that is not "/": a chroot), else the base directory's walked path,
 * '/', the name.  Same packed result as walk_path.  Everything comes from
 * the scratch, none of it from the task again: the key cached is the key
 * built from.
 */
__noinline long build_path_at(void)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	struct name_scratch *ns = bpf_map_lookup_elem(&name_key_scratch, &zero);
	long n, walked;
	__u32 start, len;

	if (!pb || !ns)
		return -1;
	n = read_name(&pb->buf[MAX_PATH_LEN + 1], ns);
	if (n <= 1)
		return -1;
	n -= 1; /* drop the NUL */
	if (pb->buf[MAX_PATH_LEN + 1] == '/' || !ns->key.base_dentry) {
		if (!ns->key.root_dentry || pb->buf[MAX_PATH_LEN + 1] != '/')
			return WALK_PACK(MAX_PATH_LEN + 1, n, 0);
		walked = walk_dentry(ns->key.root_dentry, ns->key.root_mnt);
		len = WALK_ROOT_LEN(walked);
		if (walked < 0 || len == 0)
			return WALK_PACK(MAX_PATH_LEN + 1, n, 0);
		/* chrooted: the root's path, then the name from its own '/' */
		n = read_name(&pb->buf[MAX_PATH_LEN], ns);
		if (n <= 1)
			return -1;
		return WALK_WITH_ROOT(WALK_PACK(WALK_START(walked), len + n - 1, WALK_TRUNCATED(walked)), len);
	}
	walked = walk_dentry(ns->key.base_dentry, ns->key.base_mnt);
	if (walked < 0)
		return -1;
	pb->buf[MAX_PATH_LEN] = '/';
	start = WALK_START(walked);
	len = WALK_LEN(walked);
	if (len <= 1) /* the base is "/" itself */
		return WALK_PACK(MAX_PATH_LEN, n + 1, 0);
	return WALK_WITH_ROOT(WALK_PACK(start, len + 1 + n, WALK_TRUNCATED(walked)), WALK_ROOT_LEN(walked));
}

/*
 * /proc/<pid>/mem and /proc/<pid>/task/<tid>/mem (reading or writing another
 * process's memory) cannot be a fixed key: when the path has that shape, the
 * key is rewritten to the pattern PROC_MEM_PATTERN, which user space loads
 * into the exact map like any other entry.
 */
#define PROC_MEM_PATTERN "/proc/*/mem"

static __always_inline struct watch_value *match_proc_mem(struct watch_key *k, __u32 n)
{
	const char pattern[] = PROC_MEM_PATTERN;
	__u32 t;

	if (n < 11 || n > 48)
		return NULL;
	if (k->path[0] != '/' || k->path[1] != 'p' || k->path[2] != 'r' || k->path[3] != 'o' ||
	    k->path[4] != 'c' || k->path[5] != '/')
		return NULL;
	t = (n - 4) & 63;
	if (k->path[t] != '/' || k->path[t + 1] != 'm' || k->path[t + 2] != 'e' ||
	    k->path[t + 3] != 'm')
		return NULL;
	for (int i = 0; i < 64 / 8; i++)
		((__u64 *)k->path)[i] = 0;
	__builtin_memcpy(k->path, pattern, sizeof(pattern) - 1);
	k->prefixlen = (sizeof(pattern) - 1) * 8;
	return bpf_map_lookup_elem(&watch_exact, k);
}

/*
 * A cgroup v1 release_agent file, wherever the hierarchy is mounted: writing
 * it is the classic container escape.  Same trick as above: any path ending
 * in "/release_agent" is looked up as RELEASE_AGENT_PATTERN.
 */
#define RELEASE_AGENT_PATTERN "*/release_agent"

static __always_inline struct watch_value *match_release_agent(struct watch_key *k, __u32 n)
{
	const char suffix[] = "/release_agent";
	const char pattern[] = RELEASE_AGENT_PATTERN;
	__u32 t;

	if (n < sizeof(suffix) - 1 || n > WATCH_KEY_LEN - 1)
		return NULL;
	t = (n - (sizeof(suffix) - 1)) & (WATCH_KEY_LEN - 1);
	for (int i = 0; i < sizeof(suffix) - 1; i++) {
		if (k->path[(t + i) & (WATCH_KEY_LEN - 1)] != suffix[i])
			return NULL;
	}
	for (int i = 0; i < WATCH_KEY_LEN / 8; i++)
		((__u64 *)k->path)[i] = 0;
	__builtin_memcpy(k->path, pattern, sizeof(pattern) - 1);
	k->prefixlen = (sizeof(pattern) - 1) * 8;
	return bpf_map_lookup_elem(&watch_exact, k);
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
	if (!v && n == len)
		v = match_proc_mem(k, n);
	if (!v && n == len)
		v = match_release_agent(k, n);
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

/* Copy the path packed in @walked from the scratch buffer to e->data[off];
 * returns the bytes copied (at most MAX_PATH_LEN). */
static __always_inline __u32 put_path(struct file_event *e, struct path_buf *pb, __u64 off,
				      long walked, __u32 *fflags)
{
	__u32 start = WALK_START(walked), len = WALK_LEN(walked);

	if (walked < 0)
		return 0;
	if (WALK_TRUNCATED(walked))
		*fflags |= FILE_F_PATH_TRUNCATED;
	if (len > MAX_PATH_LEN) {
		len = MAX_PATH_LEN;
		*fflags |= FILE_F_PATH_TRUNCATED;
	}
	barrier_var(len);
	len &= FILE_DATA_MASK; /* a bound the verifier keeps */
	bpf_probe_read_kernel(&e->data[off & FILE_DATA_MASK], len, &pb->buf[start & PATH_START_MASK]);
	return len;
}

/* @m: the watch entry's match (match_path); an entry with ACC_WAKE wakes
 * the reader for its records (emit_wake). */
static __always_inline void send_file_event(void *ctx, struct file_event *e, __u64 off, __u64 m)
{
	off += FILE_EVENT_FIXED_LEN;
	if (off > sizeof(*e))
		off = sizeof(*e);
	e->hdr.size = off;
	emit_wake(ctx, e, off, (__u32)m & ACC_WAKE);
	stat_inc(STAT_FILE_SENT);
}

static __always_inline void file_event_init(struct file_event *e, struct task_struct *task,
					    struct file_pending *p, long ret, __u32 access)
{
	fill_header(&e->hdr, EVENT_FILE);
	e->ret = ret;
	e->op = p->op;
	e->op_flags = p->flags;
	e->mode = p->mode;
	e->access = access;
	e->owner_uid = p->uid;
	e->owner_gid = p->gid;
	e->path_root_len = 0;
	e->target_root_len = 0;
	e->pad2 = 0;
	e->requested_len = 0;
	e->target_len = 0;
	e->atime = p->atime;
	e->mtime = p->mtime;
}

/*
 * The name cache (name_verdicts, maps.h).  name_key_at puts @name, relative
 * to @dfd, of the current task into the scratch build_path_at reads (0 only
 * if the scratch is missing); name_known_unwatched asks the cache, and
 * name_store files the verdict of the path built from the scratch.
 * name_key_at is global, checked once per program instead of at each of
 * its three callers: 6.1's verifier walks 38,000 instructions of the
 * function hooks' exit at a start instead of 43,000.
 */
__noinline int name_key_at(__s32 dfd, __u64 name)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct name_scratch *s = bpf_map_lookup_elem(&name_key_scratch, &zero);
	struct name_key *k;
	struct fs_struct *fs;
	long n;

	if (!s)
		return 0;
	k = &s->key;
	__builtin_memset(s, 0, sizeof(*s));
	s->uname = name;
	n = bpf_probe_read_user_str(k->name, sizeof(k->name), (void *)name);
	/* a name that fills the key may have been cut */
	s->in_key = n > 1 && n < sizeof(k->name);
	fs = BPF_CORE_READ(task, fs);
	if (!fs)
		return 1;
	k->root_dentry = (__u64)BPF_CORE_READ(fs, root.dentry);
	k->root_mnt = (__u64)BPF_CORE_READ(fs, root.mnt);
	if (s->in_key && k->name[0] == '/') {
		s->cacheable = 1;
		return 1;
	}
	if (dfd == AT_FDCWD) {
		k->base_dentry = (__u64)BPF_CORE_READ(fs, pwd.dentry);
		k->base_mnt = (__u64)BPF_CORE_READ(fs, pwd.mnt);
	} else {
		struct file *f = fd_file(dfd);

		if (f) {
			k->base_dentry = (__u64)BPF_CORE_READ(f, f_path.dentry);
			k->base_mnt = (__u64)BPF_CORE_READ(f, f_path.mnt);
		}
	}
	s->cacheable = s->in_key && k->base_dentry;
	return 1;
}

/* name_key_at's scratch, or NULL when it failed */
static __always_inline struct name_scratch *name_key_of(__s32 dfd, __u64 name)
{
	__u32 zero = 0;

	if (!name_key_at(dfd, name))
		return NULL;
	return bpf_map_lookup_elem(&name_key_scratch, &zero);
}

static __always_inline struct name_slot *name_slot_of(const struct name_key *k)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = 0;
	__u32 i;

	for (int j = 0; j < sizeof(*k) / 8; j++)
		h = (h ^ w[j]) * 0x9E3779B97F4A7C15ULL;
	i = (h >> 53) & (NAME_SLOTS - 1);
	return bpf_map_lookup_elem(&name_verdicts, &i);
}

/*
 * Whether the cache knows the name in @nk (name_key_of) unwatched for
 * @access.  Otherwise *@slot is where name_store files the verdict once
 * the path is built: NULL when the key cannot be cached, or when @use is 0
 * (a call whose report does not hang on that path's verdict alone).
 */
static __always_inline int name_known_unwatched(struct name_scratch *nk, int use, __u64 gen, __u32 access,
						struct name_slot **slot)
{
	const __u64 *a, *b = (const __u64 *)&nk->key;
	struct name_slot *s;

	*slot = NULL;
	if (!use || !nk->cacheable)
		return 0;
	s = name_slot_of(&nk->key);
	if (!s)
		return 0;
	*slot = s;
	if (s->gen != gen || ((__u32)s->match & access))
		return 0;
	a = (const __u64 *)&s->key;
	for (int j = 0; j < sizeof(nk->key) / 8; j++) {
		if (a[j] != b[j])
			return 0;
	}
	return 1;
}

static __always_inline void name_store(struct name_slot *s, const struct name_scratch *nk, __u64 gen, __u64 m)
{
	if (!s)
		return;
	s->key = nk->key;
	s->gen = gen;
	s->match = m;
}

/* The current process has created something: its explicit file times are
 * restores from now on (creators, maps.h). */
static __always_inline void note_creator(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&creators, &tgid))
		bpf_map_update_elem(&creators, &tgid, &one, BPF_ANY);
}

/*
 * The judgement of an open that the verdict cache did not answer: its
 * arguments and what is known so far come through judge_scratch, read
 * back as unknown numbers, so the verifier walks this once, not once per
 * open call and per caller's constants (file_change_judge says more).  On
 * Debian's 6.1 an open stub's walk fell from 24,900 instructions to 19,800
 * and the syscall exit's from 91,000 to 77,000 (bench/README).  The cache's
 * answer above it pays nothing for this.  @f: the opened file (NULL: a
 * failure, judged by the requested name).
 */
static __always_inline int file_open_judge(void *ctx, long ret, struct file *f)
{
	__u32 zero = 0, access, fflags;
	struct file_judged *j = bpf_map_lookup_elem(&judge_scratch, &zero);
	struct task_struct *task;
	struct file_pending *p;
	struct file_event *e;
	struct path_buf *pb;
	__u64 off, m, gen = current_gen();
	long walked, n;

	if (!j)
		return 0;
	p = &j->p;
	access = j->access;
	fflags = j->fflags;
	if (f) {
		struct verdict_key vk = {};
		struct verdict_slot *vs;
		__u64 mix;

		stat_inc(STAT_FILE_CHECKED);
		/* the key again from the file walked, so a thread swapping the
		 * descriptor meanwhile cannot file one file's verdict under
		 * another's key */
		mix = verdict_key_of(f, &vk);
		walked = walk_path((__u64)&f->f_path);
		fflags |= FILE_F_RESOLVED;
		if (walked < 0)
			return 0;
		m = match_path(WALK_START(walked), WALK_LEN(walked));
		vs = verdict_slot_of(mix);
		if (vs) {
			vs->key = vk;
			vs->gen = gen;
			vs->match = m;
		}
	} else {
		struct name_scratch *nk;
		struct name_slot *ns;

		nk = name_key_of(p->dfd, p->name);
		if (!nk)
			return 0;
		if (name_known_unwatched(nk, 1, gen, access, &ns)) {
			stat_inc(STAT_FILE_CACHED);
			return 0;
		}
		stat_inc(STAT_FILE_CHECKED);
		walked = build_path_at();
		if (walked < 0)
			return 0;
		m = match_path(WALK_START(walked), WALK_LEN(walked));
		name_store(ns, nk, gen, m);
	}
	if (!((__u32)m & access))
		return 0;

	e = bpf_map_lookup_elem(&file_scratch, &zero);
	pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!e || !pb) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	task = (struct task_struct *)bpf_get_current_task();
	file_event_init(e, task, p, ret, access);
	e->watch_id = m >> 32;
	off = put_path(e, pb, 0, walked, &fflags);
	e->path_len = off;
	e->path_root_len = WALK_ROOT_LEN(walked);

	n = p->name ? bpf_probe_read_user_str(&e->data[off & FILE_DATA_MASK], MAX_REQUESTED_LEN, (void *)p->name) : 0;
	if (n > 0) {
		e->requested_len = n - 1;
		if (n == MAX_REQUESTED_LEN)
			fflags |= FILE_F_REQUESTED_TRUNCATED;
		off += n - 1;
	}
	e->flags = fflags;
	send_file_event(ctx, e, off, m);
	return 0;
}

/*
 * An open that returned @ret (a new fd, or -errno): match the file it
 * opened, or for a failure the requested name joined to its base, against
 * the watch list and send an event.  @fflags: FILE_F_* the caller knows.
 * The common case, a file the verdict cache knows unwatched, is answered
 * here; the rest is file_open_judge's.
 */
static __always_inline int file_open_result(void *ctx, struct file_pending *pp, long ret,
					    struct file *opened, __u32 fflags, struct task_struct *cur)
{
	__u32 zero = 0, access = open_access(pp->flags);
	struct file_judged *j;
	struct file *f = NULL;

	if (!access)
		return 0;
	if (ret >= 0) {
		/* the file as a BTF pointer where one can be had (plain
		 * loads), else as a number (helper calls) */
		struct file *bf = opened ? NULL : fd_file_view(cur, ret);
		struct verdict_key vk = {};
		struct verdict_slot *vs;
		__u64 gen = current_gen(), mix;
		__u32 created;

		if (bf) {
			/* only an open that may create pays this read */
			created = (pp->flags & O_CREAT) && (bf->f_mode & FMODE_CREATED);
			mix = verdict_key_btf(bf, &vk);
		} else {
			f = opened ? opened : fd_file(ret);
			if (!f)
				return 0;
			created = (pp->flags & O_CREAT) && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED);
			mix = verdict_key_of(f, &vk);
		}
		if (created) {
			access |= ACC_CREATE;
			fflags |= FILE_F_CREATED;
			note_creator();
		}
		vs = verdict_slot_of(mix);
		if (vs && vs->gen == gen && verdict_key_eq(&vs->key, &vk) &&
		    !((__u32)vs->match & access)) {
			/* the only counter this path pays: user space adds
			 * it to STAT_FILE_CHECKED */
			stat_inc(STAT_FILE_CACHED);
			return 0; /* known not to be watched for this access */
		}
		/* a number walk_path takes */
		f = opened ? opened : fd_file(ret);
		if (!f)
			return 0;
	}
	j = bpf_map_lookup_elem(&judge_scratch, &zero);
	if (!j) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	j->p = *pp;
	j->access = access;
	j->fflags = fflags;
	return file_open_judge(ctx, ret, f);
}

/*
 * An open's exit reads its arguments back from the user registers
 * (syscall_args) instead of carrying them from the entry in a map: a hash
 * update, lookup and delete per open were most of what an ordinary open
 * used to cost us.
 */
static __always_inline int file_open_exit(void *ctx, long ret, long nr, struct pt_regs *regs, int compat,
					  struct task_struct *task)
{
	struct file_pending p = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1, .op = FILE_OP_OPEN };
	__u64 a[6];

	if (task_is_self(task)) {
		__u32 key = nr;
		__u8 seen = 1;

		bpf_map_update_elem(&self_opens, &key, &seen, BPF_ANY);
		return 0;
	}
	syscall_args(regs, compat, a);
	switch (nr) {
	case NR_open:
		p.name = a[0], p.flags = a[1], p.mode = a[2];
		break;
	case NR_openat:
		p.dfd = a[0], p.name = a[1], p.flags = a[2], p.mode = a[3];
		break;
	case NR_openat2: {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)a[2]);
		p.dfd = a[0], p.name = a[1], p.flags = how.flags, p.mode = how.mode;
		break;
	}
	case NR_creat:
		p.name = a[0], p.flags = O_CREAT | O_WRONLY | O_TRUNC, p.mode = a[1];
		break;
	default:
		return 0;
	}
	return file_open_result(ctx, &p, ret, NULL, 0, task);
}

/*
 * Opens submitted through io_uring never pass through a syscall: the ring
 * runs them inline in io_uring_enter, in an io-wq worker thread of the
 * process, or from its task work.  Every request ends in
 * io_uring:io_uring_complete, which since 6.0 carries the request; for a
 * successful IORING_OP_OPENAT/OPENAT2 its result is the new fd in the
 * process's table, resolved like a syscall's (same filter, same cache).
 *
 * What it misses: failed io_uring opens (the requested name is freed
 * before completion) and opens into a fixed-file slot (no fd); kernels
 * before 6.0 (no request in the tracepoint: the loader leaves it out and
 * says so in the start record).
 */

SEC("raw_tracepoint/io_uring_complete")
int raw_tracepoint__io_uring_complete(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = (struct io_kiocb *)ctx->args[1];
	struct file_pending p = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1, .op = FILE_OP_OPEN };
	struct io_open *op;
	__u8 opcode;
	__s32 res;

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	opcode = BPF_CORE_READ(req, opcode);
	if (opcode != IORING_OP_OPENAT && opcode != IORING_OP_OPENAT2)
		return 0;
	res = BPF_CORE_READ(req, cqe.res);
	if (res < 0)
		return 0;
	/* the request's command area holds its struct io_open */
	op = (struct io_open *)__builtin_preserve_access_index(&req->cmd);
	if (BPF_CORE_READ(op, file_slot))
		return 0;
	p.flags = BPF_CORE_READ(op, how.flags);
	p.mode = BPF_CORE_READ(op, how.mode);
	return file_open_result(ctx, &p, res, NULL, FILE_F_IO_URING, NULL);
}

/*
 * The times a utimes-family call at @ptr asks for, into p->atime, mtime and
 * times_set; returns 0 when it sets none explicitly ("now" or "leave
 * alone": touch without -d, -r or -t).  Layouts: utimensat's two
 * timespecs (the i386 call with 64-bit times, utimensat_time64, is
 * translated to it), utimes' and futimesat's two timevals, utime's
 * utimbuf (two longs).
 */
static __always_inline int times_of(long nr, __u64 ptr, struct file_pending *p)
{
	__s64 t[4] = {};

	if (!ptr)
		return 0; /* NULL: both now */
	if (bpf_probe_read_user(t, nr == NR_utime ? 16 : 32, (void *)ptr))
		return 0; /* the call fails too (EFAULT) */
	if (nr == NR_utime) {
		p->atime = t[0], p->mtime = t[1];
		p->times_set = FILE_F_ATIME_SET | FILE_F_MTIME_SET;
		return 1;
	}
	p->atime = t[0], p->mtime = t[2];
	p->times_set = FILE_F_ATIME_SET | FILE_F_MTIME_SET;
	if (nr == NR_utimensat) {
		if (t[1] == UTIME_NOW || t[1] == UTIME_OMIT)
			p->times_set &= ~FILE_F_ATIME_SET;
		if (t[3] == UTIME_NOW || t[3] == UTIME_OMIT)
			p->times_set &= ~FILE_F_MTIME_SET;
	}
	return p->times_set != 0;
}

/*
 * What a file change @nr asks, from its six arguments @a, into @p (set to
 * its defaults by the caller); 0 for a call not to report (times set to
 * "now", an unknown number).
 */
static __always_inline int file_change_args(long nr, const __u64 *a, struct file_pending *p)
{
	switch (nr) {
	case NR_unlink:
		p->op = FILE_OP_UNLINK, p->name = a[0];
		break;
	case NR_unlinkat:
		p->op = (a[2] & AT_REMOVEDIR) ? FILE_OP_RMDIR : FILE_OP_UNLINK;
		p->dfd = a[0], p->name = a[1], p->flags = a[2];
		break;
	case NR_rmdir:
		p->op = FILE_OP_RMDIR, p->name = a[0];
		break;
	case NR_rename:
		p->op = FILE_OP_RENAME, p->name = a[0], p->name2 = a[1];
		break;
	case NR_renameat:
	case NR_renameat2:
		p->op = FILE_OP_RENAME, p->dfd = a[0], p->name = a[1], p->dfd2 = a[2], p->name2 = a[3];
		if (nr == NR_renameat2)
			p->flags = a[4];
		break;
	case NR_chmod:
		p->op = FILE_OP_CHMOD, p->name = a[0], p->mode = a[1];
		break;
	case NR_fchmod:
		p->op = FILE_OP_CHMOD, p->fd = a[0], p->mode = a[1];
		break;
	case NR_fchmodat:
	case NR_fchmodat2:
		p->op = FILE_OP_CHMOD, p->dfd = a[0], p->name = a[1], p->mode = a[2];
		if (nr == NR_fchmodat2)
			p->flags = a[3];
		break;
	case NR_chown:
	case NR_lchown:
		p->op = FILE_OP_CHOWN, p->name = a[0], p->uid = a[1], p->gid = a[2];
		break;
	case NR_fchown:
		p->op = FILE_OP_CHOWN, p->fd = a[0], p->uid = a[1], p->gid = a[2];
		break;
	case NR_fchownat:
		p->op = FILE_OP_CHOWN, p->dfd = a[0], p->name = a[1], p->uid = a[2], p->gid = a[3];
		p->flags = a[4];
		break;
	case NR_truncate:
		p->op = FILE_OP_TRUNCATE, p->name = a[0];
		break;
	case NR_ftruncate:
		p->op = FILE_OP_TRUNCATE, p->fd = a[0];
		break;
	case NR_link:
		p->op = FILE_OP_LINK, p->name = a[0], p->name2 = a[1];
		break;
	case NR_linkat:
		p->op = FILE_OP_LINK, p->dfd = a[0], p->name = a[1], p->dfd2 = a[2], p->name2 = a[3];
		p->flags = a[4];
		break;
	/* symlink(target, linkpath): the path acted on is the new link */
	case NR_symlink:
		p->op = FILE_OP_SYMLINK, p->name = a[1], p->name2 = a[0];
		break;
	case NR_symlinkat:
		p->op = FILE_OP_SYMLINK, p->dfd = a[1], p->name = a[2], p->name2 = a[0];
		break;
	case NR_mknod:
		p->op = FILE_OP_MKNOD, p->name = a[0], p->mode = a[1];
		break;
	case NR_mknodat:
		p->op = FILE_OP_MKNOD, p->dfd = a[0], p->name = a[1], p->mode = a[2];
		break;
	case NR_mkdir:
		p->op = FILE_OP_MKDIR, p->name = a[0], p->mode = a[1];
		break;
	case NR_mkdirat:
		p->op = FILE_OP_MKDIR, p->dfd = a[0], p->name = a[1], p->mode = a[2];
		break;
	/* times: only explicit ones are kept (times_of) */
	case NR_utimensat:
		p->op = FILE_OP_UTIMES, p->dfd = a[0], p->name = a[1], p->flags = a[3];
		if (!p->name)
			p->fd = a[0]; /* futimens */
		break;
	case NR_futimesat:
		p->op = FILE_OP_UTIMES, p->dfd = a[0], p->name = a[1];
		break;
	case NR_utimes:
	case NR_utime:
		p->op = FILE_OP_UTIMES, p->name = a[0];
		break;
	default:
		return 0;
	}
	if (p->op == FILE_OP_UTIMES && !times_of(nr, nr == NR_utimes || nr == NR_utime ? a[1] : a[2], p))
		return 0;
	return 1;
}

/*
 * The judgement of a file change whose arguments file_change_args parsed
 * into judge_scratch.  They pass through a map on purpose: read back
 * from it they are unknown numbers to the verifier.  Carried on the stack,
 * each of the 27 calls' parsing kept its constants (the operation, which
 * descriptor) to the end, and the verifier walked the judgement once per
 * call.  On Debian's 6.1, of the instructions it walked in the syscall
 * exit, the file calls alone were 157,000 (of 233,000), 80,000 once the
 * credential check had moved out (creds_unexplained_at); with this the
 * whole exit fell from 125,000 to 91,000 (bench/README).  The cost is a
 * map lookup per file change.  The record is left in file_scratch: returns its size,
 * with bit 32 set when the watch entry wakes the reader (ACC_WAKE), or -1
 * when there is nothing to send.
 */
static __always_inline long file_change_judge(long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct file_judged *j = bpf_map_lookup_elem(&judge_scratch, &zero);
	struct file_pending *p;
	struct name_scratch *nk = NULL;
	struct name_slot *ns = NULL;
	struct file_event *e;
	struct path_buf *pb;
	__u32 access, access2, len;
	__u64 off, gen, m1 = 0, m2 = 0;
	long walked, n;

	if (!j)
		return -1;
	p = &j->p;
	j->fflags = 0;

	/* access: of the path acted on; access2: of the other end */
	access = access2 = ACC_CHANGE;
	switch (p->op) {
	case FILE_OP_TRUNCATE:
		access = ACC_TRUNC;
		break;
	case FILE_OP_MKDIR: case FILE_OP_MKNOD: case FILE_OP_SYMLINK:
		access |= ACC_CREATE;
		if (ret == 0)
			note_creator();
		break;
	case FILE_OP_LINK: case FILE_OP_RENAME:
		access2 |= ACC_CREATE;
		break;
	case FILE_OP_UTIMES:
		/* explicit times (the entry kept no other): a failure changed
		 * nothing, and a process that created files restores them */
		if (ret != 0 || bpf_map_lookup_elem(&creators, &(__u32){ bpf_get_current_pid_tgid() >> 32 }))
			return -1;
		j->fflags |= p->times_set;
		break;
	}
	/* kept in the scratch and read back as unknown numbers, as are the
	 * flags: as constants (and the flags on the stack) they split the
	 * verifier's walk of the rest by operation and by flag.  The syscall
	 * exit at a start, under icount: 5.10 33,000 -> 23,000 instructions
	 * (230 -> 151 ms), 6.1 44,000 -> 26,000 (275 -> 176 ms) */
	j->access = access;
	j->access2 = access2;
	asm volatile("" ::: "memory");
	access = j->access;
	access2 = j->access2;
	if (p->op == FILE_OP_RENAME && ret == 0)
		bump_gen(); /* paths below a renamed directory moved */
	/* a change by name whose only question is whether that path is
	 * watched (no other end, no set-id bit, no explicit times: those are
	 * news wherever they are): the name cache may know the answer */
	gen = current_gen();
	if (p->name) {
		nk = name_key_of(p->dfd, p->name);
		if (!nk)
			return -1;
		if (name_known_unwatched(nk, !p->name2 && p->op != FILE_OP_UTIMES &&
					 !(p->op == FILE_OP_CHMOD && (p->mode & (S_ISUID | S_ISGID))),
					 gen, access, &ns)) {
			stat_inc(STAT_FILE_CACHED);
			return -1;
		}
	}
	stat_inc(STAT_FILE_CHECKED);
	e = bpf_map_lookup_elem(&file_scratch, &zero);
	pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!e || !pb) {
		stat_miss(STAT_SCRATCH_MISS);
		return -1;
	}

	/* the path acted on, copied out before the scratch is reused */
	if (p->name) {
		walked = build_path_at();
	} else {
		struct file *f = fd_file(p->fd);

		walked = f ? walk_path((__u64)&f->f_path) : -1;
		if (walked >= 0)
			j->fflags |= FILE_F_RESOLVED;
	}
	if (walked >= 0)
		m1 = match_path(WALK_START(walked), WALK_LEN(walked));
	name_store(ns, nk, gen, m1);
	len = put_path(e, pb, 0, walked, &j->fflags);
	e->path_len = len;
	e->path_root_len = walked >= 0 ? WALK_ROOT_LEN(walked) : 0;
	off = len;

	e->requested_len = 0;
	if (p->name) {
		n = bpf_probe_read_user_str(&e->data[off & FILE_DATA_MASK], MAX_REQUESTED_LEN,
					    (void *)p->name);
		if (n > 0) {
			e->requested_len = n - 1;
			if (n == MAX_REQUESTED_LEN)
				j->fflags |= FILE_F_REQUESTED_TRUNCATED;
			off += n - 1;
		}
	}

	e->target_len = 0;
	e->target_root_len = 0;
	if (p->name2) {
		walked = name_key_of(p->dfd2, p->name2) ? build_path_at() : -1;
		if (walked >= 0) {
			m2 = match_path(WALK_START(walked), WALK_LEN(walked));
			len = put_path(e, pb, off, walked, &j->fflags);
			e->target_len = len;
			e->target_root_len = WALK_ROOT_LEN(walked);
			off += len;
		}
	}
	/* a set-uid or set-gid bit, and times set by a process that created
	 * nothing, are news wherever they are */
	if (!(((__u32)m1 & access) | ((__u32)m2 & access2))) {
		if (p->op == FILE_OP_CHMOD ? !(p->mode & (S_ISUID | S_ISGID)) : p->op != FILE_OP_UTIMES)
			return -1;
		j->fflags |= FILE_F_UNWATCHED;
	}

	/* header and fields last: the data above is already in place */
	__u16 path_len = e->path_len, req_len = e->requested_len, tgt_len = e->target_len;
	__u16 path_root = e->path_root_len, tgt_root = e->target_root_len;

	file_event_init(e, task, p, ret, access);
	e->path_len = path_len;
	e->requested_len = req_len;
	e->target_len = tgt_len;
	e->path_root_len = path_root;
	e->target_root_len = tgt_root;
	e->watch_id = ((__u32)m1 & access) ? m1 >> 32 : ((__u32)m2 & access2) ? m2 >> 32 : 0;
	e->flags = j->fflags;
	return off | ((__u64)(((__u32)(m1 | m2) & ACC_WAKE) != 0) << 32);
}


/*
 * Exit of unlink, rmdir, rename, chmod, chown, truncate, link, symlink,
 * mknod, mkdir and the utimes family.  Paths given as strings are joined to
 * their dirfd or the cwd in the kernel (not through symlinks or ".."); fchmod,
 * fchown, ftruncate and futimens are resolved from their descriptor.
 * Reported when the path or the other end (rename/link destination, symlink
 * target) is watched for this access; a set-id bit added, and explicit
 * times set by a process that has created nothing, wherever they are.
 *
 * Why "has created nothing": tar x, cp -p, rsync -t, unzip and dpkg set
 * explicit times on every file they write, through the same calls as
 * touch -d and touch -r.  What tells them apart is that a restorer has
 * made the files it dates, and a stomper dates a file someone else made.
 * A process that both creates a file and dates it (a dropper that stomps
 * its own payload) is missed: README, Coverage.
 *
 * @nr and @a are the call and its six arguments, read back at exit: the
 * entry keeps nothing (a hash update, lookup and delete per call were most
 * of what a chmod of an unwatched file cost, and a function hook needs no
 * entry program for these calls).
 */
static __always_inline int file_change_exit(void *ctx, long ret, long nr, const __u64 *a)
{
	__u32 zero = 0;
	struct file_judged *j = bpf_map_lookup_elem(&judge_scratch, &zero);
	struct file_pending *p;
	struct file_event *e;
	long sent;

	if (!j) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	p = &j->p;
	*p = (struct file_pending){
		.dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1, .uid = -1, .gid = -1,
	};
	if (!file_change_args(nr, a, p))
		return 0;
	sent = file_change_judge(ret);
	if (sent < 0)
		return 0;
	e = bpf_map_lookup_elem(&file_scratch, &zero);
	if (e)
		send_file_event(ctx, e, (__u32)sent, sent >> 32 ? ACC_WAKE : 0);
	return 0;
}

#endif /* __LOG_MONITOR_FILE_H */
