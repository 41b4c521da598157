package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// peer is the far end of an outbound connection.  A connection must leave
// the host to be outbound, and tests may send nothing beyond this machine:
// so the peer is a network namespace of the test's own, joined to this one
// by a veth pair, on a /30 of the documentation ranges (RFC 5737) that no
// route or address of this host touches.
type peer struct {
	hostIP, ip netip.Addr // this end (an address of the host), the far end
	pid        int        // the namespace's holder: nsenter -t pid -n
}

var peerRanges = []string{"198.51.100.0/30", "203.0.113.0/30", "198.51.100.252/30", "203.0.113.252/30"}

// freePeerRange picks a /30 that no route but the default one, and no
// address of this host, overlaps.
func freePeerRange(t *testing.T) netip.Prefix {
	t.Helper()
	out, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		t.Fatalf("ip route: %v", err)
	}
	var used []netip.Prefix
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "default" {
			continue
		}
		if f[0] == "local" || f[0] == "broadcast" || f[0] == "unicast" {
			if len(f) < 2 {
				continue
			}
			f = f[1:]
		}
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			a, err := netip.ParseAddr(f[0])
			if err != nil {
				continue
			}
			p = netip.PrefixFrom(a, 32)
		}
		used = append(used, p)
	}
	for _, c := range peerRanges {
		p := netip.MustParsePrefix(c)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p
		}
	}
	t.Fatalf("every candidate range %v is in use on this host: no peer can be made", peerRanges)
	return netip.Prefix{}
}

// remotePeer sets the pair up for the test; it is gone when the test ends.
func remotePeer(t *testing.T) peer {
	t.Helper()
	r := freePeerRange(t)
	p := peer{hostIP: r.Addr().Next(), ip: r.Addr().Next().Next()}
	holder := exec.Command("unshare", "-n", "sleep", "600")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	p.pid = holder.Process.Pid
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() }) // the pair goes with the namespace
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for { // unshare runs before it execs sleep: wait for the new namespace
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", p.pid))
		if err == nil && ns != own {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unshare -n did not make a namespace: %v %q", err, ns)
		}
		time.Sleep(5 * time.Millisecond)
	}
	hostIf, peerIf := fmt.Sprintf("e2eh%d", p.pid), fmt.Sprintf("e2ep%d", p.pid)
	ns := strconv.Itoa(p.pid)
	bits := "/" + strconv.Itoa(r.Bits())
	for _, args := range [][]string{
		{"ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf, "netns", ns},
		{"ip", "addr", "add", p.hostIP.String() + bits, "dev", hostIf},
		{"ip", "link", "set", hostIf, "up"},
		{"nsenter", "-t", ns, "-n", "ip", "addr", "add", p.ip.String() + bits, "dev", peerIf},
		{"nsenter", "-t", ns, "-n", "ip", "link", "set", peerIf, "up"},
		{"nsenter", "-t", ns, "-n", "ip", "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostIf).Run() })
	// the pair is up when the far end answers (a refused connect is an answer)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp4", netip.AddrPortFrom(p.ip, 9).String(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s does not answer through %s", p.ip, hostIf)
	return p
}

// nsHolder starts a process in namespaces of its own (unshare's flags) for
// the test and returns its pid once they exist.
func nsHolder(t *testing.T, flags ...string) int {
	t.Helper()
	holder := exec.Command("unshare", append(flags, "sleep", "600")...)
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	pid := holder.Process.Pid
	// unshare makes the namespaces, then execs sleep: wait for the exec
	deadline := time.Now().Add(10 * time.Second)
	for {
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && filepath.Base(exe) == "sleep" {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("unshare %v did not exec sleep", flags)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
