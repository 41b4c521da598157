package rules

import (
	"path/filepath"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// PrivilegeHelpers are the programs whose job is to change credentials;
// their privilege events are info.  (The policy of the rules issue will
// make the list configurable.)
var PrivilegeHelpers = map[string]bool{
	"sudo": true, "su": true, "pkexec": true, "doas": true, "newgrp": true, "sg": true,
	"passwd": true, "chsh": true, "chfn": true, "gpasswd": true, "login": true, "sshd": true,
	"sshd-session": true, "polkit-agent-helper-1": true, "unix_chkpwd": true, "cron": true,
	"crond": true, "atd": true, "systemd": true, "setpriv": true, "runuser": true,
	"ssh-keysign": true, "fusermount": true, "fusermount3": true, "mount": true, "umount": true,
	"Xorg.wrap": true, "dbus-daemon-launch-helper": true, "chrome-sandbox": true,
}

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

// PrivilegeSeverity is the first assignment for a privilege event:
//   - unexplained (root without set*id or a privileged exec): critical;
//   - through set*id/capset: critical, info for a privilege helper or a
//     process that was root before (saved or real uid 0: it regains);
//   - through exec: warn; critical when the binary is not owned by root, not
//     in a system directory, or in /tmp, /var/tmp, /dev/shm, a home or a
//     memfd; info for a privilege helper in a system directory owned by root;
//   - a user namespace's root used for mounts, setns, modules or capset: warn.
func PrivilegeSeverity(p *record.Privilege, exe string) record.Severity {
	base := filepath.Base(exe)
	switch p.Means {
	case "unexplained":
		return record.Critical
	case "syscall":
		if PrivilegeHelpers[base] || p.Before.SUID == 0 || p.Before.UID == 0 {
			return record.Info
		}
		return record.Critical
	case "exec":
		untrusted := p.ExeUID != 0 || !hasAnyPrefix(exe, systemDirs) || hasAnyPrefix(exe, untrustedDirs)
		if untrusted {
			return record.Critical
		}
		if PrivilegeHelpers[base] {
			return record.Info
		}
		return record.Warn
	case "userns":
		return record.Warn
	}
	return record.Warn
}

// SyscallSeverity is the first assignment for a security-sensitive syscall:
// injection into another process, module and kexec loads, raw I/O ports,
// clock changes, clearing the kernel log, BPF program loads, userfaultfd by
// non-root and open_by_handle_at are warn; the rest is info (credential and
// namespace calls are judged through their privilege events).
func SyscallSeverity(s *record.Syscall, euid uint32, self bool) record.Severity {
	switch s.Name {
	case "process_vm_writev", "init_module", "finit_module", "delete_module", "kexec_load",
		"kexec_file_load", "iopl", "ioperm", "settimeofday", "clock_settime", "open_by_handle_at", "reboot":
		return record.Warn
	case "process_vm_readv":
		if !self {
			return record.Warn
		}
	case "ptrace":
		for _, a := range s.Args {
			if a.Key == "request" {
				switch a.Value {
				case "PTRACE_ATTACH", "PTRACE_SEIZE", "PTRACE_POKETEXT", "PTRACE_POKEDATA", "PTRACE_POKEUSER", "PTRACE_SETREGS":
					return record.Warn
				}
			}
		}
	case "syslog":
		for _, a := range s.Args {
			if a.Key == "action" && (a.Value == "CLEAR" || a.Value == "READ_CLEAR") {
				return record.Warn
			}
		}
	case "bpf":
		for _, a := range s.Args {
			if a.Key == "cmd" && a.Value == "BPF_PROG_LOAD" {
				return record.Warn
			}
		}
	case "userfaultfd":
		if euid != 0 {
			return record.Warn
		}
	}
	return record.Info
}
