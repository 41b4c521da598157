package rules

import (
	"path/filepath"
	"strings"
)

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
