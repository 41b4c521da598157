package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Calls that syscall-tracepoint monitors are known to miss (issue 9's
// bypass list), each made for real and expected in the output.

// cBuilt holds the test programs written in C, built once each.
var cBuilt struct {
	sync.Mutex
	path map[string]string
}

// cProgram builds tests/e2e/<name>/<name>.c with gcc and @flags once, or
// takes the prebuilt one in $env (make vmtest builds them on the host).
func cProgram(t *testing.T, name, env string, flags ...string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		return p
	}
	cBuilt.Lock()
	defer cBuilt.Unlock()
	if p, ok := cBuilt.path[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "e2e-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	out := filepath.Join(dir, name)
	args := append(append([]string{}, flags...), "-o", out, filepath.Join(name, name+".c"))
	if msg, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v: %s", name, err, msg)
	}
	if cBuilt.path == nil {
		cBuilt.path = map[string]string{}
	}
	cBuilt.path[name] = out
	return out
}

// compat32 is a freestanding i386 program: gcc and binutils, no multilib.
func compat32(t *testing.T) string {
	return cProgram(t, "compat32", "E2E_COMPAT32", "-m32", "-static", "-nostdlib", "-ffreestanding",
		"-fno-pic", "-no-pie", "-fno-stack-protector", "-O1")
}

// skipWithoutI386 skips the test where the kernel refuses to run i386 programs (built
// without IA32 emulation, booted with ia32_emulation=0, or a guest of a
// hypervisor without 32-bit mode, such as PVM): nothing can make an i386
// call there, and make vmtest's guests test them.  What is left to check
// is the refused exec, which the monitor must report as such.
func skipWithoutI386(t *testing.T, m *monitor, c32 string) {
	t.Helper()
	err := exec.Command(c32, "exec", "/bin/true", "probe").Run()
	if !errors.Is(err, syscall.ENOEXEC) {
		return
	}
	r := m.waitFor(t, 10*time.Second, "the refused exec of "+c32, func(r rec) bool {
		return r.str("event") == "exec" && r.str("exec", "filename") == c32
	})
	if r.str("error") != "ENOEXEC" || r.num("exec", "ret") != -float64(syscall.ENOEXEC) {
		t.Errorf("exec of an i386 program on a kernel that runs none: error=%q ret=%v, want ENOEXEC, -%d",
			r.str("error"), r.get("exec", "ret"), int(syscall.ENOEXEC))
	}
	t.Skipf("this kernel runs no i386 program (exec: %v): only its report was checked; "+
		"the i386 calls are tested in make vmtest's guests", err)
}

// uring submits one io_uring request with the raw syscalls.
func uring(t *testing.T) string { return cProgram(t, "uring", "E2E_URING", "-O1") }

func compatIs(r rec) bool { b, _ := r.get("process", "compat").(bool); return b }

