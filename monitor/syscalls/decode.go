package syscalls

import (
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/caps"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Argument decoders.  Values are int64, uint64, string, []byte (untrusted
// text from the process) or []string (flag names).

type named struct {
	v    uint64
	name string
}

func enumName(v uint64, table []named) string {
	for _, n := range table {
		if n.v == v {
			return n.name
		}
	}
	return strconv.FormatUint(v, 10)
}

// flagNames names each set bit of v; unknown bits are given in hex.
func flagNames(v uint64, table []named) []string {
	out := []string{}
	for _, n := range table {
		if n.v != 0 && v&n.v == n.v {
			out = append(out, n.name)
			v &^= n.v
		}
	}
	if v != 0 {
		out = append(out, "0x"+strconv.FormatUint(v, 16))
	}
	return out
}

func arg(k string, v any) record.Arg { return record.Arg{Key: k, Value: v} }

func strArgs(names ...string) func(c *Call) []record.Arg {
	return func(c *Call) []record.Arg {
		var out []record.Arg
		for i, n := range names {
			out = append(out, arg(n, c.Strs[i]))
		}
		return out
	}
}

func intArg(i int, name string) func(c *Call) []record.Arg {
	return func(c *Call) []record.Arg { return []record.Arg{arg(name, int64(c.Args[i]))} }
}

func hexArg(i int, name string) func(c *Call) []record.Arg {
	return func(c *Call) []record.Arg {
		return []record.Arg{arg(name, "0x"+strconv.FormatUint(c.Args[i], 16))}
	}
}

// idArgs decodes uid/gid arguments; -1 (unchanged) is shown as -1.
func idArgs(names ...string) func(c *Call) []record.Arg {
	return func(c *Call) []record.Arg {
		var out []record.Arg
		for i, n := range names {
			out = append(out, arg(n, int64(int32(uint32(c.Args[i])))))
		}
		return out
	}
}

func pidArg(c *Call) []record.Arg { return []record.Arg{arg("pid", int64(int32(c.Args[0])))} }

// procMemWriteArgs: pwrite64(fd, buf, count, pos) into /proc/<pid>/mem,
// where pos is the address written (an i386 caller's low half: all of a
// 32-bit address).
func procMemWriteArgs(c *Call) []record.Arg {
	return []record.Arg{arg("file", c.Path), arg("count", int64(c.Args[2])),
		arg("address", "0x"+strconv.FormatUint(c.Args[3], 16))}
}

var ptraceRequests = []named{
	{0, "PTRACE_TRACEME"}, {1, "PTRACE_PEEKTEXT"}, {2, "PTRACE_PEEKDATA"}, {3, "PTRACE_PEEKUSER"},
	{4, "PTRACE_POKETEXT"}, {5, "PTRACE_POKEDATA"}, {6, "PTRACE_POKEUSER"}, {7, "PTRACE_CONT"},
	{8, "PTRACE_KILL"}, {9, "PTRACE_SINGLESTEP"}, {12, "PTRACE_GETREGS"}, {13, "PTRACE_SETREGS"},
	{16, "PTRACE_ATTACH"}, {17, "PTRACE_DETACH"}, {24, "PTRACE_SYSCALL"}, {0x4200, "PTRACE_SETOPTIONS"},
	{0x4206, "PTRACE_SEIZE"}, {0x4207, "PTRACE_INTERRUPT"}, {0x4204, "PTRACE_GETREGSET"},
	{0x4205, "PTRACE_SETREGSET"},
}

func ptraceArgs(c *Call) []record.Arg {
	return []record.Arg{arg("request", enumName(c.Args[0], ptraceRequests)), arg("pid", int64(int32(c.Args[1])))}
}

// PtraceRequest names a ptrace request (rules use it).
func PtraceRequest(v uint64) string { return enumName(v, ptraceRequests) }

// PtraceRequestValue is the number of a named ptrace request.
func PtraceRequestValue(name string) (uint64, bool) {
	for _, n := range ptraceRequests {
		if n.name == name {
			return n.v, true
		}
	}
	return 0, false
}

func finitModuleArgs(c *Call) []record.Arg {
	return []record.Arg{arg("file", c.Path), arg("params", c.Strs[0]), arg("flags", "0x"+strconv.FormatUint(c.Args[2], 16))}
}

func kexecFileArgs(c *Call) []record.Arg {
	return []record.Arg{arg("kernel", c.Path), arg("cmdline", c.Strs[0])}
}

var bpfCmds = []named{
	{0, "BPF_MAP_CREATE"}, {1, "BPF_MAP_LOOKUP_ELEM"}, {2, "BPF_MAP_UPDATE_ELEM"}, {3, "BPF_MAP_DELETE_ELEM"},
	{4, "BPF_MAP_GET_NEXT_KEY"}, {5, "BPF_PROG_LOAD"}, {6, "BPF_OBJ_PIN"}, {7, "BPF_OBJ_GET"},
	{8, "BPF_PROG_ATTACH"}, {9, "BPF_PROG_DETACH"}, {10, "BPF_PROG_TEST_RUN"}, {11, "BPF_PROG_GET_NEXT_ID"},
	{12, "BPF_MAP_GET_NEXT_ID"}, {13, "BPF_PROG_GET_FD_BY_ID"}, {14, "BPF_MAP_GET_FD_BY_ID"},
	{15, "BPF_OBJ_GET_INFO_BY_FD"}, {16, "BPF_PROG_QUERY"}, {17, "BPF_RAW_TRACEPOINT_OPEN"},
	{18, "BPF_BTF_LOAD"}, {19, "BPF_BTF_GET_FD_BY_ID"}, {20, "BPF_TASK_FD_QUERY"},
	{21, "BPF_MAP_LOOKUP_AND_DELETE_ELEM"}, {22, "BPF_MAP_FREEZE"}, {23, "BPF_BTF_GET_NEXT_ID"},
	{24, "BPF_MAP_LOOKUP_BATCH"}, {25, "BPF_MAP_LOOKUP_AND_DELETE_BATCH"}, {26, "BPF_MAP_UPDATE_BATCH"},
	{27, "BPF_MAP_DELETE_BATCH"}, {28, "BPF_LINK_CREATE"}, {29, "BPF_LINK_UPDATE"},
	{30, "BPF_LINK_GET_FD_BY_ID"}, {31, "BPF_LINK_GET_NEXT_ID"}, {32, "BPF_ENABLE_STATS"},
	{33, "BPF_ITER_CREATE"}, {34, "BPF_LINK_DETACH"}, {35, "BPF_PROG_BIND_MAP"}, {36, "BPF_TOKEN_CREATE"},
}

var bpfProgTypes = []named{
	{0, "unspec"}, {1, "socket_filter"}, {2, "kprobe"}, {3, "sched_cls"}, {4, "sched_act"},
	{5, "tracepoint"}, {6, "xdp"}, {7, "perf_event"}, {8, "cgroup_skb"}, {9, "cgroup_sock"},
	{10, "lwt_in"}, {11, "lwt_out"}, {12, "lwt_xmit"}, {13, "sock_ops"}, {14, "sk_skb"},
	{15, "cgroup_device"}, {16, "sk_msg"}, {17, "raw_tracepoint"}, {18, "cgroup_sock_addr"},
	{19, "lwt_seg6local"}, {20, "lirc_mode2"}, {21, "sk_reuseport"}, {22, "flow_dissector"},
	{23, "cgroup_sysctl"}, {24, "raw_tracepoint_writable"}, {25, "cgroup_sockopt"}, {26, "tracing"},
	{27, "struct_ops"}, {28, "ext"}, {29, "lsm"}, {30, "sk_lookup"}, {31, "syscall"}, {32, "netfilter"},
}

// BPFCommand names a bpf(2) command (rules use it).
func BPFCommand(v uint64) string { return enumName(v, bpfCmds) }

func bpfArgs(c *Call) []record.Arg {
	out := []record.Arg{arg("cmd", enumName(c.Args[0], bpfCmds))}
	if c.Args[0] == 5 { // BPF_PROG_LOAD: attr starts with prog_type
		out = append(out, arg("prog_type", enumName(c.Deref&0xffffffff, bpfProgTypes)))
	}
	return out
}

var perfTypes = []named{{0, "hardware"}, {1, "software"}, {2, "tracepoint"}, {3, "hw_cache"}, {4, "raw"}, {5, "breakpoint"}}

func perfArgs(c *Call) []record.Arg {
	return []record.Arg{arg("type", enumName(c.Deref&0xffffffff, perfTypes)),
		arg("pid", int64(int32(c.Args[1]))), arg("cpu", int64(int32(c.Args[2])))}
}

func iopermArgs(c *Call) []record.Arg {
	return []record.Arg{arg("from", int64(c.Args[0])), arg("num", int64(c.Args[1])), arg("turn_on", int64(c.Args[2]))}
}

var syslogActions = []named{{0, "CLOSE"}, {1, "OPEN"}, {2, "READ"}, {3, "READ_ALL"}, {4, "READ_CLEAR"},
	{5, "CLEAR"}, {6, "CONSOLE_OFF"}, {7, "CONSOLE_ON"}, {8, "CONSOLE_LEVEL"}, {9, "SIZE_UNREAD"}, {10, "SIZE_BUFFER"}}

func syslogArgs(c *Call) []record.Arg {
	return []record.Arg{arg("action", enumName(c.Args[0], syslogActions))}
}

// SyslogClears says whether a syslog(2) action clears the kernel log.
func SyslogClears(action uint64) bool { return action == 4 || action == 5 }

var mountFlags = []named{
	{1, "MS_RDONLY"}, {2, "MS_NOSUID"}, {4, "MS_NODEV"}, {8, "MS_NOEXEC"}, {16, "MS_SYNCHRONOUS"},
	{32, "MS_REMOUNT"}, {64, "MS_MANDLOCK"}, {128, "MS_DIRSYNC"}, {1024, "MS_NOATIME"},
	{2048, "MS_NODIRATIME"}, {4096, "MS_BIND"}, {8192, "MS_MOVE"}, {16384, "MS_REC"},
	{1 << 15, "MS_SILENT"}, {1 << 16, "MS_POSIXACL"}, {1 << 17, "MS_UNBINDABLE"},
	{1 << 18, "MS_PRIVATE"}, {1 << 19, "MS_SLAVE"}, {1 << 20, "MS_SHARED"}, {1 << 21, "MS_RELATIME"},
	{1 << 24, "MS_STRICTATIME"}, {1 << 25, "MS_LAZYTIME"},
}

func mountArgs(c *Call) []record.Arg {
	flags := c.Args[3] & 0xffffffff
	if flags&0xffff0000 == 0xc0ed0000 { // MS_MGC_VAL of old programs: the kernel drops it
		flags &^= 0xffff0000
	}
	return []record.Arg{arg("source", c.Strs[0]), arg("target", c.Strs[1]), arg("fstype", c.Strs[2]),
		arg("flags", flagNames(flags, mountFlags))}
}

var umountFlags = []named{{1, "MNT_FORCE"}, {2, "MNT_DETACH"}, {4, "MNT_EXPIRE"}, {8, "UMOUNT_NOFOLLOW"}}

func umountArgs(c *Call) []record.Arg {
	return []record.Arg{arg("target", c.Strs[0]), arg("flags", flagNames(c.Args[1], umountFlags))}
}

var cloneFlags = []named{
	{0x00000100, "CLONE_VM"}, {0x00000200, "CLONE_FS"}, {0x00000400, "CLONE_FILES"},
	{0x00000800, "CLONE_SIGHAND"}, {0x00001000, "CLONE_PIDFD"}, {0x00002000, "CLONE_PTRACE"},
	{0x00004000, "CLONE_VFORK"}, {0x00008000, "CLONE_PARENT"}, {0x00010000, "CLONE_THREAD"},
	{0x00020000, "CLONE_NEWNS"}, {0x00040000, "CLONE_SYSVSEM"}, {0x00080000, "CLONE_SETTLS"},
	{0x00100000, "CLONE_PARENT_SETTID"}, {0x00200000, "CLONE_CHILD_CLEARTID"},
	{0x00800000, "CLONE_UNTRACED"}, {0x01000000, "CLONE_CHILD_SETTID"},
	{0x02000000, "CLONE_NEWCGROUP"}, {0x04000000, "CLONE_NEWUTS"}, {0x08000000, "CLONE_NEWIPC"},
	{0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
	{0x80000000, "CLONE_IO"}, {0x00000080, "CLONE_NEWTIME"},
}

// CloneNewUser is CLONE_NEWUSER.
const CloneNewUser = 0x10000000

// NamespaceFlags names the CLONE_NEW* (and other CLONE_*) bits.
func NamespaceFlags(v uint64) []string { return flagNames(v, cloneFlags) }

func unshareArgs(c *Call) []record.Arg {
	return []record.Arg{arg("flags", flagNames(c.Args[0]&0xffffffff, cloneFlags))}
}

// setns: the kernel gives the namespace's inode number (the nsfs file has
// no path), as /proc/<pid>/ns/<type> links show it: "net:[4026531840]".
func setnsArgs(c *Call) []record.Arg {
	return []record.Arg{arg("ns_inode", c.Deref), arg("nstype", flagNames(c.Args[1]&0xffffffff, cloneFlags))}
}

// clone(flags, ...): the low byte of flags is the exit signal.
func cloneArgs(c *Call) []record.Arg {
	return []record.Arg{arg("flags", flagNames(c.Args[0]&0xffffff00, cloneFlags))}
}

func clone3Args(c *Call) []record.Arg {
	return []record.Arg{arg("flags", flagNames(c.Deref, cloneFlags))}
}

// CapNames names the capabilities in a 64-bit set.
func CapNames(set uint64) []string { return caps.Names(set) }

// capset(hdr, data): data[0] is {effective, permitted, inheritable} of
// capabilities 0-31; the kernel copies its first 8 bytes.
func capsetArgs(c *Call) []record.Arg {
	return []record.Arg{arg("effective", CapNames(c.Deref&0xffffffff)), arg("permitted", CapNames(c.Deref>>32))}
}

var prctlOptions = []named{{4, "PR_SET_DUMPABLE"}, {15, "PR_SET_NAME"}, {22, "PR_SET_SECCOMP"},
	{47, "PR_CAP_AMBIENT"}, {0x59616d61, "PR_SET_PTRACER"}}

func prctlArgs(c *Call) []record.Arg {
	out := []record.Arg{arg("option", enumName(c.Args[0], prctlOptions))}
	switch c.Args[0] {
	case 15:
		out = append(out, arg("name", c.Strs[0]))
	case 47:
		out = append(out, arg("op", int64(c.Args[1])), arg("cap", strconv.Itoa(int(c.Args[2]))))
		out[len(out)-1] = arg("cap", caps.Name(int(c.Args[2])))
	default:
		out = append(out, arg("value", int64(c.Args[1])))
	}
	return out
}

var memfdFlags = []named{{1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"}, {8, "MFD_NOEXEC_SEAL"}, {16, "MFD_EXEC"}}

func memfdArgs(c *Call) []record.Arg {
	return []record.Arg{arg("name", c.Strs[0]), arg("flags", flagNames(c.Args[1]&0xffff, memfdFlags))}
}

var keyctlOps = []named{{0, "GET_KEYRING_ID"}, {1, "JOIN_SESSION_KEYRING"}, {2, "UPDATE"}, {3, "REVOKE"},
	{4, "CHOWN"}, {5, "SETPERM"}, {6, "DESCRIBE"}, {7, "CLEAR"}, {8, "LINK"}, {9, "UNLINK"}, {10, "SEARCH"},
	{11, "READ"}, {12, "INSTANTIATE"}, {13, "NEGATE"}, {14, "SET_REQKEY_KEYRING"}, {15, "SET_TIMEOUT"},
	{16, "ASSUME_AUTHORITY"}, {17, "GET_SECURITY"}, {18, "SESSION_TO_PARENT"}}

func keyctlArgs(c *Call) []record.Arg {
	return []record.Arg{arg("op", enumName(c.Args[0], keyctlOps))}
}

// signalArgs decodes kill-like calls: the target pid and the signal name.
func signalArgs(pidArg, sigArg int) func(c *Call) []record.Arg {
	return func(c *Call) []record.Arg {
		sig := int(c.Args[sigArg])
		name := unix.SignalName(syscall.Signal(sig))
		if name == "" {
			name = strconv.Itoa(sig)
		}
		return []record.Arg{arg("pid", int64(int32(c.Args[pidArg]))), arg("signal", name)}
	}
}

var socketFamilies = []named{{unix.AF_INET, "AF_INET"}, {unix.AF_INET6, "AF_INET6"}, {unix.AF_PACKET, "AF_PACKET"}}

var socketTypes = []named{{unix.SOCK_STREAM, "SOCK_STREAM"}, {unix.SOCK_DGRAM, "SOCK_DGRAM"},
	{unix.SOCK_RAW, "SOCK_RAW"}, {unix.SOCK_PACKET, "SOCK_PACKET"}}

// socketArgs decodes socket(2) as the kernel reports it: packet and raw
// IP sockets.  The protocol of a packet socket is an ethertype in network
// byte order (ETH_P_ALL is 0x0300 as the call sees it, 0x0003 decoded).
func socketArgs(c *Call) []record.Arg {
	proto := int64(int32(c.Args[2]))
	if c.Args[0] == unix.AF_PACKET {
		proto = int64(uint16(c.Args[2])>>8 | uint16(c.Args[2])<<8)
	}
	return []record.Arg{arg("family", enumName(c.Args[0], socketFamilies)),
		arg("type", enumName(c.Args[1]&0xf, socketTypes)), arg("protocol", proto)}
}
