// Package proc keeps the user-space process table: what each live process
// is (exe, comm, parent), fed by fork, exec and exit events, so every event
// can carry its ancestry.  The table has a fixed capacity; when full the
// least recently touched process is evicted and counted.
//
// The table is owned by one goroutine (the event processor): no locks.
package proc

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MaxAncestry is how many ancestors are attached to an event.
const MaxAncestry = 8

// Process is one table entry.
type Process struct {
	PID    uint32
	PPID   uint32
	Exe    string
	Root   string // a chrooted process's root directory, when seen
	Script string // the script an interpreter runs (scriptOf), or ""
	Comm   string
	UID    uint32
	Exited bool
	// Start is when this program image began, CLOCK_BOOTTIME ns: its exec,
	// else its fork, else /proc's start time (10 ms steps); 0 unknown.
	// EntityID names the image (ECS's process.entity_id), from Start.
	Start    uint64
	EntityID string

	elem *list.Element
}

// EntityID names one program image of one process on one boot: the same
// pid, exec'd again, is another entity.  Any monitor on the host computes
// the same id from the same kernel event.
func EntityID(bootID string, pid uint32, start uint64) string {
	var b [4 + 8]byte
	binary.LittleEndian.PutUint32(b[:4], pid)
	binary.LittleEndian.PutUint64(b[4:], start)
	h := sha256.New()
	h.Write([]byte(bootID))
	h.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:15])
}

// Started records that p's program image began at start (boottime ns).
func (t *Table) Started(p *Process, start uint64) {
	p.Start = start
	p.EntityID = EntityID(t.BootID, p.PID, start)
}

// Ancestor is one link of an event's ancestry chain.
type Ancestor struct {
	PID      uint32
	Exe      string
	Script   string // the script it runs, when an interpreter
	EntityID string // the parent's gives the event's process.parent_entity_id
}

// Table is the bounded process table.
type Table struct {
	BootID    string // /proc/sys/kernel/random/boot_id: entity ids are unique across boots
	max       int
	procs     map[uint32]*Process
	lru       *list.List // front = most recently touched
	evictions uint64
}

// NewTable returns an empty table holding at most max processes.
func NewTable(max int) *Table {
	if max < 1 {
		max = 1
	}
	return &Table{max: max, procs: make(map[uint32]*Process, min(max, 4096)), lru: list.New()}
}

// Len is the number of processes held.
func (t *Table) Len() int { return len(t.procs) }

// Evictions counts processes dropped because the table was full.
func (t *Table) Evictions() uint64 { return t.evictions }

// Get returns the process, or nil.
func (t *Table) Get(pid uint32) *Process {
	p := t.procs[pid]
	if p != nil {
		t.lru.MoveToFront(p.elem)
	}
	return p
}

// Upsert returns the entry for pid, creating it when absent.
func (t *Table) Upsert(pid uint32) *Process {
	if p := t.Get(pid); p != nil {
		return p
	}
	for len(t.procs) >= t.max {
		back := t.lru.Back()
		old := back.Value.(*Process)
		t.lru.Remove(back)
		delete(t.procs, old.PID)
		t.evictions++
	}
	p := &Process{PID: pid}
	p.elem = t.lru.PushFront(p)
	t.procs[pid] = p
	return p
}

// Fork records a new child of parent: it starts as a copy of its parent.
func (t *Table) Fork(parent, child uint32) *Process {
	c := t.Upsert(child)
	c.PPID = parent
	c.Exited = false
	if p := t.procs[parent]; p != nil {
		c.Exe, c.Comm, c.UID = p.Exe, p.Comm, p.UID
	}
	return c
}

// Remove forgets a process (after its exit was reported).
func (t *Table) Remove(pid uint32) {
	if p := t.procs[pid]; p != nil {
		t.lru.Remove(p.elem)
		delete(t.procs, pid)
	}
}

// Ancestry returns up to MaxAncestry ancestors of pid, nearest first,
// appended to dst.  It stops at pid 0, at an unknown process, or at a loop.
func (t *Table) Ancestry(dst []Ancestor, pid uint32) []Ancestor {
	p := t.procs[pid]
	if p == nil {
		return dst
	}
	next := p.PPID
	for i := 0; i < MaxAncestry && next != 0 && next != pid; i++ {
		a := t.procs[next]
		if a == nil {
			dst = append(dst, Ancestor{PID: next})
			break
		}
		dst = append(dst, Ancestor{PID: a.PID, Exe: a.Exe, Script: a.Script, EntityID: a.EntityID})
		if a.PPID == a.PID {
			break
		}
		next = a.PPID
	}
	return dst
}

// SeedFromProc fills the table with the processes already running, read
// once from procfs at start, so events of old processes have ancestry too.
// Returns the number of processes added.
func (t *Table) SeedFromProc(procfs string) int {
	ents, err := os.ReadDir(procfs)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil || n >= t.max {
			continue
		}
		dir := filepath.Join(procfs, e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		comm, ppid, ok := parseStat(stat)
		if !ok {
			continue
		}
		p := t.Upsert(uint32(pid))
		p.PPID = ppid
		p.Comm = comm
		if ticks := startTicks(stat); ticks > 0 {
			t.Started(p, ticks*(1e9/clockTicks))
		}
		if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
			p.Exe = exe
		}
		if st, err := os.Stat(dir); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				p.UID = sys.Uid
			}
		}
		n++
	}
	return n
}

// parseStat reads comm and ppid from /proc/PID/stat ("pid (comm) S ppid ...");
// comm may itself hold spaces and parentheses, so it ends at the last ')'.
func parseStat(b []byte) (comm string, ppid uint32, ok bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	v, err := strconv.ParseUint(statField(b, 1), 10, 32)
	if err != nil {
		return "", 0, false
	}
	return string(b[open+1 : end]), uint32(v), true
}

// statField is field i after the command in /proc/PID/stat (0: the
// state, 1: ppid, ...; proc(5) numbers them from 3), "" when there is none.
// The command may hold spaces and parentheses: it ends at the last ')'.
func statField(b []byte, i int) string {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return ""
	}
	rest := strings.Fields(string(b[end+1:]))
	if i >= len(rest) {
		return ""
	}
	return rest[i]
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// startTicks reads field 22 of /proc/PID/stat, the start time in ticks
// after boot; 0 when unreadable.
func startTicks(b []byte) uint64 {
	v, _ := strconv.ParseUint(statField(b, 19), 10, 64)
	return v
}

// PPIDOf reads pid's parent from /proc (for a process the table lacks).
func PPIDOf(pid uint32) (uint32, bool) {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0, false
	}
	_, ppid, ok := parseStat(b)
	return ppid, ok
}
