package monitor

import (
	"slices"
	"strconv"
	"strings"
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

// Two records are the same when the process, the rules and the object
// agree, whatever their messages say; a different file, peer or argument
// is a different record.  Before, the key was the English message.  (Rule-
// less syscall records fold on this key; alerts fold by incident.)
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

// One action is one alert, one incident is one alert: the alerts of one
// process for the same rules fold across objects (tar reading /etc), and
// those of its descendants fold into its incident (a reverse shell whose
// helpers inherit the socket).  The summary says what was folded.
// Different rules, and a sibling whose parent raised nothing, stay apart.
func TestAlertsFoldByIncident(t *testing.T) {
	outq := make(chan *record.Record, 64)
	p := newTestProcessor(outq)
	now := time.Now()
	read := func(pid uint32, path string, anc ...uint32) *record.Record {
		pr := &record.Process{PID: pid, Exe: []byte("/usr/bin/tar")}
		for _, a := range anc {
			pr.Ancestry = append(pr.Ancestry, record.Ancestor{PID: a})
		}
		return &record.Record{Event: "open", Message: "read " + path, Process: pr,
			Rules: []record.Rule{{Name: "credential-read"}}, File: &record.File{Path: []byte(path)}}
	}
	shell := func(pid uint32, anc ...uint32) *record.Record {
		pr := &record.Process{PID: pid, Exe: []byte("/usr/bin/bash"), Args: [][]byte{[]byte("bash"), []byte("-i")}}
		for _, a := range anc {
			pr.Ancestry = append(pr.Ancestry, record.Ancestor{PID: a, Exe: "/usr/bin/bash"})
		}
		return &record.Record{Event: "exec", Message: "shell", Process: pr, Severity: record.Critical,
			Rules: []record.Rule{{Name: "reverse-shell", Severity: record.Critical}}, Exec: &record.Exec{}}
	}
	printed := func(r *record.Record) bool { return !p.foldAlert(r, now) }

	// tar: four credential files, one line
	for i, path := range []string{"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/shadow"} {
		if got := printed(read(10, path)); got != (i == 0) {
			t.Errorf("tar's read %d of %s printed = %v", i, path, got)
		}
	}
	// a reverse shell and the 3 helpers its .bashrc started, and a
	// grandchild: one incident
	if !printed(shell(20, 1)) {
		t.Error("the first reverse-shell alert was folded")
	}
	for _, pid := range []uint32{21, 22, 23} {
		if printed(shell(pid, 20, 1)) {
			t.Errorf("helper %d of the reverse shell printed a line of its own", pid)
		}
	}
	if printed(shell(24, 23, 20, 1)) {
		t.Error("a grandchild of the reverse shell printed a line of its own")
	}
	// bash -i beside it: a weaker info rule does not make another incident
	interactive := shell(25, 20, 1)
	interactive.Rules = append(interactive.Rules, record.Rule{Name: "network-code-in-command-line", Severity: record.Info})
	if printed(interactive) {
		t.Error("an info rule beside reverse-shell split the incident")
	}
	// apart: the reverse shell's next program (an exec replaces it: a new
	// alert), another rule on the same process, a sibling of tar
	next := shell(20, 1)
	next.Process.Exe = []byte("/memfd:x (deleted)")
	if !printed(next) {
		t.Error("a process's next program was folded into its previous one's alert")
	}
	other := read(10, "/etc/shadow")
	other.Rules = []record.Rule{{Name: "credential-hunting"}}
	if !printed(other) {
		t.Error("a different rule on the same process was folded")
	}
	if !printed(read(11, "/etc/shadow", 1)) {
		t.Error("a sibling process whose parent raised nothing was folded")
	}

	p.sweepAlerts(now.Add(time.Minute), 0)
	sums := map[string]*record.Record{}
	for len(outq) > 0 {
		r := <-outq
		sums[r.Rules[0].Name+"/"+strconv.Itoa(int(r.Process.PID))] = r
	}
	tar := sums["credential-read/10"]
	if tar == nil || tar.Repeats != 4 || tar.Folded == nil || tar.Folded.ObjectCount != 3 ||
		!slices.Equal(tar.Folded.Objects, []string{"/etc/shadow-", "/etc/gshadow", "/etc/gshadow-"}) || tar.Folded.PIDCount != 0 {
		t.Errorf("tar's summary: %+v", tar)
	} else if !strings.Contains(tar.Message, "3 other objects: /etc/shadow-, /etc/gshadow, /etc/gshadow-") {
		t.Errorf("tar's summary message: %s", tar.Message)
	}
	rs := sums["reverse-shell/20"]
	if rs == nil || rs.Repeats != 5 || rs.Folded == nil || rs.Folded.PIDCount != 5 ||
		!slices.Equal(rs.Folded.PIDs, []uint32{21, 22, 23, 24, 25}) || rs.Folded.ObjectCount != 0 {
		t.Errorf("the reverse shell's summary: %+v", rs)
	} else if !strings.Contains(rs.Message, "from 5 other processes of this incident: 21, 22, 23, 24, 25") {
		t.Errorf("the reverse shell's summary message: %s", rs.Message)
	}
	if len(sums) != 2 {
		t.Errorf("%d summaries, want 2 (the alerts that were never repeated have none): %v", len(sums), sums)
	}
}

// A record only the console would see, and the console does not show, is
// not queued; with a log file it is (the file keeps every record).
func TestConsoleOnlyFilteringHappensBeforeTheQueue(t *testing.T) {
	for _, logFile := range []string{"", "/var/log/monitor.json"} {
		outq := make(chan *record.Record, 4)
		p := newProcessor(&Config{Events: map[string]bool{"exec": true}, LogFile: logFile}, outq)
		p.queue(&record.Record{Event: "exit"})
		p.queue(&record.Record{Event: "exec"})
		if want := map[string]int{"": 1, "/var/log/monitor.json": 2}[logFile]; len(outq) != want {
			t.Errorf("log file %q: %d records queued, want %d", logFile, len(outq), want)
		}
		if p.byEvent["exit"] != 1 {
			t.Errorf("log file %q: the exit was not counted", logFile)
		}
	}
}
