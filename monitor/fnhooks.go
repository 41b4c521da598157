package monitor

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// Function hooks (bpf/fnhooks.h): syscalls seen through fentry/fexit on
// the kernel functions of the watched calls instead of the raw_syscalls
// tracepoints, so that every other syscall pays nothing.  The object holds
// exit stubs without a target, fn_exit_<class>_N (nothing is kept at a
// call's entry: its exit reads the arguments back); the plan
// (syscalls.FunctionHooks) gives each function of a class the next stub
// of that class.

// functionHooksMinMajor/Minor: bpf_task_pt_regs, the newest helper the
// stubs call, came in 5.15.
const functionHooksMinMajor, functionHooksMinMinor = 5, 15

// hookClassCapability is what each class gives the user, as the start
// record names it.
var hookClassCapability = map[string]string{
	syscalls.ClassOpen:  "file-open",
	syscalls.ClassExec:  "exec-failures",
	syscalls.ClassFile:  "file",
	syscalls.ClassNet:   "network",
	syscalls.ClassTable: "syscalls",
	syscalls.ClassI386:  "i386-syscalls",
}

func isFunctionStub(prog string) bool {
	return strings.HasPrefix(prog, "fn_exit_") || strings.HasPrefix(prog, "fn_kexit_") ||
		strings.HasPrefix(prog, "fn_kmexit_")
}

// how a function is hooked
const (
	viaTrampoline  = iota // an fexit stub of its class
	viaKprobe             // fn_kexit_calls on a kretprobe per function
	viaKprobeMulti        // fn_kmexit_calls, one kretprobe.multi link for all
)

// fnPlan is what the function-hook design attaches on this kernel.
type fnPlan struct {
	hooks   []syscalls.FuncHook
	fprobes bool // kprobe.multi links can be made (CONFIG_FPROBE)
	// tracefs kprobe events can be made (kprobe_event.go): one for all
	// the kretprobes; else the kprobe PMU, a perf kprobe per function
	kprobeEvents bool
	kprobes      bool
	funcArg      bool              // bpf_get_func_arg (5.17): security_file_open on fentry
	has          func(string) bool // the kernel's traceable functions, as planned
}

// without is p planned again without the functions fns, which the kernel
// refused to hook or was found to bypass (syscalls.OpenShared: the opens
// then go to their entry points): nil, with the calls left without a
// function, when some are.
func (p *fnPlan) without(fns []string) (*fnPlan, []string) {
	q := *p
	has := p.has
	q.has = func(fn string) bool { return !slices.Contains(fns, fn) && has(fn) }
	q.hooks, _ = syscalls.FunctionHooks(q.has)
	// every call p sees, q must see (FunctionHooks takes a call without
	// an entry point for one newer than the kernel)
	seen := map[string]bool{}
	for _, h := range q.hooks {
		for _, c := range h.Calls {
			seen[c] = true
		}
	}
	var missing []string
	for _, h := range p.hooks {
		for _, c := range h.Calls {
			if !seen[c] {
				missing = append(missing, c)
			}
		}
	}
	if len(missing) > 0 {
		return nil, missing
	}
	return &q, nil
}

// fprobeSyntax is the line of tracefs's README that documents fprobe
// events: a kernel that has it has fprobes, which kprobe.multi links are
// built on (a kernel with fprobes but without fprobe events is taken for
// one without: the kretprobes of one tracefs event then, slower to
// detach).
const fprobeSyntax = "f[:[<group>/][<event>]] <func-name>"

// planFunctionHooks decides whether syscalls are seen through function
// hooks: the plan, or nil with the reason (empty when tracepoints were
// asked for).  With --syscall-hooks functions a kernel that cannot is an
// error.
func planFunctionHooks(cfg *Config, tracefs string, kt *kernelTypes) (*fnPlan, string, error) {
	if cfg.SyscallHooks == "tracepoints" {
		return nil, "", nil
	}
	plan, reason := functionHooksPlan(tracefs, kt)
	if plan == nil && cfg.SyscallHooks == "functions" {
		return nil, "", errorf(ExitNoHooks, "--syscall-hooks functions: %s (use --syscall-hooks auto or tracepoints)", reason)
	}
	return plan, reason, nil
}

