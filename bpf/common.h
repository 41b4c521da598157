/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers used by every hook family: the event transport, the loss
 * counters, the common record header and the in-kernel path walker.  Their
 * maps are in maps.h.
 */
#ifndef __LOG_MONITOR_COMMON_H
#define __LOG_MONITOR_COMMON_H

#include "base.h"
#include "maps.h"

/* The transport, chosen at load: the BPF ring buffer (one ring shared by
 * all CPUs, records reserved in order, wakeups batched) or the perf buffer
 * (one ring per CPU, a wakeup per record). */
const volatile __u32 use_ringbuf = 0;
/* wake the reader only once this much is waiting: it also polls every
 * 100 ms, so a quiet trickle is never stuck */
const volatile __u64 ringbuf_wakeup_bytes = 256 * 1024;

/* Our own thread-group id, set before load: the monitor's own file and
 * network activity is never reported. */
const volatile __u32 self_tgid = 0;
/* and its process group: kill(-pgid) reaches it too */
const volatile __u32 self_pgid = 0;
/*
 * Three objects are built from this source (Makefile): BUILD_6_4 for 6.4
 * and later, BUILD_5_17 (without BUILD_6_4) for 5.17 to 6.3, both loaded
 * only with the kernel's own BTF; the third serves every kernel from 5.10,
 * and any kernel given a --btf-file.  BUILD_6_4 implies BUILD_5_17.  What
 * a kernel version settles is settled when compiling, not left to a CO-RE
 * or load-time constant: the verifier removes each dead branch by copying
 * the whole program (bench/README.md, 2026-12-03).
 *
 * HAVE_BPF_LOOP: bpf_loop (5.17+) walks a path (walk_dentry), so the
 * verifier checks one step instead of MAX_PATH_DEPTH of them.  An object
 * for 5.10 cannot hold it even as dead code: 5.10 refuses the instruction
 * that loads the callback's address wherever it is.
 *
 * have_rdonly_cast: bpf_rdonly_cast (6.2+) is used.  Only in the 6.4
 * object: before 6.5 the cast saves nothing (the verifier's searches of
 * trusted fields it avoids came in 6.5), and a --btf-file is not the
 * kernel's BTF, whose type ids the cast takes.
 */
#if defined(BUILD_6_4) && !defined(BUILD_5_17)
#error "BUILD_6_4 implies BUILD_5_17"
#endif
#ifdef BUILD_6_4
#define have_rdonly_cast 1
#else
#define have_rdonly_cast 0
#endif
#ifdef BUILD_5_17
#define HAVE_BPF_LOOP 1
#endif

/*
 * The kernel's type ids of the structs cast (KCAST), set by the loader
 * from the kernel's BTF (monitor/kerneltypes.go), not by CO-RE: libbpf
 * then relocates against the few kernel types the object names (a cut of
 * the kernel's BTF, monitor/corebtf), where a CO-RE type id would need
 * them all.  A constant to the verifier (read-only data), as the cast asks.
 */
const volatile __u32 btf_id_task_struct, btf_id_files_struct, btf_id_file;
#define KCAST(p, type) ((struct type *)bpf_rdonly_cast((p), btf_id_##type))

/* A count kept on a path that every call of some kind takes (a file
 * checked, a send folded): inline, no call on the way. */
static __always_inline void stat_inc(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &counter);

	if (v)
		*v += 1;
}

/* A count of something that should not happen (a full ring or table, a
 * failed scratch lookup), out of line.  The verifier rewrites each map lookup
 * it keeps into the kernel's own code, and every rewrite copies the whole
 * program and its per-instruction data: inlined, these were 33 of the 107
 * lookups in the syscall exit program's code. */
static __noinline int stat_miss(__u32 counter)
{
	stat_inc(counter);
	return 0;
}

/*
 * Send @size bytes of @rec; with @wake, wake the reader now rather than at
 * its next poll (up to 100 ms later): for a record whose judgement reads
 * a file that the next change may rewrite (a change of /etc/passwd:
 * monitor/accounts.go).  Only for those: records wait for their batch
 * everywhere else, and user space's judgement of some of them (a
 * container's first records: monitor/containers.go) has come to lean on
 * that wait.  A full perf ring returns -ENOSPC and is also
 * counted by perf itself as a lost sample (user space reads that count),
 * so the two kinds of failure are kept apart.
 */
