// Package monitor loads the BPF programs, reads their records from the perf
// buffer and drives the pipeline:
//
//	perf buffer -> decode (event) -> enrich (proc) -> filter -> output
//
// One goroutine (libbpfgo's) polls the perf buffer into a channel; one (the
// processor, Run's own) decodes, keeps the process table and builds records;
// one writes them.  The processor never blocks on output: a record that
// does not fit the output queue is counted as lost.
package monitor

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/analytics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/health"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/metrics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

const (
	pollTimeoutMs  = 100
	eventsChanLen  = 8192
	outputQueueLen = 8192
	statMax        = event.StatMax
	// after the links are gone, records still in the rings are read until
	// the channel has been empty this long
	drainQuiet = 300 * time.Millisecond
	drainMax   = 2 * time.Second
)

// bootNow is CLOCK_BOOTTIME in ns, the kernel's event clock.
func bootNow() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano())
}

func unsafePointer(k *uint32) unsafe.Pointer { return unsafe.Pointer(k) }
func leUint64(b []byte) uint64               { return binary.LittleEndian.Uint64(b) }

// Run monitors until ctx is cancelled, then drains, prints the final stats
// and detaches everything.  The returned error is an *Error with an exit code.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	// No collection until the start record: a start allocates much that
	// is garbage at once (the rules' parse above all), and six collections
	// of a 4 MB heap took 3 % of a start on one CPU.  The spike (5 MB of
	// resident set on this host) is handed back right after the start
	// record.
	gcPercent := debug.SetGCPercent(-1)
	gcOn := sync.OnceFunc(func() {
		debug.SetGCPercent(gcPercent)
		debug.FreeOSMemory()
	})
	defer gcOn()
	defer cfg.LogHeld.Release() // whatever the return: below, only a policy error drops it
	if cfg.PerfPages <= 0 || cfg.PerfPages&(cfg.PerfPages-1) != 0 {
		return errorf(ExitUsage, "--perf-pages %d: must be a power of two", cfg.PerfPages)
	}

	// The log file first: a bad path must fail before anything is loaded.
	var logFile *os.File
	if cfg.LogFile != "" {
		f, err := output.OpenLogFile(cfg.LogFile)
		if err != nil {
			return &Error{Code: ExitLogFile, Err: err}
		}
		logFile = f
		defer func() { logFile.Close() }() // the writer may have reopened it
	}

	// The health and metrics listener next, for the same reason.
	healthState := health.New()
	var m *metrics.Set // nil: no metrics, and every count is a no-op
	if cfg.MetricsAddr != "" {
		m = metrics.New(cfg.Version, kernelRelease())
		srv, err := health.Listen(cfg.MetricsAddr, healthState, m.Handler())
		if err != nil {
			return errorf(ExitUsage, "--metrics-addr %s: %v", cfg.MetricsAddr, err)
		}
		defer srv.Close()
		go func() {
			if err := srv.Serve(); err != nil {
				log.Error().Err(err).Str("addr", cfg.MetricsAddr).Msg("health server stopped")
			}
		}()
		log.Info().Str("addr", srv.Addr().String()).Msg("serving /metrics and /healthz")
	}

	if cfg.Policy == nil {
		cfg.Policy = policy.Default(rules.Names())
	}
	watchIDs := new(watch.IDs)
	mapEntries, err := watchIDs.MapEntries(cfg.watchEntries())
	if err != nil {
		return errorf(ExitUsage, "%v", err)
	}
	// The rules compile (CEL: a tenth of a start) while the programs load.
	// A policy error still comes first and alone: the log is held until
	// they have compiled (cfg.LogHeld).
	var engine *rules.Engine
	pol, held := cfg.Policy, cfg.LogHeld
	compiled := make(chan error, 1)
	go func() {
		var err error
		if engine, err = compileRules(pol); err == nil {
			held.Release()
		}
		compiled <- err
	}()
	l, err := load(&cfg, mapEntries, log)
	if perr := <-compiled; perr != nil {
		if l != nil {
			l.Close()
		}
		held.Discard()
		return &Error{Code: ExitPolicy, Err: fmt.Errorf("policy: %w", perr)}
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if built, read, parsed := engine.Kept(); built+read+parsed > 0 {
		log.Debug().Int("from_build", built).Int("read_back", read).Int("parsed", parsed).Str("file", keptRules).Msg("rules' checked expressions")
	}
	healthState.Attached(l.attachedHooks())
	for _, h := range l.hooks {
		m.Hook(h.Name, h.Attached)
	}

	events := make(chan []byte, eventsChanLen)
	lost := make(chan uint64, 1024)
	var ring *ringReader
	var batches <-chan []byte
	if cfg.Transport == "perf" {
		if err := l.startPerf(cfg.PerfPages, events, lost); err != nil {
			return err
		}
	} else {
		r, err := l.startRing()
		if err != nil {
			return err
		}
		ring, batches = r, r.out
	}

	var w *output.Writer
	if logFile != nil {
		w = output.NewWriter(cfg.Format, cfg.Stdout, cfg.StdoutTTY, logFile)
	} else {
		w = output.NewWriter(cfg.Format, cfg.Stdout, cfg.StdoutTTY, nil)
	}
	w.StdoutEvents = cfg.Events // the console's view; the log file keeps everything
	for _, s := range cfg.Syslogs {
		w.AddSyslog(s)
		s.Start()
		log.Info().Str("syslog", s.Name).Msg("sending records to syslog")
	}
	for _, h := range cfg.Webhooks {
		w.AddWebhook(h)
		h.Start()
		log.Info().Str("webhook", h.Name).Msg("posting records to a webhook")
	}
	m.Sinks(w.Sinks)
	outq := make(chan *record.Record, outputQueueLen)
	reopen := make(chan struct{}, 1)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		writeLoop(w, outq, reopen, cfg.LogFile, &logFile, cfg.Rotation, log)
	}()

	if cfg.Policy == nil {
		cfg.Policy = policy.Default(rules.Names())
	}
	p := newProcessor(&cfg, outq)
	p.metrics = m
	p.sinks = w.Sinks
	p.watch = watchIDs
	p.accts.load("/etc/passwd") // what a later change adds is judged against this
	p.engine = engine
	p.tracker = analytics.New(cfg.Policy.HalfLife, cfg.Policy.MaxTracked)
	p.kernelStats = l.maps.kernelStats
	p.skippedRuns = l.skippedRuns
	p.containers.names = l.maps.namesOfCgroup
	var found chan metaAnswer // the runtime API's answers; nil: none
	if cfg.DockerSocket != "" {
		if _, err := os.Stat(cfg.DockerSocket); err == nil {
			ask := make(chan string, 256)
			found = make(chan metaAnswer, 256)
			p.containers.ask = ask
			metaCtx, stopMeta := context.WithCancel(context.Background())
			defer stopMeta()
			go metaLoop(metaCtx, container.NewDockerAPI(cfg.DockerSocket), ask, found)
		}
	}
	seeded := p.table.SeedFromProc("/proc")

	// healthy from the start record on: whoever reads it may ask /healthz
	healthState.Beat()
	p.emitMonitor(startRecord(&cfg, l, seeded))
	gcOn()
	log.Debug().Int("hooks", len(l.links)).Int("seeded", seeded).Msg("monitor started")
	go l.keepKprobeAddresses(log)

	var tick <-chan time.Time
	if cfg.Interval > 0 {
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	calib := time.NewTicker(10 * time.Second)
	defer calib.Stop()
	lossTick := time.NewTicker(time.Second)
	defer lossTick.Stop()
	foldWindow := cfg.FoldWindow
	if foldWindow <= 0 {
		foldWindow = 10 * time.Second
	}
	foldTick := time.NewTicker(min(foldWindow/2, time.Second))
	defer foldTick.Stop()
	sweep := func() {
		for _, f := range l.maps.sweepFolds(bootNow(), foldWindow) {
			p.emit(p.onFoldSummary(f))
		}
		p.sweepSearches(time.Now(), searchTimeout)
		p.sweepWaiting(time.Now(), containerWait)
		p.sweepAccounts(time.Now(), accountsHold)
		p.sweepAlerts(time.Now(), p.engine.Policy().FoldWindow)
	}

	var readerErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case b := <-events:
			p.handle(b)
		case b := <-batches:
			splitBatch(b, p.handle)
		case n := <-lost:
			p.lostPerf += n
		case a := <-found:
			if a.meta == nil {
				p.containers.failed(a.id)
			} else {
				p.onContainerMeta(*a.meta)
			}
			p.endWait(a.id)
		case <-tick:
			p.emitMonitor(p.statsRecord(false))
		case <-calib.C:
			p.calibrate()
		case <-lossTick.C:
			p.flushMonitor()
			p.checkLoss()
			p.publishMetrics()
			healthState.Beat()
			if ring != nil {
				readerErr = checkReader(ring, readerErr, healthState, log)
			}
		case <-foldTick.C:
			sweep()
		case <-cfg.Reload:
			select {
			case reopen <- struct{}{}:
			default:
			}
			r := reloadPolicy(&cfg, l, p, log)
			m.Reload(r.Error == "")
			p.emitMonitor(r)
		}
	}

	// Shutdown: detach (no new records), read what is still in flight,
	// stop polling, final stats, flush.
	t0 := time.Now()
	healthState.Attached(0)
	if ring != nil {
		ring.hurry() // its last polls overlap the detach
	}
	expedited, err := l.detach()
	p.detachTime, p.detachExpedited = time.Since(t0), expedited
	if err != nil {
		log.Warn().Err(err).Msg("/sys/kernel/rcu_expedited could not be set back to 0; the next start tries again")
	}
	log.Debug().Dur("took", p.detachTime).Bool("expedited", expedited).Str("why_not", l.expediteWhyNot).Msg("detached")
	if ring != nil {
		ring.shutdown() // a last read, then out is closed
		for b := range ring.out {
			splitBatch(b, p.handle)
		}
		ring.free()
		p.lostQueue += ring.dropped
	} else {
		deadline := time.Now().Add(drainMax)
		quiet := time.NewTimer(drainQuiet)
	drain:
		for time.Now().Before(deadline) {
			select {
			case b := <-events:
				p.handle(b)
			case n := <-lost:
				p.lostPerf += n
			case <-quiet.C:
				break drain
			}
			if !quiet.Stop() {
				select {
				case <-quiet.C:
				default:
				}
			}
			quiet.Reset(drainQuiet)
		}
		l.perf.Stop()
		for b := range events { // closed by Stop; normally empty by now
			p.handle(b)
		}
	}
	log.Debug().Dur("took", time.Since(t0)).Msg("drained")
	p.sweepWaiting(time.Now(), 0) // what waits for a container's name goes first: it is older
	// every open fold window is reported now, whatever its age
	foldWindow = 0
	for _, f := range l.maps.sweepFolds(bootNow(), 0) {
		p.emit(p.onFoldSummary(f))
	}
	p.sweepSearches(time.Now(), 0)
	p.sweepAccounts(time.Now(), 0)
	p.sweepAlerts(time.Now(), 0)
	p.emitMonitor(p.statsRecord(true))
	p.publishMetrics()
	p.drainMonitor()
	close(outq)
	<-writerDone
	// what a relay or a webhook has not taken within two seconds is lost,
	// and said so
	for _, s := range cfg.Syslogs {
		before := s.Dropped()
		s.Close(2 * time.Second)
		if n := s.Dropped() - before; n > 0 {
			log.Error().Str("syslog", s.Name).Uint64("records", n).Err(s.Err()).Msg("records not delivered to syslog at stop")
		}
	}
	for _, h := range cfg.Webhooks {
		before := h.Dropped()
		h.Close(2 * time.Second)
		if n := h.Dropped() - before; n > 0 {
			log.Error().Str("webhook", h.Name).Uint64("records", n).Err(h.Err()).Msg("records not delivered to the webhook at stop")
		}
		log.Info().Str("webhook", h.Name).Uint64("sent", h.Sent()).Uint64("dropped", h.Dropped()).
			Uint64("retries", h.Retries()).Msg("webhook totals")
	}
	return nil
}

