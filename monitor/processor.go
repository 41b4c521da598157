package monitor

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/proc"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
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

	bootOffset int64 // wall ns - boottime ns

	// counters
	lostPerf         uint64
	lostQueue        uint64
	decodeErrors     uint64
	total            uint64
	byEvent          map[string]uint64 // this interval
	bySeverity       [3]uint64         // this interval
	intervalStart    time.Time
	kernelStats      func() [statMax]uint64
	lostReported     uint64     // losses already announced in-stream
	lostAtInterval   uint64     // lostSoFar() when the stats interval began
	lostKernelSeen   uint64     // kernel-side losses as of the last check
	watch            *watch.IDs // the kernel's watch ids, stable across reloads
	engine           *rules.Engine
	tracker          *analytics.Tracker
	alerts           map[string]*alertFold
	alertKey         []byte // foldAlert's key buffer, reused
	alertsFolded     uint64
	folds            map[foldKey]*record.Process
	userns           map[uint32]bool // made a user namespace while not root
	syscallsRepeated uint64

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
	return p
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
	switch e := ev.(type) {
	case *event.Exec:
		r = p.onExec(e)
	case *event.Exit:
		r = p.onExit(e)
	case *event.Fork:
		r = p.onFork(e)
	case *event.File:
		r = p.onFile(e)
	case *event.Net:
		r = p.onNet(e)
	case *event.Syscall:
		r = p.onSyscall(e)
	case *event.Priv:
		r = p.onPriv(e)
	}
	p.emit(r)
}

// emit judges a record (rules, analytics), folds a repeated alert, and
// queues it.
func (p *processor) emit(r *record.Record) {
	if r == nil {
		return
	}
	if p.engine != nil {
		p.engine.Evaluate(r)
	}
	if len(r.Rules) > 0 {
		now := time.Now()
		r.Degraded = p.lostSoFar() > p.lostAtInterval
		if p.tracker != nil {
			p.tracker.Alert(r, now)
		}
		if p.foldAlert(r, now) {
			return
		}
	} else if r.Syscall != nil && p.foldAlert(r, time.Now()) {
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
	p.bySeverity[r.Severity]++
	if r.Severity < p.cfg.MinSeverity {
		return
	}
	if p.cfg.Events != nil && !p.cfg.Events[r.Event] {
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

// processFrom builds the record's process from the kernel's header and the
// process table.
func (p *processor) processFrom(h *event.Header, exe []byte) *record.Process {
	rp := &record.Process{
		PID: h.PID, TID: h.TID, PPID: h.PPID,
		UID: h.UID, GID: h.GID, EUID: h.EUID, EGID: h.EGID,
		LoginUID: h.LoginUID, HasLoginUID: h.HasLoginUID() && h.LoginUID != unsetLoginUID,
		Comm:   h.Comm,
		Exe:    exe,
		Compat: h.Compat(),

		ExeDeleted: h.ExeDeleted(),
	}
	var anc [proc.MaxAncestry]proc.Ancestor
	chain := p.table.Ancestry(anc[:0], h.PID)
	rp.Ancestry = make([]record.Ancestor, len(chain)) // one allocation, never nil
	for i, a := range chain {
		rp.Ancestry[i] = record.Ancestor{PID: a.PID, Exe: a.Exe}
	}
	return rp
}

// track updates the table entry of the acting process from its header.
func (p *processor) track(h *event.Header) *proc.Process {
	e := p.table.Upsert(h.PID)
	e.PPID = h.PPID
	e.UID = h.UID
	if e.Comm != string(h.Comm) { // compared without a copy; copied when it changed
		e.Comm = string(h.Comm)
	}
	return e
}

func (p *processor) onExec(e *event.Exec) *record.Record {
	entry := p.track(&e.Header)
	if e.Ret == 0 || entry.Exe == "" {
		entry.Exe = string(e.Exe)
	}
	rp := p.processFrom(&e.Header, e.Exe)
	rp.Args = append([][]byte{}, e.Args...) // the decoder reuses its slice
	rp.ArgsTruncated = e.ArgsTruncated()
	rp.Cwd = e.Cwd
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "exec",
		Category: record.CatProcess,
		Process:  rp,
		Exec: &record.Exec{
			Filename:          e.Filename,
			Ret:               e.Ret,
			Execveat:          e.Flags&event.ExecFlagExecveat != 0,
			ExeDeleted:        e.Flags&event.ExecFlagExeDeleted != 0,
			StdioSockets:      stdioSockets(e.Flags),
			LDPreload:         e.Flags&event.ExecFlagLDPreload != 0,
			FilenameTruncated: e.Flags&event.ExecFlagFilenameTruncated != 0,
		},
	}
	if e.Ret < 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("exec of %q failed: %s", e.Filename, r.Error)
	} else {
		r.Message = fmt.Sprintf("process %d executed %s", e.PID, e.Exe)
	}
	return r
}

func (p *processor) onExit(e *event.Exit) *record.Record {
	var exe []byte
	if entry := p.table.Get(e.PID); entry != nil {
		exe = []byte(entry.Exe)
	}
	rp := p.processFrom(&e.Header, exe)
	p.table.Remove(e.PID)
	if p.tracker != nil {
		p.tracker.Exited(e.PID)
	}
	delete(p.userns, e.PID)
	x := &record.Exit{
		Code:       e.Code(),
		Signal:     e.Signal(),
		CoreDumped: e.CoreDumped(),
		Lifetime:   time.Duration(e.LifetimeNs),
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "exit",
		Category: record.CatProcess,
		Process:  rp,
		Exit:     x,
	}
	if x.Signal != 0 {
		r.Message = fmt.Sprintf("process %d killed by %s", e.PID, output.SignalName(x.Signal))
	} else {
		r.Message = fmt.Sprintf("process %d exited with code %d", e.PID, x.Code)
	}
	return r
}

func (p *processor) onFork(e *event.Fork) *record.Record {
	parent := p.track(&e.Header)
	if parent.Exe == "" {
		// a process the table did not know (started before the seed, or
		// evicted): its exe is still readable now, while it runs
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", e.PID)); err == nil {
			parent.Exe = exe
		}
	}
	p.table.Fork(e.PID, e.ChildPID)
	if p.userns[e.PID] && len(p.userns) < usernsMax {
		p.userns[e.ChildPID] = true
	}
	return &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "fork",
		Category: record.CatProcess,
		Message:  fmt.Sprintf("process %d forked child %d", e.PID, e.ChildPID),
		Process:  p.processFrom(&e.Header, []byte(parent.Exe)),
		Fork:     &record.Fork{ChildPID: e.ChildPID},
	}
}

