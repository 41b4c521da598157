package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

func parse(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("test.yaml", []byte(yaml), rules.Names())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return p
}

func TestDefaultParsesAndHasEveryRule(t *testing.T) {
	p := policy.Default(rules.Names())
	if p.Source != "default" {
		t.Errorf("Source = %q, want default", p.Source)
	}
	for _, name := range rules.Names() {
		r := p.Rules[name]
		if r == nil {
			t.Errorf("rule %s missing from default.yaml", name)
			continue
		}
		if !r.Enabled || !r.HasSeverity {
			t.Errorf("rule %s: enabled %v, severity set %v; want both", name, r.Enabled, r.HasSeverity)
		}
	}
	if !p.SuspiciousPorts[4444] || p.SuspiciousPorts[443] {
		t.Errorf("suspicious ports = %v, want 4444 and not 443", p.SuspiciousPorts)
	}
	if p.FoldWindow != time.Minute || p.HalfLife != 10*time.Minute || p.Top != 5 || p.MaxTracked != 4096 {
		t.Errorf("fold %v, half-life %v, top %d, max %d; want 1m, 10m, 5, 4096", p.FoldWindow, p.HalfLife, p.Top, p.MaxTracked)
	}
	if !policy.MatchAny(p.PrivilegeHelpers, "/usr/bin/sudo") || policy.MatchAny(p.PrivilegeHelpers, "/usr/bin/python3") {
		t.Error("privilege helpers: want sudo and not python3")
	}
	if !policy.MatchAny(p.Services, "/usr/local/sbin/x") || policy.MatchAny(p.Services, "/tmp/x") {
		t.Error("services: want /usr/local/sbin/x and not /tmp/x")
	}
	if p.Allow.Allows("/usr/bin/cat", 0, "/usr/bin/bash") {
		t.Error("the default's global allowlist is not empty")
	}
	// --print-default-policy prints a file that a user can pass back
	if _, err := policy.Parse("printed.yaml", policy.DefaultYAML(), rules.Names()); err != nil {
		t.Errorf("DefaultYAML does not parse: %v", err)
	}
}

func TestEmptyFileIsAValidEmptyPolicy(t *testing.T) {
	for _, in := range []string{"", "\n", "# nothing yet\n", "---\n"} {
		p := parse(t, in)
		if len(p.Rules) != 0 || len(p.SuspiciousPorts) != 0 || len(p.Services) != 0 ||
			len(p.PrivilegeHelpers) != 0 || len(p.WatchPaths) != 0 || len(p.WatchSockets) != 0 {
			t.Errorf("%q: not empty: %+v", in, p)
		}
		if p.Allow.Allows("/usr/bin/cat", 0, "/usr/bin/bash") {
			t.Errorf("%q: the empty policy allows cat", in)
		}
		if p.FoldWindow != time.Minute || p.HalfLife != 10*time.Minute || p.Top != 5 || p.MaxTracked != 4096 {
			t.Errorf("%q: settings not the defaults: %+v", in, p)
		}
		if p.Source != "test.yaml" {
			t.Errorf("%q: Source = %q", in, p.Source)
		}
	}
}

