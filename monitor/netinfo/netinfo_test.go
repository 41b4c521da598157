package netinfo_test

import (
	"net/netip"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/netinfo"
)

func TestFamilyNamesInetInet6UnixNetlinkAndNumbersTheRest(t *testing.T) {
	tests := []struct {
		f    uint16
		want string
	}{
		{2, "inet"},
		{10, "inet6"},
		{1, "unix"},
		{0, "af0"},
		{16, "netlink"}, // the audit system's messages
		{17, "af17"},    // AF_PACKET
		{44, "af44"},    // AF_XDP
	}
	for _, tt := range tests {
		if got := netinfo.Family(tt.f); got != tt.want {
			t.Errorf("Family(%d) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestProtocolNamesTCPAndUDPAndNumbersTheRest(t *testing.T) {
	tests := []struct {
		p    uint16
		want string
	}{
		{6, "tcp"},
		{17, "udp"},
		{0, ""}, // unix sockets have none
		{132, "132"},
		{1, "1"},
	}
	for _, tt := range tests {
		if got := netinfo.Protocol(tt.p); got != tt.want {
			t.Errorf("Protocol(%d) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// addr16 puts the bytes of a in a 16-byte kernel address field.
func addr16(a ...byte) [16]byte {
	var b [16]byte
	copy(b[:], a)
	return b
}

func TestAddrReadsTheKernelAddressField(t *testing.T) {
	loopback6 := addr16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
	mapped := addr16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3)
	documentation := netip.MustParseAddr("2001:db8::42").As16()
	// bytes past the first four of an inet field are not part of the address
	inetWithJunk := addr16(127, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef)

	tests := []struct {
		name   string
		family uint16
		b      [16]byte
		want   string
	}{
		{"inet from the first four bytes", netinfo.AFInet, addr16(192, 168, 1, 20), "192.168.1.20"},
		{"inet ignores the other twelve bytes", netinfo.AFInet, inetWithJunk, "127.0.0.1"},
		{"inet6 loopback", netinfo.AFInet6, loopback6, "::1"},
		{"inet6 global", netinfo.AFInet6, documentation, "2001:db8::42"},
		{"IPv4-mapped inet6 shown as IPv4", netinfo.AFInet6, mapped, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := netinfo.Addr(tt.family, tt.b)
			if !got.IsValid() || got.String() != tt.want {
				t.Errorf("Addr(%d, % x) = %v, want %s", tt.family, tt.b, got, tt.want)
			}
		})
	}
	if got := netinfo.Addr(netinfo.AFInet6, mapped); !got.Is4() {
		t.Errorf("IPv4-mapped address %v is not reported as IPv4", got)
	}
}

func TestAddrOfUnixOrUnknownFamilyIsInvalid(t *testing.T) {
	for _, f := range []uint16{netinfo.AFUnix, 0, 16} {
		if got := netinfo.Addr(f, addr16(127, 0, 0, 1)); got.IsValid() {
			t.Errorf("Addr(%d, ...) = %v, want an invalid netip.Addr", f, got)
		}
	}
}

func TestOpNameAndDirectionOfEachNetOp(t *testing.T) {
	tests := []struct {
		op        uint32
		name, dir string
	}{
		{event.NetOpConnect, "connect", "outbound"},
		{event.NetOpSend, "send", "outbound"},
		{event.NetOpAccept, "accept", "inbound"},
		{event.NetOpListen, "listen", "listen"},
		{event.NetOpBind, "bind", "listen"},
	}
	for _, tt := range tests {
		if got := netinfo.OpName(tt.op); got != tt.name {
			t.Errorf("OpName(%d) = %q, want %q", tt.op, got, tt.name)
		}
		if got := netinfo.Direction(tt.op); got != tt.dir {
			t.Errorf("Direction(%s) = %q, want %q", tt.name, got, tt.dir)
		}
	}
	if got := netinfo.OpName(0); got != "net" {
		t.Errorf("OpName(0) = %q, want net", got)
	}
	if got := netinfo.OpName(99); got != "net" {
		t.Errorf("OpName(99) = %q, want net", got)
	}
}

func TestEndpointBracketsIPv6AndShowsOnlyThePortWithoutAnAddress(t *testing.T) {
	tests := []struct {
		ip   netip.Addr
		port uint16
		want string
	}{
		{netip.MustParseAddr("127.0.0.1"), 80, "127.0.0.1:80"},
		{netip.MustParseAddr("::1"), 80, "[::1]:80"},
		{netip.MustParseAddr("2001:db8::42"), 5001, "[2001:db8::42]:5001"},
		{netip.MustParseAddr("0.0.0.0"), 0, "0.0.0.0:0"},
		{netip.Addr{}, 80, ":80"},
		{netinfo.Addr(netinfo.AFInet6, addr16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3)), 53, "10.1.2.3:53"},
	}
	for _, tt := range tests {
		if got := netinfo.Endpoint(tt.ip, tt.port); got != tt.want {
			t.Errorf("Endpoint(%v, %d) = %q, want %q", tt.ip, tt.port, got, tt.want)
		}
	}
}
