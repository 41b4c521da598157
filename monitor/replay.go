// Replay: recorded JSON lines (the monitor's own log) judged again by the
// rules and analytics, offline, in their recorded order and at their
// recorded times.  The alerts they raise now are printed as live; recorded
// alerts are not trusted, only compared.

package monitor

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// ReplayConfig is what replay reads, judges with and writes to.
type ReplayConfig struct {
	Files       []string // "-" is standard input
	Policy      *policy.Policy
	Format      output.Format
	MinSeverity record.Severity
	Out         io.Writer // the alerts, as the live monitor writes them
	Summary     io.Writer // the per-rule counts and the ranking
}

// ReplayResult is what a replay found.
type ReplayResult struct {
	Records  uint64            // records judged
	Skipped  uint64            // the monitor's own records
	BadLines uint64            // lines that are not records (each reported)
	Matches  map[string]uint64 // rule -> records it matched now
	Recorded map[string]uint64 // rule -> records it had matched when recorded
	Top      []record.Suspect
}

// maxLine bounds one record's line (a process's arguments are at most
// 8 KiB per argument and the line holds them twice at worst, as text and hex).
const maxLine = 4 << 20

// Replay judges the records of cfg.Files again.  A line that is not a
// record is reported on Summary with its file and line and skipped; the
// error says how many there were.
func Replay(cfg ReplayConfig) (*ReplayResult, error) {
	engine, err := rules.CompileKeeping(cfg.Policy, "", "", builtinChecks)
	if err != nil {
		return nil, err
	}
	outq := make(chan *record.Record, 1024)
	p := newProcessor(&Config{MinSeverity: cfg.MinSeverity, Log: zerolog.Nop()}, outq)
	p.blocking = true
	p.engine = engine
	p.tracker = analytics.New(cfg.Policy.HalfLife, cfg.Policy.MaxTracked)

	w := output.NewWriter(cfg.Format, cfg.Out, false, nil)
	written := make(chan error, 1)
	go func() {
		var werr error
		for r := range outq {
			if _, err := w.Write(r); err != nil && werr == nil {
				werr = err
			}
		}
		if _, err := w.Flush(); err != nil && werr == nil {
			werr = err
		}
		written <- werr
	}()

	res := &ReplayResult{Matches: map[string]uint64{}, Recorded: map[string]uint64{}}
	var last, swept time.Time
	for _, name := range cfg.Files {
		err := eachLine(name, func(lineNo int, line []byte) {
			r, err := output.ParseJSON(line)
			if err != nil {
				res.BadLines++
				fmt.Fprintf(cfg.Summary, "replay: %s:%d: not a record: %v\n", name, lineNo, err)
				return
			}
			if r.Monitor != nil || r.Category == record.CatMonitor || (r.Process == nil && r.Category != record.CatContainer) {
				res.Skipped++ // the monitor's own records are not judged
				return
			}
			// a record stands for itself, a fold summary for its repeats
			n := uint64(1)
			if r.Repeats > 0 {
				n = r.Repeats
			}
			for _, m := range r.Rules {
				res.Recorded[m.Name] += n
			}
			r.Rules, r.Severity, r.Degraded = nil, record.Info, false
			if r.Time.Sub(swept) >= time.Second {
				p.sweepSearches(r.Time, searchTimeout)
				p.sweepAlerts(r.Time, p.engine.Policy().FoldWindow)
				swept = r.Time
			}
			last = r.Time
			res.Records++
			if r.Repeats > 0 {
				// a fold summary stands for repeats the log does not hold:
				// they count into the alert they repeat, as live
				p.replayRepeats(r)
			} else {
				p.emitAt(r, r.Time)
			}
			for _, m := range r.Rules {
				res.Matches[m.Name] += n
			}
			if r.Event == "exit" {
				p.tracker.Exited(r.Process.PID)
			}
		})
		if err != nil {
			close(outq)
			<-written
			return nil, err
		}
	}
	p.sweepSearches(last, 0)
	p.sweepAlerts(last, 0)
	close(outq)
	if err := <-written; err != nil {
		return nil, fmt.Errorf("writing the alerts: %w", err)
	}
	res.Top = p.tracker.Top(cfg.Policy.Top, last)
	writeReplaySummary(cfg.Summary, res)
	if res.BadLines > 0 {
		return res, fmt.Errorf("%d lines were not records (reported above); the others were judged", res.BadLines)
	}
	return res, nil
}

func eachLine(name string, f func(n int, line []byte)) error {
	in := os.Stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		f(n, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, n+1, err)
	}
	return nil
}

func writeReplaySummary(w io.Writer, res *ReplayResult) {
	fmt.Fprintf(w, "replay: %d records judged, %d skipped (the monitor's own), %d bad lines\n",
		res.Records, res.Skipped, res.BadLines)
	names := map[string]bool{}
	for n := range res.Matches {
		names[n] = true
	}
	for n := range res.Recorded {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	fmt.Fprintf(w, "replay: %-28s %8s %8s\n", "rule", "now", "recorded")
	for _, n := range sorted {
		fmt.Fprintf(w, "replay: %-28s %8d %8d\n", n, res.Matches[n], res.Recorded[n])
	}
	for i, s := range res.Top {
		fmt.Fprintf(w, "replay: suspect %d: pid %d %s (uid %d) score %.1f\n", i+1, s.PID, s.Exe, s.UID, s.Score)
	}
}

// replayRepeats judges a recorded fold summary: its repeats are added to
// the alert it repeats when that alert's window is still open, or reported
// as they were when it has closed.  It matches the rules it matches now.
func (p *processor) replayRepeats(r *record.Record) {
	repeats := r.Repeats
	r.Repeats = 0
	p.engine.Evaluate(r)
	if len(r.Rules) == 0 && r.Syscall == nil {
		return
	}
	var a *alertFold
	if len(r.Rules) > 0 {
		a = p.incidentOf(r)
	} else {
		a = p.alerts[string(appendFoldKey([]byte{'x'}, r))]
	}
	if a != nil {
		a.count += repeats
		p.alertsFolded += repeats
		if f := r.Folded; f != nil { // what the recorded summary covered
			for _, o := range f.Objects {
				a.note("o"+o, func() { a.nObj++; a.objects = appendBounded(a.objects, o) })
			}
			for _, pid := range f.PIDs {
				a.note("p"+strconv.FormatUint(uint64(pid), 10), func() { a.nPID++; a.pids = appendBounded(a.pids, pid) })
			}
		}
		return
	}
	if len(r.Rules) > 0 {
		r.Repeats = repeats
		p.engine.Describe(r)
		p.queue(r)
	}
}
