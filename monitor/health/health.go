// Package health answers "is the monitor working?" over HTTP, for liveness
// probes (Kubernetes, load balancers, scripts): GET /healthz is 200 while the
// BPF programs are attached and the event loop keeps turning, and 503 with
// the reason otherwise.  --metrics-addr serves it beside /metrics.
package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Stale is how long the event loop may go without a beat before /healthz
// fails.  The loop beats at least once a second (its loss check).
const Stale = 5 * time.Second

// State is written by the monitor and read by the handler.
type State struct {
	hooks  atomic.Int32 // attached BPF programs; 0 before attach and after detach
	beat   atomic.Int64 // the event loop's last beat, unix nanoseconds
	reader atomic.Pointer[error]
	now    func() time.Time
}

// New returns a State that reports "starting" until the first beat.
func New() *State { return &State{now: time.Now} }

// Attached records how many BPF programs are attached now.
func (s *State) Attached(n int) { s.hooks.Store(int32(n)) }

// Beat records that the event loop is alive.
func (s *State) Beat() { s.beat.Store(s.now().UnixNano()) }

// Reader records the kernel buffer reader's state: nil while it reads, or
// the error its polls keep failing with.
func (s *State) Reader(err error) {
	if err == nil {
		s.reader.Store(nil)
	} else {
		s.reader.Store(&err)
	}
}

// Check returns nil when healthy, or why not.
func (s *State) Check() error {
	if s.hooks.Load() == 0 {
		return errors.New("no BPF program attached")
	}
	if err := s.reader.Load(); err != nil {
		return fmt.Errorf("the kernel buffer reader is failing: %v", *err)
	}
	b := s.beat.Load()
	if b == 0 {
		return errors.New("starting: the event loop has not run yet")
	}
	if age := s.now().Sub(time.Unix(0, b)); age > Stale {
		return fmt.Errorf("the event loop has not run for %s", age.Round(time.Millisecond))
	}
	return nil
}

// ServeHTTP answers /healthz.
func (s *State) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.Check(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "unhealthy: %v\n", err)
		return
	}
	fmt.Fprintf(w, "ok: %d BPF programs attached\n", s.hooks.Load())
}

// Server is the --metrics-addr listener.
type Server struct {
	ln  net.Listener
	srv *http.Server
}

// Listen binds addr now, so that a bad or busy address fails before any BPF
// program is loaded; Serve starts answering.  metrics, when not nil, is
// served at /metrics.
func Listen(addr string, s *State, metrics http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/healthz", s)
	if metrics != nil {
		mux.Handle("/metrics", metrics)
	}
	return &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}, nil
}

// Addr is the bound address (with the port chosen when addr asked for 0).
func (v *Server) Addr() net.Addr { return v.ln.Addr() }

// Serve answers until Close; run it in its own goroutine.
func (v *Server) Serve() error {
	if err := v.srv.Serve(v.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the server, letting requests in flight finish for a second.
func (v *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return v.srv.Shutdown(ctx)
}
