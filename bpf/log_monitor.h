/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record layouts shared by the BPF programs and the Go decoder.
 *
 * This header is the one definition of every record that crosses the ring
 * (or perf) buffer, and of the map entries user space writes.  The Go
 * decoder (monitor/event) mirrors it, and monitor/event/btf_test.go checks
 * every field offset, size and enum value against the compiled object's BTF,
 * both ways.  Rules for editing:
 *   - fixed-width types only, no bool, no long, no implicit padding;
 *   - every record starts with struct event_header;
 *   - variable-length strings go in data[] after the fixed part, and only
 *     the bytes used are sent (header.size says how many).
 */
#ifndef __LOG_MONITOR_H
#define __LOG_MONITOR_H

#include "vmlinux.h" /* __u32 and friends */

/*
 * Every record, enum and size user space reads is in the BPF object's BTF
 * (sizes as enums rather than #defines; types the programs keep on the stack
 * are named in log_monitor.bpf.c's btf_anchor), and monitor/event's
 * TestLayoutMatchesTheObjectsBTF compares each field, size and value with
 * the Go decoder's: a field or value added on one side only fails it.
 */
#define TASK_COMM_LEN 16 /* the kernel's (vmlinux.h has it); checked through event_header */
enum sizes {
	MAX_PATH_LEN = 4096,      /* PATH_MAX: longest path we report */
	MAX_PATH_DEPTH = 64,      /* dentries walked before a path is cut */
	MAX_ARGS = 32,            /* argv entries kept (user space enforces) */
	MAX_ARGS_SIZE = 4096,     /* argv bytes copied from the kernel */
	MAX_FILENAME_LEN = 512,   /* the path string a process passed to exec */
	MAX_PRELOAD_LEN = 256,    /* the LD_PRELOAD value copied at exec */
	MAX_REQUESTED_LEN = 1024, /* the path string a process passed to open */
	WATCH_KEY_LEN = 256,      /* bytes of a path compared by the watch maps */
	UNIX_PATH_LEN = 108,      /* sizeof(sockaddr_un.sun_path) */
	/* security-sensitive syscalls: one table, defined in Go
	 * (monitor/syscalls), loaded into the "syscall_table" array map indexed
	 * by syscall number */
	SYSCALL_TABLE_LEN = 512,
	/* i386 syscall number -> x86-64 number (monitor/syscalls/compat.go);
	 * socketcall(2) maps to COMPAT_SOCKETCALL, decoded in the kernel */
	COMPAT_TABLE_LEN = 512,
	COMPAT_SOCKETCALL = 1000,
	/* set in a compat_syscalls value: the i386 call takes 16-bit uids/gids */
	COMPAT_ID16 = 0x8000,
	SC_STR_LEN = 256,
	/* bytes kept of a cgroup's name, and how many levels: a container's
	 * scope (cri-containerd-<64 hex>.scope is 85), its parent, the pod's */
	CGROUP_NAME_LEN = 96,
	CGROUP_LEVELS = 3,
};

/* Most bytes the data[] area of an exec record uses: args, exe, cwd,
 * filename, the LD_PRELOAD value. */
#define EXEC_DATA_LEN (MAX_ARGS_SIZE + 2 * MAX_PATH_LEN + MAX_FILENAME_LEN + MAX_PRELOAD_LEN)
/* The buffer behind it is larger, so that an offset masked with
 * EXEC_DATA_MASK plus one path can never leave it (what the verifier checks).
 * Only header.size bytes are ever sent. */
#define EXEC_DATA_MASK (16384 - 1)
#define EXEC_DATA_BUF (16384 + MAX_PATH_LEN)

enum event_type {
	EVENT_EXEC = 1,
	EVENT_EXIT = 2,
	EVENT_FORK = 3,
	EVENT_FILE = 4,
	EVENT_NET = 5,
	EVENT_SYSCALL = 6,
	EVENT_PRIV = 7,
	EVENT_TYPE_MAX,
};

/* Indexes of the per-CPU "stats" map: what the kernel side failed to send. */
enum stat_counter {
	STAT_OUTPUT_NOSPC = 0,   /* the ring buffer, or a perf buffer, was full */
	STAT_OUTPUT_ERROR = 1,   /* any other bpf_perf_event_output failure */
	STAT_PENDING_FULL = 2,   /* syscall entry not stored: table full */
	STAT_SCRATCH_MISS = 3,   /* per-CPU scratch lookup failed */
	STAT_CREDS_FULL = 4,     /* a task's credentials not stored (table full): its gains go unseen */
	/* not losses: how much the in-kernel file filter kept back */
	STAT_FILE_CHECKED = 5,   /* file operations compared with the watch list,
				  * but for the opens of STAT_FILE_CACHED */
	STAT_FILE_SENT = 6,      /* ... that matched and were sent */
	STAT_NET_FOLDED = 7,     /* UDP sends folded into an earlier event */
	STAT_FILE_CACHED = 8,    /* judged from a verdict cache, no walk: opens,
				  * failed opens and changes by name */
	STAT_MAX,
};

