/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every BPF header builds on: the kernel's types (vmlinux.h), libbpf's
 * helpers, the records shared with user space and the uapi values.  Each
 * topic header includes this and the topic headers it uses, so any of them
 * compiles on its own (make bpf-headers checks it), in any order.
 */
#ifndef __LOG_MONITOR_BASE_H
#define __LOG_MONITOR_BASE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "log_monitor.h"
#include "uapi.h"
#include "syscall_nr.h"

#endif /* __LOG_MONITOR_BASE_H */