func (p *processor) statsRecord(final bool) *record.Record {
	now := time.Now()
	interval := now.Sub(p.intervalStart)
	var n uint64
	for _, v := range p.byEvent {
		n += v
	}
	s := &record.Stats{
		Final:            final,
		Interval:         interval,
		Uptime:           now.Sub(p.started),
		Events:           p.byEvent,
		BySeverity:       p.bySeverity,
		Total:            p.total,
		LostPerf:         p.lostPerf,
		LostQueue:        p.lostQueue,
		DecodeErrors:     p.decodeErrors,
		ProcTableSize:    p.table.Len(),
		ProcEvictions:    p.table.Evictions(),
		LostKernel:       map[string]uint64{},
		SyscallsRepeated: p.syscallsRepeated,
		AlertsFolded:     p.alertsFolded,
	}
	if p.tracker != nil {
		top := 5
		if p.engine != nil {
			top = p.engine.Policy().Top
		}
		s.Top = p.tracker.Top(top, now)
		s.Tracked = p.tracker.Len()
		s.TrackedEvicted = p.tracker.Evictions()
	}
	if interval > 0 {
		s.EventsPerSec = float64(n) / interval.Seconds()
	}
	if p.kernelStats != nil {
		p.fillKernelStats(s)
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

// lostSoFar is every loss known without reading the kernel's counters
// (those are refreshed once a second by checkLoss).
func (p *processor) lostSoFar() uint64 {
	return p.lostPerf + p.lostQueue + p.decodeErrors + p.lostKernelSeen
}

// lossSnapshot reads every loss counter without resetting interval counts.
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
	return s
}

func startRecord(cfg *Config, l *loaded, seeded int) *record.Record {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	kernel := unix.ByteSliceToString(uts.Release[:])
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
		}},
	}
}

