package e2e

// The attack suite of the coverage issue: each technique by its ATT&CK id,
// run for real beside its nearest benign twin.  It runs inside TestRules
// (one monitor, the default policy), whose last check wants every built-in
// rule to have fired.  README's coverage table names these subtests.
//
// Everything stays on this machine and is undone: a temporary user (and
// home) made before the monitor starts, so that its home is watched, and
// removed with its crontab; files in temporary directories; a module file
// that is not a module, which the kernel refuses.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tempUser is an account with a home, made for one test and removed.
type tempUser struct {
	name, home string
}

func newTempUser(t *testing.T) tempUser {
	t.Helper()
	name := fmt.Sprintf("e2ecov%d", os.Getpid()%1000000)
	if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		exec.Command("crontab", "-u", name, "-r").Run() // none left, unless a test failed half-way
		if out, err := exec.Command("userdel", "-r", name).CombinedOutput(); err != nil {
			t.Errorf("userdel -r %s: %v: %s", name, err, out)
		}
	})
	home := "/home/" + name
	if st, err := os.Stat(home); err != nil || !st.IsDir() {
		t.Fatalf("useradd -m %s made no %s", name, home)
	}
	return tempUser{name: name, home: home}
}

// coverageFixture is what the attack suite sets up before the monitor
// starts: a user whose home holds cloud credentials and a git token.
type coverageFixture struct {
	user tempUser
}

