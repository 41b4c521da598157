package monitor

import (
	"debug/elf"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

// objectPrograms returns each program of the embedded BPF object, by
// function name, with its section (the hook).
func objectPrograms(t *testing.T) map[string]string {
	t.Helper()
	f := objectELF(t)
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	progs := map[string]string{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || elf.ST_BIND(s.Info) != elf.STB_GLOBAL || int(s.Section) >= len(f.Sections) {
			continue
		}
		sec := f.Sections[s.Section]
		if sec.Flags&elf.SHF_EXECINSTR != 0 && sec.Name != ".text" {
			progs[s.Name] = sec.Name
		}
	}
	return progs
}

// Every program of the object is a hook the loader can attach and name: its
// section parses, and it has a capability for the start record.  Every
// capability and superseding entry names a program that exists.
func TestEveryProgramIsAHookTheLoaderKnows(t *testing.T) {
	progs := objectPrograms(t)
	if len(progs) < 8 {
		t.Fatalf("%d programs in the embedded object: %v", len(progs), progs)
	}
	for name, sec := range progs {
		if isFunctionStub(name) {
			// a stub of bpf/fnhooks.h: the plan gives it its function
			want := map[string]string{"enter": "fentry", "exit": "fexit", "kenter": "kprobe", "kexit": "kretprobe", "kmenter": "kprobe.multi", "kmexit": "kretprobe.multi"}[strings.SplitN(name, "_", 3)[1]]
			if sec != want {
				t.Errorf("stub %s is in section %s", name, sec)
			}
			continue
		}
		h, err := parseSection(sec)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want := strings.ReplaceAll(sec, "/", "__"); name != want {
			t.Errorf("program %s is in section %s: name a program after its section", name, sec)
		}
		if hookCapability[name] == "" {
			t.Errorf("%s (%s %s) has no capability in hookCapability", name, h.kind, h.name)
		}
	}
	for name := range hookCapability {
		if _, ok := progs[name]; !ok {
			t.Errorf("hookCapability names %s, which the object does not have", name)
		}
	}
	for name, bys := range supersededBy {
		if _, ok := progs[name]; !ok {
			t.Errorf("supersededBy names %s, which the object does not have", name)
		}
		for _, by := range bys {
			found := by == functionHooks
			for _, sec := range progs {
				found = found || sec == by
			}
			if !found {
				t.Errorf("%s is superseded by %s, which the object does not have", name, by)
			}
		}
	}
}

func TestParseSectionRefusesWhatItCannotAttach(t *testing.T) {
	for _, sec := range []string{"fentry/a/b", "lsm/file_open", "tracepoint/only-two", "uprobe/x"} {
		if _, err := parseSection(sec); err == nil {
			t.Errorf("%s accepted", sec)
		}
	}
}

// Each map the typed layer takes by name is in the embedded object: a map
// renamed on the BPF side fails here, not at a user's start.
func TestTypedMapsAreInTheObject(t *testing.T) {
	var ds *btf.Datasec
	if err := objectSpec(t).TypeByName(".maps", &ds); err != nil {
		t.Fatalf(".maps in the object's BTF: %v", err)
	}
	have := map[string]bool{}
	for _, v := range ds.Vars {
		have[v.Type.TypeName()] = true
	}
	for name := range mapNames {
		if !have[name] {
			t.Errorf("map %s is not in the object (has %v)", name, have)
		}
	}
	if !have["ringbuf"] {
		t.Error("no ringbuf map")
	}
}

// When the proof at start finds a call that bypassed the shared open
// function, the plan loaded next hooks the four entry points, and the
// rest of the plan is unchanged.
func TestWithoutSharedOpenPlansTheEntryPoints(t *testing.T) {
	have := map[string]bool{syscalls.OpenShared: true, syscalls.IA32Dispatch: true}
	for _, h := range syscalls.Handled {
		have["__x64_sys_"+h.Name] = true
	}
	has := func(fn string) bool { return have[fn] }
	hooks, _ := syscalls.FunctionHooks(has)
	p := &fnPlan{hooks: hooks, has: has, fprobes: true}
	q, _ := p.without([]string{syscalls.OpenShared})
	funcs := func(p *fnPlan) map[string]string {
		m := map[string]string{}
		for _, h := range p.hooks {
			m[h.Func] = h.Class
		}
		return m
	}
	before, after := funcs(p), funcs(q)
	if before[syscalls.OpenShared] != syscalls.ClassOpen || after[syscalls.OpenShared] != "" {
		t.Fatalf("%s: before %q, after %q", syscalls.OpenShared, before[syscalls.OpenShared], after[syscalls.OpenShared])
	}
	for _, call := range []string{"open", "openat", "creat", "openat2"} {
		if after["__x64_sys_"+call] != syscalls.ClassOpen || before["__x64_sys_"+call] != "" {
			t.Errorf("%s: entry point before %q, after %q", call, before["__x64_sys_"+call], after["__x64_sys_"+call])
		}
	}
	if len(after) != len(before)+3 || !q.fprobes {
		t.Errorf("%d functions -> %d, fprobes %v: only the opens may change", len(before), len(after), q.fprobes)
	}
}

// A function whose trampoline the kernel refused is planned around: the
// opens move from the shared function to their entry points, and a call
// left with no function leaves no plan, but says which.
func TestWithoutPlansAroundRefusedFunctions(t *testing.T) {
	have := map[string]bool{syscalls.OpenShared: true, syscalls.IA32Dispatch: true}
	for _, h := range syscalls.Handled {
		have["__x64_sys_"+h.Name] = true
	}
	has := func(fn string) bool { return have[fn] }
	hooks, _ := syscalls.FunctionHooks(has)
	p := &fnPlan{hooks: hooks, has: has, kprobeEvents: true}
	q, missing := p.without([]string{syscalls.OpenShared})
	if q == nil || len(missing) != 0 {
		t.Fatalf("without %s: plan %v, missing %v", syscalls.OpenShared, q, missing)
	}
	if q.has(syscalls.OpenShared) || !q.kprobeEvents || len(q.hooks) != len(p.hooks)+3 {
		t.Errorf("without %s: has it %v, %d functions (from %d): want the four entry points instead", syscalls.OpenShared,
			q.has(syscalls.OpenShared), len(q.hooks), len(p.hooks))
	}
	if r, missing := q.without([]string{"__x64_sys_creat"}); r != nil || !slices.Contains(missing, "creat") {
		t.Errorf("without __x64_sys_creat too: plan %v, missing %v; want none, creat missing", r, missing)
	}
}
