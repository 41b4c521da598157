// Waiting: the records of a container whose lookup in the runtime's API is
// on its way wait for the answer, in order, so that they are judged with
// its name, image and kind (a build step: container.build), not without.
// The engine's create event usually answers before the container's first
// process runs; a build step's container and a slow engine are why this
// exists.  A record waits containerWait at most, then goes as it is.

package monitor

import (
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

const (
	// containerWait is how long a container's records wait for the API.
	containerWait = time.Second
	// containerWaitMax is how many records of one container wait at most:
	// past it, they go (a burst must not grow without bound).
	containerWaitMax = 4096
)

type containerQueue struct {
	since time.Time
	recs  []*record.Record
}

// waits keeps r when its container's answer is on its way or records of
// that container already wait (their order is kept).
func (p *processor) waits(r *record.Record, now time.Time) bool {
	ct := r.Container
	if ct == nil {
		return false
	}
	q := p.waiting[ct.ID]
	if q == nil {
		if !p.containers.unanswered(ct) {
			return false
		}
		if p.waiting == nil {
			p.waiting = map[string]*containerQueue{}
		}
		q = &containerQueue{since: now}
		p.waiting[ct.ID] = q
	}
	q.recs = append(q.recs, r)
	if len(q.recs) >= containerWaitMax {
		p.endWait(ct.ID)
	}
	return true
}

// endWait sends the records of container id that wait, each with what the
// API has said of it by now.
func (p *processor) endWait(id string) {
	q := p.waiting[id]
	if q == nil {
		return
	}
	delete(p.waiting, id)
	for _, r := range q.recs {
		if m := p.containers.metaOf(r.Container); m != nil {
			r.Container = withMeta(r.Container, m)
		}
		p.fromContainer(r)
		p.emit(r)
	}
}

// sweepWaiting sends the records that have waited timeout (all with 0).
// Their container's later records no longer wait: the API is taken to
// have no answer (one that comes later is still kept).
func (p *processor) sweepWaiting(now time.Time, timeout time.Duration) {
	for id, q := range p.waiting {
		if timeout == 0 || now.Sub(q.since) >= timeout {
			p.containers.failed(id)
			p.endWait(id)
		}
	}
}
