// The fields a condition reads: the JSON output's names (README, "Output
// schema"), each typed for the CEL checker and read from the record only
// when a condition asks for it.  A field of a part the record lacks (file.*
// on an exec) reads as the empty value of its type.

package rules

import (
	"bytes"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// Field is one name a condition can read.
type Field struct {
	Name string
	Type *cel.Type
	Doc  string
	get  func(v *view) ref.Val
}

// fieldRef is a field and the index of its value in a record's cache.
type fieldRef struct {
	*Field
	id int
}

// view is one record as conditions see it.
type view struct {
	r    *record.Record
	self uint32
}

var (
	emptyStrings = types.NewStringList(types.DefaultTypeAdapter, nil)
	emptyMap     = types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{})
	strList      = cel.ListType(cel.StringType)
)

// str views a record's bytes as a CEL string without copying them: a
// record does not change once built, and a value outlives it only as a
// copy (an output is built into a new string).
func str(b []byte) ref.Val {
	if len(b) == 0 {
		return noStr
	}
	return types.String(unsafe.String(&b[0], len(b)))
}
func strs(s []string) ref.Val {
	if len(s) == 0 {
		return emptyStrings
	}
	return types.NewStringList(types.DefaultTypeAdapter, s)
}
func u32(x uint32) ref.Val { return types.Int(int64(x)) }

// part makes the getters of one part of a record (process, file, ...):
// a part the record lacks reads as zero.
func part[T any](pick func(r *record.Record) *T) func(f func(x *T) ref.Val, zero ref.Val) func(v *view) ref.Val {
	return func(f func(x *T) ref.Val, zero ref.Val) func(v *view) ref.Val {
		return func(v *view) ref.Val {
			if x := pick(v.r); x != nil {
				return f(x)
			}
			return zero
		}
	}
}

var (
	procf   = part(func(r *record.Record) *record.Process { return r.Process })
	file    = part(func(r *record.Record) *record.File { return r.File })
	network = part(func(r *record.Record) *record.Network { return r.Network })
	sys     = part(func(r *record.Record) *record.Syscall { return r.Syscall })
	execf   = part(func(r *record.Record) *record.Exec { return r.Exec })
	privf   = part(func(r *record.Record) *record.Privilege { return r.Priv })
	exitf   = part(func(r *record.Record) *record.Exit { return r.Exit })
	forkf   = part(func(r *record.Record) *record.Fork { return r.Fork })
	inPipe  = part(func(r *record.Record) *record.PipeEnd {
		if r.Exec == nil {
			return nil
		}
		return r.Exec.StdinFrom
	})
	outPipe = part(func(r *record.Record) *record.PipeEnd {
		if r.Exec == nil {
			return nil
		}
		return r.Exec.StdoutTo
	})
)

// stdinFrom, stdoutTo read a string of exec.stdin_from, exec.stdout_to;
// "" when there is none.
func stdinFrom(f func(p *record.PipeEnd) ref.Val) func(v *view) ref.Val { return inPipe(f, noStr) }
func stdoutTo(f func(p *record.PipeEnd) ref.Val) func(v *view) ref.Val  { return outPipe(f, noStr) }

// joinArgs is argv joined by spaces, as process.cmdline.
func joinArgs(args [][]byte) []byte { return bytes.Join(args, []byte(" ")) }

var (
	noStr  = types.String("")
	noInt  = types.Int(0)
	noBool = types.False
)

func creds(prefix string, pick func(p *record.Privilege) *record.Creds) []Field {
	one := func(name string, get func(c *record.Creds) uint32) Field {
		return Field{prefix + name, cel.IntType, "", privf(func(x *record.Privilege) ref.Val { return u32(get(pick(x))) }, noInt)}
	}
	return []Field{
		one("uid", func(c *record.Creds) uint32 { return c.UID }),
		one("euid", func(c *record.Creds) uint32 { return c.EUID }),
		one("suid", func(c *record.Creds) uint32 { return c.SUID }),
		one("fsuid", func(c *record.Creds) uint32 { return c.FSUID }),
		one("gid", func(c *record.Creds) uint32 { return c.GID }),
		one("egid", func(c *record.Creds) uint32 { return c.EGID }),
	}
}