func functionHooksPlan(tracefs string, kt *kernelTypes) (*fnPlan, string) {
	if rel, ok := kernelAtLeast(functionHooksMinMajor, functionHooksMinMinor); !ok {
		return nil, fmt.Sprintf("kernel %s: function hooks need %d.%d", rel, functionHooksMinMajor, functionHooksMinMinor)
	}
	readme, _ := os.ReadFile(tracefs + "/README")
	p := &fnPlan{fprobes: strings.Contains(string(readme), fprobeSyntax)}
	_, kerr := os.Stat(kprobePMU)
	p.kprobes = kerr == nil
	p.kprobeEvents = unix.Access(tracefs+"/kprobe_events", unix.W_OK) == nil
	_, p.funcArg = kernelAtLeast(5, 17)
	if !p.fprobes && !p.kprobes && !p.kprobeEvents {
		return nil, "neither fprobes nor kprobes: the file changes and the syscall table are hooked with them"
	}
	tf := hostTraceable(tracefs)
	tf.inBTF = kt.functions
	funcs, _, err := tf.traceable(syscalls.Candidates())
	if err != nil {
		return nil, fmt.Sprintf("no traceable functions: %v", err)
	}
	p.has = func(fn string) bool { return funcs[fn] }
	var missing []string
	p.hooks, missing = syscalls.FunctionHooks(p.has)
	if len(missing) > 0 {
		return nil, "no kernel function for " + strings.Join(missing, ", ")
	}
	return p, ""
}

// callsOnKprobes says whether every class but the opens is on one
// kprobe.multi link or one tracefs kretprobe event (bpf/fnhooks.h says
// why); without either, only the file changes and the table are on
// kprobes, a perf kprobe per function.
func (p *fnPlan) callsOnKprobes() bool { return p.fprobes || p.kprobeEvents }

// via is how p hooks fn.
func (p *fnPlan) via(fn syscalls.FuncHook) int {
	onKprobes := syscalls.ClassOnKprobes(fn.Class) || (p.callsOnKprobes() && fn.Class != syscalls.ClassOpen)
	switch {
	case !onKprobes:
		return viaTrampoline
	case p.fprobes:
		return viaKprobeMulti
	default:
		return viaKprobe
	}
}

// fnHook is one planned function with its programs.
type fnHook struct {
	fn   syscalls.FuncHook
	exit *bpf.BPFProg
	via  int // viaTrampoline, ...
	hook int // index in l.hooks of its class
}

