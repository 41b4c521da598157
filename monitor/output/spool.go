package output

import (
	"sync"
	"sync/atomic"
	"time"
)

// spool is a network sink's bounded queue: the writer goroutine pushes
// (never blocking), the sink's sender peeks a batch, sends it, and pops
// what the far end took.  Past the bound new messages are dropped and
// counted; at close, what is left after the grace period is counted too.
type spool struct {
	mu      sync.Mutex
	wake    chan struct{} // a message was queued, or closing
	queue   [][]byte      // oldest first
	bytes   int64
	max     int64
	closing bool

	queued  atomic.Int64
	dropped atomic.Uint64
	sent    atomic.Uint64
}

func newSpool(max int64) *spool {
	if max <= 0 {
		max = 8 << 20
	}
	return &spool{max: max, wake: make(chan struct{}, 1)}
}

func (q *spool) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// push queues msg, or drops and counts it when the queue is full or closing.
func (q *spool) push(msg []byte) {
	q.mu.Lock()
	if q.closing || q.bytes+int64(len(msg)) > q.max {
		q.mu.Unlock()
		q.dropped.Add(1)
		return
	}
	q.queue = append(q.queue, msg)
	q.bytes += int64(len(msg))
	q.queued.Store(q.bytes)
	q.mu.Unlock()
	q.signal()
}

// peek returns the oldest messages up to max bytes (at least one); they
// stay queued until pop.
func (q *spool) peek(max int) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	size := 0
	n := 0
	for _, m := range q.queue {
		if n > 0 && size+len(m) > max {
			break
		}
		size += len(m)
		n++
	}
	return append([][]byte(nil), q.queue[:n]...)
}

// pop removes the n oldest messages, sent.
func (q *spool) pop(n int) {
	q.drop(n, false)
}

// drop removes the n oldest messages, counted as sent or as dropped.
func (q *spool) drop(n int, lost bool) {
	q.mu.Lock()
	n = min(n, len(q.queue))
	for _, m := range q.queue[:n] {
		q.bytes -= int64(len(m))
	}
	q.queue = q.queue[:copy(q.queue, q.queue[n:])]
	q.queued.Store(q.bytes)
	q.mu.Unlock()
	if lost {
		q.dropped.Add(uint64(n))
	} else {
		q.sent.Add(uint64(n))
	}
}

// state is how many messages wait and whether Close was called.
func (q *spool) state() (n int, closing bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue), q.closing
}

// pause waits d, or less when close is called: new messages do not hurry
// a retry.
func (q *spool) pause(d time.Duration) { q.gather(d, 0) }

// gather waits d for the queue to hold full bytes (0: never enough), or
// less when close is called.
func (q *spool) gather(d time.Duration, full int64) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-q.wake:
			if _, closing := q.state(); closing || (full > 0 && q.queued.Load() >= full) {
				return
			}
		}
	}
}

// close stops new messages and gives the sender wait to empty the queue
// (done closes when it returns); then what is left is counted as dropped.
func (q *spool) close(wait time.Duration, done <-chan struct{}) {
	q.mu.Lock()
	q.closing = true
	q.mu.Unlock()
	q.signal()
	select {
	case <-done:
	case <-time.After(wait):
		n, _ := q.state()
		q.drop(n, true)
		q.signal()
		<-done
	}
}
