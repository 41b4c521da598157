package monitor

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/cilium/ebpf/btf"
)

// The embedded objects (embed.go) differ only in code that a kernel
// version settles: the same programs, every record layout of
// bpf/log_monitor.h in each, and the same layout of every named struct,
// union and enum they share, so what the tests check in one holds for the
// others.
func TestObjectsShareProgramsAndLayouts(t *testing.T) {
	layouts := func(obj []byte) (map[string]string, []string) {
		t.Helper()
		spec, err := btf.LoadSpecFromReader(bytes.NewReader(obj))
		if err != nil {
			t.Fatalf("BTF of an embedded object: %v", err)
		}
		out := map[string]string{}
		for typ, err := range spec.All() {
			if err != nil {
				t.Fatal(err)
			}
			if typ.TypeName() == "" {
				continue // anonymous: compared inside the named ones
			}
			switch v := typ.(type) {
			case *btf.Struct, *btf.Union:
				var members []btf.Member
				if s, ok := v.(*btf.Struct); ok {
					members = s.Members
				} else {
					members = v.(*btf.Union).Members
				}
				size, _ := btf.Sizeof(v)
				desc := fmt.Sprintf("%d:", size)
				for _, m := range members {
					msize, _ := btf.Sizeof(m.Type)
					desc += fmt.Sprintf(" %s@%d/%d", m.Name, m.Offset, msize)
				}
				out[fmt.Sprintf("%T %s", v, typ.TypeName())] = desc
			case *btf.Enum:
				out["enum "+v.Name] = fmt.Sprint(v.Values)
			}
		}
		f, err := elf.NewFile(bytes.NewReader(obj))
		if err != nil {
			t.Fatal(err)
		}
		var sections []string
		for _, s := range f.Sections {
			if s.Type == elf.SHT_PROGBITS {
				sections = append(sections, s.Name)
			}
		}
		return out, sections
	}
	if len(bpfObjects) != 3 {
		t.Fatalf("%d embedded objects, want 3", len(bpfObjects))
	}
	base, baseSecs := layouts(bpfObject)
	if len(base) < 50 {
		t.Fatalf("only %d named types in the object's BTF", len(base))
	}
	others := map[string]map[string]string{}
	for _, o := range bpfObjects[:len(bpfObjects)-1] {
		types, secs := layouts(o.obj)
		others[o.name] = types
		if !slices.Equal(baseSecs, secs) {
			t.Errorf("sections differ:\n log_monitor.bpf.o %v\n %s %v", baseSecs, o.name, secs)
		}
		for name, l := range base {
			if other, ok := types[name]; ok && other != l {
				t.Errorf("%s differs:\n log_monitor.bpf.o %s\n %s %s", name, l, o.name, other)
			}
		}
	}
	// A kernel type may be in some only (a CO-RE check settled when
	// compiling); every record layout must be in each.
	h, err := os.ReadFile("../bpf/log_monitor.h")
	if err != nil {
		t.Fatal(err)
	}
	decls := regexp.MustCompile(`(?m)^(struct|enum) ([a-z_0-9]+) \{`).FindAllStringSubmatch(string(h), -1)
	if len(decls) < 10 {
		t.Fatalf("only %d declarations found in bpf/log_monitor.h", len(decls))
	}
	for _, d := range decls {
		name := "enum " + d[2]
		if d[1] == "struct" {
			name = "*btf.Struct " + d[2]
		}
		if _, ok := base[name]; !ok {
			t.Errorf("%s of bpf/log_monitor.h is not in log_monitor.bpf.o", name)
		}
		for obj, types := range others {
			if _, ok := types[name]; !ok {
				t.Errorf("%s of bpf/log_monitor.h is not in %s", name, obj)
			}
		}
	}
}