/* Flags in event_header.flags. */
enum header_flags {
	HDR_F_LOGINUID = 1 << 0, /* loginuid is valid (kernel has audit) */
	HDR_F_COMPAT = 1 << 1,   /* made by a 32-bit syscall (int 0x80) */
	HDR_F_EXE_DELETED = 1 << 2, /* the task's executable has no link left
				     * (deleted after start, or a memfd) */
	HDR_F_CHROOT = 1 << 3,   /* the task's root is not its mount namespace's
				  * root (chroot): its paths carry *_root_len */
	HDR_F_PARENT_OUTSIDE = 1 << 4, /* the real parent is not in the task's pid
					* namespace: a runtime put the task there
					* (a container's first process, docker exec) */
};

/* Flags in exec_event.flags. */
enum exec_flags {
	EXEC_F_ARGS_TRUNCATED = 1 << 0, /* argv longer than MAX_ARGS_SIZE */
	EXEC_F_EXE_TRUNCATED = 1 << 1,  /* exe path deeper/longer than we walk */
	EXEC_F_CWD_TRUNCATED = 1 << 2,
	EXEC_F_FILENAME_TRUNCATED = 1 << 3,
	EXEC_F_EXECVEAT = 1 << 4,       /* came through execveat(2) */
	EXEC_F_NO_SYSCALL = 1 << 5,     /* sched_process_exec without a syscall
					 * entry we saw (kernel-initiated exec) */
	EXEC_F_EXE_DELETED = 1 << 6,    /* the executable has no link left
					 * (deleted, or a memfd) */
	EXEC_F_STDIN_SOCK = 1 << 7,     /* fd 0 is an internet socket (reverse shell?) */
	EXEC_F_STDOUT_SOCK = 1 << 8,
	EXEC_F_STDERR_SOCK = 1 << 9,
	EXEC_F_LD_PRELOAD = 1 << 10,    /* LD_PRELOAD= in the new environment */
	EXEC_F_COMPAT = 1 << 11,        /* the execve was an i386 syscall (the
					 * header's HDR_F_COMPAT says so too) */
	EXEC_F_EXE_UPPER = 1 << 12,     /* the executable is on overlayfs and in
					 * its upper layer: written, copied or
					 * chmod'ed since the mount (container drift) */
	EXEC_F_EXE_TMPFS = 1 << 13,     /* the executable is on tmpfs (/dev/shm,
					 * /run, a memfd) */
};

/*
 * The names of a cgroup and of its ancestors, the leaf first ("" above the
 * root), as the kernel had them when a record of a task in it was first
 * sent: what user space tells a container by (monitor/container), read
 * from the cgroup_names map by event_header.cgroup_id.
 */
struct cgroup_names {
	char name[CGROUP_LEVELS][CGROUP_NAME_LEN];
};

/*
 * Common header of every record (Tetragon's msg_common idea).  96 bytes.
 * ts_ns is CLOCK_BOOTTIME; user space converts it to wall-clock time.
 */
struct event_header {
	__u64 ts_ns;
	__u64 cgroup_id; /* the task's cgroup v2 id: its names in cgroup_names */
	__u32 type;      /* enum event_type */
	__u32 size;      /* bytes in this record, header included */
	__u32 pid;       /* thread-group id */
	__u32 tid;
	__u32 ppid;      /* real parent's thread-group id */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 loginuid;
	__u32 flags;     /* enum header_flags */
	__u32 mnt_ns;    /* mount namespace inode number, 0 = unknown */
	__u32 vpid;      /* the thread-group id in the task's own pid namespace */
	__u32 pid_ns;    /* inode numbers of the task's pid, network and user */
	__u32 net_ns;    /* namespaces, 0 = unknown */
	__u32 user_ns;
	char comm[TASK_COMM_LEN];
};

/*
 * EVENT_EXEC: a successful exec (from sched_process_exec, argv read from the
 * new image, so it is what the kernel copied) or a failed one (from the
 * syscall exit, argv read from the caller's memory).
 * data[] holds, in order: args (NUL-separated, args_len bytes), exe,
 * cwd, filename, the LD_PRELOAD value (each exe_len/cwd_len/filename_len/
 * preload_len bytes, no NUL).
 */
