// Package event holds the Go mirror of bpf/log_monitor.h and the decoder of
// the records the kernel sends.  It is pure Go: no cgo, no BPF, so it builds
// anywhere.  btf_test.go checks every offset, size and enum value below
// against the compiled BPF object's BTF, field by field in both directions.
package event

// Type is enum event_type in bpf/log_monitor.h.
type Type uint32

const (
	TypeExec    Type = 1
	TypeExit    Type = 2
	TypeFork    Type = 3
	TypeFile    Type = 4
	TypeNet     Type = 5
	TypeSyscall Type = 6
	TypePriv    Type = 7
	typeMax     Type = 8 // EVENT_TYPE_MAX
)

func (t Type) String() string {
	switch t {
	case TypeExec:
		return "exec"
	case TypeExit:
		return "exit"
	case TypeFork:
		return "fork"
	case TypeFile:
		return "file"
	case TypeNet:
		return "net"
	case TypeSyscall:
		return "syscall"
	case TypePriv:
		return "priv"
	}
	return "unknown"
}

// Sizes and limits shared with the C header.
const (
	TaskCommLen    = 16
	MaxPathLen     = 4096
	MaxPathDepth   = 64 // dentries walked before a path is cut
	MaxArgs        = 32
	MaxArgsSize    = 4096
	MaxFilenameLen = 512
	MaxPreloadLen  = 256 // the LD_PRELOAD value, NUL included
	MaxRequested   = 1024
	WatchKeyLen    = 256
)

// Header flags (enum header_flags).
const (
	HdrFlagLoginUID   = 1 << 0
	HdrFlagCompat     = 1 << 1
	HdrFlagExeDeleted = 1 << 2
	HdrFlagChroot     = 1 << 3
	// the real parent is outside the task's pid namespace (a runtime put
	// the task in its container: the entrypoint, docker exec's process)
	HdrFlagParentOutside = 1 << 4
)

// Exec flags (enum exec_flags).
const (
	ExecFlagArgsTruncated     = 1 << 0
	ExecFlagExeTruncated      = 1 << 1
	ExecFlagCwdTruncated      = 1 << 2
	ExecFlagFilenameTruncated = 1 << 3
	ExecFlagExecveat          = 1 << 4
	ExecFlagNoSyscall         = 1 << 5
	ExecFlagExeDeleted        = 1 << 6
	ExecFlagStdinSock         = 1 << 7
	ExecFlagStdoutSock        = 1 << 8
	ExecFlagStderrSock        = 1 << 9
	ExecFlagLDPreload         = 1 << 10
	ExecFlagCompat            = 1 << 11
	ExecFlagExeUpper          = 1 << 12 // on overlayfs, in its upper layer (container drift)
	ExecFlagExeTmpfs          = 1 << 13 // on tmpfs
)

// Kernel-side drop counters (enum stat_counter), indexes of the "stats" map.
const (
	StatOutputNoSpace = 0
	StatOutputError   = 1
	StatPendingFull   = 2
	StatScratchMiss   = 3
	StatCredsFull     = 4
	StatLossMax       = 5 // counters below this index are losses
	StatFileChecked   = 5
	StatFileSent      = 6
	StatNetFolded     = 7
	StatFileCached    = 8
	StatMax           = 9
)

// StatNames names each kernel counter for the stats record.
var StatNames = [StatMax]string{
	StatOutputNoSpace: "perf_buffer_full", // either transport's buffer; the name predates the ring buffer
	StatOutputError:   "output_error",
	StatPendingFull:   "pending_table_full",
	StatScratchMiss:   "scratch_miss",
	StatCredsFull:     "creds_table_full",
	StatFileChecked:   "file_checked",
	StatFileSent:      "file_sent",
	StatNetFolded:     "net_folded",
	StatFileCached:    "file_cached",
}

// Network operations (enum net_op).
const (
	NetOpConnect = 1
	NetOpAccept  = 2
	NetOpListen  = 3
	NetOpBind    = 4
	NetOpSend    = 5
	NetOpMax     = 6 // NET_OP_MAX: every op is below it
)

