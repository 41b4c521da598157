package analytics_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const halfLife = 10 * time.Minute

func at(d time.Duration) time.Time { return t0.Add(d) }

func rule(name string, sev record.Severity) record.Rule {
	return record.Rule{Name: name, Severity: sev}
}

var (
	credRead = rule("credential-read", record.Warn)
	outbound = rule("suspicious-outbound", record.Warn)
	fromTmp  = rule("exec-from-writable-dir", record.Warn)
	revShell = rule("reverse-shell", record.Critical)
	info     = rule("some-info-rule", record.Info)
)

// alert is a record of pid (exe) with its ancestry, parent first, that
// matched rules.
func alert(pid uint32, exe string, ancestry []record.Ancestor, rules ...record.Rule) *record.Record {
	return &record.Record{Event: "exec", Process: &record.Process{PID: pid, UID: 1000, EUID: 1000, Exe: []byte(exe),
		Ancestry: ancestry}, Rules: rules}
}

func find(top []record.Suspect, pid uint32) *record.Suspect {
	for i := range top {
		if top[i].PID == pid {
			return &top[i]
		}
	}
	return nil
}

func pids(top []record.Suspect) []uint32 {
	var out []uint32
	for _, s := range top {
		out = append(out, s.PID)
	}
	return out
}

func TestAChainOfDifferentRulesOutranksAOneOffAndARepetition(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tree := []record.Ancestor{{PID: 200, Exe: "/usr/bin/bash"}, {PID: 100, Exe: "/usr/sbin/sshd"}, {PID: 1, Exe: "/sbin/init"}}
	// the chain: read a key, dial out, run a dropped binary (one process)
	tr.Alert(alert(300, "/usr/bin/python3", tree, credRead), at(0))
	tr.Alert(alert(300, "/usr/bin/python3", tree, outbound), at(time.Second))
	tr.Alert(alert(300, "/tmp/x", tree, fromTmp), at(2*time.Second))
	// a one-off shadow read
	tr.Alert(alert(400, "/usr/bin/cat", nil, credRead), at(0))
	// the same rule three times
	for i := range 3 {
		tr.Alert(alert(500, "/usr/bin/curl", nil, outbound), at(time.Duration(i)*time.Second))
	}

	top := tr.Top(10, at(3*time.Second))
	if len(top) == 0 || top[0].PID != 300 {
		t.Fatalf("top = %v, want pid 300 first", pids(top))
	}
	chain, once, repeat := find(top, 300), find(top, 400), find(top, 500)
	if once == nil || repeat == nil {
		t.Fatalf("top = %v, want 400 and 500 listed", pids(top))
	}
	if !(chain.Score > repeat.Score && repeat.Score > once.Score) {
		t.Errorf("scores chain %.1f, repetition %.1f, one-off %.1f: want them in that order", chain.Score, repeat.Score, once.Score)
	}
	if chain.Exe != "/tmp/x" || !chain.First.Equal(at(0)) || !chain.Last.Equal(at(2*time.Second)) || !chain.Alive {
		t.Errorf("chain = %+v, want exe /tmp/x, first %v, last %v, alive", chain, at(0), at(2*time.Second))
	}
	wantRules := []record.RuleCount{{Name: "credential-read", Count: 1}, {Name: "exec-from-writable-dir", Count: 1},
		{Name: "suspicious-outbound", Count: 1}}
	if !slices.Equal(chain.Rules, wantRules) {
		t.Errorf("chain rules = %v, want %v", chain.Rules, wantRules)
	}
	if want := []record.RuleCount{{Name: "suspicious-outbound", Count: 3}}; !slices.Equal(repeat.Rules, want) {
		t.Errorf("repetition rules = %v, want %v", repeat.Rules, want)
	}
	// the shell that ran the chain is listed too, with the rules of its child
	if parent := find(top, 200); parent == nil || len(parent.Rules) != 3 || parent.Score >= chain.Score {
		t.Errorf("parent 200 = %+v, want listed below the chain with three rules", parent)
	}
}

