package monitor

import (
	"errors"
	"reflect"
	"syscall"
	"testing"
	"time"
)

// A ring whose poll keeps failing (EBADF, say) is polled with a growing
// back-off, not in a busy loop, and the error stays visible until a poll
// works again.  Before, the reader spun at full speed without a word.
func TestRingPollErrorsBackOffAndStayVisible(t *testing.T) {
	r := &ringReader{batch: newBatch(), out: make(chan []byte, 1), stop: make(chan struct{})}
	var waits []time.Duration
	ready := make(chan time.Time)
	close(ready)
	r.after = func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		return ready
	}
	polls := 0
	var seen []error
	r.poll = func(int) error {
		polls++
		if polls > 1 { // what the previous poll left visible
			err, _ := r.failing()
			seen = append(seen, err)
		}
		switch {
		case polls <= 9:
			return syscall.EBADF
		case polls == 10:
			return nil
		default:
			r.shutdown()
			return nil
		}
	}
	r.start()
	for range r.out {
	}
	r.free()

	ms := time.Millisecond
	want := []time.Duration{0, 10 * ms, 20 * ms, 40 * ms, 80 * ms, 160 * ms, 320 * ms, 640 * ms, time.Second, time.Second, 0}
	if len(waits) < len(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	for i, w := range want {
		if waits[i] != w {
			t.Fatalf("wait %d: %v; all: %v, want %v", i, waits[i], waits, want)
		}
	}
	if !errors.Is(seen[0], syscall.EBADF) || !errors.Is(seen[8], syscall.EBADF) || seen[9] != nil {
		t.Errorf("failing() while polls failed, then after one worked: %v", seen)
	}
	if _, n := r.failing(); n != 9 {
		t.Errorf("%d poll errors counted, want 9", n)
	}
}

// Once hurry is called (before the detach), each poll waits pollHurriedMs,
// and the last read after shutdown does not wait at all.
func TestRingPollsHurryBeforeTheStop(t *testing.T) {
	r := &ringReader{batch: newBatch(), out: make(chan []byte, 1), stop: make(chan struct{})}
	r.waitMs.Store(pollTimeoutMs)
	ready := make(chan time.Time)
	close(ready)
	r.after = func(time.Duration) <-chan time.Time { return ready }
	var waits []int
	r.poll = func(ms int) error {
		waits = append(waits, ms)
		switch len(waits) {
		case 2:
			r.hurry()
		case 4:
			r.shutdown()
		}
		return nil
	}
	r.start()
	for range r.out {
	}
	r.free()
	// after shutdown, the loop may poll again before it sees stop (select
	// picks at random among ready cases): hurried ones, then the last read
	n := len(waits)
	want := []int{pollTimeoutMs, pollTimeoutMs}
	for len(want) < n-1 {
		want = append(want, pollHurriedMs)
	}
	want = append(want, 0)
	if n < 5 || !reflect.DeepEqual(waits, want) {
		t.Errorf("poll waits %v, want %v", waits, want)
	}
}