// checkReader reports a ring reader whose polls fail: on stderr when it
// starts failing and when it recovers, and in /healthz while it fails.
func checkReader(r *ringReader, prev error, h *health.State, log zerolog.Logger) error {
	err, n := r.failing()
	h.Reader(err)
	switch {
	case err != nil && (prev == nil || err.Error() != prev.Error()):
		log.Error().Err(err).Uint64("poll_errors", n).Msg("the ring buffer reader is failing; retrying with back-off")
	case err == nil && prev != nil:
		log.Warn().Uint64("poll_errors", n).Msg("the ring buffer reader works again")
	}
	return err
}

// reloadPolicy re-reads the policy file (SIGHUP).  A bad file is refused
// and the running policy kept; either way a monitor record says what
// happened.
func reloadPolicy(cfg *Config, l *loaded, p *processor, log zerolog.Logger) *record.Record {
	r := &record.Record{Time: time.Now(), Event: "policy", Category: record.CatMonitor}
	np, err := policy.Build(cfg.PolicyPath, cfg.RulesDir)
	if err == nil {
		// compiled before anything changes: a rule that does not compile
		// leaves the running policy whole
		err = p.engine.SetPolicy(np)
	}
	if err != nil {
		log.Error().Err(err).Msg("policy reload refused; the running policy stays in force")
		r.Severity = record.Warn
		r.Error = "EINVAL"
		r.Message = "policy reload refused, the running policy stays in force: " + err.Error()
		return r
	}
	// the same ids for the entries kept: records already in the ring keep
	// naming the entry that matched them
	mapEntries, err := p.watch.MapEntries(watchEntries(cfg.WatchPaths, np, cfg.NoDefaultWatch))
	if err == nil {
		err = l.maps.reloadWatchList(mapEntries)
	}
	if err == nil {
		err = l.maps.loadUnixWatch(append(append(append([]string{}, rules.RuntimeSockets...), cfg.UnixSockets...), np.WatchSockets...))
	}
	if err != nil {
		r.Severity = record.Warn
		r.Message = "policy reloaded, but the kernel's watch list could not be updated: " + err.Error()
	} else {
		r.Message = "policy reloaded from " + sources(cfg)
	}
	cfg.Policy = np
	p.tracker.Configure(np.HalfLife, np.MaxTracked)
	return r
}