func TestAncestorsHearOfANewKindAtHalfTheWeightPerLevel(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(50, "/usr/bin/bash", []record.Ancestor{
		{PID: 40, Exe: "/usr/sbin/nginx"}, {PID: 30, Exe: "/usr/sbin/nginx"},
		{PID: 20, Exe: "/usr/lib/systemd/systemd"}, {PID: 10, Exe: "/usr/bin/bash"},
	}, revShell), t0)
	top := tr.Top(10, t0)
	want := map[uint32]float64{50: 100, 40: 50, 30: 25} // two levels up, no further
	if len(top) != len(want) || tr.Len() != len(want) {
		t.Fatalf("top = %v (tracking %d), want pids 50, 40, 30", pids(top), tr.Len())
	}
	for _, s := range top {
		if s.Score != want[s.PID] {
			t.Errorf("pid %d: score %.1f, want %.1f", s.PID, s.Score, want[s.PID])
		}
	}
	if got := pids(top); !slices.Equal(got, []uint32{50, 40, 30}) {
		t.Errorf("order = %v, want 50 40 30", got)
	}
	if s := find(top, 40); s.Exe != "/usr/sbin/nginx" || len(s.Rules) != 1 || s.Rules[0] != (record.RuleCount{Name: "reverse-shell", Count: 1}) {
		t.Errorf("ancestor 40 = %+v, want nginx with reverse-shell once", s)
	}
}

func TestPID1IsNeverScored(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(60, "/tmp/x", []record.Ancestor{{PID: 1, Exe: "/sbin/init"}}, fromTmp), t0)
	tr.Alert(alert(61, "/tmp/y", []record.Ancestor{{PID: 55, Exe: "/usr/bin/bash"}, {PID: 1, Exe: "/sbin/init"}}, fromTmp), t0)
	top := tr.Top(10, t0)
	if find(top, 1) != nil {
		t.Errorf("pid 1 scored: %v", top)
	}
	if got := pids(top); !slices.Equal(got, []uint32{60, 61, 55}) {
		t.Errorf("top = %v, want 60 61 55", got)
	}
}

func TestRecordsWithoutRulesOrProcessAreNotScored(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(70, "/usr/bin/ls", nil), t0)
	tr.Alert(&record.Record{Rules: []record.Rule{revShell}}, t0)
	if tr.Len() != 0 {
		t.Errorf("tracking %d processes, want 0", tr.Len())
	}
}

func TestScoresDecayWithTheHalfLife(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(80, "/usr/bin/bash", nil, revShell), t0)
	for _, tt := range []struct {
		at   time.Duration
		want float64
	}{
		{0, 100},
		{halfLife / 2, 70.7}, // 100 / sqrt(2)
		{halfLife, 50},
		{2 * halfLife, 25},
	} {
		top := tr.Top(5, at(tt.at))
		if len(top) != 1 || top[0].Score != tt.want {
			t.Errorf("after %v: top = %+v, want score %.1f", tt.at, top, tt.want)
		}
	}
	// a new kind adds to what is left (a repeat would add almost nothing)
	tr.Alert(alert(80, "/usr/bin/bash", nil, credRead), at(halfLife))
	if top := tr.Top(5, at(halfLife)); len(top) != 1 || top[0].Score != 65 {
		t.Errorf("50 left + 10 * 1.5 (the second kind): top = %+v, want 65", top)
	}
	if top := tr.Top(5, at(2*halfLife)); len(top) != 1 || top[0].Score != 32.5 {
		t.Errorf("one half-life after the second alert: top = %+v, want 32.5", top)
	}
}

func TestExitedKeepsTheEntry(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(90, "/tmp/x", nil, fromTmp), t0)
	tr.Exited(90)
	tr.Exited(12345) // unknown: nothing happens
	top := tr.Top(5, t0)
	if len(top) != 1 || top[0].PID != 90 || top[0].Alive || top[0].Score != 10 {
		t.Errorf("top = %+v, want pid 90 with score 10, not alive", top)
	}
	if tr.Len() != 1 {
		t.Errorf("tracking %d, want 1", tr.Len())
	}
}

