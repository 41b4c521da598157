package monitor

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
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

// bpfProgLoad is a process's bpf(BPF_PROG_LOAD) of a kprobe program.
func bpfProgLoad(pid uint32) *event.Syscall {
	return &event.Syscall{
		Header: event.Header{Type: event.TypeSyscall, PID: pid, TID: pid, PPID: 1, Comm: []byte("loader")},
		Nr:     321, Args: [6]uint64{5}, Deref: 2, Ret: 3,
	}
}

// The same call by the same process within the fold window is one record
// and then a count; after the window it is reported, and judged, again.
// Before, repeated() dropped it for the rest of the process's life, ahead
// of the rules: a second program load never alerted.
func TestRepeatedCallsFoldPerWindowNotForever(t *testing.T) {
	outq := make(chan *record.Record, 16)
	p := newTestProcessor(outq)
	pol := policy.Default(rules.Names())
	p.engine = rules.NewEngine(pol)
	loads := func() (alerts []*record.Record) {
		for {
			select {
			case r := <-outq:
				if r.Syscall != nil && r.Syscall.Name == "bpf" {
					alerts = append(alerts, r)
				}
			default:
				return alerts
			}
		}
	}

	p.emit(p.onSyscall(bpfProgLoad(4242)))
	p.emit(p.onSyscall(bpfProgLoad(4242)))
	p.emit(p.onSyscall(bpfProgLoad(4242)))
	got := loads()
	if len(got) != 1 || len(got[0].Rules) == 0 {
		t.Fatalf("3 identical loads in the window: %d records (%v), want 1 alert", len(got), got)
	}

	// the window closes: one summary with the count
	p.sweepAlerts(time.Now().Add(pol.FoldWindow), pol.FoldWindow)
	got = loads()
	if len(got) != 1 || got[0].Repeats != 2 {
		t.Fatalf("after the window: %v, want one summary with 2 repeats", got)
	}

	// the same call later is a new alert
	p.emit(p.onSyscall(bpfProgLoad(4242)))
	got = loads()
	if len(got) != 1 || len(got[0].Rules) == 0 || got[0].Repeats != 0 {
		t.Fatalf("the same load after the window: %v, want a new alert", got)
	}
}

// Two alerts are one when the process, the rules and the object agree,
// whatever their messages say; a different file, peer or argument is a
// different alert.  Before, the key was the English message.
func TestFoldKeyIsTheObjectNotTheMessage(t *testing.T) {
	proc := &record.Process{PID: 7, Exe: []byte("/usr/bin/cat")}
	rule := []record.Rule{{Name: "credential-read"}}
	file := func(path, msg string) *record.Record {
		return &record.Record{Event: "open", Message: msg, Process: proc, Rules: rule,
			File: &record.File{Path: []byte(path), Operation: "read"}}
	}
	sys := func(args ...record.Arg) *record.Record {
		return &record.Record{Event: "bpf", Process: proc, Rules: rule,
			Syscall: &record.Syscall{Name: "bpf", Args: args, Raw: [6]uint64{5, uint64(len(args)) * 0x7ffd0000}}}
	}
	key := func(r *record.Record) string { return string(appendFoldKey(nil, r)) }
	same := [][2]*record.Record{
		{file("/etc/shadow", "one wording"), file("/etc/shadow", "another wording")},
		// pointers differ between identical calls: only decoded values count
		{sys(record.Arg{Key: "cmd", Value: "BPF_PROG_LOAD"}), {Event: "bpf", Process: proc, Rules: rule,
			Syscall: &record.Syscall{Name: "bpf", Args: []record.Arg{{Key: "cmd", Value: "BPF_PROG_LOAD"}}, Raw: [6]uint64{5, 1}}}},
	}
	for _, c := range same {
		if key(c[0]) != key(c[1]) {
			t.Errorf("%q and %q should fold together", c[0].Message, c[1].Message)
		}
	}
	differ := [][2]*record.Record{
		{file("/etc/shadow", "m"), file("/etc/gshadow", "m")},
		// no concatenation collides: "ab"+"c" is not "a"+"bc"
		{{Event: "rename", Process: proc, Rules: rule, File: &record.File{Path: []byte("/ab"), TargetPath: []byte("c")}},
			{Event: "rename", Process: proc, Rules: rule, File: &record.File{Path: []byte("/a"), TargetPath: []byte("bc")}}},
		{sys(record.Arg{Key: "cmd", Value: "BPF_PROG_LOAD"}, record.Arg{Key: "prog_type", Value: "KPROBE"}),
			sys(record.Arg{Key: "cmd", Value: "BPF_PROG_LOAD"}, record.Arg{Key: "prog_type", Value: "XDP"})},
		{file("/etc/shadow", "m"), {Event: "open", Process: proc, Rules: []record.Rule{{Name: "other"}},
			File: &record.File{Path: []byte("/etc/shadow"), Operation: "read"}}},
	}
	for i, c := range differ {
		if key(c[0]) == key(c[1]) {
			t.Errorf("case %d: two different alerts share a fold key", i)
		}
	}
}

// The console repeats the ranking only when it changed, and the stop
// record counts severities since start, not over its last interval.
func TestStatsRankingOnChangeAndTotalsAtStop(t *testing.T) {
	outq := make(chan *record.Record, 64)
	p := newTestProcessor(outq)
	pol := policy.Default(rules.Names())
	p.engine = rules.NewEngine(pol)
	p.tracker = analytics.New(pol.HalfLife, pol.MaxTracked)
	alert := func(pid uint32) {
		p.emit(p.onSyscall(bpfProgLoad(pid)))
	}
	alert(4242)
	first := p.statsRecord(false).Monitor.Stats
	if len(first.Top) == 0 || first.TopUnchanged {
		t.Fatalf("first stats: top %v, unchanged %v; want a ranking, changed", first.Top, first.TopUnchanged)
	}
	if second := p.statsRecord(false).Monitor.Stats; !second.TopUnchanged {
		t.Errorf("nothing happened, yet the ranking is reported as changed")
	}
	alert(4343)
	if third := p.statsRecord(false).Monitor.Stats; third.TopUnchanged {
		t.Errorf("a new suspect, yet the ranking is reported unchanged")
	}
	stop := p.statsRecord(true).Monitor.Stats
	if stop.TopUnchanged || len(stop.Top) == 0 {
		t.Errorf("the stop record must carry the ranking")
	}
	if stop.BySeverity[record.Warn] < 2 {
		t.Errorf("stop record severity counts %v: want the totals since start (2 warn alerts at least)", stop.BySeverity)
	}
}
