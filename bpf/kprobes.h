/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks on kernel functions, loaded only where the kernel has kprobes (most
 * distribution kernels; not every one: the loader checks for the kprobe
 * PMU and reports the hook unavailable otherwise).  They close gaps the
 * tracepoints leave; the tracepoint programs stay the baseline.
 */
#ifndef __LOG_MONITOR_KPROBES_H
#define __LOG_MONITOR_KPROBES_H

#include "base.h"
#include "common.h"
#include "creds.h"
#include "file.h"
#include "syscalls.h"

/*
 * security_file_open, where the kernel has kprobes (most distribution
 * kernels; not the host this was written on): every open of a file passes
 * here with the struct file the kernel resolved, whatever started it -- an
 * io_uring request on any kernel, a syscall table we do not decode, a
 * kernel-internal open on a process's behalf.  Opens inside an open
 * syscall are left to its exit, which knows the fd and the result; the
 * others are reported from here (FILE_F_LSM_HOOK: no fd, and an LSM may
 * still refuse the open after this point).  When this hook is attached the
 * loader leaves io_uring_complete out: one event per open.
 */
static __always_inline int security_file_open_body(void *ctx, struct file *file)
{
	struct file_pending p = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1, .op = FILE_OP_OPEN };
	long raw = task_syscall_nr();
	struct task_struct *cur;
	int compat;

	/* the opens of a native open syscall, first and with no table: every
	 * open of the machine pays this test.  (The same numbers in i386 are
	 * fork, readlink, remap_file_pages and openat2, which open nothing
	 * else.) */
	switch (raw) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		return 0;
	}
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	switch (our_nr(raw, &compat, &cur)) {
	case NR_open: case NR_openat: case NR_openat2: case NR_creat:
		return 0; /* the syscall's exit reports it, with the fd */
	}
	p.flags = BPF_CORE_READ(file, f_flags);
	return file_open_result(ctx, &p, 0, file, FILE_F_LSM_HOOK, NULL);
}

SEC("kprobe/security_file_open")
int BPF_KPROBE(kprobe__security_file_open, struct file *file)
{
	return security_file_open_body(ctx, file);
}

/*
 * The same on a trampoline, where function hooks are in use (fnhooks.h) and
 * the kernel has bpf_get_func_arg (5.17): every open of the machine passes
 * here, and a kprobe costs it about 700 guest instructions more than an
 * fentry (bench/README, "Function hooks").  The argument is fetched as a
 * number: the path walker, a global function, takes no BTF pointer.
 */
SEC("fentry/security_file_open")
int fentry__security_file_open(void *ctx)
{
	__u64 file = 0;

	bpf_get_func_arg(ctx, 0, &file);
	return security_file_open_body(ctx, (struct file *)file);
}

SEC("kprobe/commit_creds")
int BPF_KPROBE(kprobe__commit_creds, const struct cred *new)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct cred_snap before, after;
	struct syscall_spec *spec;
	struct task_struct *cur;
	long raw, nr;
	int compat;

	if ((id >> 32) == self_tgid)
		return 0;
	raw = task_syscall_nr();
	nr = our_nr(raw, &compat, &cur);
	switch (nr) {
	case NR_execve: case NR_execveat:
		return 0;
	}
	spec = sc_spec(nr);
	if (spec && (spec->flags & SC_CREDS))
		return 0;
	read_creds(task, &before);
	read_cred(new, &after);
	if (!creds_gained_root(&before, &after))
		return 0;
	/* the number as the task made the call: any syscall can be the
	 * exploited one, most are none we hook */
	emit_priv(ctx, task, &before, &after, PRIV_UNEXPLAINED_AT_COMMIT, raw, 0);
	store_creds((__u32)id, &after);
	return 0;
}

#endif /* __LOG_MONITOR_KPROBES_H */
