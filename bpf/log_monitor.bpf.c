// SPDX-License-Identifier: GPL-2.0
/*
 * ebpf-log-monitor: kernel side.
 *
 * Every program here is a thin entry point named after its section; the
 * logic lives in the topic headers (process.h, ...).  Records are defined in
 * log_monitor.h and travel to user space through the ring buffer (or the
 * "events" perf buffer).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "log_monitor.h"

#define ENOSPC 28

#include "syscall_nr.h"
#include "common.h"
#include "creds.h"
#include "process.h"
#include "file.h"
#include "net.h"
#include "syscall.h"
#include "syscalls.h"
#include "kprobes.h"

char LICENSE[] SEC("license") = "GPL";