// fileVia names the path an operation took when it was not a syscall.
func fileVia(flags uint32) string {
	switch {
	case flags&event.FileFlagIOUring != 0:
		return "io_uring"
	case flags&event.FileFlagLSMHook != 0:
		return "security_file_open"
	}
	return ""
}

// onFile reports an access to a watched path (the kernel sent only those).
func (p *processor) onFile(e *event.File) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	f := &record.File{
		Path:          e.Path,
		RequestedPath: e.Requested,
		TargetPath:    e.Target,
		OpenFlags:     e.OpFlags,
		FD:            -1,
		Resolved:      e.Flags&event.FileFlagResolved != 0,
		Via:           fileVia(e.Flags),
		PathTruncated: e.Flags&event.FileFlagPathTruncated != 0,
	}
	owner := int64(-1)
	if w, ok := p.watch.Lookup(e.WatchID); ok {
		f.Class, f.Watch, owner = w.Class, w.Path, w.Owner
	}
	f.WatchOwner = owner
	name := fileOpNames[e.Op]
	if name == "" {
		name = "file"
	}
	f.Operation = name
	switch e.Op {
	case event.FileOpChmod, event.FileOpMknod:
		f.Mode, f.HasMode = e.Mode, true
	case event.FileOpChown:
		f.Owner = &record.Owner{UID: int64(int32(e.OwnerUID)), GID: int64(int32(e.OwnerGID))}
	case event.FileOpOpen:
		name = "open"
		f.Operation = openOperation(e.OpFlags)
		if e.OpFlags&unix.O_CREAT != 0 || e.OpFlags&unix.O_TMPFILE == unix.O_TMPFILE {
			f.Mode, f.HasMode = e.Mode&0o7777, true
		}
		if e.Ret >= 0 && e.Flags&event.FileFlagLSMHook == 0 {
			f.FD = e.Ret
		}
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    name,
		Category: record.CatFile,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		File:     f,
	}
	switch {
	case e.Ret < 0:
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("%s of %s by %s failed: %s", f.Operation, e.Path, entry.Exe, r.Error)
	case e.Op == event.FileOpOpen:
		r.Message = fmt.Sprintf("%s opened %s for %s", entry.Exe, e.Path, f.Operation)
	case len(e.Target) > 0:
		r.Message = fmt.Sprintf("%s: %s %s -> %s", entry.Exe, name, e.Path, e.Target)
	default:
		r.Message = fmt.Sprintf("%s: %s %s", entry.Exe, name, e.Path)
	}
	return r
}

// procMemOwner returns the pid in /proc/<pid>/..., or 0.
func procMemOwner(path []byte) uint32 {
	rest, ok := bytes.CutPrefix(path, []byte("/proc/"))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(rest, '/'); i > 0 {
		rest = rest[:i]
	}
	v, err := strconv.ParseUint(string(rest), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// fileOpNames are the event names of enum file_op.
var fileOpNames = map[uint32]string{
	event.FileOpOpen:     "open",
	event.FileOpUnlink:   "unlink",
	event.FileOpRmdir:    "rmdir",
	event.FileOpRename:   "rename",
	event.FileOpChmod:    "chmod",
	event.FileOpChown:    "chown",
	event.FileOpTruncate: "truncate",
	event.FileOpLink:     "link",
	event.FileOpSymlink:  "symlink",
	event.FileOpMknod:    "mknod",
}

func openOperation(flags uint32) string {
	switch flags & unix.O_ACCMODE {
	case unix.O_WRONLY:
		return "write"
	case unix.O_RDWR:
		return "read-write"
	}
	return "read"
}

// fillKernelStats splits the kernel counters into losses and filter counts.
func (p *processor) fillKernelStats(s *record.Stats) {
	ks := p.kernelStats()
	for i, v := range ks {
		if i < event.StatLossMax {
			s.LostKernel[event.StatNames[i]] = v
		}
	}
	s.FileChecked = ks[event.StatFileChecked]
	s.FileSent = ks[event.StatFileSent]
	s.NetFolded = ks[event.StatNetFolded]
	s.FileCached = ks[event.StatFileCached]
}

// onNet reports a connection, accept, listen, bind or UDP send.
func (p *processor) onNet(e *event.Net) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	n := &record.Network{
		Family:    netinfo.Family(e.Family),
		Protocol:  netinfo.Protocol(e.Protocol),
		Direction: netinfo.Direction(e.Op),
		Backlog:   int(e.Backlog),
		Folded:    e.Flags&event.NetFlagFolded != 0,
	}
	local, localPort := netinfo.Addr(e.Family, e.Saddr), e.Sport
	remote, remotePort := netinfo.Addr(e.Family, e.Daddr), e.Dport
	switch {
	case e.Family == netinfo.AFUnix:
		n.UnixPath = e.UnixPath
	case e.Op == event.NetOpListen || e.Op == event.NetOpBind:
		n.SrcIP, n.SrcPort = local, localPort
	case e.Op == event.NetOpAccept:
		// an inbound connection: its source is the peer
		n.SrcIP, n.SrcPort, n.DstIP, n.DstPort = remote, remotePort, local, localPort
	default:
		n.SrcIP, n.SrcPort, n.DstIP, n.DstPort = local, localPort, remote, remotePort
	}
	if e.Flags&event.NetFlagSyscall != 0 {
		n.Sources = append(n.Sources, "syscall")
	}
	if e.Flags&event.NetFlagKernel != 0 {
		n.Sources = append(n.Sources, "kernel")
	}
	name := netinfo.OpName(e.Op)
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Event:    name,
		Category: record.CatNetwork,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Network:  n,
	}
	r.Severity = record.Info
	if n.Folded {
		p.rememberFold(e, r.Process)
	}
	if e.Ret < 0 && e.Flags&event.NetFlagNoResult == 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
	}
	r.Message = netMessage(name, entry.Exe, n, r.Error)
	return r
}

