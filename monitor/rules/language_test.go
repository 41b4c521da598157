package rules_test

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/watch"
)

// layer builds the policy in force from the built-ins, the default policy
// and one user file, as Build does with --policy.
func layer(t *testing.T, user string) (*policy.Policy, error) {
	t.Helper()
	base, err := policy.Merge(policy.Builtin(), policy.Default(nil))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse("user.yaml", []byte(user), nil)
	if err != nil {
		return nil, err
	}
	return policy.Merge(base, p)
}

func engineFor(t *testing.T, user string) *rules.Engine {
	t.Helper()
	p, err := layer(t, user)
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	e, err := rules.Compile(p)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return e
}

// The built-in conditions evaluate cleanly on every test record: an
// evaluation error counts as no match, so one would hide a detection.
func TestBuiltinConditionsNeverFailToEvaluate(t *testing.T) {
	e := rules.NewEngine(policy.Default(rules.Names()))
	for _, tt := range ruleCases() {
		r := tt.rec
		e.Evaluate(&r)
	}
	if n := e.EvalErrors(); n != 0 {
		t.Errorf("%d evaluation errors over the rule cases", n)
	}
}

func connectTo(p *record.Process, ip string, port uint16) record.Record {
	return record.Record{Event: "connect", Category: record.CatNetwork, Process: p,
		Network: &record.Network{Family: "inet", Protocol: "tcp", DstIP: netip.MustParseAddr(ip), DstPort: port, Direction: "outbound",
			DstScope: scopeOf(netip.MustParseAddr(ip))}}
}

// A team's file: a new rule with an exception, an append to a built-in
// list, an override of a built-in's severity, and an appended condition.
const teamRules = `
lists:
  interpreters:
    append: [e2e-shell]
  app_servers: [/opt/app/bin/server]
rules:
  app-egress:
    description: anything but the app server connecting out of the host
    severity: critical
    mitre: [T1041]
    events: [connect]
    condition: >-
      network.direction == "outbound" && !network.dst_ip.in_cidr(["127.0.0.0/8", "::1/128"]) &&
      !process.exe.matches_any(app_servers)
    exceptions:
      - name: package-mirror
        fields: [process.exe, network.dst_port]
        values: [[/usr/bin/apt-get, "443"], ["re:^/usr/lib/apt/methods/", "80"]]
    output: "{process.exe} connected to {network.dst_ip}:{network.dst_port}"
  credential-read:
    override:
      severity: critical
  exec-from-writable-dir:
    append:
      condition: process.uid != 0
`

func TestUserRulesExtendTheBuiltins(t *testing.T) {
	e := engineFor(t, teamRules)
	tests := []struct {
		name string
		rec  record.Record
		want []string
		sev  record.Severity
	}{
		{"curl to a public address", connectTo(proc(10, 1000, "/usr/bin/curl"), "192.0.2.7", 443), []string{"app-egress"}, record.Critical},
		{"the app server", connectTo(proc(10, 1000, "/opt/app/bin/server"), "192.0.2.7", 443), nil, record.Info},
		{"to loopback", connectTo(proc(10, 1000, "/usr/bin/curl"), "127.0.0.1", 443), nil, record.Info},
		{"apt-get to 443: an exception", connectTo(proc(10, 0, "/usr/bin/apt-get"), "192.0.2.7", 443), nil, record.Info},
		{"apt-get to 80: not in the exception's tuples", connectTo(proc(10, 0, "/usr/bin/apt-get"), "192.0.2.7", 80), []string{"app-egress"}, record.Critical},
		{"apt's http method to 80", connectTo(proc(10, 0, "/usr/lib/apt/methods/http"), "192.0.2.7", 80), nil, record.Info},
		{"an appended interpreter dialling out", connectTo(proc(10, 1000, "/usr/local/bin/e2e-shell"), "192.0.2.7", 8080), []string{"suspicious-outbound", "app-egress"}, record.Critical},
		{"an appended interpreter to loopback: nothing leaves", connectTo(proc(10, 1000, "/usr/local/bin/e2e-shell"), "127.0.0.1", 8080), nil, record.Info},
		{"credential-read raised to critical", shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash"), []string{"credential-read"}, record.Critical},
		{"default allowlist still in force", shadowRead(0, "/usr/bin/sudo", "/usr/bin/bash"), nil, record.Info},
		{"exec from /tmp by a user", execRec(proc(10, 1000, "/tmp/x")), []string{"exec-from-writable-dir"}, record.Warn},
		{"exec from /tmp by root: the appended condition", execRec(proc(10, 0, "/tmp/x")), nil, record.Info},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rec
			e.Evaluate(&r)
			if got := ruleNames(&r); !slices.Equal(got, tt.want) || r.Severity != tt.sev {
				t.Errorf("rules = %q severity %v, want %q %v", got, r.Severity, tt.want, tt.sev)
			}
		})
	}
	r := connectTo(proc(10, 1000, "/usr/bin/curl"), "192.0.2.7", 443)
	e.Evaluate(&r)
	if r.Rules[0].Output != "" {
		t.Errorf("output rendered by Evaluate: %q (Describe renders what is printed)", r.Rules[0].Output)
	}
	e.Describe(&r)
	if len(r.Rules) != 1 || r.Rules[0].Output != "/usr/bin/curl connected to 192.0.2.7:443" || !slices.Equal(r.Rules[0].Mitre, []string{"T1041"}) {
		t.Errorf("rule = %+v", r.Rules)
	}
}