func TestTopCapsAndOrders(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(5, "/a", nil, credRead), t0)           // 10
	tr.Alert(alert(4, "/b", nil, revShell), t0)           // 100
	tr.Alert(alert(3, "/c", nil, info), t0)               // 1
	tr.Alert(alert(2, "/d", nil, revShell, credRead), t0) // 100 + 10 * 1.5 for the second kind
	tr.Alert(alert(1, "/e", nil, credRead), t0)           // 10, ties with pid 5
	tests := []struct {
		n    int
		want []uint32
	}{
		{0, nil},
		{1, []uint32{2}},
		{3, []uint32{2, 4, 1}},
		{10, []uint32{2, 4, 1, 5, 3}},
	}
	for _, tt := range tests {
		if got := pids(tr.Top(tt.n, t0)); !slices.Equal(got, tt.want) {
			t.Errorf("Top(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
	if s := tr.Top(1, t0)[0]; s.Score != 115 {
		t.Errorf("two rules in one alert: score %.1f, want 115", s.Score)
	}
}

func TestCapacityEvictsTheLeastRisky(t *testing.T) {
	tr := analytics.New(halfLife, 3)
	tr.Alert(alert(1001, "/a", nil, revShell), t0) // 40
	tr.Alert(alert(1002, "/b", nil, credRead), t0) // 10
	tr.Alert(alert(1003, "/c", nil, info), t0)     // 1
	if tr.Len() != 3 || tr.Evictions() != 0 {
		t.Fatalf("tracking %d, evicted %d; want 3, 0", tr.Len(), tr.Evictions())
	}
	tr.Alert(alert(1001, "/a", nil, revShell), at(time.Second)) // known: no room needed
	if tr.Evictions() != 0 {
		t.Errorf("an alert of a tracked process evicted %d", tr.Evictions())
	}
	tr.Alert(alert(1004, "/d", nil, outbound, credRead), at(time.Second)) // 30
	if tr.Len() != 3 || tr.Evictions() != 1 {
		t.Errorf("after a 4th: tracking %d, evicted %d; want 3, 1", tr.Len(), tr.Evictions())
	}
	if got := pids(tr.Top(10, at(time.Second))); !slices.Equal(got, []uint32{1001, 1004, 1002}) {
		t.Errorf("top = %v, want 1001 1004 1002 (1003 evicted)", got)
	}
	tr.Alert(alert(1005, "/e", nil, revShell), at(2*time.Second))
	if got := pids(tr.Top(10, at(2*time.Second))); !slices.Equal(got, []uint32{1001, 1005, 1004}) || tr.Evictions() != 2 {
		t.Errorf("top = %v evicted %d, want 1001 1005 1004 and 2 (1002 evicted)", got, tr.Evictions())
	}
}

func TestTopForgetsDeadEntriesThatFaded(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(110, "/usr/bin/x", nil, info), t0) // 1: gone below 0.5 after one half-life
	tr.Alert(alert(111, "/usr/bin/y", nil, info), t0)
	tr.Exited(110)
	if got := pids(tr.Top(10, at(halfLife/2))); !slices.Equal(got, []uint32{110, 111}) {
		t.Errorf("at 0.7: top = %v, want both", got)
	}
	got := pids(tr.Top(10, at(2*halfLife)))
	if !slices.Equal(got, []uint32{111}) || tr.Len() != 1 {
		t.Errorf("at 0.25: top = %v tracking %d, want the live 111 only", got, tr.Len())
	}
	// a faded entry is gone for good: a new alert starts from zero
	tr.Alert(alert(110, "/usr/bin/x", nil, credRead), at(2*halfLife))
	if s := find(tr.Top(10, at(2*halfLife)), 110); s == nil || s.Score != 10 || !s.Alive ||
		!s.First.Equal(at(2*halfLife)) || len(s.Rules) != 1 {
		t.Errorf("pid 110 again = %+v, want a fresh entry with score 10", s)
	}
}

func TestAProcessScoredFirstAsAnAncestorGetsItsUIDWhenItAlerts(t *testing.T) {
	tr := analytics.New(halfLife, 100)
	tr.Alert(alert(121, "/tmp/x", []record.Ancestor{{PID: 120, Exe: "/usr/bin/bash"}}, fromTmp), t0)
	shell := alert(120, "/usr/bin/bash", nil, outbound)
	shell.Process.UID, shell.Process.EUID = 1001, 1001
	tr.Alert(shell, at(time.Second))
	if s := find(tr.Top(10, at(time.Second)), 120); s == nil || s.UID != 1001 {
		t.Errorf("pid 120 = %+v, want uid 1001 from its own alert", s)
	}
}

// What the benign day showed: a long-lived admin shell collected the whole
// day, and twenty folded loopback connects outweighed a critical alert.
// Now the process that acted carries its alerts; its shell hears of each
// kind once; repeats add almost nothing; one critical alert outweighs any
// number of repeats of a warning; and different kinds on one tree add up.
func TestTheProcessThatActedRanksAboveItsShell(t *testing.T) {
	tr := analytics.New(halfLife, 1000)
	admin := []record.Ancestor{{PID: 10, Exe: "/usr/bin/bash"}, {PID: 5, Exe: "/usr/sbin/sshd"}}
	// a day of commands, each its own process, the same warning 200 times
	for i := range 200 {
		tr.Alert(alert(uint32(1000+i), "/usr/bin/tar", admin, credRead), at(time.Duration(i)*time.Second))
	}
	// one process repeating a warning 10,000 times
	for i := range 10000 {
		tr.Alert(alert(20, "/usr/bin/curl", nil, outbound), at(time.Duration(i)*time.Millisecond))
	}
	// one critical alert
	tr.Alert(alert(30, "/usr/bin/bash", nil, revShell), at(200*time.Second))
	// a chain of warnings in one tree: a shell whose children read a key,
	// dial out, run a dropped binary
	chain := []record.Ancestor{{PID: 40, Exe: "/usr/bin/bash"}}
	tr.Alert(alert(41, "/usr/bin/cat", chain, credRead), at(200*time.Second))
	tr.Alert(alert(42, "/usr/bin/python3", chain, outbound), at(200*time.Second))
	tr.Alert(alert(43, "/tmp/x", chain, fromTmp), at(200*time.Second))

	top := tr.Top(1000, at(200*time.Second))
	score := func(pid uint32) float64 {
		if s := find(top, pid); s != nil {
			return s.Score
		}
		return 0
	}
	if top[0].PID != 30 {
		t.Errorf("top #1 = %d, want the critical alert's process 30; top %v", top[0].PID, pids(top))
	}
	if s := score(20); s > 2*weightWarn || s >= score(30) {
		t.Errorf("10,000 repeats of a warning scored %.1f: want at most two warnings' worth, below one critical (%.1f)", s, score(30))
	}
	if s := score(10); s > 0.5*weightWarn {
		t.Errorf("the admin shell scored %.1f from 200 commands' one kind of warning: want at most half a warning", s)
	}
	if score(40) <= score(10) || score(40) <= score(41) {
		t.Errorf("the chain's shell %.1f does not rank above the admin shell %.1f and its own child %.1f",
			score(40), score(10), score(41))
	}
	if s := find(top, 10); s == nil || s.Rules[0] != (record.RuleCount{Name: "credential-read", Count: 200}) {
		t.Errorf("the admin shell's rules should still count what its tree raised: %+v", s)
	}
}

const weightWarn = 10

// A ranked process names the container its alerts came from; the host's
// and an ancestor only heard of name none.
func TestTheRankingNamesEachSuspectsContainer(t *testing.T) {
	tr := analytics.New(time.Hour, 100)
	boxed := alert(50, "/bin/busybox", []record.Ancestor{{PID: 40, Exe: "/usr/bin/containerd-shim-runc-v2"}},
		rule("credential-read", record.Warn))
	boxed.Container = &record.Container{ID: strings.Repeat("ab", 32), Name: "web-1"}
	tr.Alert(boxed, at(0))
	tr.Alert(alert(60, "/usr/bin/cat", nil, rule("credential-read", record.Warn)), at(0))
	top := tr.Top(10, at(time.Second))
	if s := find(top, 50); s == nil || s.Container != strings.Repeat("ab", 6) || s.ContainerName != "web-1" {
		t.Errorf("the container's process = %+v, want container abababababab named web-1", s)
	}
	for _, pid := range []uint32{60, 40} {
		if s := find(top, pid); s == nil || s.Container != "" {
			t.Errorf("pid %d = %+v, want no container", pid, s)
		}
	}
}