static __always_inline void emit_wake(void *ctx, void *rec, __u64 size, int wake)
{
	long err;

	if (use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (wake || bpf_ringbuf_query(&ringbuf, BPF_RB_AVAIL_DATA) + size >= ringbuf_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		if (bpf_ringbuf_output(&ringbuf, rec, size, flags))
			stat_miss(STAT_OUTPUT_NOSPC); /* the ring is full */
		return;
	}
	err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, rec, size);

	if (err == -ENOSPC)
		stat_miss(STAT_OUTPUT_NOSPC);
	else if (err)
		stat_miss(STAT_OUTPUT_ERROR);
}

static __always_inline void emit(void *ctx, void *rec, __u64 size)
{
	emit_wake(ctx, rec, size, 0);
}

/* A syscall's result that says a signal interrupted it (enum restart_errno). */
static __always_inline int is_restart(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

#define TS_COMPAT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */

/*
 * The hot path (every syscall whose number means something to us) wants
 * the current task without a helper call per field: from 5.11 the task
 * is a BTF pointer whose fields are plain loads (its user registers come
 * typed in the tp_btf context on every kernel).  The objects for 5.17 and
 * 6.4 have it always; in the other the check is a CO-RE constant: on an
 * older kernel the branch is dead before the verifier sees it, and the
 * probe-read path runs.
 */
#ifdef BUILD_5_17
#define HAVE_CURRENT_TASK_BTF 1
#else
#define HAVE_CURRENT_TASK_BTF bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)
#endif

/*
 * The current task as a BTF pointer, or NULL before 5.11 (the callers then
 * use helpers).  A helper call costs about 12 ns here (bench/README): the
 * hot path fetches the task once and hands it on.
 */
static __always_inline struct task_struct *current_btf(void)
{
	return HAVE_CURRENT_TASK_BTF ? bpf_get_current_task_btf() : NULL;
}

/* Whether the current task (@t from current_btf) is inside a 32-bit
 * (int 0x80 / sysenter) syscall. */
static __always_inline int task_in_compat(struct task_struct *t)
{
	if (!bpf_core_field_exists(((struct task_struct *)0)->thread_info.status))
		return 0;
	if (t)
		return t->thread_info.status & TS_COMPAT;
	t = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
}

static __always_inline int current_in_compat(void)
{
	return task_in_compat(current_btf());
}

/*
 * The syscall the current task is in.  Outside the syscall hooks (a kprobe, a
 * tracepoint inside the call) there are no user registers at hand: from
 * 5.15 bpf_task_pt_regs finds them; before, they are at the top of the
 * task's kernel stack (x86-64: THREAD_SIZE 16 KiB, no padding above
 * pt_regs).
 */
#define X86_64_THREAD_SIZE 16384
#ifdef BUILD_5_17
#define HAVE_TASK_PT_REGS 1
#else
#define HAVE_TASK_PT_REGS bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)
#endif

/* the current task's user registers, to read with probe reads */
static __always_inline struct pt_regs *task_user_regs(void)
{
	struct task_struct *task;

	if (HAVE_TASK_PT_REGS)
		return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	task = (struct task_struct *)bpf_get_current_task();
	return (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) + X86_64_THREAD_SIZE) - 1;
}

static __always_inline long task_syscall_nr(void)
{
	/* a BTF pointer: a plain load, where the fallback needs a probe read */
	if (HAVE_TASK_PT_REGS)
		return ((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()))->orig_ax;
	return BPF_CORE_READ(task_user_regs(), orig_ax);
}

