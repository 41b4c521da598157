package syscalls

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"
)

// The syscall numbers the BPF programs dispatch on (bpf/syscall_nr.h, an
// enum in the compiled object's BTF) and those of the Go table are the
// kernel's (Linux 6.12's header, testdata/).
func TestSyscallNumbersAreTheKernels(t *testing.T) {
	nr := unistd(t, "testdata/unistd_64.h")
	spec, err := btf.LoadSpec("../log_monitor.bpf.o")
	if err != nil {
		t.Fatalf("BTF of ../log_monitor.bpf.o (make bpf): %v", err)
	}
	var e *btf.Enum
	if err := spec.TypeByName("syscall_nr", &e); err != nil {
		t.Fatal(err)
	}
	for _, v := range e.Values {
		name := strings.TrimPrefix(v.Name, "NR_")
		if k, ok := nr[name]; !ok || uint64(k) != v.Value {
			t.Errorf("bpf/syscall_nr.h: %s = %d, the kernel's is %d (found %v)", name, v.Value, k, ok)
		}
	}
	for _, s := range Table {
		if k, ok := nr[s.Name]; !ok || k != s.Nr {
			t.Errorf("table.go: %s = %d, the kernel's is %d (found %v)", s.Name, s.Nr, k, ok)
		}
	}
}

// The i386 numbers the kernel side reads where no syscall hook translates
// them (bpf/syscall_nr.h enum i386_nr) are those of the compat table.
func TestI386NumbersAreTheCompatTables(t *testing.T) {
	spec, err := btf.LoadSpec("../log_monitor.bpf.o")
	if err != nil {
		t.Fatalf("BTF of ../log_monitor.bpf.o (make bpf): %v", err)
	}
	var e *btf.Enum
	if err := spec.TypeByName("i386_nr", &e); err != nil {
		t.Fatal(err)
	}
	byName := map[string]uint32{}
	for _, c := range Compat {
		byName[c.Name] = c.Nr32
	}
	if len(e.Values) == 0 {
		t.Fatal("enum i386_nr is empty")
	}
	for _, v := range e.Values {
		name := strings.TrimPrefix(v.Name, "I386_NR_")
		if k, ok := byName[name]; !ok || uint64(k) != v.Value {
			t.Errorf("bpf/syscall_nr.h: %s = %d, the compat table's is %d (found %v)", v.Name, v.Value, k, ok)
		}
	}
}
