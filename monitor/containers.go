// Enrichment: which container a record came from, by the cgroup id the
// kernel put in its header.

package monitor

import (
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// maxCgroups bounds the cache: past it, it starts over (a host makes a
// few hundred cgroups, a busy node a few thousand).
const maxCgroups = 8192

// containers turns cgroup ids into containers.  The kernel leaves each
// cgroup's names in a map before the cgroup's first record leaves it
// (bpf/common.h, note_cgroup), so a process that lived a millisecond still
// has its container; this reads the map once per cgroup, never per record.
type containers struct {
	names func(id uint64) ([]string, bool) // the kernel's map; nil: none (replay)
	byID  map[uint64]*record.Container     // nil value: the host's cgroup
}

// of returns the container of cgroup id, or nil for the host's own
// cgroups and for an id the kernel left no names for.
func (c *containers) of(id uint64) *record.Container {
	if c.names == nil || id == 0 {
		return nil
	}
	if ct, ok := c.byID[id]; ok {
		return ct
	}
	names, ok := c.names(id)
	if !ok {
		return nil // not cached: the names may come with a later record
	}
	var ct *record.Container
	if ident, ok := container.FromCgroupPath(cgroupPath(names)); ok {
		ct = &record.Container{ID: ident.ID, Runtime: ident.Runtime, PodUID: ident.PodUID}
	}
	if c.byID == nil || len(c.byID) >= maxCgroups {
		c.byID = make(map[uint64]*record.Container)
	}
	c.byID[id] = ct
	return ct
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