func newCoverageFixture(t *testing.T) coverageFixture {
	t.Helper()
	u := newTempUser(t)
	for path, content := range map[string]string{
		".aws/credentials": "[default]\naws_access_key_id = AKIAE2ETESTONLY\naws_secret_access_key = e2e-not-a-secret\n",
		".git-credentials": "https://e2e:e2e-not-a-token@example.invalid\n",
	} {
		p := filepath.Join(u.home, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return coverageFixture{user: u}
}

// noAlertFrom fails when pid raised any rule at warn or above (drain first).
func noAlertFrom(t *testing.T, m *monitor, pid int, what string) {
	t.Helper()
	m.drain(t)
	for _, r := range m.find(pidIs(pid)) {
		if s := r.str("severity"); s == "warn" || s == "critical" {
			t.Errorf("%s (pid %d) raised %s %v: %v", what, pid, s, firedNames(r), r)
		}
	}
}

func attackSuite(t *testing.T, m *monitor, fx coverageFixture, h string, api *fakeDockerAPI) {
	wait := func(t *testing.T, what string, preds ...func(rec) bool) rec {
		t.Helper()
		return m.waitFor(t, 10*time.Second, what, and(preds...))
	}
	u := fx.user

	t.Run("T1040 packet-capture: python opens an AF_PACKET socket; ping's raw ICMP socket does not fire", func(t *testing.T) {
		pid := runIn(t, "/", "python3", "-c", "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0x0300).close()")
		r := wait(t, "socket(AF_PACKET)", eventIs("socket"), pidIs(pid))
		if r.str("syscall", "args", "family") != "AF_PACKET" || r.str("syscall", "args", "type") != "SOCK_RAW" {
			t.Errorf("args = %v, want AF_PACKET SOCK_RAW", r.get("syscall", "args"))
		}
		assertFired(t, r, "packet-capture")

		pid = runIn(t, "/", "ping", "-c", "1", "-W", "5", "127.0.0.1")
		noAlertFrom(t, m, pid, "ping -c 1 127.0.0.1")
	})

	t.Run("T1548.001 setuid-bit-set: chmod u+s and g+s anywhere; chmod 755 there is not even reported", func(t *testing.T) {
		dir := t.TempDir() // not a watched path
		f := filepath.Join(dir, "payload")
		if err := os.WriteFile(f, []byte("#!/bin/true\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"u+s", "g+s"} {
			pid := runIn(t, dir, "chmod", mode, "payload")
			r := wait(t, "chmod "+mode, eventIs("chmod"), pidIs(pid))
			if r.str("file", "path") != f || r.str("file", "class") != "" {
				t.Errorf("path=%q class=%q, want %s and no class", r.str("file", "path"), r.str("file", "class"), f)
			}
			assertFired(t, r, "setuid-bit-set")
		}
		pid := runIn(t, dir, "chmod", "755", "payload")
		m.drain(t)
		if got := m.find(pidIs(pid)); len(m.find(and(pidIs(pid), eventIs("chmod")))) != 0 {
			t.Errorf("chmod 755 of an unwatched file was reported: %v", got)
		}
	})

	t.Run("T1548 setuid-root-refused: nobody asks for setuid(0); root dropping to uid 1000 does not fire", func(t *testing.T) {
		pid, out := run(t, append(nobody, h, "setuid0")...)
		if !strings.Contains(out, "operation not permitted") {
			t.Fatalf("setuid(0) as nobody: %q", out)
		}
		assertFired(t, wait(t, "refused setuid", eventIs("setuid"), pidIs(pid)), "setuid-root-refused")

		pid, _ = run(t, h, "setresuid-drop")
		assertNotFired(t, wait(t, "setresuid drop", eventIs("setresuid"), pidIs(pid)), "setuid-root-refused")
	})

	t.Run("T1547.006 module-from-unusual-path: insmod of a file in /tmp (refused); the same from /lib/modules does not fire", func(t *testing.T) {
		junk := []byte("\x7fELF not a module, the kernel refuses it\n")
		bad := filepath.Join(t.TempDir(), "e2e-rootkit.ko")
		if err := os.WriteFile(bad, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		pid, out := run(t, "insmod", bad)
		r := wait(t, "finit_module of "+bad, func(r rec) bool {
			return (r.str("event") == "finit_module" || r.str("event") == "init_module") && int(r.num("process", "pid")) == pid
		})
		if r.str("error") == "" {
			t.Fatalf("the kernel loaded %s?! insmod: %s", bad, out)
		}
		assertFired(t, r, "module-from-unusual-path")

		// the twin: an installed module's place (what modprobe loads from)
		mods := "/lib/modules"
		made := false
		if _, err := os.Stat(mods); os.IsNotExist(err) {
			if err := os.Mkdir(mods, 0o755); err != nil {
				t.Fatal(err)
			}
			made = true
		}
		good := filepath.Join(mods, fmt.Sprintf("e2e-twin-%d.ko", os.Getpid()))
		if err := os.WriteFile(good, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			os.Remove(good)
			if made {
				os.Remove(mods)
			}
		})
		pid, _ = run(t, "insmod", good)
		r = wait(t, "finit_module of "+good, func(r rec) bool {
			return (r.str("event") == "finit_module" || r.str("event") == "init_module") && int(r.num("process", "pid")) == pid
		})
		assertNotFired(t, r, "module-from-unusual-path")
		noAlertFrom(t, m, pid, "insmod from /lib/modules")
	})

	t.Run("T1055.008 process-injection: gdb -p writing registers and memory of a process it attached to; gdb writing into the program it started does not fire", func(t *testing.T) {
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		// a register changed and put back, and a word below the stack pointer
		// written (gdb writes memory through /proc/PID/mem, and skips a write
		// of the value already there): the writes are real, the sleep unharmed
		poke := []string{"-batch", "-ex", "set $rbx = $rbx + 1", "-ex", "set $rbx = $rbx - 1",
			"-ex", "set {long}($sp - 256) = 0x1234"}
		setregs := func(r rec) bool { return r.str("syscall", "args", "request") == "PTRACE_SETREGS" }
		pid, out := run(t, append([]string{"gdb", "-p", strconv.Itoa(target.Process.Pid)}, poke...)...)
		r := wait(t, "gdb's PTRACE_SETREGS into the sleep (gdb: "+out+")", eventIs("ptrace"), pidIs(pid), setregs)
		if r.get("syscall", "target_is_descendant") != false {
			t.Errorf("target_is_descendant = %v, want false", r.get("syscall", "target_is_descendant"))
		}
		assertFired(t, r, "process-injection")
		// the memory write by a gdb of its own: one process's second alert of
		// a rule is folded into its first (the count says so). gdb first
		// writes its own /proc/self/mem, to learn whether it can
		memPid, out := run(t, "gdb", "-p", strconv.Itoa(target.Process.Pid), "-batch", "-ex", poke[len(poke)-1])
		intoSleep := func(r rec) bool { return num(r.get("syscall", "target_pid")) == float64(target.Process.Pid) }
		r = wait(t, "gdb's pwrite64 into the sleep's /proc/PID/mem (gdb: "+out+")", eventIs("pwrite64"), pidIs(memPid), intoSleep)
		if !strings.HasSuffix(r.str("syscall", "args", "file"), "/mem") || r.str("syscall", "args", "address") == "" {
			t.Errorf("pwrite64: args=%v, want the sleep's mem file and the address", r.get("syscall", "args"))
		}
		assertFired(t, r, "process-injection")
		for _, own := range m.find(and(eventIs("pwrite64"), pidIs(memPid), func(r rec) bool { return !intoSleep(r) })) {
			assertNotFired(t, own, "process-injection") // its own memory
		}
		for _, a := range m.find(and(eventIs("ptrace"), pidIs(pid))) {
			if a.str("syscall", "args", "request") == "PTRACE_ATTACH" {
				assertNotFired(t, a, "process-injection") // a debugger attaching to look
			}
		}

		pid, out = run(t, append(append([]string{"gdb", "-ex", "starti"}, poke...), "-ex", "kill", "/bin/true")...)
		r = wait(t, "gdb's PTRACE_SETREGS into its own program (gdb: "+out+")", eventIs("ptrace"), pidIs(pid), setregs)
		if r.get("syscall", "target_is_descendant") != true {
			t.Errorf("target_is_descendant = %v, want true", r.get("syscall", "target_is_descendant"))
		}
		noAlertFrom(t, m, pid, "gdb running /bin/true")
	})

	t.Run("T1046 port-scan: one process tries 30 ports of 127.0.0.1, one alert; 30 connections to one port do not fire", func(t *testing.T) {
		scan := `import socket, sys
for p in range(int(sys.argv[1]), int(sys.argv[1]) + int(sys.argv[2])):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", p))
    except OSError:
        pass
    s.close()
`
		pid := runIn(t, "/", "python3", "-c", scan, "47000", "30")
		scanned := func(r rec) bool { _, ok := firedRules(r)["port-scan"]; return ok }
		r := wait(t, "port-scan alert", eventIs("connect"), pidIs(pid), scanned)
		if r.num("network", "ports_tried") != 20 {
			t.Errorf("ports_tried = %v, want 20 (the alert at the threshold)", r.get("network", "ports_tried"))
		}
		assertFired(t, r, "port-scan")
		m.drain(t)
		if n := len(m.find(and(pidIs(pid), scanned))); n != 1 {
			t.Errorf("%d port-scan alerts for one scan, want 1 (the rest fold into it)", n)
		}

		_, port := loopbackListener(t, nil)
		pid = runIn(t, "/", "python3", "-c", `import socket, sys
for i in range(30):
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
`, strconv.Itoa(port))
		r = wait(t, "the pool's 30th connect", eventIs("connect"), pidIs(pid), func(r rec) bool { return r.num("network", "ports_tried") == 1 })
		noAlertFrom(t, m, pid, "30 connections to one port")
	})

	t.Run("T1059.004 pipe-to-shell: curl ... | sh and base64 -d | sh; curl -o, curl | grep and curl | python3 -m json.tool do not fire", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/data.json" {
				io.WriteString(w, `{"e2e": true}`)
				return
			}
			io.WriteString(w, "echo e2e-piped-script-ran\n")
		}))
		defer srv.Close()
		piped := func(outer int) func(r rec) bool {
			return func(r rec) bool {
				_, ok := firedRules(r)["pipe-to-shell"]
				return ok && r.str("event") == "exec" && int(r.num("process", "ppid")) == outer
			}
		}
		for _, line := range []string{
			"curl -s " + srv.URL + "/x.sh | sh",
			"echo ZWNobyBlMmUtcGlwZWQtc2NyaXB0LXJhbgo= | base64 -d | sh",
		} {
			cmd := exec.Command("sh", "-c", line)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "e2e-piped-script-ran") {
				t.Fatalf("%s: %v: %s", line, err, out)
			}
			r := wait(t, "pipe-to-shell on "+line, piped(cmd.Process.Pid))
			from, to := r.str("exec", "stdin_from", "exe"), r.str("exec", "stdout_to", "exe")
			if from == "" && to == "" {
				t.Errorf("%s: the alert names no other end: %v", line, r)
			}
			assertFired(t, r, "pipe-to-shell")
		}

		dir := t.TempDir()
		for _, line := range []string{
			"curl -s -o " + filepath.Join(dir, "page.html") + " " + srv.URL + "/x.sh",
			"curl -s " + srv.URL + "/x.sh | grep -c e2e",
			"curl -s " + srv.URL + "/data.json | python3 -m json.tool",
		} {
			cmd := exec.Command("sh", "-c", line)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v: %s", line, err, out)
			}
			m.drain(t)
			for _, r := range m.find(and(eventIs("exec"), ppidIs(cmd.Process.Pid))) {
				if s := r.str("severity"); s != "info" {
					t.Errorf("%s: %s raised %s %v", line, r.str("process", "exe"), s, firedNames(r))
				}
			}
		}
	})

	t.Run("T1036.005 system-binary-dropped, dropped-binary-run: cp into /usr/local/bin, then run; a package's program installed by dpkg and run does not fire", func(t *testing.T) {
		drop := fmt.Sprintf("/usr/local/bin/e2e-dropped-%d", os.Getpid())
		defer os.Remove(drop)
		pid := runIn(t, "/", "cp", "/bin/true", drop)
		r := wait(t, "cp's write of "+drop, pidIs(pid), pathIs(drop), func(r rec) bool { return r.get("rules") != nil })
		assertFired(t, r, "system-binary-dropped")
		pid = runIn(t, "/", drop)
		r = wait(t, "exec of "+drop, eventIs("exec"), pidIs(pid))
		if r.str("exec", "dropped_by") != "/usr/bin/cp" {
			t.Errorf("dropped_by = %q, want /usr/bin/cp", r.str("exec", "dropped_by"))
		}
		assertFired(t, r, "dropped-binary-run")

		// the twin: the same program in a package, installed and purged
		name := fmt.Sprintf("e2e-coverage-twin-%d", os.Getpid())
		root := t.TempDir()
		bin := filepath.Join(root, "usr/bin", name)
		control := fmt.Sprintf("Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: e2e <e2e@example.invalid>\nDescription: a test package, removed at once\n", name)
		for path, content := range map[string]string{filepath.Join(root, "DEBIAN/control"): control, bin: ""} {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := exec.Command("cp", "/bin/true", bin).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		deb := filepath.Join(t.TempDir(), name+".deb")
		if out, err := exec.Command("fakeroot", "dpkg-deb", "--build", root, deb).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb: %v: %s", err, out)
		}
		defer exec.Command("dpkg", "--purge", name).Run()
		dpkg := exec.Command("dpkg", "-i", deb)
		if out, err := dpkg.CombinedOutput(); err != nil {
			t.Fatalf("dpkg -i: %v: %s", err, out)
		}
		pid = runIn(t, "/", "/usr/bin/"+name)
		r = wait(t, "exec of the packaged program", eventIs("exec"), pidIs(pid))
		if r.str("exec", "dropped_by") != "" {
			t.Errorf("dropped_by = %q for a packaged program", r.str("exec", "dropped_by"))
		}
		noAlertFrom(t, m, pid, "the packaged program")
		for _, r := range m.find(and(pidIs(dpkg.Process.Pid), func(r rec) bool { return r.get("rules") != nil })) {
			assertNotFired(t, r, "system-binary-dropped")
		}
		if out, err := exec.Command("dpkg", "--purge", name).CombinedOutput(); err != nil {
			t.Fatalf("dpkg --purge: %v: %s", err, out)
		}
	})

	t.Run("T1562.001 logging-disabled: kill -TERM of rsyslogd, auditctl -e 0 and a program sending AUDIT_SET itself; kill -0 of it (a liveness probe), auditctl -s and AUDIT_GET do not fire", func(t *testing.T) {
		dir := t.TempDir()
		conf := filepath.Join(dir, "rsyslog.conf")
		// no inputs; one file of its own as the output (rsyslogd refuses to
		// run with no action)
		cfg := fmt.Sprintf("global(workDirectory=%q)\n*.* %s\n", dir, filepath.Join(dir, "out.log"))
		if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		daemon := exec.Command("rsyslogd", "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
		var said strings.Builder
		daemon.Stdout, daemon.Stderr = &said, &said
		if err := daemon.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- daemon.Wait() }()
		defer func() { daemon.Process.Kill(); <-done }()
		dpid := daemon.Process.Pid
		wait(t, "rsyslogd's exec", eventIs("exec"), pidIs(dpid)) // the kernel now knows it

		signal := func(sig string) rec {
			t.Helper()
			cmd := exec.Command("sh", "-c", "kill -"+sig+" "+strconv.Itoa(dpid))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("kill -%s of rsyslogd: %v: %s (rsyslogd said: %s)", sig, err, out, said.String())
			}
			return wait(t, "kill -"+sig+" of rsyslogd", eventIs("kill"), pidIs(cmd.Process.Pid))
		}
		r := signal("0")
		if int(r.num("syscall", "target_pid")) != dpid || r.get("syscall", "target_is_monitor") != false {
			t.Errorf("target_pid=%v target_is_monitor=%v, want %d false", r.get("syscall", "target_pid"), r.get("syscall", "target_is_monitor"), dpid)
		}
		if r.str("severity") != "info" {
			t.Errorf("a liveness probe raised %s %v", r.str("severity"), firedNames(r))
		}
		r = signal("TERM")
		assertFired(t, r, "logging-disabled")
		if _, ok := firedRules(r)["monitor-tampering"]; ok {
			t.Errorf("a signal to rsyslogd fired monitor-tampering: %v", r)
		}
		select {
		case <-done:
			done <- nil
		case <-time.After(10 * time.Second):
			t.Errorf("rsyslogd did not stop on SIGTERM")
		}

		// auditctl -e 0 changes nothing when auditing is off; when it is
		// on, it is put back.  In a container auditctl cannot reach the
		// audit system at all (its netlink socket is the host's
		// namespace's): it fails, and its exec is what is judged
		status, _ := exec.Command("auditctl", "-s").Output()
		if strings.Contains(string(status), "enabled 1") {
			defer exec.Command("auditctl", "-e", "1").Run()
		}
		pid, _ := run(t, "auditctl", "-e", "0")
		assertFired(t, wait(t, "exec of auditctl -e 0", eventIs("exec"), pidIs(pid)), "logging-disabled")
		pid, _ = run(t, "auditctl", "-s")
		noAlertFrom(t, m, pid, "auditctl -s")

		// the same message from a program of its own, over the audit
		// netlink socket: no command line to read, the kernel side decodes
		// it.  Its status query (AUDIT_GET) is not even reported.  (In a
		// container the audit system refuses both, in its reply: the sends
		// are made all the same.)
		const disable = `import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
status = struct.pack("=9I", 1, 0, 0, 0, 0, 0, 0, 0, 0)  # mask AUDIT_STATUS_ENABLED, enabled 0
s.sendto(struct.pack("=IHHII", 16 + len(status), 1001, 5, 1, 0) + status, (0, 0))
s.sendto(struct.pack("=IHHII", 16, 1000, 5, 2, 0), (0, 0))
`
		pid, out := run(t, "python3", "-c", disable)
		r = wait(t, "python's AUDIT_SET (python: "+out+")", eventIs("send"), pidIs(pid))
		if r.str("network", "family") != "netlink" || r.str("network", "audit", "type") != "AUDIT_SET" ||
			r.get("network", "audit", "enabled") != float64(0) {
			t.Errorf("network = %v, want netlink, AUDIT_SET, enabled 0", r.get("network"))
		}
		assertFired(t, r, "logging-disabled")
		m.drain(t)
		if sends := m.find(and(eventIs("send"), pidIs(pid))); len(sends) != 1 {
			t.Errorf("python's sends reported: %v, want only its AUDIT_SET", sends)
		}
		// sendmsg carries the message in an iovec
		const disableMsg = `import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
status = struct.pack("=9I", 1, 0, 0, 0, 0, 0, 0, 0, 0)
s.sendmsg([struct.pack("=IHHII", 16 + len(status), 1001, 5, 1, 0) + status], [], 0, (0, 0))
`
		pid, out = run(t, "python3", "-c", disableMsg)
		r = wait(t, "python's AUDIT_SET by sendmsg (python: "+out+")", eventIs("send"), pidIs(pid))
		if r.str("network", "audit", "type") != "AUDIT_SET" || r.get("network", "audit", "enabled") != float64(0) {
			t.Errorf("network = %v, want AUDIT_SET, enabled 0", r.get("network"))
		}
		assertFired(t, r, "logging-disabled")
	})

	t.Run("T1136.001 account-created, root-account-created: useradd, and a uid-0 line appended to /etc/passwd; usermod -c does not fire", func(t *testing.T) {
		name := fmt.Sprintf("e2eacct%d", os.Getpid()%1000000)
		cmd := exec.Command("useradd", "-M", "-s", "/usr/sbin/nologin", name)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("useradd: %v: %s", err, out)
		}
		defer exec.Command("userdel", name).Run()
		alerted := func(r rec) bool { return r.get("rules") != nil }
		r := wait(t, "useradd's change of /etc/passwd", pidIs(cmd.Process.Pid), alerted)
		if got := r.get("file", "accounts_added"); !strings.Contains(fmt.Sprint(got), name) {
			t.Errorf("accounts_added = %v, want %s", got, name)
		}
		assertFired(t, r, "account-created")

		pid, out := run(t, "usermod", "-c", "e2e comment", name)
		if out != "" {
			t.Fatalf("usermod: %s", out)
		}
		noAlertFrom(t, m, pid, "usermod -c") // judged at its exit, which drain follows

		orig, err := os.ReadFile("/etc/passwd")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.WriteFile("/etc/passwd", orig, 0o644); err != nil {
				t.Errorf("/etc/passwd not restored: %v", err)
			}
		}()
		toor := fmt.Sprintf("e2etoor%d", os.Getpid()%1000000)
		pid = runIn(t, "/", "sh", "-c", "echo '"+toor+":x:0:0:e2e, removed at once:/nonexistent:/usr/sbin/nologin' >> /etc/passwd")
		r = wait(t, "the append's record", pidIs(pid), pathIs("/etc/passwd"), alerted)
		assertFired(t, r, "root-account-created")
	})

	t.Run("T1053.003 persistence-write: crontab installs a user's crontab; crontab -l does not fire", func(t *testing.T) {
		cmd := exec.Command("crontab", "-u", u.name, "-")
		cmd.Stdin = strings.NewReader("# e2e: a comment only, removed at once\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("crontab -u %s -: %v: %s", u.name, err, out)
		}
		pid := cmd.Process.Pid
		defer exec.Command("crontab", "-u", u.name, "-r").Run()
		r := wait(t, "crontab's write", pidIs(pid), func(r rec) bool { return r.get("rules") != nil })
		if !strings.HasPrefix(r.str("file", "path"), "/var/spool/cron/") {
			t.Errorf("path = %q, want the cron spool", r.str("file", "path"))
		}
		assertFired(t, r, "persistence-write")

		pid, out := run(t, "crontab", "-u", u.name, "-l")
		if !strings.Contains(out, "# e2e") {
			t.Fatalf("crontab -l: %q", out)
		}
		noAlertFrom(t, m, pid, "crontab -l")
	})

	t.Run("T1546.004 persistence-write: a line appended to a user's .bashrc; reading it is not reported", func(t *testing.T) {
		rc := filepath.Join(u.home, ".bashrc")
		pid := runIn(t, "/", "sh", "-c", "echo 'alias ls=\"ls; true e2e\"' >> "+rc)
		assertFired(t, wait(t, "append to "+rc, eventIs("open"), pidIs(pid), pathIs(rc)), "persistence-write")

		pid = runIn(t, "/", "cat", rc)
		m.drain(t)
		if got := m.find(and(pidIs(pid), pathIs(rc))); len(got) != 0 {
			t.Errorf("reading %s was reported: %v", rc, got)
		}
	})

	t.Run("T1552.001 cloud-credential-read: cat of a user's ~/.aws/credentials; git reading its credential store does not fire", func(t *testing.T) {
		creds := filepath.Join(u.home, ".aws/credentials")
		pid := runIn(t, "/", "cat", creds)
		assertFired(t, wait(t, "open of "+creds, eventIs("open"), pidIs(pid), pathIs(creds)), "cloud-credential-read")

		store := filepath.Join(u.home, ".git-credentials")
		git := exec.Command("git", "credential-store", "get")
		git.Env = append(os.Environ(), "HOME="+u.home)
		git.Stdin = strings.NewReader("protocol=https\nhost=example.invalid\n\n")
		out, err := git.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "password=e2e-not-a-token") {
			t.Fatalf("git credential-store get: %v: %s", err, out)
		}
		r := wait(t, "git's open of "+store, eventIs("open"), pidIs(git.Process.Pid), pathIs(store))
		assertNotFired(t, r, "cloud-credential-read")
	})

	t.Run("T1543 package-manager-in-container: apt-get run in a container (a docker-shaped cgroup made by hand: every kernel, Docker or not); the same apt-get outside any container does not fire", func(t *testing.T) {
		ct, plain, id := handMadeCgroups(t)
		aptGet := func(r rec) bool { return strings.HasSuffix(r.str("process", "exe"), "/apt-get") }
		pid := runIn(t, "/", "sh", "-c", inCgroup(ct, "apt-get --version"))
		r := wait(t, "apt-get's exec in the container", eventIs("exec"), pidIs(pid), aptGet)
		if r.str("container", "id") != id {
			t.Errorf("container = %v, want %s", r.get("container"), id)
		}
		assertFired(t, r, "package-manager-in-container")
		pid = runIn(t, "/", "sh", "-c", inCgroup(plain, "apt-get --version"))
		r = wait(t, "apt-get's exec outside any container", eventIs("exec"), pidIs(pid), aptGet)
		if c := r.get("container"); c != nil {
			t.Errorf("apt-get in a plain cgroup carries container %v", c)
		}
		assertNotFired(t, r, "package-manager-in-container")
	})

	t.Run("T1609 shell-in-container: a shell put from outside into a running container's pid namespace (nsenter -p forks into it as runc exec does; a docker-shaped cgroup made by hand); the container's entrypoint shell, pid 1 there, does not fire", func(t *testing.T) {
		ct, _, id := handMadeCgroups(t)
		holder := exec.Command("sh", "-c", inCgroup(ct, "unshare --pid --fork --kill-child sh -c 'sleep 60; true'"))
		if err := holder.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
		entry := wait(t, "the entrypoint shell", eventIs("exec"), containerIs(id), argsAre("sh", "-c", "sleep 60; true"))
		if entry.num("process", "vpid") != 1 {
			t.Errorf("the entrypoint's vpid = %v, want 1", entry.get("process", "vpid"))
		}
		assertNotFired(t, entry, "shell-in-container")
		cmd := fmt.Sprintf("nsenter -t %d -p -- sh -c 'true exec-marker'", int(entry.num("process", "pid")))
		runIn(t, "/", "sh", "-c", inCgroup(ct, cmd))
		r := wait(t, "the shell exec'd into it", eventIs("exec"), containerIs(id), argsAre("sh", "-c", "true exec-marker"))
		assertFired(t, r, "shell-in-container")
	})

	t.Run("T1105 container-drift: a container runs a program copied in after its start (an overlay's upper layer, the layout docker's overlay2 makes, in a docker-shaped cgroup); the image's own program (the lower layer) does not fire", func(t *testing.T) {
		ct, _, id := handMadeCgroups(t)
		merged := handMadeOverlay(t)
		copyFile(t, "/bin/true", filepath.Join(merged, "copied-in"), 0o755)
		for _, c := range []struct {
			name  string
			drift bool
		}{{"copied-in", true}, {"lower-true", false}} {
			exe := filepath.Join(merged, c.name)
			pid := runIn(t, "/", "sh", "-c", inCgroup(ct, exe))
			r := wait(t, c.name+"'s exec", eventIs("exec"), pidIs(pid), containerIs(id))
			if c.drift {
				assertFired(t, r, "container-drift")
			} else {
				assertNotFired(t, r, "container-drift")
			}
		}
	})

	t.Run("T1610 dangerous-container: a container the runtime's API says is privileged starts (an API served by the test, for a docker-shaped cgroup made by hand: the guests run no Docker); an ordinary one does not fire", func(t *testing.T) {
		for _, privileged := range []bool{true, false} {
			ct, _, id := handMadeCgroups(t)
			api.set(id, fmt.Sprintf(`{"Id":%q,"Name":"/e2e-ct","Image":"sha256:e2e","Config":{"Image":"e2e:test"},`+
				`"State":{"StartedAt":%q},"HostConfig":{"Privileged":%v}}`, id, time.Now().UTC().Format(time.RFC3339Nano), privileged))
			runIn(t, "/", "sh", "-c", inCgroup(ct, "true"))
			r := wait(t, "the container's start", eventIs("container_start"), containerIs(id))
			if privileged {
				assertFired(t, r, "dangerous-container")
				if risks := r.strs("container", "risks"); len(risks) != 1 || risks[0] != "privileged" || r.get("container", "privileged") != true {
					t.Errorf("container = %v, want privileged, risks [privileged]", r.get("container"))
				}
			} else {
				assertNotFired(t, r, "dangerous-container")
			}
		}
	})

	t.Run("T1611 container-escape: a container's process mounting a disk (a block device that is not there: the attempt is the alert); a tmpfs mounted there, and the same disk mount outside any container, do not fire", func(t *testing.T) {
		ct, plain, id := handMadeCgroups(t)
		dir := t.TempDir()
		mount := func(cg, source, fstype string) rec {
			py := fmt.Sprintf(`import ctypes; ctypes.CDLL(None, use_errno=True).mount(b%q, b%q, b%q, 0, None)`, source, dir, fstype)
			pid := runIn(t, "/", "sh", "-c", inCgroup(cg, "python3 -c '"+py+"'"))
			return wait(t, "mount of "+source, eventIs("mount"), pidIs(pid))
		}
		r := mount(ct, "/dev/vdz9", "ext4")
		if r.str("container", "id") != id || r.str("syscall", "args", "source") != "/dev/vdz9" {
			t.Errorf("mount record: container %v args %v", r.get("container"), r.get("syscall", "args"))
		}
		assertFired(t, r, "container-escape")
		r = mount(ct, "e2e-tmpfs", "tmpfs")
		exec.Command("umount", dir).Run()
		assertNotFired(t, r, "container-escape")
		r = mount(plain, "/dev/vdz9", "ext4")
		assertNotFired(t, r, "container-escape")
	})

	t.Run("T1070.006 timestomp: touch -d and touch -r on a file another process made; tar x, cp -p to a new file and touch (now) are not even reported", func(t *testing.T) {
		dir := t.TempDir()
		victim := filepath.Join(dir, "payload")
		if err := os.WriteFile(victim, []byte("dropped\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		pid := runIn(t, dir, "touch", "-d", "2001-02-03 04:05:06 UTC", "payload")
		r := wait(t, "touch -d", eventIs("utimes"), pidIs(pid), pathIs(victim))
		if r.str("file", "mtime_set") != "2001-02-03T04:05:06Z" || r.str("file", "atime_set") != "2001-02-03T04:05:06Z" {
			t.Errorf("times set = %v / %v, want 2001-02-03T04:05:06Z", r.get("file", "mtime_set"), r.get("file", "atime_set"))
		}
		assertFired(t, r, "timestomp")
		pid = runIn(t, dir, "touch", "-m", "-r", "/bin/sh", "payload")
		r = wait(t, "touch -m -r /bin/sh", eventIs("utimes"), pidIs(pid), pathIs(victim))
		if r.str("file", "mtime_set") == "" || r.get("file", "atime_set") != nil {
			t.Errorf("touch -m -r: mtime_set=%v atime_set=%v, want only the mtime", r.get("file", "mtime_set"), r.get("file", "atime_set"))
		}
		assertFired(t, r, "timestomp")

		// the twins: restores date the files they made; touch alone sets "now"
		src := filepath.Join(dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "old"), []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Date(2003, 4, 5, 6, 7, 8, 0, time.UTC)
		if err := os.Chtimes(filepath.Join(src, "old"), old, old); err != nil {
			t.Fatal(err)
		}
		if _, out := run(t, "tar", "-C", dir, "-cf", filepath.Join(dir, "a.tar"), "src"); out != "" {
			t.Fatalf("tar c: %s", out)
		}
		dst := filepath.Join(dir, "dst")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		tarPid := runIn(t, dst, "tar", "-xf", filepath.Join(dir, "a.tar"))
		if st, err := os.Stat(filepath.Join(dst, "src", "old")); err != nil || !st.ModTime().Equal(old) {
			t.Fatalf("tar x did not restore the time: %v %v", st, err)
		}
		cpPid := runIn(t, dir, "cp", "-p", "payload", "copy")
		touchPid := runIn(t, dir, "touch", "payload")
		m.drain(t)
		for _, twin := range []struct {
			pid  int
			what string
		}{{tarPid, "tar x"}, {cpPid, "cp -p to a new file"}, {touchPid, "touch (now)"}} {
			if got := m.find(and(pidIs(twin.pid), eventIs("utimes"))); len(got) != 0 {
				t.Errorf("%s was reported: %v", twin.what, got)
			}
		}
	})

	t.Run("T1564.001 hidden-file-in-temp: mkdir of a dot directory in /tmp, a file made below it and in /dev/shm; a visible directory in /tmp and reopening a dot file are not reported", func(t *testing.T) {
		name := fmt.Sprintf(".e2e-hidden-%d", os.Getpid())
		hidden := filepath.Join("/tmp", name)
		shm := filepath.Join("/dev/shm", name)
		visible := filepath.Join("/tmp", name[1:])
		t.Cleanup(func() {
			for _, p := range []string{hidden, shm, visible} {
				os.RemoveAll(p)
			}
		})
		pid := runIn(t, "/", "mkdir", hidden)
		r := wait(t, "mkdir "+hidden, eventIs("mkdir"), pidIs(pid), pathIs(hidden))
		if r.str("file", "class") != "hidden-files" {
			t.Errorf("class = %q, want hidden-files", r.str("file", "class"))
		}
		assertFired(t, r, "hidden-file-in-temp")
		inner := filepath.Join(hidden, "payload")
		pid = runIn(t, "/", "sh", "-c", "echo x > "+inner)
		r = wait(t, "a file made in "+hidden, eventIs("open"), pidIs(pid), pathIs(inner))
		if r.get("file", "created") != true {
			t.Errorf("created = %v, want true", r.get("file", "created"))
		}
		assertFired(t, r, "hidden-file-in-temp")
		pid = runIn(t, "/", "sh", "-c", "echo x > "+shm)
		assertFired(t, wait(t, "a dot file made in /dev/shm", eventIs("open"), pidIs(pid), pathIs(shm)), "hidden-file-in-temp")

		visPid := runIn(t, "/", "mkdir", visible)
		againPid := runIn(t, "/", "sh", "-c", "echo y > "+shm)
		m.drain(t)
		for _, twin := range []struct {
			pid  int
			what string
		}{{visPid, "mkdir " + visible}, {againPid, "rewriting " + shm}} {
			if got := m.find(and(pidIs(twin.pid), func(r rec) bool { return r.get("file") != nil })); len(got) != 0 {
				t.Errorf("%s was reported: %v", twin.what, got)
			}
		}
	})
}
