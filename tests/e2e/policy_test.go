package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func hasRule(r rec, name string) bool {
	rules, _ := r.get("rules").([]any)
	for _, x := range rules {
		if m, ok := x.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}

func writePolicy(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBadPolicyIsRefusedWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "rules:\n  credential-read:\n    severty: warn\n", ":3: unknown key \"severty\""},
		{"bad severity", "rules:\n  credential-read:\n    severity: loud\n", ":3: rules.credential-read.severity: invalid severity \"loud\""},
		{"bad regexp", "allow:\n  exe: [\"re:[\"]\n", ":2: allow.exe: bad regular expression"},
		{"unknown rule", "rules:\n  no-such-rule: {}\n", ":2: unknown rule \"no-such-rule\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			writePolicy(t, path, c.body)
			code, stderr := runMonitor(t, monitorBin, "--policy", path)
			if code != 8 {
				t.Errorf("exit code %d, want 8; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, path+c.want) {
				t.Errorf("stderr %q does not hold %q", stderr, path+c.want)
			}
			if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
}

func TestPrintDefaultPolicyIsAValidPolicy(t *testing.T) {
	out, err := exec.Command(monitorBin, "--print-default-policy").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "credential-read:") {
		t.Fatalf("default policy lacks the rules: %s", out)
	}
	path := filepath.Join(t.TempDir(), "default.yaml")
	writePolicy(t, path, string(out))
	m := startMonitor(t, "--policy", path) // refused files never reach start
	m.stop(t)
}

// A policy overrides a severity, disables a rule and allowlists a program;
// SIGHUP reloads it, and a bad reload keeps the running policy.
func TestPolicyOverridesAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, path, `
rules:
  credential-read:
    severity: critical
    allow:
      exe: [/usr/bin/head]
  credential-hunting:
    enabled: false
`)
	m := startMonitor(t, "--policy", path)

	pid := runIn(t, "/", "cat", "/etc/shadow")
	r := m.exactlyOne(t, "open of shadow", and(eventIs("open"), pidIs(pid)))
	if !hasRule(r, "credential-read") || r.str("severity") != "critical" {
		t.Errorf("rules=%v severity=%q, want credential-read raised to critical", r.get("rules"), r.str("severity"))
	}
	e := m.waitFor(t, 10*time.Second, "exec of cat", and(eventIs("exec"), pidIs(pid)))
	if hasRule(e, "credential-hunting") {
		t.Errorf("a disabled rule fired: %v", e.get("rules"))
	}

	pid = runIn(t, "/", "head", "-c", "1", "/etc/shadow")
	r = m.exactlyOne(t, "open by head", and(eventIs("open"), pidIs(pid)))
	if hasRule(r, "credential-read") || r.str("severity") != "info" {
		t.Errorf("an allowlisted program raised %v (%s)", r.get("rules"), r.str("severity"))
	}

	// reload: credential-read off
	writePolicy(t, path, "rules:\n  credential-read:\n    enabled: false\n")
	m.cmd.Process.Signal(syscall.SIGHUP)
	rl := m.waitFor(t, 10*time.Second, "policy reloaded", func(r rec) bool {
		return r.str("event") == "policy" && strings.Contains(r.str("message"), "reloaded")
	})
	if rl.str("category") != "monitor" {
		t.Errorf("reload record = %v", rl)
	}
	pid = runIn(t, "/", "cat", "/etc/shadow")
	r = m.exactlyOne(t, "open after reload", and(eventIs("open"), pidIs(pid)))
	if hasRule(r, "credential-read") {
		t.Errorf("credential-read still fires after the reload disabled it")
	}

	// a bad reload is refused and the running policy stays
	writePolicy(t, path, "rules:\n  credential-read:\n    severity: loud\n")
	m.cmd.Process.Signal(syscall.SIGHUP)
	bad := m.waitFor(t, 10*time.Second, "reload refused", func(r rec) bool {
		return r.str("event") == "policy" && strings.Contains(r.str("message"), "refused")
	})
	if bad.str("severity") != "warn" || !strings.Contains(bad.str("message"), path+":3:") {
		t.Errorf("refused reload = %v", bad)
	}
	pid = runIn(t, "/", "cat", "/etc/shadow")
	r = m.exactlyOne(t, "open after bad reload", and(eventIs("open"), pidIs(pid)))
	if hasRule(r, "credential-read") {
		t.Errorf("the refused policy replaced the running one")
	}
	m.stop(t)
}