func TestParseReadsEverySetting(t *testing.T) {
	p := parse(t, `rules:
  credential-read:
    severity: critical
    allow:
      exe: [/usr/bin/vault]
      user: [root, 1000]
      parent: ["re:^/usr/sbin/"]
  reverse-shell:
    enabled: false
allow:
  exe: ["re:^/opt/backup/"]
watch:
  paths: [/srv/app/config.yml, /srv/secrets/]
  sockets: [/run/app.sock]
network:
  suspicious_ports: [8443]
  services: [/opt/app/server]
privilege_helpers: [/opt/app/switch]
fold_window: 30s
analytics:
  half_life: 1h
  top: 0
  max_tracked: 16
`)
	cr := p.Rules["credential-read"]
	if cr == nil || !cr.Enabled || !cr.HasSeverity || cr.Severity != record.Critical {
		t.Fatalf("credential-read = %+v, want enabled at critical", cr)
	}
	if !cr.Allow.Allows("/usr/bin/vault", 1, "") || !cr.Allow.Allows("/x", 0, "") || !cr.Allow.Allows("/x", 1000, "") ||
		!cr.Allow.Allows("/x", 1, "/usr/sbin/cron") || cr.Allow.Allows("/x", 1, "/usr/bin/bash") {
		t.Errorf("credential-read allowlist wrong: %+v", cr.Allow)
	}
	if rs := p.Rules["reverse-shell"]; rs == nil || rs.Enabled || rs.HasSeverity {
		t.Errorf("reverse-shell = %+v, want disabled with no severity", rs)
	}
	if !p.Allow.Allows("/opt/backup/run", 5, "") || p.Allow.Allows("/opt/other", 5, "") {
		t.Errorf("global allow wrong: %+v", p.Allow)
	}
	if strings.Join(p.WatchPaths, ",") != "/srv/app/config.yml,/srv/secrets/" || strings.Join(p.WatchSockets, ",") != "/run/app.sock" {
		t.Errorf("watch = %q %q", p.WatchPaths, p.WatchSockets)
	}
	if len(p.SuspiciousPorts) != 1 || !p.SuspiciousPorts[8443] {
		t.Errorf("suspicious ports = %v, want only 8443", p.SuspiciousPorts)
	}
	if !policy.MatchAny(p.Services, "/opt/app/server") || !policy.MatchAny(p.PrivilegeHelpers, "/opt/app/switch") {
		t.Errorf("services %v, helpers %v", p.Services, p.PrivilegeHelpers)
	}
	if p.FoldWindow != 30*time.Second || p.HalfLife != time.Hour || p.Top != 0 || p.MaxTracked != 16 {
		t.Errorf("fold %v, half-life %v, top %d, max %d", p.FoldWindow, p.HalfLife, p.Top, p.MaxTracked)
	}
}

func TestErrorsNameTheFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		line int
		want string // the whole message, when given
	}{
		{"unknown top-level key", "rules:\n  credential-read:\n    severity: warn\nalow:\n  exe: [/usr/bin/cat]\n",
			4, `test.yaml:4: unknown key "alow"`},
		{"unknown key inside a rule", "rules:\n  credential-read:\n    severity: warn\n  persistence-write:\n    severty: critical\n",
			5, `test.yaml:5: unknown key "severty" in rules.persistence-write`},
		{"unknown key inside a rule's allowlist", "rules:\n  credential-read:\n    allow:\n      exe: [/usr/bin/cat]\n      users: [0]\n",
			5, `test.yaml:5: unknown key "users" in rules.credential-read.allow`},
		{"unknown key inside the global allowlist", "allow:\n  exe: []\n  parents: []\n", 3, ""},
		{"unknown key under analytics", "analytics:\n  top: 3\n  halflife: 1m\n", 3, ""},
		{"bad severity", "rules:\n  credential-read:\n    enabled: true\n    severity: high\n",
			4, `test.yaml:4: rules.credential-read.severity: invalid severity "high": use info, warn or critical`},
		{"unknown rule name", "rules:\n  credential-read:\n    severity: warn\n  credentials-read:\n    severity: warn\n",
			4, `test.yaml:4: unknown rule "credentials-read" (see --print-default-policy for the names)`},
		{"a rule listed twice", "rules:\n  credential-read:\n    severity: critical\n  credential-read:\n    enabled: false\n",
			4, `test.yaml:4: rule "credential-read" already defined at line 2`},
		{"bad enabled", "rules:\n  credential-read:\n    enabled: maybe\n", 3, ""},
		{"a rule that is not a map", "rules:\n  credential-read: critical\n", 2, ""},
		{"rules that are not a map", "\nrules: [credential-read]\n", 2, ""},
		{"bad regexp", "allow:\n  exe:\n    - /usr/bin/cat\n    - \"re:[\"\n", 4, ""},
		{"bad regexp in a rule's allowlist", "rules:\n  credential-read:\n    allow:\n      parent: [\"re:(\"]\n", 4, ""},
		{"bad regexp in services", "network:\n  services: [\"re:a**\"]\n", 2, ""},
		{"empty pattern", "privilege_helpers:\n  - \"\"\n", 2, "test.yaml:2: privilege_helpers: want a path or re:<regexp>"},
		{"unknown user name", "allow:\n  exe: []\n  user: [root, no-such-user-xq7]\n",
			3, `test.yaml:3: allow.user: no user "no-such-user-xq7" on this machine`},
		{"non-absolute watch path", "watch:\n  paths:\n    - /etc/app.conf\n    - etc/other.conf\n",
			4, `test.yaml:4: watch.paths: "etc/other.conf" is not an absolute path`},
		{"non-absolute watch socket", "watch:\n  sockets: [run/app.sock]\n", 2, ""},
		{"port zero", "network:\n  suspicious_ports:\n    - 4444\n    - 0\n", 4, ""},
		{"port too large", "network:\n  suspicious_ports: [70000]\n",
			2, `test.yaml:2: network.suspicious_ports: "70000" is not a port (1-65535)`},
		{"port by name", "network:\n  suspicious_ports: [ssh]\n", 2, ""},
		{"bad duration", "fold_window: 5\n", 1, `test.yaml:1: fold_window: "5" is not a positive duration (e.g. 60s, 10m)`},
		{"negative half-life", "analytics:\n  half_life: -1m\n", 2, ""},
		{"zero half-life", "analytics:\n  top: 3\n  half_life: 0s\n", 3, ""},
		{"analytics.top too large", "analytics:\n  top: 101\n",
			2, `test.yaml:2: analytics.top: "101" is not a number from 0 to 100`},
		{"analytics.top negative", "analytics:\n  top: -1\n", 2, ""},
		{"analytics.max_tracked too small", "analytics:\n  max_tracked: 8\n", 2, ""},
		{"the first error is reported", "rules:\n  nope: {}\nnetwork:\n  suspicious_ports: [0]\n", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse("test.yaml", []byte(tt.in), rules.Names())
			if err == nil {
				t.Fatalf("parsed %q without error: %+v", tt.in, p)
			}
			if p != nil {
				t.Errorf("a policy returned with the error")
			}
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is a %T, want *policy.Error", err, err)
			}
			if pe.File != "test.yaml" || pe.Line != tt.line {
				t.Errorf("error %q at %s:%d, want test.yaml:%d", err, pe.File, pe.Line, tt.line)
			}
			if tt.want != "" && err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestPatternMatch(t *testing.T) {
	p := parse(t, "network:\n  services: [/usr/bin/x, \"re:^/opt/[a-z]+/bin/\", \"re:sshd$\"]\n")
	exact, prefix, suffix := p.Services[0], p.Services[1], p.Services[2]
	if exact.Text != "/usr/bin/x" || prefix.Text != "re:^/opt/[a-z]+/bin/" {
		t.Errorf("Text = %q, %q: want the pattern as written", exact.Text, prefix.Text)
	}
	tests := []struct {
		pat  policy.Pattern
		s    string
		want bool
	}{
		{exact, "/usr/bin/x", true},
		{exact, "/usr/bin/x2", false}, // exact is not a prefix
		{exact, "/usr/bin", false},
		{exact, "", false},
		{prefix, "/opt/app/bin/server", true},
		{prefix, "/opt/App/bin/server", false},
		{prefix, "/srv/opt/app/bin/server", false},
		{suffix, "/usr/sbin/sshd", true}, // a regexp is unanchored unless it says so
		{suffix, "/usr/sbin/sshd-session", false},
		{policy.Pattern{}, "/usr/bin/x", false}, // the zero pattern matches no path
	}
	for _, tt := range tests {
		if got := tt.pat.Match(tt.s); got != tt.want {
			t.Errorf("Pattern(%q).Match(%q) = %v, want %v", tt.pat.Text, tt.s, got, tt.want)
		}
	}
	if !policy.MatchAny(p.Services, "/usr/sbin/sshd") || policy.MatchAny(p.Services, "/usr/bin/y") || policy.MatchAny(nil, "/usr/bin/x") {
		t.Error("MatchAny disagrees with Match")
	}
}

func TestAllowAllows(t *testing.T) {
	p := parse(t, `allow:
  exe: [/usr/bin/cat, "re:^/opt/backup/"]
  user: [root, 1000]
  parent: ["re:^/usr/sbin/", /usr/bin/make]
`)
	a := &p.Allow
	tests := []struct {
		name   string
		exe    string
		uid    uint32
		parent string
		want   bool
	}{
		{"by exact exe", "/usr/bin/cat", 1001, "/usr/bin/bash", true},
		{"by exe regexp", "/opt/backup/run", 1001, "/usr/bin/bash", true},
		{"by user name root", "/usr/bin/head", 0, "/usr/bin/bash", true},
		{"by numeric uid", "/usr/bin/head", 1000, "/usr/bin/bash", true},
		{"by parent regexp", "/usr/bin/head", 1001, "/usr/sbin/cron", true},
		{"by exact parent", "/usr/bin/head", 1001, "/usr/bin/make", true},
		{"none of them", "/usr/bin/head", 1001, "/usr/bin/bash", false},
		{"an exe that is only a parent's", "/usr/bin/make", 1001, "/usr/bin/bash", false},
		{"no parent known", "/usr/bin/head", 1001, "", false},
	}
	for _, tt := range tests {
		if got := a.Allows(tt.exe, tt.uid, tt.parent); got != tt.want {
			t.Errorf("%s: Allows(%q, %d, %q) = %v, want %v", tt.name, tt.exe, tt.uid, tt.parent, got, tt.want)
		}
	}
	// an unknown parent is not matched even by a pattern matching anything
	wild := parse(t, "allow:\n  parent: [\"re:.*\"]\n")
	if wild.Allow.Allows("/usr/bin/head", 1001, "") {
		t.Error("re:.* allowed a process with no known parent")
	}
	var zero policy.Allow
	if zero.Allows("/usr/bin/cat", 0, "/usr/sbin/cron") {
		t.Error("the zero allowlist allows")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(good, []byte("rules:\n  credential-read:\n    severity: critical\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(good, rules.Names())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.Source != good || p.Rules["credential-read"].Severity != record.Critical {
		t.Errorf("Load = source %q, credential-read %+v", p.Source, p.Rules["credential-read"])
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  credential-read:\n    severty: critical\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Load(bad, rules.Names()); err == nil || !strings.HasPrefix(err.Error(), bad+":3: ") {
		t.Errorf("Load of a bad file: %v, want an error at %s:3", err, bad)
	}

	missing := filepath.Join(dir, "missing.yaml")
	_, err = policy.Load(missing, rules.Names())
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if !strings.HasPrefix(err.Error(), missing+": ") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load of a missing file: %q, want the file name and the reason", err)
	}
	var pe *policy.Error
	if !errors.As(err, &pe) || pe.File != missing || pe.Line != 0 {
		t.Errorf("Load of a missing file: %#v, want a *policy.Error for %s with no line", err, missing)
	}
}

// A later layer replaces the settings it gives, adds to allowlists and
// watch lists, and leaves the rest as the layer below had them.
func TestMergeReplacesOnlyTheSettingsGiven(t *testing.T) {
	base := policy.Default(nil)
	over := parse(t, "network:\n  suspicious_ports: [8443]\nwatch:\n  paths: [/srv/x]\nfold_window: 5s\nallow:\n  exe: [/opt/a]\n")
	m, err := policy.Merge(base, over)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.SuspiciousPorts) != 1 || !m.SuspiciousPorts[8443] {
		t.Errorf("suspicious ports %v, want only 8443", m.SuspiciousPorts)
	}
	if m.FoldWindow != 5*time.Second || m.HalfLife != base.HalfLife || m.Top != base.Top {
		t.Errorf("fold %v half-life %v top %d: want 5s and the base's", m.FoldWindow, m.HalfLife, m.Top)
	}
	if !policy.MatchAny(m.Services, "/usr/sbin/x") || !policy.MatchAny(m.PrivilegeHelpers, "/usr/bin/sudo") {
		t.Error("services or helpers not given, yet not the base's")
	}
	if strings.Join(m.WatchPaths, ",") != "/srv/x" || !m.Allow.Allows("/opt/a", 5, "") {
		t.Errorf("watch %v, allow %+v", m.WatchPaths, m.Allow)
	}
	if m2, _ := policy.Merge(base, parse(t, "")); len(m2.SuspiciousPorts) != len(base.SuspiciousPorts) {
		t.Errorf("an empty layer changed the suspicious ports: %v", m2.SuspiciousPorts)
	}
}

// The built-in list file_events is every event of the file category: a
// new file event (mkdir, utimes) reaches the rules written over the list.
func TestFileEventsListIsTheFileCategory(t *testing.T) {
	got := policy.Builtin().Lists["file_events"]
	if got == nil || !slices.Equal(got.Items, record.FileEvents) {
		t.Errorf("rules.yaml file_events = %v, record.FileEvents = %v", got, record.FileEvents)
	}
}
