package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"gopkg.in/yaml.v3"
)

// Every trigger here is harmless: files it creates in /etc and /var/log
// hold only a comment and are removed, connections stay on 127.0.0.1,
// nothing is loaded into the kernel, the clock is not touched, and every
// process it starts is waited for.

// builtinRule is what the README and the default policy promise for a
// rule: its default severity and whether it names MITRE ATT&CK techniques.
type builtinRule struct {
	severity string
	mitre    bool
}

var builtinRules = map[string]builtinRule{
	"credential-read":              {"warn", true},
	"persistence-write":            {"warn", true},
	"preload-injection":            {"critical", true},
	"shell-from-service":           {"critical", true},
	"reverse-shell":                {"critical", true},
	"exec-from-writable-dir":       {"warn", true},
	"privilege-escalation":         {"critical", true},
	"privilege-gain":               {"warn", true},
	"setuid-bit-set":               {"warn", true},
	"timestomp":                    {"info", true},
	"package-manager-in-container": {"info", true},
	"shell-in-container":           {"warn", true},
	"container-drift":              {"warn", true},
	"dangerous-container":          {"warn", true},
	"hidden-file-in-temp":          {"info", true},
	"kernel-code-load":             {"warn", true},
	"process-injection":            {"warn", true},
	"log-tampering":                {"warn", true},
	"suspicious-outbound":          {"warn", true},
	"unexpected-listener":          {"warn", true},
	"container-escape":             {"critical", true},
	"credential-hunting":           {"warn", true},
	"sensitive-config-modified":    {"warn", true},
	"cloud-credential-read":        {"warn", true},
	"module-from-unusual-path":     {"warn", true},
	"setuid-root-refused":          {"warn", true},
	"packet-capture":               {"warn", true},
	"port-scan":                    {"warn", true},
	"pipe-to-shell":                {"warn", true},
	"system-binary-dropped":        {"warn", true},
	"dropped-binary-run":           {"warn", true},
	"logging-disabled":             {"warn", true},
	"account-created":              {"warn", true},
	"root-account-created":         {"critical", true},
	"process-memory-access":        {"warn", true},
	"kernel-tampering":             {"warn", true},
	"monitor-tampering":            {"critical", true},
	"monitor-signalled":            {"info", true},
	"network-code-in-command-line": {"info", true},
	"watched-path-modified":        {"warn", false},
}

var mitreID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// printedPolicy is the part of --print-default-policy these tests read.
type printedPolicy struct {
	Rules map[string]struct {
		Severity string `yaml:"severity"`
	} `yaml:"rules"`
	Network struct {
		SuspiciousPorts []int `yaml:"suspicious_ports"`
	} `yaml:"network"`
}

func defaultPolicy(t *testing.T) printedPolicy {
	t.Helper()
	out, err := exec.Command(monitorBin, "--print-default-policy").Output()
	if err != nil {
		t.Fatalf("%s --print-default-policy: %v", monitorBin, err)
	}
	var p printedPolicy
	if err := yaml.Unmarshal(out, &p); err != nil {
		t.Fatalf("the printed default policy is not YAML: %v", err)
	}
	return p
}

// firedRules returns the rules entries of a record by name.
func firedRules(r rec) map[string]map[string]any {
	out := map[string]map[string]any{}
	arr, _ := r.get("rules").([]any)
	for _, v := range arr {
		if m, ok := v.(map[string]any); ok {
			name, _ := m["name"].(string)
			out[name] = m
		}
	}
	return out
}