// An output template quotes a value with control characters or quotes, so
// that a hostile path cannot forge a line.
func TestOutputQuotesHostileValues(t *testing.T) {
	e := engineFor(t, teamRules)
	r := connectTo(proc(10, 1000, "/tmp/a\nWARN fake \"line\""), "192.0.2.7", 443)
	e.Evaluate(&r)
	e.Describe(&r)
	if len(r.Rules) == 0 {
		t.Fatal("no alert")
	}
	out := r.Rules[len(r.Rules)-1].Output
	if strings.Contains(out, "\n") || !strings.HasPrefix(out, `"/tmp/a\nWARN fake \"line\""`) {
		t.Errorf("output %q", out)
	}
}

func TestBadRulesAreRefusedWithTheirLine(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		want     string
	}{
		{"unknown field", "rules:\n  x:\n    events: [exec]\n    condition: process.exee == \"/bin/sh\"\n", 4, `unknown field "process.exee"`},
		{"not a bool", "rules:\n  x:\n    events: [exec]\n    condition: process.exe\n", 4, "want a bool"},
		{"type error", "rules:\n  x:\n    events: [exec]\n    condition: process.pid == \"1\"\n", 4, "no matching overload"},
		{"syntax error", "rules:\n  x:\n    events: [exec]\n    condition: process.pid ==\n", 4, "Syntax error"},
		{"unknown event", "rules:\n  x:\n    events: [exce]\n    condition: true\n", 4, `unknown event "exce"`},
		{"no events", "rules:\n  x:\n    condition: true\n", 2, "needs events"},
		{"a built-in redefined", "rules:\n  reverse-shell:\n    events: [exec]\n    condition: true\n", 2, "change it with override: or append:"},
		{"a list redefined", "lists:\n  interpreters: [sh]\n", 2, "extend it with append: or replace it with override:"},
		{"append to no list", "lists:\n  nolist:\n    append: [sh]\n", 2, "no earlier definition"},
		{"override of no rule", "rules:\n  nope:\n    override:\n      severity: info\n", 2, ""},
		{"unknown exception field", "rules:\n  x:\n    events: [exec]\n    condition: true\n    exceptions:\n      - name: e\n        fields: [process.nope]\n        values: [[a]]\n", 6, `unknown field "process.nope"`},
		{"tuple of the wrong size", "rules:\n  x:\n    events: [exec]\n    condition: true\n    exceptions:\n      - name: e\n        fields: [process.exe, process.uid]\n        values: [[a]]\n", 8, "has 2 fields, this value has 1"},
		{"unknown output field", "rules:\n  x:\n    events: [exec]\n    condition: true\n    output: \"{process.nope}\"\n", 4, `output: unknown field "process.nope"`},
		{"bad macro", "macros:\n  m: process.nope\nrules:\n  x:\n    events: [exec]\n    condition: m\n", 2, "macro m"},
		{"macros in a cycle", "macros:\n  a: b\n  b: a\nrules:\n  x:\n    events: [exec]\n    condition: a\n", 2, "macro a"},
		{"bad appended condition", "rules:\n  reverse-shell:\n    append:\n      condition: process.uid == \"0\"\n", 4, "appended condition"},
		{"bad regexp in a list", "lists:\n  l: [\"re:(\"]\n", 2, "bad regular expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := layer(t, tt.in)
			if err == nil {
				_, err = rules.Compile(p)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			var pe *policy.Error
			if !errors.As(err, &pe) || pe.File != "user.yaml" || pe.Line != tt.line {
				t.Errorf("error %q (%#v), want user.yaml:%d", err, err, tt.line)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

// Macros compile whatever order they are written in: each waits for the
// macros it names (a name in a string is not one).
func TestMacrosCompileInTheOrderTheyNameEachOther(t *testing.T) {
	p, err := layer(t, `macros:
  a_shell: b_interp && process.comm != "c_last"
  b_interp: c_last || process.comm == "a_shell"
  c_last: process.comm in ["sh", "bash"]
rules:
  x:
    events: [exec]
    condition: a_shell
`)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for comm, want := range map[string][]string{"sh": {"x"}, "a_shell": {"x"}, "ls": nil} {
		p := proc(10, 1000, "/bin/"+comm)
		p.Comm = []byte(comm)
		r := execRec(p)
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, want) {
			t.Errorf("%s: rules = %q, want %q", comm, got, want)
		}
	}
}

func TestHelpers(t *testing.T) {
	p, err := layer(t, `rules:
  helpers:
    events: [open]
    condition: >-
      file.path.glob("/etc/cron.*/*") && basename(file.path) == "job" && dirname(file.path) == "/etc/cron.d" &&
      strip_version("python3.11") == "python" && file.path.starts_with_any(["/etc/"]) &&
      file.path.ends_with_any(["/job"]) && file.path.matches_any(["re:^/etc/cron\\.d/"]) &&
      !file.path.matches_any(["/etc/cron.d"]) && file.path.matches_any(["/etc/*/job"]) &&
      "10.1.2.3".in_cidr("10.0.0.0/8") && !"10.1.2.3".in_cidr(["192.168.0.0/16"]) && !"bad".in_cidr("10.0.0.0/8") &&
      has_bits(2048, 3072) && !has_bits(420, 3072) && "/usr/bin/bash" in process.ancestry &&
      process.cmdline == "cat /etc/cron.d/job"
`)
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	r := openRec(proc(10, 1000, "/usr/bin/cat", "cat", "/etc/cron.d/job"), "/etc/cron.d/job", watch.ClassPersistence, "read", 0)
	e.Evaluate(&r)
	if !slices.Contains(ruleNames(&r), "helpers") || e.EvalErrors() != 0 {
		t.Errorf("rules = %q, errors %d: a helper disagrees", ruleNames(&r), e.EvalErrors())
	}
}

// A record is judged only by the rules of its event.
func TestRulesAreIndexedByEvent(t *testing.T) {
	e := engineFor(t, "rules:\n  every-exit:\n    events: [exit]\n    condition: true\n  everything:\n    events: [\"*\"]\n    severity: info\n    condition: process.uid == 4242\n")
	exit := record.Record{Event: "exit", Process: proc(10, 1000, "/usr/bin/true"), Exit: &record.Exit{}}
	e.Evaluate(&exit)
	if !slices.Equal(ruleNames(&exit), []string{"every-exit"}) {
		t.Errorf("exit: %q", ruleNames(&exit))
	}
	r := execRec(proc(10, 4242, "/usr/bin/true"))
	e.Evaluate(&r)
	if !slices.Equal(ruleNames(&r), []string{"everything"}) {
		t.Errorf("exec: %q, want only the \"*\" rule", ruleNames(&r))
	}
}

// README's "Writing rules" example is a file users copy: it must load.
func TestReadmeRulesExampleCompiles(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Writing rules")
	if !ok {
		t.Fatal("README has no \"Writing rules\" section")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatal("no yaml example in \"Writing rules\"")
	}
	block, _, _ = strings.Cut(block, "```")
	p, err := layer(t, block)
	if err == nil {
		_, err = rules.Compile(p)
	}
	if err != nil {
		t.Fatalf("README's example: %v", err)
	}
}

// The fast evaluation of conditions gives cel-go's answer for every rule
// (the built-ins and a team's file) on every test record.
func TestFastEvaluationAgreesWithCEL(t *testing.T) {
	engines := map[string]*rules.Engine{"default": rules.NewEngine(policy.Default(rules.Names())),
		"team": engineFor(t, teamRules)}
	var recs []record.Record
	for _, tt := range ruleCases() {
		recs = append(recs, tt.rec)
	}
	recs = append(recs, benchRecords()...)
	recs = append(recs, connectTo(proc(10, 1000, "/usr/bin/curl"), "192.0.2.7", 443),
		connectTo(proc(10, 0, "/usr/lib/apt/methods/http"), "192.0.2.7", 80))
	n := 0
	for name, e := range engines {
		for i := range recs {
			r := recs[i]
			for _, d := range e.Disagreements(&r) {
				t.Errorf("%s engine, %s record %d: %s", name, r.Event, i, d)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d records compared", n)
	}
}
