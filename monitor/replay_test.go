package monitor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// A container's start has no process, yet it is judged live
// (dangerous-container): replay judges it too.
func TestReplayJudgesAContainersStart(t *testing.T) {
	line := `{"time":"2026-12-01T03:04:05Z","severity":"info","event":"container_start","category":"container",` +
		`"container":{"id":"` + strings.Repeat("ab", 32) + `","short_id":"abababababab","name":"ci","risks":["the Docker socket mounted (/var/run/docker.sock)"]},"message":"container ci started"}` + "\n"
	path := filepath.Join(t.TempDir(), "log.json")
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, summary bytes.Buffer
	res, err := Replay(ReplayConfig{Files: []string{path}, Policy: policy.Default(rules.Names()), Format: output.FormatJSON,
		MinSeverity: record.Warn, Out: &out, Summary: &summary})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 0 || !strings.Contains(out.String(), `"dangerous-container"`) {
		t.Errorf("skipped %d; replay wrote %q", res.Skipped, out.String())
	}
}
