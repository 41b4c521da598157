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