// assignFunctionHooks gives each function of plan its stubs, leaves every
// other stub out of the load, and adds a hook per class to l.hooks.
func (l *loaded) assignFunctionHooks(p *fnPlan) ([]fnHook, error) {
	stubs := map[string][]*bpf.BPFProg{} // class -> exit stubs, in name order
	kprobeProgs := map[string]*bpf.BPFProg{}
	it := l.mod.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		name := prog.Name()
		if !isFunctionStub(name) {
			continue
		}
		if err := prog.SetAutoload(false); err != nil {
			return nil, errorf(ExitRuntime, "disable program %s: %v", name, err)
		}
		if strings.HasPrefix(name, "fn_k") {
			kprobeProgs[name] = prog
			continue
		}
		rest := strings.TrimPrefix(name, "fn_exit_")
		class := rest[:strings.LastIndexByte(rest, '_')]
		stubs[class] = append(stubs[class], prog)
	}
	for _, progs := range stubs {
		sort.Slice(progs, func(i, j int) bool { return progs[i].Name() < progs[j].Name() })
	}
	classHook := map[string]int{}
	var out []fnHook
	take := func(key string) *bpf.BPFProg {
		progs := stubs[key]
		if len(progs) == 0 {
			return nil
		}
		stubs[key] = progs[1:]
		return progs[0]
	}
	if p == nil {
		return nil, nil
	}
	for _, fn := range p.hooks {
		h := fnHook{fn: fn}
		if h.via = p.via(fn); h.via != viaTrampoline {
			name, kind := "fn_kexit_calls", "kretprobe/"
			if h.via == viaKprobeMulti {
				name, kind = "fn_kmexit_calls", "kretprobe.multi/"
			}
			if h.exit = kprobeProgs[name]; h.exit == nil {
				return nil, errorf(ExitRuntime, "the object lacks %s", name)
			}
			if err := h.exit.SetAutoload(true); err != nil {
				return nil, errorf(ExitRuntime, "enable program %s: %v", name, err)
			}
			l.addFunctionHook(&h, classHook, kind+fn.Class)
			out = append(out, h)
			continue
		}
		stub := fn.Class
		if fn.Func == syscalls.OpenShared {
			stub = "open_shared" // its own program: the result is its fourth word
		}
		if h.exit = take(stub); h.exit == nil {
			return nil, errorf(ExitRuntime, "no %s stub left for %s: bpf/fnhooks.h needs more", fn.Class, fn.Func)
		}
		if fn.Class == syscalls.ClassOpen && strings.HasPrefix(fn.Func, "__ia32_") {
			l.openStubI386 = true
		}
		if err := h.exit.SetAttachTarget(0, fn.Func); err != nil {
			return nil, fmt.Errorf("target %s for %s: %w", fn.Func, h.exit.Name(), err)
		}
		if err := h.exit.SetAutoload(true); err != nil {
			return nil, errorf(ExitRuntime, "enable program %s: %v", h.exit.Name(), err)
		}
		name := "fexit/" + fn.Class
		l.addFunctionHook(&h, classHook, name)
		out = append(out, h)
	}
	return out, nil
}

// addFunctionHook lists h's function under the start record's hook of its
// kind and class (classHook: hook name -> index in l.hooks).
func (l *loaded) addFunctionHook(h *fnHook, classHook map[string]int, name string) {
	i, ok := classHook[name]
	if !ok {
		l.hooks = append(l.hooks, record.Hook{Name: name, Capability: hookClassCapability[h.fn.Class]})
		i = len(l.hooks) - 1
		classHook[name] = i
	}
	l.hooks[i].Functions = append(l.hooks[i].Functions, h.fn.Func)
	h.hook = i
}

// trampolinesRefused: the kernel refused the trampolines on funcs, and
// nothing else.  The plan came from the kernel's BTF (traceable.go), so a
// function not among ftrace's records is found here; so is one whose
// trampoline is full (BPF_MAX_TRAMP_LINKS programs on it already).  The
// loader plans again without them (load).
type trampolinesRefused struct {
	funcs []string
	err   error
}

func (e *trampolinesRefused) Error() string { return e.err.Error() }
func (e *trampolinesRefused) Unwrap() error { return e.err }

