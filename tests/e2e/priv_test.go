package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	helperOnce sync.Once
	helperPath string
	helperErr  error
)

// helper builds tests/e2e/helper once into a directory every user can read.
func helper(t *testing.T) string {
	t.Helper()
	helperOnce.Do(func() {
		// make vmtest builds it on the host: no compiler work in the guest
		if p := os.Getenv("E2E_HELPER"); p != "" {
			helperPath, helperErr = p, nil
			if _, err := os.Stat(p); err != nil {
				helperErr = err
			}
			return
		}
		dir, err := os.MkdirTemp("", "e2e-helper-")
		if err != nil {
			helperErr = err
			return
		}
		os.Chmod(dir, 0o755)
		helperPath = filepath.Join(dir, "helper")
		cmd := exec.Command("go", "build", "-o", helperPath, "./helper")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			helperErr = err
			helperPath = string(out)
		}
	})
	if helperErr != nil {
		t.Fatalf("build the test helper: %v: %s", helperErr, helperPath)
	}
	return helperPath
}

var nobody = []string{"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"}

// nobodyRunsSetuidCopy copies the helper to a new temporary directory as a
// set-uid-root file (not a system binary, not a known helper), runs it as
// nobody with print-id and returns its pid and path, after checking that it
// really ran with euid 0.
func nobodyRunsSetuidCopy(t *testing.T, h, prefix string) (int, string) {
	t.Helper()
	suid := setuidCopy(t, h, prefix)
	pid, out := run(t, append(nobody, suid, "print-id")...)
	if strings.TrimSpace(out) != "65534 0" {
		t.Fatalf("the set-uid copy did not run as euid 0: %q", out)
	}
	return pid, suid
}

// setuidCopy copies the helper to a new temporary directory as a
// set-uid-root file and returns its path.
func setuidCopy(t *testing.T, h, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	suid := filepath.Join(dir, "suid-helper")
	copyFile(t, h, suid, 0o755)
	if err := os.Chmod(suid, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	return suid
}

// startPiped starts cmd with its stdin and stdout as pipes; the process is
// killed at the test's end if it is still running.
func startPiped(t *testing.T, cmd *exec.Cmd) (io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return stdin, bufio.NewScanner(stdout)
}

// run runs a command (errors are allowed: attempts are the point) and
// returns its pid and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	out, _ := cmd.CombinedOutput()
	if cmd.Process == nil {
		t.Fatalf("%v did not start", args)
	}
	return cmd.Process.Pid, string(out)
}

func num(v any) float64 { f, _ := v.(float64); return f }