/* Whether the current task (@t from current_btf) is the monitor itself. */
static __always_inline int task_is_self(struct task_struct *t)
{
	if (t)
		return t->tgid == self_tgid;
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

/*
 * The six arguments of the current syscall, from its user registers @regs
 * (a BTF pointer: the context of the tp_btf syscall programs, so each
 * register is one plain load, no helper call): x86-64 rdi, rsi, rdx, r10,
 * r8, r9; i386 ebx, ecx, edx, esi, edi, ebp, as 32-bit values, pointers
 * zero-extended (an int such as AT_FDCWD is narrowed back by the handler's
 * __s32).  A syscall does not change these registers, so its exit can read
 * them as well as its entry.
 */
static __always_inline void syscall_args(struct pt_regs *regs, int compat, __u64 *a)
{
	if (compat) {
		a[0] = (__u32)regs->bx, a[1] = (__u32)regs->cx, a[2] = (__u32)regs->dx;
		a[3] = (__u32)regs->si, a[4] = (__u32)regs->di, a[5] = (__u32)regs->bp;
	} else {
		a[0] = regs->di, a[1] = regs->si, a[2] = regs->dx;
		a[3] = regs->r10, a[4] = regs->r8, a[5] = regs->r9;
	}
}

/*
 * The task's mount namespace, and whether its root is that namespace's root.
 * A chrooted task (debootstrap, dpkg in a build root, an image being
 * unpacked) names its files from its own root: its paths then say how much
 * of them is that root (*_root_len), so user space can show both views.
 * An exiting task may have no fs or nsproxy left: nothing is claimed.
 */
static __always_inline void fill_root(struct event_header *h, struct task_struct *task)
{
	struct mnt_namespace *ns = BPF_CORE_READ(task, nsproxy, mnt_ns);
	struct mount *nsroot;
	struct path root = {};

	h->mnt_ns = 0;
	if (!ns)
		return;
	h->mnt_ns = BPF_CORE_READ(ns, ns.inum);
	nsroot = BPF_CORE_READ(ns, root);
	BPF_CORE_READ_INTO(&root, task, fs, root);
	if (!nsroot || !root.mnt)
		return;
	/* The namespace's root mount is the hidden rootfs: "/" is the
	 * mount stacked on it (on the host, and in a container after
	 * pivot_root).  The task's root is "/" when climbing from it meets
	 * only whole mounts, each on the root of the one below. */
	struct mount *m = container_of(root.mnt, struct mount, mnt);
	struct dentry *d = root.dentry;

	for (int i = 0; i < 4; i++) {
		if (d != BPF_CORE_READ(m, mnt.mnt_root))
			break;
		if (m == nsroot)
			return;
		d = BPF_CORE_READ(m, mnt_mountpoint);
		m = BPF_CORE_READ(m, mnt_parent);
	}
	h->flags |= HDR_F_CHROOT;
}

/*
 * The task's pid as its own pid namespace numbers it (a container's
 * entrypoint is 1 there), and the namespaces a container is made of.  A
 * parent on a lower level of the pid namespace tree is outside the task's
 * namespace: the runtime's shim or runc, so the task was put there from
 * outside (the entrypoint, or docker exec's process), not started by a
 * process of the container.
 */
static __always_inline void fill_ns(struct event_header *h, struct task_struct *task,
				    const struct cred *cred)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};

	/* numbers[] has level + 1 entries: the task's own is the last */
	bpf_core_read(&up, sizeof(up), &pid->numbers[level & 31]);
	h->vpid = up.nr;
	h->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	h->net_ns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	h->user_ns = BPF_CORE_READ(cred, user_ns, ns.inum);
	if (level > 0 && BPF_CORE_READ(task, real_parent, thread_pid, level) < level)
		h->flags |= HDR_F_PARENT_OUTSIDE;
}

/* kernfs_node.parent before 6.15 (then __parent) */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * The first record from cgroup @id leaves its names (and its parents') in
 * cgroup_names, before the record is sent: user space finds them however
 * short the task's life, and the container's (monitor/container).  Later
 * records cost a lookup.
 */
static __always_inline void note_cgroup(__u64 id)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct cgroup_names *n;
	struct kernfs_node *kn;

	if (bpf_map_lookup_elem(&cgroup_names, &id))
		return;
	n = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!n)
		return;
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	for (int i = 0; i < CGROUP_LEVELS; i++) {
		n->name[i][0] = 0;
		if (!kn)
			continue;
		bpf_probe_read_kernel_str(n->name[i], CGROUP_NAME_LEN, BPF_CORE_READ(kn, name));
		kn = kn_parent(kn);
	}
	bpf_map_update_elem(&cgroup_names, &id, n, BPF_NOEXIST);
}

