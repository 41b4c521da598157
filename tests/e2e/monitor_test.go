// Package e2e runs the real binary as root against this machine's kernel:
// the BPF programs are loaded, real processes trigger real events, and the
// tests read the monitor's real output.
//
// `make test` sets MONITOR_BIN and E2E_REQUIRED=1: then a missing binary or
// missing root is a failure, never a skip.  A plain `go test ./...` by a
// developer without root skips these tests and says why.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var monitorBin string

func TestMain(m *testing.M) {
	monitorBin = os.Getenv("MONITOR_BIN")
	required := os.Getenv("E2E_REQUIRED") == "1"
	why := ""
	switch {
	case monitorBin == "":
		why = "MONITOR_BIN is not set (run `make test`)"
	case os.Geteuid() != 0:
		why = "not root: the monitor loads BPF programs (run `sudo make test`)"
	}
	if why == "" {
		if _, err := os.Stat(monitorBin); err != nil {
			why = fmt.Sprintf("MONITOR_BIN %s: %v", monitorBin, err)
		}
	}
	if why != "" {
		if required {
			fmt.Fprintf(os.Stderr, "FAIL: end-to-end tests cannot run: %s\n", why)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "skipping end-to-end tests: %s\n", why)
		os.Exit(0)
	}
	code := m.Run()
	if helperPath != "" && helperErr == nil && os.Getenv("E2E_HELPER") == "" {
		os.RemoveAll(filepath.Dir(helperPath)) // the helper built by priv_test.go
	}
	os.Exit(code)
}

// rec is one JSON record of the monitor's output.
type rec map[string]any

func (r rec) str(path ...string) string {
	v := r.get(path...)
	s, _ := v.(string)
	return s
}

func (r rec) num(path ...string) float64 {
	v := r.get(path...)
	f, _ := v.(float64)
	return f
}

