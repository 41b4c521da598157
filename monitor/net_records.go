// Records of network operations, and the summaries of folded UDP sends.

package monitor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// placeDst says where a destination is (an outbound connection leaves the
// host) and whether it is the configured resolver.
func (p *processor) placeDst(n *record.Network) {
	if !n.DstIP.IsValid() {
		return
	}
	n.DstScope = p.scope.Of(n.DstIP)
	n.Resolver = p.scope.IsResolver(n.DstIP, n.DstPort)
}

// onNet reports a connection, accept, listen, bind or UDP send.
func (p *processor) onNet(e *event.Net) *record.Record {
	entry := p.track(&e.Header)
	p.knowExe(entry)
	n := &record.Network{
		Family:    netinfo.Family(e.Family),
		Protocol:  netinfo.Protocol(e.Protocol),
		Direction: netinfo.Direction(e.Op),
		Backlog:   int(e.Backlog),
		Folded:    e.Flags&event.NetFlagFolded != 0,
	}
	local, localPort := netinfo.Addr(e.Family, e.Saddr), e.Sport
	remote, remotePort := netinfo.Addr(e.Family, e.Daddr), e.Dport
	switch {
	case e.Family == netinfo.AFNetlink:
		n.Protocol = "audit" // the kernel side reports only the audit system's
		n.Audit = auditMessage(e)
	case e.Family == netinfo.AFUnix:
		n.UnixPath = e.UnixPath
	case e.Op == event.NetOpListen || e.Op == event.NetOpBind:
		n.SrcIP, n.SrcPort = local, localPort
	case e.Op == event.NetOpAccept:
		// an inbound connection: its source is the peer
		n.SrcIP, n.SrcPort, n.DstIP, n.DstPort = remote, remotePort, local, localPort
	default:
		n.SrcIP, n.SrcPort, n.DstIP, n.DstPort = local, localPort, remote, remotePort
	}
	p.placeDst(n)
	if e.Flags&event.NetFlagSyscall != 0 {
		n.Sources = append(n.Sources, "syscall")
	}
	if e.Flags&event.NetFlagKernel != 0 {
		n.Sources = append(n.Sources, "kernel")
	}
	name := netinfo.OpName(e.Op)
	r := &record.Record{
		Time:     p.wallTime(e.TimeNs),
		Event:    name,
		Category: record.CatNetwork,
		Process:  p.processFrom(&e.Header, []byte(entry.Exe)),
		Network:  n,
	}
	r.Severity = record.Info
	if e.Op == event.NetOpConnect && n.DstIP.IsValid() {
		n.PortsTried, n.HostsTried = p.fanout.add(e.PID, n.DstIP, n.DstPort, r.Time)
	}
	if n.Folded {
		p.rememberFold(e, r.Process)
	}
	if e.Ret < 0 && e.Flags&event.NetFlagNoResult == 0 {
		r.Error = output.ErrnoName(int(-e.Ret))
	}
	r.Message = netMessage(name, entry.Exe, n, r.Error)
	return r
}

// auditMessage decodes a message to the audit system: its type, and the
// status fields an AUDIT_SET sets (its mask says which).
func auditMessage(e *event.Net) *record.AuditMessage {
	a := &record.AuditMessage{Type: netinfo.AuditTypes[e.AuditType], Enabled: -1, Failure: -1, PID: -1, RateLim: -1}
	if a.Type == "" {
		a.Type = strconv.FormatUint(uint64(e.AuditType), 10)
	}
	if a.Type != "AUDIT_SET" {
		return a
	}
	mask := e.AuditStatus[0]
	for i, f := range []*int64{&a.Enabled, &a.Failure, &a.PID, &a.RateLim} {
		if mask&(1<<i) != 0 {
			*f = int64(e.AuditStatus[1+i])
		}
	}
	return a
}

// foldKey names a UDP fold window (the kernel's struct fold_key).
type foldKey struct {
	pid    uint32
	family uint16
	port   uint16
	addr   [16]byte
}

// maxFolds bounds the remembered fold windows (the kernel's map holds 16384).
const maxFolds = 16384

// rememberFold keeps the process of the event that opened a fold window,
// for the summary when the window closes (the process may be gone by then).
func (p *processor) rememberFold(e *event.Net, proc *record.Process) {
	if p.folds == nil {
		p.folds = map[foldKey]*record.Process{}
	}
	if len(p.folds) >= maxFolds {
		for k := range p.folds { // drop an arbitrary one: bounded memory first
			delete(p.folds, k)
			break
		}
	}
	p.folds[foldKey{pid: e.PID, family: e.Family, port: e.Dport, addr: e.Daddr}] = proc
}

// onFoldSummary reports how many UDP sends a closed fold window counted.
func (p *processor) onFoldSummary(f event.Fold) *record.Record {
	key := foldKey{pid: f.PID, family: f.Family, port: f.Port, addr: f.Addr}
	proc := p.folds[key]
	delete(p.folds, key)
	if proc == nil { // the first event was not seen (lost, or before a restart)
		var exe, comm string
		var ppid uint32
		if entry := p.table.Get(f.PID); entry != nil {
			exe, comm, ppid = entry.Exe, entry.Comm, entry.PPID
		}
		h := event.Header{PID: f.PID, TID: f.PID, PPID: ppid, UID: f.UID, EUID: f.UID, Comm: []byte(comm)}
		proc = p.processFrom(&h, []byte(exe))
	}
	exe := string(proc.Exe)
	n := &record.Network{
		Family:    netinfo.Family(f.Family),
		Protocol:  netinfo.Protocol(f.Protocol),
		DstIP:     netinfo.Addr(f.Family, f.Addr),
		DstPort:   f.Port,
		Direction: "outbound",
		Sources:   []string{"syscall"},
		Count:     f.Count,
	}
	p.placeDst(n)
	name := netinfo.OpName(uint32(f.Op))
	r := &record.Record{
		Time:     p.wallTime(f.LastNs),
		Event:    name,
		Category: record.CatNetwork,
		Process:  proc,
		Network:  n,
		Message: fmt.Sprintf("%d UDP %ss to %s by %s in %s (the first was reported alone)", f.Count, name,
			netinfo.Endpoint(n.DstIP, n.DstPort), exe, time.Duration(f.LastNs-f.FirstNs).Round(time.Millisecond)),
	}
	r.Severity = record.Info
	return r
}

func netMessage(name, exe string, n *record.Network, errName string) string {
	var what string
	switch {
	case n.Audit != nil:
		what = fmt.Sprintf("%s sent %s to the audit system%s", exe, n.Audit.Type, output.AuditSettings(n.Audit))
	case len(n.UnixPath) > 0:
		what = fmt.Sprintf("%s %s %q", exe, name, n.UnixPath)
	case name == "listen" || name == "bind":
		what = fmt.Sprintf("%s %s on %s %s", exe, name, n.Protocol, netinfo.Endpoint(n.SrcIP, n.SrcPort))
	case name == "accept":
		what = fmt.Sprintf("%s accepted %s from %s", exe, n.Protocol, netinfo.Endpoint(n.SrcIP, n.SrcPort))
	default:
		what = fmt.Sprintf("%s %s %s %s", exe, name, n.Protocol, netinfo.Endpoint(n.DstIP, n.DstPort))
	}
	if errName != "" {
		what += ": " + errName
	}
	return what
}
