//go:build linux && amd64

// The table holds x86-64 syscall numbers and the kernel filters of
// bpf/syscall.h: these tests compare it with golang.org/x/sys/unix, which
// is generated from the kernel's own headers for linux/amd64.

package syscalls_test

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// unixNr is the x/sys/unix number of every syscall in the table.  A new
// table entry needs a line here: the test fails until it has one.
var unixNr = map[string]uint32{
	"ptrace":            unix.SYS_PTRACE,
	"socket":            unix.SYS_SOCKET,
	"pwrite64":          unix.SYS_PWRITE64,
	"kill":              unix.SYS_KILL,
	"tkill":             unix.SYS_TKILL,
	"tgkill":            unix.SYS_TGKILL,
	"process_vm_readv":  unix.SYS_PROCESS_VM_READV,
	"process_vm_writev": unix.SYS_PROCESS_VM_WRITEV,
	"init_module":       unix.SYS_INIT_MODULE,
	"finit_module":      unix.SYS_FINIT_MODULE,
	"delete_module":     unix.SYS_DELETE_MODULE,
	"kexec_load":        unix.SYS_KEXEC_LOAD,
	"kexec_file_load":   unix.SYS_KEXEC_FILE_LOAD,
	"bpf":               unix.SYS_BPF,
	"perf_event_open":   unix.SYS_PERF_EVENT_OPEN,
	"iopl":              unix.SYS_IOPL,
	"ioperm":            unix.SYS_IOPERM,
	"reboot":            unix.SYS_REBOOT,
	"swapon":            unix.SYS_SWAPON,
	"syslog":            unix.SYS_SYSLOG,
	"acct":              unix.SYS_ACCT,
	"settimeofday":      unix.SYS_SETTIMEOFDAY,
	"clock_settime":     unix.SYS_CLOCK_SETTIME,
	"sethostname":       unix.SYS_SETHOSTNAME,
	"setdomainname":     unix.SYS_SETDOMAINNAME,
	"mount":             unix.SYS_MOUNT,
	"umount2":           unix.SYS_UMOUNT2,
	"fsmount":           unix.SYS_FSMOUNT,
	"move_mount":        unix.SYS_MOVE_MOUNT,
	"pivot_root":        unix.SYS_PIVOT_ROOT,
	"chroot":            unix.SYS_CHROOT,
	"unshare":           unix.SYS_UNSHARE,
	"setns":             unix.SYS_SETNS,
	"clone":             unix.SYS_CLONE,
	"clone3":            unix.SYS_CLONE3,
	"setuid":            unix.SYS_SETUID,
	"setgid":            unix.SYS_SETGID,
	"setreuid":          unix.SYS_SETREUID,
	"setregid":          unix.SYS_SETREGID,
	"setresuid":         unix.SYS_SETRESUID,
	"setresgid":         unix.SYS_SETRESGID,
	"setfsuid":          unix.SYS_SETFSUID,
	"setfsgid":          unix.SYS_SETFSGID,
	"setgroups":         unix.SYS_SETGROUPS,
	"capset":            unix.SYS_CAPSET,
	"prctl":             unix.SYS_PRCTL,
	"memfd_create":      unix.SYS_MEMFD_CREATE,
	"userfaultfd":       unix.SYS_USERFAULTFD,
	"personality":       unix.SYS_PERSONALITY,
	"keyctl":            unix.SYS_KEYCTL,
	"open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT,
}

func TestEveryTableNumberIsTheX8664Number(t *testing.T) {
	for _, s := range syscalls.Table {
		nr, ok := unixNr[s.Name]
		if !ok {
			t.Errorf("%s: no x/sys/unix number to check it against: add it to unixNr", s.Name)
			continue
		}
		if s.Nr != nr {
			t.Errorf("%s: table says %d, x86-64 is %d", s.Name, s.Nr, nr)
		}
	}
}

