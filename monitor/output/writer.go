// Package output writes records as text or JSON lines to stdout and,
// optionally, a log file.  It knows nothing of BPF or of detection.
package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/metrics"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Format is text, json or ecs.
type Format int

const (
	FormatText Format = iota
	FormatJSON
	FormatECS // Elastic Common Schema documents, one per line
)

// ParseFormat accepts "text", "json" and "ecs".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	case "ecs":
		return FormatECS, nil
	}
	return FormatText, fmt.Errorf("invalid format %q: use text, json or ecs", s)
}

// lineEncoder makes one line of a machine format.
type lineEncoder interface{ encode(*record.Record) []byte }

// ErrLogFile wraps every failure to open the log file.
var ErrLogFile = errors.New("log file")

// OpenLogFile opens path for appending: created 0600 if new, never through
// a symlink (O_NOFOLLOW), close-on-exec.
func OpenLogFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w %s: is a symlink; refusing to follow it (give the real path)", ErrLogFile, path)
		}
		return nil, fmt.Errorf("%w %s: %w (choose a writable path)", ErrLogFile, path, err)
	}
	return f, nil
}

// lineSink collects whole lines and writes them with one write(2) per
// flush, so a reader of the file never sees half a record (the file is
// opened O_APPEND: each write lands at the end, whole).  When the sink
// fails (disk full, permissions), lines are kept up to maxPending bytes and
// retried at the next flush; past that the oldest are dropped and counted.
type lineSink struct {
	w       io.Writer
	buf     []byte
	dropped atomic.Uint64 // lines dropped because the sink kept failing
	queued  atomic.Int64  // len(buf), for the metrics' scrape
}

const (
	flushAt    = 64 << 10
	maxPending = 4 << 20
)

func (s *lineSink) write(line []byte) error {
	s.buf = append(s.buf, line...)
	if len(s.buf) >= flushAt {
		return s.flush()
	}
	s.queued.Store(int64(len(s.buf)))
	return nil
}

// truncater is a file whose tail can be cut back: a write that stops in
// the middle of a line (disk full) is undone to the last whole line.
type truncater interface {
	Seek(offset int64, whence int) (int64, error)
	Truncate(size int64) error
}

func (s *lineSink) flush() error {
	err := s.writeOut()
	s.queued.Store(int64(len(s.buf)))
	return err
}

func (s *lineSink) writeOut() error {
	if len(s.buf) == 0 {
		return nil
	}
	var end int64 = -1
	f, canCut := s.w.(truncater)
	if canCut {
		if off, err := f.Seek(0, io.SeekEnd); err == nil {
			end = off
		}
	}
	n, err := s.w.Write(s.buf)
	if err != nil && n > 0 && end >= 0 {
		// cut the half line written before the failure; it is retried whole
		whole := bytes.LastIndexByte(s.buf[:n], '\n') + 1
		if f.Truncate(end+int64(whole)) == nil {
			n = whole
		}
	}
	if n > 0 {
		s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	}
	if err != nil && len(s.buf) > maxPending {
		cut := len(s.buf) - maxPending
		if i := bytes.IndexByte(s.buf[cut:], '\n'); i >= 0 {
			cut += i + 1
		}
		s.dropped.Add(uint64(bytes.Count(s.buf[:cut], []byte{'\n'})))
		s.buf = s.buf[:copy(s.buf, s.buf[cut:])]
	}
	return err
}

// Writer formats each record once per sink style and writes whole lines.
// It is used by one goroutine.
type Writer struct {
	json   lineEncoder  // json or ecs; nil for text
	text   *textEncoder // plain text (file, or stdout when not a tty)
	color  *textEncoder // coloured text for a terminal
	format Format
	stdout *lineSink
	file   atomic.Pointer[lineSink] // SetFile swaps it; the metrics read it
	// StdoutEvents are the events the console shows (nil: all); the log
	// file gets every record, and the monitor's own are always shown
	StdoutEvents map[string]bool
	syslogs      []*Syslog    // every record, as RFC 5424 with the JSON line
	webhooks     []*Webhook   // every record's JSON line, batched
	syslogJSON   *jsonEncoder // the JSON for syslog and webhooks when the format is text (json and ecs send their own line)
}

// AddSyslog sends every record (what the log file gets) to s too.
func (w *Writer) AddSyslog(s *Syslog) {
	w.syslogs = append(w.syslogs, s)
	if w.json == nil && w.syslogJSON == nil {
		w.syslogJSON = newJSONEncoder()
	}
}

// AddWebhook sends every record's line (JSON, or ECS with -f ecs) to h.
func (w *Writer) AddWebhook(h *Webhook) {
	w.webhooks = append(w.webhooks, h)
	if w.json == nil && w.syslogJSON == nil {
		w.syslogJSON = newJSONEncoder()
	}
}

