// Package netinfo turns the kernel's socket numbers into the schema's words
// and addresses.  Pure functions, shared by the processor and its tests.
package netinfo

import (
	"net/netip"
	"strconv"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

// Address families and protocols as the kernel numbers them.
const (
	AFUnix    = 1
	AFInet    = 2
	AFInet6   = 10
	AFNetlink = 16

	NetlinkAudit = 9 // the audit system's netlink protocol

	ProtoTCP   = 6
	ProtoUDP   = 17
	ProtoMPTCP = 262 // Go >= 1.24 listens with MPTCP by default
)

// Family names an address family: inet, inet6, unix.
func Family(f uint16) string {
	switch f {
	case AFInet:
		return "inet"
	case AFInet6:
		return "inet6"
	case AFUnix:
		return "unix"
	case AFNetlink:
		return "netlink"
	}
	return "af" + strconv.Itoa(int(f))
}

// AuditTypes name the audit netlink messages the kernel side reports
// (enum audit_reported: those that change the audit system).
var AuditTypes = map[uint32]string{
	1001: "AUDIT_SET", 1011: "AUDIT_ADD_RULE", 1012: "AUDIT_DEL_RULE", 1014: "AUDIT_TRIM",
	1015: "AUDIT_MAKE_EQUIV", 1018: "AUDIT_SET_FEATURE",
}

// Protocol names an IP protocol: tcp, udp, or its number.
func Protocol(p uint16) string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoMPTCP:
		return "mptcp"
	case 0:
		return ""
	}
	return strconv.Itoa(int(p))
}

// Addr is the address in a 16-byte kernel field: IPv4 in the first four
// bytes for inet; IPv4-mapped IPv6 addresses are shown as IPv4.
func Addr(family uint16, b [16]byte) netip.Addr {
	switch family {
	case AFInet:
		return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
	case AFInet6:
		return netip.AddrFrom16(b).Unmap()
	}
	return netip.Addr{}
}

// OpName is the event name of enum net_op.
func OpName(op uint32) string {
	switch op {
	case event.NetOpConnect:
		return "connect"
	case event.NetOpAccept:
		return "accept"
	case event.NetOpListen:
		return "listen"
	case event.NetOpBind:
		return "bind"
	case event.NetOpSend:
		return "send"
	}
	return "net"
}

// Direction of an operation: outbound, inbound or listen.
func Direction(op uint32) string {
	switch op {
	case event.NetOpAccept:
		return "inbound"
	case event.NetOpListen, event.NetOpBind:
		return "listen"
	}
	return "outbound"
}

// Endpoint formats ip:port, [ip6]:port, or the unix path.
func Endpoint(ip netip.Addr, port uint16) string {
	if !ip.IsValid() {
		return ":" + strconv.Itoa(int(port))
	}
	return netip.AddrPortFrom(ip, port).String()
}