func TestTableNumbersAndNamesAreUnique(t *testing.T) {
	nrs := map[uint32]string{}
	names := map[string]bool{}
	for _, s := range syscalls.Table {
		if other, dup := nrs[s.Nr]; dup {
			t.Errorf("number %d is both %s and %s", s.Nr, other, s.Name)
		}
		nrs[s.Nr] = s.Name
		if names[s.Name] {
			t.Errorf("name %s appears twice", s.Name)
		}
		names[s.Name] = true
		if s.Name == "" || s.Group == "" {
			t.Errorf("syscall %d: empty name or group (%q, %q)", s.Nr, s.Name, s.Group)
		}
	}
}

// The kernel indexes an array of SYSCALL_TABLE_LEN entries by number and
// reads args[idx-1] for 1-based indexes 1..6 (0: none).
func TestTableFitsTheKernelMap(t *testing.T) {
	for _, s := range syscalls.Table {
		if s.Nr >= event.SyscallTableLen {
			t.Errorf("%s: number %d is outside the %d-entry map", s.Name, s.Nr, event.SyscallTableLen)
		}
		for i, idx := range s.Str {
			if idx > 6 {
				t.Errorf("%s: string %d is argument %d, past the sixth", s.Name, i, idx)
			}
		}
		if s.FdArg > 6 {
			t.Errorf("%s: fd argument %d is past the sixth", s.Name, s.FdArg)
		}
		if s.Deref > 6 {
			t.Errorf("%s: deref argument %d is past the sixth", s.Name, s.Deref)
		}
	}
}

// A decoder must only show strings and paths the kernel copies: a string
// slot without an argument index, or a path without an fd argument, stays
// empty in every record.
func TestDecodersOnlyShowStringsTheKernelCopies(t *testing.T) {
	for _, s := range syscalls.Table {
		c := syscalls.Call{}
		for i, idx := range s.Str {
			if idx != 0 {
				c.Strs[i] = []byte("copied")
			}
		}
		if s.FdArg != 0 {
			c.Path = []byte("/copied")
		}
		for _, a := range s.Decode(&c) {
			if b, ok := a.Value.([]byte); ok && b == nil {
				t.Errorf("%s: argument %q is a string the kernel never copies", s.Name, a.Key)
			}
		}
	}
}

func TestDecodersSurviveAnyArgumentValues(t *testing.T) {
	allOnes := ^uint64(0)
	for _, s := range syscalls.Table {
		for _, c := range []syscalls.Call{
			{},
			{Args: [6]uint64{allOnes, allOnes, allOnes, allOnes, allOnes, allOnes}, Deref: allOnes, Ret: -1},
		} {
			for _, a := range s.Decode(&c) {
				if a.Key == "" {
					t.Errorf("%s: argument without a name", s.Name)
				}
				switch a.Value.(type) {
				case int64, uint64, string, []byte, []string:
				default:
					t.Errorf("%s: argument %s is a %T, not a type output knows", s.Name, a.Key, a.Value)
				}
			}
		}
	}
}

func TestLookupFindsPtraceByNumber(t *testing.T) {
	s := syscalls.Lookup(101)
	if s == nil || s.Name != "ptrace" || s.Group != "debugging" {
		t.Fatalf("Lookup(101) = %+v, want ptrace", s)
	}
	if s := syscalls.Lookup(0); s != nil {
		t.Errorf("Lookup(0) (read) = %s, want nil", s.Name)
	}
	if s := syscalls.Lookup(event.SyscallTableLen); s != nil {
		t.Errorf("Lookup(%d) = %s, want nil", event.SyscallTableLen, s.Name)
	}
}

func TestNamesListsEverySpecOnce(t *testing.T) {
	names := syscalls.Names()
	if len(names) != len(syscalls.Table) {
		t.Fatalf("Names() has %d entries, the table %d", len(names), len(syscalls.Table))
	}
	for i, s := range syscalls.Table {
		if names[i] != s.Name {
			t.Errorf("Names()[%d] = %q, want %q", i, names[i], s.Name)
		}
	}
}

