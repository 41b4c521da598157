// SPDX-License-Identifier: GPL-2.0
/*
 * ebpf-log-monitor: kernel side, one object.
 *
 * This file only puts the topic headers together: each program, a thin
 * entry point named after its section, lives in the header of its topic
 * (process.h, file.h, net.h, syscall.h, kprobes.h, fnhooks.h), with the helpers it
 * calls.  Records are defined in log_monitor.h and travel to user space
 * through the ring buffer (or the "events" perf buffer); every map is
 * defined in maps.h.
 */
#include "base.h"
#include "maps.h"
#include "common.h"
#include "creds.h"
#include "process.h"
#include "file.h"
#include "net.h"
#include "syscall.h"
#include "syscalls.h"
#include "fnhooks.h"
#include "kprobes.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Named here so that every type user space decodes is in the object's BTF,
 * also those the programs only keep on the stack and the enums: the Go
 * decoder's layout test reads them there.  No program reads this.
 */
const volatile struct btf_anchor {
	struct exit_event exit_event; /* by value: a pointer would be a forward declaration */
	struct fork_event fork_event;
	enum sizes sizes;
	enum event_type event_type;
	enum stat_counter stat_counter;
	enum header_flags header_flags;
	enum exec_flags exec_flags;
	enum file_op file_op;
	enum file_access file_access;
	enum file_flags file_flags;
	enum net_op net_op;
	enum restart_errno restart_errno;
	enum net_flags net_flags;
	enum syscall_spec_flags syscall_spec_flags;
	enum syscall_spec_filter syscall_spec_filter;
	enum syscall_event_flags syscall_event_flags;
	enum priv_means priv_means;
	enum syscall_nr syscall_nr;
	enum syscall_filters syscall_filters;
	enum prctl_reported prctl_reported;
	enum ptrace_reported ptrace_reported;
	enum audit_reported audit_reported;
	enum syslog_reported syslog_reported;
	/* string constants: their bytes are in .rodata, where the Go test reads them */
	char proc_mem_pattern[sizeof(PROC_MEM_PATTERN)];
	char release_agent_pattern[sizeof(RELEASE_AGENT_PATTERN)];
} btf_anchor = {
	.proc_mem_pattern = PROC_MEM_PATTERN,
	.release_agent_pattern = RELEASE_AGENT_PATTERN,
};
