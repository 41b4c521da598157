package netinfo

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestScopeSaysWhetherAConnectionLeavesTheHost(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	os.WriteFile(conf, []byte("# written by dhclient\nsearch example.org\nnameserver 10.0.2.3\nnameserver fe80::1%eth0\noptions edns0\n"), 0o644)
	s := &Scope{ResolvConf: conf, interfaceAddrs: func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("192.0.2.1"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("2001:db8::1"), Mask: net.CIDRMask(64, 128)}}, nil
	}}
	for _, c := range []struct {
		ip, want string
	}{
		{"127.0.0.1", ScopeLoopback}, {"127.1.2.3", ScopeLoopback}, {"::1", ScopeLoopback},
		{"::ffff:127.0.0.1", ScopeLoopback}, {"192.0.2.1", ScopeLocal}, {"2001:db8::1", ScopeLocal},
		{"0.0.0.0", ScopeLocal}, {"192.0.2.2", ScopeRemote}, {"198.51.100.7", ScopeRemote}, {"", ""},
	} {
		var ip netip.Addr
		if c.ip != "" {
			ip = netip.MustParseAddr(c.ip)
		}
		if got := s.Of(ip); got != c.want {
			t.Errorf("Of(%s) = %q, want %q", c.ip, got, c.want)
		}
	}
	for _, c := range []struct {
		ip   string
		port uint16
		want bool
	}{
		{"10.0.2.3", 53, true}, {"::ffff:10.0.2.3", 53, true}, {"fe80::1", 53, true},
		{"10.0.2.3", 853, false}, {"10.0.2.4", 53, false},
	} {
		if got := s.IsResolver(netip.MustParseAddr(c.ip), c.port); got != c.want {
			t.Errorf("IsResolver(%s, %d) = %v, want %v", c.ip, c.port, got, c.want)
		}
	}
	if n := Nameservers(filepath.Join(dir, "missing")); len(n) != 0 {
		t.Errorf("a missing resolv.conf gave %v", n)
	}
}
