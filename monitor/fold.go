// Alert folding: one record per incident and fold window, then a summary
// of what was folded; repeated syscall records the same way, per call.

package monitor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// alertFold is an alert printed once in the fold window; what follows it
// in the same incident is counted.
type alertFold struct {
	first *record.Record
	obj   string // what first acted on (objectOf)
	since time.Time
	count uint64 // records folded into first
	// objects and processes other than first's, distinct, counted up to
	// maxFoldSeen and named up to record.MaxFoldedNames
	objects []string
	pids    []uint32
	seen    map[string]bool
	nObj    int
	nPID    int
}

// maxFoldSeen bounds the distinct objects and processes one incident
// remembers: beyond it, more are counted as alerts but not told apart.
const maxFoldSeen = 256

// add counts r into the incident.
func (a *alertFold) add(r *record.Record) {
	a.count++
	if obj := objectOf(r); obj != a.obj {
		a.note("o"+obj, func() { a.nObj++; a.objects = appendBounded(a.objects, obj) })
	}
	if pid := r.Process.PID; pid != a.first.Process.PID {
		a.note("p"+strconv.FormatUint(uint64(pid), 10), func() { a.nPID++; a.pids = appendBounded(a.pids, pid) })
	}
}

// note runs fresh the first time it sees k.
func (a *alertFold) note(k string, fresh func()) {
	if a.seen == nil {
		a.seen = map[string]bool{}
	}
	if a.seen[k] || len(a.seen) >= maxFoldSeen {
		return
	}
	a.seen[k] = true
	fresh()
}

// foldAlert says whether r belongs to an alert already printed within the
// policy's fold window, and counts it there; the count and what it covered
// are reported when the window closes (sweepAlerts).
//
// An alert folds into its incident (incidentOf): one action (tar reading
// every file of /etc, shred renaming a log 24 times) and one incident (a
// reverse shell whose every helper inherits the socket) are one line, and
// its summary lists the objects and processes.  Different rules, or a
// failure beside a success, are different alerts.
// A syscall record with no rule folds only with its exact repeats (the
// same call, arguments and outcome): bpftool's hundreds of identical calls.
func (p *processor) foldAlert(r *record.Record, now time.Time) bool {
	if r.Process == nil {
		return false // a container's start: once per container
	}
	if p.alerts == nil {
		p.alerts = map[string]*alertFold{}
	}
	// keys are built in a reused buffer: a repeat (the common case in a
	// storm) is looked up without allocating; a key is copied only when
	// stored
	var a *alertFold
	if len(r.Rules) == 0 {
		p.alertKey = appendFoldKey(append(p.alertKey[:0], 'x'), r)
		a = p.alerts[string(p.alertKey)]
	} else {
		a = p.incidentOf(r) // leaves r's own incident key in p.alertKey
	}
	if a != nil {
		a.add(r)
		p.alertsFolded++
		return true
	}
	if len(p.alerts) < 16384 {
		p.alerts[string(p.alertKey)] = &alertFold{first: r, obj: objectOf(r), since: now}
	}
	return false
}

// incidentOf is the open incident r belongs to, or nil.  An alert on an
// object (a file, a peer, a call) belongs to its own process's incident of
// the same rules and outcome.  An alert on a program (an exec) is about
// what the process inherited (a socket on its stdio, LD_PRELOAD), so it
// belongs to the incident its parent or an earlier ancestor opened at its
// own exec; a process's next program is a new alert (a dropper that then
// runs a memfd is two).
//
// It leaves in p.alertKey the key of the incident r itself opens: its
// process's (with its executable, for a program's alert), which also
// holds r's own repeats.
func (p *processor) incidentOf(r *record.Record) *alertFold {
	exe := ""
	if r.Exec != nil {
		for _, anc := range r.Process.Ancestry {
			p.alertKey = appendIncidentKey(p.alertKey[:0], anc.PID, anc.Exe, r)
			if a := p.alerts[string(p.alertKey)]; a != nil {
				return a
			}
		}
		exe = string(r.Process.Exe)
	}
	p.alertKey = appendIncidentKey(p.alertKey[:0], r.Process.PID, exe, r)
	return p.alerts[string(p.alertKey)]
}

