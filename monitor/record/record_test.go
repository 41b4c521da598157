package record

import (
	"strings"
	"testing"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in   string
		want Severity
	}{
		{"info", Info},
		{"warn", Warn},
		{"warning", Warn},
		{"critical", Critical},
		{"WARN", Warn},
		{"Critical", Critical},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"loud", "", "crit", "error", " info"} {
		_, err := ParseSeverity(in)
		if err == nil {
			t.Errorf("ParseSeverity(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), "info, warn or critical") {
			t.Errorf("ParseSeverity(%q) error %q does not say what to use", in, err)
		}
	}
}

func TestSeveritiesAreOrderedAndNamed(t *testing.T) {
	if !(Info < Warn && Warn < Critical) {
		t.Error("severities out of order")
	}
	for s, want := range map[Severity]string{Info: "info", Warn: "warn", Critical: "critical", 9: "unknown"} {
		if got := s.String(); got != want {
			t.Errorf("Severity(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestLostCountsEveryStageOnce(t *testing.T) {
	tests := []struct {
		name  string
		stats Stats
		want  uint64
	}{
		{"nothing lost", Stats{}, 0},
		{"perf ring full is counted once, not again from the kernel counter",
			Stats{LostPerf: 7, LostKernel: map[string]uint64{"perf_buffer_full": 7}}, 7},
		{"every stage",
			Stats{
				LostPerf:     1,
				LostKernel:   map[string]uint64{"perf_buffer_full": 1, "output_error": 2, "pending_table_full": 3, "scratch_miss": 4},
				LostQueue:    5,
				DecodeErrors: 6,
			}, 1 + 2 + 3 + 4 + 5 + 6},
		{"nil kernel counters", Stats{LostQueue: 2, DecodeErrors: 1}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.stats.Lost(); got != tt.want {
				t.Errorf("Lost() = %d, want %d", got, tt.want)
			}
		})
	}
}
