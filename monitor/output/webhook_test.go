package output

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// collector is a webhook receiver that fails its first failures requests
// with status, then takes every line it is sent.
type collector struct {
	mu       sync.Mutex
	failures int
	status   int
	lines    []string
	keys     []string
	auth     []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	if c.failures > 0 {
		c.failures--
		w.WriteHeader(c.status)
		return
	}
	if r.Header.Get("Content-Type") != "application/x-ndjson" {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	c.keys = append(c.keys, r.Header.Get("Idempotency-Key"))
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		c.lines = append(c.lines, sc.Text())
	}
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func TestWebhookRetriesA5xxAndLosesNothing(t *testing.T) {
	c := &collector{failures: 3, status: http.StatusServiceUnavailable}
	srv := httptest.NewServer(c)
	defer srv.Close()
	h, err := NewWebhook(srv.URL, WebhookOptions{Headers: http.Header{"Authorization": {"Bearer t0ken"}},
		BatchBytes: 100, BatchWait: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.Start()
	for i := 0; i < 50; i++ {
		h.Send([]byte(fmt.Sprintf(`{"n":%d}`+"\n", i)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(c.got()) < 50 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	h.Close(time.Second)
	got := c.got()
	if len(got) != 50 {
		t.Fatalf("received %d lines, want 50 (dropped %d)", len(got), h.Dropped())
	}
	for i, l := range got {
		if l != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("line %d: %s (order or duplicate)", i, l)
		}
	}
	if h.Dropped() != 0 || h.Sent() != 50 || h.Retries() != 3 {
		t.Errorf("dropped %d, sent %d, retries %d; want 0, 50, 3", h.Dropped(), h.Sent(), h.Retries())
	}
	seen := map[string]bool{}
	for _, k := range c.keys {
		if seen[k] || k == "" {
			t.Errorf("Idempotency-Key %q twice or empty", k)
		}
		seen[k] = true
	}
	for _, a := range c.auth {
		if a != "Bearer t0ken" {
			t.Errorf("Authorization %q", a)
		}
	}
}

// A 4xx other than 408 and 429 will not change on a retry: the batch is
// dropped and counted, and the next one goes.
func TestWebhookDropsAndCountsABatchTheServerRefuses(t *testing.T) {
	c := &collector{failures: 1, status: http.StatusRequestEntityTooLarge}
	srv := httptest.NewServer(c)
	defer srv.Close()
	h, _ := NewWebhook(srv.URL, WebhookOptions{BatchBytes: 1 << 20, BatchWait: 10 * time.Millisecond})
	h.Start()
	h.Send([]byte("{\"a\":1}\n"))
	deadline := time.Now().Add(5 * time.Second)
	for h.Dropped() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.Send([]byte("{\"b\":2}\n"))
	h.Close(5 * time.Second)
	if got := c.got(); h.Dropped() != 1 || len(got) != 1 || got[0] != `{"b":2}` {
		t.Errorf("dropped %d, received %q; want 1 and the second record", h.Dropped(), got)
	}
}

func TestWebhookFlags(t *testing.T) {
	for _, bad := range []string{"ftp://x", "localhost:80", "http://"} {
		if _, err := NewWebhook(bad, WebhookOptions{}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := NewWebhook("http://127.0.0.1:1/x", WebhookOptions{CAFile: "/nonexistent"}); err == nil {
		t.Error("a CA file on http:// accepted")
	}
	for in, want := range map[string][2]string{"Authorization: Bearer x:y": {"Authorization", "Bearer x:y"}, "X-A:b": {"X-A", "b"}} {
		k, v, err := ParseHeader(in)
		if err != nil || k != want[0] || v != want[1] {
			t.Errorf("%q: %q %q %v", in, k, v, err)
		}
	}
	for _, bad := range []string{"no colon", ": v", "a b: c", "a: b\r\nX: y"} {
		if _, _, err := ParseHeader(bad); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

// Nothing listens at first (connection refused), then the server comes up
// on the same address: every record arrives once, in order.
func TestWebhookRetriesAConnectionError(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h, _ := NewWebhook("http://"+addr+"/", WebhookOptions{BatchBytes: 64, BatchWait: 10 * time.Millisecond})
	h.Start()
	for i := 0; i < 20; i++ {
		h.Send([]byte(fmt.Sprintf("{\"n\":%d}\n", i)))
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if h.Err() == nil {
		t.Fatal("no error while nothing listens")
	}
	c := &collector{}
	l, err = net.Listen("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: c}
	go srv.Serve(l)
	defer srv.Close()
	for len(c.got()) < 20 && time.Now().Before(deadline.Add(10*time.Second)) {
		time.Sleep(10 * time.Millisecond)
	}
	h.Close(time.Second)
	got := c.got()
	for i, l := range got {
		if l != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("line %d: %s", i, l)
		}
	}
	if len(got) != 20 || h.Dropped() != 0 || h.Retries() == 0 {
		t.Errorf("received %d, dropped %d, retries %d; want 20, 0, some", len(got), h.Dropped(), h.Retries())
	}
}
