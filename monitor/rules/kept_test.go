package rules_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

func compileKeeping(t *testing.T, p *policy.Policy, path, binary string) *rules.Engine {
	t.Helper()
	e, err := rules.CompileKeeping(p, path, binary, nil)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return e
}

// A second compile of the same policy by the same build reads every
// checked expression back, and judges every case of the rules' table as a
// compile from the text does.
func TestKeptCheckedExpressionsJudgeAsFreshOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules")
	p := policy.Default(rules.Names())
	first := compileKeeping(t, p, path, "build-1")
	misses, failed := rules.KeptMisses(first)
	if misses < 50 {
		t.Fatalf("the first compile parsed %d expressions, want every one (50 or more)", misses)
	}
	// a macro waits for the macros it names: none is tried too early
	if failed != 0 {
		t.Errorf("the first compile tried %d expressions that did not check, want none", failed)
	}
	e := compileKeeping(t, p, path, "build-1")
	if again, _ := rules.KeptMisses(e); again != 0 {
		t.Fatalf("the second compile parsed %d expressions again, want none", again)
	}
	for _, tt := range ruleCases() {
		r := tt.rec
		// the kept expressions run through cel-go too, with their lists
		for _, d := range e.Disagreements(&r) {
			t.Errorf("%s/%s: %s", tt.rule, tt.name, d)
		}
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, tt.want) {
			t.Errorf("%s/%s: rules = %q, want %q", tt.rule, tt.name, got, tt.want)
		}
	}
}

// A list's items are in the checked expressions that use it: a policy
// whose list changed must not judge by the old items.
func TestKeptCheckedExpressionsFollowTheLists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules")
	server := connectTo(proc(10, 1000, "/opt/app/bin/server"), "192.0.2.7", 443)
	for _, tt := range []struct {
		servers string
		want    []string
	}{
		{"/opt/app/bin/server", nil},
		{"/opt/other/bin/server", []string{"app-egress"}},
		{"/opt/app/bin/server", nil},
	} {
		p, err := layer(t, strings.Replace(teamRules, "app_servers: [/opt/app/bin/server]", "app_servers: ["+tt.servers+"]", 1))
		if err != nil {
			t.Fatal(err)
		}
		e := compileKeeping(t, p, path, "build-1")
		r := server
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, tt.want) {
			t.Errorf("app_servers [%s]: rules = %q, want %q", tt.servers, got, tt.want)
		}
	}
}

// What another build wrote, a file anyone may write, and a damaged file
// are passed over: the policy compiles from its text.
func TestKeptFilesNotTrustedArePassedOver(t *testing.T) {
	p := policy.Default(rules.Names())
	dir := t.TempDir()
	good := filepath.Join(dir, "rules")
	compileKeeping(t, p, good, "build-1")
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		name, path, binary string
	}{
		{"another build's", good, "build-2"},
		{"world-writable", write("open", whole, 0o666), "build-1"},
		{"cut short", write("cut", whole[:len(whole)/2], 0o600), "build-1"},
		{"garbage", write("garbage", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), 0o600), "build-1"},
	} {
		e := compileKeeping(t, p, tt.path, tt.binary)
		if misses, _ := rules.KeptMisses(e); misses < 50 {
			t.Errorf("%s file: every expression was read back", tt.name)
		}
		r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, []string{"credential-read"}) {
			t.Errorf("%s file: rules = %q, want credential-read", tt.name, got)
		}
	}
}

// builtChecks is what make embeds for the built-in policy.
func builtChecks(t *testing.T) []byte {
	t.Helper()
	b, err := rules.BuiltChecks(policy.Default(rules.Names()))
	if err != nil {
		t.Fatalf("BuiltChecks: %v", err)
	}
	return b
}

