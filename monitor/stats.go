// The monitor's own records: start, stats, loss; and the counters behind them.

package monitor

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/metrics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"golang.org/x/sys/unix"
)

func (p *processor) statsRecord(final bool) *record.Record {
	now := time.Now()
	interval := now.Sub(p.intervalStart)
	var n uint64
	for _, v := range p.byEvent {
		n += v
	}
	s := p.lossSnapshot()
	s.Final, s.Interval, s.Uptime = final, interval, now.Sub(p.started)
	s.Events, s.BySeverity = p.byEvent, p.bySeverity
	if final {
		s.BySeverity = p.severityTotal // the stop record's counts are totals
		s.DetachTime, s.DetachExpedited = p.detachTime, p.detachExpedited
	}
	s.SyscallsRepeated, s.AlertsFolded = p.syscallsRepeated, p.alertsFolded
	if p.tracker != nil {
		top := 5
		if p.engine != nil {
			top = p.engine.Policy().Top
		}
		s.Top = p.tracker.Top(top, now)
		// scores decay all the time: the ranking changed when its
		// suspects or their rules did
		var sig strings.Builder
		for _, x := range s.Top {
			fmt.Fprintf(&sig, "%d %s", x.PID, x.Exe)
			for _, rc := range x.Rules {
				fmt.Fprintf(&sig, " %s=%d", rc.Name, rc.Count)
			}
			sig.WriteByte('\n')
		}
		s.TopUnchanged = !final && len(s.Top) > 0 && sig.String() == p.lastTop
		p.lastTop = sig.String()
		s.Tracked = p.tracker.Len()
		s.TrackedEvicted = p.tracker.Evictions()
	}
	if interval > 0 {
		s.EventsPerSec = float64(n) / interval.Seconds()
	}
	p.byEvent = map[string]uint64{}
	p.bySeverity = [3]uint64{}
	p.intervalStart = now
	p.lostAtInterval = p.lostSoFar()

	sev := record.Info
	msg := "monitor statistics"
	if final {
		msg = "monitor stopped"
	}
	if s.Lost() > 0 {
		msg += fmt.Sprintf("; %d events lost since start", s.Lost())
	}
	return &record.Record{
		Time:     now,
		Severity: sev,
		Event:    map[bool]string{false: "stats", true: "stop"}[final],
		Category: record.CatMonitor,
		Message:  msg,
		Monitor:  &record.Monitor{Stats: s},
	}
}

// checkLoss announces new losses in the stream as a warn record the moment
// they are seen (called every second), so a quiet log is never silently
// blind.  Alerts and stats carry the counts too.
func (p *processor) checkLoss() {
	s := p.lossSnapshot()
	p.checkOutputDrops(s)
	lost := s.Lost()
	if lost <= p.lostReported {
		return
	}
	delta := lost - p.lostReported
	p.lostReported = lost
	p.lostKernelSeen = lost - (p.lostPerf + p.lostQueue + p.decodeErrors)
	p.emitMonitor(&record.Record{
		Time:     time.Now(),
		Severity: record.Warn,
		Event:    "loss",
		Category: record.CatMonitor,
		Message:  fmt.Sprintf("%d events lost in the last second (%d since start): the log is incomplete", delta, lost),
		Monitor:  &record.Monitor{Stats: s},
	})
}

// checkOutputDrops announces records a sink dropped since the last check,
// one warn record per sink, in the stream that the other sinks still get.
func (p *processor) checkOutputDrops(s *record.Stats) {
	for _, name := range sortedNames(s.OutputDropped) {
		n := s.OutputDropped[name]
		was := p.outputDropsReported[name]
		if n <= was {
			continue
		}
		if p.outputDropsReported == nil {
			p.outputDropsReported = map[string]uint64{}
		}
		p.outputDropsReported[name] = n
		p.emitMonitor(&record.Record{
			Time:     time.Now(),
			Severity: record.Warn,
			Event:    "loss",
			Category: record.CatMonitor,
			Message:  fmt.Sprintf("%d records not delivered to %s in the last second (%d since start): it was down or too slow past its queue", n-was, name, n),
			Monitor:  &record.Monitor{Stats: s},
		})
	}
}