// foldKey names a UDP fold window (the kernel's struct fold_key).
type foldKey struct {
	pid    uint32
	family uint16
	port   uint16
	addr   [16]byte
}

// maxFolds bounds the remembered fold windows (the kernel's map holds 16384).
const maxFolds = 16384

// rememberFold keeps the process of the event that opened a fold window,
// for the summary when the window closes (the process may be gone by then).
func (p *processor) rememberFold(e *event.Net, proc *record.Process) {
	if p.folds == nil {
		p.folds = map[foldKey]*record.Process{}
	}
	if len(p.folds) >= maxFolds {
		for k := range p.folds { // drop an arbitrary one: bounded memory first
			delete(p.folds, k)
			break
		}
	}
	p.folds[foldKey{pid: e.PID, family: e.Family, port: e.Dport, addr: e.Daddr}] = proc
}

// onFoldSummary reports how many UDP sends a closed fold window counted.
func (p *processor) onFoldSummary(f event.Fold) *record.Record {
	key := foldKey{pid: f.PID, family: f.Family, port: f.Port, addr: f.Addr}
	proc := p.folds[key]
	delete(p.folds, key)
	if proc == nil { // the first event was not seen (lost, or before a restart)
		var exe, comm string
		var ppid uint32
		if entry := p.table.Get(f.PID); entry != nil {
			exe, comm, ppid = entry.Exe, entry.Comm, entry.PPID
		}
		h := event.Header{PID: f.PID, TID: f.PID, PPID: ppid, UID: f.UID, EUID: f.UID, Comm: []byte(comm)}
		proc = p.processFrom(&h, []byte(exe))
	}
	exe := string(proc.Exe)
	n := &record.Network{
		Family:    netinfo.Family(f.Family),
		Protocol:  netinfo.Protocol(f.Protocol),
		DstIP:     netinfo.Addr(f.Family, f.Addr),
		DstPort:   f.Port,
		Direction: "outbound",
		Sources:   []string{"syscall"},
		Count:     f.Count,
	}
	name := netinfo.OpName(uint32(f.Op))
	r := &record.Record{
		Time:     p.wallTime(f.LastNs),
		Event:    name,
		Category: record.CatNetwork,
		Process:  proc,
		Network:  n,
		Message: fmt.Sprintf("%d UDP %ss to %s by %s in %s (the first was reported alone)", f.Count, name,
			netinfo.Endpoint(n.DstIP, n.DstPort), exe, time.Duration(f.LastNs-f.FirstNs).Round(time.Millisecond)),
	}
	r.Severity = record.Info
	return r
}

