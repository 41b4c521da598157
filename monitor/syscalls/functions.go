package syscalls

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// The kernel functions that carry out the calls the monitor watches, for
// the function-hook design (bpf/fnhooks.h): the kernel side runs a stub of
// a hook class on each function, and the stub dispatches on the syscall
// number.

// Hook classes: which of the kernel side's handlers a function's stub runs
// (enum hook_class in bpf/syscalls.h; the stubs are named
// fn_exit_<class>_N).  Every class is hooked at the function's exit only:
// the handlers read the call's arguments back from its user registers.
const (
	ClassOpen  = "open"
	ClassExec  = "exec"
	ClassFile  = "file"
	ClassNet   = "net"
	ClassTable = "table" // the calls of Table
	ClassI386  = "i386"  // every i386 call, every handler
)

// IA32Dispatch is the function every i386 syscall passes through on its
// way to its entry point (Linux 6.9, and the stable kernels that took the
// backport, among them Debian's 6.1 and 6.12): where it can be hooked, one
// hook replaces the ~100 i386 entry points.
const IA32Dispatch = "ia32_sys_call"

// Handled are the calls the kernel side handles itself (HANDLED_SYSCALLS
// in bpf/ournr.h; a test holds the two lists together), with their
// x86-64 numbers (the kernel's, from x/sys/unix) and classes; every other
// watched call is in Table.
var Handled = []struct {
	Nr    int
	Name  string
	Class string
}{
	{unix.SYS_OPEN, "open", ClassOpen}, {unix.SYS_OPENAT, "openat", ClassOpen}, {unix.SYS_OPENAT2, "openat2", ClassOpen},
	{unix.SYS_CREAT, "creat", ClassOpen}, {unix.SYS_EXECVE, "execve", ClassExec}, {unix.SYS_EXECVEAT, "execveat", ClassExec},
	{unix.SYS_UNLINK, "unlink", ClassFile}, {unix.SYS_UNLINKAT, "unlinkat", ClassFile}, {unix.SYS_RMDIR, "rmdir", ClassFile},
	{unix.SYS_RENAME, "rename", ClassFile}, {unix.SYS_RENAMEAT, "renameat", ClassFile}, {unix.SYS_RENAMEAT2, "renameat2", ClassFile},
	{unix.SYS_CHMOD, "chmod", ClassFile}, {unix.SYS_FCHMOD, "fchmod", ClassFile}, {unix.SYS_FCHMODAT, "fchmodat", ClassFile},
	{unix.SYS_FCHMODAT2, "fchmodat2", ClassFile}, {unix.SYS_CHOWN, "chown", ClassFile}, {unix.SYS_LCHOWN, "lchown", ClassFile},
	{unix.SYS_FCHOWN, "fchown", ClassFile}, {unix.SYS_FCHOWNAT, "fchownat", ClassFile}, {unix.SYS_TRUNCATE, "truncate", ClassFile},
	{unix.SYS_FTRUNCATE, "ftruncate", ClassFile}, {unix.SYS_LINK, "link", ClassFile}, {unix.SYS_LINKAT, "linkat", ClassFile},
	{unix.SYS_SYMLINK, "symlink", ClassFile}, {unix.SYS_SYMLINKAT, "symlinkat", ClassFile}, {unix.SYS_MKNOD, "mknod", ClassFile},
	{unix.SYS_MKNODAT, "mknodat", ClassFile}, {unix.SYS_MKDIR, "mkdir", ClassFile}, {unix.SYS_MKDIRAT, "mkdirat", ClassFile},
	{unix.SYS_UTIME, "utime", ClassFile}, {unix.SYS_UTIMES, "utimes", ClassFile}, {unix.SYS_FUTIMESAT, "futimesat", ClassFile},
	{unix.SYS_UTIMENSAT, "utimensat", ClassFile}, {unix.SYS_CONNECT, "connect", ClassNet}, {unix.SYS_ACCEPT, "accept", ClassNet},
	{unix.SYS_ACCEPT4, "accept4", ClassNet}, {unix.SYS_LISTEN, "listen", ClassNet}, {unix.SYS_BIND, "bind", ClassNet},
	{unix.SYS_SENDTO, "sendto", ClassNet}, {unix.SYS_SENDMSG, "sendmsg", ClassNet},
}

// Entry points are hooked, not the functions inside the kernel that the
// variants of a call share (do_fchmodat for chmod, fchmodat and
// fchmodat2): such a function may be inlined into some of its callers and
// kept out of line for others, and a hook on the out-of-line copy then
// misses the inlined calls.  Measured: with do_fchmodat hooked in Debian's
// 6.12, chmod(1)'s fchmodat was never seen.  Since the i386 calls come
// through one function (IA32Dispatch), sharing buys little, with one
// exception, OpenShared.