struct exec_event {
	struct event_header hdr;
	__s32 ret;          /* 0 or -errno */
	__u32 flags;        /* enum exec_flags */
	__u16 args_len;
	__u16 exe_len;
	__u16 cwd_len;
	__u16 filename_len;
	__u16 exe_root_len; /* HDR_F_CHROOT: bytes of exe, then of cwd, that are
			     * the task's root (0: outside it) */
	__u16 cwd_root_len;
	__u16 preload_len;  /* EXEC_F_LD_PRELOAD: bytes of its value, after filename */
	__u16 pad;
	__u64 stdin_pipe;   /* fd 0's pipe (inode number), 0: not a pipe */
	__u64 stdout_pipe;  /* fd 1's pipe: user space links the two ends
			     * (curl ... | sh) */
	char data[EXEC_DATA_BUF];
};

#define EXEC_EVENT_FIXED_LEN (sizeof(struct event_header) + 40)

/* EVENT_EXIT: the last thread of a process left. */
struct exit_event {
	struct event_header hdr;
	__u64 lifetime_ns;
	__u32 exit_code;    /* raw wait status: code << 8 | core 0x80 | signal */
	__u32 pad;
};

/* EVENT_FORK: a new process (not a thread); hdr is the parent. */
struct fork_event {
	struct event_header hdr;
	__u32 child_pid;
	__u32 child_tid;
};

/* File operations (file_event.op). */
enum file_op {
	FILE_OP_OPEN = 1,
	FILE_OP_UNLINK = 2,
	FILE_OP_RMDIR = 3,
	FILE_OP_RENAME = 4,
	FILE_OP_CHMOD = 5,
	FILE_OP_CHOWN = 6,
	FILE_OP_TRUNCATE = 7,
	FILE_OP_LINK = 8,
	FILE_OP_SYMLINK = 9,
	FILE_OP_MKNOD = 10,
	FILE_OP_MKDIR = 11,
	FILE_OP_UTIMES = 12, /* utimensat, utimes, futimesat, utime: explicit times */
	FILE_OP_MAX,
};

/* What an operation does to a file (file_event.access, watch_value.access). */
enum file_access {
	ACC_READ = 1 << 0,
	ACC_WRITE = 1 << 1,   /* opened for writing, or created */
	ACC_TRUNC = 1 << 2,   /* O_TRUNC, truncate(2) */
	ACC_CHANGE = 1 << 3,  /* unlink, rename, chmod, chown, link, mknod, mkdir,
			       * times set */
	ACC_CREATE = 1 << 4,  /* a new name: an open that created the file, mkdir,
			       * mknod, symlink, the new end of a link or rename */
	ACC_WAKE = 1 << 5,    /* not an access, a watch entry's flag: its
			       * records wake the reader (emit_wake) */
};

/* Flags in file_event.flags. */
enum file_flags {
	FILE_F_RESOLVED = 1 << 0,        /* path from the opened struct file */
	FILE_F_PATH_TRUNCATED = 1 << 1,
	FILE_F_REQUESTED_TRUNCATED = 1 << 2,
	FILE_F_IO_URING = 1 << 3,        /* submitted through io_uring */
	FILE_F_LSM_HOOK = 1 << 4,        /* seen at security_file_open, outside
					  * an open syscall: no fd */
	FILE_F_UNWATCHED = 1 << 5,       /* reported for what it did (a set-id
					  * bit added, times set), not for its path */
	FILE_F_CREATED = 1 << 6,         /* the open created the file */
	FILE_F_ATIME_SET = 1 << 7,       /* utimes: file_event.atime is the time set */
	FILE_F_MTIME_SET = 1 << 8,       /* utimes: file_event.mtime is the time set */
};

/*
 * Key of the watch maps: the first WATCH_KEY_LEN bytes of a path, zero
 * padded.  The same layout serves the exact-path hash (prefixlen = length in
 * bits) and the prefix LPM trie.
 */
struct watch_key {
	__u32 prefixlen; /* bits */
	char path[WATCH_KEY_LEN];
};

struct watch_value {
	__u32 access; /* enum file_access bits worth reporting */
	__u32 id;     /* index in user space's watch list */
};

/*
 * EVENT_FILE: an operation on a watched path.  data[] holds path,
 * requested (the string the process passed for path) and target (the other
 * end of a rename or link, what a symlink points to), each *_len bytes
 * without NUL.  The buffer is larger than what is ever sent (at most
 * 2 * MAX_PATH_LEN + MAX_REQUESTED_LEN bytes) so that masked offsets and
 * lengths stay inside it.
 */
