/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 syscall numbers of the calls we hook (arch/x86/entry/syscalls/syscall_64.tbl). */
#ifndef __LOG_MONITOR_SYSCALL_NR_H
#define __LOG_MONITOR_SYSCALL_NR_H

/* an enum, so that the numbers are in the object's BTF: monitor/syscalls
 * checks each against the kernel's own header */
enum syscall_nr {
	NR_open = 2,
	NR_pivot_root = 155,
	NR_mount = 165,
	NR_umount2 = 166,
	NR_move_mount = 429,
	NR_connect = 42,
	NR_accept = 43,
	NR_sendto = 44,
	NR_sendmsg = 46,
	NR_bind = 49,
	NR_listen = 50,
	NR_accept4 = 288,
	NR_execve = 59,
	NR_truncate = 76,
	NR_ftruncate = 77,
	NR_rename = 82,
	NR_rmdir = 84,
	NR_creat = 85,
	NR_link = 86,
	NR_unlink = 87,
	NR_symlink = 88,
	NR_chmod = 90,
	NR_fchmod = 91,
	NR_chown = 92,
	NR_fchown = 93,
	NR_lchown = 94,
	NR_mknod = 133,
	NR_openat = 257,
	NR_mknodat = 259,
	NR_fchownat = 260,
	NR_unlinkat = 263,
	NR_renameat = 264,
	NR_linkat = 265,
	NR_symlinkat = 266,
	NR_fchmodat = 268,
	NR_renameat2 = 316,
	NR_execveat = 322,
	NR_openat2 = 437,
	NR_fchmodat2 = 452,
	NR_mkdir = 83,
	NR_mkdirat = 258,
	NR_utime = 132,
	NR_utimes = 235,
	NR_futimesat = 261,
	NR_utimensat = 280,
};

#endif /* __LOG_MONITOR_SYSCALL_NR_H */
