package monitor

import (
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func execAt(pid uint32, exe string, at time.Time) *record.Record {
	return &record.Record{Time: at, Event: "exec", Process: &record.Process{PID: pid, Exe: []byte(exe)}, Exec: &record.Exec{}}
}

// The second exec of a pair names the first, whichever it is; a middle
// program names both of its neighbours that came first.
func TestPipesJoinTheTwoEndsInEitherOrder(t *testing.T) {
	var ps pipes
	t0 := time.Unix(1000, 0)

	curl := execAt(10, "/usr/bin/curl", t0)
	ps.join(curl, 0, 77)
	sh := execAt(11, "/usr/bin/dash", t0)
	ps.join(sh, 77, 0)
	if curl.Exec.StdoutTo != nil || sh.Exec.StdinFrom == nil || sh.Exec.StdinFrom.PID != 10 {
		t.Errorf("writer first: curl.StdoutTo=%v sh.StdinFrom=%v", curl.Exec.StdoutTo, sh.Exec.StdinFrom)
	}

	sh2 := execAt(21, "/usr/bin/dash", t0)
	ps.join(sh2, 88, 0)
	b64 := execAt(20, "/usr/bin/base64", t0)
	echo := execAt(19, "/usr/bin/echo", t0)
	ps.join(echo, 0, 99)
	ps.join(b64, 99, 88) // echo | base64 -d | sh, base64 last
	if b64.Exec.StdoutTo == nil || b64.Exec.StdoutTo.PID != 21 || b64.Exec.StdinFrom == nil || b64.Exec.StdinFrom.PID != 19 {
		t.Errorf("middle last: StdinFrom=%v StdoutTo=%v", b64.Exec.StdinFrom, b64.Exec.StdoutTo)
	}

	// an end is forgotten after the TTL
	w := execAt(30, "/usr/bin/curl", t0)
	ps.join(w, 0, 55)
	late := execAt(31, "/usr/bin/dash", t0.Add(pipeTTL+time.Second))
	ps.join(late, 55, 0)
	if late.Exec.StdinFrom != nil {
		t.Errorf("an end older than %v was joined: %v", pipeTTL, late.Exec.StdinFrom)
	}
}

func TestPipesKeepBoundedEnds(t *testing.T) {
	var ps pipes
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3*pipeLimit; i++ {
		ps.join(execAt(uint32(i), "/bin/cat", t0), uint64(i+1), uint64(i+1+1<<40))
	}
	if len(ps.readers) > pipeLimit || len(ps.writers) > pipeLimit {
		t.Errorf("%d readers, %d writers kept; at most %d each", len(ps.readers), len(ps.writers), pipeLimit)
	}
}
