package netinfo

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// Where a peer is, from this host's point of view: an outbound connection
// is one that leaves the host.
const (
	ScopeLoopback = "loopback" // 127.0.0.0/8, ::1: never leaves the host
	ScopeLocal    = "local"    // one of this host's own addresses
	ScopeRemote   = "remote"
)

// Scope knows this host's addresses and the nameservers of resolv.conf,
// re-read at most every refresh (addresses come and go; resolv.conf is
// rewritten by DHCP and resolvconf).  Safe for concurrent use.
type Scope struct {
	ResolvConf string        // default /etc/resolv.conf
	Refresh    time.Duration // default 5 s

	mu        sync.Mutex
	read      time.Time
	local     map[netip.Addr]bool
	resolvers map[netip.Addr]bool
	// interfaceAddrs is net.InterfaceAddrs, replaced in tests
	interfaceAddrs func() ([]net.Addr, error)
}

// Of says where ip is: loopback, local or remote; "" for no address.
func (s *Scope) Of(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return ScopeLoopback
	}
	s.load()
	if s.local[ip] || ip.IsUnspecified() { // connect(0.0.0.0) reaches this host
		return ScopeLocal
	}
	return ScopeRemote
}

// IsResolver says whether ip:port is a nameserver of resolv.conf (port 53).
func (s *Scope) IsResolver(ip netip.Addr, port uint16) bool {
	if port != 53 || !ip.IsValid() {
		return false
	}
	s.load()
	return s.resolvers[ip.Unmap()]
}

func (s *Scope) load() {
	s.mu.Lock()
	defer s.mu.Unlock()
	refresh := s.Refresh
	if refresh == 0 {
		refresh = 5 * time.Second
	}
	if s.local != nil && time.Since(s.read) < refresh {
		return
	}
	s.read = time.Now()
	s.local = map[netip.Addr]bool{}
	addrs := s.interfaceAddrs
	if addrs == nil {
		addrs = net.InterfaceAddrs
	}
	if as, err := addrs(); err == nil {
		for _, a := range as {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				s.local[p.Addr().Unmap()] = true
			}
		}
	}
	path := s.ResolvConf
	if path == "" {
		path = "/etc/resolv.conf"
	}
	s.resolvers = Nameservers(path)
}

// Nameservers are the "nameserver" addresses of a resolv.conf; none when
// it cannot be read.
func Nameservers(path string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 || string(f[0]) != "nameserver" {
			continue
		}
		// an IPv6 nameserver may carry a zone: fe80::1%eth0
		if a, err := netip.ParseAddr(string(f[1])); err == nil {
			out[a.WithZone("").Unmap()] = true
		}
	}
	return out
}
