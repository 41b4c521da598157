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
	fanoutKeep   = 512  // dials remembered per process, newest kept
	fanoutProcs  = 4096 // processes remembered at once
)

type dial struct {
	at   time.Time
	ip   netip.Addr
	port uint16
}

// fanout holds each process's recent outbound connects.
type fanout struct {
	byPID map[uint32][]dial
}

// add counts a connect by pid to ip:port at now, and returns the distinct
// ports of ip and the distinct hosts the process tried within the window,
// this one included.  A connect the kernel reports twice (its syscall and
// its state change) counts once.
func (f *fanout) add(pid uint32, ip netip.Addr, port uint16, now time.Time) (ports, hosts int) {
	if f.byPID == nil {
		f.byPID = map[uint32][]dial{}
	}
	ds, ok := f.byPID[pid]
	if !ok && len(f.byPID) >= fanoutProcs {
		for k := range f.byPID { // bounded memory first: drop an arbitrary one
			delete(f.byPID, k)
			break
		}
	}
	keep := 0
	for keep < len(ds) && now.Sub(ds[keep].at) > fanoutWindow {
		keep++
	}
	ds = append(ds[keep:], dial{at: now, ip: ip, port: port})
	if len(ds) > fanoutKeep {
		ds = ds[len(ds)-fanoutKeep:]
	}
	f.byPID[pid] = ds
	seenPort := make(map[uint16]bool, 8)
	seenHost := make(map[netip.Addr]bool, 8)
	for _, d := range ds {
		seenHost[d.ip] = true
		if d.ip == ip {
			seenPort[d.port] = true
		}
	}
	return len(seenPort), len(seenHost)
}

// exit forgets a process.
func (f *fanout) exit(pid uint32) { delete(f.byPID, pid) }