func sortedNames(m map[string]uint64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lostSoFar is every loss known without reading the kernel's counters
// (those are refreshed once a second by checkLoss).
func (p *processor) lostSoFar() uint64 {
	return p.lostPerf + p.lostQueue + p.decodeErrors + p.lostKernelSeen
}

// lossSnapshot reads every loss counter without resetting interval counts;
// statsRecord adds the interval's counts to it.
func (p *processor) lossSnapshot() *record.Stats {
	s := &record.Stats{
		Uptime:        time.Since(p.started),
		Events:        map[string]uint64{},
		Total:         p.total,
		LostPerf:      p.lostPerf,
		LostQueue:     p.lostQueue,
		DecodeErrors:  p.decodeErrors,
		ProcTableSize: p.table.Len(),
		ProcEvictions: p.table.Evictions(),
		LostKernel:    map[string]uint64{},
	}
	if p.kernelStats != nil {
		p.fillKernelStats(s)
	}
	if p.sinks != nil {
		for _, sk := range p.sinks() {
			if sk.Dropped > 0 {
				if s.OutputDropped == nil {
					s.OutputDropped = map[string]uint64{}
				}
				s.OutputDropped[sk.Name] = sk.Dropped
			}
		}
	}
	return s
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return unix.ByteSliceToString(uts.Release[:])
}

// publishMetrics hands the loop's counters to the metrics' scrape (once a
// second and at stop): the losses by stage, as the stats record counts them.
func (p *processor) publishMetrics() {
	if p.metrics == nil {
		return
	}
	s := p.lossSnapshot()
	lost := map[string]uint64{
		"perf_buffer":   s.LostPerf,
		"queue":         s.LostQueue,
		"decode_errors": s.DecodeErrors,
	}
	for k, v := range s.LostKernel {
		lost["kernel_"+k] = v
	}
	known := 0
	for _, ct := range p.containers.byID {
		if ct != nil {
			known++
		}
	}
	p.metrics.Publish(&metrics.Snapshot{Lost: lost, ProcessTableEntries: s.ProcTableSize, ContainersKnown: known})
}

func startRecord(cfg *Config, l *loaded, seeded int) *record.Record {
	kernel := kernelRelease()
	attached := 0
	var missing []string
	for _, h := range l.hooks {
		if h.Attached {
			attached++
		} else {
			missing = append(missing, h.Name)
		}
	}
	msg := fmt.Sprintf("monitor started: %d of %d hooks attached", attached, len(l.hooks))
	if len(missing) > 0 {
		msg += "; unavailable: " + strings.Join(missing, ", ")
	}
	return &record.Record{
		Time:     time.Now(),
		Severity: record.Info,
		Event:    "start",
		Category: record.CatMonitor,
		Message:  msg,
		Monitor: &record.Monitor{Start: &record.Start{
			Version:     cfg.Version,
			Kernel:      kernel,
			Transport:   transportName(cfg.Transport),
			PerfPages:   cfg.PerfPages,
			PID:         os.Getpid(),
			Hooks:       l.hooks,
			ProcsSeeded: seeded,

			SyscallHooks:       l.syscallHooks,
			SyscallHooksReason: l.syscallHooksReason,
			BPFObject:          l.object,
		}},
	}
}

// fillKernelStats splits the kernel counters into losses and filter counts.
func (p *processor) fillKernelStats(s *record.Stats) {
	ks := p.kernelStats()
	for i, v := range ks {
		if i < event.StatLossMax {
			s.LostKernel[event.StatNames[i]] = v
		}
	}
	// an open judged from the cache counts only there, to spare the
	// kernel's most frequent path a second counter
	s.FileChecked = ks[event.StatFileChecked] + ks[event.StatFileCached]
	if p.skippedRuns != nil {
		s.LostKernel["runs_skipped"], s.TCPStatesSkipped = p.skippedRuns()
	}
	s.FileSent = ks[event.StatFileSent]
	s.NetFolded = ks[event.StatNetFolded]
	s.FileCached = ks[event.StatFileCached]
}

func transportName(t string) string {
	if t == "perf" {
		return "perf_buffer"
	}
	return "ring_buffer"
}
