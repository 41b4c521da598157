/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Security-sensitive syscalls, driven by one table.
 *
 * The table lives in Go (monitor/syscalls/table.go): for each syscall number
 * whether it is reported, which arguments are strings to copy, which is an
 * fd whose path to resolve, and a filter.  User space writes it into the
 * syscall_table array before the hooks attach; the code here is generic.
 * The exit reports each call with its result (a failed attempt is evidence
 * too), from its arguments read back there: a syscall leaves its registers
 * as they were.  Nothing is kept at entry:
 *  - a credential change is compared with the task's last known
 *    credentials (creds.h), which every new task, exec, monitored syscall
 *    and the start (user space, from /proc) keep current;
 *  - clone's child returns from the same call in the tracepoint design (its
 *    first sys_exit, with 0): only the parent's return is the call.
 */
#ifndef __LOG_MONITOR_SYSCALL_H
#define __LOG_MONITOR_SYSCALL_H

#include "base.h"
#include "common.h"
#include "creds.h"
#include "file.h"
#include "maps.h"

/*
 * The values the kernel side filters on, as enums so that they are in the
 * object's BTF: monitor/syscalls checks each against the kernel's constants
 * (x/sys/unix) and the rules' lists against them.
 */
enum syscall_filters {
	/* CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME */
	CLONE_NS_MASK = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 |
			0x10000000 | 0x20000000 | 0x40000000 | 0x00000080,
};

/* prctl options reported (the rest are everyday) */
enum prctl_reported {
	REPORT_PR_SET_DUMPABLE = 4,
	REPORT_PR_SET_NAME = 15,
	REPORT_PR_SET_SECCOMP = 22,
	REPORT_PR_CAP_AMBIENT = 47,
	REPORT_PR_SET_PTRACER = 0x59616d61,
};

/* syslog actions reported: reading the kernel log is everyday, clearing
 * it is not */
enum syslog_reported {
	REPORT_SYSLOG_ACTION_READ_CLEAR = 4,
	REPORT_SYSLOG_ACTION_CLEAR = 5,
};

/* ptrace requests reported: a tracer's PTRACE_SYSCALL/GETREGS loop is two
 * calls per traced syscall, so only taking control and writing are worth a
 * line */
enum ptrace_reported {
	REPORT_PTRACE_TRACEME = 0,
	REPORT_PTRACE_POKETEXT = 4,
	REPORT_PTRACE_POKEDATA = 5,
	REPORT_PTRACE_POKEUSR = 6,
	REPORT_PTRACE_SETREGS = 13,
	REPORT_PTRACE_ATTACH = 16,
	REPORT_PTRACE_SETREGSET = 0x4205,
	REPORT_PTRACE_SEIZE = 0x4206,
};

static __always_inline struct syscall_spec *sc_spec(long nr)
{
	__u32 key = nr;

	if (nr < 0 || nr >= SYSCALL_TABLE_LEN)
		return NULL;
	struct syscall_spec *spec = bpf_map_lookup_elem(&syscall_table, &key);

	return spec && spec->enabled ? spec : NULL;
}

/*
 * Whether descriptor @fd of the current task is a process's memory
 * (/proc/<pid>/mem, /proc/<pid>/task/<tid>/mem): a file of procfs named
 * "mem".  gdb writes into the process it debugs this way (pwrite64), not
 * with PTRACE_POKEDATA.  Paid by every pwrite64 (databases call it often):
 * where bpf_rdonly_cast exists (6.2+) the file's superblock and name
 * length are plain loads and only a procfs name of 3 bytes is read with a
 * helper; elsewhere the descriptor lookup and the superblock are helper
 * reads (bench: pwrite).
 */