// KernelSpec is struct syscall_spec: enabled, str[3], fd_arg, flags, deref, pad.
func TestKernelSpecBytesMatchStructSyscallSpec(t *testing.T) {
	tests := []struct {
		nr   uint32
		want [event.SyscallSpecSize]byte
	}{
		{unix.SYS_MOUNT, [8]byte{1, 1, 2, 3, 0, 0, 0, 0}},
		{unix.SYS_FINIT_MODULE, [8]byte{1, 2, 0, 0, 1, 0, 0, 0}},
		{unix.SYS_CLONE3, [8]byte{1, 0, 0, 0, 0, event.ScCloneNS | event.ScClone3, 1, 0}},
		{unix.SYS_CAPSET, [8]byte{1, 0, 0, 0, 0, event.ScCreds, 2, 0}},
		{unix.SYS_PTRACE, [8]byte{1, 0, 0, 0, 0, event.ScPtrace, 0, 0}},
		{unix.SYS_PERF_EVENT_OPEN, [8]byte{1, 0, 0, 0, 0, event.ScNonRootOnly, 1, 0}},
		{unix.SYS_PRCTL, [8]byte{1, 2, 0, 0, 0, event.ScPrctl, 0, 0}},
	}
	for _, tt := range tests {
		s := syscalls.Lookup(tt.nr)
		if s == nil {
			t.Errorf("syscall %d is not in the table", tt.nr)
			continue
		}
		if got := s.KernelSpec(); got != tt.want {
			t.Errorf("%s: KernelSpec() = %v, want %v", s.Name, got, tt.want)
		}
	}
}

// decode runs the decoder of syscall nr on c.
func decode(t *testing.T, nr uint32, c syscalls.Call) []record.Arg {
	t.Helper()
	s := syscalls.Lookup(nr)
	if s == nil {
		t.Fatalf("syscall %d is not in the table", nr)
	}
	return s.Decode(&c)
}

func wantArgs(t *testing.T, what string, got []record.Arg, want ...record.Arg) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func args(a ...uint64) [6]uint64 {
	var out [6]uint64
	copy(out[:], a)
	return out
}

func TestDecodePtraceAttachNamesTheRequest(t *testing.T) {
	got := decode(t, unix.SYS_PTRACE, syscalls.Call{Args: args(unix.PTRACE_ATTACH, 4242)})
	wantArgs(t, "ptrace(PTRACE_ATTACH, 4242)", got,
		record.Arg{Key: "request", Value: "PTRACE_ATTACH"}, record.Arg{Key: "pid", Value: int64(4242)})
}

func TestPtraceRequestNamesMatchTheKernel(t *testing.T) {
	for v, name := range map[uint64]string{
		unix.PTRACE_TRACEME: "PTRACE_TRACEME", unix.PTRACE_POKETEXT: "PTRACE_POKETEXT",
		unix.PTRACE_POKEDATA: "PTRACE_POKEDATA", unix.PTRACE_POKEUSR: "PTRACE_POKEUSER",
		unix.PTRACE_SETREGS: "PTRACE_SETREGS", unix.PTRACE_ATTACH: "PTRACE_ATTACH",
		unix.PTRACE_DETACH: "PTRACE_DETACH", unix.PTRACE_SYSCALL: "PTRACE_SYSCALL",
		unix.PTRACE_SETOPTIONS: "PTRACE_SETOPTIONS", unix.PTRACE_SEIZE: "PTRACE_SEIZE",
		unix.PTRACE_INTERRUPT: "PTRACE_INTERRUPT", unix.PTRACE_GETREGSET: "PTRACE_GETREGSET",
		unix.PTRACE_SETREGSET: "PTRACE_SETREGSET",
	} {
		if got := syscalls.PtraceRequest(v); got != name {
			t.Errorf("PtraceRequest(%#x) = %q, want %q", v, got, name)
		}
	}
}

