// SPDX-License-Identifier: GPL-2.0
// Two programs that do nothing on the hooks the monitor uses for every
// syscall: the cost floor of any raw_syscalls design (bench/floor.sh).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("raw_tracepoint/sys_enter")
int empty_enter(void *ctx) { return 0; }
SEC("raw_tracepoint/sys_exit")
int empty_exit(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
