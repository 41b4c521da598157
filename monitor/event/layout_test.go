package event

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/internal/layout"
)

// The decoder reads the same bytes the BPF programs write: every offset,
// size and constant in event.go equals what the C compiler makes of
// bpf/log_monitor.h.
func TestLayoutMatchesCHeader(t *testing.T) {
	wantOff := map[string]uintptr{
		"event_header.ts_ns":       offHdrTs,
		"event_header.cgroup_id":   offHdrCgroupID,
		"event_header.type":        offHdrType,
		"event_header.size":        offHdrSize,
		"event_header.pid":         offHdrPid,
		"event_header.tid":         offHdrTid,
		"event_header.ppid":        offHdrPpid,
		"event_header.uid":         offHdrUID,
		"event_header.gid":         offHdrGID,
		"event_header.euid":        offHdrEUID,
		"event_header.egid":        offHdrEGID,
		"event_header.loginuid":    offHdrLoginUID,
		"event_header.flags":       offHdrFlags,
		"event_header.pad":         offHdrPad,
		"event_header.comm":        offHdrComm,
		"exec_event.ret":           offExecRet,
		"exec_event.flags":         offExecFlags,
		"exec_event.args_len":      offExecArgsLen,
		"exec_event.exe_len":       offExecExeLen,
		"exec_event.cwd_len":       offExecCwdLen,
		"exec_event.filename_len":  offExecFilenameLen,
		"exec_event.data":          offExecData,
		"exit_event.lifetime_ns":   offExitLifetime,
		"exit_event.exit_code":     offExitCode,
		"fork_event.child_pid":     offForkChildPid,
		"fork_event.child_tid":     offForkChildTid,
		"file_event.ret":           offFileRet,
		"file_event.op":            offFileOp,
		"file_event.op_flags":      offFileOpFlags,
		"file_event.owner_uid":     offFileOwnerUID,
		"file_event.owner_gid":     offFileOwnerGID,
		"file_event.mode":          offFileMode,
		"file_event.access":        offFileAccess,
		"file_event.flags":         offFileFlags,
		"file_event.watch_id":      offFileWatchID,
		"file_event.pad":           offFilePad,
		"file_event.path_len":      offFilePathLen,
		"file_event.requested_len": offFileRequestedLen,
		"file_event.target_len":    offFileTargetLen,
		"file_event.data":          offFileData,
		"watch_key.path":           4,
		"watch_value.id":           4,
		"syscall_event.ret":        offSysRet,
		"syscall_event.args":       offSysArgs,
		"syscall_event.deref":      offSysDeref,
		"syscall_event.nr":         offSysNr,
		"syscall_event.flags":      offSysFlags,
		"syscall_event.str_len":    offSysStrLen,
		"syscall_event.path_len":   offSysPathLen,
		"syscall_event.data":       offSysData,
		"priv_event.before":        offPrivBefore,
		"priv_event.after":         offPrivAfter,
		"priv_event.means":         offPrivMeans,
		"priv_event.nr":            offPrivNr,
		"priv_event.ret":           offPrivRet,
		"priv_event.exe_uid":       offPrivExeUID,
		"priv_event.exe_mode":      offPrivExeMode,
		"cred_snap.cap_effective":  32,
		"cred_snap.cap_permitted":  40,
		"cred_snap.fsgid":          28,
		"syscall_spec.str":         1,
		"syscall_spec.fd_arg":      4,
		"syscall_spec.flags":       5,
		"syscall_spec.deref":       6,
		"net_event.ret":            offNetRet,
		"net_event.op":             offNetOp,
		"net_event.flags":          offNetFlags,
		"net_event.backlog":        offNetBacklog,
		"net_event.family":         offNetFamily,
		"net_event.protocol":       offNetProtocol,
		"net_event.sock_type":      offNetSockType,
		"net_event.sport":          offNetSport,
		"net_event.dport":          offNetDport,
		"net_event.unix_path_len":  offNetUnixPathLen,
		"net_event.pad":            offNetPad,
		"net_event.saddr":          offNetSaddr,
		"net_event.daddr":          offNetDaddr,
		"net_event.pad2":           offNetPad2,
		"net_event.unix_path":      offNetUnixPath,
		"fold_key.pid":             offFoldKeyPid,
		"fold_key.family":          offFoldKeyFamily,
		"fold_key.port":            offFoldKeyPort,
		"fold_key.addr":            offFoldKeyAddr,
		"fold_value.first_ns":      offFoldFirst,
		"fold_value.last_ns":       offFoldLast,
		"fold_value.count":         offFoldCount,
		"fold_value.uid":           offFoldUID,
		"fold_value.op":            offFoldOp,
		"fold_value.protocol":      offFoldProtocol,
	}
	fields := layout.Offsets()
	if len(fields) != len(wantOff) {
		t.Errorf("C reports %d fields, Go mirrors %d", len(fields), len(wantOff))
	}
	for _, f := range fields {
		want, ok := wantOff[f.Name]
		if !ok {
			t.Errorf("%s: no Go offset", f.Name)
			continue
		}
		if f.Offset != want {
			t.Errorf("%s: C offset %d, Go offset %d", f.Name, f.Offset, want)
		}
	}

	wantSize := map[string]uintptr{
		"event_header":            HeaderSize,
		"EXEC_EVENT_FIXED_LEN":    ExecFixedSize,
		"exit_event":              ExitSize,
		"fork_event":              ForkSize,
		"FILE_EVENT_FIXED_LEN":    FileFixedSize,
		"watch_key":               WatchKeySize,
		"watch_value":             WatchValueSize,
		"net_event":               NetSize,
		"SYSCALL_EVENT_FIXED_LEN": SyscallFixedSize,
		"priv_event":              PrivSize,
		"cred_snap":               CredSnapSize,
		"syscall_spec":            SyscallSpecSize,
		"fold_key":                FoldKeySize,
		"fold_value":              FoldValueSize,
	}
	sizes := layout.Sizes()
	if len(sizes) != len(wantSize) {
		t.Errorf("C reports %d sizes, Go mirrors %d", len(sizes), len(wantSize))
	}
	for name, got := range sizes {
		if got != wantSize[name] {
			t.Errorf("sizeof %s: C %d, Go %d", name, got, wantSize[name])
		}
	}

	wantConst := map[string]int64{
		"TASK_COMM_LEN":              TaskCommLen,
		"MAX_PATH_LEN":               MaxPathLen,
		"MAX_ARGS":                   MaxArgs,
		"MAX_ARGS_SIZE":              MaxArgsSize,
		"MAX_FILENAME_LEN":           MaxFilenameLen,
		"EVENT_EXEC":                 int64(TypeExec),
		"EVENT_EXIT":                 int64(TypeExit),
		"EVENT_FORK":                 int64(TypeFork),
		"HDR_F_LOGINUID":             HdrFlagLoginUID,
		"HDR_F_COMPAT":               HdrFlagCompat,
		"HDR_F_EXE_DELETED":          HdrFlagExeDeleted,
		"PRIV_UNEXPLAINED_AT_COMMIT": PrivUnexplainedAtCommit,
		"COMPAT_TABLE_LEN":           CompatTableLen,
		"COMPAT_SOCKETCALL":          CompatSocketcall,
		"COMPAT_ID16":                CompatID16,
		"EXEC_F_ARGS_TRUNCATED":      ExecFlagArgsTruncated,
		"EXEC_F_EXE_TRUNCATED":       ExecFlagExeTruncated,
		"EXEC_F_CWD_TRUNCATED":       ExecFlagCwdTruncated,
		"EXEC_F_FILENAME_TRUNCATED":  ExecFlagFilenameTruncated,
		"EXEC_F_EXECVEAT":            ExecFlagExecveat,
		"EXEC_F_NO_SYSCALL":          ExecFlagNoSyscall,
		"STAT_OUTPUT_NOSPC":          StatOutputNoSpace,
		"STAT_OUTPUT_ERROR":          StatOutputError,
		"STAT_PENDING_FULL":          StatPendingFull,
		"STAT_SCRATCH_MISS":          StatScratchMiss,
		"STAT_FILE_CHECKED":          StatFileChecked,
		"STAT_FILE_SENT":             StatFileSent,
		"STAT_MAX":                   StatMax,
		"EVENT_SYSCALL":              int64(TypeSyscall),
		"EVENT_PRIV":                 int64(TypePriv),
		"EXEC_F_EXE_DELETED":         ExecFlagExeDeleted,
		"EXEC_F_STDIN_SOCK":          ExecFlagStdinSock,
		"EXEC_F_STDOUT_SOCK":         ExecFlagStdoutSock,
		"EXEC_F_STDERR_SOCK":         ExecFlagStderrSock,
		"EXEC_F_LD_PRELOAD":          ExecFlagLDPreload,
		"EXEC_F_COMPAT":              ExecFlagCompat,
		"SYSCALL_TABLE_LEN":          SyscallTableLen,
		"SC_STR_LEN":                 ScStrLen,
		"SC_NONROOT_ONLY":            ScNonRootOnly,
		"SC_CLONE_NS":                ScCloneNS,
		"SC_CREDS":                   ScCreds,
		"SC_CLONE3":                  ScClone3,
		"SC_PTRACE":                  ScPtrace,
		"SC_SELF_TARGET":             ScSelfTarget,
		"SC_PRCTL":                   ScPrctl,
		"SC_F_PATH_TRUNCATED":        ScFlagPathTruncated,
		"PRIV_SYSCALL":               PrivSyscall,
		"PRIV_EXEC":                  PrivExec,
		"PRIV_UNEXPLAINED":           PrivUnexplained,
		"EVENT_NET":                  int64(TypeNet),
		"STAT_NET_FOLDED":            StatNetFolded,
		"STAT_FILE_CACHED":           StatFileCached,
		"NET_OP_CONNECT":             NetOpConnect,
		"NET_OP_ACCEPT":              NetOpAccept,
		"NET_OP_LISTEN":              NetOpListen,
		"NET_OP_BIND":                NetOpBind,
		"NET_OP_SEND":                NetOpSend,
		"NET_F_SYSCALL":              NetFlagSyscall,
		"NET_F_KERNEL":               NetFlagKernel,
		"NET_F_NO_RESULT":            NetFlagNoResult,
		"NET_F_FOLDED":               NetFlagFolded,
		"UNIX_PATH_LEN":              UnixPathLen,
		"EVENT_FILE":                 int64(TypeFile),
		"MAX_REQUESTED_LEN":          MaxRequested,
		"WATCH_KEY_LEN":              WatchKeyLen,
		"FILE_OP_OPEN":               FileOpOpen,
		"FILE_OP_UNLINK":             FileOpUnlink,
		"FILE_OP_RMDIR":              FileOpRmdir,
		"FILE_OP_RENAME":             FileOpRename,
		"FILE_OP_CHMOD":              FileOpChmod,
		"FILE_OP_CHOWN":              FileOpChown,
		"FILE_OP_TRUNCATE":           FileOpTruncate,
		"FILE_OP_LINK":               FileOpLink,
		"FILE_OP_SYMLINK":            FileOpSymlink,
		"FILE_OP_MKNOD":              FileOpMknod,
		"ACC_READ":                   AccRead,
		"ACC_WRITE":                  AccWrite,
		"ACC_TRUNC":                  AccTrunc,
		"ACC_CHANGE":                 AccChange,
		"FILE_F_RESOLVED":            FileFlagResolved,
		"FILE_F_PATH_TRUNCATED":      FileFlagPathTruncated,
		"FILE_F_REQUESTED_TRUNCATED": FileFlagRequestedTruncated,
		"FILE_F_IO_URING":            FileFlagIOUring,
		"FILE_F_LSM_HOOK":            FileFlagLSMHook,
	}
	consts := layout.Constants()
	if len(consts) != len(wantConst) {
		t.Errorf("C reports %d constants, Go mirrors %d", len(consts), len(wantConst))
	}
	for name, got := range consts {
		want, ok := wantConst[name]
		if !ok {
			t.Errorf("%s: no Go constant", name)
		} else if got != want {
			t.Errorf("%s: C %d, Go %d", name, got, want)
		}
	}
}
