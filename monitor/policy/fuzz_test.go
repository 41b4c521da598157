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
	// the rule language's shapes, small, so that the fuzzer starts from
	// them rather than spend its budget finding and minimising each (the
	// built-in rules file itself is too large: every run would parse it)
	f.Add([]byte("lists:\n  l: [a, \"re:^b\"]\n  interpreters: {append: [x]}\n  m: {override: []}\nmacros:\n  mm: event == \"exec\"\n  nn: {override: \"true\"}\n"))
	f.Add([]byte("rules:\n  r:\n    description: d\n    severity: warn\n    mitre: [T1059]\n    events: [exec, l]\n    condition: mm\n" +
		"    exceptions:\n      - name: e\n        fields: [process.exe, process.uid]\n        values: [[/bin/x, \"0\"], [\"re:y\", \"1\"]]\n    output: \"{process.exe}\"\n" +
		"  credential-read:\n    override: {severity: info, condition: \"true\"}\n    append: {condition: \"false\", exceptions: [{name: x, fields: [a], values: [b]}]}\n"))
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
