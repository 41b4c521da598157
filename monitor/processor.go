package monitor

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/metrics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/proc"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// unsetLoginUID is (uid_t)-1: no login session (daemons, boot).
const unsetLoginUID = ^uint32(0)

// processor turns raw records into enriched records.  It is owned by one
// goroutine: the process table and the counters need no locks.
type processor struct {
	cfg     *Config
	dec     event.Decoder
	table   *proc.Table
	outq    chan<- *record.Record
	started time.Time
	// how long the kernel took to release the hooks at stop (the stop
	// record says it)
	detachTime time.Duration
	// the kernel's grace periods were expedited for the detach (expedite.go)
	detachExpedited bool

	bootOffset int64          // wall ns - boottime ns
	hostIno    hostNamespaces // init's: others are named in records

	// counters
	lostPerf            uint64
	lostQueue           uint64
	decodeErrors        uint64
	total               uint64
	byEvent             map[string]uint64 // this interval
	bySeverity          [3]uint64         // this interval
	severityTotal       [3]uint64         // since start
	lastTop             string            // the last ranking reported (suspects and rule counts)
	intervalStart       time.Time
	kernelStats         func() [statMax]uint64
	skippedRuns         func() (lost, harmless uint64) // runs the kernel skipped (skipped.go)
	containers          containers
	lostReported        uint64     // losses already announced in-stream
	lostAtInterval      uint64     // lostSoFar() when the stats interval began
	lostKernelSeen      uint64     // kernel-side losses as of the last check
	watch               *watch.IDs // the kernel's watch ids, stable across reloads
	engine              *rules.Engine
	tracker             *analytics.Tracker
	alerts              map[string]*alertFold
	alertKey            []byte // foldAlert's key buffer, reused
	alertsFolded        uint64
	folds               map[foldKey]*record.Process
	userns              rules.Userns // the user-namespace sequence detector
	fanout              fanout       // recent connects per process (port scans)
	pipes               pipes        // pipe ends seen at exec, waiting for the other end
	dropped             dropped      // who wrote each system file since start
	accts               accounts     // the host's accounts; changes of /etc/passwd held until judged
	syscallsRepeated    uint64
	scriptCache         map[string]string      // interpreter aliases resolved (scriptOf)
	scope               netinfo.Scope          // where a destination is: loopback, local, remote
	hostNS              map[string]uint64      // the host's namespaces by kind (inode numbers)
	searches            map[uint32]*pathSearch // PATH searches under way, by pid
	metrics             *metrics.Set           // nil: --metrics-addr not given
	sinks               func() []metrics.Sink  // the outputs' drops, for the stream
	outputDropsReported map[string]uint64      // by sink, as of the last loss record

	blocking bool // replay: queue waits for room rather than drop

	waiting map[string]*containerQueue // records waiting for their container's answer, by id (waiting.go)

	// the monitor's own records that found the output queue full, oldest
	// first, sent before anything else when room comes (flushMonitor)
	pendingMonitor []*record.Record
}

// maxPendingMonitor bounds the monitor records kept while output is stalled:
// past it the oldest is dropped and counted as queue loss.  At one stats
// record per interval that is minutes of stall.
const maxPendingMonitor = 256

func newProcessor(cfg *Config, outq chan<- *record.Record) *processor {
	max := cfg.MaxProcesses
	if max <= 0 {
		max = 16384
	}
	p := &processor{
		cfg:           cfg,
		table:         proc.NewTable(max),
		outq:          outq,
		started:       time.Now(),
		byEvent:       map[string]uint64{},
		intervalStart: time.Now(),
	}
	p.calibrate()
	p.hostNS = proc.HostNamespaces(cfg.OwnNamespacesAreHost)
	p.hostIno = hostInodes(p.hostNS)
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		p.table.BootID = strings.TrimSpace(string(b))
	}
	return p
}

// hostNamespaces are the inode numbers of the host's namespaces.
type hostNamespaces struct{ mnt, pid, net, user uint32 }

// hostInodes picks the four kinds records name from the host's namespaces;
// 0 for a kind not read (then every namespace of that kind is named).
func hostInodes(ns map[string]uint64) hostNamespaces {
	return hostNamespaces{mnt: uint32(ns["mnt"]), pid: uint32(ns["pid"]), net: uint32(ns["net"]), user: uint32(ns["user"])}
}

// calibrate maps CLOCK_BOOTTIME (kernel timestamps) to wall-clock time.
func (p *processor) calibrate() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return
	}
	p.bootOffset = time.Now().UnixNano() - ts.Nano()
}

func (p *processor) wallTime(bootNs uint64) time.Time {
	return time.Unix(0, int64(bootNs)+p.bootOffset)
}

