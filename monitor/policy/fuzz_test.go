package policy_test

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
)

// No input may panic the policy parser: it either returns a policy or a
// *policy.Error.
func FuzzParse(f *testing.F) {
	known := []string{"credential-read", "reverse-shell"}
	f.Add(policy.DefaultYAML())
	f.Add([]byte("rules:\n  credential-read:\n    severity: critical\n    allow: {exe: [\"re:^/usr/\"], user: [0]}\n"))
	f.Add([]byte("allow: {exe: [\"re:[\"]}\n"))
	f.Add([]byte("network: {suspicious_ports: [0, 70000, x]}\nfold_window: -1s\n"))
	f.Add([]byte("rules: [1, 2]\n"))
	f.Add([]byte("{{{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := policy.Parse("fuzz.yaml", b, known)
		if err != nil {
			if _, ok := err.(*policy.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil policy without an error")
		}
	})
}