func TestDecodeBPFProgLoadNamesTheProgramType(t *testing.T) {
	// union bpf_attr starts with prog_type (u32) for BPF_PROG_LOAD; the
	// high half of the 8 bytes is insn_cnt
	got := decode(t, unix.SYS_BPF, syscalls.Call{Args: args(unix.BPF_PROG_LOAD), Deref: 57<<32 | unix.BPF_PROG_TYPE_KPROBE})
	wantArgs(t, "bpf(BPF_PROG_LOAD) of a kprobe", got,
		record.Arg{Key: "cmd", Value: "BPF_PROG_LOAD"}, record.Arg{Key: "prog_type", Value: "kprobe"})
}

func TestDecodeBPFOtherCommandsHaveNoProgramType(t *testing.T) {
	got := decode(t, unix.SYS_BPF, syscalls.Call{Args: args(unix.BPF_PROG_GET_NEXT_ID), Deref: 2})
	wantArgs(t, "bpf(BPF_PROG_GET_NEXT_ID)", got, record.Arg{Key: "cmd", Value: "BPF_PROG_GET_NEXT_ID"})
}

func TestBPFCommandNamesMatchTheKernel(t *testing.T) {
	for v, name := range map[uint64]string{
		unix.BPF_MAP_CREATE: "BPF_MAP_CREATE", unix.BPF_PROG_LOAD: "BPF_PROG_LOAD",
		unix.BPF_OBJ_GET: "BPF_OBJ_GET", unix.BPF_PROG_GET_NEXT_ID: "BPF_PROG_GET_NEXT_ID",
		unix.BPF_BTF_LOAD: "BPF_BTF_LOAD", unix.BPF_MAP_FREEZE: "BPF_MAP_FREEZE",
		unix.BPF_LINK_CREATE: "BPF_LINK_CREATE", unix.BPF_PROG_BIND_MAP: "BPF_PROG_BIND_MAP",
	} {
		if got := syscalls.BPFCommand(v); got != name {
			t.Errorf("BPFCommand(%d) = %q, want %q", v, got, name)
		}
	}
}

func TestBPFProgramTypeNamesMatchTheKernel(t *testing.T) {
	for v, name := range map[uint64]string{
		unix.BPF_PROG_TYPE_SOCKET_FILTER: "socket_filter", unix.BPF_PROG_TYPE_XDP: "xdp",
		unix.BPF_PROG_TYPE_TRACING: "tracing", unix.BPF_PROG_TYPE_LSM: "lsm",
		unix.BPF_PROG_TYPE_SYSCALL: "syscall",
	} {
		got := decode(t, unix.SYS_BPF, syscalls.Call{Args: args(unix.BPF_PROG_LOAD), Deref: v})
		if len(got) != 2 || got[1].Value != name {
			t.Errorf("prog_type %d decodes as %v, want %s", v, got, name)
		}
	}
}

func TestDecodeMountShowsItsStringsAndFlagNames(t *testing.T) {
	got := decode(t, unix.SYS_MOUNT, syscalls.Call{
		Args: args(0x1000, 0x2000, 0x3000, unix.MS_BIND|unix.MS_REC),
		Strs: [3][]byte{[]byte("/home/user"), []byte("/mnt/x"), []byte("none")},
	})
	wantArgs(t, "mount --rbind /home/user /mnt/x", got,
		record.Arg{Key: "source", Value: []byte("/home/user")},
		record.Arg{Key: "target", Value: []byte("/mnt/x")},
		record.Arg{Key: "fstype", Value: []byte("none")},
		record.Arg{Key: "flags", Value: []string{"MS_BIND", "MS_REC"}})
}

