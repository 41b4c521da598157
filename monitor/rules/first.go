// Package rules judges records.  For now it holds the first severity
// assignment of file events (the rules issue replaces it with the rule
// engine); it reads typed records only, never raw bytes.
package rules

import (
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// FileSeverity is the first assignment for an access to a watched path by a
// process with effective uid euid; ownerUID is the owner of the watched home
// directory (-1 when the entry is not a home's):
//   - reading credentials or SSH keys with a non-root euid (allowed or not):
//     warn, except a user reading the .ssh of its own home;
//   - writing, truncating or changing credentials, accounts, auth
//     configuration, SSH keys, persistence locations, the loader's preload,
//     kernel files: warn;
//   - truncating or changing logs and shell history: warn;
//   - a --watch-path entry: info for reads, warn for changes;
//   - opening another process's /proc/<pid>/mem: warn;
//   - everything else: info.
func FileSeverity(class string, access uint32, euid uint32, ownerUID int64) record.Severity {
	modify := access&watch.Modify != 0
	switch class {
	case watch.ClassCredentials, watch.ClassSSH:
		if modify {
			return record.Warn
		}
		if euid != 0 && int64(euid) != ownerUID {
			return record.Warn
		}
	case watch.ClassAccounts, watch.ClassAuthConfig, watch.ClassPersistence,
		watch.ClassPreload, watch.ClassKernel, watch.ClassCustom:
		if modify {
			return record.Warn
		}
	case watch.ClassProcMem:
		return record.Warn // the caller decides when it is the process's own
	case watch.ClassLogs, watch.ClassHistory:
		if access&(watch.Trunc|watch.Change) != 0 {
			return record.Warn
		}
	}
	return record.Info
}
