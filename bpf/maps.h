/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every map of the object, in one place, grouped by the hook family that
 * uses it.  User space finds them by name (monitor/maps.go) and tests check
 * their key and value layouts against the object's BTF: a name, type, size,
 * key or value changed here must change there too.
 *
 * The records and the map entries user space writes are defined in
 * log_monitor.h; the entries only the kernel side keeps (pending syscall
 * arguments, the path walker's buffer, the verdict cache) are defined in
 * the types section below.  Settings stay `const volatile` globals beside
 * the code that reads them.
 */
#ifndef __LOG_MONITOR_MAPS_H
#define __LOG_MONITOR_MAPS_H

#include "base.h"

/* Types: entries no record or user space shares. */

/* The path walker's buffer (walk_path, common.h).
 * [0, MAX_PATH_LEN): the walked path, right-aligned; MAX_PATH_LEN: '/';
 * then a requested relative name (build_path_at); the rest is slack so a
 * masked offset plus a bounded length stays inside. */
#define PATH_BUF_LEN (MAX_PATH_LEN * 3)

/* What crosses from one turn of the walk (walk_turn, common.h) to the
 * next: kernel pointers, read as numbers. */
struct walk_state {
	struct dentry *dentry, *mnt_root, *root_dentry;
	struct vfsmount *vfsmnt, *root_mnt;
	struct mount *mnt, *mnt_parent;
	long truncated;
};

struct path_buf {
	char buf[PATH_BUF_LEN];
	/* the walk's state where it is walked in chunks (5.10: walk_turns) */
	struct walk_state walk;
	/* The write cursor lives here, not in a register: a value loaded from
	 * a map is unknown to the verifier, so every loop iteration starts from
	 * the same state and the walk verifies in linear time instead of
	 * exploding over the range of the offset. */
	__u32 off;
	__u32 root_at; /* the cursor where the walk met the task's root, or 0 */
};

struct file_pending {
	__u64 name;   /* user pointer: the path acted on (0: use fd) */
	__u64 name2;  /* user pointer: rename/link destination, symlink target */
	__s32 dfd;
	__s32 dfd2;
	__s32 fd;     /* fchmod, fchown, ftruncate */
	__u32 flags;  /* O_* of an open; AT_* or RENAME_* */
	__u32 mode;
	__u32 op;     /* enum file_op */
	__u32 uid;    /* chown */
	__u32 gid;
	__s64 atime;  /* utimes: the times asked for, seconds */
	__s64 mtime;
	__u32 times_set; /* FILE_F_ATIME_SET | FILE_F_MTIME_SET */
	__u32 pad;
};

/* A slot of the verdict cache (path_verdicts, below). */
#define VERDICT_SLOTS 8192

struct verdict_key {
	__u64 dentry;
	__u64 mnt;
	__u64 parent;
	__u64 ino; /* the inode's address */
	__u64 id;  /* i_ino ^ the name's hash (maps.h, path_verdicts) */
};

struct verdict_slot {
	struct verdict_key key;
	__u64 gen;
	__u64 match; /* match_path's result */
};

/* A key of the name cache (name_verdicts, below): what a requested
 * name's path is built from. */
#define NAME_KEY_LEN 64
#define NAME_SLOTS 1024

struct name_key {
	/* the directory a relative name starts from (zero for an absolute
	 * one), and the task's root: dentry and vfsmount addresses */
	__u64 base_dentry, base_mnt;
	__u64 root_dentry, root_mnt;
	char name[NAME_KEY_LEN]; /* as the call gave it, zero padded */
};

/* build_path_at's input (name_key_scratch): the key, and the name in the
 * task's memory for one too long for the key */
struct name_scratch {
	struct name_key key;
	__u64 uname;    /* the name's address in the task */
	__u32 in_key;   /* key.name holds the whole name */
	__u32 cacheable; /* the key is the path's: in_key, and the base known */
};

struct name_slot {
	struct name_key key;
	__u64 gen;
	__u64 match; /* match_path's result */
};

/*
 * Every hook family: the transport to user space and the loss counters
 * (emit, common.h), the monitor's own threads (task_newtask adds them, the
 * kill filter of syscall.h reads them) and the path walker's buffer.
 */

/* The transport: common.h's use_ringbuf picks one at load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* resized by the loader */
} ringbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* The monitor's own thread ids (tkill takes a thread id): the loader
 * writes those running at start, task_newtask adds the later ones. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} self_tids SEC(".maps");

