package monitor

import _ "embed"

// The compiled bpf/log_monitor.bpf.c (make bpf), embedded so the binary is
// self-contained.  Built twice: for every kernel from 5.10, and for 6.4
// and later (BUILD_6_4 in bpf/common.h: the record header out of line, the
// task and file read through bpf_rdonly_cast, no CO-RE alternatives for
// what 6.4 always has).
var (
	//go:embed log_monitor.bpf.o
	bpfObject []byte
	//go:embed log_monitor.6.4.bpf.o
	bpfObject64 []byte
)

// objectFor is the object for the running kernel.  The 6.4 object casts
// with the kernel's own type ids, so a --btf-file (customBTF), whose ids
// are not the kernel's, takes the other.
func objectFor(customBTF bool) (name string, obj []byte) {
	if _, ok := kernelAtLeast(6, 4); ok && !customBTF {
		return "log_monitor.6.4.bpf.o", bpfObject64
	}
	return "log_monitor.bpf.o", bpfObject
}
