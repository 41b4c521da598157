package output_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/output"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Network records as the processor builds them, by hand.

var (
	lo4 = netip.MustParseAddr("127.0.0.1")
	lo6 = netip.MustParseAddr("::1")
)

func netRecord(event, exe string, n record.Network) *record.Record {
	return &record.Record{
		Time: t0, Severity: record.Info, Event: event, Category: record.CatNetwork,
		Message: exe + " " + event,
		Process: &record.Process{
			PID: 4242, TID: 4242, PPID: 4100,
			UID: 1000, GID: 1000, EUID: 1000, EGID: 1000,
			Comm: []byte(exe[strings.LastIndexByte(exe, '/')+1:]), Exe: []byte(exe),
			Ancestry: []record.Ancestor{{PID: 4100, Exe: "/usr/bin/bash"}},
		},
		Network: &n,
	}
}

// reverseShell is bash running `exec 3<>/dev/tcp/127.0.0.1/4444`, seen at
// the syscall and by the kernel's TCP state change.
func reverseShell() *record.Record {
	r := netRecord("connect", "/usr/bin/bash", record.Network{
		Family: "inet", Protocol: "tcp",
		SrcIP: lo4, SrcPort: 52392, DstIP: lo4, DstPort: 4444,
		Direction: "outbound", Sources: []string{"syscall", "kernel"},
	})
	r.Severity = record.Warn
	return r
}

// refused is the same connect with nothing listening.
func refused() *record.Record {
	r := reverseShell()
	r.Error = "ECONNREFUSED"
	r.Network.Sources = []string{"syscall"}
	return r
}

// sshdAccept is sshd accepting a connection from 127.0.0.1:52392: the
// source is the peer.
func sshdAccept() *record.Record {
	return netRecord("accept", "/usr/sbin/sshd", record.Network{
		Family: "inet", Protocol: "tcp",
		SrcIP: lo4, SrcPort: 52392, DstIP: lo4, DstPort: 22,
		Direction: "inbound", Sources: []string{"syscall"},
	})
}

// ncListen is `nc -l 127.0.0.1 4444`.
func ncListen() *record.Record {
	r := netRecord("listen", "/usr/bin/nc", record.Network{
		Family: "inet", Protocol: "tcp", SrcIP: lo4, SrcPort: 4444,
		Direction: "listen", Backlog: 5, Sources: []string{"syscall"},
	})
	r.Severity = record.Warn
	return r
}

// iperfIPv6 is a connect to [::1]:5001.
func iperfIPv6() *record.Record {
	return netRecord("connect", "/usr/bin/iperf", record.Network{
		Family: "inet6", Protocol: "tcp",
		SrcIP: lo6, SrcPort: 40000, DstIP: lo6, DstPort: 5001,
		Direction: "outbound", Sources: []string{"syscall", "kernel"},
	})
}

// dockerSocket is curl talking to the docker API.
func dockerSocket() *record.Record {
	r := netRecord("connect", "/usr/bin/curl", record.Network{
		Family: "unix", UnixPath: []byte("/run/docker.sock"),
		Direction: "outbound", Sources: []string{"syscall"},
	})
	r.Severity = record.Warn
	return r
}

// firstDNSSend is the first UDP send of a fold window.
func firstDNSSend() *record.Record {
	return netRecord("send", "/usr/bin/dig", record.Network{
		Family: "inet", Protocol: "udp",
		SrcIP: netip.MustParseAddr("0.0.0.0"), DstIP: netip.MustParseAddr("10.0.0.53"), DstPort: 53,
		Direction: "outbound", Sources: []string{"syscall"}, Folded: true,
	})
}

// dnsFoldSummary is the count of sends the window folded.
func dnsFoldSummary() *record.Record {
	return netRecord("send", "/usr/bin/dig", record.Network{
		Family: "inet", Protocol: "udp",
		DstIP: netip.MustParseAddr("10.0.0.53"), DstPort: 53,
		Direction: "outbound", Sources: []string{"syscall"}, Count: 1000,
	})
}

