/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscalls seen through the kernel functions that carry them out, instead
 * of the raw_syscalls tracepoints (syscalls.h).
 *
 * Why: a raw_syscalls program runs for every syscall on the machine, and
 * attaching it sends every task through the kernel's slow syscall path: a
 * database's millions of read, futex and epoll_wait calls pay for hooks
 * that never report them (bench/README: getppid +45 ns on the host, +113 %
 * in the 6.1 guest).  An fexit program runs only when its function does;
 * every other syscall pays nothing.  Only exits are hooked: the handlers
 * read the call's arguments back from its user registers (syscalls.h).
 *
 * How: the programs below are stubs without a target.  The loader gives
 * each one a kernel function (monitor/syscalls/functions.go: the x86-64
 * entry points of the watched calls, do_sys_openat2 for the opens, and
 * ia32_sys_call, which every i386 call passes through, where the kernel
 * has them; else the i386 entry points) and leaves the unused ones out.
 * A stub reads the syscall's user registers (bpf_task_pt_regs) and number
 * (orig_ax), and runs the same handlers as the raw_syscalls program, so
 * both designs report the same records: failed calls with their errno,
 * i386 calls, arguments from user memory.
 *
 * A stub is generic within its class (hook_class): its body holds only
 * that class's handlers, which keeps the verifier's work per program small.
 * The number of stubs per class bounds how many functions the loader can
 * hook for it (checked by monitor/syscalls' tests against the tables).
 * The file changes and the syscall table have no stubs: they are always on
 * kretprobes (below), and a kernel with neither kprobes nor fprobes keeps
 * the raw_syscalls design.
 *
 * Needs: fentry/fexit (5.5), bpf_task_pt_regs (5.15).  Older kernels, and
 * kernels that refuse tracing programs, keep the raw_syscalls design: the
 * loader decides at start.
 */
#ifndef __LOG_MONITOR_FNHOOKS_H
#define __LOG_MONITOR_FNHOOKS_H

#include "base.h"
#include "syscalls.h"

/* the user registers of the syscall the current task is in */
static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* the exit, @ret the syscall's result (what its entry point returns) */
static __always_inline int fn_exit_ret(void *ctx, __u64 ret, const int classes)
{
	struct pt_regs *regs = user_regs();

	return sys_exit_body(ctx, regs, (long)ret, classes);
}

/* an fexit program's @ctx holds the hooked function's @nargs arguments,
 * then its result: read in place (bpf_get_func_ret would need a stack slot,
 * and the deepest handler has none to spare on 6.1) */
static __always_inline int fn_exit(void *ctx, const int nargs, const int classes)
{
	return fn_exit_ret(ctx, ((__u64 *)ctx)[nargs], classes);
}

/*
 * One body per class, called by every stub of the class: the object holds
 * each body once (libbpf copies it into each program at load).
 */
#define FN_CLASS(cls, C, nargs)                              \
	static __noinline int fn_exit_##cls(void *ctx)       \
	{                                                    \
		return fn_exit(ctx, nargs, C);               \
	}
/* an entry point takes one argument, the user registers; ia32_sys_call
 * takes them and the number */
FN_CLASS(exec, HC_EXEC, 1)
FN_CLASS(net, HC_NET, 1)

/*
 * Set by the loader when no open stub is given an i386 entry point (the
 * i386 calls come through ia32_sys_call, hooked on its own): the stubs'
 * i386 path is then dead code, which the verifier drops at load.  It was
 * half of what it walked per stub (44,000 instructions, 0.26 s of the
 * start under emulation, on Debian's 6.1, for each of the 4 stubs).
 */
const volatile __u32 open_stubs_native_only;

/*
 * The opens' exit, the most frequent call we hook (bench/README): a native
 * entry point's number is the call's own, so it skips the tables and goes
 * straight to the handler; an i386 one (where the kernel has no
 * ia32_sys_call) is translated as the raw_syscalls programs do.
 */
static __noinline int fn_exit_open(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long ret = ((__u64 *)ctx)[1];

	if (!open_stubs_native_only && task_in_compat(task))
		return sys_exit_body(ctx, regs, ret, HC_OPEN);
	return file_open_exit(ctx, ret, regs->orig_ax, regs, 0, task);
}

/*
 * The opens of both ABIs through the function they share (OpenShared in
 * monitor/syscalls/functions.go), one trampoline instead of four.  It
 * returns the call's result: a failed openat2 is seen unless its struct
 * open_how itself was refused (its size, an unreadable copy), which the
 * syscall does before.  The loader hooks it only with ia32_sys_call, which
 * sees the i386 opens: they are left to it here.
 */
SEC("fexit")
int fn_exit_open_shared_0(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;

	if (task_in_compat(task))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	/* do_sys_openat2(dfd, filename, how): the result follows them */
	return file_open_exit(ctx, ((__u64 *)ctx)[3], regs->orig_ax, regs, 0, task);
}

#define FN_EXIT(cls, C, i)                           \
	SEC("fexit")                                 \
	int fn_exit_##cls##_##i(void *ctx)           \
	{                                            \
		return fn_exit_##cls(ctx);           \
	}

/* stub names count in base 4: fn_exit_net_00 .. fn_exit_net_33 */
#define FN_REP4(M, cls, C, p) M(cls, C, p##0) M(cls, C, p##1) M(cls, C, p##2) M(cls, C, p##3)
#define FN_REP16(M, cls, C, p) \
	FN_REP4(M, cls, C, p##0) FN_REP4(M, cls, C, p##1) FN_REP4(M, cls, C, p##2) FN_REP4(M, cls, C, p##3)
#define FN_REP64(M, cls, C) \
	FN_REP16(M, cls, C, 0) FN_REP16(M, cls, C, 1) FN_REP16(M, cls, C, 2) FN_REP16(M, cls, C, 3)

/* every i386 syscall (ia32_sys_call), all handlers: only 32-bit programs
 * pay for it.  One stub, so its body is its own: a call through a class
 * body would add a frame, and the deepest handler's stack fills the 512
 * bytes on 6.1. */
SEC("fexit")
int fn_exit_i386_0(void *ctx)
{
	return fn_exit(ctx, 2, HC_ALL);
}
/* opens: the exit only (8 entry points: open, openat, openat2, creat of
 * both ABIs), where the loader does not hook fn_exit_open_shared_0 */
FN_REP4(FN_EXIT, open, HC_OPEN, 0)
FN_REP4(FN_EXIT, open, HC_OPEN, 1)
/* execve, execveat of both ABIs */
FN_REP4(FN_EXIT, exec, HC_EXEC, 0)
/* 7 network calls and socketcall, of both ABIs */
FN_REP16(FN_EXIT, net, HC_NET, 0)

/*
 * The same handlers on kretprobes, for every watched call but the opens:
 * one program, verified once, on one kretprobe.multi link where the kernel
 * has fprobes (6.12), else on one tracefs kretprobe event that carries a
 * probe per function (Debian's 6.1: monitor/kprobe_event.go), each attached
 * and released as one.  The reason is the detach: each trampoline waits
 * for an RCU-tasks grace period when it goes, one after the other (about
 * 130-145 ms per function in Debian's 6.1 and 6.12 under QEMU: 82
 * functions took 12 s), while the event's probes wait for a plain grace
 * period each (16 ms there) and the fprobe for one in all.  A kretprobe
 * costs about twice a trampoline on the call it hooks (bench/README),
 * which these calls can afford; the opens, by far the most frequent, keep
 * their fexit.  A kretprobe has a bounded number of calls in flight in its
 * functions (README, known limits): past it a return is missed, and
 * counted.
 *
 * Where neither link can be made (tracefs read-only, in a container), each
 * function gets a perf kprobe of its own, attached and released one by
 * one; the fexit stubs above then serve the execs, the network calls and
 * i386, and these only the file changes and the table (syscalls.
 * ClassOnKprobes).
 */

/* with fprobes: one fprobe in all, whatever the number of functions */
SEC("kretprobe.multi")
int fn_kmexit_calls(struct pt_regs *ctx)
{
	return fn_exit_ret(ctx, PT_REGS_RC(ctx), HC_ALL);
}

/* without: a kretprobe per function, in one tracefs event or each its own */
SEC("kretprobe")
int fn_kexit_calls(struct pt_regs *ctx)
{
	return fn_exit_ret(ctx, PT_REGS_RC(ctx), HC_ALL);
}

#endif /* __LOG_MONITOR_FNHOOKS_H */