/*
 * The open calls the monitor made itself, by syscall number (a value of 1:
 * seen).  The loader's proof that a hook on the function the opens share
 * (do_sys_openat2, monitor/syscalls/functions.go) sees each of them: it
 * makes each call and looks here.  Written only by the monitor's threads.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u8);
} self_opens SEC(".maps");

/*
 * Processes whose stopping is news: the audit and logging daemons.  A
 * signal to one is reported like a signal to the monitor (SC_SELF_TARGET).
 * User space writes their names (protected_comms, task comm as the kernel
 * keeps it, zero padded) and the ones running at start; an exec under one
 * of those names adds its process, its exit removes it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[TASK_COMM_LEN]);
	__type(value, __u8);
} protected_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} protected_tgids SEC(".maps");

/* Per-CPU counters of what the kernel side could not deliver. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

/*
 * Credentials (creds.h): stored when a task is created, execs or calls
 * set*id, checked at every monitored syscall's exit, dropped when it exits;
 * the commit_creds kprobe (kprobes.h) reports and stores too.
 */

/*
 * Live tasks only: an entry is made when the task is created (or first seen)
 * and deleted when it exits (process.h).  Not an LRU: an evicted entry would
 * make that task's next root gain a "first sight" and pass unseen.  When the
 * table is full a new task goes untracked, and that is counted
 * (STAT_CREDS_FULL, reported as a loss).  Entries are allocated as tasks
 * come where tracing programs may do so safely (6.1's BPF allocator; the
 * 6.4 object): preallocated, the table took 6.4 MB of kernel memory at
 * start for a few hundred tasks, and zeroing it was 2 % of a start under
 * emulation.  Before 6.1 the verifier warns (WARN_ONCE) at such a map in a
 * tracing program.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
#ifdef BUILD_6_4
	__uint(map_flags, BPF_F_NO_PREALLOC);
#endif
	__type(key, __u32); /* tid */
	__type(value, struct cred_snap);
} task_creds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct priv_event);
} priv_scratch SEC(".maps");

/*
 * Process lifecycle (process.h): the execs' exits (failures), and
 * sched_process_exec.
 */

/* The exec syscall of each exec in flight (enum exec_flags), from
 * task_rename to sched_process_exec.  LRU: an exec that fails after the
 * rename (the task is killed) leaves its entry, so an entry holds the
 * task's start time too: a later task given the same tid, whose exec the
 * kernel starts (no rename in an exec syscall), does not take the dead
 * one's flags.  (de_thread, before the rename, gives an exec'ing thread
 * its leader's tid and start time: both ends see the same pair.) */
struct exec_call {
	__u64 start_time; /* task_struct.start_time */
	__u32 flags;      /* enum exec_flags */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* tid */
	__type(value, struct exec_call);
} exec_calls SEC(".maps");

/* One exec record per CPU: too big for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} exec_scratch SEC(".maps");

/*
 * The names of each cgroup a record came from, by cgroup id (filled by
 * fill_header, read by user space on its first record from that cgroup).
 * LRU: a cgroup gone long ago makes room.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct cgroup_names);
} cgroup_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_names);
} cgroup_scratch SEC(".maps");

/*
 * File access (file.h): the file syscalls' exits, io_uring_complete and
 * security_file_open (kprobes.h).
 */

/*
 * Processes that have created a file or directory (an open that created
 * it, mkdir, mknod, symlink): their explicit file times are a restore (tar
 * x, cp -p, rsync -t, dpkg), not timestomping (file.h, FILE_OP_UTIMES).
 * Left at the process's exit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} creators SEC(".maps");

/* Exact watched paths, and watched directory prefixes (filled at start). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct watch_key);
	__type(value, struct watch_value);
} watch_exact SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for LPM tries */
	__type(key, struct watch_key);
	__type(value, struct watch_value);
} watch_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_key);
} watch_scratch SEC(".maps");