// The kernel's errnos of a call a signal interrupted (enum restart_errno).
const (
	ErrRestartSys          = 512
	ErrRestartNoIntr       = 513
	ErrRestartNoHand       = 514
	ErrRestartRestartBlock = 516
)

// Network flags (enum net_flags).
const (
	NetFlagSyscall  = 1 << 0
	NetFlagKernel   = 1 << 1
	NetFlagNoResult = 1 << 2
	NetFlagFolded   = 1 << 3
)

// Syscall table (struct syscall_spec) and events.
const (
	SyscallTableLen  = 512
	CompatTableLen   = 512
	CompatSocketcall = 1000
	CompatID16       = 0x8000
	ScStrLen         = 256
	CgroupNameLen    = 96
	CgroupLevels     = 3

	ScNonRootOnly = 1 << 0
	ScCloneNS     = 1 << 1
	ScCreds       = 1 << 2
	ScClone3      = 1 << 3
	ScPrctl       = 1 << 4
	ScPtrace      = 1 << 5
	ScSelfTarget  = 1 << 6
	ScSyslog      = 1 << 7

	// enum syscall_spec_filter: one per call (Spec.Filter)
	ScFilterNone      = 0
	ScFilterRawSocket = 1
	ScFilterProcMem   = 2

	ScFlagPathTruncated = 1 << 0

	SyscallSpecSize = 8
)

// Privilege means (enum priv_means).
const (
	PrivSyscall             = 1
	PrivExec                = 2
	PrivUnexplained         = 3
	PrivUnexplainedAtCommit = 4
)

// UnixPathLen is sizeof(sockaddr_un.sun_path).
const UnixPathLen = 108

// File operations (enum file_op).
const (
	FileOpOpen     = 1
	FileOpUnlink   = 2
	FileOpRmdir    = 3
	FileOpRename   = 4
	FileOpChmod    = 5
	FileOpChown    = 6
	FileOpTruncate = 7
	FileOpLink     = 8
	FileOpSymlink  = 9
	FileOpMknod    = 10
	FileOpMkdir    = 11
	FileOpUtimes   = 12 // utimensat, utimes, futimesat, utime with explicit times
	FileOpMax      = 13 // FILE_OP_MAX: every op is below it
)

// Access bits (enum file_access).
const (
	AccRead   = 1 << 0
	AccWrite  = 1 << 1
	AccTrunc  = 1 << 2
	AccChange = 1 << 3
	AccCreate = 1 << 4
	AccWake   = 1 << 5 // a watch entry's flag, not an access: its records wake the reader
)

// File flags (enum file_flags).
const (
	FileFlagResolved           = 1 << 0
	FileFlagPathTruncated      = 1 << 1
	FileFlagRequestedTruncated = 1 << 2
	FileFlagIOUring            = 1 << 3
	FileFlagLSMHook            = 1 << 4
	FileFlagUnwatched          = 1 << 5
	FileFlagCreated            = 1 << 6
	FileFlagATimeSet           = 1 << 7
	FileFlagMTimeSet           = 1 << 8
)