// TestI386SyscallsAreSeen: a 32-bit program making its calls with int $0x80
// (the compat entry; syscalls:sys_enter_X tracepoints never fire for it) is
// seen like a 64-bit one, its events marked compat.
func TestI386SyscallsAreSeen(t *testing.T) {
	c32 := compat32(t)
	m := startMonitor(t)
	defer m.stop(t)
	skipWithoutI386(t, m, c32)

	for _, mode := range []string{"open", "openat"} {
		t.Run(mode+" /etc/shadow", func(t *testing.T) {
			pid, out := run(t, c32, mode, "/etc/shadow")
			r := m.exactlyOne(t, mode+" of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
			if !compatIs(r) || r.str("file", "operation") != "read" || r.str("process", "exe") != c32 {
				t.Errorf("compat=%v operation=%q exe=%q (program said %q)", r.get("process", "compat"),
					r.str("file", "operation"), r.str("process", "exe"), out)
			}
		})
	}

	_, port := loopbackListener(t, nil)
	for mode, name := range map[string]string{"connect": "socketcall(SYS_CONNECT)", "connect2": "connect"} {
		t.Run("i386 "+name, func(t *testing.T) {
			pid, out := run(t, c32, mode, strconv.Itoa(port))
			r := m.waitFor(t, 10*time.Second, "i386 connect", and(eventIs("connect"), pidIs(pid), dstPortIs(port)))
			if !compatIs(r) || r.str("network", "dst_ip") != "127.0.0.1" || r.str("error") != "" {
				t.Errorf("compat=%v network=%v error=%q (program said %q)", r.get("process", "compat"), r.get("network"), r.str("error"), out)
			}
			if got := r.strs("network", "sources"); len(got) == 0 || got[0] != "syscall" {
				t.Errorf("sources = %v, want the syscall first", got)
			}
		})
	}

	for mode, name := range map[string]string{"sendmsg": "socketcall(SYS_SENDMSG)", "sendmsg2": "sendmsg"} {
		t.Run("i386 UDP "+name, func(t *testing.T) {
			c, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			port := c.LocalAddr().(*net.UDPAddr).Port
			pid, out := run(t, c32, mode, strconv.Itoa(port))
			r := m.waitFor(t, 10*time.Second, "i386 sendmsg", and(eventIs("send"), pidIs(pid), dstPortIs(port)))
			if !compatIs(r) || r.str("network", "protocol") != "udp" || r.str("network", "dst_ip") != "127.0.0.1" {
				t.Errorf("compat=%v network=%v (program said %q): the i386 msghdr has 32-bit pointers",
					r.get("process", "compat"), r.get("network"), out)
			}
		})
	}

	t.Run("execve of a 64-bit program, and a failed one", func(t *testing.T) {
		pid, _ := run(t, c32, "exec", "/bin/true", "from-i386")
		r := m.waitFor(t, 10*time.Second, "exec from i386", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
			return r.str("process", "exe") == "/usr/bin/true"
		}))
		if !compatIs(r) || !equalStrs(r.strs("process", "args"), []string{"/bin/true", "from-i386"}) {
			t.Errorf("compat=%v args=%v", r.get("process", "compat"), r.strs("process", "args"))
		}
		pid, _ = run(t, c32, "exec", "/nonexistent-i386", "x", "y")
		r = m.waitFor(t, 10*time.Second, "failed exec from i386", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
			return r.num("exec", "ret") != 0
		}))
		if !compatIs(r) || r.str("exec", "filename") != "/nonexistent-i386" ||
			!equalStrs(r.strs("process", "args"), []string{"/nonexistent-i386", "x", "y"}) {
			t.Errorf("compat=%v filename=%q args=%v (argv read as 32-bit pointers)", r.get("process", "compat"),
				r.str("exec", "filename"), r.strs("process", "args"))
		}
	})

	for _, mode := range []string{"setuid", "setuid16"} {
		t.Run(mode+"(0) by nobody", func(t *testing.T) {
			pid, _ := run(t, append(nobody, c32, mode, "0")...)
			r := m.exactlyOne(t, "setuid", and(eventIs("setuid"), pidIs(pid)))
			if !compatIs(r) || r.str("error") != "EPERM" || r.num("syscall", "args", "uid") != 0 {
				t.Errorf("compat=%v error=%q args=%v", r.get("process", "compat"), r.str("error"), r.get("syscall", "args"))
			}
		})
	}
}

func equalStrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hookStatus returns the start record's entry for a hook, or nil.
func hookStatus(m *monitor, t *testing.T, name string) map[string]any {
	t.Helper()
	start := m.waitFor(t, 10*time.Second, "start", eventIs("start"))
	hooks, _ := start.get("monitor", "hooks").([]any)
	for _, h := range hooks {
		if hm, ok := h.(map[string]any); ok && hm["name"] == name {
			return hm
		}
	}
	return nil
}