#define FILE_DATA_BUF (4 * MAX_PATH_LEN)
#define FILE_DATA_MASK (2 * MAX_PATH_LEN - 1)

struct file_event {
	struct event_header hdr;
	__s32 ret;          /* fd or 0, or -errno */
	__u32 op;           /* enum file_op */
	__u32 op_flags;     /* O_* of an open; AT_* or RENAME_* of the others */
	__u32 mode;         /* create, chmod or mknod mode */
	__u32 access;       /* enum file_access of this operation */
	__u32 flags;        /* enum file_flags */
	__u32 watch_id;     /* the watch entry that matched */
	__u32 owner_uid;    /* chown: new owner, (u32)-1 = unchanged */
	__u32 owner_gid;
	__u16 path_root_len;   /* HDR_F_CHROOT: bytes of path, then of */
	__u16 target_root_len; /* target, that are the task's root (0: outside it) */
	__u16 path_len;
	__u16 requested_len;
	__u16 target_len;
	__u16 pad2;
	__s64 atime;        /* utimes: the times set, in seconds (FILE_F_*TIME_SET) */
	__s64 mtime;
	char data[FILE_DATA_BUF];
};

#define FILE_EVENT_FIXED_LEN (sizeof(struct event_header) + 64)

/* Network operations (net_event.op). */
enum net_op {
	NET_OP_CONNECT = 1,
	NET_OP_ACCEPT = 2,
	NET_OP_LISTEN = 3,
	NET_OP_BIND = 4,
	NET_OP_SEND = 5,   /* UDP sendto/sendmsg with a destination; a message
			    * that changes the audit system (AF_NETLINK) */
	NET_OP_MAX,
};

/*
 * The kernel's own errnos for a call a signal interrupted
 * (include/linux/errno.h): never seen by the program, which gets the
 * call's restart or EINTR, but seen at a syscall's exit, before the
 * signal is handled.  A record of such an exit names them
 * (monitor/output: ErrnoName).
 */
enum restart_errno {
	ERESTARTSYS = 512,
	ERESTARTNOINTR = 513,
	ERESTARTNOHAND = 514,
	ERESTART_RESTARTBLOCK = 516,
};

/* Flags in net_event.flags. */
enum net_flags {
	NET_F_SYSCALL = 1 << 0,   /* seen at the syscall */
	NET_F_KERNEL = 1 << 1,    /* seen by the kernel's TCP state change */
	NET_F_NO_RESULT = 1 << 2, /* no syscall result (kernel view only) */
	NET_F_FOLDED = 1 << 3,    /* first of a fold window: repeats are counted */
};


/*
 * EVENT_NET: a connection, accept, listen, bind or UDP send.  Addresses are
 * in network byte order (IPv4 in the first 4 bytes), ports in host order.
 * src is the local end, dst the remote end (for accept: the peer).
 */
struct net_event {
	struct event_header hdr;
	__s32 ret;          /* 0, fd (accept), or -errno */
	__u32 op;           /* enum net_op */
	__u32 flags;        /* enum net_flags */
	__u32 backlog;      /* listen */
	__u16 family;       /* AF_INET, AF_INET6, AF_UNIX, AF_NETLINK */
	__u16 protocol;     /* IPPROTO_TCP, IPPROTO_UDP, 0; NETLINK_AUDIT */
	__u16 sock_type;    /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 sport;
	__u16 dport;
	__u16 unix_path_len;
	__u32 pad;
	__u8 saddr[16];
	__u8 daddr[16];
	char unix_path[UNIX_PATH_LEN];
	__u32 pad2;
	/* AF_NETLINK: the audit message (enum audit_reported), and for
	 * AUDIT_SET the first words of its struct audit_status: mask,
	 * enabled, failure, pid, rate_limit */
	__u32 audit_type;
	__u32 audit_status[5];
};

/* The audit netlink messages reported: those that change the audit
 * system.  Queries (AUDIT_GET, AUDIT_LIST_RULES) and the user-space log
 * lines (AUDIT_USER_*) are everyday. */
enum audit_reported {
	REPORT_AUDIT_SET = 1001,
	REPORT_AUDIT_ADD_RULE = 1011,
	REPORT_AUDIT_DEL_RULE = 1012,
	REPORT_AUDIT_TRIM = 1014,
	REPORT_AUDIT_MAKE_EQUIV = 1015,
	REPORT_AUDIT_SET_FEATURE = 1018,
};

/*
 * UDP sends are folded per (process, destination): the first is sent as an
 * event, later ones are only counted here until user space closes the
 * window and reports the count.
 */
