package rules

import (
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// systemDirs hold binaries installed by the system.
var systemDirs = []string{"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/lib/", "/usr/libexec/",
	"/lib/", "/usr/local/bin/", "/usr/local/sbin/", "/opt/"}

// untrustedDirs are writable by anyone or by users.
var untrustedDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/home/", "/root/", "/run/user/", "/memfd:"}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// PrivilegeSeverityWith is the severity of a privilege event, given the
// policy's privilege helpers:
//   - unexplained (root without set*id or a privileged exec): critical;
//   - through set*id/capset: critical, info for a privilege helper or a
//     process that was root before (saved or real uid 0: it regains);
//   - through exec: warn; critical when the binary is not owned by root, not
//     in a system directory, or in /tmp, /var/tmp, /dev/shm, a home or a
//     memfd; info for a privilege helper in a system directory owned by root;
//   - a user namespace's root used for mounts, setns, modules or capset: warn.
func PrivilegeSeverityWith(p *record.Privilege, exe string, helpers []policy.Pattern) record.Severity {
	return privilegeSeverity(p, exe, policy.MatchAny(helpers, exe))
}

func privilegeSeverity(p *record.Privilege, exe string, helper bool) record.Severity {
	switch p.Means {
	case "unexplained":
		return record.Critical
	case "syscall":
		if helper || p.Before.SUID == 0 || p.Before.UID == 0 {
			return record.Info
		}
		return record.Critical
	case "exec":
		untrusted := p.ExeUID != 0 || !hasAnyPrefix(exe, systemDirs) || hasAnyPrefix(exe, untrustedDirs)
		if untrusted {
			return record.Critical
		}
		if helper {
			return record.Info
		}
		return record.Warn
	case "userns":
		return record.Warn
	}
	return record.Warn
}
