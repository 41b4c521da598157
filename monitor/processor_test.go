package monitor

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

func newTestProcessor(outq chan *record.Record) *processor {
	return newProcessor(&Config{Log: zerolog.Nop()}, outq)
}

// returnsWithin fails the test when f has not returned within a second.
func returnsWithin(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("%s blocked on a full output queue", what)
	}
}

// A stalled output must not stall capture: the monitor's own records wait
// aside, keep their order, and go out first when the queue has room.
// Before, emitMonitor blocked on the full queue, and with it the reader.
func TestMonitorRecordsNeverBlockAndKeepTheirOrder(t *testing.T) {
	outq := make(chan *record.Record, 2)
	p := newTestProcessor(outq)
	stats := func(i int) *record.Record { return &record.Record{Event: "stats", Message: string(rune('a' + i))} }

	for i := 0; i < 4; i++ {
		returnsWithin(t, "emitMonitor", func() { p.emitMonitor(stats(i)) })
	}
	// an event behind waiting monitor records is dropped and counted
	returnsWithin(t, "queue", func() { p.queue(&record.Record{Event: "exec"}) })
	if p.lostQueue != 1 {
		t.Errorf("lostQueue %d, want 1", p.lostQueue)
	}
	read := func(n int) (got string) {
		for i := 0; i < n; i++ {
			got += (<-outq).Message
		}
		return got
	}
	got := read(2)
	if !p.flushMonitor() {
		t.Fatal("flushMonitor: the queue had room for both waiting records")
	}
	got += read(2)
	p.queue(&record.Record{Event: "exec", Message: "e"})
	p.emitMonitor(stats(5))
	got += read(2)
	if got != "abcdef" {
		t.Errorf("records in the order %q, want abcdef", got)
	}
}

// Waiting monitor records are bounded: past maxPendingMonitor the oldest
// go, counted as queue loss.
func TestMonitorRecordsWaitingAreBounded(t *testing.T) {
	outq := make(chan *record.Record) // never has room
	p := newTestProcessor(outq)
	for i := 0; i < maxPendingMonitor+44; i++ {
		p.emitMonitor(&record.Record{Event: "stats"})
	}
	if len(p.pendingMonitor) != maxPendingMonitor || p.lostQueue != 44 {
		t.Errorf("%d waiting, %d lost; want %d and 44", len(p.pendingMonitor), p.lostQueue, maxPendingMonitor)
	}
}