// TestIOUringIsSeen: io_uring requests never pass through the open(2) or
// connect(2) syscalls.  An IORING_OP_OPENAT of /etc/shadow is reported
// like an open, with via=io_uring, where the kernel's io_uring_complete
// tracepoint carries the request (6.0+); on older kernels the start record
// must say the hook is missing and why (the known gap, not a silent miss).
// An IORING_OP_CONNECT is seen by TCP's own state change on every kernel.
func TestIOUringIsSeen(t *testing.T) {
	u := uring(t)
	m := startMonitor(t)
	defer m.stop(t)

	h := hookStatus(m, t, "raw_tracepoint/io_uring_complete")
	if h == nil {
		t.Fatal("the start record does not list raw_tracepoint/io_uring_complete")
	}
	kp := hookStatus(m, t, "kprobe/security_file_open")
	if kp == nil {
		t.Fatal("the start record does not list kprobe/security_file_open")
	}
	// with function hooks the same hook is an fentry
	if fe := hookStatus(m, t, "fentry/security_file_open"); fe != nil && fe["status"] == "attached" {
		if kp["status"] != "superseded" {
			t.Errorf("kprobe/security_file_open is %v beside the fentry", kp)
		}
		kp = fe
	}
	t.Run("IORING_OP_OPENAT of /etc/shadow", func(t *testing.T) {
		pid, out := run(t, u, "open", "/etc/shadow")
		if strings.TrimSpace(out) == "" || strings.HasPrefix(out, "-") {
			t.Fatalf("the io_uring open failed: %q", out)
		}
		var via string
		switch {
		case kp["status"] == "attached":
			// every open passes security_file_open: io_uring_complete
			// is not needed and must say so
			via = "security_file_open"
			if h["status"] != "superseded" {
				t.Errorf("io_uring_complete = %v, want superseded by the kprobe", h)
			}
		case h["status"] == "attached":
			via = "io_uring"
		default:
			// allowed only where it is expected: before 6.0 (no
			// io_uring_complete tracepoint) and without kprobes
			rel := m.waitFor(t, time.Second, "start record", eventIs("start")).str("monitor", "kernel")
			var major, minor int
			fmt.Sscanf(rel, "%d.%d", &major, &minor)
			if major >= 6 {
				t.Fatalf("kernel %s >= 6.0 has io_uring_complete, but no hook sees io_uring opens: %v / %v", rel, h, kp)
			}
			if reason, _ := h["reason"].(string); !strings.Contains(reason, "io_uring") {
				t.Errorf("no hook sees io_uring opens and the start record does not say why: %v / %v", h, kp)
			}
			if reason, _ := kp["reason"].(string); reason == "" {
				t.Errorf("kprobe/security_file_open is %v with no reason", kp["status"])
			}
			return // the gap is in README ("Supported kernels") and in the start record
		}
		r := m.exactlyOne(t, "io_uring open", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
		if r.str("file", "via") != via || r.str("file", "operation") != "read" || r.str("severity") != "warn" {
			t.Errorf("file=%v severity=%q, want via=%s", r.get("file"), r.str("severity"), via)
		}
		if fd := r.get("file", "fd"); (via == "io_uring") != (fd != nil && num(fd) >= 3) {
			t.Errorf("fd = %v: the completion knows the fd, the kprobe does not", fd)
		}
	})

	t.Run("IORING_OP_CONNECT to a loopback listener", func(t *testing.T) {
		_, port := loopbackListener(t, nil)
		pid, out := run(t, u, "connect", strconv.Itoa(port))
		if strings.TrimSpace(out) != "0" {
			t.Fatalf("the io_uring connect failed: %q", out)
		}
		r := m.waitFor(t, 10*time.Second, "io_uring connect", and(eventIs("connect"), pidIs(pid), dstPortIs(port)))
		if got := r.strs("network", "sources"); !equalStrs(got, []string{"kernel"}) || r.str("network", "dst_ip") != "127.0.0.1" {
			t.Errorf("network = %v, want the kernel's view of 127.0.0.1:%d", r.get("network"), port)
		}
	})
}

// TestPathRewriteRaceReportsTheOpenedFile: a thread flips the path buffer
// between /etc/shadow and /etc/passwd while another opens it 2,000 times.
// A monitor that reads the string again after the call is fooled; ours
// resolves the opened struct file, so the /etc/shadow events must be
// exactly the opens that got /etc/shadow (the helper counts them by inode).
func TestPathRewriteRaceReportsTheOpenedFile(t *testing.T) {
	h := helper(t)
	m := startMonitor(t)

	n := "2000"
	if v := os.Getenv("E2E_RACE_OPENS"); v != "" {
		n = v // make vmtest: fewer under emulation
	}
	// under emulation the two threads may not interleave in a run (5.10,
	// 2026-12-02: 500 of 500): run again, the last run is the one judged
	var pid, want int
	for try := 1; ; try++ {
		var out string
		pid, out = run(t, h, "open-race", n)
		w, err := strconv.Atoi(strings.TrimSpace(out))
		if err == nil && w > 0 && strconv.Itoa(w) != n {
			want = w
			break
		}
		if try == 5 {
			m.stop(t)
			t.Fatalf("open-race, 5 runs: last %q (all or none of the opens got /etc/shadow: no race to judge)", out)
		}
	}
	m.waitFor(t, 10*time.Second, "first /etc/shadow open", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	m.drain(t)
	// repeated alerts are folded into one record plus a count: stopping
	// flushes every count
	if code := m.stop(t); code != 0 {
		t.Fatalf("monitor exit %d", code)
	}
	got, failed := 0, 0
	for _, r := range m.find(and(eventIs("open"), pidIs(pid))) {
		if r.str("error") != "" {
			// a failed open has no struct file: its path is the string
			// read at the exit, which the other thread may have flipped
			// to /etc/shadow meanwhile (README: known limits)
			failed++
			continue
		}
		if r.str("file", "path") != "/etc/shadow" {
			t.Errorf("an open event with another path: %v", r.get("file"))
			continue
		}
		if n := int(r.num("repeats")); n > 0 {
			got += n // a fold summary: n more after its first record
		} else {
			got++
		}
	}
	if got != want {
		t.Errorf("%d /etc/shadow opens reported, the helper really opened /etc/shadow %d times", got, want)
	}
	t.Logf("%d of %s opens got /etc/shadow and were reported as such, the others got /etc/passwd and were not; %d failed opens (ENOENT, torn names) reported apart", want, n, failed)
}

// TestExecVariantsResolveTheExe: an exec through a symlink reports the
// target; a binary deleted right after it started still shows its path,
// and its later events say exe_deleted.
func TestExecVariantsResolveTheExe(t *testing.T) {
	h := helper(t)
	m := startMonitor(t)
	defer m.stop(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)

	t.Run("through a symlink", func(t *testing.T) {
		link := filepath.Join(dir, "innocent")
		if err := os.Symlink("/usr/bin/true", link); err != nil {
			t.Fatal(err)
		}
		pid, _ := run(t, link, "via-link")
		r := m.waitFor(t, 10*time.Second, "exec via symlink", and(eventIs("exec"), pidIs(pid)))
		if r.str("process", "exe") != "/usr/bin/true" || !equalStrs(r.strs("process", "args"), []string{link, "via-link"}) {
			t.Errorf("exe=%q args=%v, want /usr/bin/true run as %s", r.str("process", "exe"), r.strs("process", "args"), link)
		}
	})

	t.Run("deleted right after start", func(t *testing.T) {
		bin := filepath.Join(dir, "dropper")
		b, err := os.ReadFile(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		pid, out := run(t, bin, "delete-self-read", "/etc/shadow")
		if _, err := os.Stat(bin); !os.IsNotExist(err) {
			t.Fatalf("the binary was not deleted (%v): %s", err, out)
		}
		e := m.waitFor(t, 10*time.Second, "exec", and(eventIs("exec"), pidIs(pid)))
		if e.str("process", "exe") != bin || e.get("exec", "exe_deleted") == true {
			t.Errorf("exec: exe=%q exe_deleted=%v, want %s not yet deleted", e.str("process", "exe"), e.get("exec", "exe_deleted"), bin)
		}
		r := m.exactlyOne(t, "shadow read after the delete", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
		if r.str("process", "exe") != bin || r.get("process", "exe_deleted") != true {
			t.Errorf("open: exe=%q exe_deleted=%v, want %s flagged", r.str("process", "exe"), r.get("process", "exe_deleted"), bin)
		}
	})
}

// TestKprobeHooksAttachWhereKprobesExist: on a kernel with kprobes (the
// Debian guests of make vmtest) the security_file_open and commit_creds
// hooks must attach, not just be tried (security_file_open as an fentry
// where function hooks are in use); without kprobes (this project's build
// host) the start record must say so for each.
func TestKprobeHooksAttachWhereKprobesExist(t *testing.T) {
	m := startMonitor(t)
	defer m.stop(t)
	_, err := os.Stat("/sys/bus/event_source/devices/kprobe")
	haveKprobes := err == nil
	for _, name := range []string{"kprobe/security_file_open", "kprobe/commit_creds"} {
		h := hookStatus(m, t, name)
		if h == nil {
			t.Errorf("%s is not in the start record", name)
			continue
		}
		reason, _ := h["reason"].(string)
		if fe := hookStatus(m, t, "fentry/security_file_open"); name == "kprobe/security_file_open" && fe != nil && fe["status"] == "attached" {
			// function hooks: the same program on a trampoline
			if h["status"] != "superseded" {
				t.Errorf("%s: %v beside fentry/security_file_open", name, h)
			}
			continue
		}
		switch {
		case haveKprobes && h["status"] != "attached":
			t.Errorf("%s: %v on a kernel with kprobes", name, h)
		case !haveKprobes && (h["status"] != "unavailable" || !strings.Contains(reason, "kprobes")):
			t.Errorf("%s: %v on a kernel without kprobes, want unavailable with the reason", name, h)
		}
	}
	t.Logf("kprobes on this kernel: %v", haveKprobes)
}

// TestKprobesAreMadeByTheirKeptAddresses: on a kernel whose lookups by
// name expand every symbol (before 6.1: 5.10 in make vmtest), a start that
// made its kprobes by name keeps their addresses in /run once it has
// started, and the next start makes them by address.  The kprobe so made
// is the right one: an io_uring open of /etc/shadow, which only
// security_file_open sees before 6.0, is reported.  From 6.1 a lookup by
// name is as fast as one by address, and nothing is kept (the unit tests
// of kprobe_addrs.go cover the file itself).
func TestKprobesAreMadeByTheirKeptAddresses(t *testing.T) {
	if _, err := os.Stat("/sys/bus/event_source/devices/kprobe"); err != nil {
		t.Skip("no kprobes on this kernel (TestKprobeHooksAttachWhereKprobesExist checks that the start record says so)")
	}
	if kernelAtLeast(t, 6, 1) {
		t.Skipf("kernel %s looks names up through a sorted index: kprobes are made by name", release(t))
	}
	const kept = "/run/ebpf-log-monitor/kprobe-addresses"
	if err := os.Remove(kept); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	u := uring(t)
	functions := []string{"security_file_open", "commit_creds"}

	m := startMonitor(t, "--debug")
	waitStderr(t, m, 30*time.Second, "kprobe addresses kept for the next start")
	m.stop(t)
	b, err := os.ReadFile(kept)
	if err != nil {
		t.Fatalf("%s: %v after the debug line says kept", kept, err)
	}
	for _, f := range functions {
		if !strings.Contains(string(b), "\n"+f+" ") {
			t.Errorf("%s holds no address for %s:\n%s", kept, f, b)
		}
	}

	m = startMonitor(t, "--debug")
	defer m.stop(t)
	for _, f := range functions {
		if h := hookStatus(m, t, "kprobe/"+f); h == nil || h["status"] != "attached" {
			t.Errorf("kprobe/%s: %v, want attached", f, h)
		}
		if want := "function=" + f; !strings.Contains(debugLines(m, "kprobe made by its kept address"), want) {
			t.Errorf("no debug line says kprobe/%s was made by its kept address:\n%s", f, tailLines(m.stderr.String(), 30))
		}
	}
	pid, out := run(t, u, "open", "/etc/shadow")
	if strings.TrimSpace(out) == "" || strings.HasPrefix(out, "-") {
		t.Fatalf("the io_uring open failed: %q", out)
	}
	r := m.waitFor(t, 10*time.Second, "io_uring open of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	if r.str("file", "via") != "security_file_open" {
		t.Errorf("file=%v, want via=security_file_open", r.get("file"))
	}
}

// waitStderr waits for a line of the monitor's stderr holding want.
func waitStderr(t *testing.T, m *monitor, timeout time.Duration, want string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(m.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on stderr within %v:\n%s", want, timeout, tailLines(m.stderr.String(), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// debugLines is the lines of the monitor's stderr holding msg.
func debugLines(m *monitor, msg string) string {
	var lines []string
	for _, l := range strings.Split(m.stderr.String(), "\n") {
		if strings.Contains(l, msg) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