// Byte offsets of struct event_header and the records (checked against the
// BPF object's BTF by btf_test.go).
const (
	offHdrTs       = 0
	offHdrCgroupID = 8
	offHdrType     = 16
	offHdrSize     = 20
	offHdrPid      = 24
	offHdrTid      = 28
	offHdrPpid     = 32
	offHdrUID      = 36
	offHdrGID      = 40
	offHdrEUID     = 44
	offHdrEGID     = 48
	offHdrLoginUID = 52
	offHdrFlags    = 56
	offHdrMntNS    = 60
	offHdrVPID     = 64
	offHdrPidNS    = 68
	offHdrNetNS    = 72
	offHdrUserNS   = 76
	offHdrComm     = 80
	HeaderSize     = 96

	offExecRet         = HeaderSize + 0
	offExecFlags       = HeaderSize + 4
	offExecArgsLen     = HeaderSize + 8
	offExecExeLen      = HeaderSize + 10
	offExecCwdLen      = HeaderSize + 12
	offExecFilenameLen = HeaderSize + 14
	offExecExeRootLen  = HeaderSize + 16
	offExecCwdRootLen  = HeaderSize + 18
	offExecPreloadLen  = HeaderSize + 20
	offExecPad         = HeaderSize + 22
	offExecStdinPipe   = HeaderSize + 24
	offExecStdoutPipe  = HeaderSize + 32
	offExecData        = HeaderSize + 40
	ExecFixedSize      = offExecData

	offExitLifetime = HeaderSize + 0
	offExitCode     = HeaderSize + 8
	ExitSize        = HeaderSize + 16

	offForkChildPid = HeaderSize + 0
	offForkChildTid = HeaderSize + 4
	ForkSize        = HeaderSize + 8

	offFileRet          = HeaderSize + 0
	offFileOp           = HeaderSize + 4
	offFileOpFlags      = HeaderSize + 8
	offFileMode         = HeaderSize + 12
	offFileAccess       = HeaderSize + 16
	offFileFlags        = HeaderSize + 20
	offFileWatchID      = HeaderSize + 24
	offFileOwnerUID     = HeaderSize + 28
	offFileOwnerGID     = HeaderSize + 32
	offFilePathRootLen  = HeaderSize + 36
	offFileTgtRootLen   = HeaderSize + 38
	offFilePathLen      = HeaderSize + 40
	offFileRequestedLen = HeaderSize + 42
	offFileTargetLen    = HeaderSize + 44
	offFilePad2         = HeaderSize + 46
	offFileATime        = HeaderSize + 48
	offFileMTime        = HeaderSize + 56
	offFileData         = HeaderSize + 64
	FileFixedSize       = offFileData

	offNetRet         = HeaderSize + 0
	offNetOp          = HeaderSize + 4
	offNetFlags       = HeaderSize + 8
	offNetBacklog     = HeaderSize + 12
	offNetFamily      = HeaderSize + 16
	offNetProtocol    = HeaderSize + 18
	offNetSockType    = HeaderSize + 20
	offNetSport       = HeaderSize + 22
	offNetDport       = HeaderSize + 24
	offNetUnixPathLen = HeaderSize + 26
	offNetPad         = HeaderSize + 28
	offNetSaddr       = HeaderSize + 32
	offNetDaddr       = HeaderSize + 48
	offNetUnixPath    = HeaderSize + 64
	offNetPad2        = offNetUnixPath + UnixPathLen
	offNetAuditType   = offNetPad2 + 4
	offNetAuditStatus = offNetAuditType + 4
	NetSize           = offNetAuditStatus + 4*5

	// struct fold_key / fold_value (read by user space)
	FoldKeySize      = 24
	FoldValueSize    = 32
	offFoldKeyPid    = 0
	offFoldKeyFamily = 4
	offFoldKeyPort   = 6
	offFoldKeyAddr   = 8
	offFoldFirst     = 0
	offFoldLast      = 8
	offFoldCount     = 16
	offFoldUID       = 24
	offFoldOp        = 28
	offFoldProtocol  = 30

	offSysRet        = HeaderSize + 0
	offSysArgs       = HeaderSize + 8
	offSysDeref      = HeaderSize + 56
	offSysNr         = HeaderSize + 64
	offSysFlags      = HeaderSize + 68
	offSysStrLen     = HeaderSize + 72
	offSysPathLen    = HeaderSize + 78
	offSysData       = HeaderSize + 80
	SyscallFixedSize = offSysData

	// struct cred_snap, twice in a priv_event
	CredSnapSize      = 48
	offCredUID        = 0
	offCredEUID       = 4
	offCredSUID       = 8
	offCredFSUID      = 12
	offCredGID        = 16
	offCredEGID       = 20
	offCredSGID       = 24
	offCredFSGID      = 28
	offCredCapEff     = 32
	offCredCapPermitt = 40

	offPrivBefore  = HeaderSize + 0
	offPrivAfter   = HeaderSize + CredSnapSize
	offPrivMeans   = HeaderSize + 2*CredSnapSize
	offPrivNr      = offPrivMeans + 4
	offPrivRet     = offPrivMeans + 8
	offPrivExeUID  = offPrivMeans + 16
	offPrivExeMode = offPrivMeans + 20
	PrivSize       = offPrivMeans + 24

	// struct watch_key / watch_value (map entries written by user space)
	WatchKeyOffPrefixLen = 0
	WatchKeyOffPath      = 4
	WatchKeySize         = WatchKeyOffPath + WatchKeyLen
	WatchValueOffAccess  = 0
	WatchValueOffID      = 4
	WatchValueSize       = 8

	// struct syscall_spec (the syscall_table map's values, written by
	// monitor/syscalls)
	SpecOffEnabled = 0
	SpecOffStr     = 1 // three bytes: which arguments are strings
	SpecOffFdArg   = 4
	SpecOffFlags   = 5
	SpecOffDeref   = 6
	SpecOffFilter  = 7
)