// Syslogs are the syslog destinations added.
func (w *Writer) Syslogs() []*Syslog { return w.syslogs }

// NewWriter writes to stdout (colour when stdoutTTY and text) and to file
// when not nil.
func NewWriter(format Format, stdout io.Writer, stdoutTTY bool, file io.Writer) *Writer {
	w := &Writer{format: format, stdout: &lineSink{w: stdout}}
	switch format {
	case FormatJSON:
		w.json = newJSONEncoder()
	case FormatECS:
		w.json = newECSEncoder()
	default:
		w.text = &textEncoder{}
		if stdoutTTY {
			w.color = &textEncoder{color: true}
		}
	}
	if file != nil {
		w.file.Store(&lineSink{w: file})
	}
	return w
}

// SetFile replaces the log file (SIGHUP after a rotation): what is still
// buffered goes to the old file first.  The caller closes the old file.
func (w *Writer) SetFile(file io.Writer) error {
	var err error
	if old := w.file.Load(); old != nil {
		err = old.flush()
		next := &lineSink{w: file}
		next.dropped.Store(old.dropped.Load())
		if err != nil {
			next.buf = old.buf
		}
		next.queued.Store(int64(len(next.buf)))
		w.file.Store(next)
		return err
	}
	w.file.Store(&lineSink{w: file})
	return nil
}

// Dropped is how many lines the sinks had to drop after failing to write.
func (w *Writer) Dropped() (stdout, file uint64) {
	if f := w.file.Load(); f != nil {
		file = f.dropped.Load()
	}
	return w.stdout.dropped.Load(), file
}

// Sinks reports each sink's queued bytes and drops; safe from any goroutine.
func (w *Writer) Sinks() []metrics.Sink {
	out := []metrics.Sink{{Name: "stdout", QueuedBytes: w.stdout.queued.Load(), Dropped: w.stdout.dropped.Load()}}
	if f := w.file.Load(); f != nil {
		out = append(out, metrics.Sink{Name: "file", QueuedBytes: f.queued.Load(), Dropped: f.dropped.Load()})
	}
	for _, s := range w.syslogs {
		out = append(out, metrics.Sink{Name: s.Name, QueuedBytes: s.Queued(), Dropped: s.Dropped()})
	}
	for _, h := range w.webhooks {
		out = append(out, metrics.Sink{Name: h.Name, QueuedBytes: h.Queued(), Dropped: h.Dropped()})
	}
	return out
}

// Line returns the encoded line for r without writing it (tests, tools).
func (w *Writer) Line(r *record.Record) []byte {
	if w.json != nil {
		return w.json.encode(r)
	}
	return w.text.encode(r)
}

// SinkError says which sink failed.
type SinkError struct {
	Sink string // stdout or file
	Err  error
}

func (e *SinkError) Error() string { return e.Sink + ": " + e.Err.Error() }
func (e *SinkError) Unwrap() error { return e.Err }

// Shown says whether the console shows r when it shows events (nil: all):
// the monitor's own records always show.
func Shown(events map[string]bool, r *record.Record) bool {
	return events == nil || r.Monitor != nil || r.Category == record.CatMonitor || events[r.Event]
}

// Write writes r to every sink.  A failing file does not stop stdout.
func (w *Writer) Write(r *record.Record) (fileErr, stdoutErr error) {
	show := Shown(w.StdoutEvents, r)
	file := w.file.Load()
	var line []byte // the format's line, encoded once for every sink
	if w.json != nil {
		line = w.json.encode(r)
	}
	if len(w.syslogs) > 0 || len(w.webhooks) > 0 {
		js := line
		if js == nil {
			js = w.syslogJSON.encode(r)
		}
		for _, s := range w.syslogs {
			s.Send(s.Format(r, js))
		}
		for _, h := range w.webhooks {
			h.Send(js)
		}
	}
	if !show && file == nil {
		return nil, nil
	}
	if line == nil {
		line = w.text.encode(r)
	}
	if file != nil {
		if err := file.write(line); err != nil {
			fileErr = &SinkError{Sink: "file", Err: err}
		}
	}
	if !show {
		return fileErr, nil
	}
	if w.color != nil {
		line = w.color.encode(r)
	}
	if err := w.stdout.write(line); err != nil {
		stdoutErr = &SinkError{Sink: "stdout", Err: err}
	}
	return fileErr, stdoutErr
}

// Flush pushes buffered lines to the sinks.
func (w *Writer) Flush() (fileErr, stdoutErr error) {
	if file := w.file.Load(); file != nil {
		if err := file.flush(); err != nil {
			fileErr = &SinkError{Sink: "file", Err: err}
		}
	}
	if err := w.stdout.flush(); err != nil {
		stdoutErr = &SinkError{Sink: "stdout", Err: err}
	}
	return fileErr, stdoutErr
}