/*
 * Verdict cache: most opens are of the same few ordinary files, and walking
 * a path costs ~2 us.  The verdict (match_path's result) is kept per opened
 * dentry, with its mount, parent and inode addresses and the inode's number
 * and the name's hash: addresses alone come back together (a short-lived
 * process's /proc/<pid>/stat dentry, parent and inode were reused for the
 * next one's /proc/<pid>/mem: 27 of 300 such opens went unreported on
 * 5.10), the number and the hash tell those apart.  Anything that can move
 * a path under a cached dentry -- a rename, a mount change, a new watch
 * list -- bumps the generation, which invalidates every verdict at once.  What it cannot see
 * (a rename through io_uring or a 32-bit call) could leave a stale verdict
 * until the next generation: README, known limits.
 *
 * It is a direct-mapped table per CPU, like a CPU cache: the key picks one
 * slot, the slot holds the whole key, and a slot holding another file is a
 * miss that overwrites it.  A hit is an inlined array lookup and five
 * compares, where a hash map lookup was a call that hashed and compared 32
 * bytes (65 of the ~125 ns an ordinary open cost us, measured with
 * bpf_stats).  Per CPU, so no other CPU can tear a slot while it is read or
 * written; on its own CPU the table is only used from task context (a
 * syscall's exit, security_file_open, an io_uring open's completion), and
 * a task-context program is not interrupted by another that uses it.  The
 * whole key is compared, so a verdict can never be another file's.  8,192
 * slots of 56 bytes per CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VERDICT_SLOTS);
	__type(key, __u32);
	__type(value, struct verdict_slot);
} path_verdicts SEC(".maps");

/*
 * The same for requested names (name_key): a file change by name (chmod,
 * chown, unlink, mkdir, ...) and a failed open have no struct file, and
 * their path used to be built and matched at every call (a chmod of an
 * unwatched file: about 4,500 guest instructions of our programs on 6.12,
 * bench/README).  The key is what the path is built from: the base
 * directory and the task's root (dentry and mount each, so another mount
 * namespace or chroot is another key) and the name itself, whole; names of
 * NAME_KEY_LEN bytes or more are not cached.  The path is then built from
 * the key (name_key_scratch), not from the task and user memory again, so
 * a thread changing its cwd or rewriting the name meanwhile cannot file
 * one path's verdict under another's key (every name is built through
 * this scratch, cached or not).  Direct-mapped per CPU and
 * invalidated by verdict_gen like path_verdicts; a name is compared whole,
 * so a hash collision only evicts.  The verdict of a path string is as
 * stable as the string: what can move it (a rename of a directory above, a
 * mount change, a new watch list) bumps the generation.  1,024 slots of
 * 112 bytes per CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NAME_SLOTS);
	__type(key, __u32);
	__type(value, struct name_slot);
} name_verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_scratch);
} name_key_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} verdict_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_event);
} file_scratch SEC(".maps");

/*
 * A file operation's arguments on their way to its judgement (file.h:
 * file_change_judge, file_open_judge).  They pass through this map so that
 * the verifier, which reads them back as unknown numbers, walks the
 * judgement once, not once per call.
 */
struct file_judged {
	struct file_pending p;
	__u32 access;  /* an open's (enum file_access), ACC_CREATE included;
			* a change's, of the path acted on */
	__u32 fflags;  /* FILE_F_* so far */
	__u32 access2; /* a change's, of the other end */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_judged);
} judge_scratch SEC(".maps");

/*
 * Network (net.h): the socket syscalls at raw_syscalls, and
 * sock:inet_sock_set_state.
 */

/* LRU: an entry whose exit we never see (a task killed inside connect)
 * must not fill the table for good. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32); /* tid */
	__type(value, __u64); /* the socket sock:inet_sock_set_state saw start
			       * a handshake inside that thread's connect (net.h) */
} net_handshakes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_event);
} net_scratch SEC(".maps");

/* A socket call's arguments, as the exit reads them back. */
struct net_call {
	__u64 addr;     /* user sockaddr (connect, bind, sendto) or msghdr */
	__u64 buf;      /* sendto: the message; sendmsg: its iovec array */
	__u32 op;       /* enum net_op */
	__s32 fd;
	__u32 addrlen;
	__u32 backlog;
	__u32 is_msg;   /* addr is a user_msghdr (sendmsg): 1, or an i386
			 * compat_msghdr (32-bit msg_name first): 2 */
	__u32 pad;
};

/* Every record's header, as fill_header_current fills it (common.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_header);
} header_scratch SEC(".maps");

/*
 * A socket call's arguments as net_args parsed them (struct net_call,
 * net.h), for net_exit to read back as unknown numbers: carried on the
 * stack, each call's constants (its operation, whether a msghdr) kept the
 * verifier walking the judgement once per call, as judge_scratch explains
 * for the file calls.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_call);
} net_call_scratch SEC(".maps");

/* UDP destinations being folded (see log_monitor.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fold_key);
	__type(value, struct fold_value);
} net_fold SEC(".maps");

/* Unix sockets whose connects are reported (container runtimes, ...). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[UNIX_PATH_LEN]);
	__type(value, __u32);
} unix_watch SEC(".maps");

/*
 * Table syscalls (syscall.h): judged at their exit; the commit_creds
 * kprobe reads the table too.
 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_LEN);
	__type(key, __u32);
	__type(value, struct syscall_spec);
} syscall_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_event);
} sc_scratch SEC(".maps");

/*
 * Syscall dispatch (syscalls.h): the tp_btf sys_enter and sys_exit
 * programs, and the kprobes (kprobes.h), translate 32-bit compat numbers
 * through it (our_nr).
 */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, COMPAT_TABLE_LEN);
	__type(key, __u32);   /* i386 number */
	__type(value, __u32); /* x86-64 number, 0: not hooked */
} compat_syscalls SEC(".maps");

#endif /* __LOG_MONITOR_MAPS_H */
