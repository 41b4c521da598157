package monitor

import (
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
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

// A container's name and image arrive from the API in the background: the
// records before the answer go without, those after carry it, and a
// record already made keeps what it had.
func TestContainersTakeTheAPIsAnswerWhenItComes(t *testing.T) {
	id := strings.Repeat("cd", 32)
	ask := make(chan string, 4)
	c := containers{names: func(uint64) ([]string, bool) { return []string{id, "docker", ""}, true }, ask: ask}
	first := c.of(7)
	if first == nil || first.Name != "" {
		t.Fatalf("first record's container = %+v, want the id alone", first)
	}
	if got := <-ask; got != id {
		t.Fatalf("asked about %q, want %q", got, id)
	}
	c.of(7)
	if len(ask) != 0 {
		t.Errorf("asked again: %d more questions", len(ask))
	}
	if !c.learn(container.Meta{ID: id, Name: "web-1", Image: "nginx:1.25"}) {
		t.Error("the first answer about a container: not new")
	}
	if c.learn(container.Meta{ID: id, Name: "web-1", Image: "nginx:1.25"}) {
		t.Error("a second answer about the same container: new")
	}
	later := c.of(7)
	if later.Name != "web-1" || later.Image != "nginx:1.25" || later.ID != id {
		t.Errorf("after the answer: %+v", later)
	}
	if first.Name != "" {
		t.Errorf("the first record's container changed under it: %+v", first)
	}
}
