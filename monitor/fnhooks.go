package monitor

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	bpf "github.com/aquasecurity/libbpfgo"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// Function hooks (bpf/fnhooks.h): syscalls seen through fentry/fexit on
// the kernel functions of the watched calls instead of the raw_syscalls
// tracepoints, so that every other syscall pays nothing.  The object holds
// stubs without a target, fn_enter_<class>_N and fn_exit_<class>_N; the
// plan (syscalls.FunctionHooks) gives each function of a class the next
// stubs of that class.

// functionHooksMinMajor/Minor: bpf_get_func_ret, the newest helper the
// stubs call, came in 5.17 (bpf_task_pt_regs in 5.15).
const functionHooksMinMajor, functionHooksMinMinor = 5, 17

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
	return strings.HasPrefix(prog, "fn_enter_") || strings.HasPrefix(prog, "fn_exit_")
}

// planFunctionHooks decides whether syscalls are seen through function
// hooks: the plan, or nil with the reason (empty when tracepoints were
// asked for).  With --syscall-hooks functions a kernel that cannot is an
// error.
func planFunctionHooks(cfg *Config, tracefs string) ([]syscalls.FuncHook, string, error) {
	if cfg.SyscallHooks == "tracepoints" {
		return nil, "", nil
	}
	plan, reason := functionHooksPlan(tracefs)
	if plan == nil && cfg.SyscallHooks == "functions" {
		return nil, "", errorf(ExitNoHooks, "--syscall-hooks functions: %s (use --syscall-hooks auto or tracepoints)", reason)
	}
	return plan, reason, nil
}

func functionHooksPlan(tracefs string) ([]syscalls.FuncHook, string) {
	if rel, ok := kernelAtLeast(functionHooksMinMajor, functionHooksMinMinor); !ok {
		return nil, fmt.Sprintf("kernel %s: function hooks need %d.%d", rel, functionHooksMinMajor, functionHooksMinMinor)
	}
	file := tracefs + "/available_filter_functions"
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Sprintf("no traceable functions: %v", err)
	}
	defer f.Close()
	funcs := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "name" or "name [module]"
		line := sc.Text()
		if i := strings.IndexByte(line, ' '); i >= 0 {
			line = line[:i]
		}
		funcs[line] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Sprintf("read %s: %v", file, err)
	}
	plan, missing := syscalls.FunctionHooks(func(fn string) bool { return funcs[fn] })
	if len(missing) > 0 {
		return nil, "no kernel function for " + strings.Join(missing, ", ")
	}
	return plan, ""
}

// fnHook is one planned function with its programs.
type fnHook struct {
	fn          syscalls.FuncHook
	enter, exit *bpf.BPFProg // enter is nil for the open class
	hook        int          // index in l.hooks of its class
}

// assignFunctionHooks gives each function of plan its stubs, leaves every
// other stub out of the load, and adds a hook per class to l.hooks.
func (l *loaded) assignFunctionHooks(plan []syscalls.FuncHook) ([]fnHook, error) {
	stubs := map[string][]*bpf.BPFProg{} // "enter/file" -> programs, in name order
	it := l.mod.Iterator()
	for prog := it.NextProgram(); prog != nil; prog = it.NextProgram() {
		name := prog.Name()
		if !isFunctionStub(name) {
			continue
		}
		if err := prog.SetAutoload(false); err != nil {
			return nil, errorf(ExitRuntime, "disable program %s: %v", name, err)
		}
		dir, rest, _ := strings.Cut(strings.TrimPrefix(name, "fn_"), "_")
		class := rest[:strings.LastIndexByte(rest, '_')]
		stubs[dir+"/"+class] = append(stubs[dir+"/"+class], prog)
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
	for _, fn := range plan {
		h := fnHook{fn: fn}
		if h.exit = take("exit/" + fn.Class); h.exit == nil {
			return nil, errorf(ExitRuntime, "no %s stub left for %s: bpf/fnhooks.h needs more", fn.Class, fn.Func)
		}
		if fn.Entry() {
			if h.enter = take("enter/" + fn.Class); h.enter == nil {
				return nil, errorf(ExitRuntime, "no %s entry stub left for %s: bpf/fnhooks.h needs more", fn.Class, fn.Func)
			}
		}
		for _, p := range []*bpf.BPFProg{h.enter, h.exit} {
			if p == nil {
				continue
			}
			if err := p.SetAttachTarget(0, fn.Func); err != nil {
				return nil, fmt.Errorf("target %s for %s: %w", fn.Func, p.Name(), err)
			}
			if err := p.SetAutoload(true); err != nil {
				return nil, errorf(ExitRuntime, "enable program %s: %v", p.Name(), err)
			}
		}
		if fn.Class == syscalls.ClassI386 {
			if err := l.mod.InitGlobalVariable("ia32_dispatch_hooked", uint32(1)); err != nil {
				return nil, errorf(ExitRuntime, "set ia32_dispatch_hooked: %v", err)
			}
		}
		i, ok := classHook[fn.Class]
		if !ok {
			name := "fexit/" + fn.Class
			if fn.Entry() {
				name = "fentry+fexit/" + fn.Class
			}
			l.hooks = append(l.hooks, record.Hook{Name: name, Capability: hookClassCapability[fn.Class]})
			i = len(l.hooks) - 1
			classHook[fn.Class] = i
		}
		l.hooks[i].Functions = append(l.hooks[i].Functions, fn.Func)
		h.hook = i
		out = append(out, h)
	}
	return out, nil
}

// attachFunctionHooks attaches every planned function's programs.  A
// function left out would be calls never seen, so any failure fails the
// whole design (and --syscall-hooks auto falls back to tracepoints).
// Attaching in parallel overlaps the kernel's waits where it can.
func (l *loaded) attachFunctionHooks(hooks []fnHook) error {
	type result struct {
		link *bpf.BPFLink
		err  error
	}
	var progs []*bpf.BPFProg
	var funcs []string
	for _, h := range hooks {
		if h.enter != nil {
			progs, funcs = append(progs, h.enter), append(funcs, "fentry/"+h.fn.Func)
		}
		progs, funcs = append(progs, h.exit), append(funcs, "fexit/"+h.fn.Func)
	}
	results := make([]result, len(progs))
	var wg sync.WaitGroup
	for i, p := range progs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			link, err := p.AttachGeneric() // the target set before load
			results[i] = result{link, err}
		}()
	}
	wg.Wait()
	var failed []string
	for i, r := range results {
		if r.err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", funcs[i], r.err))
			continue
		}
		l.links = append(l.links, r.link)
	}
	if len(failed) > 0 {
		return errorf(ExitNoHooks, "attach function hooks: %s", strings.Join(failed, "; "))
	}
	for _, h := range hooks {
		l.hooks[h.hook].Attached = true
	}
	return nil
}
