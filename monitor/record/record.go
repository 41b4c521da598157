// Package record defines what the monitor reports: one Record per event,
// typed and enriched (process context, ancestry), before any formatting.
// Capture fills it, detection judges it, output writes it; none of them
// needs to know the others.
//
// Strings that come from the monitored system (paths, argv, comm) are kept
// as raw bytes: they are attacker-controlled and may be anything.  Output
// decides how to show them safely and losslessly.
package record

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Severity orders records: info < warn < critical.
type Severity uint8

const (
	Info Severity = iota
	Warn
	Critical
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warn:
		return "warn"
	case Critical:
		return "critical"
	}
	return "unknown"
}

// ParseSeverity accepts info, warn (or warning) and critical.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warn", "warning":
		return Warn, nil
	case "critical":
		return Critical, nil
	}
	return Info, fmt.Errorf("invalid severity %q: use info, warn or critical", s)
}

// Categories of the JSON schema.
const (
	CatProcess   = "process"
	CatFile      = "file"
	CatNetwork   = "network"
	CatSyscall   = "syscall"
	CatPrivilege = "privilege"
	CatMonitor   = "monitor"
	CatContainer = "container"
)

// FileEvents and NetworkEvents are the events of the file and network
// categories: what --events, the rules and the policy's file_events name.
var (
	FileEvents = []string{"open", "unlink", "rmdir", "rename", "chmod", "chown", "truncate", "link", "symlink",
		"mknod", "mkdir", "utimes"}
	NetworkEvents = []string{"connect", "accept", "listen", "bind", "send"}
)

// Record is one line of output.
type Record struct {
	Time     time.Time
	Severity Severity
	Event    string // exec, exit, fork, start, stats, stop, ...
	Category string
	Message  string
	Error    string // errno name of a failed operation, e.g. ENOENT

	Process   *Process
	Container *Container // the container the process runs in; nil on the host
	Exec      *Exec
	Exit      *Exit
	Fork      *Fork
	File      *File
	Network   *Network
	Syscall   *Syscall
	Priv      *Privilege
	Monitor   *Monitor
	Rules     []Rule
	Repeats   uint64  // a fold summary: the same rules fired this many more times
	Folded    *Folded // a fold summary: what the repeats were about, when not the first's object
	// Degraded: events were lost in the interval this alert was raised in,
	// so what led to it (or followed it) may be missing.
	Degraded bool
}

// Container is the container a record's process runs in, as its cgroup
// names it at the event (monitor/container).
type Container struct {
	ID      string // 64 hex digits
	Runtime string // docker, containerd, cri-o, podman; "" when the cgroup layout does not say
	PodUID  string // Kubernetes: the pod's uid
	// from the runtime's API: a container's records wait a second at most
	// for its answer (monitor/waiting.go)
	Name, Image, ImageID string
	Pod, Namespace       string   // Kubernetes labels
	Build                bool     // a step of docker build, not a running workload
	Privileged           bool     // started with --privileged
	Risks                []string // what of its configuration reaches the host, in words (monitor/container)
}