func TestJSONConnectHasTheNetworkObject(t *testing.T) {
	m := jsonObject(t, reverseShell())
	want(t, "event", m["event"], "connect")
	want(t, "category", m["category"], "network")
	want(t, "severity", m["severity"], "warn")
	if _, ok := m["error"]; ok {
		t.Errorf("successful connect has error %v", m["error"])
	}
	n := obj(t, m, "network")
	wantKeys(t, "network", n, "family", "protocol", "src_ip", "src_port", "dst_ip", "dst_port",
		"direction", "sources")
	want(t, "family", n["family"], "inet")
	want(t, "protocol", n["protocol"], "tcp")
	want(t, "src_ip", n["src_ip"], "127.0.0.1")
	want(t, "src_port", n["src_port"], 52392)
	want(t, "dst_ip", n["dst_ip"], "127.0.0.1")
	want(t, "dst_port", n["dst_port"], 4444)
	want(t, "direction", n["direction"], "outbound")
	want(t, "sources", arr(t, n, "sources"), []any{"syscall", "kernel"})
	want(t, "process.exe", obj(t, m, "process")["exe"], "/usr/bin/bash")
}

func TestJSONIPv6AddressesArePlain(t *testing.T) {
	n := obj(t, jsonObject(t, iperfIPv6()), "network")
	want(t, "family", n["family"], "inet6")
	want(t, "src_ip", n["src_ip"], "::1")
	want(t, "dst_ip", n["dst_ip"], "::1")
	want(t, "dst_port", n["dst_port"], 5001)
}

func TestJSONListenHasLocalEndAndBacklogButNoDestination(t *testing.T) {
	n := obj(t, jsonObject(t, ncListen()), "network")
	wantKeys(t, "network", n, "family", "protocol", "src_ip", "src_port", "direction", "sources", "backlog")
	want(t, "src_ip", n["src_ip"], "127.0.0.1")
	want(t, "src_port", n["src_port"], 4444)
	want(t, "backlog", n["backlog"], 5)
	want(t, "direction", n["direction"], "listen")
}

func TestJSONOnlyListenHasABacklog(t *testing.T) {
	for _, r := range []*record.Record{reverseShell(), sshdAccept(), dockerSocket()} {
		if _, ok := obj(t, jsonObject(t, r), "network")["backlog"]; ok {
			t.Errorf("%s has a backlog", r.Event)
		}
	}
}

func TestJSONAcceptSourceIsThePeer(t *testing.T) {
	n := obj(t, jsonObject(t, sshdAccept()), "network")
	want(t, "src_port", n["src_port"], 52392)
	want(t, "dst_port", n["dst_port"], 22)
	want(t, "direction", n["direction"], "inbound")
}

func TestJSONUnixConnectHasThePathAndNoPortsOrProtocol(t *testing.T) {
	n := obj(t, jsonObject(t, dockerSocket()), "network")
	wantKeys(t, "network", n, "family", "unix_path", "direction", "sources")
	want(t, "family", n["family"], "unix")
	want(t, "unix_path", n["unix_path"], "/run/docker.sock")
}

func TestJSONNonUTF8UnixPathKeepsItsExactBytes(t *testing.T) {
	r := dockerSocket()
	r.Network.UnixPath = []byte("\x00@abstract\xff\n")
	n := obj(t, jsonObject(t, r), "network") // one line, valid JSON
	if got := unhex(t, n["unix_path_hex"]); got != string(r.Network.UnixPath) {
		t.Errorf("unix_path_hex = %q, want %q", got, r.Network.UnixPath)
	}
}

func TestJSONFirstFoldedSendSaysSo(t *testing.T) {
	n := obj(t, jsonObject(t, firstDNSSend()), "network")
	want(t, "folded", n["folded"], true)
	if _, ok := n["count"]; ok {
		t.Errorf("the first send has a count %v", n["count"])
	}
	for _, r := range []*record.Record{reverseShell(), dnsFoldSummary()} {
		if _, ok := obj(t, jsonObject(t, r), "network")["folded"]; ok {
			t.Errorf("%s without Folded has folded", r.Message)
		}
	}
}

