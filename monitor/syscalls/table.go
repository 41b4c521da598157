// Package syscalls is the one list of security-sensitive system calls: for
// each, its x86-64 number, what the kernel copies (string arguments, the
// path of an fd, 8 bytes behind a pointer), a kernel-side filter, and the
// Go decoder of its arguments.  The loader writes the kernel half into the
// syscall_table map; the processor uses the decoders.  Adding a syscall is
// one line here (plus a decoder when its arguments need names).
package syscalls

import (
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Call is what the kernel reported of one call.
type Call struct {
	Args  [6]uint64
	Deref uint64    // the 8 bytes behind Spec.Deref's pointer; else the FdArg's inode number
	Strs  [3][]byte // the Spec.Str arguments, in order
	Path  []byte    // the path of the Spec.FdArg descriptor
	Ret   int64
}

// Spec describes one syscall.
type Spec struct {
	Nr     uint32
	Name   string
	Group  string   // debugging, kernel, namespaces, credentials, fileless, network
	Str    [3]uint8 // 1-based argument indexes of strings to copy
	FdArg  uint8    // 1-based argument index of an fd whose path to resolve
	Deref  uint8    // 1-based argument index of a pointer to copy 8 bytes from
	Flags  uint8    // event.Sc* kernel filters
	Filter uint8    // event.ScFilter*: an argument filter of this call's own
	Args   func(c *Call) []record.Arg
}

// Table is the list, by syscall number (x86-64).
var Table = []Spec{
	// debugging and injection
	{Nr: 101, Name: "ptrace", Group: "debugging", Flags: event.ScPtrace, Args: ptraceArgs},
	{Nr: 310, Name: "process_vm_readv", Group: "debugging", Args: pidArg},
	{Nr: 311, Name: "process_vm_writev", Group: "debugging", Args: pidArg},
	// a write into a process's memory through /proc/<pid>/mem (gdb's way):
	// the kernel reports no other pwrite64
	{Nr: 18, Name: "pwrite64", Group: "debugging", FdArg: 1, Filter: event.ScFilterProcMem, Args: procMemWriteArgs},
	// signals to the monitor itself (the kernel only reports those)
	{Nr: 62, Name: "kill", Group: "monitor", Flags: event.ScSelfTarget, Args: signalArgs(0, 1)},
	{Nr: 200, Name: "tkill", Group: "monitor", Flags: event.ScSelfTarget, Args: signalArgs(0, 1)},
	{Nr: 234, Name: "tgkill", Group: "monitor", Flags: event.ScSelfTarget, Args: signalArgs(0, 2)},
	// kernel
	{Nr: 175, Name: "init_module", Group: "kernel", Str: [3]uint8{3}, Args: strArgs("params")},
	{Nr: 313, Name: "finit_module", Group: "kernel", Str: [3]uint8{2}, FdArg: 1, Args: finitModuleArgs},
	{Nr: 176, Name: "delete_module", Group: "kernel", Str: [3]uint8{1}, Args: strArgs("name")},
	{Nr: 246, Name: "kexec_load", Group: "kernel", Args: hexArg(3, "flags")},
	{Nr: 320, Name: "kexec_file_load", Group: "kernel", FdArg: 1, Str: [3]uint8{4}, Args: kexecFileArgs},
	{Nr: 321, Name: "bpf", Group: "kernel", Deref: 2, Args: bpfArgs},
	{Nr: 298, Name: "perf_event_open", Group: "kernel", Deref: 1, Flags: event.ScNonRootOnly, Args: perfArgs},
	{Nr: 172, Name: "iopl", Group: "kernel", Args: intArg(0, "level")},
	{Nr: 173, Name: "ioperm", Group: "kernel", Args: iopermArgs},
	{Nr: 169, Name: "reboot", Group: "kernel", Args: hexArg(2, "cmd")},
	{Nr: 167, Name: "swapon", Group: "kernel", Str: [3]uint8{1}, Args: strArgs("path")},
	{Nr: 103, Name: "syslog", Group: "kernel", Flags: event.ScSyslog, Args: syslogArgs},
	{Nr: 163, Name: "acct", Group: "kernel", Str: [3]uint8{1}, Args: strArgs("path")},
	{Nr: 164, Name: "settimeofday", Group: "kernel"},
	{Nr: 227, Name: "clock_settime", Group: "kernel", Args: intArg(0, "clock")},
	{Nr: 170, Name: "sethostname", Group: "kernel", Str: [3]uint8{1}, Args: strArgs("name")},
	{Nr: 171, Name: "setdomainname", Group: "kernel", Str: [3]uint8{1}, Args: strArgs("name")},
	// namespaces and mounts
	{Nr: 165, Name: "mount", Group: "namespaces", Str: [3]uint8{1, 2, 3}, Args: mountArgs},
	{Nr: 166, Name: "umount2", Group: "namespaces", Str: [3]uint8{1}, Args: umountArgs},
	{Nr: 432, Name: "fsmount", Group: "namespaces", Args: hexArg(1, "flags")},
	{Nr: 429, Name: "move_mount", Group: "namespaces", Str: [3]uint8{2, 4}, Args: strArgs("from", "to")},
	{Nr: 155, Name: "pivot_root", Group: "namespaces", Str: [3]uint8{1, 2}, Args: strArgs("new_root", "put_old")},
	{Nr: 161, Name: "chroot", Group: "namespaces", Str: [3]uint8{1}, Args: strArgs("path")},
	{Nr: 272, Name: "unshare", Group: "namespaces", Args: unshareArgs},
	{Nr: 308, Name: "setns", Group: "namespaces", FdArg: 1, Args: setnsArgs},
	{Nr: 56, Name: "clone", Group: "namespaces", Flags: event.ScCloneNS, Args: cloneArgs},
	{Nr: 435, Name: "clone3", Group: "namespaces", Deref: 1, Flags: event.ScCloneNS | event.ScClone3, Args: clone3Args},
	// credentials
	{Nr: 105, Name: "setuid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("uid")},
	{Nr: 106, Name: "setgid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("gid")},
	{Nr: 113, Name: "setreuid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("ruid", "euid")},
	{Nr: 114, Name: "setregid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("rgid", "egid")},
	{Nr: 117, Name: "setresuid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("ruid", "euid", "suid")},
	{Nr: 119, Name: "setresgid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("rgid", "egid", "sgid")},
	{Nr: 122, Name: "setfsuid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("fsuid")},
	{Nr: 123, Name: "setfsgid", Group: "credentials", Flags: event.ScCreds, Args: idArgs("fsgid")},
	{Nr: 116, Name: "setgroups", Group: "credentials", Flags: event.ScCreds, Args: intArg(0, "count")},
	{Nr: 126, Name: "capset", Group: "credentials", Deref: 2, Flags: event.ScCreds, Args: capsetArgs},
	{Nr: 157, Name: "prctl", Group: "credentials", Str: [3]uint8{2}, Flags: event.ScPrctl, Args: prctlArgs},
	// fileless execution and hiding
	{Nr: 319, Name: "memfd_create", Group: "fileless", Str: [3]uint8{1}, Args: memfdArgs},
	{Nr: 323, Name: "userfaultfd", Group: "fileless", Args: hexArg(0, "flags")},
	{Nr: 135, Name: "personality", Group: "fileless", Args: hexArg(0, "persona")},
	{Nr: 250, Name: "keyctl", Group: "fileless", Args: keyctlArgs},
	{Nr: 304, Name: "open_by_handle_at", Group: "fileless", FdArg: 1, Args: hexArg(2, "flags")},
	// packet capture and crafted packets: AF_PACKET and raw IP sockets only
	{Nr: 41, Name: "socket", Group: "network", Filter: event.ScFilterRawSocket, Args: socketArgs},
}

// ProtectedComms name the audit, logging and security daemons by their
// task comm (at most 15 bytes: systemd-journald is "systemd-journal"): a
// kill, tkill or tgkill aimed at one is reported like one aimed at the
// monitor (the kernel side keeps their pids).
var ProtectedComms = []string{"auditd", "rsyslogd", "syslog-ng", "syslogd", "systemd-journal",
	"auditbeat", "osqueryd", "falco", "tracee", "tetragon", "wazuh-agentd", "ossec-agentd"}

var byNr = func() map[uint32]*Spec {
	m := make(map[uint32]*Spec, len(Table))
	for i := range Table {
		m[Table[i].Nr] = &Table[i]
	}
	return m
}()

// Lookup returns the spec of syscall nr, or nil.
func Lookup(nr uint32) *Spec { return byNr[nr] }

// Names lists every syscall name in the table (for --events).
func Names() []string {
	out := make([]string, len(Table))
	for i, s := range Table {
		out[i] = s.Name
	}
	return out
}

// KernelSpec is the struct syscall_spec bytes the loader writes at index
// s.Nr of the syscall_table map.
func (s *Spec) KernelSpec() [event.SyscallSpecSize]byte {
	var b [event.SyscallSpecSize]byte
	b[event.SpecOffEnabled] = 1
	copy(b[event.SpecOffStr:event.SpecOffFdArg], s.Str[:])
	b[event.SpecOffFdArg] = s.FdArg
	b[event.SpecOffFlags] = s.Flags
	b[event.SpecOffDeref] = s.Deref
	b[event.SpecOffFilter] = s.Filter
	return b
}

// Decode turns a call into named arguments.
func (s *Spec) Decode(c *Call) []record.Arg {
	if s.Args == nil {
		return nil
	}
	return s.Args(c)
}