// A scripted attack chain -- read credentials, dial out to a reverse-shell
// port, run a dropped binary from /tmp and delete it -- ranks first in the
// analytics, above a process that read /etc/shadow once.
func TestAttackChainRanksFirst(t *testing.T) {
	pr := remotePeer(t) // the far end refuses: the attempt is the evidence
	drop := filepath.Join(os.TempDir(), "e2e-dropper-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(drop)

	m := startMonitor(t, "-i", "1")
	once := runIn(t, "/", "cat", "/etc/shadow")
	chain := exec.Command("bash", "-c", "cat /etc/shadow > /dev/null; (exec 3<>/dev/tcp/"+pr.ip.String()+"/4444) 2>/dev/null"+
		"; cp /bin/true "+drop+"; "+drop+"; rm -f "+drop)
	if out, err := chain.CombinedOutput(); err != nil {
		t.Fatalf("chain: %v: %s", err, out)
	}
	start := time.Now()
	s := m.waitFor(t, 10*time.Second, "stats with a ranking", func(r rec) bool {
		ts, _ := time.Parse(time.RFC3339Nano, r.str("time"))
		top, _ := r.get("monitor", "top").([]any)
		return r.str("event") == "stats" && ts.After(start) && len(top) > 0
	})
	top := s.get("monitor", "top").([]any)
	first := top[0].(map[string]any)
	if int(num(first["pid"])) != chain.Process.Pid {
		t.Fatalf("top #1 is pid %v (%v), want the chain's shell %d; top: %v", first["pid"], first["exe"], chain.Process.Pid, top)
	}
	rules := first["rules"].(map[string]any)
	for _, want := range []string{"credential-read", "suspicious-outbound", "exec-from-writable-dir"} {
		if rules[want] == nil {
			t.Errorf("top #1 rules %v lack %s", rules, want)
		}
	}
	for i, x := range top {
		e := x.(map[string]any)
		if int(num(e["pid"])) == once && i == 0 {
			t.Errorf("the one-off reader ranks first")
		}
		if int(num(e["pid"])) == once && num(e["score"]) >= num(first["score"]) {
			t.Errorf("one-off reader's score %v is not below the chain's %v", e["score"], first["score"])
		}
	}
	m.stop(t)
	stop := m.find(eventIs("stop"))
	if len(stop) != 1 || stop[0].get("monitor", "top") == nil {
		t.Errorf("the final record has no ranking summary: %v", stop)
	}
}

// Everyday work raises no critical alert: compiling and testing Go code,
// reading apt's metadata, serving and fetching a page on loopback.
func TestBenignWorkloadRaisesNoCriticalAlert(t *testing.T) {
	m := startMonitor(t)
	start := time.Now()

	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "event.a"), "../../monitor/event")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	unit := exec.Command("go", "test", "-count=1", "../../monitor/proc")
	if out, err := unit.CombinedOutput(); err != nil {
		t.Fatalf("go test: %v: %s", err, out)
	}
	if _, err := exec.LookPath("apt-cache"); err == nil {
		exec.Command("apt-cache", "policy", "bash").Run()
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(t.TempDir()))}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close()
	m.drain(t)

	for _, r := range m.find(func(r rec) bool { return r.str("severity") == "critical" }) {
		ts, _ := time.Parse(time.RFC3339Nano, r.str("time"))
		if ts.After(start) {
			t.Errorf("critical alert during a benign workload: %s %v: %s", r.str("event"), r.get("rules"), r.str("message"))
		}
	}
	m.stop(t)
}

