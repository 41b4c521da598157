// SPDX-License-Identifier: GPL-2.0
// One program that does nothing, on the exit of the openat syscall's
// function (fexit/__x64_sys_openat): the floor of the function-hook design
// on the calls it watches (bench/floor.sh).  Unrelated calls run nothing.
// Loads where the kernel lets tracing programs attach (not on every host).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("fexit/__x64_sys_openat")
int empty_fexit(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
