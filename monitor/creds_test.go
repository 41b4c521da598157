package monitor

import (
	"os"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

func TestParseStatusCreds(t *testing.T) {
	status := "Name:\tsudo\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n" +
		"CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000000400\n"
	got, err := parseStatusCreds([]byte(status))
	want := event.Creds{UID: 1000, GID: 1000, EGID: 1000, SGID: 1000, FSGID: 1000,
		CapPermitted: 0x1ffffffffff, CapEffective: 0x400}
	if err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{
		strings.Replace(status, "Uid:\t1000\t0\t0\t0", "Uid:\t1000\t0", 1),
		strings.Replace(status, "CapEff:\t0000000000000400", "CapEff:\txyz", 1),
		strings.Replace(status, "Gid:", "Gix:", 1),
	} {
		if _, err := parseStatusCreds([]byte(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
	// this process's own file parses
	self, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	if c, err := parseStatusCreds(self); err != nil || c.UID != uint32(os.Getuid()) {
		t.Errorf("/proc/self/status: %+v, %v", c, err)
	}
}
