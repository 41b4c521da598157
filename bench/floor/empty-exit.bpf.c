// SPDX-License-Identifier: GPL-2.0
// One program that does nothing, on sys_exit only: what a design with no
// entry program would still pay (bench/floor.sh).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("raw_tracepoint/sys_exit")
int empty_exit_only(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
