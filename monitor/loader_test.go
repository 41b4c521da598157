package monitor

import (
	"debug/elf"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
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
