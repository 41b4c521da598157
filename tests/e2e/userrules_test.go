package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ruleOf returns the entry of a fired rule, or nil.
func ruleOf(r rec, name string) map[string]any {
	rules, _ := r.get("rules").([]any)
	for _, x := range rules {
		if m, ok := x.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	return nil
}

// A team's rules file in --rules-dir: a new rule with an exception, an
// append to a built-in list, and an override of a built-in's severity.
// Each takes effect live, again after a SIGHUP that changes them, and a
// broken rule is refused with its line while the running rules stay.
func TestUserRulesFileLiveAndAfterReload(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	rulesDir := filepath.Join(dir, "rules.d")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	spared := filepath.Join(dir, "spared")
	if err := os.Mkdir(spared, 0o755); err != nil {
		t.Fatal(err)
	}
	shell := filepath.Join(dir, "e2e-shell")
	copyFile(t, "/usr/bin/bash", shell, 0o755)
	other := filepath.Join(dir, "e2e-other")
	copyFile(t, "/usr/bin/bash", other, 0o755)

	file := filepath.Join(rulesDir, "10-team.yaml")
	team := func(markerSeverity, shadowSeverity string) string {
		return `
lists:
  interpreters:
    append: [e2e-shell]
rules:
  e2e-marker:
    description: the test's marker program ran
    severity: ` + markerSeverity + `
    mitre: [T1059]
    events: [exec]
    condition: size(process.args) == 2 && process.args[1].startsWith("e2e-user-rule-")
    exceptions:
      - name: spared-directory
        fields: [process.cwd]
        values: [` + spared + `]
    output: "{process.exe} ran with {process.args}"
  credential-read:
    override:
      severity: ` + shadowSeverity + `
`
	}
	writePolicy(t, file, team("critical", "critical"))
	m := startMonitor(t, "--rules-dir", rulesDir)
	wait := func(what string, preds ...func(rec) bool) rec {
		t.Helper()
		return m.waitFor(t, 10*time.Second, what, and(preds...))
	}
	pr := remotePeer(t) // connects out there are refused, and still connects
	port := 8081

	check := func(t *testing.T, markerSeverity, shadowSeverity string) {
		t.Helper()
		// the new rule, and its exception
		pid := runIn(t, "/", "/bin/true", "e2e-user-rule-"+markerSeverity)
		r := wait("marker exec", eventIs("exec"), pidIs(pid))
		if m := ruleOf(r, "e2e-marker"); m == nil || m["severity"] != markerSeverity ||
			m["output"] != "/usr/bin/true ran with /bin/true,e2e-user-rule-"+markerSeverity {
			t.Errorf("marker: rules %v, want e2e-marker at %s with its output", r.get("rules"), markerSeverity)
		}
		spare := runIn(t, spared, "/bin/true", "e2e-user-rule-spared")
		if r := wait("spared marker exec", eventIs("exec"), pidIs(spare)); hasRule(r, "e2e-marker") {
			t.Errorf("the exception did not spare a marker run in %s: %v", spared, r.get("rules"))
		}

		// the appended list: e2e-shell is an interpreter, e2e-other is not
		dial := "exec 3<>/dev/tcp/" + pr.ip.String() + "/" + strconv.Itoa(port) + " || true"
		pid = runIn(t, "/", shell, "-c", dial)
		if r := wait("e2e-shell connect", eventIs("connect"), pidIs(pid), dstPortIs(port)); !hasRule(r, "suspicious-outbound") {
			t.Errorf("an interpreter appended to the list dialled out without an alert: %v", r.get("rules"))
		}
		pid = runIn(t, "/", other, "-c", dial)
		if r := wait("e2e-other connect", eventIs("connect"), pidIs(pid), dstPortIs(port)); hasRule(r, "suspicious-outbound") {
			t.Errorf("a program not on the list raised suspicious-outbound: %v", r.get("rules"))
		}

		// the override of a built-in's severity
		pid = runIn(t, "/", "cat", "/etc/shadow")
		r = wait("open of shadow", eventIs("open"), pidIs(pid))
		if m := ruleOf(r, "credential-read"); m == nil || m["severity"] != shadowSeverity {
			t.Errorf("credential-read = %v, want it at %s", r.get("rules"), shadowSeverity)
		}
	}
	t.Run("live", func(t *testing.T) { check(t, "critical", "critical") })

	writePolicy(t, file, team("warn", "info"))
	m.cmd.Process.Signal(syscall.SIGHUP)
	wait("policy reloaded", eventIs("policy"), func(r rec) bool { return strings.Contains(r.str("message"), "reloaded") })
	t.Run("after SIGHUP", func(t *testing.T) { check(t, "warn", "info") })

	broken := filepath.Join(rulesDir, "20-broken.yaml")
	writePolicy(t, broken, "rules:\n  e2e-broken:\n    events: [exec]\n    condition: process.exee == \"x\"\n")
	m.cmd.Process.Signal(syscall.SIGHUP)
	bad := wait("reload refused", eventIs("policy"), func(r rec) bool { return strings.Contains(r.str("message"), "refused") })
	if !strings.Contains(bad.str("message"), broken+":4:") || !strings.Contains(bad.str("message"), "process.exee") {
		t.Errorf("refused reload = %q, want %s:4 and the misspelt field", bad.str("message"), broken)
	}
	t.Run("a broken rule keeps the running rules", func(t *testing.T) { check(t, "warn", "info") })
	m.stop(t)

	// the same file refuses to start, with its line, before any hook loads
	code, stderr := runMonitor(t, monitorBin, "--rules-dir", rulesDir)
	if code != 8 || !strings.Contains(stderr, broken+":4:") || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
		t.Errorf("start with a broken rule: exit %d, stderr %q; want 8 and one line naming %s:4", code, stderr, broken)
	}
}
