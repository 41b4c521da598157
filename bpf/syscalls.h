/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Syscall exit: one program on the raw_syscalls sys_exit tracepoint
 * dispatches to the handlers of process.h, file.h, net.h and syscall.h by
 * syscall number.  Every handler reads the call's arguments back from its
 * user registers, which a syscall leaves as they were, so there is no
 * program at sys_enter: every syscall of the machine runs one program, not
 * two (bench/README: getppid +14 ns for one empty program, +31 ns for two).
 *
 * Why raw_syscalls and not one syscalls:sys_exit_X tracepoint per call:
 *  - the per-syscall tracepoints are built on the same raw hooks, behind a
 *    bitmap test, and never fire for i386 calls;
 *  - 1 link instead of ~60: a perf tracepoint link waits for an RCU grace
 *    period when it is destroyed (4.7 s for 59 links measured here), a raw
 *    tracepoint link does not, so the monitor stops at once.
 * The cost for an unrelated syscall is three bitmap loads (our_nr).
 *
 * Why tp_btf and not raw_tracepoint (same hook, same cost to enter): the
 * context is typed, so the user registers are a BTF pointer and reading
 * the syscall number and arguments is a plain load each, where a raw
 * tracepoint needs helper calls (bpf_task_pt_regs, or probe reads before
 * 5.15).  On the ordinary-open loop of bench/floor.sh the monitor's cost
 * above no observer fell from +26 % to +21 % with this alone.
 *
 * 32-bit programs (int 0x80, sysenter) leave through the same tracepoint with
 * i386 numbers: when the task is in a compat syscall, the number is
 * translated through compat_syscalls (filled from monitor/syscalls/compat.go)
 * and the arguments are read from the i386 registers, so the same handlers
 * run and the events carry HDR_F_COMPAT.  The per-syscall tracepoints
 * (syscalls:sys_exit_X) never fire for compat calls; this one does.
 *
 * compat sendmsg's msghdr has 32-bit pointers: net.h reads it so.  The
 * 16-bit-id calls (setuid, chown, ... without "32") have their -1 widened.
 *
 * What it misses: x32 numbers (README: known limits).
 */
#ifndef __LOG_MONITOR_SYSCALLS_H
#define __LOG_MONITOR_SYSCALLS_H

#include "base.h"
#include "common.h"
#include "creds.h"
#include "process.h"
#include "file.h"
#include "net.h"
#include "syscall.h"
#include "maps.h"
#include "ournr.h"

/* i386 socketcall(call, args): which call (SYS_*: net.h), and its
 * arguments (32-bit words in user memory) widened into @a.  Returns the
 * x86-64 number or -1. */

static __always_inline long socketcall_args(__u64 *a)
{
	__u32 w[6] = {};
	long nr;
	__u32 n;

	switch (a[0]) {
	case SYS_BIND: nr = NR_bind, n = 3; break;
	case SYS_CONNECT: nr = NR_connect, n = 3; break;
	case SYS_LISTEN: nr = NR_listen, n = 2; break;
	case SYS_ACCEPT: nr = NR_accept, n = 3; break;
	case SYS_SENDTO: nr = NR_sendto, n = 6; break;
	case SYS_SENDMSG: nr = NR_sendmsg, n = 3; break;
	case SYS_ACCEPT4: nr = NR_accept4, n = 4; break;
	default: return -1;
	}
	/* only the words the call has: the array may end at a page edge */
	if (bpf_probe_read_user(w, n * sizeof(w[0]) & 31, (void *)a[1]))
		return -1;
	for (int i = 0; i < 6; i++)
		a[i] = w[i];
	return nr;
}

/*
 * The handlers a program runs.  The raw_syscalls programs run them all; a
 * program on a syscall function (fnhooks.h) is attached to the functions
 * of one class and holds only that class's handlers: the class is a
 * compile-time constant, so the verifier sees each body once per class.
 */
enum hook_class {
	HC_OPEN = 1,   /* open, openat, openat2, creat */
	HC_EXEC = 2,   /* execve, execveat: their failures */
	HC_FILE = 4,   /* the other file calls of HANDLED_SYSCALLS */
	HC_NET = 8,    /* connect, accept, listen, bind, sendto, sendmsg (socketcall) */
	HC_TABLE = 16, /* syscall_table's calls */
	HC_ALL = HC_OPEN | HC_EXEC | HC_FILE | HC_NET | HC_TABLE,
};

