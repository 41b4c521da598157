package monitor

import _ "embed"

// The compiled bpf/log_monitor.bpf.c (make bpf), embedded so the binary is
// self-contained.  Built three times (bpf/common.h): for every kernel from
// 5.10; for 5.17 and later (BUILD_5_17: bpf_loop walks paths, the BTF task
// and bpf_task_pt_regs without CO-RE alternatives); for 6.4 and later
// (BUILD_6_4 too: the record header out of line, the task and file read
// through bpf_rdonly_cast, one-word capabilities).
var (
	//go:embed log_monitor.bpf.o
	bpfObject []byte
	//go:embed log_monitor.5.17.bpf.o
	bpfObject517 []byte
	//go:embed log_monitor.6.4.bpf.o
	bpfObject64 []byte
)

// The built-in policy's expressions as CEL checked them when the binary
// was built (make; monitor/rules/builtchecks), so that a start without
// /run's kept ones, the first of a boot, parses none of them
// (keptrules.go).
//
//go:embed builtin.checks
var builtinChecks []byte

// embeddedObject is one embedded build.
type embeddedObject struct {
	name         string
	major, minor int  // the oldest kernel it loads on
	casts        bool // to the kernel's type ids (castStructs)
	obj          []byte
}

// bpfObjects are the embedded objects, newest first: the first whose
// kernel the running one reaches is taken; the last serves any kernel.
var bpfObjects = []embeddedObject{
	{"log_monitor.6.4.bpf.o", 6, 4, true, bpfObject64},
	{"log_monitor.5.17.bpf.o", 5, 17, false, bpfObject517},
	{"log_monitor.bpf.o", 0, 0, false, bpfObject},
}

// objectsFor are the objects for the running kernel, the best first: the
// next stands in where one cannot be used (an object that casts, without
// the kernel's type ids).  The objects for 5.17 and 6.4 are checked with
// the kernel's own BTF only, so a --btf-file (customBTF), whose types are
// not the kernel's, takes the one for every kernel.
func objectsFor(customBTF bool) []embeddedObject {
	oldest := len(bpfObjects) - 1
	if customBTF {
		return bpfObjects[oldest:]
	}
	for i, o := range bpfObjects {
		if _, ok := kernelAtLeast(o.major, o.minor); ok {
			return bpfObjects[i:]
		}
	}
	return bpfObjects[oldest:]
}
