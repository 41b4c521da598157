// Package rules judges records.  For now it holds the first severity
// assignment of file events (the rules issue replaces it with the rule
// engine); it reads typed records only, never raw bytes.
package rules

import (
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// FileSeverity is the first assignment for an access to a watched path:
//   - reading credentials or SSH keys as a non-root user (allowed or not): warn;
//   - writing, truncating or changing credentials, accounts, auth
//     configuration, SSH keys, persistence locations, the loader's preload,
//     kernel files: warn;
//   - truncating or changing logs and shell history: warn;
//   - a --watch-path entry: info for reads, warn for changes;
//   - everything else: info.
func FileSeverity(class string, access uint32, uid uint32) record.Severity {
	modify := access&watch.Modify != 0
	switch class {
	case watch.ClassCredentials, watch.ClassSSH:
		if modify || uid != 0 {
			return record.Warn
		}
	case watch.ClassAccounts, watch.ClassAuthConfig, watch.ClassPersistence,
		watch.ClassPreload, watch.ClassKernel, watch.ClassCustom:
		if modify {
			return record.Warn
		}
	case watch.ClassLogs, watch.ClassHistory:
		if access&(watch.Trunc|watch.Change) != 0 {
			return record.Warn
		}
	}
	return record.Info
}
