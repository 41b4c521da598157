package syscalls

// Compat maps the i386 numbers of the calls the monitor hooks to their
// x86-64 twins (arch/x86/entry/syscalls/syscall_{32,64}.tbl). A 32-bit
// program (int 0x80, or sysenter) enters the same raw_syscalls tracepoints
// with the i386 number in orig_ax; the kernel side translates it through
// the compat_syscalls map loaded from this list, so one set of handlers
// serves both ABIs and events carry compat=true.
//
// Left out on purpose: the 16-bit uid calls (setuid, chown, ... without
// "32": their ids are 16 bits wide). sendmsg's struct compat_msghdr has
// 32-bit pointers; the kernel side reads it so. socketcall(2) is
// translated separately in the kernel: CompatSocketcall stands for it.
var Compat = []CompatCall{
	// process and files
	{5, 2, "open"}, {8, 85, "creat"}, {9, 86, "link"}, {10, 87, "unlink"},
	{11, 59, "execve"}, {14, 133, "mknod"}, {15, 90, "chmod"}, {38, 82, "rename"},
	{40, 84, "rmdir"}, {83, 88, "symlink"}, {92, 76, "truncate"}, {93, 77, "ftruncate"},
	{94, 91, "fchmod"}, {198, 94, "lchown"}, {207, 93, "fchown"}, {212, 92, "chown"},
	{295, 257, "openat"}, {297, 259, "mknodat"}, {298, 260, "fchownat"},
	{301, 263, "unlinkat"}, {302, 264, "renameat"}, {303, 265, "linkat"},
	{304, 266, "symlinkat"}, {306, 268, "fchmodat"}, {353, 316, "renameat2"},
	{358, 322, "execveat"}, {437, 437, "openat2"}, {452, 452, "fchmodat2"},
	// network
	{361, 49, "bind"}, {362, 42, "connect"}, {363, 50, "listen"},
	{364, 288, "accept4"}, {369, 44, "sendto"}, {370, 46, "sendmsg"},
	// the security-sensitive table
	{26, 101, "ptrace"}, {347, 310, "process_vm_readv"}, {348, 311, "process_vm_writev"},
	{37, 62, "kill"}, {238, 200, "tkill"}, {270, 234, "tgkill"},
	{128, 175, "init_module"}, {350, 313, "finit_module"}, {129, 176, "delete_module"},
	{283, 246, "kexec_load"}, {357, 321, "bpf"}, {336, 298, "perf_event_open"},
	{110, 172, "iopl"}, {101, 173, "ioperm"}, {88, 169, "reboot"}, {87, 167, "swapon"},
	{103, 103, "syslog"}, {51, 163, "acct"}, {79, 164, "settimeofday"},
	{264, 227, "clock_settime"}, {74, 170, "sethostname"}, {121, 171, "setdomainname"},
	{21, 165, "mount"}, {52, 166, "umount2"}, {432, 432, "fsmount"}, {429, 429, "move_mount"},
	{217, 155, "pivot_root"}, {61, 161, "chroot"}, {310, 272, "unshare"}, {346, 308, "setns"},
	{120, 56, "clone"}, {435, 435, "clone3"},
	{213, 105, "setuid"}, {214, 106, "setgid"}, {203, 113, "setreuid"}, {204, 114, "setregid"},
	{208, 117, "setresuid"}, {210, 119, "setresgid"}, {215, 122, "setfsuid"},
	{216, 123, "setfsgid"}, {206, 116, "setgroups"}, {185, 126, "capset"}, {172, 157, "prctl"},
	{356, 319, "memfd_create"}, {374, 323, "userfaultfd"}, {136, 135, "personality"},
	{288, 250, "keyctl"}, {342, 304, "open_by_handle_at"},
	// socketcall(SYS_CONNECT, ...) and friends, decoded in the kernel
	{102, CompatSocketcall, "socketcall"},
}

// CompatSocketcall is the number the kernel side gives an i386 socketcall
// before it reads which call it is (COMPAT_SOCKETCALL in log_monitor.h).
const CompatSocketcall = 1000

// CompatCall is one i386 syscall and the x86-64 number it is handled as.
type CompatCall struct {
	Nr32, Nr uint32
	Name     string // the x86-64 name; the i386 one may end in "32"
}