// OpenShared is the function the four opens (open, openat, creat,
// openat2) of both ABIs share (fs/open.c).  The opens are on trampolines,
// and each trampoline costs the start a verified stub and the stop an
// RCU-tasks grace period (about 130 ms under QEMU): one hook instead of
// four saves both three times.  Because it could be inlined into some of
// its callers, the loader proves at start that it sees each of the four
// (the monitor makes each call itself), and plans the entry points again
// where it does not.  It is taken only with IA32Dispatch: the i386 opens
// pass through it too, and are seen there.
const OpenShared = "do_sys_openat2"

// ClassOnKprobes says whether the class's functions are always hooked with
// kprobes (one program for all, bpf/fnhooks.h says why), never with
// trampolines: the object has no fentry/fexit stubs for them.
func ClassOnKprobes(class string) bool { return class == ClassFile || class == ClassTable }

// Candidates are every kernel function FunctionHooks may ask about: a
// reader of the kernel's list of traceable functions keeps only these.
func Candidates() map[string]bool {
	asked := map[string]bool{}
	// with none found, every candidate is asked for in turn
	FunctionHooks(func(fn string) bool { asked[fn] = true; return false })
	return asked
}

// FuncHook is one kernel function to hook and the stub class it gets.
type FuncHook struct {
	Func  string
	Class string
	Calls []string // the calls it stands for ("socketcall" for i386's)
}

// x64Entry is the x86-64 entry point of the call name.
func x64Entry(name string) string {
	if name == "umount2" {
		name = "umount" // SYSCALL_DEFINE2(umount, ...) is umount2
	}
	return "__x64_sys_" + name
}

// i386Entries are the candidates, in order, for the i386 entry point of c:
// a call with a compat variant enters through it.
func i386Entries(c CompatCall) []string {
	name := c.Name
	switch name {
	case "umount2":
		name = "umount"
	case "pwrite64":
		return []string{"__ia32_sys_ia32_pwrite64"} // arch/x86/kernel/sys_ia32.c
	case "utimensat_time64":
		return []string{"__ia32_sys_utimensat"}
	}
	if c.ID16 {
		return []string{"__ia32_sys_" + name + "16"}
	}
	return []string{"__ia32_compat_sys_" + name, "__ia32_sys_" + name}
}

// classOf is the class of the x86-64 call name, "" when it is not watched.
func classOf(name string) string {
	for _, h := range Handled {
		if h.Name == name {
			return h.Class
		}
	}
	if name == "socketcall" {
		return ClassNet
	}
	for i := range Table {
		if Table[i].Name == name {
			return ClassTable
		}
	}
	return ""
}

// FunctionHooks plans the function hooks for a kernel whose traceable
// functions are those for which has returns true (the kernel's BTF, or
// tracefs's available_filter_functions: monitor/traceable.go).  missing lists the calls no function could
// be found for: a kernel the plan does not cover.
func FunctionHooks(has func(string) bool) (hooks []FuncHook, missing []string) {
	byFunc := map[string]int{}
	add := func(fn, class, call string) {
		if i, ok := byFunc[fn]; ok {
			hooks[i].Calls = append(hooks[i].Calls, call)
			return
		}
		byFunc[fn] = len(hooks)
		hooks = append(hooks, FuncHook{Func: fn, Class: class, Calls: []string{call}})
	}
	var natives []string
	for _, h := range Handled {
		natives = append(natives, h.Name)
	}
	for i := range Table {
		natives = append(natives, Table[i].Name)
	}
	sort.Strings(natives)
	// both asked, whatever the answers: Candidates lists what is asked
	dispatch, sharedOpen := has(IA32Dispatch), has(OpenShared)
	sharedOpen = sharedOpen && dispatch
	for _, name := range natives {
		fn := x64Entry(name)
		if !has(fn) {
			// a call newer than the kernel (fchmodat2 before 6.6) has no
			// entry point and nothing to miss
			continue
		}
		class := classOf(name)
		if class == ClassOpen && sharedOpen {
			fn = OpenShared
		}
		add(fn, class, name)
	}
	if dispatch {
		hooks = append(hooks, FuncHook{Func: IA32Dispatch, Class: ClassI386, Calls: []string{"i386"}})
		return hooks, nil
	}
	for _, c := range Compat {
		native := c.Name
		if c.Nr == CompatSocketcall {
			native = "socketcall"
		} else if n := nameOf(c.Nr); n != "" {
			native = n
		}
		class := classOf(native)
		if class == "" {
			missing = append(missing, fmt.Sprintf("i386 %s: not a watched call", c.Name))
			continue
		}
		found := false
		for _, fn := range i386Entries(c) {
			if has(fn) {
				add(fn, class, "i386 "+c.Name)
				found = true
				break
			}
		}
		// an i386 call is missing only where its x86-64 twin exists
		if !found && has(x64Entry(native)) {
			missing = append(missing, "i386 "+c.Name)
		}
	}
	return hooks, missing
}

// nameOf is the x86-64 name of the handled or table call nr.
func nameOf(nr uint32) string {
	if s := Lookup(nr); s != nil {
		return s.Name
	}
	for _, h := range Handled {
		if uint32(h.Nr) == nr {
			return h.Name
		}
	}
	return ""
}
