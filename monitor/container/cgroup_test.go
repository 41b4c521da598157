package container_test

import (
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
)

var (
	id  = strings.Repeat("0123456789abcdef", 4)
	uid = "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516"
)

// Every layout the runtimes use, each driver, cgroup v1 and v2 and the
// hybrid's unified mount; and the host's own cgroups, which name none.
func TestFromCgroupPathKnowsEveryRuntimesLayout(t *testing.T) {
	under := strings.ReplaceAll(uid, "-", "_")
	tests := []struct {
		name, path string
		want       container.Identity
		ok         bool
	}{
		{"docker, cgroupfs, v2", "/docker/" + id, container.Identity{ID: id, Runtime: container.Docker}, true},
		{"docker, cgroupfs, v1 memory controller", "/sys/fs/cgroup/memory/docker/" + id,
			container.Identity{ID: id, Runtime: container.Docker}, true},
		{"docker, cgroupfs, hybrid's unified mount", "/sys/fs/cgroup/unified/docker/" + id,
			container.Identity{ID: id, Runtime: container.Docker}, true},
		{"docker, systemd", "/system.slice/docker-" + id + ".scope", container.Identity{ID: id, Runtime: container.Docker}, true},
		{"podman, systemd, split cgroup", "/machine.slice/libpod-" + id + ".scope/container",
			container.Identity{ID: id, Runtime: container.Podman}, true},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope",
			container.Identity{ID: id, Runtime: container.Podman}, true},
		{"podman, cgroupfs", "/libpod_parent/libpod-" + id, container.Identity{ID: id, Runtime: container.Podman}, true},
		{"kubernetes, cgroupfs, containerd", "/kubepods/burstable/pod" + uid + "/" + id,
			container.Identity{ID: id, PodUID: uid}, true},
		{"kubernetes, cgroupfs, guaranteed", "/kubepods/pod" + uid + "/" + id, container.Identity{ID: id, PodUID: uid}, true},
		{"kubernetes, cgroupfs, cri-o", "/kubepods/besteffort/pod" + uid + "/crio-" + id,
			container.Identity{ID: id, Runtime: container.CRIO, PodUID: uid}, true},
		{"kubernetes, systemd, containerd",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + under + ".slice/cri-containerd-" + id + ".scope",
			container.Identity{ID: id, Runtime: container.Containerd, PodUID: uid}, true},
		{"kubernetes, systemd, cri-o, guaranteed", "/kubepods.slice/kubepods-pod" + under + ".slice/crio-" + id + ".scope",
			container.Identity{ID: id, Runtime: container.CRIO, PodUID: uid}, true},
		{"kubernetes, systemd, docker", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + under +
			".slice/docker-" + id + ".scope", container.Identity{ID: id, Runtime: container.Docker, PodUID: uid}, true},

		{"the host's root", "/", container.Identity{}, false},
		{"a host service", "/system.slice/ssh.service", container.Identity{}, false},
		{"a login session", "/user.slice/user-0.slice/session-3.scope", container.Identity{}, false},
		{"the docker daemon's own cgroup", "/system.slice/docker.service", container.Identity{}, false},
		{"a pod's cgroup, no container yet", "/kubepods/burstable/pod" + uid, container.Identity{}, false},
		{"an id shape outside any runtime's directory", "/mine/" + id, container.Identity{}, false},
		{"one hex digit short", "/docker/" + id[:63], container.Identity{}, false},
		{"upper-case hex is not an id", "/docker/" + strings.ToUpper(id), container.Identity{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := container.FromCgroupPath(tt.path)
			if ok != tt.ok || got != tt.want {
				t.Errorf("FromCgroupPath(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}