struct fold_key {
	__u32 pid;
	__u16 family;
	__u16 port;
	__u8 addr[16];
};

struct fold_value {
	__u64 first_ns;  /* CLOCK_BOOTTIME of the event that opened the window */
	__u64 last_ns;
	__u64 count;     /* sends in the window, the first included */
	__u32 uid;
	__u16 op;        /* enum net_op of the first */
	__u16 protocol;
};

/* A task's credentials (struct cred), as compared at every transition. */
struct cred_snap {
	__u32 uid, euid, suid, fsuid;
	__u32 gid, egid, sgid, fsgid;
	__u64 cap_effective;
	__u64 cap_permitted;
};

/*
 * Security-sensitive syscalls are one table, defined in Go
 * (monitor/syscalls) and loaded into the "syscall_table" array map indexed
 * by syscall number (SYSCALL_TABLE_LEN): adding a syscall is one line there.
 */

enum syscall_spec_flags {
	SC_NONROOT_ONLY = 1 << 0, /* report only when the caller's euid is not 0 */
	SC_CLONE_NS = 1 << 1,     /* clone/clone3: only with CLONE_NEW* flags */
	SC_CREDS = 1 << 2,        /* changes credentials: compare before/after */
	SC_CLONE3 = 1 << 3,       /* flags are in the user struct clone_args */
	SC_PRCTL = 1 << 4,        /* prctl: only the security-relevant options */
	SC_PTRACE = 1 << 5,       /* ptrace: only attach, traceme and writes */
	SC_SELF_TARGET = 1 << 6,  /* only when the first argument is our pid */
	SC_SYSLOG = 1 << 7,       /* syslog: only the actions that clear the log */
};

/* A filter on the arguments that only one call needs (syscall_spec.filter). */
enum syscall_spec_filter {
	SC_FILTER_NONE = 0,
	SC_FILTER_RAW_SOCKET = 1, /* socket: packet and raw IP sockets only */
	SC_FILTER_PROC_MEM = 2,   /* pwrite64: into /proc/<pid>/mem only */
};

struct syscall_spec {
	__u8 enabled;
	__u8 str[3];   /* 1-based argument index of a string to copy, 0: none */
	__u8 fd_arg;   /* 1-based argument index of an fd whose path to resolve */
	__u8 flags;    /* enum syscall_spec_flags */
	__u8 deref;    /* 1-based argument index of a pointer: its first 8 bytes
			* are copied (bpf attr, perf attr, clone_args, cap data) */
	__u8 filter;   /* enum syscall_spec_filter */
};

/* Flags in syscall_event.flags. */
enum syscall_event_flags {
	SC_F_PATH_TRUNCATED = 1 << 0,
};

/*
 * EVENT_SYSCALL: one call of a table syscall, with its raw arguments, its
 * result, up to three string arguments and the path of one fd argument.
 * data[] holds str0, str1, str2, path (each *_len bytes, no NUL).
 */
struct syscall_event {
	struct event_header hdr;
	__s64 ret;
	__u64 args[6];
	__u64 deref;        /* first 8 bytes behind the spec's deref argument */
	__u32 nr;
	__u32 flags;
	__u16 str_len[3];
	__u16 path_len;
	char data[4 * SC_STR_LEN + MAX_PATH_LEN]; /* room for masked offsets */
};

#define SYSCALL_EVENT_FIXED_LEN (sizeof(struct event_header) + 80)

/* How a task's credentials changed (priv_event.means). */
enum priv_means {
	PRIV_SYSCALL = 1,     /* set*id, setgroups, capset: nr says which */
	PRIV_EXEC = 2,        /* a set-uid/set-gid or file-capability binary */
	PRIV_UNEXPLAINED = 3, /* no syscall or exec we saw: commit_creds by an exploit? */
	PRIV_UNEXPLAINED_AT_COMMIT = 4, /* the same, caught in commit_creds itself
					 * (kprobe), as it happens; nr: the syscall */
};

/*
 * EVENT_PRIV: a task gained privilege (uid/euid/fsuid 0, or capabilities).
 * For PRIV_EXEC, exe_uid/exe_mode describe the executable (its exec record
 * precedes this one on the same CPU).
 */
struct priv_event {
	struct event_header hdr;
	struct cred_snap before;
	struct cred_snap after;
	__u32 means;        /* enum priv_means */
	__u32 nr;           /* the syscall, for PRIV_SYSCALL */
	__s64 ret;
	__u32 exe_uid;
	__u32 exe_mode;
};

#endif /* __LOG_MONITOR_H */
