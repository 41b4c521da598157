// SPDX-License-Identifier: GPL-2.0
// Two programs that do nothing, on the per-syscall tracepoints of openat
// only (syscalls:sys_enter_openat, sys_exit_openat): the floor of a design
// that hooks only the calls it watches through tracepoints (bench/floor.sh).
// Every task then takes the slow syscall path, and each unrelated call
// pays the kernel's bitmap test instead of a BPF program.  These
// tracepoints never fire for i386 calls (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tracepoint/syscalls/sys_enter_openat")
int empty_tp_enter(void *ctx) { return 0; }
SEC("tracepoint/syscalls/sys_exit_openat")
int empty_tp_exit(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