// Header is struct event_header.
type Header struct {
	TimeNs   uint64 // CLOCK_BOOTTIME
	CgroupID uint64
	Type     Type
	Size     uint32
	PID      uint32
	TID      uint32
	PPID     uint32
	UID      uint32
	GID      uint32
	EUID     uint32
	EGID     uint32
	LoginUID uint32
	Flags    uint32
	MntNS    uint32 // mount namespace inode number, 0 = unknown
	VPID     uint32 // the thread-group id in the task's own pid namespace
	PidNS    uint32 // pid, network and user namespace inode numbers, 0 = unknown
	NetNS    uint32
	UserNS   uint32
	Comm     []byte // without trailing NULs; aliases the record
}

// HasLoginUID says whether the kernel reported a login uid.
func (h *Header) HasLoginUID() bool { return h.Flags&HdrFlagLoginUID != 0 }

// Compat says whether the event came from a 32-bit (i386 ABI) syscall.
func (h *Header) Compat() bool { return h.Flags&HdrFlagCompat != 0 }

// ExeDeleted says whether the task's executable had no link left.
func (h *Header) ExeDeleted() bool { return h.Flags&HdrFlagExeDeleted != 0 }

// ParentOutside says whether the task's real parent was outside its pid
// namespace.
func (h *Header) ParentOutside() bool { return h.Flags&HdrFlagParentOutside != 0 }

// Chrooted says whether the task's root was not its mount namespace's root:
// its paths then carry how many of their bytes are that root (RootLen).
func (h *Header) Chrooted() bool { return h.Flags&HdrFlagChroot != 0 }

// SplitRoot splits a walked path of a chrooted task into its root and the
// path as the task sees it.  ok is false when the task was not chrooted or
// the path lies outside its root (rootLen 0): the path is then all there is.
func (h *Header) SplitRoot(path []byte, rootLen uint16) (root, view []byte, ok bool) {
	n := int(rootLen)
	if !h.Chrooted() || n == 0 || n > len(path) {
		return nil, path, false
	}
	root, view = path[:n], path[n:]
	if len(view) == 0 {
		view = path[:1] // the root directory itself: "/"
	}
	return root, view, true
}

// Exec is struct exec_event.  Byte slices alias the decoded record.
type Exec struct {
	Header
	Ret        int32
	Flags      uint32
	Args       [][]byte
	Exe        []byte
	Cwd        []byte
	Filename   []byte
	Preload    []byte // the LD_PRELOAD value (ExecFlagLDPreload; up to 255 bytes)
	ExeRootLen uint16 // Chrooted: bytes of Exe, of Cwd, that are the root
	CwdRootLen uint16
	StdinPipe  uint64 // fd 0's pipe inode, 0 when not a pipe
	StdoutPipe uint64 // fd 1's
}

// ArgsTruncated reports whether argv was cut by a size or count cap.
func (e *Exec) ArgsTruncated() bool { return e.Flags&ExecFlagArgsTruncated != 0 }

