// SPDX-License-Identifier: GPL-2.0
// Two programs that do nothing: one on the exit of the openat syscall's
// function, one on the entry of security_file_open.  The floor of the
// function-hook design as the monitor runs it: every open passes
// security_file_open (the monitor's hook for opens outside an open
// syscall), and an open syscall's record comes from its fexit
// (bench/floor.sh).  Loads where the kernel lets tracing programs attach.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("fexit/__x64_sys_openat")
int empty_fexit(void *ctx) { return 0; }
SEC("fentry/security_file_open")
int empty_fentry_sfo(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
