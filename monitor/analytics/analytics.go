// Package analytics keeps a risk score per process built from the alerts it
// and its descendants raise, decaying over time, and reports the most
// suspicious processes.  A tree that reads credentials, then dials out, then
// deletes its binary scores far above one that read /etc/shadow once: each
// alert adds its weight to the process and its ancestors, and a process
// earns a bonus for every distinct rule it (or its children) triggered.
//
// Memory is bounded: at most max processes are scored; when full, the least
// risky is evicted (counted).  Used by one goroutine.
package analytics

import (
	"math"
	"sort"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Weights of one alert by severity.
var weight = [...]float64{record.Info: 1, record.Warn: 10, record.Critical: 40}

// propagation: an ancestor at distance d (the parent is 1) gets weight/2^d,
// up to maxDepth.
const maxDepth = 3

// Entry is one scored process.
type Entry struct {
	PID     uint32
	Exe     string
	UID     uint32
	score   float64
	updated time.Time
	First   time.Time
	Last    time.Time
	Rules   map[string]uint64
	Alive   bool
}

// Tracker scores processes.
type Tracker struct {
	halfLife  time.Duration
	max       int
	procs     map[uint32]*Entry
	evictions uint64
}

// New returns a tracker; halfLife is how long a score takes to halve.
func New(halfLife time.Duration, max int) *Tracker {
	if max < 1 {
		max = 1
	}
	return &Tracker{halfLife: halfLife, max: max, procs: map[uint32]*Entry{}}
}

// Configure changes the half-life and capacity (policy reload).
func (t *Tracker) Configure(halfLife time.Duration, max int) {
	t.halfLife = halfLife
	if max >= 1 {
		t.max = max
	}
}

// Len is the number of processes scored; Evictions how many were dropped.
func (t *Tracker) Len() int          { return len(t.procs) }
func (t *Tracker) Evictions() uint64 { return t.evictions }

func (t *Tracker) decayed(e *Entry, now time.Time) float64 {
	if t.halfLife <= 0 || !now.After(e.updated) {
		return e.score
	}
	// 0.5^x as 2^-x: Exp2 is several times cheaper than Pow, and this
	// runs for the process and each ancestor of every alert
	return e.score * math.Exp2(-float64(now.Sub(e.updated))/float64(t.halfLife))
}

func (t *Tracker) entry(pid uint32, exe string, uid uint32, now time.Time) *Entry {
	e := t.procs[pid]
	if e == nil {
		if len(t.procs) >= t.max {
			t.evictLeast(now)
		}
		e = &Entry{PID: pid, Exe: exe, UID: uid, First: now, updated: now, Rules: map[string]uint64{}, Alive: true}
		t.procs[pid] = e
	}
	if exe != "" {
		e.Exe = exe
	}
	return e
}

func (t *Tracker) evictLeast(now time.Time) {
	var victim *Entry
	low := math.Inf(1)
	for _, e := range t.procs {
		if s := t.decayed(e, now); s < low {
			low, victim = s, e
		}
	}
	if victim != nil {
		delete(t.procs, victim.PID)
		t.evictions++
	}
}

func (t *Tracker) add(e *Entry, w float64, rules []record.Rule, now time.Time) {
	for _, r := range rules {
		if e.Rules[r.Name] == 0 && len(e.Rules) > 0 {
			w *= 1.5 // a new kind of behaviour: the chain, not the repetition, is the threat
		}
		e.Rules[r.Name]++
	}
	e.score = t.decayed(e, now) + w
	e.updated = now
	e.Last = now
}

// Alert records a record's matched rules against its process and ancestors.
func (t *Tracker) Alert(r *record.Record, now time.Time) {
	if len(r.Rules) == 0 || r.Process == nil {
		return
	}
	var w float64
	for _, rule := range r.Rules {
		w += weight[rule.Severity]
	}
	p := r.Process
	e := t.procs[p.PID]
	if e == nil || e.Exe != string(p.Exe) { // copy the exe only when it is new
		e = t.entry(p.PID, string(p.Exe), p.UID, now)
	}
	e.UID = p.UID // it may have been scored first as an ancestor, uid unknown
	t.add(e, w, r.Rules, now)
	for d, a := range p.Ancestry {
		if d >= maxDepth || a.PID <= 1 {
			break
		}
		t.add(t.entry(a.PID, a.Exe, 0, now), math.Ldexp(w, -(d+1)), r.Rules, now) // w / 2^(d+1)
	}
}

// Exited marks a process gone (it stays listed until its score fades or is
// evicted: a finished attack still matters).
func (t *Tracker) Exited(pid uint32) {
	if e := t.procs[pid]; e != nil {
		e.Alive = false
	}
}

// Top returns the n most suspicious processes now.  Entries whose score has
// decayed below 0.5 are forgotten.
func (t *Tracker) Top(n int, now time.Time) []record.Suspect {
	var out []record.Suspect
	for pid, e := range t.procs {
		s := t.decayed(e, now)
		if s < 0.5 && !e.Alive {
			delete(t.procs, pid)
			continue
		}
		rules := make([]record.RuleCount, 0, len(e.Rules))
		for name, c := range e.Rules {
			rules = append(rules, record.RuleCount{Name: name, Count: c})
		}
		sort.Slice(rules, func(i, j int) bool {
			if rules[i].Count != rules[j].Count {
				return rules[i].Count > rules[j].Count
			}
			return rules[i].Name < rules[j].Name
		})
		out = append(out, record.Suspect{PID: e.PID, Exe: e.Exe, UID: e.UID, Score: math.Round(s*10) / 10,
			Rules: rules, First: e.First, Last: e.Last, Alive: e.Alive})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].PID < out[j].PID
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
