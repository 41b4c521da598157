// Records of security-sensitive syscalls.

package monitor

import (
	"fmt"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// usernsMax bounds the processes remembered as having made a user
// namespace while not root.
const usernsMax = 4096

// onSyscall reports a call of a security-sensitive syscall.
func (p *processor) onSyscall(e *event.Syscall) *record.Record {
	spec := syscalls.Lookup(e.Nr)
	if spec == nil {
		return nil
	}
	if spec.Name == "syslog" && !syscalls.SyslogClears(e.Args[0]) {
		return nil // reading the kernel log is everyday; clearing it is not
	}
	entry := p.track(&e.Header)
	p.knowExe(entry)
	call := syscalls.Call{Args: e.Args, Deref: e.Deref, Strs: e.Strs, Path: e.Path, Ret: e.Ret}
	s := &record.Syscall{Name: spec.Name, Nr: e.Nr, Group: spec.Group, Args: spec.Decode(&call), Raw: e.Args, Ret: e.Ret}
	switch spec.Name {
	case "ptrace":
		s.TargetPID = uint32(e.Args[1])
	case "process_vm_readv", "process_vm_writev":
		s.TargetPID = uint32(e.Args[0])
	}
	if s.TargetPID != 0 {
		s.TargetExe = p.exeOf(s.TargetPID)
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Event:    spec.Name,
		Category: record.CatSyscall,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Syscall:  s,
		Severity: record.Info,
	}
	if e.Ret < 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("%s called %s: %s", entry.Exe, spec.Name, r.Error)
	} else {
		r.Message = fmt.Sprintf("%s called %s", entry.Exe, spec.Name)
	}
	if s.TargetPID != 0 {
		r.Message += fmt.Sprintf(" on pid %d (%s)", s.TargetPID, s.TargetExe)
	}
	p.trackUserns(e, spec, r)
	return r
}

// trackUserns remembers processes that made a user namespace while not
// root, and reports their use of its root for mounts, setns, modules or
// capabilities: the usual first step of a container escape or a kernel
// exploit.
func (p *processor) trackUserns(e *event.Syscall, spec *syscalls.Spec, r *record.Record) {
	if p.userns == nil {
		p.userns = map[uint32]bool{}
	}
	switch spec.Name {
	case "unshare", "clone", "clone3":
		flags := e.Args[0]
		if spec.Name == "clone3" {
			flags = e.Deref
		}
		if flags&syscalls.CloneNewUser == 0 || e.UID == 0 || e.Ret < 0 || len(p.userns) >= usernsMax {
			return
		}
		pid := e.PID
		if spec.Name != "unshare" {
			pid = uint32(e.Ret) // the child lives in the new namespace
		}
		p.userns[pid] = true
	case "mount", "umount2", "setns", "init_module", "finit_module", "capset", "pivot_root",
		"chroot", "move_mount", "fsmount":
		if !p.userns[e.PID] {
			return
		}
		priv := &record.Privilege{Means: "userns", Syscall: spec.Name, ExeUID: -1,
			Before: credsOf(&e.Header), After: credsOf(&e.Header)}
		p.emit(&record.Record{
			Time:     r.Time,
			Severity: record.Info,
			Event:    "privilege",
			Category: record.CatPrivilege,
			Message: fmt.Sprintf("%s (uid %d) used its user namespace's root for %s", r.Process.Exe,
				e.UID, spec.Name),
			Process: r.Process,
			Priv:    priv,
			Error:   r.Error,
		})
	}
}
