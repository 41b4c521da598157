package monitor

import (
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func TestScopeFiltersKeepTheirRecords(t *testing.T) {
	id := strings.Repeat("ab", 32)
	host := &record.Record{Event: "open"}
	boxed := &record.Record{Event: "open", Container: &record.Container{ID: id, Name: "web-1", Image: "nginx:1.25"}}
	unnamed := &record.Record{Event: "open", Container: &record.Container{ID: id}}
	for _, tt := range []struct {
		name string
		cfg  Config
		want [3]bool // host, boxed, unnamed
	}{
		{"no filter", Config{}, [3]bool{true, true, true}},
		{"--containers-only", Config{ContainersOnly: true}, [3]bool{false, true, true}},
		{"--host-only", Config{HostOnly: true}, [3]bool{true, false, false}},
		{"--container by id prefix", Config{Container: id[:6]}, [3]bool{false, true, true}},
		{"--container by name (once the engine answered)", Config{Container: "web-1"}, [3]bool{false, true, false}},
		{"--container by image", Config{Container: "nginx"}, [3]bool{false, true, false}},
		{"--container by image:tag", Config{Container: "nginx:1.25"}, [3]bool{false, true, false}},
		{"--container of another", Config{Container: "cafe"}, [3]bool{false, false, false}},
	} {
		for i, r := range []*record.Record{host, boxed, unnamed} {
			if got := tt.cfg.inScope(r); got != tt.want[i] {
				t.Errorf("%s: record %d in scope = %v, want %v", tt.name, i, got, tt.want[i])
			}
		}
	}
}
