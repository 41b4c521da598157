/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process lifecycle: exec (successful and failed), exit, fork.
 *
 * Why these hooks:
 *  - sched:sched_process_exec fires once the kernel has committed to the new
 *    image, for every path into exec (execve, execveat, kernel-started
 *    helpers, compat calls), after mm->exe_file and the argument pages are
 *    set.  argv is read from the new mm (what the kernel copied), so a thread
 *    rewriting the caller's buffers cannot change what we report.
 *  - the execve/execveat syscalls' exits (syscalls.h) are only used to see
 *    failures (sched_process_exec never fires for them), from the
 *    arguments read back there.  Which call a successful exec came
 *    through (execveat, i386) is read at task_rename, inside the exec.
 *  - sched:sched_process_exit fires per thread: we report only the last
 *    thread of a group (signal->live reached zero), i.e. the process exit.
 *  - raw_tracepoint/sched_process_fork gives the child task, so threads
 *    (child->tgid != child->pid) can be skipped in the kernel.
 */
#ifndef __LOG_MONITOR_PROCESS_H
#define __LOG_MONITOR_PROCESS_H

#include "base.h"
#include "common.h"
#include "creds.h"
#include "maps.h"
#include "ournr.h"

/*
 * Which exec syscall an exec in flight came through, for its
 * sched_process_exec: the number in the task's registers, and TS_COMPAT
 * (our_nr).
 * Both are the caller's until the new image is set up (load_elf_binary
 * then sets TS_COMPAT, and orig_ax, for the new image's ABI: measured on
 * 6.18, an execveat reads as execve there), so they are read at the
 * rename of the task to the new program's name in begin_new_exec, the
 * last event of every exec before that.  A rename outside an exec
 * (prctl(PR_SET_NAME), /proc/<pid>/comm) is in another syscall.
 */
SEC("raw_tracepoint/task_rename")
int raw_tracepoint__task_rename(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_call call = {};
	struct task_struct *task;
	__u32 flags;
	int compat;

	switch (our_nr(task_syscall_nr(), &compat, &task)) {
	case NR_execve:
		flags = 0;
		break;
	case NR_execveat:
		flags = EXEC_F_EXECVEAT;
		break;
	default:
		return 0;
	}
	if (compat)
		flags |= EXEC_F_COMPAT;
	call.flags = flags;
	call.start_time = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), start_time);
	if (bpf_map_update_elem(&exec_calls, &tid, &call, BPF_ANY))
		stat_miss(STAT_PENDING_FULL);
	return 0;
}

/*
 * exe and cwd of the current task, appended after the args_len bytes of
 * argv. The offset is reloaded from the record on purpose: the callers'
 * clamps leave the 6.1 verifier with an impossible range (umin > umax) on
 * a dead path it does not prune, and it then rejects the pointer
 * arithmetic; a fresh load is just "some u16", which copy_path bounds.
 */
static __always_inline __u32 append_exe_cwd(struct exec_event *e, struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	__u32 off = *(volatile __u16 *)&e->args_len;
	long walked;
	__u32 n;

	e->exe_len = 0;
	e->cwd_len = 0;
	e->exe_root_len = 0;
	e->cwd_root_len = 0;
	if (exe) {
		walked = walk_path((__u64)&exe->f_path);
		n = copy_path(e->data, off, MAX_ARGS_SIZE + MAX_PATH_LEN, walked);
		e->exe_len = n;
		e->exe_root_len = walked >= 0 ? WALK_ROOT_LEN(walked) : 0;
		off += n;
		if (walked >= 0 && WALK_TRUNCATED(walked))
			e->flags |= EXEC_F_EXE_TRUNCATED;
	}
	if (fs) {
		walked = walk_path((__u64)&fs->pwd);
		n = copy_path(e->data, off, MAX_ARGS_SIZE + 2 * MAX_PATH_LEN, walked);
		e->cwd_len = n;
		e->cwd_root_len = walked >= 0 ? WALK_ROOT_LEN(walked) : 0;
		off += n;
		if (walked >= 0 && WALK_TRUNCATED(walked))
			e->flags |= EXEC_F_CWD_TRUNCATED;
	}
	return off;
}

static __always_inline void exec_send(void *ctx, struct exec_event *e, __u32 off)
{
	__u64 size = EXEC_EVENT_FIXED_LEN + off;

	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	emit(ctx, e, size);
}

/*
 * Where is the new image's LD_PRELOAD value (its user address; 0 when it
 * sets none)?  The variables are read one string at a time (the helper
 * finds each NUL), up to MAX_ENV_VARS of them, each compared with the name
 * as three numbers: a string shorter than the name has its NUL where the
 * name has none, so what the buffer held before cannot match.  From 5.17
 * the turn is bpf_loop's callback, checked once; on 5.10 the verifier
 * walks the turns (a global function: once per program).
 */