static __always_inline void fill_header_body(struct event_header *h, __u32 type,
					     struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	const struct cred *cred = BPF_CORE_READ(task, cred);

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	note_cgroup(h->cgroup_id);
	h->type = type;
	h->size = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(cred, uid.val);
	h->gid = BPF_CORE_READ(cred, gid.val);
	h->euid = BPF_CORE_READ(cred, euid.val);
	h->egid = BPF_CORE_READ(cred, egid.val);
	h->flags = 0;
	h->loginuid = 0;
	/* loginuid only exists with CONFIG_AUDITSYSCALL */
	if (bpf_core_field_exists(task->loginuid)) {
		h->loginuid = BPF_CORE_READ(task, loginuid.val);
		h->flags |= HDR_F_LOGINUID;
	}
	if (current_in_compat())
		h->flags |= HDR_F_COMPAT;
	/* only events that leave the kernel get here: four reads are cheap */
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	if (exe && BPF_CORE_READ(exe, f_inode, __i_nlink) == 0)
		h->flags |= HDR_F_EXE_DELETED;
	fill_root(h, task);
	fill_ns(h, task, cred);
	/* zeroed first: the helper pads the name on 5.10 (strncpy), not on
	 * 6.1 (strscpy), and the header lives in reused scratch buffers; a
	 * padded name is also a map key (protected_comms) */
	__builtin_memset(h->comm, 0, sizeof(h->comm));
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * The header is filled by one global function, which the verifier checks
 * once per program.  Inlined (or a static subprogram, checked at each
 * call with the caller's state), it was walked at each of its nine call
 * sites: a third of what the verifier walked in the syscall exit, which
 * is itself most of a start under emulation.  Out of line, 5.10's verifier
 * walks 66,000 instructions at a start instead of 86,000 (643 -> 450 ms
 * under icount), 6.1's 67,000 instead of 78,000 (529 -> 393 ms), with
 * the network calls' arguments read back from net_call_scratch (maps.h).
 * A global function takes numbers only before 5.12, so it fills
 * header_scratch for the caller to copy.  Every header is the current
 * task's (a fork's is the parent's, current at sched_process_fork).
 */
__noinline int fill_header_current(__u32 type)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0;
	struct event_header *h = bpf_map_lookup_elem(&header_scratch, &zero);

	if (!h)
		return 0;
	fill_header_body(h, type, task);
	return 1;
}

static __always_inline void fill_header(struct event_header *h, __u32 type)
{
	__u32 zero = 0;
	struct event_header *s;

	if (fill_header_current(type) && (s = bpf_map_lookup_elem(&header_scratch, &zero))) {
		__builtin_memcpy(h, s, sizeof(*h));
		return;
	}
	__builtin_memset(h, 0, sizeof(*h));
	h->type = type;
}

/*
 * Path walker.  bpf_d_path() is only callable from fentry/LSM programs on a
 * short list of functions, and this project must run on plain tracepoints,
 * so the path is rebuilt as d_path() does: follow d_parent up to the root of
 * the mount, then jump to the mount point in the parent mount, until the
 * global root.  Names are written right to left into the first half of a
 * per-CPU buffer (path_scratch, maps.h); the second half only exists so
 * that a masked offset plus a masked length can never leave the buffer
 * (what the verifier checks).
 *
 * Paths are from the root of the task's mount namespace (a container's own
 * root, the host's for everything else).  Where the walk passes the task's
 * own root (a chroot), it notes how many bytes of the path lie above it:
 * user space shows the path as the task sees it and keeps the longer one.
 *
 * What it misses: a path deeper than MAX_PATH_DEPTH or longer than
 * MAX_PATH_LEN is cut at the top and flagged; a concurrent rename may give a
 * mix of old and new names (d_path takes rename_lock, we cannot).
 */
/* offsets into struct path_buf (its layout: maps.h) */
#define PATH_START_MASK (2 * MAX_PATH_LEN - 1)
#define PATH_MASK (MAX_PATH_LEN - 1)
#define NAME_MASK 255 /* NAME_MAX */

/*
 * walk_dentry() is a global (non-inlined) function so the verifier checks it
 * once, not once per caller and per loop state.  Global functions on 5.10
 * may only take scalars, so the dentry and mount come in as numbers, the
 * scratch buffer is looked up inside, and the result is packed:
 * bits 0-15 start offset, 16-31 length, bit 32 truncated, 33-48 the bytes
 * of the path that are the task's root (0 when the walk never met it);
 * negative on error.
 */
#define WALK_PACK(start, len, trunc) \
	((long)(start) | ((long)(len) << 16) | ((long)(trunc) << 32))
#define WALK_WITH_ROOT(r, root_len) ((r) | ((long)((root_len) & 0xFFFF) << 33))
#define WALK_START(r) ((__u32)((r) & 0xFFFF))
#define WALK_LEN(r) ((__u32)(((r) >> 16) & 0xFFFF))
#define WALK_TRUNCATED(r) (((r) >> 32) & 1)
#define WALK_ROOT_LEN(r) ((__u32)(((r) >> 33) & 0xFFFF))

/*
 * One turn of the walk: the name of @s->dentry before what is walked, or
 * the step into the parent mount.  1 ends the walk (@s->truncated says
 * whether it reached the root).
 */
static __always_inline long walk_turn(struct walk_state *s, struct path_buf *pb)
{
	/* locals: a CO-RE read of a field of s would be relocated too */
	struct dentry *dentry = s->dentry, *parent;
	struct mount *mnt = s->mnt, *mnt_parent = s->mnt_parent;

	if (dentry == s->root_dentry && s->vfsmnt == s->root_mnt && !pb->root_at)
		pb->root_at = pb->off;
	if (dentry == s->mnt_root) {
		if (mnt == mnt_parent) {
			s->truncated = 0; /* the global root */
			return 1;
		}
		/* cross into the parent mount */
		s->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		s->vfsmnt = (struct vfsmount *)&mnt_parent->mnt;
		s->mnt = mnt_parent;
		s->mnt_parent = BPF_CORE_READ(mnt_parent, mnt_parent);
		s->mnt_root = BPF_CORE_READ(mnt_parent, mnt.mnt_root);
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);

	struct qstr d_name = BPF_CORE_READ(dentry, d_name);
	__u32 len = d_name.len & NAME_MASK;
	__u32 off = pb->off;

	if (off > MAX_PATH_LEN || len + 1 > off)
		return 1;
	off -= len + 1;
	pb->buf[off & PATH_MASK] = '/';
	bpf_probe_read_kernel(&pb->buf[(off + 1) & PATH_MASK], len, d_name.name);
	pb->off = off;
	/* a dentry that is its own parent but not a mount root belongs to an
	 * internal mount (pipe, socket, memfd): its name is all there is */
	if (dentry == parent) {
		s->truncated = 0;
		return 1;
	}
	s->dentry = parent;
	return 0;
}

#ifdef HAVE_BPF_LOOP
struct walk_loop {
	struct path_buf *pb;
	struct walk_state s;
};

/* a turn as bpf_loop's callback: the verifier checks it once, where it
 * walks a loop of ours once per turn (MAX_PATH_DEPTH) */
static long walk_step(__u32 i, void *data)
{
	struct walk_loop *w = data;

	return walk_turn(&w->s, w->pb);
}
#else
/*
 * Without bpf_loop (5.10): WALK_TURNS turns on the state kept in the
 * scratch buffer, as a global function, which the verifier checks once
 * however often it is called: walk_dentry calls it MAX_PATH_DEPTH /
 * WALK_TURNS times, so the verifier walks WALK_TURNS turns instead of
 * MAX_PATH_DEPTH (bench/README: 119,384 -> 86,164 instructions on
 * Debian's 5.10).  1 ends the walk.
 */
#define WALK_TURNS 4
_Static_assert(MAX_PATH_DEPTH % WALK_TURNS == 0, "walk_dentry calls walk_turns MAX_PATH_DEPTH / WALK_TURNS times");

__noinline long walk_turns(void)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);

	if (!pb)
		return 1;
	for (int i = 0; i < WALK_TURNS; i++)
		if (walk_turn(&pb->walk, pb))
			return 1;
	return 0;
}
#endif