func (r rec) get(path ...string) any {
	var cur any = map[string]any(r)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (r rec) strs(path ...string) []string {
	arr, _ := r.get(path...).([]any)
	out := make([]string, 0, len(arr))
	for _, v := range arr {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// lockedBuffer is a bytes.Buffer the monitor's stderr may be copied into
// while a test reads it: exec.Cmd writes from its own goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// monitor is a running ebpf-log-monitor.
type monitor struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr lockedBuffer

	mu      sync.Mutex
	records []rec
	lines   []string
	bad     []string // lines that were not valid JSON
	newLine chan struct{}
	done    chan struct{}
}

// startMonitor runs the binary with JSON output and waits for its start
// record.
func startMonitor(t *testing.T, args ...string) *monitor {
	t.Helper()
	args = append([]string{"-f", "json", "--events", "all", "-i", "0"}, args...)
	return startMonitorRaw(t, isMonitorStart, args...)
}

// isMonitorStart is the monitor's start record.
func isMonitorStart(r rec) bool { return r.str("event") == "start" && r.str("category") == "monitor" }

// startMonitorRaw runs the binary with exactly args and waits for the
// record that started says is the start record.
func startMonitorRaw(t *testing.T, started func(rec) bool, args ...string) *monitor {
	t.Helper()
	return startMonitorCmd(t, started, monitorBin, args...)
}

// startMonitorCmd runs the monitor through name (a wrapper that execs it,
// or the monitor itself) and waits for the start record.
func startMonitorCmd(t *testing.T, started func(rec) bool, name string, args ...string) *monitor {
	t.Helper()
	m := &monitor{t: t, newLine: make(chan struct{}, 1), done: make(chan struct{})}
	m.cmd = exec.Command(name, args...)
	m.cmd.Stderr = &m.stderr
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", monitorBin, err)
	}
	go m.read(out)
	t.Cleanup(func() {
		if m.cmd.ProcessState == nil {
			m.cmd.Process.Kill()
			m.cmd.Wait()
		}
	})
	m.waitFor(t, 30*time.Second, "start record", started)
	return m
}

func (m *monitor) read(out io.Reader) {
	defer close(m.done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var r rec
		err := json.Unmarshal([]byte(line), &r)
		m.mu.Lock()
		m.lines = append(m.lines, line)
		if err != nil {
			m.bad = append(m.bad, line)
		} else {
			m.records = append(m.records, r)
		}
		m.mu.Unlock()
		select {
		case m.newLine <- struct{}{}:
		default:
		}
	}
}

// firstFrom returns the first record from index *seen on that matches pred,
// and moves *seen past what it read: a wait reads each record once, so a
// long run's output is not scanned again for every new line (which held the
// lock long enough to slow the reader below the monitor's pace).
func (m *monitor) firstFrom(seen *int, pred func(rec) bool) (rec, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ; *seen < len(m.records); *seen++ {
		if r := m.records[*seen]; pred(r) {
			return r, true
		}
	}
	return nil, false
}

// find returns the records matching pred so far.
func (m *monitor) find(pred func(rec) bool) []rec {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []rec
	for _, r := range m.records {
		if pred(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor returns the first record matching pred, failing after timeout.
func (m *monitor) waitFor(t *testing.T, timeout time.Duration, what string, pred func(rec) bool) rec {
	t.Helper()
	deadline := time.After(timeout)
	seen := 0
	for {
		if r, ok := m.firstFrom(&seen, pred); ok {
			return r
		}
		select {
		case <-m.newLine:
		case <-m.done:
			if r, ok := m.firstFrom(&seen, pred); ok {
				return r
			}
			t.Fatalf("monitor exited before %s; stderr:\n%s", what, m.stderr.String())
		case <-deadline:
			t.Fatalf("no %s within %v; stderr:\n%s\nlast output:\n%s", what, timeout, m.stderr.String(), m.tail(20))
		}
	}
}

// statsAfter waits for the first stats record made after a time (the
// monitor runs with -i).
func (m *monitor) statsAfter(t *testing.T, after time.Time) rec {
	t.Helper()
	return m.waitFor(t, 10*time.Second, "stats record", func(r rec) bool {
		if r.str("event") != "stats" {
			return false
		}
		ts, _ := time.Parse(time.RFC3339Nano, r.str("time"))
		return ts.After(after)
	})
}

func (m *monitor) tail(n int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	from := len(m.lines) - n
	if from < 0 {
		from = 0
	}
	return strings.Join(m.lines[from:], "\n")
}

var drainSeq atomic.Uint64

// drain returns once the monitor has read every record the kernel made
// before the call: it runs /bin/true with a unique marker and waits for that
// exec's record.  The ring buffer keeps the order in which records were
// made, across CPUs, and one goroutine reads it, so whatever a finished
// process did is in before the marker.  Assert absence after it, never after
// a sleep.
func (m *monitor) drain(t *testing.T) {
	t.Helper()
	marker := fmt.Sprintf("e2e-drain-%d-%d", os.Getpid(), drainSeq.Add(1))
	if err := exec.Command("/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	m.waitFor(t, 10*time.Second, "drain marker "+marker, func(r rec) bool {
		if r.str("event") != "exec" {
			return false
		}
		args := r.strs("process", "args")
		return len(args) == 2 && args[1] == marker
	})
}

// stop sends SIGTERM and returns the exit code.
func (m *monitor) stop(t *testing.T) int {
	t.Helper()
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { <-m.done; exited <- m.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		// a hang, not a slow stop: Debian's 6.1 releases its hooks in
		// about 3 s under emulation (detach_ms)
		m.cmd.Process.Kill()
		t.Fatalf("monitor did not exit within 30s of SIGTERM; stderr:\n%s", m.stderr.String())
	}
	return m.cmd.ProcessState.ExitCode()
}

func (m *monitor) assertAllJSON(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range m.bad {
		t.Errorf("output line is not valid JSON: %q", l)
	}
}

func pidIs(pid int) func(rec) bool {
	return func(r rec) bool { return int(r.num("process", "pid")) == pid }
}

func and(preds ...func(rec) bool) func(rec) bool {
	return func(r rec) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}
}

func eventIs(name string) func(rec) bool {
	return func(r rec) bool { return r.str("event") == name }
}
