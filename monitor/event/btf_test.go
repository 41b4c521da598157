package event

import (
	"errors"
	"os"
	"sort"
	"testing"

	"github.com/cilium/ebpf/btf"
)

// bpfObject is the compiled BPF object (make bpf), the one the monitor embeds.
const bpfObject = "../log_monitor.bpf.o"

// goStructs is the Go decoder's view of each record: every field's byte
// offset (the constants the decoder reads at) and the size.  A record whose
// tail is variable data has its fixed part as size.
var goStructs = map[string]struct {
	size   uint32
	fields map[string]uint32
}{
	"event_header": {HeaderSize, map[string]uint32{
		"ts_ns": offHdrTs, "cgroup_id": offHdrCgroupID, "type": offHdrType, "size": offHdrSize,
		"pid": offHdrPid, "tid": offHdrTid, "ppid": offHdrPpid, "uid": offHdrUID, "gid": offHdrGID,
		"euid": offHdrEUID, "egid": offHdrEGID, "loginuid": offHdrLoginUID, "flags": offHdrFlags,
		"mnt_ns": offHdrMntNS, "vpid": offHdrVPID, "pid_ns": offHdrPidNS, "net_ns": offHdrNetNS,
		"user_ns": offHdrUserNS, "comm": offHdrComm,
	}},
	"exec_event": {ExecFixedSize, map[string]uint32{
		"hdr": 0, "ret": offExecRet, "flags": offExecFlags, "args_len": offExecArgsLen,
		"exe_len": offExecExeLen, "cwd_len": offExecCwdLen, "filename_len": offExecFilenameLen,
		"exe_root_len": offExecExeRootLen, "cwd_root_len": offExecCwdRootLen,
		"preload_len": offExecPreloadLen, "pad": offExecPad,
		"stdin_pipe": offExecStdinPipe, "stdout_pipe": offExecStdoutPipe,
		"data": offExecData,
	}},
	"exit_event": {ExitSize, map[string]uint32{
		"hdr": 0, "lifetime_ns": offExitLifetime, "exit_code": offExitCode, "pad": offExitCode + 4,
	}},
	"fork_event": {ForkSize, map[string]uint32{
		"hdr": 0, "child_pid": offForkChildPid, "child_tid": offForkChildTid,
	}},
	"file_event": {FileFixedSize, map[string]uint32{
		"hdr": 0, "ret": offFileRet, "op": offFileOp, "op_flags": offFileOpFlags,
		"owner_uid": offFileOwnerUID, "owner_gid": offFileOwnerGID, "mode": offFileMode,
		"access": offFileAccess, "flags": offFileFlags, "watch_id": offFileWatchID,
		"path_root_len": offFilePathRootLen, "target_root_len": offFileTgtRootLen,
		"path_len": offFilePathLen, "requested_len": offFileRequestedLen, "target_len": offFileTargetLen,
		"pad2": offFilePad2, "atime": offFileATime, "mtime": offFileMTime, "data": offFileData,
	}},
	"cgroup_names": {CgroupLevels * CgroupNameLen, map[string]uint32{"name": 0}},
	"net_event": {NetSize, map[string]uint32{
		"hdr": 0, "ret": offNetRet, "op": offNetOp, "flags": offNetFlags, "backlog": offNetBacklog,
		"family": offNetFamily, "protocol": offNetProtocol, "sock_type": offNetSockType,
		"sport": offNetSport, "dport": offNetDport, "unix_path_len": offNetUnixPathLen, "pad": offNetPad,
		"saddr": offNetSaddr, "daddr": offNetDaddr, "unix_path": offNetUnixPath, "pad2": offNetPad2,
		"audit_type": offNetAuditType, "audit_status": offNetAuditStatus,
	}},
	"syscall_event": {SyscallFixedSize, map[string]uint32{
		"hdr": 0, "ret": offSysRet, "args": offSysArgs, "deref": offSysDeref, "nr": offSysNr,
		"flags": offSysFlags, "str_len": offSysStrLen, "path_len": offSysPathLen, "data": offSysData,
	}},
	"priv_event": {PrivSize, map[string]uint32{
		"hdr": 0, "before": offPrivBefore, "after": offPrivAfter, "means": offPrivMeans, "nr": offPrivNr,
		"ret": offPrivRet, "exe_uid": offPrivExeUID, "exe_mode": offPrivExeMode,
	}},
	"cred_snap": {CredSnapSize, map[string]uint32{
		"uid": offCredUID, "euid": offCredEUID, "suid": offCredSUID, "fsuid": offCredFSUID,
		"gid": offCredGID, "egid": offCredEGID, "sgid": offCredSGID, "fsgid": offCredFSGID,
		"cap_effective": offCredCapEff, "cap_permitted": offCredCapPermitt,
	}},
	"fold_key": {FoldKeySize, map[string]uint32{
		"pid": offFoldKeyPid, "family": offFoldKeyFamily, "port": offFoldKeyPort, "addr": offFoldKeyAddr,
	}},
	"fold_value": {FoldValueSize, map[string]uint32{
		"first_ns": offFoldFirst, "last_ns": offFoldLast, "count": offFoldCount, "uid": offFoldUID,
		"op": offFoldOp, "protocol": offFoldProtocol,
	}},
	"watch_key": {WatchKeySize, map[string]uint32{
		"prefixlen": WatchKeyOffPrefixLen, "path": WatchKeyOffPath,
	}},
	"watch_value": {WatchValueSize, map[string]uint32{
		"access": WatchValueOffAccess, "id": WatchValueOffID,
	}},
	"syscall_spec": {SyscallSpecSize, map[string]uint32{
		"enabled": SpecOffEnabled, "str": SpecOffStr, "fd_arg": SpecOffFdArg, "flags": SpecOffFlags,
		"deref": SpecOffDeref, "filter": SpecOffFilter,
	}},
}

