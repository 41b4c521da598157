// Package layout compiles bpf/log_monitor.h with the C compiler and reports
// the sizes and offsets it sees, so a test can prove the Go decoder reads
// the same bytes the BPF programs write.  It exists only for that test.
package layout

/*
#cgo CFLAGS: -I${SRCDIR}/../../../bpf
#include <stddef.h>
#include "log_monitor.h"

struct field { const char *name; unsigned long off; };
static const struct field fields[] = {
	{"event_header.ts_ns", offsetof(struct event_header, ts_ns)},
	{"event_header.cgroup_id", offsetof(struct event_header, cgroup_id)},
	{"event_header.type", offsetof(struct event_header, type)},
	{"event_header.size", offsetof(struct event_header, size)},
	{"event_header.pid", offsetof(struct event_header, pid)},
	{"event_header.tid", offsetof(struct event_header, tid)},
	{"event_header.ppid", offsetof(struct event_header, ppid)},
	{"event_header.uid", offsetof(struct event_header, uid)},
	{"event_header.gid", offsetof(struct event_header, gid)},
	{"event_header.euid", offsetof(struct event_header, euid)},
	{"event_header.egid", offsetof(struct event_header, egid)},
	{"event_header.loginuid", offsetof(struct event_header, loginuid)},
	{"event_header.flags", offsetof(struct event_header, flags)},
	{"event_header.pad", offsetof(struct event_header, pad)},
	{"event_header.comm", offsetof(struct event_header, comm)},
	{"exec_event.ret", offsetof(struct exec_event, ret)},
	{"exec_event.flags", offsetof(struct exec_event, flags)},
	{"exec_event.args_len", offsetof(struct exec_event, args_len)},
	{"exec_event.exe_len", offsetof(struct exec_event, exe_len)},
	{"exec_event.cwd_len", offsetof(struct exec_event, cwd_len)},
	{"exec_event.filename_len", offsetof(struct exec_event, filename_len)},
	{"exec_event.data", offsetof(struct exec_event, data)},
	{"exit_event.lifetime_ns", offsetof(struct exit_event, lifetime_ns)},
	{"exit_event.exit_code", offsetof(struct exit_event, exit_code)},
	{"fork_event.child_pid", offsetof(struct fork_event, child_pid)},
	{"fork_event.child_tid", offsetof(struct fork_event, child_tid)},
	{"file_event.ret", offsetof(struct file_event, ret)},
	{"file_event.op", offsetof(struct file_event, op)},
	{"file_event.op_flags", offsetof(struct file_event, op_flags)},
	{"file_event.owner_uid", offsetof(struct file_event, owner_uid)},
	{"file_event.owner_gid", offsetof(struct file_event, owner_gid)},
	{"file_event.mode", offsetof(struct file_event, mode)},
	{"file_event.access", offsetof(struct file_event, access)},
	{"file_event.flags", offsetof(struct file_event, flags)},
	{"file_event.watch_id", offsetof(struct file_event, watch_id)},
	{"file_event.pad", offsetof(struct file_event, pad)},
	{"file_event.path_len", offsetof(struct file_event, path_len)},
	{"file_event.requested_len", offsetof(struct file_event, requested_len)},
	{"file_event.target_len", offsetof(struct file_event, target_len)},
	{"file_event.data", offsetof(struct file_event, data)},
	{"watch_key.path", offsetof(struct watch_key, path)},
	{"syscall_event.ret", offsetof(struct syscall_event, ret)},
	{"syscall_event.args", offsetof(struct syscall_event, args)},
	{"syscall_event.deref", offsetof(struct syscall_event, deref)},
	{"syscall_event.nr", offsetof(struct syscall_event, nr)},
	{"syscall_event.flags", offsetof(struct syscall_event, flags)},
	{"syscall_event.str_len", offsetof(struct syscall_event, str_len)},
	{"syscall_event.path_len", offsetof(struct syscall_event, path_len)},
	{"syscall_event.data", offsetof(struct syscall_event, data)},
	{"priv_event.before", offsetof(struct priv_event, before)},
	{"priv_event.after", offsetof(struct priv_event, after)},
	{"priv_event.means", offsetof(struct priv_event, means)},
	{"priv_event.nr", offsetof(struct priv_event, nr)},
	{"priv_event.ret", offsetof(struct priv_event, ret)},
	{"priv_event.exe_uid", offsetof(struct priv_event, exe_uid)},
	{"priv_event.exe_mode", offsetof(struct priv_event, exe_mode)},
	{"cred_snap.cap_effective", offsetof(struct cred_snap, cap_effective)},
	{"cred_snap.cap_permitted", offsetof(struct cred_snap, cap_permitted)},
	{"cred_snap.fsgid", offsetof(struct cred_snap, fsgid)},
	{"syscall_spec.str", offsetof(struct syscall_spec, str)},
	{"syscall_spec.fd_arg", offsetof(struct syscall_spec, fd_arg)},
	{"syscall_spec.flags", offsetof(struct syscall_spec, flags)},
	{"syscall_spec.deref", offsetof(struct syscall_spec, deref)},
	{"net_event.ret", offsetof(struct net_event, ret)},
	{"net_event.op", offsetof(struct net_event, op)},
	{"net_event.flags", offsetof(struct net_event, flags)},
	{"net_event.backlog", offsetof(struct net_event, backlog)},
	{"net_event.family", offsetof(struct net_event, family)},
	{"net_event.protocol", offsetof(struct net_event, protocol)},
	{"net_event.sock_type", offsetof(struct net_event, sock_type)},
	{"net_event.sport", offsetof(struct net_event, sport)},
	{"net_event.dport", offsetof(struct net_event, dport)},
	{"net_event.unix_path_len", offsetof(struct net_event, unix_path_len)},
	{"net_event.pad", offsetof(struct net_event, pad)},
	{"net_event.saddr", offsetof(struct net_event, saddr)},
	{"net_event.daddr", offsetof(struct net_event, daddr)},
	{"net_event.unix_path", offsetof(struct net_event, unix_path)},
	{"net_event.pad2", offsetof(struct net_event, pad2)},
	{"fold_key.pid", offsetof(struct fold_key, pid)},
	{"fold_key.family", offsetof(struct fold_key, family)},
	{"fold_key.port", offsetof(struct fold_key, port)},
	{"fold_key.addr", offsetof(struct fold_key, addr)},
	{"fold_value.first_ns", offsetof(struct fold_value, first_ns)},
	{"fold_value.last_ns", offsetof(struct fold_value, last_ns)},
	{"fold_value.count", offsetof(struct fold_value, count)},
	{"fold_value.uid", offsetof(struct fold_value, uid)},
	{"fold_value.op", offsetof(struct fold_value, op)},
	{"fold_value.protocol", offsetof(struct fold_value, protocol)},
	{"watch_value.id", offsetof(struct watch_value, id)},
};
static int nfields(void) { return sizeof(fields) / sizeof(fields[0]); }
static const char *field_name(int i) { return fields[i].name; }
static unsigned long field_off(int i) { return fields[i].off; }
static unsigned long hdr_size(void) { return sizeof(struct event_header); }
static unsigned long exec_fixed(void) { return EXEC_EVENT_FIXED_LEN; }
static unsigned long exit_size(void) { return sizeof(struct exit_event); }
static unsigned long fork_size(void) { return sizeof(struct fork_event); }
static unsigned long file_fixed(void) { return FILE_EVENT_FIXED_LEN; }
static unsigned long watch_key_size(void) { return sizeof(struct watch_key); }
static unsigned long watch_value_size(void) { return sizeof(struct watch_value); }
static unsigned long net_size(void) { return sizeof(struct net_event); }
static unsigned long sys_fixed(void) { return SYSCALL_EVENT_FIXED_LEN; }
static unsigned long priv_size(void) { return sizeof(struct priv_event); }
static unsigned long cred_size(void) { return sizeof(struct cred_snap); }
static unsigned long spec_size(void) { return sizeof(struct syscall_spec); }
static unsigned long fold_key_size(void) { return sizeof(struct fold_key); }
static unsigned long fold_value_size(void) { return sizeof(struct fold_value); }
*/
import "C"