// appendIncidentKey appends the key of an incident: the process (and, for
// a program's alert, its executable), whether the act succeeded, and the
// rules that gave the alert its severity (a weaker signal beside them,
// such as bash -i's info rule beside reverse-shell, does not split one).
func appendIncidentKey(key []byte, pid uint32, exe string, r *record.Record) []byte {
	key = binary.LittleEndian.AppendUint32(append(key, 'i'), pid)
	key = appendField(key, exe)
	if r.Error == "" {
		key = append(key, 's')
	} else {
		key = append(key, 'f')
	}
	for _, rule := range r.Rules {
		if rule.Severity == r.Severity {
			key = appendField(key, rule.Name)
		}
	}
	return key
}

// objectOf names what r acted on, for a fold summary: the file, the peer,
// the call's target, what was gained, the command.
func objectOf(r *record.Record) string {
	switch {
	case r.File != nil:
		if len(r.File.TargetPath) > 0 {
			return string(r.File.Path) + " -> " + string(r.File.TargetPath)
		}
		return string(r.File.Path)
	case r.Network != nil:
		n := r.Network
		switch {
		case len(n.UnixPath) > 0:
			return string(n.UnixPath)
		case n.DstIP.IsValid():
			return netinfo.Endpoint(n.DstIP, n.DstPort)
		case n.SrcIP.IsValid():
			return netinfo.Endpoint(n.SrcIP, n.SrcPort)
		}
	case r.Syscall != nil:
		if r.Syscall.TargetPID != 0 {
			return r.Event + " pid " + strconv.FormatUint(uint64(r.Syscall.TargetPID), 10)
		}
		return r.Event
	case r.Priv != nil:
		return r.Priv.Means + " " + strings.Join(r.Priv.Gained, ",")
	case r.Exec != nil:
		cmd := string(bytes.Join(r.Process.Args, []byte(" ")))
		if len(cmd) > 200 {
			cmd = cmd[:200] + "..."
		}
		return cmd
	}
	return r.Event
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

// summary is the line that closes an incident's window: the first alert
// again, with how many followed and what they acted on.
func (a *alertFold) summary(now time.Time) *record.Record {
	sum := *a.first
	sum.Time = now
	sum.Repeats = a.count
	took := now.Sub(a.since).Round(time.Second)
	if a.nObj == 0 && a.nPID == 0 {
		sum.Message = fmt.Sprintf("%s (repeated %d more times in %s)", a.first.Message, a.count, took)
		return &sum
	}
	sum.Folded = &record.Folded{Objects: slices.Clone(a.objects), ObjectCount: a.nObj,
		PIDs: slices.Clone(a.pids), PIDCount: a.nPID}
	var what []string
	if a.nObj > 0 {
		what = append(what, fmt.Sprintf("%d other objects: %s%s", a.nObj, strings.Join(a.objects, ", "),
			more(a.nObj, len(a.objects))))
	}
	if a.nPID > 0 {
		pids := make([]string, len(a.pids))
		for i, p := range a.pids {
			pids[i] = strconv.FormatUint(uint64(p), 10)
		}
		what = append(what, fmt.Sprintf("from %d other processes of this incident: %s%s", a.nPID,
			strings.Join(pids, ", "), more(a.nPID, len(a.pids))))
	}
	sum.Message = fmt.Sprintf("%s (%d more alerts in %s; %s)", a.first.Message, a.count, took, strings.Join(what, "; "))
	return &sum
}

func more(total, shown int) string {
	if total > shown {
		return fmt.Sprintf(", and %d more", total-shown)
	}
	return ""
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
		p.queue(a.summary(now))
	}
}

// appendBounded appends v while s holds fewer than record.MaxFoldedNames.
func appendBounded[T any](s []T, v T) []T {
	if len(s) < record.MaxFoldedNames {
		return append(s, v)
	}
	return s
}
