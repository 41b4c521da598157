// Package analytics keeps a risk score per process built from the alerts it
// raises and the kinds of alerts its descendants raise, decaying over time,
// and reports the most suspicious processes.
//
// What ranks first is a chain: a process tree that reads credentials, then
// dials out, then writes persistence.  So the process that acted is scored
// with the full weight of an alert; each kind of alert already seen in its
// tree adds half again to the next new kind; a repeat of a kind adds almost
// nothing (folded repeats are not evidence of more); and the parent and
// grandparent hear of each new kind once, at a half and a quarter of its
// weight.  A long-lived admin shell therefore gains at most one share per
// kind of alert its commands raised, however many times, and one critical
// alert outweighs any number of repeats of a warning.
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

// Weights of a new kind of alert, by severity.
var weight = [...]float64{record.Info: 1, record.Warn: 10, record.Critical: 100}

const (
	// maxDepth: the ancestors that hear of a new kind of alert (the
	// parent is 1), each at half the weight of the level below.
	maxDepth = 2
	// chainBonus: each kind already in the tree adds this share of a new
	// kind's weight.
	chainBonus = 0.5
	// repeatShare of a weight per repeat of a kind, repeatCap weights in
	// all: a warning repeated forever stays below one critical alert.
	repeatShare = 0.02
	repeatCap   = 1.0
	// forgetBelow: an entry whose score decayed under this starts afresh.
	forgetBelow = 0.5
)

// Entry is one scored process.
type Entry struct {
	PID uint32
	Exe string
	UID uint32
	// the container its own alerts came from (short id, and name once the
	// runtime answered); "" for the host's and for ancestors only heard of
	Container, ContainerName string
	score                    float64
	updated                  time.Time
	First                    time.Time
	Last                     time.Time
	Rules                    map[string]uint64 // alerts in its tree (its own, its children's, its grandchildren's)
	Alive                    bool
	kinds                    map[string]bool    // kinds of alert scored in its tree
	own                      map[string]float64 // its own kinds, and what their repeats added
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
		e = &Entry{PID: pid, Exe: exe, UID: uid, First: now, updated: now, Rules: map[string]uint64{}, Alive: true,
			kinds: map[string]bool{}, own: map[string]float64{}}
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

// bring decays e's score to now; a score that faded out forgets the kinds
// it was built from, so a new incident weeks later counts in full.
func (t *Tracker) bring(e *Entry, now time.Time) {
	e.score = t.decayed(e, now)
	e.updated = now
	e.Last = now
	if e.score < forgetBelow {
		clear(e.kinds)
		clear(e.own)
	}
}

// acted scores an alert of e's own process.
func (t *Tracker) acted(e *Entry, r record.Rule, now time.Time) {
	t.bring(e, now)
	e.Rules[r.Name]++
	w := weight[r.Severity]
	if added, seen := e.own[r.Name]; seen {
		more := min(repeatShare*w, repeatCap*w-added)
		if more > 0 {
			e.score += more
			e.own[r.Name] = added + more
		}
		return
	}
	e.own[r.Name] = 0
	e.score += w * t.chain(e, r.Name)
	e.kinds[r.Name] = true
}

// heard scores an alert of a descendant d levels below e: a new kind only.
func (t *Tracker) heard(e *Entry, r record.Rule, d int, now time.Time) {
	t.bring(e, now)
	e.Rules[r.Name]++
	if e.kinds[r.Name] {
		return
	}
	e.score += math.Ldexp(weight[r.Severity], -d) * t.chain(e, r.Name) // w / 2^d
	e.kinds[r.Name] = true
}

// chain is the factor for a kind of alert in e's tree: one, plus half for
// each other kind already there.
func (t *Tracker) chain(e *Entry, kind string) float64 {
	n := len(e.kinds)
	if e.kinds[kind] {
		n--
	}
	return 1 + chainBonus*float64(n)
}

// Alert records a record's matched rules against its process and ancestors.
func (t *Tracker) Alert(r *record.Record, now time.Time) {
	if len(r.Rules) == 0 || r.Process == nil {
		return
	}
	p := r.Process
	e := t.procs[p.PID]
	if e == nil || e.Exe != string(p.Exe) { // copy the exe only when it is new
		e = t.entry(p.PID, string(p.Exe), p.UID, now)
	}
	e.UID = p.UID // it may have been scored first as an ancestor, uid unknown
	if c := r.Container; c != nil {
		e.Container = c.ShortID()
		if c.Name != "" {
			e.ContainerName = c.Name
		}
	}
	for _, rule := range r.Rules {
		t.acted(e, rule, now)
	}
	for d, a := range p.Ancestry {
		if d >= maxDepth || a.PID <= 1 {
			break
		}
		anc := t.entry(a.PID, a.Exe, 0, now)
		for _, rule := range r.Rules {
			t.heard(anc, rule, d+1, now)
		}
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
			Rules: rules, First: e.First, Last: e.Last, Alive: e.Alive,
			Container: e.Container, ContainerName: e.ContainerName})
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
