package monitor

import (
	"net/netip"
	"testing"
	"time"
)

func TestFanoutCountsDistinctPortsAndHostsWithinTheWindow(t *testing.T) {
	var f fanout
	lo := netip.MustParseAddr("127.0.0.1")
	t0 := time.Unix(1000, 0)
	for i := 0; i < 25; i++ {
		ports, hosts := f.add(7, lo, uint16(40000+i), t0.Add(time.Duration(i)*100*time.Millisecond))
		if ports != i+1 || hosts != 1 {
			t.Fatalf("dial %d: ports=%d hosts=%d, want %d 1", i, ports, hosts, i+1)
		}
	}
	// the same port again (a retry, or the kernel's second view) counts once
	if ports, _ := f.add(7, lo, 40000, t0.Add(3*time.Second)); ports != 25 {
		t.Errorf("a repeated port: ports=%d, want 25", ports)
	}
	// another process is counted apart
	if ports, hosts := f.add(8, lo, 40000, t0.Add(3*time.Second)); ports != 1 || hosts != 1 {
		t.Errorf("pid 8: ports=%d hosts=%d, want 1 1", ports, hosts)
	}
	// past the window only the newest remain
	if ports, _ := f.add(7, lo, 50000, t0.Add(13*time.Second)); ports != 2 {
		t.Errorf("after 10 s: ports=%d, want 2 (the retry at 3 s and this one)", ports)
	}
	for i := 0; i < 60; i++ {
		_, hosts := f.add(9, netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}), 22, t0)
		if hosts != i+1 {
			t.Fatalf("host %d: hosts=%d", i, hosts)
		}
	}
	f.exit(7)
	if ports, _ := f.add(7, lo, 40001, t0.Add(14*time.Second)); ports != 1 {
		t.Errorf("after exit: ports=%d, want 1", ports)
	}
}

func TestFanoutKeepsBoundedState(t *testing.T) {
	var f fanout
	lo := netip.MustParseAddr("127.0.0.1")
	now := time.Unix(1000, 0)
	for i := 0; i < 3*fanoutKeep; i++ {
		f.add(7, lo, uint16(i), now)
	}
	if n := len(f.byPID[7][lo].ports); n > fanoutKeep {
		t.Errorf("%d ports kept, want at most %d", n, fanoutKeep)
	}
	for i := 0; i < 3*fanoutKeep; i++ {
		f.add(8, netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)}), 22, now)
	}
	if n := len(f.byPID[8]); n > fanoutKeep {
		t.Errorf("%d hosts kept, want at most %d", n, fanoutKeep)
	}
	for pid := uint32(0); pid < fanoutProcs+10; pid++ {
		f.add(pid+100, lo, 1, now)
	}
	if n := len(f.byPID); n > fanoutProcs {
		t.Errorf("%d processes kept, want at most %d", n, fanoutProcs)
	}
}