func sources(cfg *Config) string {
	s := "the embedded default"
	if cfg.PolicyPath != "" {
		s = cfg.PolicyPath
	}
	if cfg.RulesDir != "" {
		s += " and " + cfg.RulesDir
	}
	return s
}

// sinkHealth reports a sink's write failures on stderr once per condition
// (a new error message), with a count when it recovers.
type sinkHealth struct {
	name     string
	lastErr  string
	failures uint64
}

func (h *sinkHealth) note(err error, log zerolog.Logger) {
	if err == nil {
		if h.failures > 0 {
			log.Warn().Str("sink", h.name).Uint64("failed_writes", h.failures).
				Msg("writes resumed; buffered lines were written")
			h.failures, h.lastErr = 0, ""
		}
		return
	}
	h.failures++
	if msg := err.Error(); msg != h.lastErr {
		h.lastErr = msg
		log.Error().Str("sink", h.name).Err(err).
			Msg("write failed; the monitor keeps running and retries (lines are buffered up to 4 MiB)")
	}
}

// logFileGone says why path no longer names the open file, or "".
func logFileGone(path string, f *os.File) string {
	var open, named unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &open); err != nil {
		return ""
	}
	if err := unix.Lstat(path, &named); err != nil {
		return "removed"
	}
	if open.Ino != named.Ino || open.Dev != named.Dev {
		return "replaced"
	}
	return ""
}

