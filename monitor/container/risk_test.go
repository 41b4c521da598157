package container

import (
	"reflect"
	"testing"
)

// Each way out is named once, in words; an ordinary container has none.
func TestRisksNameWhatReachesTheHost(t *testing.T) {
	for _, c := range []struct {
		name       string
		privileged bool
		pid        string
		caps, opts []string
		mounts     []Mount
		want       []string
	}{
		{name: "ordinary", caps: []string{"NET_BIND_SERVICE"}, mounts: []Mount{{Source: "/srv/data", Destination: "/data", RW: true},
			{Source: "/proc", Destination: "/host/proc"}}},
		{name: "privileged", privileged: true, want: []string{"privileged"}},
		{name: "host root ro", mounts: []Mount{{Source: "/", Destination: "/host"}}, want: []string{"host / mounted read-only"}},
		{name: "socket", mounts: []Mount{{Source: "/run/docker.sock", Destination: "/var/run/docker.sock", RW: true}},
			want: []string{"runtime socket /run/docker.sock mounted"}},
		{name: "sys rw", mounts: []Mount{{Source: "/sys/fs/cgroup", Destination: "/sys/fs/cgroup", RW: true}},
			want: []string{"host /sys/fs/cgroup mounted read-write"}},
		{name: "everything", pid: "host", caps: []string{"cap_sys_module", "ALL"}, opts: []string{"seccomp=unconfined"},
			want: []string{"host pid namespace", "capability SYS_MODULE", "capability ALL", "seccomp=unconfined"}},
	} {
		if got := risks(c.privileged, c.pid, c.caps, c.opts, c.mounts); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: risks = %q, want %q", c.name, got, c.want)
		}
	}
}

// Docker runs a health check's CMD as given and CMD-SHELL through sh -c.
func TestHealthcheckArgv(t *testing.T) {
	for _, c := range []struct {
		test, want []string
	}{
		{[]string{"CMD", "curl", "-f", "localhost"}, []string{"curl", "-f", "localhost"}},
		{[]string{"CMD-SHELL", "curl -f localhost || exit 1"}, []string{"/bin/sh", "-c", "curl -f localhost || exit 1"}},
		{[]string{"NONE"}, nil},
		{nil, nil},
	} {
		if got := healthcheckArgv(c.test); !reflect.DeepEqual(got, c.want) {
			t.Errorf("healthcheckArgv(%q) = %q, want %q", c.test, got, c.want)
		}
	}
}