// Exit is struct exit_event.
type Exit struct {
	Header
	LifetimeNs uint64
	ExitCode   uint32 // wait status: code<<8 | 0x80 core | signal
}

// Code is the exit code when the process exited normally.
func (e *Exit) Code() int { return int(e.ExitCode>>8) & 0xff }

// Signal is the terminating signal, or 0.
func (e *Exit) Signal() int { return int(e.ExitCode & 0x7f) }

// CoreDumped says whether the process dumped core.
func (e *Exit) CoreDumped() bool { return e.ExitCode&0x80 != 0 }

// Fork is struct fork_event: Header is the parent.
type Fork struct {
	Header
	ChildPID uint32
	ChildTID uint32
}

// File is struct file_event.  Byte slices alias the decoded record.
type File struct {
	Header
	Ret           int32
	Op            uint32
	OpFlags       uint32 // O_* of an open; AT_* or RENAME_* of the others
	Mode          uint32
	Access        uint32
	Flags         uint32
	WatchID       uint32
	OwnerUID      uint32
	OwnerGID      uint32
	PathRootLen   uint16 // Chrooted: bytes of Path, of Target, that are the root
	TargetRootLen uint16
	ATime, MTime  int64 // utimes: the times set, seconds (FileFlagATimeSet, FileFlagMTimeSet)
	Path          []byte
	Requested     []byte
	Target        []byte
}

// Net is struct net_event.  Addresses are 16 bytes, IPv4 in the first 4.
type Net struct {
	Header
	Ret      int32
	Op       uint32
	Flags    uint32
	Backlog  uint32
	Family   uint16
	Protocol uint16
	SockType uint16
	Sport    uint16
	Dport    uint16
	Saddr    [16]byte
	Daddr    [16]byte
	UnixPath []byte
	// AF_NETLINK: an audit message that changes the audit system, and for
	// AUDIT_SET the first words of its struct audit_status
	AuditType   uint32
	AuditStatus [5]uint32 // mask, enabled, failure, pid, rate_limit
}

// Fold is one entry of the UDP fold map (key and value decoded).
type Fold struct {
	PID      uint32
	Family   uint16
	Port     uint16
	Addr     [16]byte
	FirstNs  uint64
	LastNs   uint64
	Count    uint64
	UID      uint32
	Op       uint16
	Protocol uint16
}

// DecodeFold decodes a fold map key and value.
func DecodeFold(key, val []byte) (Fold, error) {
	var f Fold
	if len(key) < FoldKeySize || len(val) < FoldValueSize {
		return f, &DecodeError{Len: len(key) + len(val), Err: ErrShort, Info: "fold entry"}
	}
	f.PID = le.Uint32(key[offFoldKeyPid:])
	f.Family = le.Uint16(key[offFoldKeyFamily:])
	f.Port = le.Uint16(key[offFoldKeyPort:])
	copy(f.Addr[:], key[offFoldKeyAddr:offFoldKeyAddr+16])
	f.FirstNs = le.Uint64(val[offFoldFirst:])
	f.LastNs = le.Uint64(val[offFoldLast:])
	f.Count = le.Uint64(val[offFoldCount:])
	f.UID = le.Uint32(val[offFoldUID:])
	f.Op = le.Uint16(val[offFoldOp:])
	f.Protocol = le.Uint16(val[offFoldProtocol:])
	return f, nil
}

// Syscall is struct syscall_event: one call of a table syscall.
type Syscall struct {
	Header
	Ret   int64
	Args  [6]uint64
	Deref uint64
	Nr    uint32
	Flags uint32
	Strs  [3][]byte
	Path  []byte
}

// Creds is struct cred_snap.
type Creds struct {
	UID, EUID, SUID, FSUID uint32
	GID, EGID, SGID, FSGID uint32
	CapEffective           uint64
	CapPermitted           uint64
}

// Priv is struct priv_event: a task gained privilege.
type Priv struct {
	Header
	Before  Creds
	After   Creds
	Means   uint32
	Nr      uint32
	Ret     int64
	ExeUID  uint32
	ExeMode uint32
}
