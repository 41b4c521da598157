/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscall entry and exit: two raw tracepoints dispatch to the handlers of
 * process.h and file.h by syscall number.
 *
 * Why raw_syscalls and not one syscalls:sys_enter_X tracepoint per call:
 *  - both run for every syscall anyway: the per-syscall tracepoints are
 *    built on the same raw sys_enter/sys_exit hooks, behind a bitmap test
 *    and a copy of the arguments into a perf record;
 *  - 2 links instead of ~60: a perf tracepoint link waits for an RCU grace
 *    period when it is destroyed (4.7 s for 59 links measured here), a raw
 *    tracepoint link does not, so the monitor stops at once;
 *  - one program to load and verify.
 * The cost for an unrelated syscall is this switch (a few compares).
 *
 * What it misses: 32-bit compat syscalls, whose numbers differ (skipped:
 * the kernel-matrix issue adds the i386 table); x32 numbers never match.
 */
#ifndef __LOG_MONITOR_SYSCALLS_H
#define __LOG_MONITOR_SYSCALLS_H

#define TS_COMPAT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */

static __always_inline int in_compat_syscall(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->thread_info.status))
		return 0;
	return BPF_CORE_READ(task, thread_info.status) & TS_COMPAT;
}

SEC("raw_tracepoint/sys_enter")
int raw_tracepoint__sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = ctx->args[1];
	struct syscall_spec *spec = NULL;
	__u64 a[6];

	switch (nr) {
	case NR_execve: case NR_execveat:
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
	case NR_unlink: case NR_unlinkat: case NR_rmdir:
	case NR_rename: case NR_renameat: case NR_renameat2:
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2:
	case NR_chown: case NR_lchown: case NR_fchown: case NR_fchownat:
	case NR_truncate: case NR_ftruncate:
	case NR_link: case NR_linkat: case NR_symlink: case NR_symlinkat:
	case NR_mknod: case NR_mknodat:
	case NR_connect: case NR_accept: case NR_accept4: case NR_listen: case NR_bind:
	case NR_sendto: case NR_sendmsg:
		break;
	default:
		/* the security-sensitive table (syscall.h): one array lookup */
		spec = sc_spec(nr);
		if (!spec)
			return 0;
	}
	if (in_compat_syscall((struct task_struct *)bpf_get_current_task()))
		return 0;

	/* x86-64 syscall arguments: rdi, rsi, rdx, r10, r8, r9; the user
	 * registers are copied in one helper call (x86-64's pt_regs layout is
	 * ABI, not a kernel detail that CO-RE would have to relocate) */
	struct pt_regs r;

	if (bpf_probe_read_kernel(&r, sizeof(r), regs))
		return 0;
	a[0] = r.di;
	a[1] = r.si;
	a[2] = r.dx;
	a[3] = r.r10;
	a[4] = r.r8;
	a[5] = r.r9;

	if (spec)
		return sc_enter(nr, a, spec);
	switch (nr) {
	case NR_execve:
		return exec_enter((const char *)a[0], (const char *const *)a[1], 0);
	case NR_execveat:
		return exec_enter((const char *)a[1], (const char *const *)a[2], EXEC_F_EXECVEAT);
	case NR_connect: case NR_accept: case NR_accept4: case NR_listen: case NR_bind:
	case NR_sendto: case NR_sendmsg:
		return net_syscall_enter(nr, a);
	}
	return file_syscall_enter(nr, a);
}

SEC("raw_tracepoint/sys_exit")
int raw_tracepoint__sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = ctx->args[1];
	long nr = BPF_CORE_READ(regs, orig_ax);
	struct syscall_spec *spec;

	switch (nr) {
	case NR_execve: case NR_execveat:
		exec_exit(ctx, ret);
		break;
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		file_open_exit(ctx, ret);
		break;
	case NR_unlink: case NR_unlinkat: case NR_rmdir:
	case NR_rename: case NR_renameat: case NR_renameat2:
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2:
	case NR_chown: case NR_lchown: case NR_fchown: case NR_fchownat:
	case NR_truncate: case NR_ftruncate:
	case NR_link: case NR_linkat: case NR_symlink: case NR_symlinkat:
	case NR_mknod: case NR_mknodat:
		file_change_exit(ctx, ret);
		break;
	case NR_connect: case NR_accept: case NR_accept4: case NR_listen: case NR_bind:
	case NR_sendto: case NR_sendmsg:
		net_exit(ctx, ret);
		break;
	default:
		spec = sc_spec(nr);
		if (!spec)
			return 0;
		sc_exit(ctx, ret, nr, spec);
	}
	/* every monitored syscall but the opens (the most frequent by far) is
	 * a chance to notice unexplained root */
	switch (nr) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		return 0;
	}
	if ((bpf_get_current_pid_tgid() >> 32) != self_tgid)
		check_creds(ctx, (struct task_struct *)bpf_get_current_task(), nr);
	return 0;
}

#endif /* __LOG_MONITOR_SYSCALLS_H */
