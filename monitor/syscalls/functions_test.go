package syscalls

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

func kernelFunctions(t *testing.T, file string) func(string) bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		set[sc.Text()] = true
	}
	return func(fn string) bool { return set[fn] }
}

// stubs counts the object's function-hook programs per class.
func stubs(t *testing.T) map[string]int {
	t.Helper()
	spec, err := ebpf.LoadCollectionSpec("../log_monitor.bpf.o")
	if err != nil {
		t.Fatalf("../log_monitor.bpf.o (make bpf): %v", err)
	}
	n := map[string]int{}
	for name := range spec.Programs {
		if rest, ok := strings.CutPrefix(name, "fn_exit_"); ok {
			n[rest[:strings.LastIndex(rest, "_")]]++
		}
	}
	return n
}

// On Debian's 6.1 and 6.12 every watched call of both ABIs has a function,
// and the object has a stub for each.
func TestEveryCallHasAFunctionOnTheMatrixKernels(t *testing.T) {
	have := stubs(t)
	for _, k := range []string{"6.1", "6.12"} {
		hooks, missing := FunctionHooks(kernelFunctions(t, "testdata/functions-"+k+".txt"))
		if len(missing) > 0 {
			t.Errorf("%s: no function for %v", k, missing)
		}
		need := map[string]int{}
		calls := map[string]bool{}
		for _, h := range hooks {
			need[h.Class]++
			for _, c := range h.Calls {
				calls[c] = true
			}
		}
		for class, n := range need {
			if n > have[class] && !ClassOnKprobes(class) {
				t.Errorf("%s: %d functions of class %s, the object has %d stubs", k, n, class, have[class])
			}
		}
		for _, h := range Handled {
			if h.Name == "fchmodat2" && k == "6.1" {
				continue // 6.6+
			}
			if !calls[h.Name] {
				t.Errorf("%s: %s has no function", k, h.Name)
			}
		}
		for i := range Table {
			if !calls[Table[i].Name] {
				t.Errorf("%s: %s has no function", k, Table[i].Name)
			}
		}
		t.Logf("%s: %d functions %v", k, len(hooks), need)
	}
}

// Even where no inner function exists (a kernel that inlined them all),
// the entry points fit in the object's stubs.
func TestEntryPointsAloneFitTheStubs(t *testing.T) {
	have := stubs(t)
	six := kernelFunctions(t, "testdata/functions-6.12.txt")
	hooks, missing := FunctionHooks(func(fn string) bool {
		return strings.HasPrefix(fn, "__") && !strings.HasPrefix(fn, "__sys_") && six(fn)
	})
	if len(missing) > 0 {
		t.Errorf("no function for %v", missing)
	}
	need := map[string]int{}
	for _, h := range hooks {
		need[h.Class]++
	}
	for class, n := range need {
		if n > have[class] && !ClassOnKprobes(class) {
			t.Errorf("%d entry points of class %s, the object has %d stubs", n, class, have[class])
		}
	}
	for class := range have {
		if ClassOnKprobes(class) {
			t.Errorf("class %s is on kprobes, and the object has trampoline stubs for it", class)
		}
	}
}

// Candidates holds every function a plan can name, on any kernel.
func TestCandidatesHoldEveryPlannedFunction(t *testing.T) {
	c := Candidates()
	for _, k := range []string{"6.1", "6.12"} {
		hooks, _ := FunctionHooks(kernelFunctions(t, "testdata/functions-"+k+".txt"))
		for _, h := range hooks {
			if !c[h.Func] {
				t.Errorf("%s: %s is planned, not a candidate", k, h.Func)
			}
		}
	}
	six := kernelFunctions(t, "testdata/functions-6.12.txt")
	hooks, _ := FunctionHooks(func(fn string) bool { return fn != IA32Dispatch && six(fn) })
	for _, h := range hooks {
		if !c[h.Func] {
			t.Errorf("without %s: %s is planned, not a candidate", IA32Dispatch, h.Func)
		}
	}
}

// Handled is HANDLED_SYSCALLS of bpf/ournr.h, and each number is the
// kernel's.
func TestHandledIsTheKernelSidesList(t *testing.T) {
	src, err := os.ReadFile("../../bpf/ournr.h")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)#define HANDLED_SYSCALLS\(X, w\)(.*?)\n\n`).FindSubmatch(src)
	if m == nil {
		t.Fatal("HANDLED_SYSCALLS not found in bpf/ournr.h")
	}
	inC := map[string]bool{}
	for _, x := range regexp.MustCompile(`X\(NR_(\w+), w\)`).FindAllSubmatch(m[1], -1) {
		inC[string(x[1])] = true
	}
	nr := unistd(t, "testdata/unistd_64.h")
	for _, h := range Handled {
		if !inC[h.Name] {
			t.Errorf("%s is in Handled, not in HANDLED_SYSCALLS", h.Name)
		}
		delete(inC, h.Name)
		if k, ok := nr[h.Name]; !ok || int(k) != h.Nr {
			t.Errorf("%s = %d, the kernel's is %d", h.Name, h.Nr, k)
		}
	}
	for name := range inC {
		t.Errorf("%s is in HANDLED_SYSCALLS, not in Handled", name)
	}
}

// On Debian's 6.1 and 6.12 the four opens share one hook, OpenShared;
// without it, or without IA32Dispatch (the i386 opens would then pass
// through it unseen by their own hooks), each has its entry point.
func TestOpensShareOneFunctionOnlyWithTheI386Dispatch(t *testing.T) {
	opens := func(hooks []FuncHook) map[string][]string {
		m := map[string][]string{}
		for _, h := range hooks {
			if h.Class == ClassOpen {
				m[h.Func] = append(m[h.Func], h.Calls...)
			}
		}
		return m
	}
	for _, k := range []string{"6.1", "6.12"} {
		has := kernelFunctions(t, "testdata/functions-"+k+".txt")
		hooks, _ := FunctionHooks(has)
		got := opens(hooks)
		want := map[string][]string{OpenShared: {"creat", "open", "openat", "openat2"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: opens on %v, want %v", k, got, want)
		}
		for what, without := range map[string]string{"without " + OpenShared: OpenShared, "without " + IA32Dispatch: IA32Dispatch} {
			hooks, missing := FunctionHooks(func(fn string) bool { return fn != without && has(fn) })
			if len(missing) > 0 {
				t.Errorf("%s %s: missing %v", k, what, missing)
			}
			got := opens(hooks)
			for _, call := range []string{"creat", "open", "openat", "openat2"} {
				if fn := x64Entry(call); !reflect.DeepEqual(got[fn], []string{call}) {
					t.Errorf("%s %s: %s on %v, want its entry point %s", k, what, call, got[fn], fn)
				}
			}
			if _, ok := got[OpenShared]; ok {
				t.Errorf("%s %s: %s still hooked", k, what, OpenShared)
			}
		}
	}
}
