package proc

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestUpsertGetRemove(t *testing.T) {
	tab := NewTable(16)
	if tab.Get(42) != nil {
		t.Fatal("empty table returned a process")
	}
	p := tab.Upsert(42)
	if p == nil || p.PID != 42 || tab.Len() != 1 {
		t.Fatalf("Upsert(42) = %+v, Len %d", p, tab.Len())
	}
	p.Exe, p.Comm, p.PPID, p.UID = "/usr/bin/bash", "bash", 1, 1000
	if got := tab.Get(42); got != p {
		t.Errorf("Get(42) = %+v, want the upserted entry", got)
	}
	if again := tab.Upsert(42); again != p || again.Exe != "/usr/bin/bash" || tab.Len() != 1 {
		t.Errorf("second Upsert(42) = %+v (Len %d), want the same entry", again, tab.Len())
	}
	tab.Remove(42)
	if tab.Get(42) != nil || tab.Len() != 0 {
		t.Errorf("after Remove: Get = %+v, Len %d", tab.Get(42), tab.Len())
	}
	tab.Remove(42) // unknown pid: no-op
	tab.Remove(7)
	if tab.Len() != 0 || tab.Evictions() != 0 {
		t.Errorf("Len %d, Evictions %d", tab.Len(), tab.Evictions())
	}
}

func TestForkChildStartsAsCopyOfParent(t *testing.T) {
	tab := NewTable(16)
	parent := tab.Upsert(100)
	parent.PPID, parent.Exe, parent.Comm, parent.UID = 1, "/usr/bin/bash", "bash", 1000

	// a pid reused after an exit that was missed
	stale := tab.Upsert(200)
	stale.Exited, stale.Exe = true, "/old"

	c := tab.Fork(100, 200)
	want := Process{PID: 200, PPID: 100, Exe: "/usr/bin/bash", Comm: "bash", UID: 1000}
	if c.PID != want.PID || c.PPID != want.PPID || c.Exe != want.Exe || c.Comm != want.Comm || c.UID != want.UID || c.Exited {
		t.Errorf("Fork child = %+v, want %+v", *c, want)
	}
	if tab.Get(200) != c {
		t.Error("child not in the table")
	}
}

func TestForkOfUnknownParentKeepsThePPID(t *testing.T) {
	tab := NewTable(16)
	c := tab.Fork(100, 200)
	if c.PPID != 100 || c.Exe != "" || tab.Len() != 1 {
		t.Errorf("Fork child = %+v, Len %d", *c, tab.Len())
	}
}

// chain puts pids[i] in the table with pids[i+1] as parent; the last has ppid 0.
func chain(tab *Table, pids ...uint32) {
	for i, pid := range pids {
		p := tab.Upsert(pid)
		p.Exe = "/bin/p" + strconv.Itoa(int(pid))
		if i+1 < len(pids) {
			p.PPID = pids[i+1]
		}
	}
}

func TestAncestryIsNearestFirst(t *testing.T) {
	tab := NewTable(64)
	chain(tab, 30, 20, 10, 1)
	got := tab.Ancestry(nil, 30)
	want := []Ancestor{{PID: 20, Exe: "/bin/p20"}, {PID: 10, Exe: "/bin/p10"}, {PID: 1, Exe: "/bin/p1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestry(30) = %+v, want %+v", got, want)
	}
	if got := tab.Ancestry(nil, 1); len(got) != 0 {
		t.Errorf("Ancestry(init) = %+v, want none", got)
	}
	if got := tab.Ancestry(nil, 999); len(got) != 0 {
		t.Errorf("Ancestry(unknown) = %+v, want none", got)
	}
}

func TestAncestryAppendsToDst(t *testing.T) {
	tab := NewTable(64)
	chain(tab, 3, 2)
	dst := []Ancestor{{PID: 77}}
	got := tab.Ancestry(dst, 3)
	if want := []Ancestor{{PID: 77, Exe: ""}, {PID: 2, Exe: "/bin/p2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestry = %+v, want %+v", got, want)
	}
}

func TestAncestryStopsAtAnUnknownParent(t *testing.T) {
	tab := NewTable(64)
	chain(tab, 30, 20)
	tab.Get(20).PPID = 5 // 5 is not in the table
	got := tab.Ancestry(nil, 30)
	want := []Ancestor{{PID: 20, Exe: "/bin/p20"}, {PID: 5, Exe: ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestry(30) = %+v, want %+v", got, want)
	}
}

func TestAncestryIsCappedAtMaxAncestry(t *testing.T) {
	tab := NewTable(64)
	var pids []uint32
	for pid := uint32(100); pid > 80; pid-- {
		pids = append(pids, pid)
	}
	chain(tab, pids...)
	got := tab.Ancestry(nil, 100)
	if len(got) != MaxAncestry {
		t.Fatalf("%d ancestors, want %d", len(got), MaxAncestry)
	}
	for i, a := range got {
		if a.PID != 99-uint32(i) {
			t.Errorf("ancestor %d is pid %d, want %d", i, a.PID, 99-i)
		}
	}
}

func TestAncestryTerminatesOnAPPIDLoop(t *testing.T) {
	tests := []struct {
		name  string
		ppids map[uint32]uint32
		from  uint32
		max   int
	}{
		{"own parent", map[uint32]uint32{5: 5}, 5, 0},
		{"two-process loop", map[uint32]uint32{5: 6, 6: 5}, 5, 1},
		{"loop above the process", map[uint32]uint32{5: 6, 6: 7, 7: 8, 8: 7}, 5, MaxAncestry},
		{"parent is its own parent", map[uint32]uint32{5: 6, 6: 6}, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := NewTable(64)
			for pid, ppid := range tt.ppids {
				tab.Upsert(pid).PPID = ppid
			}
			got := tab.Ancestry(nil, tt.from)
			if len(got) > tt.max {
				t.Errorf("%d ancestors (%v), want at most %d", len(got), got, tt.max)
			}
		})
	}
}

