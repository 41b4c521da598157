package monitor

import (
	"bytes"
	"io"
	"sync"
)

// HeldWriter keeps what is written to it until Release, which writes it
// out and lets everything after pass through; Discard drops it instead.
// The monitor's own log is held while the rules compile beside the load:
// a policy error is then the only line a bad policy prints, not the
// load's warnings first.
type HeldWriter struct {
	mu   sync.Mutex
	out  io.Writer
	kept bytes.Buffer
	held bool
}

// NewHeldWriter holds what is written for out.
func NewHeldWriter(out io.Writer) *HeldWriter {
	return &HeldWriter{out: out, held: true}
}

func (h *HeldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		return h.kept.Write(p)
	}
	return h.out.Write(p)
}

// Release writes what was kept and passes the rest through.
func (h *HeldWriter) Release() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		h.held = false
		h.out.Write(h.kept.Bytes())
		h.kept = bytes.Buffer{}
	}
}

// Discard drops what was kept and passes the rest through.
func (h *HeldWriter) Discard() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = false
	h.kept = bytes.Buffer{}
}