__noinline long walk_dentry(__u64 dentry_ptr, __u64 vfsmnt_ptr)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	struct dentry *dentry = (struct dentry *)dentry_ptr;
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_ptr;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path root = {};
	struct mount *mnt;
	__u32 off;
	long truncated;

	if (!pb || !dentry || !vfsmnt)
		return -1;
	mnt = container_of(vfsmnt, struct mount, mnt);
	BPF_CORE_READ_INTO(&root, task, fs, root);
	pb->off = MAX_PATH_LEN;
	pb->root_at = 0;
#ifdef HAVE_BPF_LOOP
	struct walk_loop w = { .pb = pb };
	struct walk_state *s = &w.s;
#else
	struct walk_state *s = &pb->walk;
#endif
	s->dentry = dentry;
	s->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	s->root_dentry = root.dentry;
	s->vfsmnt = vfsmnt;
	s->root_mnt = root.mnt;
	s->mnt = mnt;
	s->mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	s->truncated = 1;
#ifdef HAVE_BPF_LOOP
	bpf_loop(MAX_PATH_DEPTH, walk_step, &w, 0);
#else
	for (int i = 0; i < MAX_PATH_DEPTH / WALK_TURNS; i++)
		if (walk_turns())
			break;
#endif
	truncated = s->truncated;
	off = pb->off;
	if (off > MAX_PATH_LEN)
		return -1;
	/* the task's root is what lies left of where the walk met it */
	__u32 at = pb->root_at, root_len = at > off && at <= MAX_PATH_LEN ? at - off : 0;

	if (off == MAX_PATH_LEN) {
		/* the root itself */
		off -= 1;
		pb->buf[off & PATH_MASK] = '/';
	}
	return WALK_WITH_ROOT(WALK_PACK(off & PATH_MASK, MAX_PATH_LEN - off, truncated), root_len);
}

