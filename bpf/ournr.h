/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which syscall numbers are ours: the test every syscall hook makes first
 * (syscalls.h), and the one the hooks inside a call make to know which call
 * they are in (task_rename for an exec, inet_sock_set_state for a connect),
 * for either ABI: an i386 number is translated through compat_syscalls.
 */
#ifndef __LOG_MONITOR_OURNR_H
#define __LOG_MONITOR_OURNR_H

#include "base.h"
#include "common.h"
#include "maps.h"

/* The calls with a handler of their own (not in syscall_table). */
#define HANDLED_SYSCALLS(X, w)                                                              \
	X(NR_execve, w) X(NR_execveat, w)                                                  \
	X(NR_open, w) X(NR_openat, w) X(NR_openat2, w) X(NR_creat, w)                       \
	X(NR_unlink, w) X(NR_unlinkat, w) X(NR_rmdir, w)                                    \
	X(NR_rename, w) X(NR_renameat, w) X(NR_renameat2, w)                                \
	X(NR_chmod, w) X(NR_fchmod, w) X(NR_fchmodat, w) X(NR_fchmodat2, w)                 \
	X(NR_chown, w) X(NR_lchown, w) X(NR_fchown, w) X(NR_fchownat, w)                    \
	X(NR_truncate, w) X(NR_ftruncate, w)                                                \
	X(NR_link, w) X(NR_linkat, w) X(NR_symlink, w) X(NR_symlinkat, w)                   \
	X(NR_mknod, w) X(NR_mknodat, w)                                                     \
	X(NR_mkdir, w) X(NR_mkdirat, w)                                                     \
	X(NR_utime, w) X(NR_utimes, w) X(NR_futimesat, w) X(NR_utimensat, w)                \
	X(NR_connect, w) X(NR_accept, w) X(NR_accept4, w) X(NR_listen, w) X(NR_bind, w)     \
	X(NR_sendto, w) X(NR_sendmsg, w)

#define SC_BIT_IN_WORD(nr, w) | ((((nr) >> 6) == (w)) ? (1ULL << ((nr) & 63)) : 0ULL)
#define SC_HANDLED_WORD(w) (0ULL HANDLED_SYSCALLS(SC_BIT_IN_WORD, w))

/*
 * The first test every syscall on the machine pays, for the whole set of
 * ours: a bit per x86-64 number with a handler (built here from the list
 * above), per number of the syscall table, and per i386 number the compat
 * table translates (both set by user space before load from
 * monitor/syscalls).  An unrelated call costs three loads from read-only
 * data, where two map lookups and a switch cost a third of the empty
 * programs' own price (bench: getppid loop).
 */
static const __u64 handled_bits[SYSCALL_TABLE_LEN / 64] = {
	SC_HANDLED_WORD(0), SC_HANDLED_WORD(1), SC_HANDLED_WORD(2), SC_HANDLED_WORD(3),
	SC_HANDLED_WORD(4), SC_HANDLED_WORD(5), SC_HANDLED_WORD(6), SC_HANDLED_WORD(7),
};
_Static_assert(SYSCALL_TABLE_LEN == 8 * 64, "handled_bits lists 8 words");
const volatile __u64 table_bits[SYSCALL_TABLE_LEN / 64];
const volatile __u64 compat_bits[COMPAT_TABLE_LEN / 64];

static __always_inline int nr_bit(const volatile __u64 *bits, long nr)
{
	if ((unsigned long)nr >= SYSCALL_TABLE_LEN)
		return 0;
	return (bits[nr >> 6] >> (nr & 63)) & 1;
}

static __always_inline int has_handler(long nr)
{
	return nr == COMPAT_SOCKETCALL || nr_bit(handled_bits, nr);
}

/*
 * The x86-64 number the syscall @nr of the current task is handled as, or
 * -1 when it is none of ours.  The common case, an unrelated native call,
 * costs the bitmap tests; the task (*@task, from current_btf) and its
 * compat status are only fetched when the number means something in one
 * of the two tables.
 */
static __always_inline long our_nr(long nr, int *compat, struct task_struct **task)
{
	int hooked = nr_bit(handled_bits, nr) || nr_bit(table_bits, nr);
	__u32 key = nr, *native;

	*compat = 0;
	*task = NULL;
	if (!hooked && !nr_bit(compat_bits, nr))
		return -1;
	*task = current_btf(); /* the handlers reuse it */
	if (!task_in_compat(*task))
		return hooked ? nr : -1;
	/* i386: some numbers are the same in both tables (openat2, clone3,
	 * ...), so the ABI is this flag, never "the number changed" */
	*compat = 1;
	native = bpf_map_lookup_elem(&compat_syscalls, &key);
	return native && *native ? (*native & ~COMPAT_ID16) : -1;
}

#endif /* __LOG_MONITOR_OURNR_H */
