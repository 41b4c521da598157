// Package output writes records as text or JSON lines to stdout and,
// optionally, a log file.  It knows nothing of BPF or of detection.
package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Format is text or json.
type Format int

const (
	FormatText Format = iota
	FormatJSON
)

// ParseFormat accepts "text" and "json".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return FormatText, nil
	case "json":
		return FormatJSON, nil
	}
	return FormatText, fmt.Errorf("invalid format %q: use text or json", s)
}

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

// Writer formats each record once per sink style and writes whole lines.
// It is used by one goroutine.
type Writer struct {
	json    *jsonEncoder
	text    *textEncoder // plain text (file, or stdout when not a tty)
	color   *textEncoder // coloured text for a terminal
	format  Format
	stdout  *bufio.Writer
	file    *bufio.Writer
	fileRaw io.Writer

	FileErrors uint64
}

// NewWriter writes to stdout (colour when stdoutTTY and text) and to file
// when not nil.
func NewWriter(format Format, stdout io.Writer, stdoutTTY bool, file io.Writer) *Writer {
	w := &Writer{format: format, stdout: bufio.NewWriterSize(stdout, 64<<10)}
	switch format {
	case FormatJSON:
		w.json = newJSONEncoder()
	default:
		w.text = &textEncoder{}
		if stdoutTTY {
			w.color = &textEncoder{color: true}
		}
	}
	if file != nil {
		w.file = bufio.NewWriterSize(file, 64<<10)
		w.fileRaw = file
	}
	return w
}

// Line returns the encoded line for r without writing it (tests, tools).
func (w *Writer) Line(r *record.Record) []byte {
	if w.json != nil {
		return w.json.encode(r)
	}
	return w.text.encode(r)
}

// Write writes r to every sink.  Errors from the file do not stop stdout.
func (w *Writer) Write(r *record.Record) error {
	var line []byte
	if w.json != nil {
		line = w.json.encode(r)
	} else {
		line = w.text.encode(r)
	}
	var err error
	if w.file != nil {
		if _, ferr := w.file.Write(line); ferr != nil {
			w.FileErrors++
			err = ferr
		}
	}
	if w.color != nil {
		line = w.color.encode(r)
	}
	if _, serr := w.stdout.Write(line); serr != nil && err == nil {
		err = serr
	}
	return err
}

// Flush pushes buffered lines to the sinks.
func (w *Writer) Flush() error {
	var err error
	if w.file != nil {
		if ferr := w.file.Flush(); ferr != nil {
			w.FileErrors++
			err = ferr
		}
	}
	if serr := w.stdout.Flush(); serr != nil && err == nil {
		err = serr
	}
	return err
}