// A reload that drops a watched socket and a watched file stops reporting
// them, and what it keeps is still reported.  Absence is proven by draining
// to a marker: the kept socket's connect (and the kept file's open) is made
// after the dropped one's, from the same thread, and the ring buffer keeps
// that order.  Before, the unix sockets a reload dropped stayed watched.
func TestReloadDropsTheWatchesItNoLonger(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dir := t.TempDir()
	dropped, kept := filepath.Join(dir, "dropped.sock"), filepath.Join(dir, "kept.sock")
	droppedFile, keptFile := filepath.Join(dir, "dropped.txt"), filepath.Join(dir, "kept.txt")
	for _, p := range []string{droppedFile, keptFile} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{dropped, kept} {
		l, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	connect := func(p string) {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: p}); err != nil {
			t.Fatal(err)
		}
	}
	open := func(p string) {
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	toSock := func(p string) func(rec) bool {
		return and(eventIs("connect"), self(), func(r rec) bool { return r.str("network", "unix_path") == p })
	}
	ofFile := func(p string) func(rec) bool {
		return and(eventIs("open"), self(), func(r rec) bool { return r.str("file", "path") == p })
	}

	path := filepath.Join(dir, "policy.yaml")
	writePolicy(t, path, "watch:\n  sockets: ["+dropped+"]\n  paths: ["+droppedFile+"]\n")
	m := startMonitor(t, "--policy", path, "--watch-socket", kept, "--watch-path", keptFile)
	connect(dropped)
	connect(kept)
	open(droppedFile)
	open(keptFile)
	m.waitFor(t, 10*time.Second, "open of the kept file", ofFile(keptFile))
	for _, p := range []func(rec) bool{toSock(dropped), toSock(kept), ofFile(droppedFile)} {
		if n := len(m.find(p)); n != 1 {
			t.Fatalf("before the reload: %d records for one watched access, want 1:\n%s", n, m.tail(20))
		}
	}

	writePolicy(t, path, "rules: {}\n")
	m.cmd.Process.Signal(syscall.SIGHUP)
	reloaded := m.waitFor(t, 10*time.Second, "policy reloaded", func(r rec) bool {
		return r.str("event") == "policy" && strings.Contains(r.str("message"), "reloaded from")
	})
	at, err := time.Parse(time.RFC3339Nano, reloaded.str("time"))
	if err != nil {
		t.Fatal(err)
	}
	afterReload := func(r rec) bool {
		ts, err := time.Parse(time.RFC3339Nano, r.str("time"))
		return err == nil && ts.After(at)
	}
	connect(dropped)
	open(droppedFile)
	connect(kept) // the markers
	open(keptFile)
	m.waitFor(t, 10*time.Second, "the kept socket's connect after the reload", and(toSock(kept), afterReload))
	m.waitFor(t, 10*time.Second, "the kept file's open after the reload", and(ofFile(keptFile), afterReload))
	if n := len(m.find(toSock(dropped))); n != 1 {
		t.Errorf("the dropped socket: %d connects reported, want only the one before the reload", n)
	}
	if n := len(m.find(ofFile(droppedFile))); n != 1 {
		t.Errorf("the dropped file: %d opens reported, want only the one before the reload", n)
	}
	m.stop(t)
}

// An interpreted program is named by its script: allow.exe and allow.parent
// match it, so a nightly backup script reading shadow (itself, and through
// a child) can be allowlisted without allowlisting every bash.  The same
// script under another name still fires.
func TestAllowlistMatchesTheScript(t *testing.T) {
	dir := t.TempDir()
	body := "#!/bin/bash\nread -r _ < /etc/shadow\ncat /etc/gshadow > /dev/null\n"
	allowed := filepath.Join(dir, "nightly-backup")
	other := filepath.Join(dir, "other-script")
	for _, p := range []string{allowed, other} {
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "policy.yaml")
	writePolicy(t, path, "rules:\n  credential-read:\n    allow:\n      exe: ["+allowed+"]\n      parent: ["+allowed+"]\n")
	m := startMonitor(t, "--policy", path)

	for _, c := range []struct {
		script string
		fires  bool
	}{{allowed, false}, {other, true}} {
		pid := runIn(t, "/", c.script)
		e := m.waitFor(t, 10*time.Second, "exec of "+c.script, and(eventIs("exec"), pidIs(pid)))
		if e.str("process", "script") != c.script || e.str("process", "exe") != "/usr/bin/bash" {
			t.Errorf("exec: exe %q script %q, want /usr/bin/bash running %s", e.str("process", "exe"), e.str("process", "script"), c.script)
		}
		own := m.exactlyOne(t, "the script's own read", and(eventIs("open"), pidIs(pid), func(r rec) bool {
			return r.str("file", "path") == "/etc/shadow"
		}))
		child := m.waitFor(t, 10*time.Second, "cat's read", and(eventIs("open"), func(r rec) bool {
			anc, _ := r.get("process", "ancestry").([]any)
			if len(anc) == 0 || r.str("file", "path") != "/etc/gshadow" {
				return false
			}
			p, _ := anc[0].(map[string]any)
			return p["pid"] == float64(pid) && p["script"] == c.script
		}))
		if hasRule(own, "credential-read") != c.fires || hasRule(child, "credential-read") != c.fires {
			t.Errorf("%s: credential-read on its own read %v, on its child's %v; want %v", c.script,
				hasRule(own, "credential-read"), hasRule(child, "credential-read"), c.fires)
		}
	}
	m.stop(t)
	m.assertAllJSON(t)
}
