package monitor

import (
	"bytes"
	"testing"
)

func TestHeldWriter(t *testing.T) {
	var out bytes.Buffer
	h := NewHeldWriter(&out)
	h.Write([]byte("a\n"))
	if out.Len() != 0 {
		t.Fatalf("written while held: %q", out.String())
	}
	h.Release()
	h.Write([]byte("b\n"))
	h.Release()
	if out.String() != "a\nb\n" {
		t.Errorf("released: %q, want a, b once each", out.String())
	}

	out.Reset()
	h = NewHeldWriter(&out)
	h.Write([]byte("warning\n"))
	h.Discard()
	h.Release() // Run's deferred release after a policy error
	h.Write([]byte("after\n"))
	if out.String() != "after\n" {
		t.Errorf("discarded: %q, want only what came after", out.String())
	}

	var none *HeldWriter // Config.LogHeld unset
	none.Release()
	none.Discard()
}
