package rules_test

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

const (
	root = 0
	user = 1000
)

func TestReadingYourOwnSSHKeysIsRoutine(t *testing.T) {
	if got := rules.FileSeverity(watch.ClassSSH, watch.Read, user, user); got != record.Info {
		t.Errorf("owner reading its own ~/.ssh: %v, want info", got)
	}
	if got := rules.FileSeverity(watch.ClassSSH, watch.Read, user+1, user); got != record.Warn {
		t.Errorf("another user reading ~/.ssh: %v, want warn", got)
	}
	if got := rules.FileSeverity(watch.ClassSSH, watch.Write, user, user); got != record.Warn {
		t.Errorf("owner changing ~/.ssh: %v, want warn (authorized_keys persistence)", got)
	}
}

func TestFileSeverity(t *testing.T) {
	tests := []struct {
		name   string
		class  string
		access uint32
		uid    uint32
		want   record.Severity
	}{
		{"root reading credentials is routine", watch.ClassCredentials, watch.Read, root, record.Info},
		{"a user reading credentials", watch.ClassCredentials, watch.Read, user, record.Warn},
		{"root writing credentials", watch.ClassCredentials, watch.Write, root, record.Warn},
		{"root changing credentials", watch.ClassCredentials, watch.Change, root, record.Warn},
		{"root reading an SSH key", watch.ClassSSH, watch.Read, root, record.Info},
		{"a user reading an SSH key", watch.ClassSSH, watch.Read, user, record.Warn},
		{"root writing an SSH directory", watch.ClassSSH, watch.Write, root, record.Warn},

		{"root writing persistence", watch.ClassPersistence, watch.Write, root, record.Warn},
		{"a user changing persistence", watch.ClassPersistence, watch.Change, user, record.Warn},
		{"reading persistence", watch.ClassPersistence, watch.Read, user, record.Info},
		{"root reading persistence", watch.ClassPersistence, watch.Read, root, record.Info},
		{"accounts write", watch.ClassAccounts, watch.Write, root, record.Warn},
		{"accounts truncate", watch.ClassAccounts, watch.Trunc, root, record.Warn},
		{"accounts read by a user", watch.ClassAccounts, watch.Read, user, record.Info},
		{"auth config change", watch.ClassAuthConfig, watch.Change, root, record.Warn},
		{"preload write", watch.ClassPreload, watch.Write, root, record.Warn},
		{"kernel file write", watch.ClassKernel, watch.Write | watch.Trunc, root, record.Warn},

		{"logs: appending is routine", watch.ClassLogs, watch.Write, root, record.Info},
		{"logs: a user appending is routine", watch.ClassLogs, watch.Write, user, record.Info},
		{"logs: truncation", watch.ClassLogs, watch.Trunc, root, record.Warn},
		{"logs: write with O_TRUNC", watch.ClassLogs, watch.Write | watch.Trunc, root, record.Warn},
		{"logs: change (unlink, rename)", watch.ClassLogs, watch.Change, root, record.Warn},
		{"logs: reading", watch.ClassLogs, watch.Read, user, record.Info},
		{"history: change", watch.ClassHistory, watch.Change, user, record.Warn},
		{"history: truncation", watch.ClassHistory, watch.Trunc, user, record.Warn},
		{"history: appending is routine", watch.ClassHistory, watch.Write, user, record.Info},

		{"custom read", watch.ClassCustom, watch.Read, user, record.Info},
		{"custom read by root", watch.ClassCustom, watch.Read, root, record.Info},
		{"custom change", watch.ClassCustom, watch.Change, user, record.Warn},
		{"custom write", watch.ClassCustom, watch.Write, root, record.Warn},

		{"unknown class read", "no-such-class", watch.Read, user, record.Info},
		{"unknown class change", "no-such-class", watch.Change, user, record.Info},
		{"no class (watch id out of range)", "", watch.All, user, record.Info},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.FileSeverity(tt.class, tt.access, tt.uid, -1); got != tt.want {
				t.Errorf("FileSeverity(%q, %#x, uid %d) = %v, want %v", tt.class, tt.access, tt.uid, got, tt.want)
			}
		})
	}
}

// A file event is never judged critical by the first assignment: that is
// left to the rules.
func TestFileSeverityNeverCritical(t *testing.T) {
	classes := []string{watch.ClassCredentials, watch.ClassAccounts, watch.ClassAuthConfig, watch.ClassSSH,
		watch.ClassPersistence, watch.ClassPreload, watch.ClassKernel, watch.ClassLogs, watch.ClassHistory,
		watch.ClassCustom, "", "other"}
	for _, c := range classes {
		for acc := uint32(0); acc <= watch.All; acc++ {
			for _, uid := range []uint32{root, user, 0xffffffff} {
				if got := rules.FileSeverity(c, acc, uid, -1); got == record.Critical {
					t.Errorf("FileSeverity(%q, %#x, %d) = critical", c, acc, uid)
				}
			}
		}
	}
}