// goEnums is the Go decoder's copy of each enum of log_monitor.h (the header
// names the value; Go names it its own way).
var goEnums = map[string]map[string]int64{
	"sizes": {
		"MAX_PATH_LEN": MaxPathLen, "MAX_PATH_DEPTH": MaxPathDepth, "MAX_ARGS": MaxArgs,
		"MAX_ARGS_SIZE": MaxArgsSize, "MAX_FILENAME_LEN": MaxFilenameLen, "MAX_REQUESTED_LEN": MaxRequested,
		"MAX_PRELOAD_LEN": MaxPreloadLen,
		"WATCH_KEY_LEN":   WatchKeyLen, "UNIX_PATH_LEN": UnixPathLen, "SYSCALL_TABLE_LEN": SyscallTableLen,
		"COMPAT_TABLE_LEN": CompatTableLen, "COMPAT_SOCKETCALL": CompatSocketcall, "COMPAT_ID16": CompatID16,
		"SC_STR_LEN": ScStrLen, "CGROUP_NAME_LEN": CgroupNameLen, "CGROUP_LEVELS": CgroupLevels,
	},
	"event_type": {
		"EVENT_EXEC": int64(TypeExec), "EVENT_EXIT": int64(TypeExit), "EVENT_FORK": int64(TypeFork),
		"EVENT_FILE": int64(TypeFile), "EVENT_NET": int64(TypeNet), "EVENT_SYSCALL": int64(TypeSyscall),
		"EVENT_PRIV": int64(TypePriv), "EVENT_TYPE_MAX": int64(typeMax),
	},
	"stat_counter": {
		"STAT_OUTPUT_NOSPC": StatOutputNoSpace, "STAT_OUTPUT_ERROR": StatOutputError,
		"STAT_PENDING_FULL": StatPendingFull, "STAT_SCRATCH_MISS": StatScratchMiss,
		"STAT_CREDS_FULL": StatCredsFull, "STAT_FILE_CHECKED": StatFileChecked, "STAT_FILE_SENT": StatFileSent,
		"STAT_NET_FOLDED": StatNetFolded, "STAT_FILE_CACHED": StatFileCached, "STAT_MAX": StatMax,
	},
	"header_flags": {
		"HDR_F_LOGINUID": HdrFlagLoginUID, "HDR_F_COMPAT": HdrFlagCompat, "HDR_F_EXE_DELETED": HdrFlagExeDeleted,
		"HDR_F_CHROOT": HdrFlagChroot, "HDR_F_PARENT_OUTSIDE": HdrFlagParentOutside,
	},
	"exec_flags": {
		"EXEC_F_ARGS_TRUNCATED": ExecFlagArgsTruncated, "EXEC_F_EXE_TRUNCATED": ExecFlagExeTruncated,
		"EXEC_F_CWD_TRUNCATED": ExecFlagCwdTruncated, "EXEC_F_FILENAME_TRUNCATED": ExecFlagFilenameTruncated,
		"EXEC_F_EXECVEAT": ExecFlagExecveat, "EXEC_F_NO_SYSCALL": ExecFlagNoSyscall,
		"EXEC_F_EXE_DELETED": ExecFlagExeDeleted, "EXEC_F_STDIN_SOCK": ExecFlagStdinSock,
		"EXEC_F_STDOUT_SOCK": ExecFlagStdoutSock, "EXEC_F_STDERR_SOCK": ExecFlagStderrSock,
		"EXEC_F_LD_PRELOAD": ExecFlagLDPreload, "EXEC_F_COMPAT": ExecFlagCompat,
		"EXEC_F_EXE_UPPER": ExecFlagExeUpper, "EXEC_F_EXE_TMPFS": ExecFlagExeTmpfs,
	},
	"file_op": {
		"FILE_OP_OPEN": FileOpOpen, "FILE_OP_UNLINK": FileOpUnlink, "FILE_OP_RMDIR": FileOpRmdir,
		"FILE_OP_RENAME": FileOpRename, "FILE_OP_CHMOD": FileOpChmod, "FILE_OP_CHOWN": FileOpChown,
		"FILE_OP_TRUNCATE": FileOpTruncate, "FILE_OP_LINK": FileOpLink, "FILE_OP_SYMLINK": FileOpSymlink,
		"FILE_OP_MKNOD": FileOpMknod, "FILE_OP_MKDIR": FileOpMkdir, "FILE_OP_UTIMES": FileOpUtimes,
		"FILE_OP_MAX": FileOpMax,
	},
	"file_access": {"ACC_READ": AccRead, "ACC_WRITE": AccWrite, "ACC_TRUNC": AccTrunc, "ACC_CHANGE": AccChange,
		"ACC_CREATE": AccCreate, "ACC_WAKE": AccWake},
	"file_flags": {
		"FILE_F_RESOLVED": FileFlagResolved, "FILE_F_PATH_TRUNCATED": FileFlagPathTruncated,
		"FILE_F_REQUESTED_TRUNCATED": FileFlagRequestedTruncated, "FILE_F_IO_URING": FileFlagIOUring,
		"FILE_F_LSM_HOOK": FileFlagLSMHook, "FILE_F_UNWATCHED": FileFlagUnwatched,
		"FILE_F_CREATED": FileFlagCreated, "FILE_F_ATIME_SET": FileFlagATimeSet, "FILE_F_MTIME_SET": FileFlagMTimeSet,
	},
	"net_op": {
		"NET_OP_CONNECT": NetOpConnect, "NET_OP_ACCEPT": NetOpAccept, "NET_OP_LISTEN": NetOpListen,
		"NET_OP_BIND": NetOpBind, "NET_OP_SEND": NetOpSend, "NET_OP_MAX": NetOpMax,
	},
	"restart_errno": {
		"ERESTARTSYS": ErrRestartSys, "ERESTARTNOINTR": ErrRestartNoIntr, "ERESTARTNOHAND": ErrRestartNoHand,
		"ERESTART_RESTARTBLOCK": ErrRestartRestartBlock,
	},
	"net_flags": {
		"NET_F_SYSCALL": NetFlagSyscall, "NET_F_KERNEL": NetFlagKernel, "NET_F_NO_RESULT": NetFlagNoResult,
		"NET_F_FOLDED": NetFlagFolded,
	},
	"syscall_spec_flags": {
		"SC_NONROOT_ONLY": ScNonRootOnly, "SC_CLONE_NS": ScCloneNS, "SC_CREDS": ScCreds, "SC_CLONE3": ScClone3,
		"SC_PRCTL": ScPrctl, "SC_PTRACE": ScPtrace, "SC_SELF_TARGET": ScSelfTarget, "SC_SYSLOG": ScSyslog,
	},
	"syscall_spec_filter": {"SC_FILTER_NONE": ScFilterNone, "SC_FILTER_RAW_SOCKET": ScFilterRawSocket,
		"SC_FILTER_PROC_MEM": ScFilterProcMem},
	"syscall_event_flags": {"SC_F_PATH_TRUNCATED": ScFlagPathTruncated},
	"priv_means": {
		"PRIV_SYSCALL": PrivSyscall, "PRIV_EXEC": PrivExec, "PRIV_UNEXPLAINED": PrivUnexplained,
		"PRIV_UNEXPLAINED_AT_COMMIT": PrivUnexplainedAtCommit,
	},
}

