// Fan-out: how many ports of one host, and how many hosts, one process has
// tried to connect to lately.  A port scan is many connects, each of them
// ordinary: the count is what tells it (rules: port-scan).

package monitor

import (
	"net/netip"
	"time"
)

const (
	fanoutWindow = 10 * time.Second
	fanoutKeep   = 512  // hosts per process, and ports per host, remembered
	fanoutProcs  = 4096 // processes remembered at once
)

// hostFan is one destination host of a process: when each port was last
// tried, and the host.
type hostFan struct {
	last  time.Time
	ports map[uint16]time.Time
}

// fanout holds each process's recent outbound connects, by host.  The
// work per connect is the distinct ports of its host and the distinct
// hosts, not the connects: a client making thousands of connections to
// one service costs a map update each.
type fanout struct {
	byPID map[uint32]map[netip.Addr]*hostFan
}

// add counts a connect by pid to ip:port at now, and returns the distinct
// ports of ip and the distinct hosts the process tried within the window,
// this one included.  A connect the kernel reports twice (its syscall and
// its state change) counts once.
func (f *fanout) add(pid uint32, ip netip.Addr, port uint16, now time.Time) (ports, hosts int) {
	if f.byPID == nil {
		f.byPID = map[uint32]map[netip.Addr]*hostFan{}
	}
	hs, ok := f.byPID[pid]
	if !ok {
		if len(f.byPID) >= fanoutProcs {
			for k := range f.byPID { // bounded memory first: drop an arbitrary one
				delete(f.byPID, k)
				break
			}
		}
		hs = map[netip.Addr]*hostFan{}
		f.byPID[pid] = hs
	}
	h := hs[ip]
	if h == nil {
		h = &hostFan{ports: map[uint16]time.Time{}}
		hs[ip] = h
	}
	h.last = now
	h.ports[port] = now
	ports = fresh(h.ports, now, port)
	for a, o := range hs {
		if now.Sub(o.last) > fanoutWindow || (len(hs) > fanoutKeep && a != ip) {
			delete(hs, a)
		}
	}
	return ports, len(hs)
}

// fresh drops the ports tried before the window (and any over
// fanoutKeep), never cur, and returns how many are left.
func fresh(ports map[uint16]time.Time, now time.Time, cur uint16) int {
	if len(ports) == 1 {
		return 1
	}
	for p, t := range ports {
		if p != cur && (now.Sub(t) > fanoutWindow || len(ports) > fanoutKeep) {
			delete(ports, p)
		}
	}
	return len(ports)
}

// exit forgets a process.
func (f *fanout) exit(pid uint32) { delete(f.byPID, pid) }
