package container

import (
	"path"
	"strings"
)

// What a container is given that reaches past its isolation: the reasons
// the dangerous-container rule names.  Each is a way out that Falco's,
// Tetragon's and the CIS Docker Benchmark's checks agree on.

// sensitiveHostPaths are host directories whose mount gives a container
// the host: its root, its configuration and accounts, the runtimes' state.
var sensitiveHostPaths = []string{"/", "/etc", "/root", "/boot", "/home", "/var/lib/docker",
	"/var/lib/containerd", "/var/lib/kubelet", "/run/containerd", "/var/run/docker"}

// kernelPaths are the kernel's interfaces: harmless read-only, a way to
// the host read-write (release_agent, core_pattern, /dev/sda).
var kernelPaths = []string{"/proc", "/sys", "/dev"}

// runtimeSockets are the runtimes' API sockets: whoever talks to one
// starts containers as it likes, privileged ones included.
var runtimeSockets = []string{"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/crio/crio.sock",
	"/run/podman/podman.sock", "/var/run/podman/podman.sock"}

// dangerousCaps are capabilities that alone lead out of a container.
var dangerousCaps = map[string]bool{"ALL": true, "SYS_ADMIN": true, "SYS_MODULE": true, "SYS_PTRACE": true,
	"SYS_RAWIO": true, "DAC_READ_SEARCH": true, "BPF": true, "PERFMON": true}

// risks lists, in words, what of a container's configuration reaches the
// host; nil when nothing does.
func risks(privileged bool, pidMode string, capAdd, securityOpt []string, mounts []Mount) []string {
	var out []string
	if privileged {
		out = append(out, "privileged")
	}
	if pidMode == "host" {
		out = append(out, "host pid namespace")
	}
	for _, c := range capAdd {
		c = strings.TrimPrefix(strings.ToUpper(c), "CAP_")
		if dangerousCaps[c] {
			out = append(out, "capability "+c)
		}
	}
	for _, o := range securityOpt {
		if o == "seccomp=unconfined" || o == "seccomp:unconfined" || o == "apparmor=unconfined" || o == "apparmor:unconfined" {
			out = append(out, o)
		}
	}
	for _, m := range mounts {
		src := path.Clean(m.Source)
		switch {
		case contains(runtimeSockets, src):
			out = append(out, "runtime socket "+src+" mounted")
		case contains(sensitiveHostPaths, src):
			out = append(out, "host "+src+" mounted"+rwWord(m.RW))
		case m.RW && underAny(kernelPaths, src):
			out = append(out, "host "+src+" mounted read-write")
		}
	}
	return out
}

func rwWord(rw bool) string {
	if rw {
		return " read-write"
	}
	return " read-only"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func underAny(dirs []string, p string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// HostPath is where a path a container's process sees lies on the host:
// below the source of the mount that holds it, else below the container's
// root filesystem.  "" when neither is known, or for the kernel's own
// filesystems (/proc, /sys, /dev), which are no host path.
func (m *Meta) HostPath(p string) string {
	for _, mt := range m.Mounts { // longest destination first
		if p == mt.Destination {
			return mt.Source
		}
		if strings.HasPrefix(p, strings.TrimSuffix(mt.Destination, "/")+"/") {
			return mt.Source + p[len(strings.TrimSuffix(mt.Destination, "/")):]
		}
	}
	if m.RootFS == "" || !strings.HasPrefix(p, "/") || underAny(kernelPaths, p) {
		return ""
	}
	return m.RootFS + p
}