func TestSyscallsAndPrivilege(t *testing.T) {
	h := helper(t)
	m := startMonitor(t)

	t.Run("a set-uid-root binary run by nobody is a critical privilege gain", func(t *testing.T) {
		pid, suid := nobodyRunsSetuidCopy(t, h, "e2e-suid-")
		r := m.exactlyOne(t, "privilege", and(eventIs("privilege"), pidIs(pid)))
		if r.str("severity") != "critical" || r.str("privilege", "means") != "exec" || r.str("category") != "privilege" {
			t.Errorf("severity=%q means=%q", r.str("severity"), r.str("privilege", "means"))
		}
		if r.num("privilege", "before", "euid") != 65534 || r.num("privilege", "after", "euid") != 0 {
			t.Errorf("before=%v after=%v, want euid 65534 -> 0", r.get("privilege", "before"), r.get("privilege", "after"))
		}
		if r.str("process", "exe") != suid || r.num("privilege", "exe_uid") != 0 || r.str("privilege", "exe_mode") != "4755" {
			t.Errorf("exe=%q exe_uid=%v exe_mode=%q", r.str("process", "exe"), r.get("privilege", "exe_uid"), r.str("privilege", "exe_mode"))
		}
	})

	t.Run("setuid(0) by nobody is an EPERM attempt, not an escalation", func(t *testing.T) {
		pid, out := run(t, append(nobody, h, "setuid0")...)
		if !strings.Contains(out, "operation not permitted") {
			t.Fatalf("setuid(0) as nobody: %q", out)
		}
		r := m.exactlyOne(t, "setuid", and(eventIs("setuid"), pidIs(pid)))
		if r.str("error") != "EPERM" || r.num("syscall", "args", "uid") != 0 || r.str("category") != "syscall" {
			t.Errorf("error=%q args=%v", r.str("error"), r.get("syscall", "args"))
		}
		m.drain(t)
		if got := m.find(and(eventIs("privilege"), pidIs(pid))); len(got) != 0 {
			t.Errorf("a failed setuid(0) raised privilege events: %v", got)
		}
	})

	t.Run("root dropping to uid 1000 is an info syscall event and no alert", func(t *testing.T) {
		pid, out := run(t, h, "setresuid-drop")
		if out != "" {
			t.Fatalf("setresuid: %q", out)
		}
		r := m.exactlyOne(t, "setresuid", and(eventIs("setresuid"), pidIs(pid)))
		if r.str("severity") != "info" || r.num("syscall", "ret") != 0 || r.num("syscall", "args", "euid") != 1000 {
			t.Errorf("severity=%q syscall=%v", r.str("severity"), r.get("syscall"))
		}
		m.drain(t)
		if got := m.find(and(eventIs("privilege"), pidIs(pid))); len(got) != 0 {
			t.Errorf("dropping privileges raised privilege events: %v", got)
		}
	})

	t.Run("ptrace(PTRACE_ATTACH) names the target and its exe", func(t *testing.T) {
		target := exec.Command("sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		pid, out := run(t, h, "ptrace-attach", strconv.Itoa(target.Process.Pid))
		if out != "" {
			t.Fatalf("ptrace: %q", out)
		}
		r := m.exactlyOne(t, "ptrace attach", and(eventIs("ptrace"), pidIs(pid)))
		sleepExe, _ := filepath.EvalSymlinks("/bin/sleep")
		if r.str("syscall", "args", "request") != "PTRACE_ATTACH" || int(r.num("syscall", "target_pid")) != target.Process.Pid ||
			r.str("syscall", "target_exe") != sleepExe || r.str("severity") != "warn" {
			t.Errorf("ptrace = %v severity %q", r.get("syscall"), r.str("severity"))
		}
	})

	t.Run("unshare -U -r by nobody is a namespace event, and its root mounting is flagged", func(t *testing.T) {
		pid, out := run(t, append(nobody, "unshare", "-U", "-r", "true")...)
		if out != "" {
			t.Fatalf("unshare: %q", out)
		}
		r := m.exactlyOne(t, "unshare", and(eventIs("unshare"), pidIs(pid)))
		flags := r.strs("syscall", "args", "flags")
		if len(flags) != 1 || flags[0] != "CLONE_NEWUSER" || r.num("process", "uid") != 65534 {
			t.Errorf("flags=%v uid=%v", flags, r.get("process", "uid"))
		}
		m.drain(t)
		if got := m.find(and(eventIs("privilege"), pidIs(pid))); len(got) != 0 {
			t.Errorf("a user namespace alone raised privilege events: %v", got)
		}

		pid, _ = run(t, append(nobody, "unshare", "-U", "-r", "-m", "mount", "-t", "tmpfs", "e2e", "/mnt")...)
		m.waitFor(t, 10*time.Second, "mount", and(eventIs("mount"), pidIs(pid)))
		m.waitFor(t, 10*time.Second, "userns privilege", and(eventIs("privilege"), pidIs(pid)))
		// unshare -m makes its mounts private (one mount), then mount(8)
		// mounts the tmpfs (another): each is the namespace's root at work
		for _, p := range m.find(and(eventIs("privilege"), pidIs(pid))) {
			if p.str("privilege", "means") != "userns" || p.str("privilege", "syscall") != "mount" || p.str("severity") != "warn" {
				t.Errorf("privilege = %v severity %q", p.get("privilege"), p.str("severity"))
			}
		}
	})

	t.Run("memfd_create and an exec of the memfd", func(t *testing.T) {
		pid, _ := run(t, h, "memfd-exec")
		r := m.exactlyOne(t, "memfd_create", and(eventIs("memfd_create"), pidIs(pid)))
		if r.str("syscall", "args", "name") != "e2e-memfd" {
			t.Errorf("memfd_create args = %v", r.get("syscall", "args"))
		}
		e := m.waitFor(t, 10*time.Second, "exec of the memfd", and(eventIs("exec"), pidIs(pid), func(r rec) bool {
			return strings.HasPrefix(r.str("process", "exe"), "/memfd:")
		}))
		if e.str("process", "exe") != "/memfd:e2e-memfd" || e.get("exec", "exe_deleted") != true || e.get("exec", "execveat") != true {
			t.Errorf("exe=%q exec=%v", e.str("process", "exe"), e.get("exec"))
		}
	})

	t.Run("bpftool prog list is a bpf syscall event", func(t *testing.T) {
		pid, _ := run(t, "bpftool", "prog", "list")
		r := m.waitFor(t, 10*time.Second, "bpf", and(eventIs("bpf"), pidIs(pid), func(r rec) bool {
			return r.str("syscall", "args", "cmd") == "BPF_PROG_GET_NEXT_ID"
		}))
		if r.str("syscall", "group") != "kernel" {
			t.Errorf("syscall = %v", r.get("syscall"))
		}
		if n := len(m.find(and(eventIs("bpf"), pidIs(pid)))); n > 20 {
			t.Errorf("%d bpf lines for one bpftool run: identical calls should be printed once", n)
		}
	})

	t.Run("finit_module of an invalid fd is recorded with its errno", func(t *testing.T) {
		pid, out := run(t, h, "finit-module")
		if strings.Contains(out, "<nil>") {
			t.Fatalf("finit_module succeeded?! %q", out)
		}
		r := m.exactlyOne(t, "finit_module", and(eventIs("finit_module"), pidIs(pid)))
		if r.str("error") == "" || r.str("severity") != "warn" {
			t.Errorf("error=%q severity=%q", r.str("error"), r.str("severity"))
		}
	})

	t.Run("no unexplained privilege gain during the whole test", func(t *testing.T) {
		for _, r := range m.find(eventIs("privilege")) {
			if r.str("privilege", "means") == "unexplained" {
				t.Errorf("unexplained privilege gain: %v", r)
			}
		}
	})
	m.stop(t)
	m.assertAllJSON(t)
}

// credsKeys returns the tids the monitor's task_creds map holds now.
func credsKeys(t *testing.T) map[int]bool {
	t.Helper()
	out, err := exec.Command("bpftool", "-j", "map", "dump", "name", "task_creds").Output()
	if err != nil {
		t.Fatalf("bpftool map dump name task_creds: %v", err)
	}
	var entries []struct {
		Key       any `json:"key"`
		Formatted struct {
			Key int `json:"key"`
		} `json:"formatted"`
	}
	if err := json.Unmarshal(out, &entries); err != nil {
		t.Fatalf("bpftool output: %v: %.200s", err, out)
	}
	keys := map[int]bool{}
	for _, e := range entries {
		keys[e.Formatted.Key] = true
	}
	return keys
}

// A task's credentials leave the kernel's table when it exits.  Before, the
// table was an LRU never cleaned: a thread-heavy process evicted other
// tasks' entries, and their next root gain then passed as a "first sight".
func TestCredentialTableHoldsLiveTasksOnly(t *testing.T) {
	h := helper(t)
	startMonitor(t)
	cmd := exec.Command(h, "threads", "64")
	stdin, sc := startPiped(t, cmd)
	var tids []int
	for len(tids) < 64 && sc.Scan() {
		tid, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("helper printed %q", sc.Text())
		}
		tids = append(tids, tid)
	}
	if len(tids) != 64 {
		t.Fatalf("helper printed %d tids", len(tids))
	}
	live := credsKeys(t)
	for _, tid := range tids {
		if !live[tid] {
			t.Fatalf("thread %d, alive, is not in task_creds (%d entries): the test would prove nothing", tid, len(live))
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	// every thread has passed sched_process_exit before the wait returns
	after := credsKeys(t)
	for _, tid := range tids {
		if after[tid] {
			t.Errorf("thread %d exited but is still in task_creds", tid)
		}
	}
}

// A credential change is judged against the task's last known credentials
// (nothing is kept at a call's entry), and the kernel learns a task's at
// its birth, exec or monitored syscall.  A task older than the monitor
// whose first monitored call is a set-uid exec is known only because the
// monitor seeds the table from /proc at start: without the seed, this
// gain would pass unjudged.
func TestCredentialsOfTasksOlderThanTheMonitor(t *testing.T) {
	suid := setuidCopy(t, helper(t), "e2e-suid-old-")
	// nobody's shell, started and waiting before the monitor exists; its
	// next call after the read is the exec
	cmd := exec.Command(nobody[0], append(nobody[1:], "sh", "-c", `echo ready; read x; exec "$0" print-id`, suid)...)
	stdin, sc := startPiped(t, cmd)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("the shell said %q", sc.Text())
	}
	m := startMonitor(t)
	if _, err := stdin.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if !sc.Scan() || sc.Text() != "65534 0" {
		t.Fatalf("the set-uid copy did not run as euid 0: %q", sc.Text())
	}
	pid := cmd.Process.Pid
	r := m.waitFor(t, 10*time.Second, "privilege gain by exec", and(eventIs("privilege"), pidIs(pid)))
	if r.str("privilege", "means") != "exec" || r.num("privilege", "before", "euid") != 65534 ||
		r.num("privilege", "after", "euid") != 0 {
		t.Errorf("means=%q before=%v after=%v, want exec, euid 65534 -> 0", r.str("privilege", "means"),
			r.get("privilege", "before"), r.get("privilege", "after"))
	}
}

// Root gained behind the kernel's back (a kernel exploit writing a task's
// credentials in place, with no set*id call, exec or commit_creds) is seen
// at the task's next monitored call: its credentials no longer match the
// last ones recorded.  The record is planted with bpftool: the shell's
// entry says it was nobody (65534), with the capabilities it really has,
// so only the user ids tell.  Its next monitored call, kill -0, must raise
// an unexplained privilege gain.
func TestRootGainedBehindTheKernelsBackIsUnexplained(t *testing.T) {
	m := startMonitor(t)
	sh := exec.Command("sh", "-c", "read x; kill -0 $$; echo done; read y")
	stdin, stdout := startPiped(t, sh)
	pid := sh.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	caps := map[string]uint64{}
	for _, line := range strings.Split(string(status), "\n") {
		if k, v, ok := strings.Cut(line, ":\t"); ok && (k == "CapEff" || k == "CapPrm") {
			caps[k], _ = strconv.ParseUint(v, 16, 64)
		}
	}
	le := func(v uint64, n int) string {
		var b []string
		for i := 0; i < n; i++ {
			b = append(b, strconv.FormatUint(v>>(8*i)&0xff, 10))
		}
		return strings.Join(b, " ")
	}
	// struct cred_snap: uid, euid, suid, fsuid, gid, egid, sgid, fsgid,
	// cap_effective, cap_permitted
	value := strings.Repeat(le(65534, 4)+" ", 8) + le(caps["CapEff"], 8) + " " + le(caps["CapPrm"], 8)
	if out, err := exec.Command("sh", "-c", "bpftool map update name task_creds key "+le(uint64(pid), 4)+" value "+value).CombinedOutput(); err != nil {
		t.Fatalf("planting nobody's credentials: %v: %s", err, out)
	}
	stdin.Write([]byte("go\n"))
	if !stdout.Scan() || stdout.Text() != "done" {
		t.Fatalf("the shell did not run kill -0: %v", stdout.Err())
	}
	r := m.waitFor(t, 10*time.Second, "unexplained privilege gain", and(eventIs("privilege"), pidIs(pid)))
	if r.str("privilege", "means") != "unexplained" || r.str("severity") != "critical" {
		t.Errorf("privilege record = %v, severity %s", r.get("privilege"), r.str("severity"))
	}
	stdin.Close()
	sh.Wait()
	m.stop(t)
}