func TestMountFlagNamesMatchTheKernel(t *testing.T) {
	for v, name := range map[uint64]string{
		unix.MS_RDONLY: "MS_RDONLY", unix.MS_NOSUID: "MS_NOSUID", unix.MS_NODEV: "MS_NODEV",
		unix.MS_NOEXEC: "MS_NOEXEC", unix.MS_REMOUNT: "MS_REMOUNT", unix.MS_BIND: "MS_BIND",
		unix.MS_MOVE: "MS_MOVE", unix.MS_REC: "MS_REC", unix.MS_PRIVATE: "MS_PRIVATE",
		unix.MS_SLAVE: "MS_SLAVE", unix.MS_SHARED: "MS_SHARED", unix.MS_RELATIME: "MS_RELATIME",
		unix.MS_UNBINDABLE: "MS_UNBINDABLE", unix.MS_LAZYTIME: "MS_LAZYTIME",
	} {
		got := decode(t, unix.SYS_MOUNT, syscalls.Call{Args: args(0, 0, 0, v)})
		if f := got[3].Value; !reflect.DeepEqual(f, []string{name}) {
			t.Errorf("mount flags %#x = %v, want [%s]", v, f, name)
		}
	}
}

// Programs written before 2.4 put the magic 0xC0ED in the high half of the
// flags; the kernel drops it, and so must the names.
func TestDecodeMountIgnoresTheOldMagicNumber(t *testing.T) {
	got := decode(t, unix.SYS_MOUNT, syscalls.Call{Args: args(0, 0, 0, unix.MS_MGC_VAL|unix.MS_RDONLY)})
	if f := got[3].Value; !reflect.DeepEqual(f, []string{"MS_RDONLY"}) {
		t.Errorf("mount flags MS_MGC_VAL|MS_RDONLY = %v, want [MS_RDONLY]", f)
	}
}

func TestDecodeUnshareNamesTheNewNamespaces(t *testing.T) {
	got := decode(t, unix.SYS_UNSHARE, syscalls.Call{Args: args(unix.CLONE_NEWUSER | unix.CLONE_NEWNS)})
	wantArgs(t, "unshare(CLONE_NEWUSER|CLONE_NEWNS)", got,
		record.Arg{Key: "flags", Value: []string{"CLONE_NEWNS", "CLONE_NEWUSER"}})
}

func TestNamespaceFlagNamesMatchTheKernel(t *testing.T) {
	for v, name := range map[uint64]string{
		unix.CLONE_NEWNS: "CLONE_NEWNS", unix.CLONE_NEWCGROUP: "CLONE_NEWCGROUP",
		unix.CLONE_NEWUTS: "CLONE_NEWUTS", unix.CLONE_NEWIPC: "CLONE_NEWIPC",
		unix.CLONE_NEWUSER: "CLONE_NEWUSER", unix.CLONE_NEWPID: "CLONE_NEWPID",
		unix.CLONE_NEWNET: "CLONE_NEWNET", unix.CLONE_NEWTIME: "CLONE_NEWTIME",
		unix.CLONE_VM: "CLONE_VM", unix.CLONE_THREAD: "CLONE_THREAD", unix.CLONE_IO: "CLONE_IO",
	} {
		if got := syscalls.NamespaceFlags(v); !reflect.DeepEqual(got, []string{name}) {
			t.Errorf("NamespaceFlags(%#x) = %v, want [%s]", v, got, name)
		}
	}
	if syscalls.CloneNewUser != unix.CLONE_NEWUSER {
		t.Errorf("CloneNewUser = %#x, want %#x", syscalls.CloneNewUser, unix.CLONE_NEWUSER)
	}
}

// clone's low byte is the exit signal: SIGCHLD (17) must not read as
// CLONE_NEWTIME (0x80) or as unknown bits.
func TestDecodeCloneIgnoresTheExitSignal(t *testing.T) {
	got := decode(t, unix.SYS_CLONE, syscalls.Call{Args: args(unix.CLONE_NEWPID | unix.CLONE_NEWNET | 0xff)})
	wantArgs(t, "clone(CLONE_NEWPID|CLONE_NEWNET|0xff)", got,
		record.Arg{Key: "flags", Value: []string{"CLONE_NEWPID", "CLONE_NEWNET"}})
	got = decode(t, unix.SYS_CLONE, syscalls.Call{Args: args(uint64(unix.SIGCHLD))})
	wantArgs(t, "clone(SIGCHLD)", got, record.Arg{Key: "flags", Value: []string{}})
}