#define MAX_ENV_VARS 64
#define LD_PRELOAD_NAME_8 0x4f4c4552505f444cULL /* "LD_PRELO", little-endian */
#define LD_PRELOAD_NAME_2 0x4441                /* "AD" */

/* The variable at @p: the next one's address, or 0 to stop (*found then
 * set when it is LD_PRELOAD's). */
static __always_inline __u64 env_var(struct path_buf *pb, __u64 p, __u64 end, __u64 *found)
{
	long n;

	if (p >= end)
		return 0;
	n = bpf_probe_read_user_str(pb->buf, MAX_PATH_LEN, (void *)p);
	if (n <= 0)
		return 0;
	if (*(__u64 *)pb->buf == LD_PRELOAD_NAME_8 && *(__u16 *)&pb->buf[8] == LD_PRELOAD_NAME_2 &&
	    pb->buf[10] == '=') {
		*found = p + 11; /* the value */
		return 0;
	}
	return p + n;
}

#ifdef HAVE_BPF_LOOP
struct env_loop {
	struct path_buf *pb;
	__u64 p, end, found;
};

static long env_step(__u32 i, void *data)
{
	struct env_loop *l = data;

	l->p = env_var(l->pb, l->p, l->end, &l->found);
	return l->p == 0;
}
#endif

__noinline __u64 env_ld_preload(__u64 start, __u64 end)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);

	if (!pb)
		return 0;
#ifdef HAVE_BPF_LOOP
	struct env_loop l = { .pb = pb, .p = start, .end = end };

	bpf_loop(MAX_ENV_VARS, env_step, &l, 0);
	return l.found;
#else
	__u64 p = start, found = 0;

	for (int i = 0; i < MAX_ENV_VARS && p; i++)
		p = env_var(pb, p, end, &found);
	return found;
#endif
}

/*
 * Mark which of fds 0-2 are internet sockets: a shell talking to the
 * network.  Unix sockets do not count: a service's stdout is the journal's
 * socket, and a shell that systemd or cron starts is not a reverse shell.
 * Note the pipes on fds 0 and 1 by inode number: user space joins the two
 * ends of one pipe from the execs on either side (a shell reading its
 * program from curl).
 */
static __always_inline __u32 stdio_kinds(struct task_struct *task, struct exec_event *e)
{
	__u32 flags = 0;

	e->stdin_pipe = 0;
	e->stdout_pipe = 0;
	for (int fd = 0; fd < 3; fd++) {
		struct file *f = fd_file(fd);
		__u16 mode = f ? BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT : 0;

		if (mode == S_IFIFO && fd == 0)
			e->stdin_pipe = BPF_CORE_READ(f, f_inode, i_ino);
		if (mode == S_IFIFO && fd == 1)
			e->stdout_pipe = BPF_CORE_READ(f, f_inode, i_ino);
		if (mode != S_IFSOCK)
			continue;
		struct socket *sock = BPF_CORE_READ(f, private_data);
		__u16 family = BPF_CORE_READ(sock, sk, __sk_common.skc_family);

		if (family == AF_INET || family == AF_INET6)
			flags |= EXEC_F_STDIN_SOCK << fd;
	}
	return flags;
}

/*
 * Where the new executable lives.  On overlayfs (a container's root) the
 * inode is the vfs_inode inside struct ovl_inode, and __upperdentry, set
 * once the file exists in the upper layer (made, copied up on a write or a
 * chmod), follows it: that is what a container's image did not have.
 * struct ovl_inode is the overlay module's, not in vmlinux's BTF (and
 * 5.10 has no module BTF), so the field is found after sizeof(struct
 * inode), which CO-RE gives: the layout overlayfs has kept from 4.19 to
 * 6.18 (Falco's driver reads it the same way).
 */
static __always_inline __u32 exe_kind(struct inode *inode)
{
	struct dentry *upper = NULL;
	__u32 flags = 0;
	unsigned long magic;

	if (!inode)
		return 0;
	if (BPF_CORE_READ(inode, __i_nlink) == 0)
		flags |= EXEC_F_EXE_DELETED;
	magic = BPF_CORE_READ(inode, i_sb, s_magic);
	if (magic == TMPFS_MAGIC)
		flags |= EXEC_F_EXE_TMPFS;
	if (magic == OVERLAYFS_SUPER_MAGIC) {
		bpf_probe_read_kernel(&upper, sizeof(upper),
				      (void *)inode + bpf_core_type_size(struct inode));
		if (upper)
			flags |= EXEC_F_EXE_UPPER;
	}
	return flags;
}

