package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runMonitor runs the binary to completion (for start-up errors) and
// returns its exit code and stderr.
func runMonitor(t *testing.T, name string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%s %v did not exit; stderr: %s", name, args, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

func TestStartupErrorsHaveOneLineAndDistinctExitCodes(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.log")
	if err := os.Symlink(filepath.Join(dir, "target.log"), link); err != nil {
		t.Fatal(err)
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("setpriv (util-linux) is needed for the unprivileged case: %v", err)
	}
	// the binary must be reachable by an unprivileged user
	unpriv := filepath.Join(t.TempDir(), "ebpf-log-monitor")
	copyFile(t, monitorBin, unpriv, 0o755)
	os.Chmod(filepath.Dir(unpriv), 0o755)

	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	cases := []struct {
		name     string
		cmd      []string
		code     int
		contains string
	}{
		{"bad format value", []string{monitorBin, "-f", "xml"}, 2, "invalid format"},
		{"bad severity value", []string{monitorBin, "-s", "loud"}, 2, "invalid severity"},
		{"unknown flag", []string{monitorBin, "--no-such-flag"}, 2, "no-such-flag"},
		{"not root", []string{setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", unpriv}, 3, "must run as root"},
		{"missing BTF file", []string{monitorBin, "--btf-file", "/nonexistent/vmlinux"}, 4, "BTF file /nonexistent/vmlinux"},
		{"log file in a missing directory", []string{monitorBin, "-l", "/nonexistent-dir/monitor.log"}, 6, "log file /nonexistent-dir/monitor.log"},
		{"log file is a symlink", []string{monitorBin, "-l", link}, 6, "symlink"},
		{"health address in use", []string{monitorBin, "--metrics-addr", busy.Addr().String()}, 2, "address already in use"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stderr := runMonitor(t, c.cmd[0], c.cmd[1:]...)
			if code != c.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.contains) {
				t.Errorf("stderr %q does not say %q", stderr, c.contains)
			}
			if lines := strings.Count(strings.TrimRight(stderr, "\n"), "\n") + 1; lines != 1 {
				t.Errorf("error is %d lines, want one:\n%s", lines, stderr)
			}
		})
	}
	if _, err := os.Lstat(filepath.Join(dir, "target.log")); err == nil {
		t.Error("the symlinked log file's target was created")
	}
}

func TestVersionFlag(t *testing.T) {
	out, err := exec.Command(monitorBin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v: %s", err, out)
	}
	if !strings.HasPrefix(string(out), "ebpf-log-monitor version ") {
		t.Errorf("--version printed %q", out)
	}
}

func TestLogFileReceivesEachLineWithinASecond(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "monitor.log")
	m := startMonitor(t, "-l", logPath)
	st, err := os.Stat(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
	cmd := exec.Command("/bin/true", "log-file-marker")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	m.waitFor(t, 10*time.Second, "exec on stdout", and(eventIs("exec"), pidIs(cmd.Process.Pid)))
	deadline := time.Now().Add(time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		if bytes.Contains(b, []byte("log-file-marker")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exec line did not reach %s within 1s of stdout:\n%s", logPath, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := m.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	b, _ := os.ReadFile(logPath)
	if !bytes.HasSuffix(b, []byte("\n")) || !bytes.Contains(b, []byte(`"event":"stop"`)) {
		t.Errorf("log file does not end with a whole stop line:\n%s", b)
	}
}

func TestTextOutputIsOneLinePerEvent(t *testing.T) {
	cmd := exec.Command(monitorBin, "-f", "text", "-i", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }() // reaped: a zombie would look alive
	lines := make(chan string, 1000)
	go func() {
		buf := make([]byte, 0, 1<<16)
		tmp := make([]byte, 4096)
		for {
			n, err := out.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				lines <- string(buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	waitLine := func(what string, pred func(string) bool) string {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("monitor exited before %s: %s", what, stderr.String())
				}
				if pred(l) {
					return l
				}
			case <-timeout:
				t.Fatalf("no %s; stderr: %s", what, stderr.String())
			}
		}
	}
	waitLine("start line", func(l string) bool { return strings.Contains(l, " start ") })
	marker := "text-marker"
	run := exec.Command("/bin/true", marker, "two words", "line\nbreak", "esc\x1b[2J")
	if err := run.Run(); err != nil {
		t.Fatal(err)
	}
	l := waitLine("exec line", func(l string) bool { return strings.Contains(l, marker) })
	for _, want := range []string{" INFO  exec   pid=", " exe=/usr/bin/true ", `\"two words\"`, `line\nbreak`, `esc\x1b[2J`, " parent="} {
		if !strings.Contains(l, want) {
			t.Errorf("exec line %q lacks %q", l, want)
		}
	}
	if strings.ContainsAny(l, "\x1b\r") {
		t.Errorf("exec line carries a raw control byte: %q", l)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// /healthz answers 200 with the number of attached programs while the
// monitor runs: what a liveness probe (deploy/) and a load balancer read.
func TestHealthzIsOKWhileTheProgramsAreAttached(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the monitor takes the port
	m := startMonitor(t, "--metrics-addr", addr)
	start := m.waitFor(t, time.Second, "start record", eventIs("start"))
	attached := 0
	for _, h := range start.get("monitor", "hooks").([]any) {
		if h.(map[string]any)["status"] == "attached" {
			attached++
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v; stderr:\n%s", err, m.stderr.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("ok: %d BPF programs attached\n", attached); resp.StatusCode != 200 || string(body) != want {
		t.Errorf("GET /healthz: %d %q, want 200 %q", resp.StatusCode, body, want)
	}
	if code := m.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("/healthz still answers after the monitor stopped")
	}
}

// libbpf's own messages: with --debug, those of the load (its CO-RE
// relocations) are in the diagnostics; without, none reach stderr, and
// libbpf is not asked to format them (the monitor removes its print
// function once the object is open).
func TestLibbpfMessagesOnlyWithDebug(t *testing.T) {
	m := startMonitor(t, "--debug")
	m.stop(t)
	if !strings.Contains(m.stderr.String(), "from=libbpf") || !strings.Contains(m.stderr.String(), ": relo #") {
		t.Errorf("--debug: no libbpf relocation messages on stderr:\n%s", tailLines(m.stderr.String(), 20))
	}
	m = startMonitor(t)
	m.stop(t)
	if strings.Contains(m.stderr.String(), "libbpf") {
		t.Errorf("without --debug, libbpf's messages reached stderr:\n%s", tailLines(m.stderr.String(), 20))
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