func netMessage(name, exe string, n *record.Network, errName string) string {
	var what string
	switch {
	case len(n.UnixPath) > 0:
		what = fmt.Sprintf("%s %s %q", exe, name, n.UnixPath)
	case name == "listen" || name == "bind":
		what = fmt.Sprintf("%s %s on %s %s", exe, name, n.Protocol, netinfo.Endpoint(n.SrcIP, n.SrcPort))
	case name == "accept":
		what = fmt.Sprintf("%s accepted %s from %s", exe, n.Protocol, netinfo.Endpoint(n.SrcIP, n.SrcPort))
	default:
		what = fmt.Sprintf("%s %s %s %s", exe, name, n.Protocol, netinfo.Endpoint(n.DstIP, n.DstPort))
	}
	if errName != "" {
		what += ": " + errName
	}
	return what
}

// isService says whether a process looks like a system service: started
// by init, or a daemon binary.  The rules issue makes this policy.
func (p *processor) isService(e *proc.Process) bool {
	if e.PPID == 1 {
		return true
	}
	return rules.IsServiceExe(e.Exe)
}

// usernsMax bounds the processes remembered as having made a user
// namespace while not root.
const usernsMax = 4096

// onSyscall reports a call of a security-sensitive syscall.
func (p *processor) onSyscall(e *event.Syscall) *record.Record {
	spec := syscalls.Lookup(e.Nr)
	if spec == nil {
		return nil
	}
	if spec.Name == "syslog" && !syscalls.SyslogClears(e.Args[0]) {
		return nil // reading the kernel log is everyday; clearing it is not
	}
	entry := p.track(&e.Header)
	p.knowExe(entry)
	call := syscalls.Call{Args: e.Args, Deref: e.Deref, Strs: e.Strs, Path: e.Path, Ret: e.Ret}
	s := &record.Syscall{Name: spec.Name, Nr: e.Nr, Group: spec.Group, Args: spec.Decode(&call), Ret: e.Ret}
	switch spec.Name {
	case "ptrace":
		s.TargetPID = uint32(e.Args[1])
	case "process_vm_readv", "process_vm_writev":
		s.TargetPID = uint32(e.Args[0])
	}
	if s.TargetPID != 0 {
		s.TargetExe = p.exeOf(s.TargetPID)
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Event:    spec.Name,
		Category: record.CatSyscall,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Syscall:  s,
		Severity: record.Info,
	}
	if e.Ret < 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
		r.Message = fmt.Sprintf("%s called %s: %s", entry.Exe, spec.Name, r.Error)
	} else {
		r.Message = fmt.Sprintf("%s called %s", entry.Exe, spec.Name)
	}
	if s.TargetPID != 0 {
		r.Message += fmt.Sprintf(" on pid %d (%s)", s.TargetPID, s.TargetExe)
	}
	p.trackUserns(e, spec, r)
	return r
}

// trackUserns remembers processes that made a user namespace while not
// root, and reports their use of its root for mounts, setns, modules or
// capabilities: the usual first step of a container escape or a kernel
// exploit.
func (p *processor) trackUserns(e *event.Syscall, spec *syscalls.Spec, r *record.Record) {
	if p.userns == nil {
		p.userns = map[uint32]bool{}
	}
	switch spec.Name {
	case "unshare", "clone", "clone3":
		flags := e.Args[0]
		if spec.Name == "clone3" {
			flags = e.Deref
		}
		if flags&syscalls.CloneNewUser == 0 || e.UID == 0 || e.Ret < 0 || len(p.userns) >= usernsMax {
			return
		}
		pid := e.PID
		if spec.Name != "unshare" {
			pid = uint32(e.Ret) // the child lives in the new namespace
		}
		p.userns[pid] = true
	case "mount", "umount2", "setns", "init_module", "finit_module", "capset", "pivot_root",
		"chroot", "move_mount", "fsmount":
		if !p.userns[e.PID] {
			return
		}
		priv := &record.Privilege{Means: "userns", Syscall: spec.Name, ExeUID: -1,
			Before: credsOf(&e.Header), After: credsOf(&e.Header)}
		p.emit(&record.Record{
			Time:     r.Time,
			Severity: record.Info,
			Event:    "privilege",
			Category: record.CatPrivilege,
			Message: fmt.Sprintf("%s (uid %d) used its user namespace's root for %s", r.Process.Exe,
				e.UID, spec.Name),
			Process: r.Process,
			Priv:    priv,
			Error:   r.Error,
		})
	}
}

