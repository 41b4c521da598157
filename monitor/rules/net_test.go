package rules_test

import (
	"net/netip"
	"testing"

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
