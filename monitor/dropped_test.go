package monitor

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// A file dropped in one mount namespace's tree is that tree's: a docker
// build step's /usr/local/bin/busybox is not the host's, nor a later
// container's (each has a namespace of its own).
func TestDroppedIsPerMountNamespace(t *testing.T) {
	var d dropped
	drop := func(ns uint32, path, by string) {
		d.note(&record.Record{Event: "open", Process: &record.Process{MntNS: ns, Exe: []byte(by)},
			File: &record.File{Path: []byte(path)}, Rules: []record.Rule{{Name: droppedRule}}})
	}
	drop(4026532301, "/usr/local/bin/busybox", "/bin/busybox")
	drop(0, "/usr/local/bin/tool", "/usr/bin/cp")
	for _, c := range []struct {
		ns        uint32
		exe, want string
	}{
		{4026532301, "/usr/local/bin/busybox", "/bin/busybox"},
		{4026532999, "/usr/local/bin/busybox", ""},
		{0, "/usr/local/bin/busybox", ""},
		{0, "/usr/local/bin/tool", "/usr/bin/cp"},
		{4026532301, "/usr/local/bin/tool", ""},
	} {
		if got := d.writer(c.ns, []byte(c.exe)); got != c.want {
			t.Errorf("writer(%d, %s) = %q, want %q", c.ns, c.exe, got, c.want)
		}
	}
}
