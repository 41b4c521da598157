package monitor

import (
	"strings"
	"testing"
)

// The kernel's names for a container's cgroup make a container; the host's
// make none; each cgroup's names are read once, and an id the kernel has
// no names for is asked again at its next record.
func TestContainersReadEachCgroupOnce(t *testing.T) {
	id := strings.Repeat("ab", 32)
	kernel := map[uint64][]string{
		7: {id, "docker", ""},
		8: {"ssh.service", "system.slice", ""},
		1: {"", "", ""},
	}
	reads := map[uint64]int{}
	c := containers{names: func(cg uint64) ([]string, bool) {
		reads[cg]++
		n, ok := kernel[cg]
		return n, ok
	}}
	for i := 0; i < 3; i++ {
		got := c.of(7)
		if got == nil || got.ID != id || got.Runtime != "docker" || got.ShortID() != id[:12] {
			t.Fatalf("of(docker's cgroup) = %+v", got)
		}
		if got := c.of(8); got != nil {
			t.Errorf("of(ssh.service) = %+v, want the host (nil)", got)
		}
		if got := c.of(1); got != nil {
			t.Errorf("of(the root) = %+v, want the host (nil)", got)
		}
		if got := c.of(9); got != nil {
			t.Errorf("of(an id with no names) = %+v, want nil", got)
		}
	}
	if reads[7] != 1 || reads[8] != 1 || reads[1] != 1 {
		t.Errorf("map reads %v, want one per known cgroup", reads)
	}
	if reads[9] != 3 {
		t.Errorf("an id with no names was read %d times in 3 records, want 3 (not cached)", reads[9])
	}
	if got := (&containers{}).of(7); got != nil {
		t.Errorf("with no kernel map (replay): %+v, want nil", got)
	}
}

func TestCgroupPathJoinsTheNamesRootFirst(t *testing.T) {
	if got := cgroupPath([]string{"libpod-x.scope", "machine.slice", ""}); got != "/machine.slice/libpod-x.scope" {
		t.Errorf("cgroupPath = %q", got)
	}
	if got := cgroupPath([]string{"", "", ""}); got != "/" {
		t.Errorf("cgroupPath of the root = %q", got)
	}
}