// checkedElsewhere are the anchor's enums of the kernel's own values, which
// monitor/bpf_constants_test.go compares with the kernel's headers and the
// rules rather than with a Go mirror.
var checkedElsewhere = map[string]bool{
	"syscall_nr": true, "syscall_filters": true, "prctl_reported": true, "ptrace_reported": true,
	"syslog_reported": true, "audit_reported": true,
}

// Every enum user space mirrors has the same values on both sides, and no
// value on one side only.
func TestEnumsMatchTheObjectsBTF(t *testing.T) {
	spec := loadSpec(t)
	for name, want := range goEnums {
		var e *btf.Enum
		if err := spec.TypeByName(name, &e); err != nil {
			t.Errorf("enum %s in %s: %v (named in btf_anchor?)", name, bpfObject, err)
			continue
		}
		seen := map[string]bool{}
		for _, v := range e.Values {
			seen[v.Name] = true
			g, ok := want[v.Name]
			if !ok {
				t.Errorf("%s: %s = %d has no Go counterpart", name, v.Name, v.Value)
			} else if uint64(g) != v.Value {
				t.Errorf("%s: %s = %d in BTF, %d in Go", name, v.Name, v.Value, g)
			}
		}
		for v := range want {
			if !seen[v] {
				t.Errorf("%s: %s in Go, not in the BPF object", name, v)
			}
		}
	}
	// every enum the object names for user space (btf_anchor) is mirrored
	var anchor *btf.Struct
	if err := spec.TypeByName("btf_anchor", &anchor); err != nil {
		t.Fatalf("struct btf_anchor in %s: %v", bpfObject, err)
	}
	for _, m := range anchor.Members {
		if e, ok := btf.UnderlyingType(m.Type).(*btf.Enum); ok {
			if checkedElsewhere[e.Name] {
				continue
			}
			if _, ok := goEnums[e.Name]; !ok {
				t.Errorf("enum %s (btf_anchor.%s) is not mirrored in Go", e.Name, m.Name)
			}
		}
	}
}

