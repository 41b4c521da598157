package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// Def is one built-in rule: a stable name, what it means, its default
// severity, MITRE ATT&CK techniques and a condition over a typed record.
type Def struct {
	Name        string
	Description string
	Severity    record.Severity
	Mitre       []string
	Match       func(r *record.Record, c *Ctx) bool
}

// Ctx is what a condition may consult besides the record.
type Ctx struct {
	Policy *policy.Policy
	Self   uint32 // the monitor's own pid
}

// NsOther says whether a successful setns entered a namespace other than
// those the caller came from.  The caller itself has switched by now, so
// the namespace's inode number is compared with its parent's
// /proc/<ppid>/ns links, read now (a parent already gone counts as other).
func (c *Ctx) NsOther(r *record.Record) bool {
	ino, _ := syscallArg(r.Syscall, "ns_inode").(uint64)
	if ino == 0 {
		return true
	}
	dir := "/proc/" + strconv.FormatUint(uint64(r.Process.PPID), 10) + "/ns/"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	want := ":[" + strconv.FormatUint(ino, 10) + "]"
	for _, e := range ents {
		if link, err := os.Readlink(dir + e.Name()); err == nil && strings.HasSuffix(link, want) {
			return false
		}
	}
	return true
}

// Engine judges records against the rules and the policy.  It is used by
// one goroutine; SetPolicy swaps the policy between records.
type Engine struct {
	defs   []Def
	policy *policy.Policy
	cfgs   []*policy.Rule // the policy's entry for defs[i], or nil
	ctx    Ctx
	self   uint32
}

// NewEngine returns an engine with the built-in rules.
func NewEngine(p *policy.Policy) *Engine {
	e := &Engine{defs: Builtin, self: uint32(os.Getpid())}
	e.SetPolicy(p)
	return e
}

// SetPolicy replaces the policy (SIGHUP).  Each rule's entry is looked up
// here once, not for every record.
func (e *Engine) SetPolicy(p *policy.Policy) {
	e.policy = p
	e.cfgs = make([]*policy.Rule, len(e.defs))
	for i, d := range e.defs {
		e.cfgs[i] = p.Rules[d.Name]
	}
	e.ctx = Ctx{Policy: p, Self: e.self}
}

// Policy is the policy in force.
func (e *Engine) Policy() *policy.Policy { return e.policy }

// InjectionPtraceRequests are the ptrace requests that take control of
// another process or write into it (process-injection).  The kernel side
// must report each (enum ptrace_reported; checked in monitor's tests).
var InjectionPtraceRequests = []uint64{unix.PTRACE_ATTACH, unix.PTRACE_SEIZE, unix.PTRACE_POKETEXT,
	unix.PTRACE_POKEDATA, unix.PTRACE_POKEUSR, unix.PTRACE_SETREGS, unix.PTRACE_SETREGSET}

// Names lists the built-in rule names (for policy checking).
func Names() []string {
	out := make([]string, len(Builtin))
	for i, d := range Builtin {
		out[i] = d.Name
	}
	return out
}

// Evaluate appends every matching rule to r.Rules and raises r.Severity to
// the highest of them.  Allowlists (global and per rule) and disabled rules
// are honoured; the policy may change a rule's severity.
func (e *Engine) Evaluate(r *record.Record) {
	if r.Process == nil || r.Category == record.CatMonitor {
		return
	}
	c := &e.ctx
	exe := "" // copied from the record only for a rule that matched
	parent := ""
	if len(r.Process.Ancestry) > 0 {
		parent = r.Process.Ancestry[0].Exe
	}
	for i := range e.defs {
		d := &e.defs[i]
		cfg := e.cfgs[i]
		if cfg != nil && !cfg.Enabled {
			continue
		}
		if !d.Match(r, c) {
			continue
		}
		if exe == "" {
			exe = string(r.Process.Exe)
		}
		if e.policy.Allow.Allows(exe, r.Process.UID, parent) {
			continue
		}
		sev := d.Severity
		if cfg != nil {
			if cfg.Allow.Allows(exe, r.Process.UID, parent) {
				continue
			}
			if cfg.HasSeverity {
				sev = cfg.Severity
			}
		}
		r.Rules = append(r.Rules, record.Rule{Name: d.Name, Severity: sev, Mitre: d.Mitre, Description: d.Description})
		if sev > r.Severity {
			r.Severity = sev
		}
	}
}

func base(s []byte) string { return filepath.Base(string(s)) }

