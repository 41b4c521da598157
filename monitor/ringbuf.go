package monitor

/*
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

// A batch of records copied out of the ring, each prefixed with its length
// (u32).  One cgo call consumes everything waiting, instead of a call into
// Go per record (libbpfgo's RingBuffer does one per record, and only wakes
// on the kernel's signal).
struct lm_batch {
	char *buf;
	size_t cap, len;
	unsigned long dropped; // records that did not fit (allocation failure)
};

static int lm_on_sample(void *ctx, void *data, size_t size)
{
	struct lm_batch *b = ctx;
	size_t need = 4 + size;
	unsigned int sz = size;

	if (b->len + need > b->cap) {
		size_t cap = b->cap ? b->cap : (1 << 20);
		char *nb;

		while (cap < b->len + need)
			cap *= 2;
		nb = realloc(b->buf, cap);
		if (!nb) {
			b->dropped++;
			return 0;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, &sz, 4);
	memcpy(b->buf + b->len + 4, data, size);
	b->len += need;
	return 0;
}

static struct ring_buffer *lm_ring_new(int fd, struct lm_batch *b)
{
	return ring_buffer__new(fd, lm_on_sample, b, NULL);
}

// lm_ring_read waits up to timeout_ms for a wakeup, then consumes whatever
// is waiting (also what was written without a wakeup).
static int lm_ring_read(struct ring_buffer *rb, int timeout_ms)
{
	int n = ring_buffer__poll(rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	return ring_buffer__consume(rb);
}
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// ringReader drains the BPF ring buffer in batches.  Its goroutine hands
// each batch (a Go copy, so records may be kept) to the processor; when the
// processor is behind, it waits and the kernel's ring absorbs the burst or
// counts what it drops.
type ringReader struct {
	rb    *C.struct_ring_buffer
	batch *C.struct_lm_batch
	out   chan []byte
	stop  chan struct{}
	wg    sync.WaitGroup
	// each poll's wait for the kernel's wakeup, in ms: pollTimeoutMs, and
	// pollHurriedMs once hurry says the stop is near
	waitMs  atomic.Int32
	dropped uint64

	// poll reads the ring into batch (lm_ring_read) and after waits out a
	// back-off (time.After); tests replace both.
	poll  func(timeoutMs int) error
	after func(time.Duration) <-chan time.Time

	mu       sync.Mutex
	pollErr  error  // the last poll error while polls fail, nil once one succeeds
	pollErrs uint64 // poll errors in all
}

// newBatch allocates the C batch that lm_on_sample fills.
func newBatch() *C.struct_lm_batch {
	return (*C.struct_lm_batch)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_lm_batch{}))))
}

func newRingReader(mapFD int) (*ringReader, error) {
	b := newBatch()
	rb, err := C.lm_ring_new(C.int(mapFD), b)
	if rb == nil {
		C.free(unsafe.Pointer(b))
		return nil, fmt.Errorf("ring_buffer__new: %v", err)
	}
	r := &ringReader{rb: rb, batch: b, out: make(chan []byte, 64), stop: make(chan struct{}), after: time.After}
	r.waitMs.Store(pollTimeoutMs)
	r.poll = func(timeoutMs int) error {
		if n := C.lm_ring_read(r.rb, C.int(timeoutMs)); n < 0 && syscall.Errno(-n) != syscall.EINTR {
			return fmt.Errorf("ring buffer poll: %w", syscall.Errno(-n))
		}
		return nil
	}
	return r, nil
}

// Poll errors back off from 10 ms to 1 s, so that a broken ring costs no CPU;
// the error is kept for the monitor to report (failing) until a poll works.
const (
	pollBackoffMin = 10 * time.Millisecond
	pollBackoffMax = time.Second
)

// start polls every 100 ms at most (sooner when the kernel wakes us).
func (r *ringReader) start() {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(r.out)
		backoff := time.Duration(0)
		for {
			select {
			case <-r.stop:
				r.read(0) // what is left
				return
			case <-r.after(backoff):
			}
			if err := r.read(int(r.waitMs.Load())); err != nil {
				backoff = min(max(2*backoff, pollBackoffMin), pollBackoffMax)
			} else {
				backoff = 0
			}
		}
	}()
}

func (r *ringReader) read(timeoutMs int) error {
	err := r.poll(timeoutMs)
	r.mu.Lock()
	r.pollErr = err
	if err != nil {
		r.pollErrs++
	}
	r.mu.Unlock()
	if r.batch.len == 0 {
		return err
	}
	buf := C.GoBytes(unsafe.Pointer(r.batch.buf), C.int(r.batch.len))
	r.batch.len = 0
	r.dropped = uint64(r.batch.dropped)
	r.out <- buf
	return err
}

// failing returns the poll error while polls fail (nil once one works) and
// how many polls have failed in all.
func (r *ringReader) failing() (error, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pollErr, r.pollErrs
}

// pollHurriedMs: a poll's wait once the stop is near.
const pollHurriedMs = 5

// hurry shortens each poll's wait from now on: called before the links are
// destroyed, so that the poll under way when shutdown comes ends within
// pollHurriedMs rather than pollTimeoutMs (the stop waited for it after
// the detach, 50 ms on average).
func (r *ringReader) hurry() { r.waitMs.Store(pollHurriedMs) }

// shutdown asks for a last read; out is closed after it.  The processor
// keeps reading out until then, so nothing in the ring is left behind.
func (r *ringReader) shutdown() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
}

// free releases the ring once out is drained and closed.
func (r *ringReader) free() {
	r.wg.Wait()
	if r.rb != nil {
		C.ring_buffer__free(r.rb)
	}
	C.free(unsafe.Pointer(r.batch.buf))
	C.free(unsafe.Pointer(r.batch))
}

// splitBatch calls fn for each record of a batch (u32 length, bytes).
func splitBatch(b []byte, fn func([]byte)) {
	for len(b) >= 4 {
		n := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if n > len(b) {
			return
		}
		fn(b[:n:n])
		b = b[n:]
	}
}
