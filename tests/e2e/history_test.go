package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// inTree matches the records of pid and of its descendants (the ancestry
// the monitor reports: up to 8 generations).
func inTree(pid int) func(rec) bool {
	return func(r rec) bool {
		if int(r.num("process", "pid")) == pid {
			return true
		}
		anc, _ := r.get("process", "ancestry").([]any)
		for _, a := range anc {
			if m, ok := a.(map[string]any); ok && m["pid"] == float64(pid) {
				return true
			}
		}
		return false
	}
}

// keepRootHistory restores root's shell history after a test that writes it.
func keepRootHistory(t *testing.T) string {
	t.Helper()
	const path = "/root/.bash_history"
	old, err := os.ReadFile(path)
	existed := err == nil
	t.Cleanup(func() {
		if existed {
			os.WriteFile(path, old, 0o600)
		} else {
			os.Remove(path)
		}
	})
	return path
}

// An interactive bash saves its history when it exits: it truncates and
// rewrites ~/.bash_history, every day, for every root shell.  That is not
// log tampering; wiping the file through a redirect is.
func TestShellSavingHistoryIsNotTampering(t *testing.T) {
	path := keepRootHistory(t)
	m := startMonitor(t)

	// readline writes a new history in place (O_TRUNC, mode 0600), and adds
	// to an old one (O_APPEND, not reported: appends are not tampering) or
	// replaces it through a temporary file
	os.Remove(path)
	for i, run := range []string{"a new history", "an existing one"} {
		save := exec.Command("bash", "-i")
		save.Env = append(os.Environ(), "HOME=/root", "HISTFILE="+path)
		save.Stdin = strings.NewReader("true e2e-history\n")
		if out, err := save.CombinedOutput(); err != nil {
			t.Fatalf("bash -i: %v: %s", err, out)
		}
		saved := and(pidIs(save.Process.Pid), func(r rec) bool {
			ev := r.str("event")
			return (ev == "open" || ev == "rename") && (r.str("file", "path") == path || r.str("file", "target_path") == path)
		})
		if i == 0 {
			r := m.waitFor(t, 10*time.Second, "bash saving "+run, saved)
			if r.str("file", "mode") != "0600" || !strings.Contains(strings.Join(r.strs("file", "flags"), " "), "O_TRUNC") {
				t.Errorf("saving %s: %v, want O_TRUNC with mode 0600", run, r.get("file"))
			}
		}
		m.drain(t)
		for _, r := range m.find(saved) {
			if hasRule(r, "log-tampering") {
				t.Errorf("saving %s: %s raised log-tampering: %v", run, r.str("event"), r.get("file"))
			}
		}
	}

	wipe := exec.Command("bash", "-c", "cat /dev/null > "+path)
	if out, err := wipe.CombinedOutput(); err != nil {
		t.Fatalf("wipe: %v: %s", err, out)
	}
	// bash forks for the redirect: the open is its child's
	r := m.waitFor(t, 10*time.Second, "the history wiped", and(eventIs("open"), inTree(wipe.Process.Pid), func(r rec) bool {
		return r.str("file", "path") == path
	}))
	assertFired(t, r, "log-tampering")
	m.stop(t)
}