// Field is one field's offset as C sees it.
type Field struct {
	Name   string
	Offset uintptr
}

// Sizes returns sizeof of each record as C sees it.
func Sizes() map[string]uintptr {
	return map[string]uintptr{
		"event_header":            uintptr(C.hdr_size()),
		"EXEC_EVENT_FIXED_LEN":    uintptr(C.exec_fixed()),
		"exit_event":              uintptr(C.exit_size()),
		"fork_event":              uintptr(C.fork_size()),
		"FILE_EVENT_FIXED_LEN":    uintptr(C.file_fixed()),
		"watch_key":               uintptr(C.watch_key_size()),
		"watch_value":             uintptr(C.watch_value_size()),
		"net_event":               uintptr(C.net_size()),
		"SYSCALL_EVENT_FIXED_LEN": uintptr(C.sys_fixed()),
		"priv_event":              uintptr(C.priv_size()),
		"cred_snap":               uintptr(C.cred_size()),
		"syscall_spec":            uintptr(C.spec_size()),
		"fold_key":                uintptr(C.fold_key_size()),
		"fold_value":              uintptr(C.fold_value_size()),
	}
}

// Offsets returns the C offsets of every field the decoder reads.
func Offsets() []Field {
	n := int(C.nfields())
	out := make([]Field, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, Field{C.GoString(C.field_name(C.int(i))), uintptr(C.field_off(C.int(i)))})
	}
	return out
}

