/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64 syscall numbers of the calls we hook (arch/x86/entry/syscalls/syscall_64.tbl). */
#ifndef __LOG_MONITOR_SYSCALL_NR_H
#define __LOG_MONITOR_SYSCALL_NR_H

#define NR_open 2
#define NR_pivot_root 155
#define NR_mount 165
#define NR_umount2 166
#define NR_move_mount 429
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_bind 49
#define NR_listen 50
#define NR_accept4 288
#define NR_execve 59
#define NR_truncate 76
#define NR_ftruncate 77
#define NR_rename 82
#define NR_rmdir 84
#define NR_creat 85
#define NR_link 86
#define NR_unlink 87
#define NR_symlink 88
#define NR_chmod 90
#define NR_fchmod 91
#define NR_chown 92
#define NR_fchown 93
#define NR_lchown 94
#define NR_mknod 133
#define NR_openat 257
#define NR_mknodat 259
#define NR_fchownat 260
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_linkat 265
#define NR_symlinkat 266
#define NR_fchmodat 268
#define NR_renameat2 316
#define NR_execveat 322
#define NR_openat2 437
#define NR_fchmodat2 452

#endif /* __LOG_MONITOR_SYSCALL_NR_H */