func credsOf(h *event.Header) record.Creds {
	return record.Creds{UID: h.UID, EUID: h.EUID, GID: h.GID, EGID: h.EGID, SUID: h.UID, FSUID: h.EUID}
}

// knowExe fills a table entry's exe from /proc when the table has none (a
// process that started before the monitor, or was evicted).
func (p *processor) knowExe(e *proc.Process) {
	if e.Exe == "" {
		e.Exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", e.PID))
	}
}

// exeOf returns a process's executable from the table, else from /proc.
func (p *processor) exeOf(pid uint32) string {
	if e := p.table.Get(pid); e != nil && e.Exe != "" {
		return e.Exe
	}
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return exe
}

var privMeans = map[uint32]string{event.PrivSyscall: "syscall", event.PrivExec: "exec",
	event.PrivUnexplained: "unexplained", event.PrivUnexplainedAtCommit: "unexplained"}

// onPriv reports a task that gained privilege.
func (p *processor) onPriv(e *event.Priv) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	priv := &record.Privilege{
		Means:   privMeans[e.Means],
		Before:  record.Creds(e.Before),
		After:   record.Creds(e.After),
		Gained:  gained(&e.Before, &e.After),
		ExeUID:  int64(int32(e.ExeUID)),
		ExeMode: e.ExeMode,
	}
	if e.Means == event.PrivSyscall || e.Means == event.PrivUnexplained {
		if spec := syscalls.Lookup(e.Nr); spec != nil {
			priv.Syscall = spec.Name
		}
	}
	switch e.Means {
	case event.PrivUnexplained:
		priv.SeenAt = "syscall_exit" // noticed at the task's next monitored syscall
	case event.PrivUnexplainedAtCommit:
		priv.SeenAt = "commit_creds" // caught as it happened
		priv.SyscallNr = int64(int32(e.Nr))
		if spec := syscalls.Lookup(e.Nr); spec != nil {
			priv.Syscall = spec.Name
		}
	}
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Severity: record.Info,
		Event:    "privilege",
		Category: record.CatPrivilege,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Priv:     priv,
	}
	switch priv.Means {
	case "exec":
		r.Message = fmt.Sprintf("%s gained %s by exec (owner uid %d, mode %s)", entry.Exe,
			strings.Join(priv.Gained, ", "), priv.ExeUID, output.Octal(e.ExeMode&0o7777))
	case "syscall":
		r.Message = fmt.Sprintf("%s gained %s through %s", entry.Exe, strings.Join(priv.Gained, ", "), priv.Syscall)
	default:
		r.Message = fmt.Sprintf("%s gained %s with no set*id, capset or privileged exec seen: kernel exploit?",
			entry.Exe, strings.Join(priv.Gained, ", "))
	}
	return r
}

// gained lists what after has that before had not.
func gained(b, a *event.Creds) []string {
	var out []string
	if a.UID == 0 && b.UID != 0 {
		out = append(out, "uid 0")
	}
	if a.EUID == 0 && b.EUID != 0 {
		out = append(out, "euid 0")
	}
	if a.FSUID == 0 && b.FSUID != 0 {
		out = append(out, "fsuid 0")
	}
	return append(out, syscalls.CapNames(a.CapEffective&^b.CapEffective)...)
}

func stdioSockets(flags uint32) []string {
	var out []string
	for i, name := range []string{"stdin", "stdout", "stderr"} {
		if flags&(event.ExecFlagStdinSock<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// alertFold is an alert seen once in the fold window; repeats are counted.
type alertFold struct {
	first *record.Record
	since time.Time
	count uint64
}

// foldAlert says whether r repeats an alert (same rules, same process), or
// a syscall record (same call, first two arguments and outcome), already
// printed within the policy's fold window: a loop does not flood the log,
// and the same call after the window is reported again.  The count is reported when the window closes (sweepAlerts).
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

func transportName(t string) string {
	if t == "perf" {
		return "perf_buffer"
	}
	return "ring_buffer"
}
