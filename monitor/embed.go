package monitor

import _ "embed"

// The compiled bpf/log_monitor.bpf.c (make bpf), embedded so the binary is
// self-contained: built twice, with the record header inline for kernels
// before 6.4 and out of line for 6.4 and later (bpf/common.h, fill_header).
var (
	//go:embed log_monitor.bpf.o
	bpfObject []byte
	//go:embed log_monitor.outlined.bpf.o
	bpfObjectOutlined []byte
)

// objectForKernel is the object built for the running kernel: the verifier
// tracks precision across calls of subprograms from 6.4 on.
func objectForKernel() []byte {
	if _, ok := kernelAtLeast(6, 4); ok {
		return bpfObjectOutlined
	}
	return bpfObject
}
