package syscalls

import "github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"

// Compat maps the i386 numbers of the calls the monitor hooks to their
// x86-64 twins (arch/x86/entry/syscalls/syscall_{32,64}.tbl). A 32-bit
// program (int 0x80, or sysenter) enters the same raw_syscalls tracepoints
// with the i386 number in orig_ax; the kernel side translates it through
// the compat_syscalls map loaded from this list, so one set of handlers
// serves both ABIs and events carry compat=true.
//
// The 16-bit uid calls (setuid, chown, ... without "32", what classic
// i386 shellcode calls: setuid(0) is eax=23) are the same calls with ids
// 16 bits wide: ID16 marks them, and the kernel side widens 0xffff (-1).
// sendmsg's struct compat_msghdr has 32-bit pointers; the kernel side
// reads it so. socketcall(2) is translated separately in the kernel:
// CompatSocketcall stands for it.
var Compat = []CompatCall{
	// process and files
	{5, 2, "open", false}, {8, 85, "creat", false}, {9, 86, "link", false}, {10, 87, "unlink", false},
	{11, 59, "execve", false}, {14, 133, "mknod", false}, {15, 90, "chmod", false}, {38, 82, "rename", false},
	{40, 84, "rmdir", false}, {83, 88, "symlink", false}, {92, 76, "truncate", false}, {93, 77, "ftruncate", false},
	{94, 91, "fchmod", false}, {198, 94, "lchown", false}, {207, 93, "fchown", false}, {212, 92, "chown", false},
	{295, 257, "openat", false}, {297, 259, "mknodat", false}, {298, 260, "fchownat", false},
	{301, 263, "unlinkat", false}, {302, 264, "renameat", false}, {303, 265, "linkat", false},
	{304, 266, "symlinkat", false}, {306, 268, "fchmodat", false}, {353, 316, "renameat2", false},
	{358, 322, "execveat", false}, {437, 437, "openat2", false}, {452, 452, "fchmodat2", false},
	{39, 83, "mkdir", false}, {296, 258, "mkdirat", false},
	// utimensat with 64-bit times: the layout of the x86-64 call (the older
	// utimensat, utimes and utime of i386 have 32-bit times: not hooked)
	{412, 280, "utimensat_time64", false},
	// network
	{361, 49, "bind", false}, {362, 42, "connect", false}, {363, 50, "listen", false},
	{364, 288, "accept4", false}, {359, 41, "socket", false}, {369, 44, "sendto", false}, {370, 46, "sendmsg", false},
	// the security-sensitive table
	{26, 101, "ptrace", false}, {347, 310, "process_vm_readv", false}, {348, 311, "process_vm_writev", false},
	{181, 18, "pwrite64", false},
	{37, 62, "kill", false}, {238, 200, "tkill", false}, {270, 234, "tgkill", false},
	{128, 175, "init_module", false}, {350, 313, "finit_module", false}, {129, 176, "delete_module", false},
	{283, 246, "kexec_load", false}, {357, 321, "bpf", false}, {336, 298, "perf_event_open", false},
	{110, 172, "iopl", false}, {101, 173, "ioperm", false}, {88, 169, "reboot", false}, {87, 167, "swapon", false},
	{103, 103, "syslog", false}, {51, 163, "acct", false}, {79, 164, "settimeofday", false},
	{264, 227, "clock_settime", false}, {74, 170, "sethostname", false}, {121, 171, "setdomainname", false},
	{21, 165, "mount", false}, {52, 166, "umount2", false}, {432, 432, "fsmount", false}, {429, 429, "move_mount", false},
	{217, 155, "pivot_root", false}, {61, 161, "chroot", false}, {310, 272, "unshare", false}, {346, 308, "setns", false},
	{120, 56, "clone", false}, {435, 435, "clone3", false},
	{213, 105, "setuid", false}, {214, 106, "setgid", false}, {203, 113, "setreuid", false}, {204, 114, "setregid", false},
	{208, 117, "setresuid", false}, {210, 119, "setresgid", false}, {215, 122, "setfsuid", false},
	{216, 123, "setfsgid", false}, {206, 116, "setgroups", false}, {185, 126, "capset", false}, {172, 157, "prctl", false},
	{23, 105, "setuid", true}, {46, 106, "setgid", true}, {70, 113, "setreuid", true},
	{71, 114, "setregid", true}, {164, 117, "setresuid", true}, {170, 119, "setresgid", true},
	{138, 122, "setfsuid", true}, {139, 123, "setfsgid", true}, {81, 116, "setgroups", true},
	{182, 92, "chown", true}, {16, 94, "lchown", true}, {95, 93, "fchown", true},
	{356, 319, "memfd_create", false}, {374, 323, "userfaultfd", false}, {136, 135, "personality", false},
	{288, 250, "keyctl", false}, {342, 304, "open_by_handle_at", false},
	// socketcall(SYS_CONNECT, ...) and friends, decoded in the kernel
	{102, CompatSocketcall, "socketcall", false},
}

// CompatSocketcall is the number the kernel side gives an i386 socketcall
// before it reads which call it is (COMPAT_SOCKETCALL in log_monitor.h).
const CompatSocketcall = 1000

// CompatCall is one i386 syscall and the x86-64 number it is handled as.
type CompatCall struct {
	Nr32, Nr uint32
	Name     string // the x86-64 name; the i386 one may end in "32"
	ID16     bool   // the i386 call takes 16-bit uids/gids
}

// KernelValue is what the compat_syscalls map holds for c.
func (c CompatCall) KernelValue() uint32 {
	if c.ID16 {
		return c.Nr | event.CompatID16
	}
	return c.Nr
}

// Bits is one bit per syscall number, as the kernel side's table_bits and
// compat_bits (bpf/ournr.h) hold them.
type Bits [event.SyscallTableLen / 64]uint64

// set sets nr's bit; a number beyond the table has none (the loader
// refuses it: loadSyscallTable).
func (b *Bits) set(nr uint32) {
	if nr < event.SyscallTableLen {
		b[nr/64] |= 1 << (nr % 64)
	}
}

// Has says whether nr's bit is set.
func (b *Bits) Has(nr uint32) bool { return nr < event.SyscallTableLen && b[nr/64]&(1<<(nr%64)) != 0 }

// TableBits are the x86-64 numbers of Table: with the calls the kernel
// side handles itself, the first test each syscall meets.
func TableBits() Bits {
	var b Bits
	for i := range Table {
		b.set(Table[i].Nr)
	}
	return b
}

// CompatBits are the i386 numbers Compat translates.
func CompatBits() Bits {
	var b Bits
	for _, c := range Compat {
		b.set(c.Nr32)
	}
	return b
}
