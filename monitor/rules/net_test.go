package rules_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
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
	// the macro the rules use, through a rule that is nothing else
	e := engineFor(t, "rules:\n  probe:\n    events: [exec]\n    severity: info\n    condition: is_interpreter\n")
	for _, tt := range tests {
		r := execRec(proc(100, 1000, tt.exe))
		e.Evaluate(&r)
		if got := slices.Contains(ruleNames(&r), "probe"); got != tt.want {
			t.Errorf("is_interpreter(%q) = %v, want %v", tt.exe, got, tt.want)
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

// From a container (a mount namespace of its own), every runtime socket is
// an escape; from the host, the docker CLI talking to dockerd is not.
func TestEveryRuntimeSocketConnectFromAContainerIsAnEscape(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	for _, sock := range rules.RuntimeSockets {
		r := connectUnixRec(inMntNS(proc(100, 1000, "/usr/bin/curl", "curl", "--unix-socket", sock, "http://x/"), 4026532301), sock)
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, []string{"container-escape"}) || r.Severity != record.Critical {
			t.Errorf("connect to %s: rules = %q severity %v, want container-escape at critical", sock, got, r.Severity)
		}
		host := connectUnixRec(proc(100, 0, "/usr/bin/docker", "docker", "ps"), sock)
		e.Evaluate(&host)
		if got := ruleNames(&host); len(got) != 0 {
			t.Errorf("the host's client of %s: rules = %q, want none", sock, got)
		}
	}
	// a bind or listen on the socket is the runtime itself, not a client
	r := connectUnixRec(proc(100, 0, "/usr/bin/dockerd"), "/run/docker.sock")
	r.Event, r.Network.Direction = "bind", "listen"
	e.Evaluate(&r)
	if len(r.Rules) != 0 {
		t.Errorf("dockerd binding its socket: rules = %q, want none", ruleNames(&r))
	}
}

func TestOutboundToASuspiciousPortFromThePolicy(t *testing.T) {
	p, err := policy.Parse("test.yaml", []byte("network:\n  suspicious_ports: [8443]\n"), rules.Names())
	if err != nil {
		t.Fatal(err)
	}
	e := rules.NewEngine(p)
	for _, tt := range []struct {
		port uint16
		want []string
	}{
		{8443, []string{"suspicious-outbound"}},
		{4444, nil}, // the policy's list replaces the default one
	} {
		r := connectRec(proc(100, 1000, "/usr/bin/curl"), remote, tt.port)
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, tt.want) {
			t.Errorf("curl to port %d: rules = %q, want %q", tt.port, got, tt.want)
		}
	}
}