static __always_inline int is_proc_mem(long fd)
{
	const unsigned char *name;
	char buf[4] = {};

	if (have_rdonly_cast && HAVE_CURRENT_TASK_BTF) {
		struct file *bf = fd_file_view(NULL, fd);
		struct dentry *d;

		if (!bf || bf->f_inode->i_sb->s_magic != PROC_SUPER_MAGIC)
			return 0;
		d = bf->f_path.dentry;
		if (d->d_name.len != 3)
			return 0;
		name = d->d_name.name;
	} else {
		struct file *f = fd_file(fd);

		if (!f || BPF_CORE_READ(f, f_inode, i_sb, s_magic) != PROC_SUPER_MAGIC)
			return 0;
		name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	}
	bpf_probe_read_kernel(buf, sizeof(buf), name);
	return buf[0] == 'm' && buf[1] == 'e' && buf[2] == 'm' && buf[3] == 0;
}

/* An i386 16-bit-id call (setuid, chown, ... without "32"): its -1 is
 * 0xffff; widen it to the 32-bit -1 the handlers and decoders know. */
static __always_inline void widen_ids16(long raw, __u64 *a)
{
	__u32 key = raw, *v;

	if (raw < 0 || raw >= COMPAT_TABLE_LEN)
		return;
	v = bpf_map_lookup_elem(&compat_syscalls, &key);
	if (!v || !(*v & COMPAT_ID16))
		return;
	for (int i = 0; i < 3; i++) {
		if (a[i] == 0xffff)
			a[i] = 0xffffffff;
	}
}

/* Whether call @nr with arguments @a is one to report (its filters pass). */
static __always_inline int sc_wanted(long nr, const __u64 *a, struct syscall_spec *spec)
{
	if (spec->flags & SC_SELF_TARGET) {
		/* kill(pid) and tgkill(tgid): the process; tkill(tid): any of its
		 * threads; kill(-pgid) its group; kill(-1) everyone */
		__s32 target = a[0];
		__u32 tid = target;

		if (target != (__s32)self_tgid && !bpf_map_lookup_elem(&self_tids, &tid) &&
		    target != -1 && !(target < -1 && (__u32)-target == self_pgid) &&
		    !bpf_map_lookup_elem(&protected_tgids, &tid))
			return 0; /* a signal to someone else */
	}
	if (spec->flags & SC_PRCTL) {
		switch (a[0]) {
		case REPORT_PR_SET_DUMPABLE:
		case REPORT_PR_SET_NAME:
		case REPORT_PR_SET_SECCOMP:
		case REPORT_PR_CAP_AMBIENT:
		case REPORT_PR_SET_PTRACER:
			break;
		default:
			return 0;
		}
	}
	if (spec->flags & SC_PTRACE) {
		switch (a[0]) {
		case REPORT_PTRACE_TRACEME:
		case REPORT_PTRACE_POKETEXT:
		case REPORT_PTRACE_POKEDATA:
		case REPORT_PTRACE_POKEUSR:
		case REPORT_PTRACE_SETREGS:
		case REPORT_PTRACE_ATTACH:
		case REPORT_PTRACE_SETREGSET:
		case REPORT_PTRACE_SEIZE:
			break;
		default:
			return 0;
		}
	}
	/* socket(2): packet sockets (sniffers, crafted frames) and raw IP
	 * sockets; netlink's SOCK_RAW is how iproute2 and systemd talk to the
	 * kernel, not a sniffer */
	if (spec->filter == SC_FILTER_RAW_SOCKET && a[0] != AF_PACKET &&
	    !((a[0] == AF_INET || a[0] == AF_INET6) && (a[1] & SOCK_TYPE_MASK) == SOCK_RAW))
		return 0;
	if (spec->filter == SC_FILTER_PROC_MEM && !is_proc_mem(a[0]))
		return 0;
	if ((spec->flags & SC_SYSLOG) && a[0] != REPORT_SYSLOG_ACTION_READ_CLEAR &&
	    a[0] != REPORT_SYSLOG_ACTION_CLEAR)
		return 0;
	if (spec->flags & SC_CLONE_NS) {
		__u64 flags = a[0];

		if (spec->flags & SC_CLONE3)
			bpf_probe_read_user(&flags, sizeof(flags), (void *)a[0]);
		if (!(flags & CLONE_NS_MASK))
			return 0; /* an ordinary fork or thread */
	}
	return 1;
}