func fileModifies(f *record.File, event string) bool {
	switch event {
	case "open":
		return f.Operation != "read" || f.OpenFlags&0o1000 != 0 // O_TRUNC
	case "":
		return false
	}
	return true // unlink, rename, chmod, chown, truncate, link, symlink, mknod
}

func fileReads(f *record.File, event string) bool {
	return event == "open" && (f.Operation == "read" || f.Operation == "read-write")
}

func isSSHPrivateKey(path string) bool {
	b := filepath.Base(path)
	return strings.HasPrefix(b, "id_") && !strings.HasSuffix(b, ".pub")
}

func syscallArg(s *record.Syscall, key string) any {
	for _, a := range s.Args {
		if a.Key == key {
			return a.Value
		}
	}
	return nil
}

// webServices are network services whose children should not be shells
// (sshd is deliberately absent: its sessions are shells).
var webServices = map[string]bool{"nginx": true, "apache2": true, "httpd": true, "lighttpd": true,
	"php-fpm": true, "uwsgi": true, "gunicorn": true, "java": true, "tomcat": true, "mysqld": true,
	"mariadbd": true, "postgres": true, "redis-server": true, "mongod": true, "caddy": true}

func isWebService(exe string) bool {
	b := filepath.Base(exe)
	return webServices[b] || strings.HasPrefix(b, "php-fpm") || strings.HasPrefix(b, "php")
}

var reverseShellRE = regexp.MustCompile(`/dev/(tcp|udp)/|\bnc(at)?\b.*\s-(e|c)\s|--sh-exec|\bsocat\b.*\bexec:|` +
	`(python[0-9.]*|perl|ruby|php)\b.*\b(socket|fsockopen|TCPSocket)\b|\bsh -i\b|\bbash -i\b`)

var credentialHuntRE = regexp.MustCompile(`id_(rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|/etc/shadow\b|` +
	`\.kube/config|\.git-credentials|\.netrc\b|\.pgpass\b|\.docker/config\.json|wallet\.dat`)

func argsLine(p *record.Process) string {
	parts := make([]string, len(p.Args))
	for i, a := range p.Args {
		parts[i] = string(a)
	}
	return strings.Join(parts, " ")
}

func isService(r *record.Record, c *Ctx) bool {
	exe := string(r.Process.Exe)
	return r.Process.PPID == 1 || policy.MatchAny(c.Policy.Services, exe) || IsServiceExe(exe)
}