func TestFullTableEvictsTheLeastRecentlyTouched(t *testing.T) {
	const max = 16
	tab := NewTable(max)
	for pid := uint32(1); pid <= max; pid++ {
		tab.Upsert(pid)
	}
	tab.Get(1)               // touched: now the most recent
	tab.Upsert(2).Exe = "/x" // touched by Upsert
	tab.Fork(1, 3)           // the child is touched
	for pid := uint32(101); pid <= 110; pid++ {
		tab.Upsert(pid)
	}
	if tab.Len() != max || tab.Evictions() != 10 {
		t.Fatalf("Len %d, Evictions %d; want %d, 10", tab.Len(), tab.Evictions(), max)
	}
	// untouched 4..13 went first
	for pid := uint32(4); pid <= 13; pid++ {
		if tab.Get(pid) != nil {
			t.Errorf("pid %d survived", pid)
		}
	}
	for _, pid := range []uint32{1, 2, 3, 14, 15, 16, 101, 110} {
		if tab.Get(pid) == nil {
			t.Errorf("pid %d was evicted", pid)
		}
	}
	if tab.Get(2).Exe != "/x" {
		t.Error("surviving entry lost its data")
	}
}

func TestRemoveMakesRoomWithoutEviction(t *testing.T) {
	tab := NewTable(2)
	tab.Upsert(1)
	tab.Upsert(2)
	tab.Remove(1)
	tab.Upsert(3)
	if tab.Len() != 2 || tab.Evictions() != 0 || tab.Get(2) == nil {
		t.Errorf("Len %d, Evictions %d", tab.Len(), tab.Evictions())
	}
}

func TestNewTableHoldsAtLeastOne(t *testing.T) {
	tab := NewTable(0)
	tab.Upsert(1)
	tab.Upsert(2)
	if tab.Len() != 1 || tab.Evictions() != 1 || tab.Get(2) == nil {
		t.Errorf("Len %d, Evictions %d", tab.Len(), tab.Evictions())
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		stat string
		comm string
		ppid uint32
		ok   bool
	}{
		{"plain", "42 (bash) S 1 42 42 34816 42 4194304 100 0 0 0\n", "bash", 1, true},
		{"comm with spaces", "42 (tmux: server) S 7 42 42 0 -1\n", "tmux: server", 7, true},
		{"comm with parentheses", "42 (a (b) c) R 9 1 1\n", "a (b) c", 9, true},
		{"comm that fakes the next fields", "42 (x) S 99 (y) S 7 42 42\n", "x) S 99 (y", 7, true},
		{"empty comm", "42 () S 3 1\n", "", 3, true},
		{"no parentheses", "42 bash S 1 42\n", "", 0, false},
		{"no ppid", "42 (bash) S\n", "", 0, false},
		{"ppid not a number", "42 (bash) S x 1\n", "", 0, false},
		{"ppid out of range", "42 (bash) S 4294967296 1\n", "", 0, false},
		{"close before open", "42 )bash( S 1 2\n", "", 0, false},
		{"empty", "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comm, ppid, ok := parseStat([]byte(tt.stat))
			if comm != tt.comm || ppid != tt.ppid || ok != tt.ok {
				t.Errorf("parseStat(%q) = %q, %d, %v; want %q, %d, %v", tt.stat, comm, ppid, ok, tt.comm, tt.ppid, tt.ok)
			}
		})
	}
}

