package rules_test

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// privilegeSeverity is the severity the rules give a privilege record:
// critical from privilege-escalation, warn from privilege-gain, info when
// neither fires.
func privilegeSeverity(e *rules.Engine, p *record.Privilege, exe string) record.Severity {
	r := privRec(proc(100, p.Before.UID, exe), *p)
	e.Evaluate(&r)
	return r.Severity
}

func TestPrivilegeSeverity(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	regain := user1000
	regain.SUID = 0 // a set-uid root program that dropped to the user and takes root back
	realRoot := user1000
	realRoot.UID = 0

	tests := []struct {
		name string
		exe  string
		priv record.Privilege
		want record.Severity
	}{
		{"unexplained root is a kernel exploit", "/usr/bin/python3",
			record.Privilege{Means: "unexplained", Before: user1000, After: allRoot, ExeUID: -1}, record.Critical},
		{"unexplained root even for a helper", "/usr/bin/sudo",
			record.Privilege{Means: "unexplained", Before: user1000, After: allRoot, ExeUID: -1}, record.Critical},
		{"setuid by a non-helper", "/usr/bin/python3",
			record.Privilege{Means: "syscall", Syscall: "setuid", Before: user1000, After: allRoot, ExeUID: -1}, record.Critical},
		{"setresuid by sudo", "/usr/bin/sudo",
			record.Privilege{Means: "syscall", Syscall: "setresuid", Before: user1000, After: allRoot, ExeUID: -1}, record.Info},
		{"capset by polkit's helper", "/usr/lib/polkit-1/polkit-agent-helper-1",
			record.Privilege{Means: "syscall", Syscall: "capset", Before: user1000, After: user1000, ExeUID: -1}, record.Info},
		{"regaining a saved root uid", "/usr/bin/ping",
			record.Privilege{Means: "syscall", Syscall: "setuid", Before: regain, After: allRoot, ExeUID: -1}, record.Info},
		{"regaining with a real root uid", "/usr/bin/ping",
			record.Privilege{Means: "syscall", Syscall: "seteuid", Before: realRoot, After: allRoot, ExeUID: -1}, record.Info},
		{"exec of a set-uid binary owned by a user", "/usr/bin/sudo",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 1000, ExeMode: 0o104755}, record.Critical},
		{"exec of a root-owned set-uid binary in /tmp", "/tmp/rootshell",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of a root-owned set-uid binary in /var/tmp", "/var/tmp/x",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of a root-owned set-uid binary in /dev/shm", "/dev/shm/x",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of a root-owned set-uid binary in a home", "/home/alice/bin/x",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of a set-uid memfd", "/memfd:x",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of a root-owned binary outside the system directories", "/srv/bin/x",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Critical},
		{"exec of sudo", "/usr/bin/sudo",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Info},
		{"exec of ssh-keysign", "/usr/lib/openssh/ssh-keysign",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Info},
		{"exec of another root-owned set-uid binary in /usr/bin", "/usr/bin/newuidmap",
			record.Privilege{Means: "exec", Before: user1000, After: allRoot, ExeUID: 0, ExeMode: 0o104755}, record.Warn},
		{"exec of a file-capability binary in /usr/bin", "/usr/bin/ping",
			record.Privilege{Means: "exec", Before: user1000, After: user1000, Gained: []string{"CAP_NET_RAW"}, ExeUID: 0, ExeMode: 0o100755}, record.Warn},
		{"a user namespace's root mounting", "/usr/bin/unshare",
			record.Privilege{Means: "userns", Syscall: "mount", Before: user1000, After: user1000, ExeUID: -1}, record.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := privilegeSeverity(e, &tt.priv, tt.exe); got != tt.want {
				t.Errorf("privilege (%s by %s) = %v, want %v", tt.priv.Means, tt.exe, got, tt.want)
			}
		})
	}
}

func TestPrivilegeHelpersComeFromThePolicy(t *testing.T) {
	p, err := policy.Parse("test.yaml", []byte("privilege_helpers: [\"re:^/opt/acme/bin/\"]\n"), rules.Names())
	if err != nil {
		t.Fatal(err)
	}
	e := rules.NewEngine(p)
	setuid := &record.Privilege{Means: "syscall", Syscall: "setuid", Before: user1000, After: allRoot, ExeUID: -1}
	if got := privilegeSeverity(e, setuid, "/opt/acme/bin/switch"); got != record.Info {
		t.Errorf("setuid by a policy helper = %v, want info", got)
	}
	if got := privilegeSeverity(e, setuid, "/usr/bin/sudo"); got != record.Critical {
		t.Errorf("setuid by sudo, not a helper in this policy = %v, want critical", got)
	}
	none, err := policy.Parse("test.yaml", []byte("privilege_helpers: []\n"), rules.Names())
	if err != nil {
		t.Fatal(err)
	}
	if got := privilegeSeverity(rules.NewEngine(none), setuid, "/usr/bin/sudo"); got != record.Critical {
		t.Errorf("setuid with no helpers = %v, want critical", got)
	}
}