/*
 * Successful exec: argv from the new image's mm->arg_start..arg_end, the
 * exe the kernel resolved (mm->exe_file; for a script, the interpreter),
 * the requested filename from the tracepoint (bprm->filename).
 */
SEC("tracepoint/sched/sched_process_exec")
int tracepoint__sched__sched_process_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0, old_tid = ctx->old_pid, tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_event *e;
	struct exec_call *call;
	__u64 arg_start, arg_end, len, preload;
	__u32 off = 0;
	long n;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	fill_header(&e->hdr, EVENT_EXEC);
	e->ret = 0;
	/* de_thread is behind us: the tid is the one task_rename saw */
	call = bpf_map_lookup_elem(&exec_calls, &tid);
	e->flags = EXEC_F_NO_SYSCALL; /* an exec the kernel started */
	if (call) {
		if (call->start_time == BPF_CORE_READ(task, start_time))
			e->flags = call->flags;
		bpf_map_delete_elem(&exec_calls, &tid);
	}
	/* a 64-bit image cleared TS_COMPAT: the call was still i386 */
	if (e->flags & EXEC_F_COMPAT)
		e->hdr.flags |= HDR_F_COMPAT;
	e->flags |= exe_kind(BPF_CORE_READ(task, mm, exe_file, f_inode));
	/* an audit or logging daemon starting: signals to it are reported
	 * (the header's name is zero-padded: fill_header) */
	if (bpf_map_lookup_elem(&protected_comms, e->hdr.comm)) {
		__u8 one = 1;
		__u32 tgid = e->hdr.pid;

		bpf_map_update_elem(&protected_tgids, &tgid, &one, BPF_ANY);
	}
	e->flags |= stdio_kinds(task, e);
	preload = env_ld_preload(BPF_CORE_READ(task, mm, env_start), BPF_CORE_READ(task, mm, env_end));
	if (preload)
		e->flags |= EXEC_F_LD_PRELOAD;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end - arg_start;
	if (arg_end < arg_start)
		len = 0;
	if (len > MAX_ARGS_SIZE) {
		len = MAX_ARGS_SIZE;
		e->flags |= EXEC_F_ARGS_TRUNCATED;
	}
	if (len && bpf_probe_read_user(e->data, len, (void *)arg_start) == 0)
		off = len;
	e->args_len = off;

	off = append_exe_cwd(e, task);

	/* __data_loc: low 16 bits are the offset of the string in the record */
	n = bpf_probe_read_kernel_str(&e->data[off & EXEC_DATA_MASK], MAX_FILENAME_LEN,
				      (void *)ctx + (ctx->__data_loc_filename & 0xFFFF));
	if (n > 0) {
		e->filename_len = n - 1; /* drop the NUL */
		if (n == MAX_FILENAME_LEN)
			e->flags |= EXEC_F_FILENAME_TRUNCATED;
		off += n - 1;
	} else {
		e->filename_len = 0;
	}
	/* what is preloaded, to tell a packaged library (fakeroot's) from a
	 * planted one */
	e->preload_len = 0;
	e->pad = 0;
	if (preload) {
		n = bpf_probe_read_user_str(&e->data[off & EXEC_DATA_MASK], MAX_PRELOAD_LEN, (void *)preload);
		if (n > 1) {
			e->preload_len = n - 1;
			off += n - 1;
		}
	}
	exec_send(ctx, e, off);

	/* a set-uid/set-gid or file-capability binary: after the exec record,
	 * on the same CPU, so user space sees them in this order.  A
	 * multi-threaded caller has changed tid (de_thread): its credentials
	 * were known under old_pid. */
	creds_explained(ctx, task, old_tid, PRIV_EXEC, 0, 0);
	return 0;
}

/* argv[i] of an exec caller: 64-bit pointers, or 32-bit ones for an i386
 * execve (read in the syscall's own context, so TS_COMPAT tells). */
static __always_inline long argv_at(__u64 argv, __u32 i, __u32 ptr_size, const char **arg)
{
	__u32 p32 = 0;
	long err;

	if (ptr_size == 8)
		return bpf_probe_read_user(arg, sizeof(*arg), (void *)(argv + i * 8));
	err = bpf_probe_read_user(&p32, sizeof(p32), (void *)(argv + i * 4));
	*arg = (const char *)(__u64)p32;
	return err;
}

/*
 * Failed exec (@ret < 0) of call @nr with arguments @a, read back at exit:
 * the caller's image is still in place, so argv is read from the pointers
 * it passed.  Successful execs were reported by sched_process_exec.
 */