// handle processes one raw record from the perf buffer.
func (p *processor) handle(b []byte) {
	ev, err := p.dec.Decode(b)
	if err != nil {
		p.decodeErrors++
		p.cfg.Log.Debug().Err(err).Msg("dropping undecodable record")
		return
	}
	var r *record.Record
	var hdr *event.Header
	switch e := ev.(type) {
	case *event.Exec:
		r, hdr = p.onExec(e), &e.Header
	case *event.Exit:
		r, hdr = p.onExit(e), &e.Header
	case *event.Fork:
		r, hdr = p.onFork(e), &e.Header
	case *event.File:
		r, hdr = p.onFile(e), &e.Header
	case *event.Net:
		r, hdr = p.onNet(e), &e.Header
	case *event.Syscall:
		r, hdr = p.onSyscall(e), &e.Header
	case *event.Priv:
		r, hdr = p.onPriv(e), &e.Header
	}
	if r != nil {
		r.Container = p.containers.of(hdr.CgroupID)
		if p.waits(r, time.Now()) {
			return // for its container's name (waiting.go)
		}
		p.fromContainer(r)
	}
	p.emit(r)
}

// emit judges a record (rules, analytics), folds a repeated alert, and
// queues it.
func (p *processor) emit(r *record.Record) { p.emitAt(r, time.Now()) }

// emitAt is emit at a given time: now when live, the record's own time in
// replay.  The misses of a PATH search wait for the exec they lead to
// (pathsearch.go).
func (p *processor) emitAt(r *record.Record, now time.Time) {
	if r == nil {
		return
	}
	if r.Exit != nil && len(p.accts.held) > 0 {
		for _, h := range p.accts.release(r.Process.PID, now, 0) {
			p.judge(h, now) // what the exiting process added to /etc/passwd
		}
	}
	if p.accts.changes(r) && !p.blocking {
		p.accts.hold(r, now)
		if p.accts.whole(r) {
			for _, h := range p.accts.release(r.Process.PID, now, 0) {
				p.judge(h, now)
			}
		}
		return
	}
	if p.searching(r, now) {
		return
	}
	p.judge(r, now)
}

// judge runs the rules and the analytics on r, folds it into its incident
// or queues it.
func (p *processor) judge(r *record.Record, now time.Time) {
	if p.engine != nil {
		p.engine.Evaluate(r)
	}
	p.dropped.note(r)
	if len(r.Rules) > 0 {
		for i := range r.Rules {
			p.metrics.Alert(r.Rules[i].Name, r.Rules[i].Severity.String())
		}
		r.Degraded = p.lostSoFar() > p.lostAtInterval
		if p.tracker != nil {
			p.tracker.Alert(r, now)
		}
		if p.foldAlert(r, now) {
			return
		}
		if p.engine != nil {
			p.engine.Describe(r) // printed: the rules' outputs
		}
	} else if r.Syscall != nil && p.foldAlert(r, now) {
		// a tool that repeats a call (bpftool makes hundreds of identical
		// bpf() calls) is one record per fold window, then a count
		p.syscallsRepeated++
		return
	}
	p.queue(r)
}

// queue counts a record and sends it to output unless filtered out; it
// never blocks.
func (p *processor) queue(r *record.Record) {
	p.total++
	p.byEvent[r.Event]++
	p.metrics.Event(r.Event)
	p.bySeverity[r.Severity]++
	p.severityTotal[r.Severity]++
	if r.Severity < p.cfg.MinSeverity || !p.cfg.inScope(r) {
		return
	}
	if !p.cfg.fullStream() && !output.Shown(p.cfg.Events, r) {
		return // the console alone would drop it: it need not cross the queue
	}
	if p.blocking {
		p.outq <- r // replay: nothing is captured, nothing may be lost
		return
	}
	if len(p.pendingMonitor) > 0 && !p.flushMonitor() {
		p.lostQueue++ // monitor records still wait: keep the order
		return
	}
	select {
	case p.outq <- r:
	default:
		p.lostQueue++ // output too slow: never block the reader
	}
}

// emitMonitor queues the monitor's own records.  They ignore --severity and
// --events, and are not lost to a slow output: what finds the queue full
// waits in pendingMonitor, and goes out first when room comes.  It never
// blocks, so a stalled stdout does not stall capture.
func (p *processor) emitMonitor(r *record.Record) {
	p.pendingMonitor = append(p.pendingMonitor, r)
	if n := len(p.pendingMonitor) - maxPendingMonitor; n > 0 {
		p.pendingMonitor = p.pendingMonitor[n:]
		p.lostQueue += uint64(n)
	}
	p.flushMonitor()
}

// flushMonitor sends the waiting monitor records in order, as far as the
// queue has room; it reports whether all went.
func (p *processor) flushMonitor() bool {
	for len(p.pendingMonitor) > 0 {
		select {
		case p.outq <- p.pendingMonitor[0]:
			p.pendingMonitor[0] = nil
			p.pendingMonitor = p.pendingMonitor[1:]
		default:
			return false
		}
	}
	p.pendingMonitor = nil
	return true
}

// drainMonitor sends every waiting monitor record, waiting for room: only
// at shutdown, once nothing is captured any more.
func (p *processor) drainMonitor() {
	for _, r := range p.pendingMonitor {
		p.outq <- r
	}
	p.pendingMonitor = nil
}
