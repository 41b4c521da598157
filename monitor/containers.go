// Enrichment: which container a record came from, by the cgroup id the
// kernel put in its header, and what the runtime's API says of it.

package monitor

import (
	"context"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// maxCgroups bounds the caches: past it, they start over (a host makes a
// few hundred cgroups, a busy node a few thousand).
const maxCgroups = 8192

// metaWorkers is how many API lookups run at once.
const metaWorkers = 4

// containers turns cgroup ids into containers.  The kernel leaves each
// cgroup's names in a map before the cgroup's first record leaves it
// (bpf/common.h, note_cgroup), so a process that lived a millisecond still
// has its container; this reads the map once per cgroup, never per record.
// Names and images come from the runtime's API, asked in the background
// (metaLoop), whose answers the processor's loop hands to learn.  The
// engine's create event usually brings them before a container's first
// process runs; when it has not (a build step's container, an engine
// slow to answer), the container's records wait for the answer, in order,
// up to containerWait (waiting.go): judged without it, a build step's copy
// into /usr/local/bin is a dropped binary.
type containers struct {
	names func(id uint64) ([]string, bool) // the kernel's map; nil: none (replay)
	byID  map[uint64]*record.Container     // nil value: the host's cgroup

	ask   chan<- string // container ids to look up; nil: no API
	meta  map[string]*container.Meta
	asked map[string]bool // ids asked about, until the API says it has no answer
}

// metaAnswer is the API's answer about container id: nil meta when it had
// none (an error, an unknown id).
type metaAnswer struct {
	id   string
	meta *container.Meta
}

// unanswered says whether ct's lookup is on its way: asked, not answered.
func (c *containers) unanswered(ct *record.Container) bool {
	return ct != nil && c.asked[ct.ID] && c.meta[ct.ID] == nil
}

// failed notes that the API had no answer about id (or none in time): its
// records no longer wait, and a cgroup of it met later asks again.
func (c *containers) failed(id string) { delete(c.asked, id) }

// of returns the container of cgroup id, or nil for the host's own
// cgroups and for an id the kernel left no names for.
func (c *containers) of(id uint64) *record.Container {
	if c.names == nil || id == 0 {
		return nil
	}
	if ct, ok := c.byID[id]; ok {
		if ct != nil && ct.Name == "" {
			if m, ok := c.meta[ct.ID]; ok {
				ct = withMeta(ct, m) // a new value: records sent keep theirs
				c.byID[id] = ct
			}
		}
		return ct
	}
	names, ok := c.names(id)
	if !ok {
		return nil // not cached: the names may come with a later record
	}
	var ct *record.Container
	if ident, ok := container.FromCgroupPath(cgroupPath(names)); ok {
		ct = &record.Container{ID: ident.ID, Runtime: ident.Runtime, PodUID: ident.PodUID}
		if m, ok := c.meta[ct.ID]; ok {
			ct = withMeta(ct, m)
		} else {
			c.lookup(ct)
		}
	}
	if c.byID == nil || len(c.byID) >= maxCgroups {
		c.byID = make(map[uint64]*record.Container)
	}
	c.byID[id] = ct
	return ct
}

// lookup asks the API about a container once; a full queue drops the
// question (the container goes without a name) rather than wait.
func (c *containers) lookup(ct *record.Container) {
	if c.ask == nil || c.asked[ct.ID] || (ct.Runtime != "" && ct.Runtime != container.Docker) {
		return
	}
	if c.asked == nil || len(c.asked) >= maxCgroups {
		c.asked = make(map[string]bool)
	}
	select {
	case c.ask <- ct.ID:
		c.asked[ct.ID] = true
	default:
	}
}

// learn keeps an answer of the API.  It says whether the container is new
// to the monitor: its start is then a record of its own.
func (c *containers) learn(m container.Meta) bool {
	if c.meta == nil || len(c.meta) >= maxCgroups {
		c.meta = make(map[string]*container.Meta)
	}
	_, seen := c.meta[m.ID]
	c.meta[m.ID] = &m
	return !seen
}

// metaOf is what the API said of a container, nil before it answered.
func (c *containers) metaOf(ct *record.Container) *container.Meta {
	if ct == nil {
		return nil
	}
	return c.meta[ct.ID]
}

func withMeta(ct *record.Container, m *container.Meta) *record.Container {
	cp := *ct
	cp.Name, cp.Image, cp.ImageID, cp.Pod, cp.Namespace = m.Name, m.Image, m.ImageID, m.Pod, m.Namespace
	cp.Build, cp.Privileged, cp.Risks = m.Build, m.Privileged, m.Risks
	if cp.PodUID == "" { // the cgroup path has it under kubepods, not under docker
		cp.PodUID = m.PodUID
	}
	return &cp
}

// metaLoop answers containers' questions from Docker Engine's API until
// ctx ends: first the containers already running (known from the start),
// then each container the engine creates (its events: read before its
// first process runs, so its first records have it) and each id asked.
// An engine that is absent or fails costs a lookup.
func metaLoop(ctx context.Context, api *container.DockerAPI, ask <-chan string, found chan<- metaAnswer) {
	created := make(chan string, 64)
	go func() {
		for ctx.Err() == nil {
			api.Created(ctx, created) // returns when the stream breaks: the engine restarted
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}()
	answer := func(id string) {
		a := metaAnswer{id: id}
		if m, err := api.Inspect(ctx, id); err == nil {
			a.meta = &m
		}
		select {
		case found <- a:
		case <-ctx.Done():
		}
	}
	// a few lookups at once: in a start storm the engine answers each
	// slowly, and the containers' first records wait on none of them
	work := make(chan string, 256)
	defer close(work)
	for i := 0; i < metaWorkers; i++ {
		go func() {
			for id := range work {
				answer(id)
			}
		}()
	}
	if ids, err := api.Running(ctx); err == nil {
		for _, id := range ids {
			work <- id
		}
	}
	for {
		var id string
		select {
		case id = <-ask:
		case id = <-created:
		case <-ctx.Done():
			return
		}
		select {
		case work <- id:
		case <-ctx.Done():
			return
		}
	}
}

// cgroupPath joins the names the kernel gave, leaf first, into the tail of
// the cgroup's path.
func cgroupPath(leafFirst []string) string {
	var parts []string
	for i := len(leafFirst) - 1; i >= 0; i-- {
		if leafFirst[i] != "" {
			parts = append(parts, leafFirst[i])
		}
	}
	return "/" + strings.Join(parts, "/")
}