/* walk_dentry for the struct path at @path_ptr */
static __always_inline long walk_path(__u64 path_ptr)
{
	const struct path *path = (const struct path *)path_ptr;

	return walk_dentry((__u64)BPF_CORE_READ(path, dentry), (__u64)BPF_CORE_READ(path, mnt));
}

/*
 * Append the path walk_path() left in the scratch buffer to @dst at @off,
 * without passing @cap; returns the bytes written.
 */
static __always_inline __u32 copy_path(char *dst, __u32 off, __u32 cap, long walked)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	__u32 len = WALK_LEN(walked);

	if (!pb || walked < 0)
		return 0;
	if (len > MAX_PATH_LEN)
		len = MAX_PATH_LEN;
	if (off > cap)
		return 0;
	if (len > cap - off)
		len = cap - off;
	if (len > MAX_PATH_LEN)
		return 0;
	/* the mask is what older verifiers check (they lose the off <= cap
	 * bound above); the barrier keeps clang from proving it redundant */
	barrier_var(off);
	bpf_probe_read_kernel(&dst[off & EXEC_DATA_MASK], len, &pb->buf[WALK_START(walked) & PATH_START_MASK]);
	return len;
}

/*
 * @t to walk from.  In 6.5 and later (not 6.2), the verifier checks each
 * load of a pointer through a trusted pointer (the current task is one)
 * against its lists of trusted fields: four searches of the kernel's BTF
 * by name, one type at a time, at every visit of the load -- in Debian's
 * 6.12 under emulation, a fifth of the monitor's start for task->files
 * alone (bench/README).  A read-only cast (6.2+) makes the walk untrusted:
 * its loads stay fault-checked, the verifier inlines the cast to a move,
 * and searches nothing.  Kernels without the cast have no such searches.
 */
static __always_inline struct task_struct *task_walk(struct task_struct *t)
{
	return have_rdonly_cast ? KCAST(t, task_struct) : t;
}

