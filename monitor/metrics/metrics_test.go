package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func scrape(t *testing.T, s *Set) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("scrape: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestEveryFamilyIsExposedWithItsValues(t *testing.T) {
	s := New("v1.2.3", "6.18.0")
	for i := 0; i < 3; i++ {
		s.Event("exec")
	}
	s.Event("open")
	s.Alert("reverse-shell", "critical")
	s.Alert("reverse-shell", "critical")
	s.Hook("tp_btf/sys_exit", true)
	s.Hook("lsm/bpf", false)
	s.Reload(false)
	s.Publish(&Snapshot{Lost: map[string]uint64{"kernel_perf_buffer_full": 7, "queue": 2}, ProcessTableEntries: 42, ContainersKnown: 3})
	s.Sinks(func() []Sink { return []Sink{{Name: "file", QueuedBytes: 512, Dropped: 9}} })
	out := scrape(t, s)
	for _, want := range []string{
		`ebpf_log_monitor_events_total{event="exec"} 3`,
		`ebpf_log_monitor_events_total{event="open"} 1`,
		`ebpf_log_monitor_alerts_total{rule="reverse-shell",severity="critical"} 2`,
		`ebpf_log_monitor_hooks{hook="tp_btf/sys_exit",status="attached"} 1`,
		`ebpf_log_monitor_hooks{hook="tp_btf/sys_exit",status="unavailable"} 0`,
		`ebpf_log_monitor_hooks{hook="lsm/bpf",status="unavailable"} 1`,
		`ebpf_log_monitor_policy_reloads_total{result="ok"} 0`,
		`ebpf_log_monitor_policy_reloads_total{result="refused"} 1`,
		`ebpf_log_monitor_lost_events_total{stage="kernel_perf_buffer_full"} 7`,
		`ebpf_log_monitor_lost_events_total{stage="queue"} 2`,
		`ebpf_log_monitor_process_table_entries 42`,
		`ebpf_log_monitor_containers 3`,
		`ebpf_log_monitor_output_queue_bytes{sink="file"} 512`,
		`ebpf_log_monitor_output_dropped_total{sink="file"} 9`,
		`ebpf_log_monitor_build_info{kernel="6.18.0",version="v1.2.3"} 1`,
		"# TYPE ebpf_log_monitor_lost_events_total counter",
		"# TYPE ebpf_log_monitor_output_queue_bytes gauge",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestANilSetCountsNothingAndDoesNotPanic(t *testing.T) {
	var s *Set
	s.Event("exec")
	s.Alert("r", "warn")
	s.Hook("h", true)
	s.Reload(true)
	s.Publish(&Snapshot{})
	s.Sinks(nil)
}

func TestBeforeTheFirstSnapshotTheLoopsFamiliesAreAbsentNotZero(t *testing.T) {
	// a zero would claim "nothing lost" before anything was counted
	out := scrape(t, New("v", "k"))
	if strings.Contains(out, "ebpf_log_monitor_lost_events_total{") {
		t.Errorf("lost_events_total exposed before the first snapshot:\n%s", out)
	}
}