func TestDecodeClone3ReadsFlagsFromCloneArgs(t *testing.T) {
	// args[0] is the user pointer; the flags are the first 8 bytes behind it
	got := decode(t, unix.SYS_CLONE3, syscalls.Call{Args: args(0x7ffd0000, 88), Deref: unix.CLONE_NEWUSER | unix.CLONE_NEWTIME})
	wantArgs(t, "clone3({flags: CLONE_NEWUSER|CLONE_NEWTIME})", got,
		record.Arg{Key: "flags", Value: []string{"CLONE_NEWUSER", "CLONE_NEWTIME"}})
}

func TestDecodeSetresuidShowsUnchangedAsMinusOne(t *testing.T) {
	got := decode(t, unix.SYS_SETRESUID, syscalls.Call{Args: args(0xffffffff, 0, 0xffffffff)})
	wantArgs(t, "setresuid(-1, 0, -1)", got,
		record.Arg{Key: "ruid", Value: int64(-1)}, record.Arg{Key: "euid", Value: int64(0)},
		record.Arg{Key: "suid", Value: int64(-1)})
}

func TestDecodeCapsetSplitsEffectiveAndPermitted(t *testing.T) {
	// struct __user_cap_data_struct { u32 effective, permitted, inheritable; }
	const sysAdmin, setuid, netRaw = 1 << unix.CAP_SYS_ADMIN, 1 << unix.CAP_SETUID, 1 << unix.CAP_NET_RAW
	got := decode(t, unix.SYS_CAPSET, syscalls.Call{Deref: (sysAdmin|setuid|netRaw)<<32 | sysAdmin})
	wantArgs(t, "capset(effective CAP_SYS_ADMIN)", got,
		record.Arg{Key: "effective", Value: []string{"CAP_SYS_ADMIN"}},
		record.Arg{Key: "permitted", Value: []string{"CAP_SETUID", "CAP_NET_RAW", "CAP_SYS_ADMIN"}})
}

func TestDecodePrctlSetNameShowsTheName(t *testing.T) {
	got := decode(t, unix.SYS_PRCTL, syscalls.Call{Args: args(unix.PR_SET_NAME, 0x1000), Strs: [3][]byte{[]byte("[kworker/0:1]")}})
	wantArgs(t, "prctl(PR_SET_NAME)", got,
		record.Arg{Key: "option", Value: "PR_SET_NAME"}, record.Arg{Key: "name", Value: []byte("[kworker/0:1]")})
}

func TestDecodePrctlCapAmbientNamesTheCapability(t *testing.T) {
	got := decode(t, unix.SYS_PRCTL, syscalls.Call{Args: args(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, unix.CAP_SYS_ADMIN)})
	wantArgs(t, "prctl(PR_CAP_AMBIENT, RAISE, CAP_SYS_ADMIN)", got,
		record.Arg{Key: "option", Value: "PR_CAP_AMBIENT"}, record.Arg{Key: "op", Value: int64(unix.PR_CAP_AMBIENT_RAISE)},
		record.Arg{Key: "cap", Value: "CAP_SYS_ADMIN"})
}

func TestDecodePrctlOtherOptionsShowTheValue(t *testing.T) {
	got := decode(t, unix.SYS_PRCTL, syscalls.Call{Args: args(unix.PR_SET_DUMPABLE, 1)})
	wantArgs(t, "prctl(PR_SET_DUMPABLE, 1)", got,
		record.Arg{Key: "option", Value: "PR_SET_DUMPABLE"}, record.Arg{Key: "value", Value: int64(1)})
	got = decode(t, unix.SYS_PRCTL, syscalls.Call{Args: args(unix.PR_SET_PTRACER, 1)})
	if got[0].Value != "PR_SET_PTRACER" {
		t.Errorf("prctl(%#x) option = %v, want PR_SET_PTRACER", unix.PR_SET_PTRACER, got[0].Value)
	}
}