/*
 * The address of descriptor @fd's slot in the current task's table (@t:
 * the task from current_btf, or NULL to fetch it), or 0.  The slot itself
 * is not read here: a variable index into a BTF pointer is not a load the
 * verifier allows.
 */
static __always_inline __u64 fd_slot(struct task_struct *t, long fd)
{
	struct fdtable *fdt;

	if (fd < 0)
		return 0;
	if (HAVE_CURRENT_TASK_BTF) {
		if (!t)
			t = bpf_get_current_task_btf();
		fdt = task_walk(t)->files->fdt;
		if (fd >= fdt->max_fds)
			return 0;
		return (__u64)&fdt->fd[fd];
	}
	t = (struct task_struct *)bpf_get_current_task();
	fdt = BPF_CORE_READ(t, files, fdt);
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	return (__u64)&BPF_CORE_READ(fdt, fd)[fd];
}

/*
 * The struct file behind descriptor @fd of the current task, or 0.  Out of
 * line (global: checked once per program, not at each of its seven
 * callers), except in the object for 5.17 to 6.3, whose verifier cannot
 * follow a value's precision back across a call (before 6.4) and then
 * walks the opens' exit twice over: there it costs more than it saves.
 */
#if defined(BUILD_5_17) && !defined(BUILD_6_4)
#define FD_FILE_AT static __always_inline
#else
#define FD_FILE_AT __noinline
#endif
FD_FILE_AT __u64 fd_file_at(long fd)
{
	__u64 slot = fd_slot(NULL, fd);
	__u64 f = 0;

	if (slot)
		bpf_probe_read_kernel(&f, sizeof(f), (void *)slot);
	return f;
}

static __always_inline struct file *fd_file(long fd)
{
	return (struct file *)fd_file_at(fd);
}

/*
 * Descriptor @fd's file as a BTF pointer, where the kernel has no
 * bpf_rdonly_cast (5.11-6.1): only while the task's table is the one
 * embedded in its files_struct (the first 64 descriptors; a process that
 * opens more gets a table of its own), whose slots are fields at constant
 * offsets -- the verifier allows no variable index into a BTF pointer, so
 * the switch gives each descriptor its own constant.  NULL otherwise.
 */
#define FD_CASE(i) case i: return files->fd_array[i];
#define FD_CASE4(i) FD_CASE(i) FD_CASE(i + 1) FD_CASE(i + 2) FD_CASE(i + 3)
#define FD_CASE16(i) FD_CASE4(i) FD_CASE4(i + 4) FD_CASE4(i + 8) FD_CASE4(i + 12)

static __always_inline struct file *fd_file_embedded(struct task_struct *t, long fd)
{
	struct files_struct *files = t->files;

	if ((__u64)files->fdt->fd != (__u64)&files->fd_array[0])
		return NULL;
	switch (fd) {
	FD_CASE16(0) FD_CASE16(16) FD_CASE16(32) FD_CASE16(48)
	}
	return NULL;
}

/*
 * fd_file for reading fields, on every open's exit (@t as for fd_slot): a
 * BTF pointer, whose fields are plain, fault-checked loads instead of
 * helper calls, or NULL where none can be had (use fd_file then).  Where
 * bpf_rdonly_cast exists, the slot's address is viewed as element 0 of
 * files_struct's fd_array (an array of struct file *, whatever table the
 * slot is really in); before, fd_file_embedded.  A BTF pointer cannot be
 * handed on as a number (to walk_path, a map): use fd_file for that.
 */
static __always_inline struct file *fd_file_view(struct task_struct *t, long fd)
{
	if (!HAVE_CURRENT_TASK_BTF || fd < 0)
		return NULL;
	if (have_rdonly_cast) {
		__u64 slot = fd_slot(t, fd);

		if (!slot)
			return NULL;
		return KCAST((void *)slot - bpf_core_field_offset(struct files_struct, fd_array),
			     files_struct)->fd_array[0];
	}
	return fd_file_embedded(t ? t : bpf_get_current_task_btf(), fd);
}

#endif /* __LOG_MONITOR_COMMON_H */
