// Records of process events: exec, exit, fork and privilege changes, each
// built from its decoded kernel record.

package monitor

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

func (p *processor) onExec(e *event.Exec) *record.Record {
	entry := p.track(&e.Header)
	// a chrooted process is named as it sees itself; its root is kept
	root, exe, chrooted := e.SplitRoot(e.Exe, e.ExeRootLen)
	_, cwd, _ := e.SplitRoot(e.Cwd, e.CwdRootLen)
	if e.Ret == 0 {
		p.table.Started(entry, e.TimeNs) // a new program image: a new entity
	}
	if e.Ret == 0 || entry.Exe == "" {
		entry.Exe = string(exe)
		entry.Root, entry.Script = "", ""
		if chrooted {
			entry.Root = string(root)
		} else if e.Ret == 0 {
			entry.Script = p.scriptOf(exe, e.Filename, cwd, e.Args, p.rootOf(&e.Header))
		}
	}
	rp := p.processFrom(&e.Header, exe)
	rp.Args = append([][]byte{}, e.Args...) // the decoder reuses its slice
	rp.ArgsTruncated = e.ArgsTruncated()
	rp.Cwd = cwd
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "exec",
		Category: record.CatProcess,
		Process:  rp,
		Exec: &record.Exec{
			Filename:          e.Filename,
			Ret:               e.Ret,
			Execveat:          e.Flags&event.ExecFlagExecveat != 0,
			ExeDeleted:        e.Flags&event.ExecFlagExeDeleted != 0,
			ExeUpperLayer:     e.Flags&event.ExecFlagExeUpper != 0,
			ExeTmpfs:          e.Flags&event.ExecFlagExeTmpfs != 0,
			StdioSockets:      stdioSockets(e.Flags),
			LDPreload:         e.Flags&event.ExecFlagLDPreload != 0,
			LDPreloadValue:    e.Preload,
			FilenameTruncated: e.Flags&event.ExecFlagFilenameTruncated != 0,
			ExeTruncated:      e.Flags&event.ExecFlagExeTruncated != 0,
			CwdTruncated:      e.Flags&event.ExecFlagCwdTruncated != 0,
		},
	}
	if e.Ret == 0 {
		p.pipes.join(r, e.StdinPipe, e.StdoutPipe)
		r.Exec.DroppedBy = p.dropped.writer(rp.MntNS, exe)
	}
	if e.Ret < 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("exec of %q failed: %s", e.Filename, r.Error)
	} else {
		r.Message = fmt.Sprintf("process %d executed %s", e.PID, exe)
	}
	return r
}

func (p *processor) onExit(e *event.Exit) *record.Record {
	var exe []byte
	if entry := p.table.Get(e.PID); entry != nil {
		exe = []byte(entry.Exe)
	}
	rp := p.processFrom(&e.Header, exe)
	p.table.Remove(e.PID)
	if p.tracker != nil {
		p.tracker.Exited(e.PID)
	}
	p.userns.Exit(e.PID)
	p.fanout.exit(e.PID)
	x := &record.Exit{
		Code:       e.Code(),
		Signal:     e.Signal(),
		CoreDumped: e.CoreDumped(),
		Lifetime:   time.Duration(e.LifetimeNs),
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "exit",
		Category: record.CatProcess,
		Process:  rp,
		Exit:     x,
	}
	if x.Signal != 0 {
		r.Message = fmt.Sprintf("process %d killed by %s", e.PID, output.SignalName(x.Signal))
	} else {
		r.Message = fmt.Sprintf("process %d exited with code %d", e.PID, x.Code)
	}
	return r
}

func (p *processor) onFork(e *event.Fork) *record.Record {
	parent := p.track(&e.Header)
	if parent.Exe == "" {
		// a process the table did not know (started before the seed, or
		// evicted): its exe is still readable now, while it runs
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", e.PID)); err == nil {
			parent.Exe = exe
		}
	}
	p.table.Started(p.table.Fork(e.PID, e.ChildPID), e.TimeNs)
	p.userns.Fork(e.PID, e.ChildPID)
	return &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "fork",
		Category: record.CatProcess,
		Message:  fmt.Sprintf("process %d forked child %d", e.PID, e.ChildPID),
		Process:  p.processFrom(&e.Header, []byte(parent.Exe)),
		Fork:     &record.Fork{ChildPID: e.ChildPID},
	}
}

var privMeans = map[uint32]string{event.PrivSyscall: "syscall", event.PrivExec: "exec",
	event.PrivUnexplained: "unexplained", event.PrivUnexplainedAtCommit: "unexplained"}

// onPriv reports a task that gained privilege.
func (p *processor) onPriv(e *event.Priv) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	priv := &record.Privilege{
		Means:   privMeans[e.Means],
		Before:  record.Creds(e.Before),
		After:   record.Creds(e.After),
		Gained:  gained(&e.Before, &e.After),
		ExeUID:  int64(int32(e.ExeUID)),
		ExeMode: e.ExeMode,
	}
	if e.Means == event.PrivSyscall || e.Means == event.PrivUnexplained {
		if spec := syscalls.Lookup(e.Nr); spec != nil {
			priv.Syscall = spec.Name
		}
	}
	switch e.Means {
	case event.PrivUnexplained:
		priv.SeenAt = "syscall_exit" // noticed at the task's next monitored syscall
	case event.PrivUnexplainedAtCommit:
		priv.SeenAt = "commit_creds" // caught as it happened
		priv.SyscallNr = int64(int32(e.Nr))
		if spec := syscalls.Lookup(e.Nr); spec != nil {
			priv.Syscall = spec.Name
		}
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "privilege",
		Category: record.CatPrivilege,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Priv:     priv,
	}
	switch priv.Means {
	case "exec":
		r.Message = fmt.Sprintf("%s gained %s by exec (owner uid %d, mode %s)", entry.Exe,
			strings.Join(priv.Gained, ", "), priv.ExeUID, output.Octal(e.ExeMode&0o7777))
	case "syscall":
		r.Message = fmt.Sprintf("%s gained %s through %s", entry.Exe, strings.Join(priv.Gained, ", "), priv.Syscall)
	default:
		r.Message = fmt.Sprintf("%s gained %s with no set*id, capset or privileged exec seen: kernel exploit?",
			entry.Exe, strings.Join(priv.Gained, ", "))
	}
	return r
}

// gained lists what after has that before had not.
func gained(b, a *event.Creds) []string {
	var out []string
	if a.UID == 0 && b.UID != 0 {
		out = append(out, "uid 0")
	}
	if a.EUID == 0 && b.EUID != 0 {
		out = append(out, "euid 0")
	}
	if a.FSUID == 0 && b.FSUID != 0 {
		out = append(out, "fsuid 0")
	}
	return append(out, syscalls.CapNames(a.CapEffective&^b.CapEffective)...)
}

func stdioSockets(flags uint32) []string {
	var out []string
	for i, name := range []string{"stdin", "stdout", "stderr"} {
		if flags&(event.ExecFlagStdinSock<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}