/* The exit of call @nr, whose user registers are @regs; returns whether
 * the call was kept (its filters passed).  The arguments are read back
 * into the event itself (sc_scratch): no room for them on the stack, which
 * the deepest handler of sys_exit fills. */
static __always_inline int sc_exit(void *ctx, long ret, long nr, struct syscall_spec *spec,
				   struct pt_regs *regs, int compat)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 zero = 0, tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_event *e;
	__u64 off = 0;
	long n;

	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	if ((spec->flags & SC_CLONE_NS) && ret == 0)
		return 0; /* clone's child */
	e = bpf_map_lookup_elem(&sc_scratch, &zero);
	if (!e) {
		stat_miss(STAT_SCRATCH_MISS);
		return 1;
	}
	syscall_args(regs, compat, e->args);
	if (compat)
		widen_ids16(regs->orig_ax, e->args);
	if (!sc_wanted(nr, e->args, spec))
		return 0;
	/* a mount change moves paths: cached open verdicts are stale */
	if (ret == 0 && (nr == NR_mount || nr == NR_umount2 || nr == NR_move_mount || nr == NR_pivot_root))
		bump_gen();

	if (spec->flags & SC_CREDS)
		creds_explained(ctx, task, tid, PRIV_SYSCALL, nr, ret);

	if ((spec->flags & SC_NONROOT_ONLY) && BPF_CORE_READ(task, cred, euid.val) == 0)
		return 1;

	fill_header(&e->hdr, EVENT_SYSCALL);
	e->ret = ret;
	e->nr = nr;
	e->flags = 0;
	e->deref = 0;
	if (spec->deref >= 1 && spec->deref <= 6) {
		void *ptr = (void *)e->args[(spec->deref - 1) & 7];

		if (ptr)
			bpf_probe_read_user(&e->deref, sizeof(e->deref), ptr);
	}
	for (int i = 0; i < 3; i++) {
		__u32 idx = spec->str[i];

		e->str_len[i] = 0;
		if (idx < 1 || idx > 6)
			continue;
		void *ptr = (void *)e->args[(idx - 1) & 7];

		if (!ptr)
			continue;
		n = bpf_probe_read_user_str(&e->data[off & (4 * SC_STR_LEN - 1)], SC_STR_LEN, ptr);
		if (n > 1) {
			e->str_len[i] = n - 1;
			off += n - 1;
		}
	}
	e->path_len = 0;
	if (spec->fd_arg >= 1 && spec->fd_arg <= 6) {
		struct file *f = fd_file((int)e->args[(spec->fd_arg - 1) & 7]);
		long walked = f ? walk_path((__u64)&f->f_path) : -1;

		/* a namespace fd (setns) has no useful path: its inode number
		 * names the namespace, as in /proc/<pid>/ns/net -> net:[inode] */
		if (f && !spec->deref)
			e->deref = BPF_CORE_READ(f, f_inode, i_ino);

		if (walked >= 0) {
			__u32 zero2 = 0;
			struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero2);
			__u32 len = WALK_LEN(walked);

			if (pb) {
				if (len > MAX_PATH_LEN - 1) {
					len = MAX_PATH_LEN - 1;
					e->flags |= SC_F_PATH_TRUNCATED;
				}
				barrier_var(len);
				len &= MAX_PATH_LEN - 1;
				bpf_probe_read_kernel(&e->data[off & (4 * SC_STR_LEN - 1)], len,
						      &pb->buf[WALK_START(walked) & PATH_START_MASK]);
				e->path_len = len;
				off += len;
			}
		}
	}
	off += SYSCALL_EVENT_FIXED_LEN;
	if (off > sizeof(*e))
		off = sizeof(*e);
	e->hdr.size = off;
	emit(ctx, e, off);
	return 1;
}

#endif /* __LOG_MONITOR_SYSCALL_H */