func firedNames(r rec) []string {
	var names []string
	for n := range firedRules(r) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// assertFired checks that rule matched r with its default severity, that
// the record carries that severity, and that its MITRE techniques are
// there when the rule has some.
func assertFired(t *testing.T, r rec, rule string) {
	t.Helper()
	want, ok := builtinRules[rule]
	if !ok {
		t.Fatalf("test bug: %q is not in builtinRules", rule)
	}
	got, ok := firedRules(r)[rule]
	if !ok {
		t.Errorf("%s record of pid %v: rules %v, want %s among them; record: %v",
			r.str("event"), r.get("process", "pid"), firedNames(r), rule, r)
		return
	}
	if got["severity"] != want.severity {
		t.Errorf("rule %s severity = %v, want its default %s", rule, got["severity"], want.severity)
	}
	if r.str("severity") != want.severity {
		t.Errorf("record severity = %q, want %s (rule %s; all rules %v)", r.str("severity"), want.severity, rule, firedNames(r))
	}
	mitre, _ := got["mitre"].([]any)
	if want.mitre && len(mitre) == 0 {
		t.Errorf("rule %s has no MITRE techniques in the record: %v", rule, got)
	}
	if !want.mitre && len(mitre) != 0 {
		t.Errorf("rule %s names MITRE techniques %v, want none", rule, mitre)
	}
	for _, m := range mitre {
		if s, _ := m.(string); !mitreID.MatchString(s) {
			t.Errorf("rule %s: %q is not a MITRE ATT&CK technique id", rule, m)
		}
	}
	if d, _ := got["description"].(string); d == "" {
		t.Errorf("rule %s has no description: %v", rule, got)
	}
}

// assertNotFired checks that rule did not match r (a record that exists:
// the benign case must have been seen for this to mean anything).
func assertNotFired(t *testing.T, r rec, rule string) {
	t.Helper()
	if _, ok := firedRules(r)[rule]; ok {
		t.Errorf("%s record of pid %v fired %s on a benign action: %v", r.str("event"), r.get("process", "pid"), rule, r)
	}
}

func ppidIs(pid int) func(rec) bool {
	return func(r rec) bool { return int(r.num("process", "ppid")) == pid }
}

func argsAre(args ...string) func(rec) bool {
	return func(r rec) bool { return reflect.DeepEqual(r.strs("process", "args"), args) }
}

// loopbackListener listens on 127.0.0.1 on a port the default policy
// does not call suspicious and closes every connection it accepts.
func loopbackListener(t *testing.T, suspicious map[int]bool) (net.Listener, int) {
	t.Helper()
	for try := 0; try < 10; try++ {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if suspicious[port] {
			l.Close()
			continue
		}
		closeEachConn(l)
		t.Cleanup(func() { l.Close() })
		return l, port
	}
	t.Fatal("no ordinary loopback port in 10 tries")
	return nil, 0
}

// freeSuspiciousPort returns a port on the suspicious list that nothing
// on 127.0.0.1 listens on, or 0.
func freeSuspiciousPort(suspicious map[int]bool) int {
	ports := make([]int, 0, len(suspicious))
	for p := range suspicious {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	for _, p := range ports {
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
		if err == nil {
			l.Close()
			return p
		}
	}
	return 0
}

// runShell runs a shell command line in its own process group with a
// deadline, so that nothing it starts outlives the test, and returns its
// pid.  Errors are allowed: some triggers end with a closed socket.
func runShell(t *testing.T, env []string, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.CombinedOutput()
	if cmd.Process == nil {
		t.Fatalf("%v did not start", args)
	}
	if ctx.Err() != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // our own process group
		t.Fatalf("%v still ran after 10s (killed): %s", args, out)
	}
	return cmd.Process.Pid
}

// createAbsent fails unless path does not exist yet (the test never
// clobbers a real file) and removes it when the test ends.
func createAbsent(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists already (%v): refusing to touch it", path, err)
	}
	t.Cleanup(func() { os.Remove(path) })
}