func TestDecodeMemfdCreateShowsNameAndFlags(t *testing.T) {
	got := decode(t, unix.SYS_MEMFD_CREATE, syscalls.Call{Args: args(0x1000, unix.MFD_CLOEXEC), Strs: [3][]byte{[]byte("payload")}})
	wantArgs(t, "memfd_create(\"payload\", MFD_CLOEXEC)", got,
		record.Arg{Key: "name", Value: []byte("payload")}, record.Arg{Key: "flags", Value: []string{"MFD_CLOEXEC"}})
}

func TestUnknownEnumValueIsShownAsANumber(t *testing.T) {
	got := decode(t, unix.SYS_PTRACE, syscalls.Call{Args: args(0x9999, 1)})
	if got[0].Value != "39321" {
		t.Errorf("ptrace request 0x9999 = %v, want \"39321\"", got[0].Value)
	}
	if got := syscalls.BPFCommand(200); got != "200" {
		t.Errorf("BPFCommand(200) = %q, want \"200\"", got)
	}
}

func TestUnknownFlagBitsAreShownInHex(t *testing.T) {
	got := decode(t, unix.SYS_MEMFD_CREATE, syscalls.Call{Args: args(0, unix.MFD_CLOEXEC|0x4000)})
	if f := got[1].Value; !reflect.DeepEqual(f, []string{"MFD_CLOEXEC", "0x4000"}) {
		t.Errorf("memfd flags 0x4001 = %v, want [MFD_CLOEXEC 0x4000]", f)
	}
	// clone3-only bits above 32 have no name yet
	if got := syscalls.NamespaceFlags(unix.CLONE_NEWNS | 1<<32); !reflect.DeepEqual(got, []string{"CLONE_NEWNS", "0x100000000"}) {
		t.Errorf("NamespaceFlags(CLONE_NEWNS|1<<32) = %v", got)
	}
}

func TestSyslogClearsOnlyForClearActions(t *testing.T) {
	for action, want := range map[uint64]bool{
		unix.SYSLOG_ACTION_READ_CLEAR: true, unix.SYSLOG_ACTION_CLEAR: true,
		unix.SYSLOG_ACTION_READ: false, unix.SYSLOG_ACTION_READ_ALL: false,
		unix.SYSLOG_ACTION_SIZE_BUFFER: false,
	} {
		if got := syscalls.SyslogClears(action); got != want {
			t.Errorf("SyslogClears(%d) = %v, want %v", action, got, want)
		}
	}
	got := decode(t, unix.SYS_SYSLOG, syscalls.Call{Args: args(unix.SYSLOG_ACTION_CLEAR)})
	wantArgs(t, "syslog(CLEAR)", got, record.Arg{Key: "action", Value: "CLEAR"})
}

func TestDecodeFinitModuleShowsTheFileOfItsDescriptor(t *testing.T) {
	got := decode(t, unix.SYS_FINIT_MODULE, syscalls.Call{
		Args: args(3, 0x1000, 0), Strs: [3][]byte{[]byte("debug=1")}, Path: []byte("/tmp/rootkit.ko"),
	})
	wantArgs(t, "finit_module(/tmp/rootkit.ko)", got,
		record.Arg{Key: "file", Value: []byte("/tmp/rootkit.ko")}, record.Arg{Key: "params", Value: []byte("debug=1")},
		record.Arg{Key: "flags", Value: "0x0"})
}

func TestCapNamesNamesTheSet(t *testing.T) {
	if got := syscalls.CapNames(1<<unix.CAP_SYS_ADMIN | 1<<unix.CAP_BPF); !reflect.DeepEqual(got, []string{"CAP_SYS_ADMIN", "CAP_BPF"}) {
		t.Errorf("CapNames = %v", got)
	}
}