// ShortID is the id as docker ps shows it: 12 digits.
func (c *Container) ShortID() string {
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

// Folded says what a fold summary's repeats acted on besides the first
// alert's object, and which other processes of the incident raised them.
// The lists are cut at MaxFoldedNames; the counts are complete.
type Folded struct {
	Objects     []string
	ObjectCount int
	PIDs        []uint32
	PIDCount    int
}

// MaxFoldedNames bounds Folded's lists.
const MaxFoldedNames = 8

// Process is the acting process and where it came from.
type Process struct {
	PID, TID, PPID       uint32
	UID, GID, EUID, EGID uint32
	LoginUID             uint32
	HasLoginUID          bool
	Compat               bool   // acting through the 32-bit syscall ABI
	ExeDeleted           bool   // its executable had no link left (deleted, memfd)
	MntNS                uint32 // its mount namespace, when not the host's (0 otherwise)
	// its pid in its own pid namespace, and its pid, network and user
	// namespaces: each when not the host's (0 otherwise)
	VPID, PidNS, NetNS, UserNS uint32
	ParentOutsideNS            bool   // its real parent is outside its pid namespace (put there by a runtime)
	Root                       []byte // its root directory when chrooted, from its mount namespace's root
	Comm                       []byte
	Exe                        []byte
	Script                     []byte // the script an interpreter runs (dpkg-preconfigure for perl)
	Args                       [][]byte
	ArgsTruncated              bool
	Cwd                        []byte
	Ancestry                   []Ancestor
	// EntityID names this program image of this process on this boot
	// (a new one at each exec); ParentEntityID its parent's; StartTime when
	// the image began (its exec, fork, or /proc's start time).  Empty or
	// zero when the process table did not see it begin.
	EntityID, ParentEntityID string
	StartTime                time.Time
	// User names EUID from the host's passwd file; "" in another mount
	// namespace or root (a container's, a chroot's: their own files say)
	User string
}

// Ancestor is a parent, grandparent, ... of the acting process.
type Ancestor struct {
	PID    uint32
	Exe    string
	Script string // the script it runs, when an interpreter
}

// Exec is the payload of an exec event.
type Exec struct {
	Filename          []byte // the path the caller passed
	Ret               int32  // 0 or -errno
	Execveat          bool
	FilenameTruncated bool
	ExeTruncated      bool     // the process's exe is its last names: the kernel cut it at the top
	CwdTruncated      bool     // and its cwd
	ExeDeleted        bool     // the executable has no link: deleted, or a memfd
	ExeUpperLayer     bool     // the executable is in an overlayfs upper layer: not in a container's image
	ExeTmpfs          bool     // the executable is on tmpfs (/dev/shm, /run)
	Healthcheck       bool     // the container engine ran it as the container's health check
	PathMisses        int      // failed tries of the same name in other PATH directories before this exec, folded into it
	StdioSockets      []string // which of stdin, stdout, stderr are sockets
	LDPreload         bool     // LD_PRELOAD is set in the new environment
	LDPreloadValue    []byte   // its value (up to 255 bytes)
	// StdinFrom, StdoutTo: the program writing into this one's stdin
	// pipe, the program reading its stdout pipe, when that program
	// exec'd first (the second exec of a pair names the first)
	StdinFrom *PipeEnd
	StdoutTo  *PipeEnd
	// DroppedBy: the executable that dropped this program's file into a
	// system directory since the monitor started (a write that raised
	// system-binary-dropped), "" when none did
	DroppedBy string
}

// PipeEnd is one program at an end of a pipe, as its exec showed it.
type PipeEnd struct {
	PID    uint32
	Exe    string
	Args   [][]byte
	Script string
}

// Exit is the payload of an exit event.
type Exit struct {
	Code       int
	Signal     int // 0 when exited normally
	CoreDumped bool
	Lifetime   time.Duration
}

// Fork is the payload of a fork event (the process is the parent).
type Fork struct {
	ChildPID uint32
}

// File is the payload of a file event.
type File struct {
	Path          []byte // the file the kernel acted on, absolute, as the process sees it
	RequestedPath []byte // the string the process passed
	TargetPath    []byte // rename/link: the other end
	HostPath      []byte // chrooted: Path from the mount namespace's root
	TargetHost    []byte // chrooted: TargetPath from the mount namespace's root
	Operation     string // read, write, read-write (open); unlink, rename, ... (others)
	OpenFlags     uint32 // O_* of an open; AT_* or RENAME_* of the others
	Mode          uint32 // create mode (when O_CREAT) or chmod mode
	HasMode       bool
	Created       bool      // open: the file did not exist, this open made it
	ATimeSet      time.Time // utimes: the access time set explicitly (zero: now or unchanged)
	MTimeSet      time.Time // utimes: the modification time set explicitly
	FD            int32     // the new descriptor of a successful open, else -1
	Owner         *Owner    // chown
	Resolved      bool      // path taken from the opened file, not the string
	Via           string    // "" (a syscall), "io_uring" or "security_file_open"
	PathTruncated bool
	Class         string // class of the watch entry that matched
	Watch         string // the watch entry that matched
	// AccountsAdded: a change of the host's /etc/passwd, judged when its
	// process exited: the accounts the file gained (a new name, or an
	// existing one given uid 0)
	AccountsAdded []Account
	WatchOwner    int64 // uid owning the watched home directory, -1 if none
}

// Account is one line of /etc/passwd, by name and uid.
type Account struct {
	Name string
	UID  uint32
}

// Network is the payload of a network event.
type Network struct {
	Family    string // inet, inet6, unix
	Protocol  string // tcp, udp, or the number; empty for unix
	SrcIP     netip.Addr
	SrcPort   uint16
	DstIP     netip.Addr
	DstPort   uint16
	UnixPath  []byte
	Direction string   // outbound, inbound, listen
	DstScope  string   // loopback, local (this host's address) or remote: where the destination is
	Resolver  bool     // the destination is a nameserver of resolv.conf, port 53
	Sources   []string // syscall, kernel: which hooks saw it
	Backlog   int      // listen
	Folded    bool     // UDP: repeats to this destination are counted, not printed
	Count     uint64   // UDP fold summary: sends in the window, the first included
	// connect: the distinct ports of this host, and the distinct hosts,
	// the process tried in the last 10 s, this one included (port scans)
	PortsTried int
	HostsTried int
	// Audit: a message to the audit system that changes it (family
	// netlink, protocol audit)
	Audit *AuditMessage
}

// AuditMessage is a netlink message to the audit system (auditctl's
// requests).  For AUDIT_SET, the status fields it sets; -1 where it leaves
// one alone.
type AuditMessage struct {
	Type                           string // AUDIT_SET, AUDIT_ADD_RULE, AUDIT_DEL_RULE, ...
	Enabled, Failure, PID, RateLim int64
}

// Arg is one decoded syscall argument.  Value is int64, uint64, string,
// []byte (untrusted text from the process) or []string (flag names).
type Arg struct {
	Key   string
	Value any
}

// Syscall is the payload of a security-sensitive syscall event.
type Syscall struct {
	Name  string
	Nr    uint32
	Group string // debugging, kernel, namespaces, credentials, fileless
	Args  []Arg  // decoded for people (names, flags); the sinks print these
	// Raw: the arguments as the kernel passed them (x86-64 numbering, also
	// for i386 callers).  Rules compare these, never the display names.
	Raw      [6]uint64
	RawDeref uint64 // the u64 the kernel read behind the argument the table names (clone3's flags, ...)
	Ret      int64
	// TargetPID/TargetExe: the process acted on (ptrace, process_vm_*)
	TargetPID uint32
	TargetExe string
	// TargetIsDescendant: the target is the caller's child or a child's
	// child (a debugger's own program), from the process table
	TargetIsDescendant bool
	// TargetIsMonitor: kill, tkill, tgkill: the signal reaches the monitor
	// (else it is aimed at an audit or logging daemon); nil for the others
	TargetIsMonitor *bool
	// setns that succeeded: the namespace entered is none of the parent's
	// (read from /proc at the event); nil when not checked
	EntersOtherNamespace *bool
	EntersHostNamespace  *bool // setns: the namespace entered is one of init's (the host's)
}

// Arg is the value of the decoded argument named key, or nil.
func (s *Syscall) Arg(key string) any {
	for _, a := range s.Args {
		if a.Key == key {
			return a.Value
		}
	}
	return nil
}

// Creds are a task's credentials at one moment.
type Creds struct {
	UID, EUID, SUID, FSUID uint32
	GID, EGID, SGID, FSGID uint32
	CapEffective           uint64
	CapPermitted           uint64
}

// Privilege is the payload of a privilege event: what was gained and how.
type Privilege struct {
	Means   string // syscall, exec, unexplained, userns
	Syscall string // the syscall, for means syscall (and userns)
	Before  Creds
	After   Creds
	Gained  []string // "uid 0", "euid 0", "fsuid 0", CAP_* names
	ExeUID  int64    // owner of the executable (exec), -1 when unknown
	ExeMode uint32
	// unexplained only: where it was noticed, "commit_creds" (as it
	// happened, SyscallNr = the x86-64 number of the call it happened in)
	// or "syscall_exit" (at the task's next monitored syscall)
	SeenAt    string
	SyscallNr int64
}

// Owner is the new owner of a chown; -1 leaves a field unchanged.
type Owner struct {
	UID, GID int64
}

// Rule is a detection that matched (filled by the rules stage).
type Rule struct {
	Name        string
	Severity    Severity
	Mitre       []string
	Description string
	Output      string // the rule's output template, filled
}

// Monitor is the payload of the monitor's own records.
type Monitor struct {
	Start *Start
	Stats *Stats
}

// Hook is one BPF program and what became of it.
type Hook struct {
	Name       string // e.g. tracepoint/sched/sched_process_exec
	Capability string // exec, exit, fork, ...
	Attached   bool
	Superseded bool   // not loaded: a better hook does its job here
	Reason     string // why it is unavailable or superseded
	// the kernel functions a function hook is attached to (one Hook per
	// class of bpf/fnhooks.h)
	Functions []string
}

// Start describes the running monitor once every hook is attached.
type Start struct {
	Version     string
	Kernel      string
	Transport   string
	PerfPages   int
	PID         int
	Hooks       []Hook
	ProcsSeeded int
	// how syscalls are seen: "functions" or "tracepoints", and why
	// tracepoints when functions were possible choices
	SyscallHooks       string
	SyscallHooksReason string
	// which build of the BPF programs was loaded (monitor/embed.go)
	BPFObject string
}

// Stats is the periodic (and final) report.
type Stats struct {
	Final      bool
	DetachTime time.Duration // final only: how long the kernel took to release the hooks
	// final only: the kernel's grace periods were expedited for the
	// release (rcu_expedited, set for it or already)
	DetachExpedited bool
	Interval        time.Duration
	Uptime          time.Duration
	Events          map[string]uint64 // by event name, this interval
	BySeverity      [3]uint64         // this interval; since start in the final record
	EventsPerSec    float64
	Total           uint64 // events since start
	LostPerf        uint64 // perf ring full: samples lost (since start)
	LostKernel      map[string]uint64
	LostQueue       uint64 // dropped in user space: output too slow (since start)
	DecodeErrors    uint64
	// records a sink dropped (syslog down past its queue, a file that
	// kept failing), by sink: written elsewhere, so not in Lost()
	OutputDropped map[string]uint64
	ProcTableSize int
	ProcEvictions uint64
	FileChecked   uint64 // file operations the kernel compared with the watch list
	FileSent      uint64 // ... that matched and were sent
	FileCached    uint64 // ... judged from the verdict cache, without a walk
	NetFolded     uint64 // UDP sends folded into an earlier event
	// runs of the TCP state-change program the kernel skipped: other
	// sockets' changes in a softirq, never a connect's (not a loss:
	// monitor/skipped.go)
	TCPStatesSkipped uint64
	SyscallsRepeated uint64 // identical syscall events of one process not printed again
	AlertsFolded     uint64 // alerts folded into an earlier one (same rules, same process)
	Top              []Suspect
	TopUnchanged     bool   // the same suspects and rule counts as in the last stats record
	Tracked          int    // processes with a risk score
	TrackedEvicted   uint64 // scored processes dropped for room
}

// Suspect is one entry of the analytics' ranking.
type Suspect struct {
	PID         uint32
	Exe         string
	UID         uint32
	Score       float64
	Rules       []RuleCount
	First, Last time.Time
	Alive       bool
	// the container of its own alerts: short id, and name when known
	Container, ContainerName string
}

// RuleCount is how often a rule fired for a suspect (and its children).
type RuleCount struct {
	Name  string
	Count uint64
}

// Lost is every event lost since start, at any stage.
//
// A full perf ring is counted twice, by perf (its lost records, read from
// the ring) and by our program (perf_buffer_full, -ENOSPC from the output
// helper): the same samples, so the larger of the two is taken.  The
// kernel's count is exact; perf's notifications can still be in flight at
// shutdown.
func (s *Stats) Lost() uint64 {
	perf := s.LostPerf
	n := s.LostQueue + s.DecodeErrors
	for k, v := range s.LostKernel {
		if k == "perf_buffer_full" {
			perf = max(perf, v)
			continue
		}
		n += v
	}
	return n + perf
}