func TestRules(t *testing.T) {
	h := helper(t)
	pol := defaultPolicy(t)
	suspicious := map[int]bool{}
	for _, p := range pol.Network.SuspiciousPorts {
		suspicious[p] = true
	}
	watchDir := t.TempDir()
	fx := newCoverageFixture(t) // a home the monitor must see at its start
	api := newFakeDockerAPI(t)  // dangerous-container's: the QEMU guests run no Docker
	m := startMonitor(t, "--watch-path", watchDir, "--docker-socket", api.sock)
	wait := func(t *testing.T, what string, preds ...func(rec) bool) rec {
		t.Helper()
		return m.waitFor(t, 10*time.Second, what, and(preds...))
	}

	t.Run("the default policy lists exactly the built-in rules with their default severities", func(t *testing.T) {
		for name, want := range builtinRules {
			got, ok := pol.Rules[name]
			if !ok {
				t.Errorf("rule %s is missing from --print-default-policy", name)
			} else if got.Severity != want.severity {
				t.Errorf("rule %s: default policy severity %q, want %s", name, got.Severity, want.severity)
			}
		}
		for name := range pol.Rules {
			if _, ok := builtinRules[name]; !ok {
				t.Errorf("the default policy has rule %s, which this test does not trigger: add it", name)
			}
		}
	})

	t.Run("credential-read: cat /etc/shadow; passwd (allowlisted) reading it does not fire", func(t *testing.T) {
		pid := runIn(t, "/", "cat", "/etc/shadow")
		r := wait(t, "open of /etc/shadow by cat", eventIs("open"), pidIs(pid), pathIs("/etc/shadow"))
		assertFired(t, r, "credential-read")

		pid, out := run(t, "passwd", "-S", "root")
		if !strings.HasPrefix(out, "root ") {
			t.Fatalf("passwd -S root: %q", out)
		}
		r = wait(t, "open of /etc/shadow by passwd", eventIs("open"), pidIs(pid), pathIs("/etc/shadow"))
		assertNotFired(t, r, "credential-read")
	})

	t.Run("persistence-write: a comment-only file created in and removed from /etc/cron.d", func(t *testing.T) {
		path := "/etc/cron.d/e2e-rules-test"
		createAbsent(t, path)
		pid := runIn(t, "/", "sh", "-c", "echo '# e2e rules test: comment only' > "+path)
		r := wait(t, "write of "+path, eventIs("open"), pidIs(pid), pathIs(path))
		if r.str("file", "class") != "persistence" || r.str("file", "operation") != "write" {
			t.Errorf("file = %v, want a persistence write", r.get("file"))
		}
		assertFired(t, r, "persistence-write")

		pid = runIn(t, "/", "rm", path)
		assertFired(t, wait(t, "unlink of "+path, eventIs("unlink"), pidIs(pid), pathIs(path)), "persistence-write")
	})

	t.Run("preload-injection: a program started with LD_PRELOAD, or with fakeroot's library name outside fakeroot; without it, or under fakeroot, does not fire", func(t *testing.T) {
		cmd := exec.Command("/bin/true")
		cmd.Env = append(os.Environ(), "LD_PRELOAD=/nonexistent-e2e.so")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("/bin/true with a missing preload: %v: %s", err, out)
		}
		r := wait(t, "exec with LD_PRELOAD", eventIs("exec"), pidIs(cmd.Process.Pid))
		if r.get("exec", "ld_preload") != true || r.str("exec", "ld_preload_value") != "/nonexistent-e2e.so" {
			t.Errorf("exec = %v, want ld_preload true, value /nonexistent-e2e.so", r.get("exec"))
		}
		assertFired(t, r, "preload-injection")

		// fakeroot preloads its library into what it runs: quiet; the same
		// name set by hand (LD_LIBRARY_PATH could lead anywhere) fires
		fr := exec.Command("fakeroot", "/bin/true", "e2e-fakeroot")
		if out, err := fr.CombinedOutput(); err != nil {
			t.Fatalf("fakeroot: %v: %s", err, out)
		}
		r = wait(t, "exec under fakeroot", eventIs("exec"), argsAre("/bin/true", "e2e-fakeroot"))
		if !strings.HasPrefix(r.str("exec", "ld_preload_value"), "libfakeroot") && !strings.Contains(r.str("exec", "ld_preload_value"), "/libfakeroot/") {
			t.Errorf("exec under fakeroot = %v, want fakeroot's library preloaded", r.get("exec"))
		}
		assertNotFired(t, r, "preload-injection")
		bare := exec.Command("/bin/true")
		bare.Env = append(os.Environ(), "LD_PRELOAD="+r.str("exec", "ld_preload_value"))
		if out, err := bare.CombinedOutput(); err != nil {
			t.Fatalf("fakeroot's preload by hand: %v: %s", err, out)
		}
		assertFired(t, wait(t, "fakeroot's preload outside fakeroot", eventIs("exec"), pidIs(bare.Process.Pid)), "preload-injection")

		plain := exec.Command("/bin/true")
		if err := plain.Run(); err != nil {
			t.Fatal(err)
		}
		r = wait(t, "exec without LD_PRELOAD", eventIs("exec"), pidIs(plain.Process.Pid))
		if r.get("exec", "ld_preload") != nil {
			t.Errorf("exec = %v, want no ld_preload", r.get("exec"))
		}
		assertNotFired(t, r, "preload-injection")
	})

	t.Run("shell-from-service: a shell whose parent is nginx; whose parent is bash does not fire", func(t *testing.T) {
		dir, err := os.MkdirTemp("", "e2e-rules-svc-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		nginx := filepath.Join(dir, "nginx")
		copyFile(t, "/usr/bin/bash", nginx, 0o755)
		// "; true" keeps bash from exec'ing sh in its own place: sh is its child
		pid := runIn(t, "/", nginx, "-c", "/bin/sh -c true; true")
		r := wait(t, "sh started by nginx", eventIs("exec"), ppidIs(pid), argsAre("/bin/sh", "-c", "true"))
		anc, _ := r.get("process", "ancestry").([]any)
		if len(anc) == 0 || anc[0].(map[string]any)["exe"] != nginx {
			t.Errorf("ancestry = %v, want %s first", anc, nginx)
		}
		assertFired(t, r, "shell-from-service")

		pid = runIn(t, "/", "bash", "-c", "/bin/sh -c true; true")
		r = wait(t, "sh started by bash", eventIs("exec"), ppidIs(pid), argsAre("/bin/sh", "-c", "true"))
		assertNotFired(t, r, "shell-from-service")
	})

	t.Run("reverse-shell: a shell whose stdio is a TCP socket; the same shell on pipes or a unix socket does not fire", func(t *testing.T) {
		_, port := loopbackListener(t, suspicious)
		dst := "/dev/tcp/127.0.0.1/" + strconv.Itoa(port)
		// the exec'd sh has an innocent command line: only its stdio betrays it
		pid := runShell(t, nil, "bash", "-c", "exec 3<>"+dst+"; exec /bin/sh -c true <&3 >&3 2>&3")
		r := wait(t, "sh on a socket", eventIs("exec"), pidIs(pid), argsAre("/bin/sh", "-c", "true"))
		if got := r.strs("exec", "stdio_sockets"); !reflect.DeepEqual(got, []string{"stdin", "stdout", "stderr"}) {
			t.Errorf("stdio_sockets = %v, want stdin, stdout, stderr", got)
		}
		assertFired(t, r, "reverse-shell")

		pid = runShell(t, nil, "bash", "-c", "exec /bin/sh -c true")
		r = wait(t, "sh on pipes", eventIs("exec"), pidIs(pid), argsAre("/bin/sh", "-c", "true"))
		if r.get("exec", "stdio_sockets") != nil {
			t.Errorf("stdio_sockets = %v on pipes", r.get("exec", "stdio_sockets"))
		}
		assertNotFired(t, r, "reverse-shell")

		// a shell on a unix socket (a service writing to the journal)
		pid, _ = run(t, h, "unix-stdio-exec")
		r = wait(t, "sh on a unix socket", eventIs("exec"), pidIs(pid), argsAre("/bin/sh", "-c", "true"))
		if r.get("exec", "stdio_sockets") != nil {
			t.Errorf("stdio_sockets = %v on a unix socket, want none (only internet sockets count)", r.get("exec", "stdio_sockets"))
		}
		assertNotFired(t, r, "reverse-shell")
	})

	t.Run("reverse-shell: bash -i >& /dev/tcp/... (the listener hangs up, the shell exits)", func(t *testing.T) {
		_, port := loopbackListener(t, suspicious)
		home := t.TempDir()
		// no rc files, no history written anywhere
		env := []string{"HOME=" + home, "HISTFILE=", "PS1=", "ENV="}
		line := "bash -i >& /dev/tcp/127.0.0.1/" + strconv.Itoa(port) + " 0>&1"
		pid := runShell(t, env, "bash", "-c", line)
		outer := wait(t, "exec of the command line", eventIs("exec"), pidIs(pid), argsAre("bash", "-c", line))
		assertFired(t, outer, "reverse-shell")
		// bash -i, its stdio on the socket, is the same incident: folded
		// into the command line's alert (TestAReverseShellIsOneIncident
		// reads the summary), not a second critical line
		m.drain(t)
		if got := printedAlerts(m, "reverse-shell", inTree(pid)); len(got) != 1 {
			t.Errorf("%d reverse-shell lines for one reverse shell, want 1: %v", len(got), got)
		}
	})

	t.Run("exec-from-writable-dir: a copy of true run from /tmp; /bin/true does not fire", func(t *testing.T) {
		dir, err := os.MkdirTemp("/tmp", "e2e-rules-exec-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "true")
		copyFile(t, "/bin/true", bin, 0o755)
		pid := runIn(t, "/", bin)
		r := wait(t, "exec from /tmp", eventIs("exec"), pidIs(pid))
		if r.str("process", "exe") != bin {
			t.Errorf("exe = %q, want %s", r.str("process", "exe"), bin)
		}
		assertFired(t, r, "exec-from-writable-dir")

		pid = runIn(t, "/", "/bin/true")
		assertNotFired(t, wait(t, "exec of /bin/true", eventIs("exec"), pidIs(pid)), "exec-from-writable-dir")
	})

	t.Run("privilege-escalation: nobody runs a set-uid-root copy from /tmp; mount (a helper) does not fire", func(t *testing.T) {
		pid, _ := nobodyRunsSetuidCopy(t, h, "e2e-rules-suid-")
		r := wait(t, "privilege record", eventIs("privilege"), pidIs(pid))
		assertFired(t, r, "privilege-escalation")
		assertNotFired(t, r, "privilege-gain")

		// /usr/bin/mount is set-uid root, in a system directory and a
		// privilege helper: the gain is recorded, no rule fires
		pid, out := run(t, append(nobody, "mount", "--version")...)
		if !strings.Contains(out, "mount") {
			t.Fatalf("mount --version: %q", out)
		}
		r = wait(t, "privilege record of mount", eventIs("privilege"), pidIs(pid))
		assertNotFired(t, r, "privilege-escalation")
		assertNotFired(t, r, "privilege-gain")
		if r.str("severity") != "info" {
			t.Errorf("a privilege helper's gain has severity %q, want info", r.str("severity"))
		}
	})

	t.Run("privilege-gain: nobody's user namespace root mounting a tmpfs", func(t *testing.T) {
		pid, out := run(t, append(nobody, "unshare", "-U", "-r", "-m", "mount", "-t", "tmpfs", "e2e", "/mnt")...)
		r := wait(t, "userns privilege record ("+out+")", eventIs("privilege"), pidIs(pid))
		if r.str("privilege", "means") != "userns" {
			t.Errorf("privilege = %v, want means userns", r.get("privilege"))
		}
		assertFired(t, r, "privilege-gain")
		assertNotFired(t, r, "privilege-escalation")
	})

	t.Run("setuid-bit-set: chmod u+s in a watched directory; chmod u+x does not fire", func(t *testing.T) {
		f := filepath.Join(watchDir, "suid-target")
		if err := os.WriteFile(f, []byte("#!/bin/true\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		pid := runIn(t, watchDir, "chmod", "u+x", "suid-target")
		assertNotFired(t, wait(t, "chmod u+x", eventIs("chmod"), pidIs(pid)), "setuid-bit-set")

		pid = runIn(t, watchDir, "chmod", "u+s", "suid-target")
		r := wait(t, "chmod u+s", eventIs("chmod"), pidIs(pid))
		if !reflect.DeepEqual(r.strs("file", "mode_bits"), []string{"S_ISUID"}) {
			t.Errorf("mode_bits = %v, want S_ISUID", r.strs("file", "mode_bits"))
		}
		assertFired(t, r, "setuid-bit-set")
	})

	t.Run("kernel-code-load: finit_module of an invalid fd; bpf() listing programs does not fire", func(t *testing.T) {
		pid, out := run(t, h, "finit-module")
		if strings.Contains(out, "<nil>") {
			t.Fatalf("finit_module succeeded?! %q", out)
		}
		assertFired(t, wait(t, "finit_module", eventIs("finit_module"), pidIs(pid)), "kernel-code-load")

		pid, _ = run(t, "bpftool", "prog", "list")
		r := wait(t, "bpf(BPF_PROG_GET_NEXT_ID)", eventIs("bpf"), pidIs(pid), func(r rec) bool {
			return r.str("syscall", "args", "cmd") == "BPF_PROG_GET_NEXT_ID"
		})
		assertNotFired(t, r, "kernel-code-load")
	})

	t.Run("process-injection: PTRACE_ATTACH to a sleep; process_vm_readv of it does not fire", func(t *testing.T) {
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		tpid := strconv.Itoa(target.Process.Pid)
		pid, out := run(t, h, "ptrace-attach", tpid)
		if out != "" {
			t.Fatalf("ptrace-attach: %q", out)
		}
		assertFired(t, wait(t, "ptrace", eventIs("ptrace"), pidIs(pid)), "process-injection")

		pid, out = run(t, h, "vm-readv", tpid)
		if !strings.Contains(out, "bad address") {
			t.Fatalf("process_vm_readv of address 0: %q, want EFAULT", out)
		}
		r := wait(t, "process_vm_readv", eventIs("process_vm_readv"), pidIs(pid))
		if int(r.num("syscall", "target_pid")) != target.Process.Pid {
			t.Errorf("syscall = %v, want target %s", r.get("syscall"), tpid)
		}
		assertNotFired(t, r, "process-injection")
	})

	t.Run("log-tampering: a log under /var/log truncated twice and deleted; an append does not fire", func(t *testing.T) {
		path := "/var/log/e2e-rules-test.log"
		createAbsent(t, path)
		appender := runIn(t, "/", "sh", "-c", "echo e2e rules test >> "+path)
		if b, err := os.ReadFile(path); err != nil || string(b) != "e2e rules test\n" {
			t.Fatalf("the append did not create the log: %q %v", b, err)
		}

		pid := runIn(t, "/", "truncate", "-s", "0", path)
		assertFired(t, wait(t, "truncate", eventIs("truncate"), pidIs(pid), pathIs(path)), "log-tampering")
		pid = runIn(t, "/", "sh", "-c", ": > "+path)
		r := wait(t, "open with O_TRUNC", eventIs("open"), pidIs(pid), pathIs(path))
		if !strings.Contains(strings.Join(r.strs("file", "flags"), ","), "O_TRUNC") {
			t.Errorf("flags = %v, want O_TRUNC", r.strs("file", "flags"))
		}
		assertFired(t, r, "log-tampering")
		pid = runIn(t, "/", "rm", path)
		assertFired(t, wait(t, "unlink", eventIs("unlink"), pidIs(pid), pathIs(path)), "log-tampering")

		for _, r := range m.find(pidIs(appender)) {
			assertNotFired(t, r, "log-tampering")
		}
	})

	t.Run("network-code-in-command-line: words about sockets on a command line are info, not an alert", func(t *testing.T) {
		pid := runIn(t, "/", "/bin/true", "python3 -c 'import socket; print(socket.getfqdn())'")
		r := wait(t, "exec of true", eventIs("exec"), pidIs(pid))
		assertFired(t, r, "network-code-in-command-line")
		assertNotFired(t, r, "reverse-shell")
	})

	t.Run("log-tampering: dmesg -C (syslog CLEAR, refused to nobody); dmesg -S reading the log is not reported", func(t *testing.T) {
		// as nobody: the attempt is refused with EPERM, the host's kernel
		// log stays, and a failed attempt is evidence too
		pid, out := run(t, append(nobody, "dmesg", "-C")...)
		if !strings.Contains(out, "Operation not permitted") {
			t.Fatalf("dmesg -C as nobody: %q, want it refused", out)
		}
		r := wait(t, "syslog CLEAR", eventIs("syslog"), pidIs(pid))
		if r.str("error") != "EPERM" {
			t.Errorf("error = %q, want EPERM", r.str("error"))
		}
		assertFired(t, r, "log-tampering")

		reader, _ := run(t, append(nobody, "dmesg", "-S")...)
		wait(t, "exec of dmesg -S", eventIs("exec"), pidIs(reader))
		m.drain(t)
		if got := m.find(and(eventIs("syslog"), pidIs(reader))); len(got) > 0 {
			t.Errorf("reading the kernel log was reported: %v", got)
		}
	})

	t.Run("suspicious-outbound: bash dialling out of the host, and a connect out to a miner-pool port; the same to loopback, the test process to an ordinary port, and a web port do not fire", func(t *testing.T) {
		pr := remotePeer(t) // nothing listens over there: every attempt is refused, and still an attempt
		dial := func(ip string, port int) int {
			return runIn(t, "/", "bash", "-c", "exec 3<>/dev/tcp/"+ip+"/"+strconv.Itoa(port)+" || true")
		}
		port := 8081
		for suspicious[port] {
			port++
		}
		pid := dial(pr.ip.String(), port)
		r := wait(t, "bash connect out", eventIs("connect"), pidIs(pid), dstPortIs(port))
		assertFired(t, r, "suspicious-outbound")
		if r.str("network", "dst_scope") != "remote" {
			t.Errorf("dst_scope = %q, want remote", r.str("network", "dst_scope"))
		}
		// the benign twins: the same bash to a loopback listener, to this
		// host's own address, and to a web port out there
		_, lport := loopbackListener(t, suspicious)
		pid = dial("127.0.0.1", lport)
		r = wait(t, "bash connect to loopback", eventIs("connect"), pidIs(pid), dstPortIs(lport))
		assertNotFired(t, r, "suspicious-outbound")
		if r.str("network", "dst_scope") != "loopback" {
			t.Errorf("dst_scope = %q, want loopback", r.str("network", "dst_scope"))
		}
		pid = dial(pr.hostIP.String(), port)
		r = wait(t, "bash connect to the host's own address", eventIs("connect"), pidIs(pid), dstPortIs(port))
		assertNotFired(t, r, "suspicious-outbound")
		if r.str("network", "dst_scope") != "local" {
			t.Errorf("dst_scope = %q, want local", r.str("network", "dst_scope"))
		}
		pid = dial(pr.ip.String(), 443)
		assertNotFired(t, wait(t, "bash to a web port", eventIs("connect"), pidIs(pid), dstPortIs(443)), "suspicious-outbound")

		peer := &unix.SockaddrInet4{Port: port, Addr: pr.ip.As4()}
		fd, _, err := tcpConnect(t, unix.AF_INET, peer, 0)
		unix.Close(fd)
		if !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("connect to %s:%d: %v, want ECONNREFUSED", pr.ip, port, err)
		}
		assertNotFired(t, wait(t, "the test's connect", eventIs("connect"), self(), dstPortIs(port)), "suspicious-outbound")

		bad := 4444
		if !suspicious[bad] {
			t.Fatalf("4444 is not on the default suspicious list: %v", suspicious)
		}
		peer.Port = bad
		fd, _, err = tcpConnect(t, unix.AF_INET, peer, 0)
		unix.Close(fd)
		if !errors.Is(err, unix.ECONNREFUSED) {
			t.Fatalf("connect to %s:%d: %v, want ECONNREFUSED", pr.ip, bad, err)
		}
		assertFired(t, wait(t, "connect out to a suspicious port", eventIs("connect"), self(), dstPortIs(bad)), "suspicious-outbound")
	})

	t.Run("unexpected-listener: a program from /tmp listening on every address; on loopback only, or a service name listening, does not fire, unless on a suspicious port", func(t *testing.T) {
		pid, out := run(t, h, "listen", "127.0.0.1:0")
		assertNotFired(t, wait(t, "listen on loopback", eventIs("listen"), pidIs(pid)), "unexpected-listener")

		pid, out = run(t, h, "listen", "0.0.0.0:0")
		port, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("helper listen: %q", out)
		}
		r := wait(t, "listen", eventIs("listen"), pidIs(pid))
		if int(r.num("network", "src_port")) != port {
			t.Errorf("network = %v, want src_port %d", r.get("network"), port)
		}
		assertFired(t, r, "unexpected-listener")

		dir, err := os.MkdirTemp("", "e2e-rules-sshd-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sshd := filepath.Join(dir, "sshd") // a known daemon's name
		copyFile(t, h, sshd, 0o755)
		ordinary := port
		for suspicious[ordinary] {
			ordinary++
		}
		pid, out = run(t, sshd, "listen", "127.0.0.1:"+strconv.Itoa(ordinary))
		if strings.TrimSpace(out) != strconv.Itoa(ordinary) {
			t.Fatalf("sshd copy listen on %d: %q", ordinary, out)
		}
		assertNotFired(t, wait(t, "service listen", eventIs("listen"), pidIs(pid)), "unexpected-listener")

		bad := freeSuspiciousPort(suspicious)
		if bad == 0 {
			t.Fatalf("every suspicious port is in use on 127.0.0.1: cannot test the port condition")
		}
		pid, out = run(t, sshd, "listen", "127.0.0.1:"+strconv.Itoa(bad))
		if strings.TrimSpace(out) != strconv.Itoa(bad) {
			t.Fatalf("sshd copy listen on %d: %q", bad, out)
		}
		assertFired(t, wait(t, "service listen on a suspicious port", eventIs("listen"), pidIs(pid)), "unexpected-listener")
	})

	t.Run("container-escape: a process in a mount namespace of its own entering the host's net namespace; the host entering a container's, or its own, or failing, does not fire", func(t *testing.T) {
		holder := nsHolder(t, "-n") // a network namespace of its own: a container's, as the host sees it
		pid := runIn(t, "/", "nsenter", "-t", strconv.Itoa(holder), "-n", "true")
		r := wait(t, "setns", eventIs("setns"), pidIs(pid))
		if r.str("error") != "" || r.num("syscall", "ret") != 0 {
			t.Errorf("setns = %v error %q, want success", r.get("syscall"), r.str("error"))
		}
		holderNs, _ := os.Readlink("/proc/" + strconv.Itoa(holder) + "/ns/net")
		if ino := r.num("syscall", "args", "ns_inode"); holderNs != "net:["+strconv.FormatFloat(ino, 'f', 0, 64)+"]" {
			t.Errorf("setns ns_inode = %v, want the holder's %s", ino, holderNs)
		}
		assertNotFired(t, r, "container-escape") // an admin entering a container is not escaping from one

		// the escape: a process of a "container" (its own mount and net
		// namespaces) entering the host's net namespace.  nsenter enters
		// the container (the host's admin: quiet), then runs the second
		// nsenter there, which enters the host's (the escape)
		box := nsHolder(t, "-m", "-n")
		pid = runIn(t, "/", "nsenter", "-t", strconv.Itoa(box), "-m", "-n",
			"nsenter", "-t", strconv.Itoa(os.Getpid()), "-n", "true")
		in := wait(t, "setns into the container", eventIs("setns"), pidIs(pid), func(r rec) bool {
			return r.get("syscall", "enters_host_namespace") == false && r.get("process", "mnt_ns") == nil
		})
		assertNotFired(t, in, "container-escape")
		escaped := wait(t, "setns from the container into the host's", eventIs("setns"), pidIs(pid), func(r rec) bool {
			return r.get("syscall", "enters_host_namespace") == true
		})
		if escaped.get("process", "mnt_ns") == nil {
			t.Errorf("process %v: want the container's mount namespace named", escaped.get("process"))
		}
		assertFired(t, escaped, "container-escape")

		pid = runIn(t, "/", "nsenter", "-t", strconv.Itoa(os.Getpid()), "-n", "true")
		r = wait(t, "setns into its own namespace", eventIs("setns"), pidIs(pid))
		assertNotFired(t, r, "container-escape")

		pid, out := run(t, h, "setns-invalid")
		if !strings.Contains(out, "bad file descriptor") {
			t.Fatalf("setns of fd 9999: %q, want EBADF", out)
		}
		r = wait(t, "failed setns", eventIs("setns"), pidIs(pid))
		if r.str("error") != "EBADF" {
			t.Errorf("error = %q, want EBADF", r.str("error"))
		}
		assertNotFired(t, r, "container-escape")
	})

	t.Run("credential-hunting: grep for id_rsa", func(t *testing.T) {
		pid, _ := run(t, "grep", "-q", "id_rsa", "/dev/null") // exits 1: no match
		assertFired(t, wait(t, "exec of grep", eventIs("exec"), pidIs(pid)), "credential-hunting")
	})

	t.Run("sensitive-config-modified: a comment-only file created in and removed from /etc/security", func(t *testing.T) {
		path := "/etc/security/e2e-rules-test.conf"
		createAbsent(t, path)
		pid := runIn(t, "/", "sh", "-c", "echo '# e2e rules test: comment only' > "+path)
		r := wait(t, "write of "+path, eventIs("open"), pidIs(pid), pathIs(path))
		if r.str("file", "class") != "auth-config" {
			t.Errorf("class = %q, want auth-config", r.str("file", "class"))
		}
		assertFired(t, r, "sensitive-config-modified")
		pid = runIn(t, "/", "rm", path)
		assertFired(t, wait(t, "unlink of "+path, eventIs("unlink"), pidIs(pid), pathIs(path)), "sensitive-config-modified")
	})

	t.Run("process-memory-access: dd of another process's mem; a process opening its own does not fire", func(t *testing.T) {
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		mem := "/proc/" + strconv.Itoa(target.Process.Pid) + "/mem"
		pid := runIn(t, "/", "dd", "if="+mem, "of=/dev/null", "bs=1", "count=0")
		assertFired(t, wait(t, "open of "+mem, eventIs("open"), pidIs(pid), pathIs(mem)), "process-memory-access")

		own := exec.Command("cat", "/proc/self/mem")
		_ = own.Run() // reading offset 0 fails with EIO; the open succeeds
		ownMem := "/proc/" + strconv.Itoa(own.Process.Pid) + "/mem"
		assertNotFired(t, wait(t, "open of its own mem", eventIs("open"), pidIs(own.Process.Pid), pathIs(ownMem)), "process-memory-access")
	})

	t.Run("kernel-tampering: iopl(0)", func(t *testing.T) {
		pid, out := run(t, h, "iopl0")
		if !strings.HasPrefix(out, "iopl(0):") {
			t.Fatalf("helper iopl0: %q", out)
		}
		t.Logf("helper: %s", strings.TrimSpace(out)) // ENOSYS without CONFIG_X86_IOPL_IOPERM
		assertFired(t, wait(t, "iopl", eventIs("iopl"), pidIs(pid)), "kernel-tampering")
	})

	t.Run("monitor-tampering: kill -CONT and process_vm_readv aimed at the monitor; kill -0 is only monitor-signalled; at a sleep they do not fire", func(t *testing.T) {
		self := strconv.Itoa(m.cmd.Process.Pid)
		// SIGCONT is delivered and changes nothing in a running process
		pid, out := run(t, "kill", "-CONT", self)
		if out != "" {
			t.Fatalf("kill -CONT %s: %q", self, out)
		}
		r := wait(t, "kill aimed at the monitor", eventIs("kill"), pidIs(pid))
		assertFired(t, r, "monitor-tampering")

		// signal 0 only checks the target exists: a liveness probe, info
		pid, out = run(t, "kill", "-0", self)
		if out != "" {
			t.Fatalf("kill -0 %s: %q", self, out)
		}
		r = wait(t, "kill -0 aimed at the monitor", eventIs("kill"), pidIs(pid))
		assertFired(t, r, "monitor-signalled")
		assertNotFired(t, r, "monitor-tampering")

		// reading address 0 of the monitor fails with EFAULT: nothing is read
		pid, out = run(t, h, "vm-readv", self)
		if !strings.Contains(out, "bad address") {
			t.Fatalf("process_vm_readv of the monitor's address 0: %q, want EFAULT", out)
		}
		r = wait(t, "process_vm_readv of the monitor", eventIs("process_vm_readv"), pidIs(pid))
		assertFired(t, r, "monitor-tampering")

		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		tpid := strconv.Itoa(target.Process.Pid)
		pid, _ = run(t, h, "vm-readv", tpid)
		r = wait(t, "process_vm_readv of a sleep", eventIs("process_vm_readv"), pidIs(pid))
		assertNotFired(t, r, "monitor-tampering")
		pid, out = run(t, "kill", "-0", tpid)
		if out != "" {
			t.Fatalf("kill -0 %s: %q", tpid, out)
		}
		wait(t, "exit of kill", eventIs("exit"), pidIs(pid))
		if got := m.find(and(eventIs("kill"), pidIs(pid))); len(got) != 0 {
			t.Errorf("a signal to another process was reported: %v", got)
		}
	})

	t.Run("watched-path-modified: a write under --watch-path; a read there does not fire", func(t *testing.T) {
		pid := runIn(t, watchDir, "sh", "-c", "echo data > written")
		r := wait(t, "write in the watched dir", eventIs("open"), pidIs(pid), pathIs(filepath.Join(watchDir, "written")))
		if r.str("file", "class") != "custom" {
			t.Errorf("class = %q, want custom", r.str("file", "class"))
		}
		assertFired(t, r, "watched-path-modified")

		pid = runIn(t, watchDir, "cat", "written")
		r = wait(t, "read in the watched dir", eventIs("open"), pidIs(pid), pathIs(filepath.Join(watchDir, "written")))
		if r.str("file", "operation") != "read" {
			t.Errorf("operation = %q, want read", r.str("file", "operation"))
		}
		assertNotFired(t, r, "watched-path-modified")
	})

	attackSuite(t, m, fx, h, api)

	t.Run("every built-in rule fired during the run", func(t *testing.T) {
		seen := map[string]bool{}
		for _, r := range m.find(func(r rec) bool { return r.get("rules") != nil }) {
			for n := range firedRules(r) {
				seen[n] = true
			}
		}
		for name := range builtinRules {
			if !seen[name] {
				t.Errorf("rule %s never fired", name)
			}
		}
		for name := range seen {
			if _, ok := builtinRules[name]; !ok {
				t.Errorf("rule %s fired but is not a known built-in rule", name)
			}
		}
	})

	m.stop(t)
	m.assertAllJSON(t)
}

// The policy's checked expressions come from the build for the built-in
// policy and from /run for the rest (monitor/rules/kept.go): a start with
// no kept file parses none of the built-in ones; a user's rule is parsed
// once, its file replacing a damaged one, and the next start reads it
// back and judges by it.
func TestKeptRulesAreReadBackAndADamagedFileReplaced(t *testing.T) {
	const kept = "/run/ebpf-log-monitor/rules"
	if old, err := os.ReadFile(kept); err == nil {
		t.Cleanup(func() { os.WriteFile(kept, old, 0o600) })
	}
	if err := os.MkdirAll(filepath.Dir(kept), 0o700); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	rulesDir := filepath.Join(dir, "rules.d")
	if err := os.Mkdir(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, filepath.Join(rulesDir, "10-kept.yaml"), `
rules:
  e2e-kept-rule:
    description: cat read the shadow file
    severity: warning
    events: [open]
    condition: process.comm == "cat" && file.path == "/etc/shadow"
`)
	damaged := []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff damaged")
	line := regexp.MustCompile(`rules' checked expressions .*from_build=(\d+) parsed=(\d+) read_back=(\d+)`)
	userParsed := 0
	for i, round := range []string{"the built-in policy, no kept file", "a user's rule, a damaged file", "the user's rule kept"} {
		args := []string{"--debug"}
		switch i {
		case 0:
			if err := os.Remove(kept); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		case 1:
			if err := os.WriteFile(kept, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if i > 0 {
			args = append(args, "--rules-dir", rulesDir)
		}
		m := startMonitor(t, args...)
		pid := runIn(t, "/", "cat", "/etc/shadow")
		r := m.waitFor(t, 10*time.Second, "open of /etc/shadow by cat ("+round+")", and(eventIs("open"), pidIs(pid)))
		assertFired(t, r, "credential-read")
		if _, fired := firedRules(r)["e2e-kept-rule"]; fired != (i > 0) {
			t.Errorf("%s: rules %v: e2e-kept-rule fired %v, want %v", round, firedNames(r), fired, i > 0)
		}
		m.stop(t)
		got := line.FindStringSubmatch(m.stderr.String())
		if got == nil {
			t.Fatalf("%s: no debug line on the rules' checked expressions in:\n%s", round, m.stderr.String())
		}
		built, _ := strconv.Atoi(got[1])
		parsed, _ := strconv.Atoi(got[2])
		read, _ := strconv.Atoi(got[3])
		if built < 50 {
			t.Errorf("%s: %d expressions from the build, want the built-in policy's (50 or more)", round, built)
		}
		switch i {
		case 0:
			if parsed != 0 || read != 0 {
				t.Errorf("%s: parsed %d, read back %d: want none", round, parsed, read)
			}
			if _, err := os.Stat(kept); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: %s written (%v), with nothing to keep", round, kept, err)
			}
			continue
		case 1:
			if read != 0 || parsed == 0 {
				t.Errorf("%s: read back %d, parsed %d: want the rule's parsed", round, read, parsed)
			}
			userParsed = parsed
		case 2:
			if read != userParsed || parsed != 0 {
				t.Errorf("%s: read back %d, parsed %d: want the %d parsed before read back", round, read, parsed, userParsed)
			}
		}
		b, err := os.ReadFile(kept)
		if err != nil {
			t.Fatalf("%s: nothing kept: %v", round, err)
		}
		if bytes.Equal(b, damaged) {
			t.Errorf("%s: the damaged file was not replaced", round)
		}
		if fi, err := os.Stat(kept); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %s has mode %v, want 0600", round, kept, fi.Mode().Perm())
		}
	}
}