static __always_inline int exec_exit(void *ctx, long ret, long nr, const __u64 *a, int compat)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 off = 0, pos, argv, filename;
	__u32 zero = 0, ptr_size, flags;
	struct exec_event *e;
	const char *arg;
	long n;

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	if (nr == NR_execveat) {
		filename = a[1], argv = a[2], flags = EXEC_F_EXECVEAT;
	} else {
		filename = a[0], argv = a[1], flags = 0;
	}
	if (compat)
		flags |= EXEC_F_COMPAT;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e) {
		stat_miss(STAT_SCRATCH_MISS);
		return 0;
	}
	fill_header(&e->hdr, EVENT_EXEC);
	e->ret = ret;
	e->flags = flags;
	e->stdin_pipe = 0; /* the scratch holds the last exec's */
	e->stdout_pipe = 0;

	ptr_size = compat ? 4 : 8;
	for (int i = 0; i < MAX_ARGS; i++) {
		if (argv_at(argv, i, ptr_size, &arg) || !arg)
			break;
		if (off >= MAX_ARGS_SIZE) {
			e->flags |= EXEC_F_ARGS_TRUNCATED;
			break;
		}
		pos = off & (MAX_ARGS_SIZE - 1);
		barrier_var(pos); /* keep clang from dropping the mask */
		n = bpf_probe_read_user_str(&e->data[pos], MAX_ARGS_SIZE - pos, arg);
		if (n <= 0)
			break;
		off += n;
		if (off >= MAX_ARGS_SIZE) {
			/* the last string may have been cut */
			e->flags |= EXEC_F_ARGS_TRUNCATED;
			break;
		}
		if (i == MAX_ARGS - 1) {
			if (argv_at(argv, i + 1, ptr_size, &arg) == 0 && arg)
				e->flags |= EXEC_F_ARGS_TRUNCATED;
		}
	}
	if (off > MAX_ARGS_SIZE)
		off = MAX_ARGS_SIZE;
	e->args_len = off;

	off = append_exe_cwd(e, task);

	n = bpf_probe_read_user_str(&e->data[off & EXEC_DATA_MASK], MAX_FILENAME_LEN,
				    (const void *)filename);
	if (n > 0) {
		e->filename_len = n - 1;
		if (n == MAX_FILENAME_LEN)
			e->flags |= EXEC_F_FILENAME_TRUNCATED;
		off += n - 1;
	} else {
		e->filename_len = 0;
	}
	e->preload_len = 0;
	e->pad = 0;
	exec_send(ctx, e, off);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int tracepoint__sched__sched_process_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exit_event e;
	__u64 start;

	/* every task, thread or not, leaves the credential table */
	forget_creds(BPF_CORE_READ(task, pid));

	/* ignore thread exits: only the last thread ends the process */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	__u32 tgid = BPF_CORE_READ(task, tgid);

	bpf_map_delete_elem(&protected_tgids, &tgid);
	bpf_map_delete_elem(&creators, &tgid);

	fill_header(&e.hdr, EVENT_EXIT);
	e.hdr.size = sizeof(e);
	start = BPF_CORE_READ(task, group_leader, start_time);
	e.lifetime_ns = bpf_ktime_get_ns() - start;
	e.exit_code = BPF_CORE_READ(task, exit_code);
	e.pad = 0;
	emit(ctx, &e, sizeof(e));
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int raw_tracepoint__sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	/* args[0], the parent, is the current task: the header's */
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	struct fork_event e;
	__u32 child_pid = BPF_CORE_READ(child, tgid);
	__u32 child_tid = BPF_CORE_READ(child, pid);

	/* ignore new threads */
	if (child_pid != child_tid)
		return 0;

	fill_header(&e.hdr, EVENT_FORK);
	e.hdr.size = sizeof(e);
	e.child_pid = child_pid;
	e.child_tid = child_tid;
	emit(ctx, &e, sizeof(e));
	return 0;
}

/*
 * Every new task (threads too) starts with its parent's credentials: record
 * them, so a later change is compared with what it really had.
 */
SEC("raw_tracepoint/task_newtask")
int raw_tracepoint__task_newtask(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct cred_snap c;

	read_creds(task, &c);
	store_creds(BPF_CORE_READ(task, pid), &c);
	if (BPF_CORE_READ(task, tgid) == self_tgid) {
		__u32 tid = BPF_CORE_READ(task, pid);
		__u8 one = 1;

		bpf_map_update_elem(&self_tids, &tid, &one, BPF_ANY);
	}
	return 0;
}

#endif /* __LOG_MONITOR_PROCESS_H */
