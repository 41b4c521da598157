package monitor

import (
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// A container's records wait for the API's answer in their order, leave
// with it, or leave without it once containerWait has passed; after such a
// timeout the container's next records do not wait again.
func TestContainerRecordsWaitForTheAnswerInOrder(t *testing.T) {
	outq := make(chan *record.Record, 16)
	p := newTestProcessor(outq)
	slow, silent := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	ask := make(chan string, 4)
	p.containers = containers{ask: ask, names: func(cg uint64) ([]string, bool) {
		if cg == 1 {
			return []string{slow, "docker", ""}, true
		}
		return []string{silent, "docker", ""}, true
	}}
	now := time.Unix(1000, 0)
	rec := func(cg uint64, pid uint32) bool {
		r := &record.Record{Event: "exec", Process: &record.Process{PID: pid}, Message: "m"}
		r.Container = p.containers.of(cg)
		return p.waits(r, now)
	}
	out := func() (pids []uint32, names []string) {
		for len(outq) > 0 {
			r := <-outq
			pid := uint32(0) // a container_start record: no process
			if r.Process != nil {
				pid = r.Process.PID
			}
			pids = append(pids, pid)
			names = append(names, r.Container.Name)
		}
		return
	}

	if !rec(1, 10) || !rec(1, 11) || !rec(2, 20) {
		t.Fatal("records of containers asked about did not wait")
	}
	if pids, _ := out(); len(pids) != 0 {
		t.Fatalf("records left before the answer: %v", pids)
	}
	p.onContainerMeta(container.Meta{ID: slow, Name: "web"})
	p.endWait(slow)
	if pids, names := out(); len(pids) != 3 || pids[1] != 10 || pids[2] != 11 || names[1] != "web" || names[2] != "web" {
		// the first is the container_start record of the answer
		t.Errorf("after the answer: pids %v names %v, want the start record, then 10 and 11 named web", pids, names)
	}
	if rec(1, 12) {
		t.Error("a record of an answered container waited")
	}

	p.sweepWaiting(now.Add(containerWait/2), containerWait)
	if pids, _ := out(); len(pids) != 0 {
		t.Errorf("before the wait is over: %v left", pids)
	}
	p.sweepWaiting(now.Add(containerWait), containerWait)
	if pids, names := out(); len(pids) != 1 || pids[0] != 20 || names[0] != "" {
		t.Errorf("the wait over: %v %v left, want 20 without a name", pids, names)
	}
	if rec(2, 21) {
		t.Error("a record of a container whose wait timed out waited again")
	}
}
