// Package container names the container a process runs in from its cgroup
// path, as the runtimes lay their cgroups out.  Pure functions: the path
// comes from the kernel at the event (issue #15 wires it in); names,
// images and pod labels come from the runtimes' APIs, never from here.
package container

import (
	"strings"
)

// Runtimes, as the schema names them.
const (
	Docker     = "docker"
	Containerd = "containerd"
	CRIO       = "cri-o"
	Podman     = "podman"
)

// Identity is what a cgroup path says of its container.
type Identity struct {
	ID      string // the full id: 64 hex digits
	Runtime string // Docker, Containerd, CRIO, Podman; "" when the layout does not say
	PodUID  string // kubepods: the pod's uid (dashes, as the API writes it)
}

// scopePrefixes are the systemd driver's unit names: <prefix><id>.scope.
var scopePrefixes = []struct{ prefix, runtime string }{
	{"docker-", Docker},
	{"cri-containerd-", Containerd},
	{"crio-", CRIO},
	{"libpod-", Podman},
}

// FromCgroupPath returns the container of a cgroup path of any hierarchy
// (v1 controller or v2, from the hierarchy's root or with the mount point
// in front), or false for a host cgroup.  The container is the component
// nearest the leaf that names one: a runtime may nest cgroups of its own
// below it (podman's "container", a systemd sub-scope).
//
//	docker, cgroupfs:        /docker/<id>
//	docker, systemd:         /system.slice/docker-<id>.scope
//	podman, systemd:         /machine.slice/libpod-<id>.scope[/container]
//	podman rootless:         /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-<id>.scope
//	podman, cgroupfs:        /libpod_parent/libpod-<id>
//	kubernetes, cgroupfs:    /kubepods/burstable/pod<uid>/<id>, /kubepods/pod<uid>/crio-<id>
//	kubernetes, systemd:     /kubepods.slice/kubepods-besteffort.slice/
//	                         kubepods-besteffort-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
func FromCgroupPath(path string) (Identity, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		id, runtime, ok := containerComponent(parts[i], parentOf(parts, i))
		if !ok {
			continue
		}
		c := Identity{ID: id, Runtime: runtime}
		c.PodUID = podUID(parts[:i])
		return c, true
	}
	return Identity{}, false
}

func parentOf(parts []string, i int) string {
	if i == 0 {
		return ""
	}
	return parts[i-1]
}

// containerComponent says whether one path component names a container,
// given the component above it.
func containerComponent(name, parent string) (id, runtime string, ok bool) {
	for _, s := range scopePrefixes {
		if rest, found := strings.CutPrefix(name, s.prefix); found {
			rest = strings.TrimSuffix(rest, ".scope")
			if isID(rest) {
				return rest, s.runtime, true
			}
		}
	}
	// cgroupfs drivers: the bare id, below the runtime's directory or a pod's
	if !isID(name) {
		return "", "", false
	}
	switch {
	case parent == "docker":
		return name, Docker, true
	case strings.HasPrefix(parent, "pod"):
		return name, "", true // containerd or docker: the layout does not say
	}
	return "", "", false
}

// podUID finds the pod<uid> component above a container, in either
// driver's spelling.
func podUID(parts []string) string {
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if j := strings.LastIndex(p, "-pod"); j >= 0 && strings.HasSuffix(p, ".slice") {
			return strings.ReplaceAll(strings.TrimSuffix(p[j+len("-pod"):], ".slice"), "_", "-")
		}
		if rest, ok := strings.CutPrefix(p, "pod"); ok && isUID(rest) {
			return rest
		}
	}
	return ""
}

// isID: 64 lower-case hex digits, what docker, containerd's CRI, CRI-O and
// podman give their containers.
func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isUID: a Kubernetes uid, 8-4-4-4-12 hex digits.
func isUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
