package rules

import (
	"path/filepath"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// SuspiciousPorts are ports used by miners' pools, reverse shells and
// common backdoors.
var SuspiciousPorts = map[uint16]bool{
	1337: true, 3333: true, 4444: true, 5555: true, 6666: true, 7777: true,
	9999: true, 14444: true, 14433: true, 31337: true, 45560: true, 45700: true,
}

// RuntimeSockets are container-runtime API sockets: talking to one is
// root on the host.
var RuntimeSockets = []string{
	"/var/run/docker.sock", "/run/docker.sock",
	"/run/containerd/containerd.sock", "/var/run/containerd/containerd.sock",
	"/run/crio/crio.sock", "/var/run/crio/crio.sock",
	"/run/podman/podman.sock", "/var/run/podman/podman.sock",
}

var interpreters = []string{"sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash",
	"busybox", "python", "perl", "ruby", "php", "node", "nodejs", "lua", "tclsh", "nc", "ncat",
	"netcat", "socat", "telnet", "awk", "gawk"}

// IsInterpreter says whether exe is a shell, a scripting language or a
// netcat: something that should not be dialling out by itself.
func IsInterpreter(exe string) bool {
	base := filepath.Base(exe)
	for _, name := range interpreters {
		if base == name || (strings.HasPrefix(base, name) && isVersion(base[len(name):])) {
			return true
		}
	}
	return false
}

// isVersion matches "3", "3.11", "5.36" ... after an interpreter name.
func isVersion(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

var serviceNames = map[string]bool{"sshd": true, "nginx": true, "apache2": true, "httpd": true,
	"postgres": true, "mysqld": true, "mariadbd": true, "redis-server": true, "memcached": true,
	"dockerd": true, "containerd": true, "dnsmasq": true, "named": true, "chronyd": true,
	"cupsd": true, "avahi-daemon": true, "systemd": true, "systemd-resolved": true}

// IsServiceExe says whether exe is a daemon binary (in an sbin directory
// or a known service name).
func IsServiceExe(exe string) bool {
	dir, base := filepath.Dir(exe), filepath.Base(exe)
	if dir == "/usr/sbin" || dir == "/sbin" || dir == "/usr/local/sbin" {
		return true
	}
	return serviceNames[base] || strings.HasPrefix(base, "systemd-")
}

// NetSeverity is the first assignment for a network event:
//   - a shell or interpreter connecting or sending out: warn;
//   - a connection to, or a listener on, a miner-pool or reverse-shell port: warn;
//   - a connect to a container-runtime socket: warn;
//   - a listener opened by a process that is not a service: warn;
//   - everything else (accepts, binds, ordinary connects): info.
func NetSeverity(event, exe string, n *record.Network, service bool) record.Severity {
	switch event {
	case "connect", "send":
		if len(n.UnixPath) > 0 {
			for _, s := range RuntimeSockets {
				if string(n.UnixPath) == s {
					return record.Warn
				}
			}
			return record.Info
		}
		if IsInterpreter(exe) || SuspiciousPorts[n.DstPort] {
			return record.Warn
		}
	case "listen":
		if !service || SuspiciousPorts[n.SrcPort] {
			return record.Warn
		}
	}
	return record.Info
}
