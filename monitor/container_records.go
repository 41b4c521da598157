// Enrichment from what the runtime's API said of a container: its start
// as a record of its own, its health checks told from people's commands,
// and its files' places on the host.

package monitor

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/container"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// onContainerMeta takes an answer of the runtime's API.  A container the
// monitor had not heard of gets a container_start record: what the rules
// judge its configuration on (privileged, the host's root or socket
// mounted), once, whether it started now or before the monitor.
func (p *processor) onContainerMeta(m container.Meta) {
	if !p.containers.learn(m) {
		return
	}
	ct := withMeta(&record.Container{ID: m.ID, Runtime: container.Docker}, &m)
	r := &record.Record{
		Time:      time.Now(),
		Severity:  record.Info,
		Event:     "container_start",
		Category:  record.CatContainer,
		Container: ct,
	}
	name := ct.Name
	if name == "" {
		name = ct.ShortID()
	}
	// the engine's create event comes before the start: no start time yet
	r.Message = fmt.Sprintf("container %s (%s) created", name, ct.Image)
	if !m.StartedAt.IsZero() {
		r.Message = fmt.Sprintf("container %s (%s) started", name, ct.Image)
		r.Time = m.StartedAt
		if m.StartedAt.Before(p.started) {
			r.Message = fmt.Sprintf("container %s (%s) running since %s, before the monitor", name, ct.Image,
				m.StartedAt.UTC().Format(time.RFC3339))
		}
	}
	if len(ct.Risks) > 0 {
		r.Message += ": " + strings.Join(ct.Risks, ", ")
	}
	p.emit(r)
}

// fromContainer adds to a record what the API said of its container: an
// exec that is the container's health check says so, a file has its path
// on the host.
func (p *processor) fromContainer(r *record.Record) {
	m := p.containers.metaOf(r.Container)
	if m == nil {
		return
	}
	if x := r.Exec; x != nil && len(m.Healthcheck) > 0 {
		x.Healthcheck = sameArgs(r.Process.Args, m.Healthcheck)
	}
	// a file reached through another process's /proc/PID/root is named
	// from the root of that process's namespace: no place of this
	// container's
	if f := r.File; f != nil && !procRoot.Match(f.RequestedPath) {
		f.HostPath = onHost(m, f.Path, f.HostPath)
		if len(f.TargetPath) > 0 {
			f.TargetHost = onHost(m, f.TargetPath, f.TargetHost)
		}
	}
}

// onHost is path's place on the host: a chrooted process's path is first
// made whole (from its mount namespace's root, nsPath), then put below
// the container's root or the mount that holds it.  nsPath is kept when
// the host place is unknown.
func onHost(m *container.Meta, path, nsPath []byte) []byte {
	p := path
	if len(nsPath) > 0 {
		p = nsPath
	}
	if h := m.HostPath(string(p)); h != "" {
		return []byte(h)
	}
	return nsPath
}

var procRoot = regexp.MustCompile(`^/proc/[0-9]+/root/`)

func sameArgs(args [][]byte, want []string) bool {
	if len(args) != len(want) {
		return false
	}
	for i := range args {
		if string(args[i]) != want[i] {
			return false
		}
	}
	return true
}