// attachFunctionHooks attaches every planned function's programs.  A
// function left out would be calls never seen, so any failure fails the
// whole design (and --syscall-hooks auto falls back to tracepoints).
// Attaching in parallel overlaps the kernel's waits where it can.
func (l *loaded) attachFunctionHooks(hooks []fnHook) error {
	type result struct {
		link *bpf.BPFLink
		err  error
	}
	type attach struct {
		name string
		do   func() (*bpf.BPFLink, error)
	}
	var todo []attach
	var multi []string           // the functions of the kretprobe.multi link
	var kret []syscalls.FuncHook // the functions of the kretprobes
	var multiProg, kretProg *bpf.BPFProg
	for _, h := range hooks {
		fn := h.fn.Func
		switch h.via {
		case viaKprobeMulti:
			multi, multiProg = append(multi, fn), h.exit
		case viaKprobe:
			kret, kretProg = append(kret, h.fn), h.exit
		default:
			todo = append(todo, attach{"fexit/" + fn, h.exit.AttachGeneric}) // the target set before load
		}
	}
	if len(multi) > 0 {
		fd, err := kprobeMultiLink(multiProg.FileDescriptor(), multi, true)
		if err != nil {
			return errorf(ExitNoHooks, "attach kretprobe.multi to %d functions: %v", len(multi), err)
		}
		l.fdLinks = append(l.fdLinks, fd)
	}
	if len(kret) > 0 {
		// one tracefs event for all (kprobe_event.go), armed while the
		// object loaded; a perf kprobe per function where tracefs cannot
		// be written
		if err := l.attachKretprobeEvent(kretProg); err != nil {
			l.kprobeEventReason = err.Error()
			for _, h := range kret {
				fn := h.Func
				todo = append(todo, attach{"kretprobe/" + fn, func() (*bpf.BPFLink, error) { return kretProg.AttachKretprobe(fn) }})
			}
		} else {
			for _, h := range hooks {
				if h.via == viaKprobe {
					l.hooks[h.hook].Name = strings.Replace(l.hooks[h.hook].Name, "kretprobe/", "kretprobe_event/", 1)
				}
			}
		}
	}
	results := make([]result, len(todo))
	var wg sync.WaitGroup
	for i, a := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			link, err := a.do()
			results[i] = result{link, err}
		}()
	}
	wg.Wait()
	var failed, refused []string
	for i, r := range results {
		if r.err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", todo[i].name, r.err))
			if fn, ok := strings.CutPrefix(todo[i].name, "fexit/"); ok {
				refused = append(refused, fn)
			}
			continue
		}
		l.links = append(l.links, r.link)
	}
	if len(failed) > 0 {
		err := errorf(ExitNoHooks, "attach function hooks: %s", strings.Join(failed, "; "))
		if len(refused) == len(failed) {
			return &trampolinesRefused{funcs: refused, err: err}
		}
		return err
	}
	for _, h := range hooks {
		l.hooks[h.hook].Attached = true
	}
	return nil
}

// kretprobeFuncs are the functions of hooks whose returns are seen
// through kretprobes.
func kretprobeFuncs(hooks []fnHook) []syscalls.FuncHook {
	var funcs []syscalls.FuncHook
	for _, h := range hooks {
		if h.via == viaKprobe {
			funcs = append(funcs, h.fn)
		}
	}
	return funcs
}

// armKretprobes starts arming our tracefs kretprobe event over the
// kretprobe functions of hooks, if any, while the object loads
// (armKretprobeEvent); attachKretprobeEvent or Close takes it.
func (l *loaded) armKretprobes(hooks []fnHook) {
	funcs := kretprobeFuncs(hooks)
	if len(funcs) == 0 {
		return
	}
	l.arming = make(chan armedEvent, 1)
	go func() { l.arming <- armKretprobeEvent(l.tracefs, funcs) }()
}

// takeArmed waits for the armed event, which is then the caller's to
// attach or release.
func (l *loaded) takeArmed() armedEvent {
	if l.arming == nil {
		return armedEvent{err: errors.New("no kretprobe event was armed")}
	}
	a := <-l.arming
	l.arming = nil
	l.staleKprobeEvents = a.stale
	return a
}

// attachKretprobeEvent attaches prog to the returns of the functions of
// the kretprobe event armed while the object loaded; on an error nothing
// of it is left.
func (l *loaded) attachKretprobeEvent(prog *bpf.BPFProg) error {
	a := l.takeArmed()
	if a.err != nil {
		return a.err
	}
	link, err := prog.AttachPerfEvent(a.pfd)
	if err != nil {
		a.release()
		return fmt.Errorf("attach %s: %w", a.ev, err)
	}
	l.links = append(l.links, link) // its Destroy closes pfd
	l.kprobeEvent, l.kprobeEventLink, l.kprobeEventArmed = a.ev, link, a.took
	return nil
}