// Builtin is the rule set.  Names are stable: policies and users refer to them.
var Builtin = []Def{
	{Name: "credential-read", Severity: record.Warn, Mitre: []string{"T1003.008", "T1552.004"},
		Description: "a credential file (password hashes, sudoers, SSH private key) read by a process not on the allowlist",
		Match: func(r *record.Record, c *Ctx) bool {
			f := r.File
			if f == nil || !fileReads(f, r.Event) {
				return false
			}
			switch f.Class {
			case watch.ClassCredentials:
				return true
			case watch.ClassSSH:
				return isSSHPrivateKey(string(f.Path)) && int64(r.Process.EUID) != f.WatchOwner
			}
			return false
		}},
	{Name: "persistence-write", Severity: record.Warn, Mitre: []string{"T1053.003", "T1543.002", "T1098.004"},
		Description: "a persistence location (cron, systemd units, init scripts, shell profiles, authorized_keys) written, renamed or deleted",
		Match: func(r *record.Record, c *Ctx) bool {
			f := r.File
			if f == nil || !fileModifies(f, r.Event) {
				return false
			}
			p := string(f.Path)
			return f.Class == watch.ClassPersistence || strings.HasSuffix(p, "/authorized_keys") ||
				strings.HasSuffix(p, "/authorized_keys2") || strings.HasSuffix(string(f.TargetPath), "/authorized_keys")
		}},
	{Name: "preload-injection", Severity: record.Critical, Mitre: []string{"T1574.006"},
		Description: "/etc/ld.so.preload changed, or a program started with LD_PRELOAD",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.File != nil && fileModifies(r.File, r.Event) &&
				(string(r.File.Path) == "/etc/ld.so.preload" || string(r.File.TargetPath) == "/etc/ld.so.preload") {
				return true
			}
			return r.Exec != nil && r.Exec.LDPreload && r.Exec.Ret == 0
		}},
	{Name: "shell-from-service", Severity: record.Critical, Mitre: []string{"T1505.003"},
		Description: "a shell or interpreter started by a network service (web server, database): a web shell",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.Exec == nil || r.Exec.Ret != 0 || len(r.Process.Ancestry) == 0 {
				return false
			}
			return IsInterpreter(string(r.Process.Exe)) && isWebService(r.Process.Ancestry[0].Exe)
		}},
	{Name: "reverse-shell", Severity: record.Critical, Mitre: []string{"T1059"},
		Description: "a shell whose standard input or output is a socket, or a reverse-shell command line",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.Exec == nil || r.Exec.Ret != 0 {
				return false
			}
			if IsInterpreter(string(r.Process.Exe)) && len(r.Exec.StdioSockets) > 0 {
				return true
			}
			return reverseShellRE.MatchString(argsLine(r.Process))
		}},
	{Name: "exec-from-writable-dir", Severity: record.Warn, Mitre: []string{"T1620", "T1036"},
		Description: "a program run from /tmp, /var/tmp, /dev/shm, a memfd, or a deleted file",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.Exec == nil || r.Exec.Ret != 0 {
				return false
			}
			exe := string(r.Process.Exe)
			return r.Exec.ExeDeleted || hasAnyPrefix(exe, []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/memfd:"})
		}},
	{Name: "privilege-escalation", Severity: record.Critical, Mitre: []string{"T1068"},
		Description: "root gained outside a privilege helper: an untrusted set-uid binary, set*id by a non-helper, or no explanation (kernel exploit)",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.Priv != nil && PrivilegeSeverityWith(r.Priv, string(r.Process.Exe), c.Policy.PrivilegeHelpers) == record.Critical
		}},
	{Name: "privilege-gain", Severity: record.Warn, Mitre: []string{"T1548"},
		Description: "privilege gained through a set-uid or file-capability binary, or a user namespace's root used for mounts, setns, modules or capabilities",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.Priv != nil && PrivilegeSeverityWith(r.Priv, string(r.Process.Exe), c.Policy.PrivilegeHelpers) == record.Warn
		}},
	{Name: "setuid-bit-set", Severity: record.Warn, Mitre: []string{"T1548.001"},
		Description: "a set-uid or set-gid bit added by chmod",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.Event == "chmod" && r.File != nil && r.File.HasMode && r.File.Mode&0o6000 != 0
		}},
	{Name: "kernel-code-load", Severity: record.Warn, Mitre: []string{"T1547.006"},
		Description: "a kernel module, kexec image or BPF program loaded by a process not on the allowlist",
		Match: func(r *record.Record, c *Ctx) bool {
			s := r.Syscall
			if s == nil {
				return false
			}
			switch s.Name {
			case "init_module", "finit_module", "kexec_load", "kexec_file_load":
				return true
			case "bpf":
				return s.Raw[0] == unix.BPF_PROG_LOAD
			}
			return false
		}},
	{Name: "process-injection", Severity: record.Warn, Mitre: []string{"T1055"},
		Description: "ptrace attach or memory write into another process, or process_vm_writev",
		Match: func(r *record.Record, c *Ctx) bool {
			s := r.Syscall
			if s == nil || s.TargetPID == r.Process.PID {
				return false
			}
			switch s.Name {
			case "process_vm_writev":
				return true
			case "ptrace":
				return slices.Contains(InjectionPtraceRequests, s.Raw[0])
			}
			return false
		}},
	{Name: "log-tampering", Severity: record.Warn, Mitre: []string{"T1070"},
		Description: "a log under /var/log truncated or deleted, a shell history deleted or truncated, or the kernel log cleared",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.Syscall != nil && r.Syscall.Name == "syslog" {
				return syscalls.SyslogClears(r.Syscall.Raw[0]) // the kernel reports only clears
			}
			f := r.File
			if f == nil || (f.Class != watch.ClassLogs && f.Class != watch.ClassHistory) {
				return false
			}
			switch r.Event {
			case "unlink", "rename", "truncate":
				return true
			case "open":
				return f.OpenFlags&0o1000 != 0 // O_TRUNC
			}
			return false
		}},
	{Name: "suspicious-outbound", Severity: record.Warn, Mitre: []string{"T1071", "T1496"},
		Description: "a shell or interpreter connecting out, or a connection to a miner-pool or reverse-shell port",
		Match: func(r *record.Record, c *Ctx) bool {
			n := r.Network
			if n == nil || n.Direction != "outbound" || len(n.UnixPath) > 0 {
				return false
			}
			return IsInterpreter(string(r.Process.Exe)) || c.Policy.SuspiciousPorts[n.DstPort]
		}},
	{Name: "unexpected-listener", Severity: record.Warn, Mitre: []string{"T1205"},
		Description: "a new listening socket opened by a process that is not a service",
		Match: func(r *record.Record, c *Ctx) bool {
			if r.Event != "listen" || r.Network == nil || r.Error != "" {
				return false
			}
			return !isService(r, c) || c.Policy.SuspiciousPorts[r.Network.SrcPort]
		}},
	{Name: "container-escape", Severity: record.Critical, Mitre: []string{"T1611"},
		Description: "a write to release_agent or core_pattern, a connect to a container runtime socket, or setns into another process's namespace",
		Match: func(r *record.Record, c *Ctx) bool {
			if f := r.File; f != nil && fileModifies(f, r.Event) {
				p := string(f.Path)
				return strings.HasSuffix(p, "/release_agent") || p == "/proc/sys/kernel/core_pattern"
			}
			if n := r.Network; n != nil && len(n.UnixPath) > 0 && r.Event == "connect" {
				for _, s := range RuntimeSockets {
					if string(n.UnixPath) == s {
						return true
					}
				}
			}
			return r.Syscall != nil && r.Syscall.Name == "setns" && r.Error == "" && c.NsOther(r)
		}},
	{Name: "credential-hunting", Severity: record.Warn, Mitre: []string{"T1552"},
		Description: "a command line naming private keys, cloud or cluster credentials, or /etc/shadow",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.Exec != nil && credentialHuntRE.MatchString(argsLine(r.Process))
		}},
	{Name: "sensitive-config-modified", Severity: record.Warn, Mitre: []string{"T1098", "T1556"},
		Description: "accounts, authentication or loader configuration, or kernel files changed",
		Match: func(r *record.Record, c *Ctx) bool {
			f := r.File
			if f == nil || !fileModifies(f, r.Event) {
				return false
			}
			switch f.Class {
			case watch.ClassAccounts, watch.ClassAuthConfig, watch.ClassKernel, watch.ClassCredentials:
				return true
			case watch.ClassPreload:
				return string(f.Path) != "/etc/ld.so.preload" // that one is preload-injection
			}
			return false
		}},
	{Name: "process-memory-access", Severity: record.Warn, Mitre: []string{"T1055.009"},
		Description: "another process's memory opened through /proc/<pid>/mem",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.File != nil && r.File.Class == watch.ClassProcMem && procOwner(r.File.Path) != r.Process.PID
		}},
	{Name: "kernel-tampering", Severity: record.Warn, Mitre: []string{"T1014", "T1070.006"},
		Description: "raw I/O port access, a clock change, a reboot request, open_by_handle_at, or userfaultfd by non-root",
		Match: func(r *record.Record, c *Ctx) bool {
			s := r.Syscall
			if s == nil {
				return false
			}
			switch s.Name {
			case "iopl", "ioperm", "settimeofday", "clock_settime", "reboot", "open_by_handle_at":
				return true
			case "userfaultfd":
				return r.Process.EUID != 0
			}
			return false
		}},
	{Name: "monitor-tampering", Severity: record.Critical, Mitre: []string{"T1562.001"},
		Description: "a signal or ptrace aimed at the monitor itself, or BPF programs detached",
		Match: func(r *record.Record, c *Ctx) bool {
			s := r.Syscall
			if s == nil {
				return false
			}
			switch s.Name {
			case "kill", "tkill", "tgkill":
				return true // the kernel reports only those aimed at the monitor
			case "ptrace", "process_vm_writev", "process_vm_readv":
				return c.Self != 0 && s.TargetPID == c.Self
			case "bpf":
				return s.Raw[0] == unix.BPF_LINK_DETACH || s.Raw[0] == unix.BPF_PROG_DETACH
			}
			return false
		}},
	{Name: "watched-path-modified", Severity: record.Warn, Mitre: nil,
		Description: "a path of --watch-path or the policy's watch.paths written, renamed, deleted or re-moded",
		Match: func(r *record.Record, c *Ctx) bool {
			return r.File != nil && r.File.Class == watch.ClassCustom && fileModifies(r.File, r.Event)
		}},
}

// procOwner returns the pid in /proc/<pid>/..., or 0.
func procOwner(path []byte) uint32 {
	rest, ok := strings.CutPrefix(string(path), "/proc/")
	if !ok {
		return 0
	}
	if i := strings.IndexByte(rest, '/'); i > 0 {
		rest = rest[:i]
	}
	v, err := strconv.ParseUint(rest, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}