// btfStruct returns the byte offset of each member of struct name in spec,
// and its size.
func btfStruct(t *testing.T, spec *btf.Spec, name string) (map[string]uint32, uint32) {
	t.Helper()
	var s *btf.Struct
	if err := spec.TypeByName(name, &s); err != nil {
		t.Fatalf("struct %s in %s: %v", name, bpfObject, err)
	}
	out := map[string]uint32{}
	for _, m := range s.Members {
		if m.BitfieldSize != 0 || m.Offset%8 != 0 {
			t.Errorf("%s.%s is a bit field: the Go decoder reads whole bytes", name, m.Name)
		}
		out[m.Name] = m.Offset.Bytes()
	}
	return out, s.Size
}

func loadSpec(t *testing.T) *btf.Spec {
	t.Helper()
	if _, err := os.Stat(bpfObject); errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s missing: run make bpf (make test builds it)", bpfObject)
	}
	spec, err := btf.LoadSpec(bpfObject)
	if err != nil {
		t.Fatalf("BTF of %s: %v", bpfObject, err)
	}
	return spec
}

// The decoder reads the bytes the BPF programs write: each record's fields
// and size, as the compiler laid them out (the object's BTF), equal the
// offsets and sizes the Go decoder uses.  Every field on either side must
// have its counterpart, so a field added to one side only fails here.
func TestLayoutMatchesTheObjectsBTF(t *testing.T) {
	spec := loadSpec(t)
	names := make([]string, 0, len(goStructs))
	for n := range goStructs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		g := goStructs[name]
		c, size := btfStruct(t, spec, name)
		for f, off := range c {
			goOff, ok := g.fields[f]
			if !ok {
				t.Errorf("%s.%s (offset %d) has no Go counterpart", name, f, off)
			} else if goOff != off {
				t.Errorf("%s.%s: offset %d in BTF, %d in Go", name, f, off, goOff)
			}
		}
		for f := range g.fields {
			if _, ok := c[f]; !ok {
				t.Errorf("%s.%s: in Go, not in the BPF object", name, f)
			}
		}
		if fixed, ok := c["data"]; ok {
			size = fixed // variable data follows the fixed part
		}
		if size != g.size {
			t.Errorf("sizeof %s: %d in BTF, %d in Go", name, size, g.size)
		}
	}
}