// kprobeMultiLink attaches prog (loaded as kprobe.multi) to every function
// of funcs at once, to their returns when ret: one fprobe, registered and
// released as one.  libbpfgo has no call for it, so the link is made with
// bpf(BPF_LINK_CREATE) (union bpf_attr's link_create.kprobe_multi) and its
// fd is ours to close.
func kprobeMultiLink(progFD int, funcs []string, ret bool) (int, error) {
	const (
		bpfLinkCreate         = 28 // BPF_LINK_CREATE
		bpfTraceKprobeMulti   = 42 // BPF_TRACE_KPROBE_MULTI
		bpfFKprobeMultiReturn = 1  // BPF_F_KPROBE_MULTI_RETURN
	)
	names := make([][]byte, len(funcs))
	ptrs := make([]uintptr, len(funcs))
	for i, f := range funcs {
		names[i] = append([]byte(f), 0)
		ptrs[i] = uintptr(unsafe.Pointer(&names[i][0]))
	}
	attr := struct {
		progFD, targetFD, attachType, flags uint32
		kmFlags, cnt                        uint32
		syms, addrs, cookies                uint64
		_                                   [16]byte // the rest of union bpf_attr's link_create, zero
	}{
		progFD:     uint32(progFD),
		attachType: bpfTraceKprobeMulti,
		cnt:        uint32(len(funcs)),
		syms:       uint64(uintptr(unsafe.Pointer(&ptrs[0]))),
	}
	if ret {
		attr.kmFlags = bpfFKprobeMultiReturn
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, bpfLinkCreate, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(names)
	runtime.KeepAlive(ptrs)
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// errSharedOpenMissed: the hook on syscalls.OpenShared did not see an open
// it stands for, made by the monitor itself (the kernel inlined the
// function into that call's entry point): load plans the entry points.
var errSharedOpenMissed = errors.New("an open did not pass through " + syscalls.OpenShared)

// sharedOpenProbe is where the proof's opens look: a name nothing can
// create (procfs refuses), so every call fails and changes nothing.
const sharedOpenProbe = "/proc/self/ebpf-log-monitor-open-probe"

// proveSharedOpen makes each open that the hook on syscalls.OpenShared
// stands for, and checks that the hook saw it (self_opens, bpf/maps.h).
// Nothing to prove where the opens are on their entry points.
func (l *loaded) proveSharedOpen(hooks []fnHook) error {
	var calls []string
	for _, h := range hooks {
		if h.fn.Func == syscalls.OpenShared {
			calls = h.fn.Calls
		}
	}
	if calls == nil {
		return nil
	}
	m, err := l.mod.GetMap("self_opens")
	if err != nil {
		return errorf(ExitRuntime, "the object lacks self_opens: %v", err)
	}
	path, err := unix.BytePtrFromString(sharedOpenProbe)
	if err != nil {
		return err
	}
	cwd := unix.AT_FDCWD
	var missed []string
	for _, call := range calls {
		var nr uintptr
		var r uintptr
		switch call {
		case "open":
			nr = unix.SYS_OPEN
			r, _, _ = unix.Syscall(nr, uintptr(unsafe.Pointer(path)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		case "openat":
			nr = unix.SYS_OPENAT
			r, _, _ = unix.Syscall6(nr, uintptr(cwd), uintptr(unsafe.Pointer(path)), unix.O_RDONLY|unix.O_CLOEXEC, 0, 0, 0)
		case "creat":
			nr = unix.SYS_CREAT
			r, _, _ = unix.Syscall(nr, uintptr(unsafe.Pointer(path)), 0o600, 0)
		case "openat2":
			nr = unix.SYS_OPENAT2
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC}
			r, _, _ = unix.Syscall6(nr, uintptr(cwd), uintptr(unsafe.Pointer(path)),
				uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		default:
			return errorf(ExitRuntime, "%s stands for %s, which the proof cannot make", syscalls.OpenShared, call)
		}
		runtime.KeepAlive(path)
		if int(r) >= 0 {
			unix.Close(int(r))
		}
		key := uint32(nr)
		if _, err := m.GetValue(unsafe.Pointer(&key)); err != nil {
			missed = append(missed, call)
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("%w: %s", errSharedOpenMissed, strings.Join(missed, ", "))
	}
	return nil
}
