package corebtf

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
)

func TestEssentialNameDropsTheFlavor(t *testing.T) {
	for name, want := range map[string]string{
		"task_struct":         "task_struct",
		"task_struct___old":   "task_struct",
		"kernfs_node___6_0":   "kernfs_node",
		"a___b___c":           "a___b",
		"___x":                "___x",
		"x____y":              "x____y", // four underscores: no separator
		"x___":                "x___",
		"trace_event_raw_foo": "trace_event_raw_foo",
	} {
		if got := string(essentialName([]byte(name))); got != want {
			t.Errorf("essentialName(%q) = %q, want %q", name, got, want)
		}
	}
}

// marshal is the raw BTF of types, written by cilium/ebpf (a reader and
// writer of its own, to check ours against).
func marshal(t *testing.T, types ...btf.Type) []byte {
	t.Helper()
	b, err := btf.NewBuilder(types, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := b.Marshal(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func load(t *testing.T, raw []byte) *btf.Spec {
	t.Helper()
	spec, err := btf.LoadSpecFromReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("cilium/ebpf cannot read the cut: %v", err)
	}
	return spec
}

func TestCutKeepsCandidatesWholeAndPointersToVoid(t *testing.T) {
	i32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	ulong := &btf.Int{Name: "long unsigned int", Size: 8}
	inner := &btf.Struct{Name: "inner", Size: 8, Members: []btf.Member{
		{Name: "a", Type: i32, Offset: 0}, {Name: "b", Type: i32, Offset: 32, BitfieldSize: 3},
	}}
	unrelated := &btf.Struct{Name: "unrelated", Size: 4, Members: []btf.Member{{Name: "z", Type: i32}}}
	anon := &btf.Union{Size: 8, Members: []btf.Member{{Name: "u1", Type: i32}, {Name: "u2", Type: ulong}}}
	colour := &btf.Enum{Name: "colour", Size: 4, Values: []btf.EnumValue{{Name: "red", Value: 1}, {Name: "blue", Value: 7}}}
	target := &btf.Struct{Name: "target", Size: 56, Members: []btf.Member{
		{Name: "x", Type: i32, Offset: 0},
		{Name: "in", Type: inner, Offset: 32},
		{Name: "p", Type: &btf.Pointer{Target: unrelated}, Offset: 128},
		{Name: "ci", Type: &btf.Const{Type: &btf.Typedef{Name: "inner_t", Type: inner}}, Offset: 192},
		{Name: "arr", Type: &btf.Array{Index: i32, Type: colour, Nelems: 2}, Offset: 256},
		{Name: "", Type: anon, Offset: 320},
	}}
	flavor := &btf.Struct{Name: "target___v2", Size: 4, Members: []btf.Member{{Name: "x", Type: i32}}}
	fn := &btf.Func{Name: "target", Type: &btf.FuncProto{Return: i32, Params: []btf.FuncParam{{Name: "u", Type: unrelated}}}}
	other := &btf.Struct{Name: "other", Size: 8, Members: []btf.Member{{Name: "t", Type: &btf.Pointer{Target: target}}}}

	spec, err := Parse(marshal(t, target, flavor, fn, other, colour, ulong))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Cut(spec, Roots{"target": true})
	if err != nil {
		t.Fatal(err)
	}
	cut := load(t, raw)

	got, err := cut.AnyTypeByName("target")
	if err != nil {
		t.Fatal(err)
	}
	st := got.(*btf.Struct)
	if st.Size != target.Size || len(st.Members) != len(target.Members) {
		t.Fatalf("target: size %d, %d members; want %d, %d", st.Size, len(st.Members), target.Size, len(target.Members))
	}
	for i, m := range st.Members {
		w := target.Members[i]
		if m.Name != w.Name || m.Offset != w.Offset || m.BitfieldSize != w.BitfieldSize {
			t.Errorf("member %d: %q at %d (bitfield %d), want %q at %d", i, m.Name, m.Offset, m.BitfieldSize, w.Name, w.Offset)
		}
	}
	if p, ok := st.Members[2].Type.(*btf.Pointer); !ok {
		t.Errorf("p is %v, want a pointer", st.Members[2].Type)
	} else if _, ok := p.Target.(*btf.Void); !ok {
		t.Errorf("p points to %v, want void", p.Target)
	}
	in := btf.UnderlyingType(st.Members[1].Type).(*btf.Struct)
	if in.Name != "inner" || in.Members[1].BitfieldSize != 3 || in.Members[1].Offset != 32 {
		t.Errorf("inner held in target: %+v", in)
	}
	if td, ok := st.Members[3].Type.(*btf.Const).Type.(*btf.Typedef); !ok || td.Name != "inner_t" {
		t.Errorf("ci is %v, want const inner_t", st.Members[3].Type)
	}
	arr := st.Members[4].Type.(*btf.Array)
	if e, ok := arr.Type.(*btf.Enum); !ok || arr.Nelems != 2 || len(e.Values) != 2 || e.Values[1].Name != "blue" || e.Values[1].Value != 7 {
		t.Errorf("arr is %v, want 2 of enum colour {red=1, blue=7}", arr)
	}
	if u := st.Members[5].Type.(*btf.Union); u.Members[1].Name != "u2" {
		t.Errorf("the anonymous union: %+v", u)
	}
	if _, err := cut.AnyTypeByName("target___v2"); err != nil {
		t.Errorf("the flavor target___v2, a candidate too, was not kept: %v", err)
	}
	for _, name := range []string{"unrelated", "other"} {
		if _, err := cut.AnyTypeByName(name); !errors.Is(err, btf.ErrNotFound) {
			t.Errorf("%s is kept (%v): only what target holds, not what points to it or what it points to", name, err)
		}
	}
	for typ, err := range cut.All() {
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := typ.(*btf.Func); ok {
			t.Errorf("func %s kept: a func is never a candidate", typ.TypeName())
		}
	}
}

func TestParseRefusesWhatIsNotBTF(t *testing.T) {
	good := marshal(t, &btf.Int{Name: "int", Size: 4})
	unknownKind := bytes.Clone(good)
	unknownKind[24+4+3] = 31 // the first type's kind: 31
	bigEndian := bytes.Clone(good)
	bigEndian[0], bigEndian[1] = 0xeb, 0x9f
	for name, raw := range map[string][]byte{
		"empty":         nil,
		"short header":  good[:10],
		"big-endian":    bigEndian,
		"unknown kind":  unknownKind,
		"cut in a type": good[:24+14],
	} {
		if _, err := Parse(raw); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := Parse(good); err != nil {
		t.Errorf("a good blob: %v", err)
	}
}

// The objects' relocations are all of kinds a cut serves, and name the
// types the monitor reads.
func TestObjectsRelocateTypesACutServes(t *testing.T) {
	for path, roots := range objectRoots(t) {
		for _, name := range []string{"task_struct", "file", "dentry", "mount"} {
			if !roots[name] {
				t.Errorf("%s: %s not among the relocated types %v", path, name, roots)
			}
		}
	}
}

func TestRelocationsACutCannotServeAreRefused(t *testing.T) {
	obj, err := os.ReadFile("../log_monitor.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	local := objectBTF(t, obj)
	var structID, ptrID uint32
	for id := uint32(1); int(id) <= local.Count(); id++ {
		switch k := kindOf(local.record(id)); {
		case k == kindStruct && string(local.name(id)) == "task_struct":
			structID = id
		case k == kindPtr && ptrID == 0:
			ptrID = id
		}
	}
	if structID == 0 || ptrID == 0 {
		t.Fatal("no struct task_struct or no pointer in the object's BTF")
	}
	for _, c := range []struct {
		relo coreRelo
		want string // "" for served
	}{
		{coreRelo{structID, reloFieldByteOffset}, ""},
		{coreRelo{structID, reloTypeExists}, ""},
		{coreRelo{structID, reloTypeIDLocal}, ""},
		{coreRelo{structID, reloTypeIDTarget}, "type id"},
		{coreRelo{structID, reloTypeMatches}, "type match"},
		{coreRelo{ptrID, reloTypeSize}, "not a struct"},
		{coreRelo{structID, 13}, "unknown"},
		{coreRelo{uint32(local.Count() + 1), reloFieldExists}, "beyond"},
	} {
		_, err := rootOf(local, c.relo)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v refused: %v", c.relo, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want one saying %q", c.relo, err, c.want)
		}
	}
}

// Against this machine's kernel BTF: every kernel type that is a candidate
// for one of an object's relocated types is in the cut, the same type,
// down to what it holds (pointers aside).
func TestCutOfTheKernelHoldsEachCandidateWhole(t *testing.T) {
	raw, err := os.ReadFile("/sys/kernel/btf/vmlinux")
	if err != nil {
		t.Skipf("no kernel BTF here: %v", err) // the e2e suite relocates against it
	}
	kernel, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := load(t, raw)
	for path, roots := range objectRoots(t) {
		cutRaw, err := Cut(kernel, roots)
		if err != nil {
			t.Fatal(err)
		}
		got := load(t, cutRaw)
		candidates := func(s *btf.Spec) map[string][]btf.Type {
			out := map[string][]btf.Type{}
			for typ, err := range s.All() {
				if err != nil {
					t.Fatal(err)
				}
				switch typ.(type) {
				case *btf.Struct, *btf.Union, *btf.Enum, *btf.Fwd, *btf.Typedef, *btf.Int, *btf.Float:
				default:
					continue
				}
				if name := string(essentialName([]byte(typ.TypeName()))); roots[name] {
					out[name] = append(out[name], typ)
				}
			}
			return out
		}
		w, g := candidates(want), candidates(got)
		for name := range roots {
			if len(g[name]) != len(w[name]) {
				t.Errorf("%s: %s: %d candidates in the cut, %d in the kernel", path, name, len(g[name]), len(w[name]))
				continue
			}
			for i := range w[name] {
				if why := sameShape(w[name][i], g[name][i], 0); why != "" {
					t.Errorf("%s: %s: the cut's differs from the kernel's: %s", path, name, why)
				}
			}
		}
	}
}

// sameShape says how a differs from b, "" if not at all: kinds, names,
// sizes, members and their offsets, what they hold; any two pointers are
// alike.
func sameShape(a, b btf.Type, depth int) string {
	if depth > 64 {
		return "nested too deep"
	}
	if a.TypeName() != b.TypeName() {
		return "name " + a.TypeName() + " against " + b.TypeName()
	}
	members := func(am, bm []btf.Member) string {
		if len(am) != len(bm) {
			return "member count"
		}
		for i := range am {
			if am[i].Name != bm[i].Name || am[i].Offset != bm[i].Offset || am[i].BitfieldSize != bm[i].BitfieldSize {
				return "member " + am[i].Name
			}
			if why := sameShape(am[i].Type, bm[i].Type, depth+1); why != "" {
				return am[i].Name + ": " + why
			}
		}
		return ""
	}
	if at, ok := wrapped(a); ok {
		if bt, ok := wrapped(b); ok && reflect.TypeOf(a) == reflect.TypeOf(b) {
			if x, ok := a.(*btf.TypeTag); ok && x.Value != b.(*btf.TypeTag).Value {
				return "type tag " + x.Value
			}
			return sameShape(at, bt, depth+1)
		}
		return "kind of " + a.TypeName()
	}
	switch x := a.(type) {
	case *btf.Pointer:
		if _, ok := b.(*btf.Pointer); ok {
			return ""
		}
	case *btf.Struct:
		if y, ok := b.(*btf.Struct); ok && x.Size == y.Size {
			return members(x.Members, y.Members)
		}
	case *btf.Union:
		if y, ok := b.(*btf.Union); ok && x.Size == y.Size {
			return members(x.Members, y.Members)
		}
	case *btf.Array:
		if y, ok := b.(*btf.Array); ok && x.Nelems == y.Nelems {
			return sameShape(x.Type, y.Type, depth+1)
		}
	case *btf.Int:
		if y, ok := b.(*btf.Int); ok && x.Size == y.Size && x.Encoding == y.Encoding {
			return ""
		}
	case *btf.Float:
		if y, ok := b.(*btf.Float); ok && x.Size == y.Size {
			return ""
		}
	case *btf.Enum:
		if y, ok := b.(*btf.Enum); ok && x.Size == y.Size && x.Signed == y.Signed && len(x.Values) == len(y.Values) {
			for i := range x.Values {
				if x.Values[i] != y.Values[i] {
					return "enumerator " + x.Values[i].Name
				}
			}
			return ""
		}
	case *btf.Fwd:
		if y, ok := b.(*btf.Fwd); ok && x.Kind == y.Kind {
			return ""
		}
	case *btf.Void:
		if _, ok := b.(*btf.Void); ok {
			return ""
		}
	}
	return "kind or size of " + a.TypeName()
}

// wrapped is what a typedef or qualifier names.
func wrapped(t btf.Type) (btf.Type, bool) {
	switch x := t.(type) {
	case *btf.Typedef:
		return x.Type, true
	case *btf.Const:
		return x.Type, true
	case *btf.Volatile:
		return x.Type, true
	case *btf.Restrict:
		return x.Type, true
	case *btf.TypeTag:
		return x.Type, true
	}
	return nil, false
}

// objectRoots are the relocated types of each built BPF object (make bpf).
func objectRoots(t *testing.T) map[string]Roots {
	t.Helper()
	out := map[string]Roots{}
	for _, path := range []string{"../log_monitor.bpf.o", "../log_monitor.5.17.bpf.o", "../log_monitor.6.4.bpf.o"} {
		obj, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (make bpf builds the objects)", err)
		}
		if out[path], err = ObjectRoots(obj); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return out
}

// objectBTF is an object's own BTF.
func objectBTF(t *testing.T, obj []byte) *Spec {
	t.Helper()
	secs, err := elfSections(obj, ".BTF")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(secs[0])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFunctionsAreTheFuncsOfTheNamesAsked(t *testing.T) {
	i32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	proto := &btf.FuncProto{Return: i32}
	raw := marshal(t,
		&btf.Func{Name: "__x64_sys_openat", Type: proto},
		&btf.Func{Name: "do_sys_openat2", Type: proto},
		&btf.Struct{Name: "ia32_sys_call", Size: 0}, // a name, but not a function
		&btf.Var{Name: "__x64_sys_creat", Type: i32},
	)
	spec, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := spec.Functions(map[string]bool{"__x64_sys_openat": true, "ia32_sys_call": true,
		"__x64_sys_creat": true, "__x64_sys_open": true})
	if want := map[string]bool{"__x64_sys_openat": true}; !maps.Equal(got, want) {
		t.Errorf("Functions: %v, want %v (do_sys_openat2 was not asked; a struct and a var are not functions)", got, want)
	}
}

// A name may start inside another string (BTF allows a suffix to be
// shared): it is found all the same, by its own text.
func TestNamesInsideOtherStringsAreFound(t *testing.T) {
	i32 := &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
	proto := &btf.FuncProto{Return: i32}
	raw := marshal(t, &btf.Func{Name: "__x64_sys_openat", Type: proto}, &btf.Func{Name: "placeholder", Type: proto})
	spec, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var whole, other []byte // the records of the two functions
	for id := uint32(1); int(id) <= spec.Count(); id++ {
		switch string(spec.name(id)) {
		case "__x64_sys_openat":
			whole = spec.record(id)
		case "placeholder":
			other = spec.record(id)
		}
	}
	if whole == nil || other == nil {
		t.Fatal("the functions are not in the BTF written")
	}
	le.PutUint32(other, le.Uint32(whole)+uint32(len("__x64_sys_"))) // "openat", inside "__x64_sys_openat"
	got := spec.Functions(map[string]bool{"openat": true, "__x64_sys_openat": true, "placeholder": true})
	if want := map[string]bool{"openat": true, "__x64_sys_openat": true}; !maps.Equal(got, want) {
		t.Errorf("Functions: %v, want %v", got, want)
	}
}