/*
 * The credential check at the exit of every monitored call but the opens,
 * a global function: the verifier checks it once, by itself, and not
 * once for every path that reaches it.  It takes the call's raw number
 * and translates it again: the number carried from the dispatch, which
 * the verifier knows exactly once it has branched on it, kept every
 * handler's paths apart until this check, the last thing they reach.  On
 * Debian's 6.1 the check so placed cost 135,000 of the 233,000
 * instructions the verifier walked in the syscall exit (bench/README).
 * Arguments are numbers only (no context before 6.8): the record is built
 * in priv_scratch and the caller sends it.  An i386 socketcall is named
 * as such here, not as the call inside it.
 */
__noinline int creds_unexplained_at(long raw)
{
	struct task_struct *task;
	int compat;
	long nr = our_nr(raw, &compat, &task);

	if (task_is_self(task))
		return 0;
	return creds_unexplained(nr < 0 ? raw : nr);
}

/* A syscall's exit with its result @ret. */
static __always_inline int sys_exit_body(void *ctx, struct pt_regs *regs, long ret, const int classes)
{
	struct syscall_spec *spec;
	struct task_struct *task;
	int compat;
	long nr = our_nr(regs->orig_ax, &compat, &task);

	if (nr < 0)
		return 0;
	switch (nr) {
	case NR_execve: case NR_execveat: {
		__u64 a[6];

		if (!(classes & HC_EXEC))
			return 0;
		/* a success was reported by sched_process_exec */
		if (ret < 0) {
			syscall_args(regs, compat, a);
			exec_exit(ctx, ret, nr, a, compat);
		}
		break;
	}
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		if (!(classes & HC_OPEN))
			return 0;
		return file_open_exit(ctx, ret, nr, regs, compat, task);
	case NR_unlink: case NR_unlinkat: case NR_rmdir:
	case NR_rename: case NR_renameat: case NR_renameat2:
	case NR_chmod: case NR_fchmod: case NR_fchmodat: case NR_fchmodat2:
	case NR_chown: case NR_lchown: case NR_fchown: case NR_fchownat:
	case NR_truncate: case NR_ftruncate:
	case NR_link: case NR_linkat: case NR_symlink: case NR_symlinkat:
	case NR_mknod: case NR_mknodat:
	case NR_mkdir: case NR_mkdirat:
	case NR_utime: case NR_utimes: case NR_futimesat: case NR_utimensat: {
		__u64 a[6]; /* read back: a syscall leaves its registers as they were */

		if (!(classes & HC_FILE) || task_is_self(task))
			return 0;
		syscall_args(regs, compat, a);
		if (compat)
			widen_ids16(regs->orig_ax, a);
		file_change_exit(ctx, ret, nr, a);
		break;
	}
	case NR_connect: case NR_accept: case NR_accept4: case NR_listen: case NR_bind:
	case NR_sendto: case NR_sendmsg: case COMPAT_SOCKETCALL: {
		__u64 a[6];

		if (!(classes & HC_NET) || task_is_self(task))
			return 0;
		syscall_args(regs, compat, a);
		if (nr == COMPAT_SOCKETCALL) {
			nr = socketcall_args(a);
			if (nr < 0)
				return 0;
		}
		net_exit(ctx, ret, nr, a, compat);
		break;
	}
	default:
		if (!(classes & HC_TABLE))
			return 0;
		spec = sc_spec(nr);
		if (!spec)
			return 0;
		/* a frequent call with a filter of its own (pwrite64, socket)
		 * that the filter left out costs no more */
		if (!sc_exit(ctx, ret, nr, spec, regs, compat) && spec->filter)
			return 0;
	}
	/* every monitored syscall but the opens (the most frequent by far,
	 * returned above) is a chance to notice unexplained root */
	if (creds_unexplained_at(regs->orig_ax))
		emit_priv_scratch(ctx);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf__sys_exit, struct pt_regs *regs, long ret)
{
	return sys_exit_body(ctx, regs, ret, HC_ALL);
}

#endif /* __LOG_MONITOR_SYSCALLS_H */