// Constants returns the header's #defines and enum values the Go side mirrors.
func Constants() map[string]int64 {
	return map[string]int64{
		"TASK_COMM_LEN":              C.TASK_COMM_LEN,
		"MAX_PATH_LEN":               C.MAX_PATH_LEN,
		"MAX_ARGS":                   C.MAX_ARGS,
		"MAX_ARGS_SIZE":              C.MAX_ARGS_SIZE,
		"MAX_FILENAME_LEN":           C.MAX_FILENAME_LEN,
		"EVENT_EXEC":                 C.EVENT_EXEC,
		"EVENT_EXIT":                 C.EVENT_EXIT,
		"EVENT_FORK":                 C.EVENT_FORK,
		"HDR_F_LOGINUID":             C.HDR_F_LOGINUID,
		"HDR_F_COMPAT":               C.HDR_F_COMPAT,
		"HDR_F_EXE_DELETED":          C.HDR_F_EXE_DELETED,
		"PRIV_UNEXPLAINED_AT_COMMIT": C.PRIV_UNEXPLAINED_AT_COMMIT,
		"COMPAT_TABLE_LEN":           C.COMPAT_TABLE_LEN,
		"COMPAT_SOCKETCALL":          C.COMPAT_SOCKETCALL,
		"COMPAT_ID16":                C.COMPAT_ID16,
		"EXEC_F_ARGS_TRUNCATED":      C.EXEC_F_ARGS_TRUNCATED,
		"EXEC_F_EXE_TRUNCATED":       C.EXEC_F_EXE_TRUNCATED,
		"EXEC_F_CWD_TRUNCATED":       C.EXEC_F_CWD_TRUNCATED,
		"EXEC_F_FILENAME_TRUNCATED":  C.EXEC_F_FILENAME_TRUNCATED,
		"EXEC_F_EXECVEAT":            C.EXEC_F_EXECVEAT,
		"EXEC_F_NO_SYSCALL":          C.EXEC_F_NO_SYSCALL,
		"STAT_OUTPUT_NOSPC":          C.STAT_OUTPUT_NOSPC,
		"STAT_OUTPUT_ERROR":          C.STAT_OUTPUT_ERROR,
		"STAT_PENDING_FULL":          C.STAT_PENDING_FULL,
		"STAT_SCRATCH_MISS":          C.STAT_SCRATCH_MISS,
		"STAT_FILE_CHECKED":          C.STAT_FILE_CHECKED,
		"STAT_FILE_SENT":             C.STAT_FILE_SENT,
		"STAT_MAX":                   C.STAT_MAX,
		"EVENT_SYSCALL":              C.EVENT_SYSCALL,
		"EVENT_PRIV":                 C.EVENT_PRIV,
		"EXEC_F_EXE_DELETED":         C.EXEC_F_EXE_DELETED,
		"EXEC_F_STDIN_SOCK":          C.EXEC_F_STDIN_SOCK,
		"EXEC_F_STDOUT_SOCK":         C.EXEC_F_STDOUT_SOCK,
		"EXEC_F_STDERR_SOCK":         C.EXEC_F_STDERR_SOCK,
		"EXEC_F_LD_PRELOAD":          C.EXEC_F_LD_PRELOAD,
		"EXEC_F_COMPAT":              C.EXEC_F_COMPAT,
		"SYSCALL_TABLE_LEN":          C.SYSCALL_TABLE_LEN,
		"SC_STR_LEN":                 C.SC_STR_LEN,
		"SC_NONROOT_ONLY":            C.SC_NONROOT_ONLY,
		"SC_CLONE_NS":                C.SC_CLONE_NS,
		"SC_CREDS":                   C.SC_CREDS,
		"SC_CLONE3":                  C.SC_CLONE3,
		"SC_PTRACE":                  C.SC_PTRACE,
		"SC_SELF_TARGET":             C.SC_SELF_TARGET,
		"SC_PRCTL":                   C.SC_PRCTL,
		"SC_F_PATH_TRUNCATED":        C.SC_F_PATH_TRUNCATED,
		"PRIV_SYSCALL":               C.PRIV_SYSCALL,
		"PRIV_EXEC":                  C.PRIV_EXEC,
		"PRIV_UNEXPLAINED":           C.PRIV_UNEXPLAINED,
		"EVENT_NET":                  C.EVENT_NET,
		"STAT_NET_FOLDED":            C.STAT_NET_FOLDED,
		"STAT_FILE_CACHED":           C.STAT_FILE_CACHED,
		"NET_OP_CONNECT":             C.NET_OP_CONNECT,
		"NET_OP_ACCEPT":              C.NET_OP_ACCEPT,
		"NET_OP_LISTEN":              C.NET_OP_LISTEN,
		"NET_OP_BIND":                C.NET_OP_BIND,
		"NET_OP_SEND":                C.NET_OP_SEND,
		"NET_F_SYSCALL":              C.NET_F_SYSCALL,
		"NET_F_KERNEL":               C.NET_F_KERNEL,
		"NET_F_NO_RESULT":            C.NET_F_NO_RESULT,
		"NET_F_FOLDED":               C.NET_F_FOLDED,
		"UNIX_PATH_LEN":              C.UNIX_PATH_LEN,
		"EVENT_FILE":                 C.EVENT_FILE,
		"MAX_REQUESTED_LEN":          C.MAX_REQUESTED_LEN,
		"WATCH_KEY_LEN":              C.WATCH_KEY_LEN,
		"FILE_OP_OPEN":               C.FILE_OP_OPEN,
		"FILE_OP_UNLINK":             C.FILE_OP_UNLINK,
		"FILE_OP_RMDIR":              C.FILE_OP_RMDIR,
		"FILE_OP_RENAME":             C.FILE_OP_RENAME,
		"FILE_OP_CHMOD":              C.FILE_OP_CHMOD,
		"FILE_OP_CHOWN":              C.FILE_OP_CHOWN,
		"FILE_OP_TRUNCATE":           C.FILE_OP_TRUNCATE,
		"FILE_OP_LINK":               C.FILE_OP_LINK,
		"FILE_OP_SYMLINK":            C.FILE_OP_SYMLINK,
		"FILE_OP_MKNOD":              C.FILE_OP_MKNOD,
		"ACC_READ":                   C.ACC_READ,
		"ACC_WRITE":                  C.ACC_WRITE,
		"ACC_TRUNC":                  C.ACC_TRUNC,
		"ACC_CHANGE":                 C.ACC_CHANGE,
		"FILE_F_RESOLVED":            C.FILE_F_RESOLVED,
		"FILE_F_PATH_TRUNCATED":      C.FILE_F_PATH_TRUNCATED,
		"FILE_F_REQUESTED_TRUNCATED": C.FILE_F_REQUESTED_TRUNCATED,
		"FILE_F_IO_URING":            C.FILE_F_IO_URING,
		"FILE_F_LSM_HOOK":            C.FILE_F_LSM_HOOK,
	}
}