func TestJSONFoldSummaryHasTheCount(t *testing.T) {
	n := obj(t, jsonObject(t, dnsFoldSummary()), "network")
	want(t, "count", n["count"], 1000)
	want(t, "dst_ip", n["dst_ip"], "10.0.0.53")
	want(t, "dst_port", n["dst_port"], 53)
	if _, ok := n["src_ip"]; ok {
		t.Errorf("fold summary has a source %v: the map keeps only the destination", n["src_ip"])
	}
}

func TestJSONFailedConnectCarriesErrnoName(t *testing.T) {
	m := jsonObject(t, refused())
	want(t, "error", m["error"], "ECONNREFUSED")
	if _, ok := obj(t, m, "network")["error"]; ok {
		t.Error("error is inside network, want it at the top level")
	}
}

func TestTextNetworkLines(t *testing.T) {
	const ts = "2026-11-25T18:52:00.000Z "
	bind := ncListen()
	bind.Event, bind.Severity = "bind", record.Info

	tests := []struct {
		name string
		r    *record.Record
		want string
	}{
		{"connect shows destination, source and hooks", reverseShell(),
			`WARN  connect pid=4242 ppid=4100 uid=1000 exe=/usr/bin/bash dst=tcp/127.0.0.1:4444 src=127.0.0.1:52392 seen=syscall+kernel parent=bash`},
		{"refused connect shows the errno", refused(),
			`WARN  connect pid=4242 ppid=4100 uid=1000 exe=/usr/bin/bash dst=tcp/127.0.0.1:4444 src=127.0.0.1:52392 seen=syscall error=ECONNREFUSED parent=bash`},
		{"accept shows the peer, then the local end", sshdAccept(),
			`INFO  accept pid=4242 ppid=4100 uid=1000 exe=/usr/sbin/sshd peer=tcp/127.0.0.1:52392 local=127.0.0.1:22 seen=syscall parent=bash`},
		{"listen shows the local end and backlog", ncListen(),
			`WARN  listen pid=4242 ppid=4100 uid=1000 exe=/usr/bin/nc local=tcp/127.0.0.1:4444 backlog=5 seen=syscall parent=bash`},
		{"bind shows the local end and no backlog", bind,
			`INFO  bind   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/nc local=tcp/127.0.0.1:4444 seen=syscall parent=bash`},
		{"IPv6 endpoints are bracketed", iperfIPv6(),
			`INFO  connect pid=4242 ppid=4100 uid=1000 exe=/usr/bin/iperf dst=tcp/[::1]:5001 src=[::1]:40000 seen=syscall+kernel parent=bash`},
		{"unix connect shows the path", dockerSocket(),
			`WARN  connect pid=4242 ppid=4100 uid=1000 exe=/usr/bin/curl unix=/run/docker.sock seen=syscall parent=bash`},
		{"an unbound UDP source is left out", firstDNSSend(),
			`INFO  send   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/dig dst=udp/10.0.0.53:53 seen=syscall parent=bash`},
		{"fold summary shows the count", dnsFoldSummary(),
			`INFO  send   pid=4242 ppid=4100 uid=1000 exe=/usr/bin/dig dst=udp/10.0.0.53:53 count=1000 seen=syscall parent=bash`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeLines(t, output.FormatText, false, tt.r)
			if want := ts + tt.want + "\n"; got != want {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
			checkSafeLine(t, got)
		})
	}
}

func TestTextUnixPathWithControlBytesPrintsOneSafeLine(t *testing.T) {
	r := dockerSocket()
	r.Network.UnixPath = []byte("/tmp/\x1b[2J\n\r\x9b\xff\"s")
	for _, tty := range []bool{false, true} {
		line := writeLines(t, output.FormatText, tty, r)
		if tty {
			line = stripSGR(line)
		}
		checkSafeLine(t, line)
		if want := ` unix="/tmp/\x1b[2J\n\r\x9b\xff\"s" seen=syscall `; !strings.Contains(line, want) {
			t.Errorf("tty=%v: line %q lacks %s", tty, line, want)
		}
	}
}
