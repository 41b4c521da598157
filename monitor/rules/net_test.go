package rules_test

import (
	"net/netip"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

func TestIsInterpreter(t *testing.T) {
	tests := []struct {
		exe  string
		want bool
	}{
		{"/bin/bash", true},
		{"/bin/sh", true},
		{"/usr/bin/python3", true},
		{"/usr/bin/python3.11", true},
		{"/usr/bin/perl5.36", true},
		{"/usr/bin/nc", true},
		{"/usr/bin/socat", true},
		{"/bin/busybox", true},
		{"/usr/bin/sha256sum", false}, // "sh" followed by letters is not a version
		{"/usr/bin/ncdu", false},      // "nc" followed by letters is not a version
		{"/usr/bin/curl", false},
		{"/usr/sbin/sshd", false},
		{"/usr/bin/pythonista", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := rules.IsInterpreter(tt.exe); got != tt.want {
			t.Errorf("IsInterpreter(%q) = %v, want %v", tt.exe, got, tt.want)
		}
	}
}

func TestIsServiceExe(t *testing.T) {
	tests := []struct {
		exe  string
		want bool
	}{
		{"/usr/sbin/nginx", true},          // in sbin
		{"/usr/local/sbin/anything", true}, // in sbin
		{"/usr/lib/systemd/systemd-resolved", true},
		{"/usr/bin/redis-server", true}, // a known service name outside sbin
		{"/usr/bin/python3", false},
		{"/tmp/sshd-lookalike", false},
	}
	for _, tt := range tests {
		if got := rules.IsServiceExe(tt.exe); got != tt.want {
			t.Errorf("IsServiceExe(%q) = %v, want %v", tt.exe, got, tt.want)
		}
	}
}

var (
	localhost = netip.MustParseAddr("127.0.0.1")
	anyAddr   = netip.MustParseAddr("0.0.0.0")
	remote    = netip.MustParseAddr("203.0.113.7")
)

func outbound(proto string, port uint16) *record.Network {
	return &record.Network{Family: "inet", Protocol: proto, SrcIP: localhost, SrcPort: 52392,
		DstIP: remote, DstPort: port, Direction: "outbound", Sources: []string{"syscall"}}
}

func listener(port uint16) *record.Network {
	return &record.Network{Family: "inet", Protocol: "tcp", SrcIP: anyAddr, SrcPort: port,
		Direction: "listen", Backlog: 128, Sources: []string{"syscall"}}
}

func unixSocket(path string) *record.Network {
	return &record.Network{Family: "unix", UnixPath: []byte(path), Direction: "outbound",
		Sources: []string{"syscall"}}
}

func TestNetSeverity(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		exe     string
		n       *record.Network
		service bool
		want    record.Severity
	}{
		{"a shell dialling out", "connect", "/bin/bash", outbound("tcp", 443), false, record.Warn},
		{"python dialling out", "connect", "/usr/bin/python3.11", outbound("tcp", 80), false, record.Warn},
		{"curl to https", "connect", "/usr/bin/curl", outbound("tcp", 443), false, record.Info},
		{"curl to a reverse-shell port", "connect", "/usr/bin/curl", outbound("tcp", 4444), false, record.Warn},
		{"a UDP send to a mining-pool port", "send", "/usr/bin/xmrig", outbound("udp", 3333), false, record.Warn},
		{"a UDP send to DNS", "send", "/usr/lib/systemd/systemd-resolved", outbound("udp", 53), true, record.Info},
		{"unix connect to the docker socket", "connect", "/usr/bin/curl", unixSocket("/var/run/docker.sock"), false, record.Warn},
		{"unix connect to containerd", "connect", "/usr/bin/ctr", unixSocket("/run/containerd/containerd.sock"), false, record.Warn},
		{"unix connect to another socket", "connect", "/usr/bin/curl", unixSocket("/run/other.sock"), false, record.Info},
		{"unix connect by a shell is judged by its path", "connect", "/bin/bash", unixSocket("/run/other.sock"), false, record.Info},
		{"listen by a non-service", "listen", "/usr/bin/python3", listener(8000), false, record.Warn},
		{"listen by a service on 80", "listen", "/usr/sbin/nginx", listener(80), true, record.Info},
		{"listen by a service on 4444", "listen", "/usr/sbin/nginx", listener(4444), true, record.Warn},
		{"accept", "accept", "/usr/sbin/sshd", &record.Network{Family: "inet", Protocol: "tcp",
			SrcIP: remote, SrcPort: 52392, DstIP: localhost, DstPort: 22, Direction: "inbound"}, true, record.Info},
		{"accept by a shell", "accept", "/bin/bash", &record.Network{Family: "inet", Protocol: "tcp",
			SrcIP: remote, SrcPort: 4444, DstIP: localhost, DstPort: 4444, Direction: "inbound"}, false, record.Info},
		{"bind", "bind", "/usr/bin/python3", listener(4444), false, record.Info},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.NetSeverity(tt.event, tt.exe, tt.n, tt.service); got != tt.want {
				t.Errorf("NetSeverity(%s, %s) = %v, want %v", tt.event, tt.exe, got, tt.want)
			}
		})
	}
}

func TestEveryRuntimeSocketIsWarn(t *testing.T) {
	for _, s := range rules.RuntimeSockets {
		if got := rules.NetSeverity("connect", "/usr/bin/curl", unixSocket(s), false); got != record.Warn {
			t.Errorf("connect to %s = %v, want warn", s, got)
		}
	}
}

func TestNetSeverityNeverCritical(t *testing.T) {
	for _, ev := range []string{"connect", "send", "accept", "listen", "bind"} {
		for port := range rules.SuspiciousPorts {
			if got := rules.NetSeverity(ev, "/bin/bash", outbound("tcp", port), false); got == record.Critical {
				t.Errorf("%s by bash to %d is critical: the first assignment stops at warn", ev, port)
			}
		}
	}
}
