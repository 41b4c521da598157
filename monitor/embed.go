package monitor

import _ "embed"

// bpfObject is the compiled bpf/log_monitor.bpf.c (make bpf), embedded so
// the binary is self-contained.
//
//go:embed log_monitor.bpf.o
var bpfObject []byte
