package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// alertKeys reads JSON lines and returns one key per alert (and fold
// summary): who, what, on what, which rules, how many repeats.
func alertKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %v: %.200s", err, sc.Text())
		}
		if r.str("category") == "monitor" || len(firedNames(r)) == 0 {
			continue
		}
		names := firedNames(r)
		sort.Strings(names)
		out = append(out, fmt.Sprintf("pid=%v event=%s path=%s args=%q rules=%s severity=%s repeats=%v",
			r.get("process", "pid"), r.str("event"), r.str("file", "path"), r.strs("process", "args"),
			strings.Join(names, ","), r.str("severity"), r.get("repeats")))
	}
	sort.Strings(out)
	return out
}

// A live run's log, replayed with the same rules, raises the same alerts
// and fold summaries; replayed with a changed rule, it shows what that rule
// would have raised instead.
func TestReplayReproducesTheLiveAlerts(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	log := filepath.Join(dir, "live.json")
	m := startMonitor(t, "-l", log, "--rules-dir", filepath.Join(dir, "none"))

	tmpTrue := filepath.Join(dir, "true")
	copyFile(t, "/usr/bin/true", tmpTrue, 0o755)
	runIn(t, "/", "cat", "/etc/shadow")                                       // credential-read
	runIn(t, "/", "sh", "-c", "exec 3</etc/shadow; exec 4</etc/shadow; true") // one alert, then a fold summary
	runIn(t, "/", tmpTrue, "e2e-replay")                                      // exec-from-writable-dir
	runIn(t, "/", "/bin/true", "bash -i >& /dev/tcp/127.0.0.1/9")             // reverse-shell (command line)
	runIn(t, "/", "/bin/true", "/home/e2e/.ssh/id_rsa")                       // credential-hunting
	m.drain(t)
	m.stop(t)

	live, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := alertKeys(t, live)
	if len(want) < 5 {
		t.Fatalf("the live run raised %d alerts, want at least 5:\n%s", len(want), strings.Join(want, "\n"))
	}
	if !slices.ContainsFunc(want, func(k string) bool { return strings.Contains(k, "repeats=1") }) {
		t.Errorf("no fold summary among the live alerts:\n%s", strings.Join(want, "\n"))
	}

	replay := func(args ...string) ([]string, string) {
		t.Helper()
		cmd := exec.Command(monitorBin, append([]string{"replay", "-f", "json", "--rules-dir", filepath.Join(dir, "none")}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("replay %v: %v: %s", args, err, stderr.String())
		}
		return alertKeys(t, stdout.Bytes()), stderr.String()
	}
	got, summary := replay(log)
	if !slices.Equal(got, want) {
		t.Errorf("replay raised\n%s\nthe live run raised\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// cat's open, and sh's two opens (one alert, one repeat)
	if !regexpMatch(`credential-read +3 +3\n`, summary) {
		t.Errorf("summary: want credential-read matched 3 times now and when recorded: %s", summary)
	}

	// a changed rule: credential-read off, everything else as it was
	policy := filepath.Join(dir, "policy.yaml")
	writePolicy(t, policy, "rules:\n  credential-read:\n    enabled: false\n")
	got, summary = replay("--policy", policy, log)
	for _, k := range got {
		if strings.Contains(k, "credential-read") {
			t.Errorf("credential-read still raised with the rule off: %s", k)
		}
	}
	var rest []string
	for _, k := range want {
		if !strings.Contains(k, "rules=credential-read ") {
			rest = append(rest, k)
		}
	}
	if !slices.Equal(got, rest) {
		t.Errorf("with credential-read off, replay raised\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(rest, "\n"))
	}
	if !regexpMatch(`credential-read +0 +3\n`, summary) {
		t.Errorf("the summary does not show credential-read at 0 now, >0 recorded: %s", summary)
	}

	// a bad line is reported with its place, and the others still judged
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, append([]byte("not json\n"), live...), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(monitorBin, "replay", "-f", "json", "--rules-dir", filepath.Join(dir, "none"), bad)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), bad+":1: not a record") {
		t.Errorf("a bad line: %v, stderr %s", err, stderr.String())
	}
	if got := alertKeys(t, stdout.Bytes()); !slices.Equal(got, want) {
		t.Errorf("with a bad first line, replay raised %d alerts, want the %d of the live run", len(got), len(want))
	}
}

func regexpMatch(expr, s string) bool { return regexp.MustCompile(expr).MatchString(s) }
