// Alert folding: one record per repeated alert (or syscall) and fold
// window, then a summary with the count.

package monitor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// alertFold is an alert seen once in the fold window; repeats are counted.
type alertFold struct {
	first *record.Record
	since time.Time
	count uint64
}

// foldAlert says whether r repeats an alert (same rules, same process), or
// a syscall record (same call, first two arguments and outcome), already
// printed within the policy's fold window: a loop does not flood the log,
// and the same call after the window is reported again.  The count is
// reported when the window closes (sweepAlerts).
func (p *processor) foldAlert(r *record.Record, now time.Time) bool {
	// the message names the object (path, destination, target): two
	// different files read by one process are two alerts, the same file
	// read in a loop is one
	// built in a reused buffer: a repeat (the common case in a storm) is
	// looked up without allocating; the key is copied only when stored
	key := strconv.AppendUint(p.alertKey[:0], uint64(r.Process.PID), 10)
	key = append(append(append(append(key, '/'), r.Event...), '/'), r.Message...)
	if r.Syscall != nil {
		// the message does not show a call's arguments: the first two
		// (command and type, request and target) tell calls apart
		for i, a := range r.Syscall.Args {
			if i == 2 {
				break
			}
			key = append(key, '/')
			key = fmt.Appendf(key, "%v", a.Value)
		}
	}
	for _, rule := range r.Rules {
		key = append(append(key, '/'), rule.Name...)
	}
	p.alertKey = key
	if p.alerts == nil {
		p.alerts = map[string]*alertFold{}
	}
	if a := p.alerts[string(key)]; a != nil {
		a.count++
		p.alertsFolded++
		return true
	}
	if len(p.alerts) < 16384 {
		p.alerts[string(key)] = &alertFold{first: r, since: now}
	}
	return false
}

// sweepAlerts closes fold windows older than window (all when window is 0)
// and reports each repeated alert once with its count.
func (p *processor) sweepAlerts(now time.Time, window time.Duration) {
	for key, a := range p.alerts {
		if window > 0 && now.Sub(a.since) < window {
			continue
		}
		delete(p.alerts, key)
		if a.count == 0 {
			continue
		}
		sum := *a.first
		sum.Time = now
		sum.Repeats = a.count
		sum.Message = fmt.Sprintf("%s (repeated %d more times in %s)", a.first.Message, a.count,
			now.Sub(a.since).Round(time.Second))
		p.queue(&sum)
	}
}
