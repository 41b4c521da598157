package health

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, s *State) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestHealthzFollowsHooksAndTheEventLoop(t *testing.T) {
	now := time.Unix(1000, 0)
	s := New()
	s.now = func() time.Time { return now }

	if code, body := get(t, s); code != 503 || !strings.Contains(body, "no BPF program attached") {
		t.Fatalf("before attach: %d %q", code, body)
	}
	s.Attached(8)
	if code, body := get(t, s); code != 503 || !strings.Contains(body, "starting") {
		t.Fatalf("attached, no beat yet: %d %q", code, body)
	}
	s.Beat()
	now = now.Add(Stale)
	if code, body := get(t, s); code != 200 || body != "ok: 8 BPF programs attached\n" {
		t.Fatalf("healthy: %d %q", code, body)
	}
	now = now.Add(time.Millisecond)
	if code, body := get(t, s); code != 503 || !strings.Contains(body, "has not run for 5.001s") {
		t.Fatalf("stalled loop: %d %q", code, body)
	}
	s.Beat()
	s.Reader(errors.New("ring buffer poll: bad file descriptor"))
	if code, body := get(t, s); code != 503 || body != "unhealthy: the kernel buffer reader is failing: ring buffer poll: bad file descriptor\n" {
		t.Fatalf("failing reader: %d %q", code, body)
	}
	s.Reader(nil)
	if code, _ := get(t, s); code != 200 {
		t.Fatalf("reader recovered: %d", code)
	}
	s.Attached(0)
	if code, body := get(t, s); code != 503 || !strings.Contains(body, "no BPF program attached") {
		t.Fatalf("detached: %d %q", code, body)
	}
}

func TestListenRefusesABusyAddress(t *testing.T) {
	v, err := Listen("127.0.0.1:0", New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := Listen(v.Addr().String(), New(), nil); err == nil {
		t.Fatalf("a second listener on %s was accepted", v.Addr())
	}
}
