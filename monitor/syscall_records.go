// Records of security-sensitive syscalls.

package monitor

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/proc"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// onSyscall reports a call of a security-sensitive syscall.
func (p *processor) onSyscall(e *event.Syscall) *record.Record {
	spec := syscalls.Lookup(e.Nr)
	if spec == nil {
		return nil
	}
	entry := p.track(&e.Header)
	p.knowExe(entry)
	call := syscalls.Call{Args: e.Args, Deref: e.Deref, Strs: e.Strs, Path: e.Path, Ret: e.Ret}
	s := &record.Syscall{Name: spec.Name, Nr: e.Nr, Group: spec.Group, Args: spec.Decode(&call), Raw: e.Args, RawDeref: e.Deref, Ret: e.Ret}
	switch spec.Name {
	case "ptrace":
		s.TargetPID = uint32(e.Args[1])
	case "process_vm_readv", "process_vm_writev":
		s.TargetPID = uint32(e.Args[0])
	case "pwrite64":
		s.TargetPID = procMemOwner(e.Path) // the kernel sent only /proc/<pid>/mem
	case "kill", "tkill", "tgkill":
		// the kernel reports a signal aimed at the monitor or at an audit
		// or logging daemon (syscalls.ProtectedComms): which one
		target := int32(e.Args[0])
		if target > 0 {
			s.TargetPID = uint32(target)
		}
		self := aimsAtMonitor(target)
		s.TargetIsMonitor = &self
	}
	if s.TargetPID != 0 && (s.TargetIsMonitor == nil || !*s.TargetIsMonitor) {
		s.TargetExe = p.exeOf(s.TargetPID)
		s.TargetIsDescendant = p.isDescendant(s.TargetPID, e.Header.PID)
	}
	if spec.Name == "setns" && e.Ret == 0 {
		ino, _ := s.Arg("ns_inode").(uint64)
		other := proc.EntersOtherNamespace(ino, e.Header.PPID)
		s.EntersOtherNamespace = &other
		host := false
		for _, h := range p.hostNS {
			host = host || (ino != 0 && h == ino)
		}
		s.EntersHostNamespace = &host
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
	if d := p.userns.Syscall(r); d != nil {
		p.emit(d)
	}
	return r
}

// aimsAtMonitor says whether a kill-family target (a pid, a tid, -1 for
// everyone, -pgid for a group) reaches this process.
func aimsAtMonitor(target int32) bool {
	switch {
	case target == -1:
		return true
	case target < -1:
		return int(-target) == syscall.Getpgrp()
	case target == 0:
		return false // the caller's own group: the kernel does not report it
	}
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(int(target)))
	return err == nil
}
