/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's user-space ABI values the programs compare with.  The uapi
 * headers that define them cannot be included beside vmlinux.h (the types
 * clash), and vmlinux.h has no #define, so they are written here, once.
 */
#ifndef __LOG_MONITOR_UAPI_H
#define __LOG_MONITOR_UAPI_H

#define ENOSPC 28

/* fcntl.h */
#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_ACCMODE 00000003
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_TRUNC 00001000
#define O_PATH 010000000

/* fs.h (not uapi, stable since 4.19): file.f_mode of an open that created
 * the file */
#define FMODE_CREATED 0x100000

/* magic.h */
#define PROC_SUPER_MAGIC 0x9fa0
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define TMPFS_MAGIC 0x01021994

/* stat.h: utimensat's "now" and "leave alone" */
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* stat.h */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000
#define S_ISUID 0004000
#define S_ISGID 0002000

/* socket.h, in.h, tcp_states.h */
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define NETLINK_AUDIT 9
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf /* without SOCK_NONBLOCK, SOCK_CLOEXEC */
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TCP_SYN_SENT 2

/* io_uring.h */
#define IORING_OP_OPENAT 18
#define IORING_OP_OPENAT2 28

#endif /* __LOG_MONITOR_UAPI_H */
