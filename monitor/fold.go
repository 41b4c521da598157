// Alert folding: one record per repeated alert (or syscall) and fold
// window, then a summary with the count.

package monitor

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// alertFold is an alert seen once in the fold window; repeats are counted.
type alertFold struct {
	first *record.Record
	since time.Time
	count uint64
}

// foldAlert says whether r repeats an alert (same rules, same process,
// same object), or a syscall record (same call, arguments and outcome),
// already printed within the policy's fold window: a loop does not flood
// the log, and the same call after the window is reported again.  The
// count is reported when the window closes (sweepAlerts).
func (p *processor) foldAlert(r *record.Record, now time.Time) bool {
	// built in a reused buffer: a repeat (the common case in a storm) is
	// looked up without allocating; the key is copied only when stored
	key := appendFoldKey(p.alertKey[:0], r)
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

// appendFoldKey appends what makes two records the same alert: the
// process, the event, the outcome, the rules, and the object acted on
// (the file, the peer, the call's arguments and target, what was gained).
// Two different files read by one process are two alerts; the same file
// read in a loop is one.  Fields are typed values, never display text;
// variable-length ones are prefixed with their length so that no two
// records share a key by concatenation.
func appendFoldKey(key []byte, r *record.Record) []byte {
	key = binary.LittleEndian.AppendUint32(key, r.Process.PID)
	key = appendField(key, r.Event)
	key = appendField(key, r.Error)
	for _, rule := range r.Rules {
		key = appendField(key, rule.Name)
	}
	key = append(key, 0)
	switch {
	case r.File != nil:
		f := r.File
		key = appendField(key, f.Path)
		key = appendField(key, f.TargetPath)
		key = appendField(key, f.Operation)
	case r.Network != nil:
		n := r.Network
		key = appendField(key, n.Direction)
		key = appendField(key, n.Protocol)
		key = n.DstIP.AppendTo(append(key, 0))
		key = binary.LittleEndian.AppendUint16(key, n.DstPort)
		key = binary.LittleEndian.AppendUint16(key, n.SrcPort)
		key = appendField(key, n.UnixPath)
	case r.Syscall != nil:
		// the decoded arguments, not the raw ones: those hold pointers,
		// which differ between identical calls
		s := r.Syscall
		for _, a := range s.Args {
			key = appendArg(key, a.Value)
		}
		key = binary.LittleEndian.AppendUint32(key, s.TargetPID)
		key = binary.LittleEndian.AppendUint64(key, uint64(min(s.Ret, 0)))
	case r.Priv != nil:
		key = appendField(key, r.Priv.Means)
		key = appendField(key, r.Priv.Syscall)
		for _, g := range r.Priv.Gained {
			key = appendField(key, g)
		}
	case r.Exec != nil:
		key = appendField(key, r.Process.Exe)
		for _, a := range r.Process.Args {
			key = appendField(key, a)
		}
	}
	return key
}

func appendArg(key []byte, v any) []byte {
	switch v := v.(type) {
	case int64:
		return binary.AppendVarint(append(key, 'i'), v)
	case uint64:
		return binary.AppendUvarint(append(key, 'u'), v)
	case string:
		return appendField(append(key, 's'), v)
	case []byte:
		return appendField(append(key, 'b'), v)
	case bool:
		if v {
			return append(key, 'T')
		}
		return append(key, 'F')
	case []string:
		key = binary.AppendUvarint(append(key, 'l'), uint64(len(v)))
		for _, e := range v {
			key = appendField(key, e)
		}
		return key
	}
	return fmt.Appendf(append(key, '?'), "%v", v)
}

func appendField[T ~string | ~[]byte](key []byte, v T) []byte {
	key = binary.AppendUvarint(key, uint64(len(v)))
	return append(key, v...)
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