// The build's checked expressions serve the built-in policy whole, with no
// kept file (the first start of a boot), as given by default or through a
// policy file that repeats it; nothing is written for the next start; and
// every case of the rules' table is judged as a compile from the text
// judges it.
func TestBuiltChecksServeTheBuiltInPolicyWhole(t *testing.T) {
	build := builtChecks(t)
	asFile, err := layer(t, "")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*policy.Policy{"default": policy.Default(rules.Names()), "a policy file with nothing more": asFile} {
		path := filepath.Join(t.TempDir(), "rules")
		e, err := rules.CompileKeeping(p, path, "build-1", build)
		if err != nil {
			t.Fatalf("%s: compile: %v", name, err)
		}
		if built, read, parsed := e.Kept(); built < 50 || read != 0 || parsed != 0 {
			t.Errorf("%s: %d from the build, %d read back, %d parsed: want every one from the build", name, built, read, parsed)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a kept file was written (%v), with nothing to keep", name, err)
		}
		for _, tt := range ruleCases() {
			r := tt.rec
			for _, d := range e.Disagreements(&r) {
				t.Errorf("%s: %s/%s: %s", name, tt.rule, tt.name, d)
			}
			e.Evaluate(&r)
			if got := ruleNames(&r); !slices.Equal(got, tt.want) {
				t.Errorf("%s: %s/%s: rules = %q, want %q", name, tt.rule, tt.name, got, tt.want)
			}
		}
	}
}

// A rule of the user's is parsed once and kept in the file, beside the
// build's expressions; the next start reads it back.  A list the user
// changes is in every expression that uses it: those are parsed, not
// taken from the build.
func TestBuiltChecksAndTheKeptFileTogether(t *testing.T) {
	build := builtChecks(t)
	const userRule = `
rules:
  e2e-marker:
    description: the test's marker program ran
    severity: warning
    events: [exec]
    condition: size(process.args) == 2 && process.args[1].startsWith("e2e-user-rule-")
`
	p, err := layer(t, userRule)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules")
	e, err := rules.CompileKeeping(p, path, "build-1", build)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	built, read, parsed := e.Kept()
	if built < 50 || read != 0 || parsed == 0 {
		t.Errorf("first compile: %d from the build, %d read back, %d parsed: want 50 or more, 0, the rule's", built, read, parsed)
	}
	if e, err = rules.CompileKeeping(p, path, "build-1", build); err != nil {
		t.Fatalf("compile: %v", err)
	}
	if b, r, n := e.Kept(); b != built || r != parsed || n != 0 {
		t.Errorf("second compile: %d from the build, %d read back, %d parsed: want %d, %d, 0", b, r, n, built, parsed)
	}

	p, err = layer(t, "lists:\n  interpreters:\n    append: [e2e-shell]\n")
	if err != nil {
		t.Fatal(err)
	}
	if e, err = rules.CompileKeeping(p, filepath.Join(t.TempDir(), "rules"), "build-1", build); err != nil {
		t.Fatalf("compile: %v", err)
	}
	if built, _, parsed := e.Kept(); built != 0 || parsed < 50 {
		t.Errorf("a list changed: %d from the build, %d parsed: want every one parsed", built, parsed)
	}
}

// The build's file is believed only for the language it was checked in:
// one made by another (its head differs) or damaged is passed over, and
// the policy compiles from its text.
func TestBuiltChecksOfAnotherLanguageArePassedOver(t *testing.T) {
	build := builtChecks(t)
	at := bytes.Index(build, []byte("built "))
	if at < 0 {
		t.Fatalf("no head in the build's file: %q", build[:min(len(build), 80)])
	}
	other := bytes.Clone(build)
	other[at+len("built ")] ^= 1
	for name, b := range map[string][]byte{
		"another language's": other,
		"cut short":          build[:at+10],
		"garbage":            []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	} {
		e, err := rules.CompileKeeping(policy.Default(rules.Names()), "", "", b)
		if err != nil {
			t.Fatalf("%s: compile: %v", name, err)
		}
		if built, _, parsed := e.Kept(); built != 0 || parsed < 50 {
			t.Errorf("%s: %d from the build, %d parsed: want every one parsed", name, built, parsed)
		}
		r := shadowRead(1000, "/usr/bin/cat", "/usr/bin/bash")
		e.Evaluate(&r)
		if got := ruleNames(&r); !slices.Equal(got, []string{"credential-read"}) {
			t.Errorf("%s: rules = %q, want credential-read", name, got)
		}
	}
}