// Fields are every name a condition can read, in the JSON schema's order.
var Fields = func() []Field {
	fs := []Field{
		{"event", cel.StringType, "exec, open, connect, a syscall's name, privilege, ...", func(v *view) ref.Val { return types.String(v.r.Event) }},
		{"category", cel.StringType, "process, file, network, syscall, privilege", func(v *view) ref.Val { return types.String(v.r.Category) }},
		{"error", cel.StringType, "errno name of a failed operation, \"\" when it succeeded", func(v *view) ref.Val { return types.String(v.r.Error) }},

		{"process.pid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.PID) }, noInt)},
		{"process.tid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.TID) }, noInt)},
		{"process.ppid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.PPID) }, noInt)},
		{"process.uid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.UID) }, noInt)},
		{"process.gid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.GID) }, noInt)},
		{"process.euid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.EUID) }, noInt)},
		{"process.egid", cel.IntType, "", procf(func(p *record.Process) ref.Val { return u32(p.EGID) }, noInt)},
		{"process.loginuid", cel.IntType, "-1 when unset", procf(func(p *record.Process) ref.Val {
			if !p.HasLoginUID || p.LoginUID == ^uint32(0) {
				return types.Int(-1)
			}
			return u32(p.LoginUID)
		}, types.Int(-1))},
		{"process.comm", cel.StringType, "", procf(func(p *record.Process) ref.Val { return str(p.Comm) }, noStr)},
		{"process.compat", cel.BoolType, "acting through the 32-bit syscall ABI", procf(func(p *record.Process) ref.Val { return types.Bool(p.Compat) }, noBool)},
		{"process.exe", cel.StringType, "", procf(func(p *record.Process) ref.Val { return str(p.Exe) }, noStr)},
		{"process.script", cel.StringType, "the script an interpreter runs (its #! path, or its first argument), or \"\"", procf(func(p *record.Process) ref.Val { return str(p.Script) }, noStr)},
		{"process.root", cel.StringType, "the root directory, from the mount namespace's root: \"/\" unless chrooted", procf(func(p *record.Process) ref.Val {
			if len(p.Root) == 0 {
				return types.String("/")
			}
			return str(p.Root)
		}, types.String("/"))},
		{"process.mnt_ns", cel.IntType, "mount namespace inode when not the host's, else 0", procf(func(p *record.Process) ref.Val { return u32(p.MntNS) }, noInt)},
		{"process.vpid", cel.IntType, "pid in its own pid namespace when not the host's, else 0", procf(func(p *record.Process) ref.Val { return u32(p.VPID) }, noInt)},
		{"process.pid_ns", cel.IntType, "pid namespace inode when not the host's, else 0", procf(func(p *record.Process) ref.Val { return u32(p.PidNS) }, noInt)},
		{"process.net_ns", cel.IntType, "network namespace inode when not the host's, else 0", procf(func(p *record.Process) ref.Val { return u32(p.NetNS) }, noInt)},
		{"process.user_ns", cel.IntType, "user namespace inode when not the host's, else 0", procf(func(p *record.Process) ref.Val { return u32(p.UserNS) }, noInt)},
		{"process.parent_outside_ns", cel.BoolType, "its real parent is outside its pid namespace: a runtime put it in its container (entrypoint, docker exec)", procf(func(p *record.Process) ref.Val { return types.Bool(p.ParentOutsideNS) }, noBool)},
		{"process.exe_deleted", cel.BoolType, "", procf(func(p *record.Process) ref.Val { return types.Bool(p.ExeDeleted) }, noBool)},
		{"process.args", strList, "", procf(func(p *record.Process) ref.Val {
			out := make([]string, len(p.Args))
			for i, a := range p.Args {
				out[i] = string(a)
			}
			return strs(out)
		}, emptyStrings)},
		{"process.args_truncated", cel.BoolType, "", procf(func(p *record.Process) ref.Val { return types.Bool(p.ArgsTruncated) }, noBool)},
		{"process.cwd", cel.StringType, "", procf(func(p *record.Process) ref.Val { return str(p.Cwd) }, noStr)},
		{"process.ancestry", strList, "executables of the parent, grandparent, ... (the JSON gives each with its pid)", procf(func(p *record.Process) ref.Val {
			out := make([]string, len(p.Ancestry))
			for i, a := range p.Ancestry {
				out[i] = a.Exe
			}
			return strs(out)
		}, emptyStrings)},
		// computed for conditions; not in the JSON
		{"process.ancestor_scripts", strList, "the scripts the ancestors run, parent first (\"\" for a program that is not a script)", procf(func(p *record.Process) ref.Val {
			out := make([]string, len(p.Ancestry))
			for i, a := range p.Ancestry {
				out[i] = a.Script
			}
			return strs(out)
		}, emptyStrings)},
		{"process.parent_exe", cel.StringType, "the parent's executable, \"\" when unknown (not in the JSON: process.ancestry[0])", procf(func(p *record.Process) ref.Val {
			if len(p.Ancestry) == 0 {
				return noStr
			}
			return types.String(p.Ancestry[0].Exe)
		}, noStr)},
		{"process.cmdline", cel.StringType, "the arguments joined by spaces (not in the JSON)", procf(func(p *record.Process) ref.Val {
			return types.String(joinArgs(p.Args))
		}, noStr)},

		{"exec.filename", cel.StringType, "", execf(func(x *record.Exec) ref.Val { return str(x.Filename) }, noStr)},
		{"exec.ret", cel.IntType, "0 or -errno", execf(func(x *record.Exec) ref.Val { return types.Int(x.Ret) }, noInt)},
		{"exec.execveat", cel.BoolType, "", execf(func(x *record.Exec) ref.Val { return types.Bool(x.Execveat) }, noBool)},
		{"exec.ld_preload_value", cel.StringType, "the LD_PRELOAD value (up to 255 bytes), \"\" when none", execf(func(x *record.Exec) ref.Val { return str(x.LDPreloadValue) }, noStr)},
		{"exec.path_misses", cel.IntType, "failed tries of the same name in other PATH directories, folded into this exec", execf(func(x *record.Exec) ref.Val { return types.Int(x.PathMisses) }, noInt)},
		// the program at the other end of this exec's stdin or stdout pipe,
		// when it exec'd first ("" when none was joined)
		{"exec.stdin_from", cel.StringType, "the executable writing into this program's stdin pipe (exec.stdin_from.exe)", stdinFrom(func(p *record.PipeEnd) ref.Val { return types.String(p.Exe) })},
		{"exec.stdin_from_cmdline", cel.StringType, "its arguments joined by spaces", stdinFrom(func(p *record.PipeEnd) ref.Val { return str(joinArgs(p.Args)) })},
		{"exec.stdout_to", cel.StringType, "the executable reading this program's stdout pipe (exec.stdout_to.exe)", stdoutTo(func(p *record.PipeEnd) ref.Val { return types.String(p.Exe) })},
		{"exec.stdout_to_cmdline", cel.StringType, "its arguments joined by spaces", stdoutTo(func(p *record.PipeEnd) ref.Val { return str(joinArgs(p.Args)) })},
		{"exec.stdout_to_script", cel.StringType, "the script it runs, \"\" when none", stdoutTo(func(p *record.PipeEnd) ref.Val { return types.String(p.Script) })},
		{"exec.dropped_by", cel.StringType, "the executable that dropped this program's file into a system directory since the monitor started (its write raised system-binary-dropped), \"\" when none", execf(func(x *record.Exec) ref.Val { return types.String(x.DroppedBy) }, noStr)},
		{"exec.exe_deleted", cel.BoolType, "", execf(func(x *record.Exec) ref.Val { return types.Bool(x.ExeDeleted) }, noBool)},
		{"exec.exe_upper_layer", cel.BoolType, "the executable is in an overlayfs upper layer (in a container: not in its image)", execf(func(x *record.Exec) ref.Val { return types.Bool(x.ExeUpperLayer) }, noBool)},
		{"exec.exe_tmpfs", cel.BoolType, "the executable is on tmpfs", execf(func(x *record.Exec) ref.Val { return types.Bool(x.ExeTmpfs) }, noBool)},
		{"exec.healthcheck", cel.BoolType, "the container engine ran it as the container's health check (its command line is the check's)", execf(func(x *record.Exec) ref.Val { return types.Bool(x.Healthcheck) }, noBool)},
		{"exec.stdio_sockets", strList, "which of stdin, stdout, stderr are sockets", execf(func(x *record.Exec) ref.Val { return strs(x.StdioSockets) }, emptyStrings)},
		{"exec.ld_preload", cel.BoolType, "", execf(func(x *record.Exec) ref.Val { return types.Bool(x.LDPreload) }, noBool)},

		{"exit.code", cel.IntType, "", exitf(func(x *record.Exit) ref.Val { return types.Int(x.Code) }, noInt)},
		{"exit.signal", cel.IntType, "", exitf(func(x *record.Exit) ref.Val { return types.Int(x.Signal) }, noInt)},
		{"fork.child_pid", cel.IntType, "", forkf(func(x *record.Fork) ref.Val { return u32(x.ChildPID) }, noInt)},

		{"container.id", cel.StringType, "the container the process runs in (64 hex digits), \"\" on the host", containerField(func(c *record.Container) string { return c.ID })},
		{"container.short_id", cel.StringType, "its first 12 digits", containerField(func(c *record.Container) string { return c.ShortID() })},
		{"container.runtime", cel.StringType, "docker, containerd, cri-o, podman; \"\" when its cgroup layout does not say", containerField(func(c *record.Container) string { return c.Runtime })},
		{"container.pod_uid", cel.StringType, "Kubernetes: the pod's uid", containerField(func(c *record.Container) string { return c.PodUID })},
		{"container.name", cel.StringType, "from the runtime's API (\"\" until it answered)", containerField(func(c *record.Container) string { return c.Name })},
		{"container.image", cel.StringType, "the image as the container was created from (name:tag), from the runtime's API", containerField(func(c *record.Container) string { return c.Image })},
		{"container.image_id", cel.StringType, "", containerField(func(c *record.Container) string { return c.ImageID })},
		{"container.pod", cel.StringType, "Kubernetes: the pod's name (label io.kubernetes.pod.name)", containerField(func(c *record.Container) string { return c.Pod })},
		{"container.namespace", cel.StringType, "Kubernetes: the pod's namespace", containerField(func(c *record.Container) string { return c.Namespace })},
		{"container.build", cel.BoolType, "a step of docker build (the classic builder's container, from the runtime's API)", func(v *view) ref.Val {
			return types.Bool(v.r.Container != nil && v.r.Container.Build)
		}},
		{"container.privileged", cel.BoolType, "started with --privileged (from the runtime's API)", func(v *view) ref.Val {
			return types.Bool(v.r.Container != nil && v.r.Container.Privileged)
		}},
		{"container.risks", strList, "what of its configuration reaches the host, in words: privileged, host pid namespace, capability SYS_ADMIN, runtime socket ... mounted, host / mounted read-only, ...", func(v *view) ref.Val {
			if v.r.Container == nil {
				return emptyStrings
			}
			return strs(v.r.Container.Risks)
		}},

		{"file.path", cel.StringType, "", file(func(x *record.File) ref.Val { return str(x.Path) }, noStr)},
		{"file.host_path", cel.StringType, "the path from the mount namespace's root (file.path unless chrooted)", file(func(x *record.File) ref.Val {
			if len(x.HostPath) == 0 {
				return str(x.Path)
			}
			return str(x.HostPath)
		}, noStr)},
		{"file.requested_path", cel.StringType, "", file(func(x *record.File) ref.Val { return str(x.RequestedPath) }, noStr)},
		{"file.target_path", cel.StringType, "", file(func(x *record.File) ref.Val { return str(x.TargetPath) }, noStr)},
		{"file.operation", cel.StringType, "", file(func(x *record.File) ref.Val { return types.String(x.Operation) }, noStr)},
		{"file.flags", strList, "O_* of an open, AT_*/RENAME_* of the others", func(v *view) ref.Val {
			if v.r.File == nil {
				return emptyStrings
			}
			return flagNames(v.r.Event == "open", v.r.Event == "rename", v.r.File.OpenFlags)
		}},
		{"file.mode", cel.IntType, "the mode as a number (the JSON writes it in octal), -1 when none", file(func(x *record.File) ref.Val {
			if !x.HasMode {
				return types.Int(-1)
			}
			return types.Int(x.Mode & 0o7777)
		}, types.Int(-1))},
		{"file.mode_bits", strList, "", file(func(x *record.File) ref.Val {
			if !x.HasMode {
				return emptyStrings
			}
			return strs(output.ModeBits(x.Mode))
		}, emptyStrings)},
		{"file.created", cel.BoolType, "an open that made the file (it did not exist)", file(func(x *record.File) ref.Val { return types.Bool(x.Created) }, noBool)},
		{"file.mtime_set", cel.StringType, "utimes: the modification time set explicitly (RFC 3339), \"\" when now or unchanged", file(func(x *record.File) ref.Val { return timeSet(x.MTimeSet) }, noStr)},
		{"file.atime_set", cel.StringType, "utimes: the access time set explicitly (RFC 3339), \"\" when now or unchanged", file(func(x *record.File) ref.Val { return timeSet(x.ATimeSet) }, noStr)},
		{"file.resolved", cel.BoolType, "", file(func(x *record.File) ref.Val { return types.Bool(x.Resolved) }, noBool)},
		{"file.via", cel.StringType, "", file(func(x *record.File) ref.Val { return types.String(x.Via) }, noStr)},
		{"file.class", cel.StringType, "", file(func(x *record.File) ref.Val { return types.String(x.Class) }, noStr)},
		{"file.watch", cel.StringType, "", file(func(x *record.File) ref.Val { return types.String(x.Watch) }, noStr)},
		{"file.watch_owner", cel.IntType, "uid owning the watched home directory, -1 if none", file(func(x *record.File) ref.Val { return types.Int(x.WatchOwner) }, types.Int(-1))},

		{"network.audit_type", cel.StringType, "a message to the audit system that changes it (family netlink): AUDIT_SET, AUDIT_ADD_RULE, AUDIT_DEL_RULE, AUDIT_TRIM, AUDIT_MAKE_EQUIV, AUDIT_SET_FEATURE", network(func(n *record.Network) ref.Val {
			if n.Audit == nil {
				return types.String("")
			}
			return types.String(n.Audit.Type)
		}, noStr)},
		{"network.audit_enabled", cel.IntType, "AUDIT_SET: the enabled status it sets (0 off, 1 on, 2 locked), -1 when it leaves it alone", network(func(n *record.Network) ref.Val {
			if n.Audit == nil {
				return types.Int(-1)
			}
			return types.Int(n.Audit.Enabled)
		}, types.Int(-1))},
		{"network.audit_pid", cel.IntType, "AUDIT_SET: the audit daemon pid it sets (0: none), -1 when it leaves it alone", network(func(n *record.Network) ref.Val {
			if n.Audit == nil {
				return types.Int(-1)
			}
			return types.Int(n.Audit.PID)
		}, types.Int(-1))},
		{"network.family", cel.StringType, "", network(func(n *record.Network) ref.Val { return types.String(n.Family) }, noStr)},
		{"network.protocol", cel.StringType, "", network(func(n *record.Network) ref.Val { return types.String(n.Protocol) }, noStr)},
		{"network.src_ip", cel.StringType, "", network(func(n *record.Network) ref.Val { return ipString(n.SrcIP.IsValid(), n.SrcIP.String) }, noStr)},
		{"network.src_port", cel.IntType, "", network(func(n *record.Network) ref.Val { return types.Int(n.SrcPort) }, noInt)},
		{"network.dst_ip", cel.StringType, "", network(func(n *record.Network) ref.Val { return ipString(n.DstIP.IsValid(), n.DstIP.String) }, noStr)},
		{"network.dst_port", cel.IntType, "", network(func(n *record.Network) ref.Val { return types.Int(n.DstPort) }, noInt)},
		{"file.accounts_added", strList, "a change of the host's /etc/passwd, judged when its process exited: the names of the accounts it added (or gave uid 0)", file(func(f *record.File) ref.Val {
			names := make([]string, len(f.AccountsAdded))
			for i, a := range f.AccountsAdded {
				names[i] = a.Name
			}
			return strs(names)
		}, emptyStrings)},
		{"file.root_accounts_added", strList, "those of file.accounts_added with uid 0", file(func(f *record.File) ref.Val {
			var names []string
			for _, a := range f.AccountsAdded {
				if a.UID == 0 {
					names = append(names, a.Name)
				}
			}
			return strs(names)
		}, emptyStrings)},
		{"network.ports_tried", cel.IntType, "connect: the distinct ports of this host the process tried in the last 10 s, this one included", network(func(n *record.Network) ref.Val { return types.Int(n.PortsTried) }, noInt)},
		{"network.hosts_tried", cel.IntType, "connect: the distinct hosts the process tried in the last 10 s, this one included", network(func(n *record.Network) ref.Val { return types.Int(n.HostsTried) }, noInt)},
		{"network.dst_scope", cel.StringType, "where the destination is: loopback, local (an address of this host) or remote", network(func(n *record.Network) ref.Val { return types.String(n.DstScope) }, noStr)},
		{"network.dst_resolver", cel.BoolType, "the destination is a nameserver of /etc/resolv.conf, port 53", network(func(n *record.Network) ref.Val { return types.Bool(n.Resolver) }, noBool)},
		{"network.unix_path", cel.StringType, "", network(func(n *record.Network) ref.Val { return str(n.UnixPath) }, noStr)},
		{"network.direction", cel.StringType, "outbound, inbound, listen", network(func(n *record.Network) ref.Val { return types.String(n.Direction) }, noStr)},
		{"network.sources", strList, "", network(func(n *record.Network) ref.Val { return strs(n.Sources) }, emptyStrings)},

		{"syscall.name", cel.StringType, "", sys(func(s *record.Syscall) ref.Val { return types.String(s.Name) }, noStr)},
		{"syscall.nr", cel.IntType, "", sys(func(s *record.Syscall) ref.Val { return u32(s.Nr) }, noInt)},
		{"syscall.group", cel.StringType, "", sys(func(s *record.Syscall) ref.Val { return types.String(s.Group) }, noStr)},
		{"syscall.ret", cel.IntType, "", sys(func(s *record.Syscall) ref.Val { return types.Int(s.Ret) }, noInt)},
		{"syscall.args", cel.MapType(cel.StringType, cel.DynType), "the decoded arguments, by name, as in the JSON", sys(func(s *record.Syscall) ref.Val {
			m := make(map[string]any, len(s.Args))
			for _, a := range s.Args {
				switch x := a.Value.(type) {
				case []byte:
					m[a.Key] = string(x)
				case uint64:
					m[a.Key] = int64(x)
				default:
					m[a.Key] = x
				}
			}
			return types.NewStringInterfaceMap(types.DefaultTypeAdapter, m)
		}, emptyMap)},
		{"syscall.raw", cel.ListType(cel.IntType), "the six arguments as the kernel passed them (not in the JSON)", sys(func(s *record.Syscall) ref.Val {
			out := make([]int64, len(s.Raw))
			for i, a := range s.Raw {
				out[i] = int64(a)
			}
			return types.DefaultTypeAdapter.NativeToValue(out)
		}, types.DefaultTypeAdapter.NativeToValue([]int64{}))},
		{"syscall.target_pid", cel.IntType, "", sys(func(s *record.Syscall) ref.Val { return u32(s.TargetPID) }, noInt)},
		{"syscall.target_exe", cel.StringType, "", sys(func(s *record.Syscall) ref.Val { return types.String(s.TargetExe) }, noStr)},
		// a record without it (an older log) was one aimed at the monitor:
		// the kernel reported no other signals then
		{"syscall.target_is_monitor", cel.BoolType, "kill, tkill, tgkill: the signal reaches the monitor (else an audit or logging daemon)", sys(func(s *record.Syscall) ref.Val {
			if s.TargetIsMonitor == nil {
				return types.Bool(s.Name == "kill" || s.Name == "tkill" || s.Name == "tgkill")
			}
			return types.Bool(*s.TargetIsMonitor)
		}, noBool)},
		{"syscall.target_is_descendant", cel.BoolType, "the target is the caller's child, or a child's child (a debugger's own program)", sys(func(s *record.Syscall) ref.Val { return types.Bool(s.TargetIsDescendant) }, noBool)},
		// enrichment checks it at the event; a record without the check (an
		// older log) counts as other, as an unknown namespace does there
		{"syscall.enters_host_namespace", cel.BoolType, "setns that succeeded: the namespace entered is one of init's (the host's)", sys(func(s *record.Syscall) ref.Val {
			return types.Bool(s.EntersHostNamespace != nil && *s.EntersHostNamespace)
		}, noBool)},
		{"syscall.enters_other_namespace", cel.BoolType, "setns that succeeded: the namespace entered is none of the parent's", sys(func(s *record.Syscall) ref.Val {
			return types.Bool(s.EntersOtherNamespace == nil || *s.EntersOtherNamespace)
		}, noBool)},

		{"privilege.means", cel.StringType, "syscall, exec, unexplained, userns", privf(func(x *record.Privilege) ref.Val { return types.String(x.Means) }, noStr)},
		{"privilege.syscall", cel.StringType, "", privf(func(x *record.Privilege) ref.Val { return types.String(x.Syscall) }, noStr)},
		{"privilege.gained", strList, "", privf(func(x *record.Privilege) ref.Val { return strs(x.Gained) }, emptyStrings)},
		{"privilege.exe_uid", cel.IntType, "owner of the executable (exec), -1 when unknown", privf(func(x *record.Privilege) ref.Val { return types.Int(x.ExeUID) }, types.Int(-1))},
		{"privilege.exe_mode", cel.IntType, "as a number", privf(func(x *record.Privilege) ref.Val { return types.Int(x.ExeMode & 0o7777) }, noInt)},
		{"privilege.seen_at", cel.StringType, "", privf(func(x *record.Privilege) ref.Val { return types.String(x.SeenAt) }, noStr)},

		{"monitor.pid", cel.IntType, "the monitor's own pid (not in the JSON)", func(v *view) ref.Val { return u32(v.self) }},
	}
	fs = append(fs, creds("privilege.before.", func(p *record.Privilege) *record.Creds { return &p.Before })...)
	fs = append(fs, creds("privilege.after.", func(p *record.Privilege) *record.Creds { return &p.After })...)
	return fs
}()

var fieldByName = func() map[string]*fieldRef {
	m := make(map[string]*fieldRef, len(Fields))
	for i := range Fields {
		m[Fields[i].Name] = &fieldRef{Field: &Fields[i], id: i}
	}
	return m
}()

// FieldNames lists the fields, sorted.
func FieldNames() []string {
	out := make([]string, 0, len(Fields))
	for _, f := range Fields {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

func ipString(valid bool, s func() string) ref.Val {
	if !valid {
		return noStr
	}
	return types.String(s())
}

// text is a field's value as an exception or an output template shows it.
func text(val ref.Val) string {
	switch x := val.(type) {
	case types.String:
		return string(x)
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	}
	var items []string
	eachString(val, func(s string) bool { items = append(items, s); return false })
	return strings.Join(items, ",")
}

// activation resolves a condition's names against one record: fields are
// read when asked, macros evaluated at most once per record.
type activation struct {
	v         view
	lang      *language
	gen       uint32    // this record's number: a cached value of another is stale
	fieldVals []ref.Val // by field id, valid when fieldGen matches
	fieldGen  []uint32
	macroVals []ref.Val // by macro id, valid when macroGen matches
	macroGen  []uint32
}

func newActivation(lang *language) activation {
	return activation{lang: lang, fieldVals: make([]ref.Val, len(Fields)), fieldGen: make([]uint32, len(Fields)),
		macroVals: make([]ref.Val, len(lang.macros)), macroGen: make([]uint32, len(lang.macros))}
}

// reset starts a record: nothing cached is valid any more (no clearing:
// the generation moves on).
func (a *activation) reset(r *record.Record, self uint32) {
	a.v = view{r: r, self: self}
	a.gen++
	if a.gen == 0 { // wrapped: old generations could look current
		clear(a.fieldGen)
		clear(a.macroGen)
		a.gen = 1
	}
}

// field reads a field once per record: several rules ask for the same.
func (a *activation) field(f *fieldRef) ref.Val {
	if a.fieldGen[f.id] == a.gen {
		return a.fieldVals[f.id]
	}
	v := f.get(&a.v)
	a.fieldVals[f.id], a.fieldGen[f.id] = v, a.gen
	return v
}

func (a *activation) ResolveName(name string) (any, bool) {
	if f := fieldByName[name]; f != nil {
		return a.field(f), true
	}
	if m := a.lang.macros[name]; m != nil {
		return a.macro(m), true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// macro evaluates a macro at most once per record.
func (a *activation) macro(m *macro) ref.Val {
	if a.macroGen[m.id] == a.gen {
		return a.macroVals[m.id]
	}
	out := m.fast(a)
	a.macroVals[m.id], a.macroGen[m.id] = out, a.gen
	return out
}

// recordEvents are the events of records that are not syscalls.
var recordEvents = slices.Concat([]string{"exec", "exit", "fork", "privilege", "container_start"}, record.FileEvents, record.NetworkEvents)

// timeSet is a time of file.mtime_set or atime_set as the JSON writes it.
func timeSet(t time.Time) ref.Val {
	if t.IsZero() {
		return types.String("")
	}
	return types.String(t.Format(time.RFC3339))
}

// KnownEvent says whether records of that event exist.
func KnownEvent(name string) bool {
	return slices.Contains(recordEvents, name) || slices.Contains(syscalls.Names(), name)
}

// flagNames are the names of a file record's flags.  The combinations a
// machine uses are few: each list is built once and kept (up to 4096).
func flagNames(open, rename bool, flags uint32) ref.Val {
	key := uint64(flags)
	switch {
	case open:
		key |= 1 << 32
	case rename:
		key |= 2 << 32
	}
	if v, ok := flagLists.Load(key); ok {
		return v.(ref.Val)
	}
	var names []string
	switch {
	case open:
		names = output.OpenFlagNames(flags)
	case rename:
		names = output.AtFlagNames("rename", flags)
	default:
		names = output.AtFlagNames("", flags)
	}
	v := constList(names)
	if flagListCount.Add(1) <= 4096 {
		flagLists.Store(key, v)
	}
	return v
}

var (
	flagLists     sync.Map // key -> ref.Val
	flagListCount atomic.Int64
)

// containerField reads a field of the record's container, "" on the host.
func containerField(get func(*record.Container) string) func(v *view) ref.Val {
	return func(v *view) ref.Val {
		if v.r.Container == nil {
			return types.String("")
		}
		return types.String(get(v.r.Container))
	}
}