// fakeProc builds a procfs-like tree: pid -> stat text and exe link target
// (no link when empty, no stat file when stat is empty).
func fakeProc(t *testing.T, procs map[string][2]string) string {
	t.Helper()
	root := t.TempDir()
	for name, p := range procs {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if p[0] != "" {
			if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(p[0]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if p[1] != "" {
			if err := os.Symlink(p[1], filepath.Join(dir, "exe")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestSeedFromProcReadsAFakeProcfs(t *testing.T) {
	root := fakeProc(t, map[string][2]string{
		"1":    {"1 (systemd) S 0 1 1 0 -1\n", "/usr/lib/systemd/systemd"},
		"42":   {"42 (bash -x) S 1 42 42 0 -1\n", "/usr/bin/bash"},
		"43":   {"43 (kthreadd) S 0 0 0\n", ""}, // kernel thread: no exe
		"self": {"99 (impostor) S 1\n", "/bin/false"},
		"77":   {"", "/bin/nostat"},                   // raced with exit: no stat
		"78":   {"78 garbage\n", "/bin/garbage"},      // unparsable
		"x9":   {"9 (notapid) S 1\n", "/bin/notapid"}, // not a pid
	})
	tab := NewTable(64)
	if n := tab.SeedFromProc(root); n != 3 {
		t.Errorf("SeedFromProc = %d, want 3", n)
	}
	if tab.Len() != 3 {
		t.Errorf("Len = %d, want 3", tab.Len())
	}
	uid := uint32(os.Getuid()) // the temp dirs are ours
	for pid, want := range map[uint32]Process{
		1:  {PID: 1, PPID: 0, Comm: "systemd", Exe: "/usr/lib/systemd/systemd", UID: uid},
		42: {PID: 42, PPID: 1, Comm: "bash -x", Exe: "/usr/bin/bash", UID: uid},
		43: {PID: 43, PPID: 0, Comm: "kthreadd", Exe: "", UID: uid},
	} {
		p := tab.Get(pid)
		if p == nil {
			t.Errorf("pid %d not seeded", pid)
			continue
		}
		if p.PID != want.PID || p.PPID != want.PPID || p.Comm != want.Comm || p.Exe != want.Exe || p.UID != want.UID {
			t.Errorf("pid %d = %+v, want %+v", pid, *p, want)
		}
	}
	for _, pid := range []uint32{77, 78, 99, 9} {
		if tab.Get(pid) != nil {
			t.Errorf("pid %d seeded", pid)
		}
	}
	if got, want := tab.Ancestry(nil, 42), []Ancestor{{PID: 1, Exe: "/usr/lib/systemd/systemd"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ancestry(42) = %+v, want %+v", got, want)
	}
}

func TestSeedFromProcStopsAtCapacity(t *testing.T) {
	root := fakeProc(t, map[string][2]string{
		"1": {"1 (a) S 0\n", ""}, "2": {"2 (b) S 1\n", ""}, "3": {"3 (c) S 1\n", ""},
	})
	tab := NewTable(2)
	if n := tab.SeedFromProc(root); n != 2 || tab.Len() != 2 || tab.Evictions() != 0 {
		t.Errorf("SeedFromProc = %d, Len %d, Evictions %d; want 2, 2, 0", n, tab.Len(), tab.Evictions())
	}
}

func TestSeedFromProcWithoutProcfsAddsNothing(t *testing.T) {
	tab := NewTable(16)
	if n := tab.SeedFromProc(filepath.Join(t.TempDir(), "missing")); n != 0 || tab.Len() != 0 {
		t.Errorf("SeedFromProc = %d, Len %d", n, tab.Len())
	}
}

func TestSeedFromRealProcFindsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no procfs:", err)
	}
	tab := NewTable(1 << 20)
	if n := tab.SeedFromProc("/proc"); n < 1 {
		t.Fatalf("SeedFromProc(/proc) = %d", n)
	}
	p := tab.Get(uint32(os.Getpid()))
	if p == nil {
		t.Fatalf("pid %d not found in /proc", os.Getpid())
	}
	if p.PPID != uint32(os.Getppid()) {
		t.Errorf("ppid = %d, want %d", p.PPID, os.Getppid())
	}
	if comm, err := os.ReadFile("/proc/self/comm"); err == nil && p.Comm != strings.TrimSuffix(string(comm), "\n") {
		t.Errorf("comm = %q, want %q", p.Comm, comm)
	}
	if exe, err := os.Readlink("/proc/self/exe"); err == nil && p.Exe != exe {
		t.Errorf("exe = %q, want %q", p.Exe, exe)
	}
	if p.UID != uint32(os.Getuid()) {
		t.Errorf("uid = %d, want %d", p.UID, os.Getuid())
	}
}

func TestAnEntityIsOneProgramImageOfOneProcessOnOneBoot(t *testing.T) {
	a := EntityID("boot-1", 100, 5_000_000)
	if a != EntityID("boot-1", 100, 5_000_000) {
		t.Error("the same process, boot and start gave two ids")
	}
	for _, other := range []string{EntityID("boot-2", 100, 5_000_000), EntityID("boot-1", 101, 5_000_000), EntityID("boot-1", 100, 5_000_001)} {
		if other == a {
			t.Errorf("another boot, pid or start gave the same id %s", a)
		}
	}
	if len(a) != 20 {
		t.Errorf("id %q: want 20 characters", a)
	}
}

func TestStartTimeIsField22OfStat(t *testing.T) {
	stat := []byte("4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 18446744073709551615")
	if got := startTicks(stat); got != 123456 {
		t.Errorf("startTicks = %d, want 123456", got)
	}
	if got := startTicks([]byte("1 (x) S 0")); got != 0 {
		t.Errorf("a short stat: %d, want 0", got)
	}
}