// writeLoop writes records and flushes them every 100 ms, so a line
// reaches stdout and the log file well within a second, in few writes.
// A write error never stops the monitor.  reopen asks for the log file to
// be opened again (logrotate's create mode, SIGHUP).
func writeLoop(w *output.Writer, outq <-chan *record.Record, reopen <-chan struct{}, logPath string,
	logFile **os.File, rot output.Rotation, log zerolog.Logger) {
	file := &sinkHealth{name: "log file"}
	stdout := &sinkHealth{name: "stdout"}
	// a log file removed or replaced behind our back (rm, a rotation
	// without SIGHUP) is noticed within a second and opened again
	check := time.NewTicker(time.Second)
	defer check.Stop()
	// lines are flushed every 100 ms (and when 64 KiB are waiting): one
	// write per batch, not per record, and well within a second of the event
	flushTick := time.NewTicker(100 * time.Millisecond)
	defer flushTick.Stop()
	pending := false
	reopenFile := func(why string) {
		f, err := output.OpenLogFile(logPath)
		if err != nil {
			file.note(err, log)
			return
		}
		if err := w.SetFile(f); err != nil {
			file.note(err, log)
		}
		(*logFile).Close()
		*logFile = f
		log.Info().Str("path", logPath).Str("why", why).Msg("log file reopened")
	}
	// --log-max-size: between two flushes, so each line is whole in one
	// file; one compression at a time runs beside the writer
	var compressing chan struct{}
	defer func() {
		if compressing != nil {
			<-compressing
		}
	}()
	rotateIfFull := func() {
		if rot.MaxBytes <= 0 || *logFile == nil {
			return
		}
		if st, err := (*logFile).Stat(); err != nil || st.Size() < rot.MaxBytes {
			return
		}
		if compressing != nil {
			<-compressing
			compressing = nil
		}
		if err := output.Rotate(logPath, rot); err != nil {
			file.note(err, log)
			return
		}
		reopenFile("rotated at --log-max-size")
		if rot.Compress {
			done := make(chan struct{})
			compressing = done
			go func() {
				defer close(done)
				if err := output.Compress(logPath); err != nil {
					log.Error().Err(err).Msg("the rotated log file stays uncompressed")
				}
			}()
		}
	}
	flush := func() {
		ferr, serr := w.Flush()
		if *logFile != nil {
			file.note(ferr, log)
			if ferr == nil {
				rotateIfFull()
			}
		}
		stdout.note(serr, log)
	}
	for {
		select {
		case r, ok := <-outq:
			if !ok {
				flush()
				if _, dropped := w.Dropped(); dropped > 0 {
					log.Error().Uint64("lines", dropped).Msg("log file lines dropped after repeated write failures")
				}
				return
			}
			w.Write(r)
			pending = true
			if r.Category == record.CatMonitor {
				flush() // start, stats, loss, stop: at once
				pending = false
			}
		case <-flushTick.C:
			if pending {
				flush()
				pending = false
			}
		case <-reopen:
			if logPath != "" {
				reopenFile("SIGHUP")
			}
		case <-check.C:
			if logPath == "" || *logFile == nil {
				continue
			}
			if why := logFileGone(logPath, *logFile); why != "" {
				reopenFile(why)
			}
		}
	}
}
