package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// One monitor serves the process tests: starting it costs a BPF load.
func TestProcessEvents(t *testing.T) {
	m := startMonitor(t)

	t.Run("exec of /bin/true with arguments is reported with the resolved exe", func(t *testing.T) {
		cmd := exec.Command("/bin/true", "a", "b", "c")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		r := m.waitFor(t, 10*time.Second, "exec of /bin/true", and(eventIs("exec"), pidIs(pid)))

		if got, want := r.strs("process", "args"), []string{"/bin/true", "a", "b", "c"}; !reflect.DeepEqual(got, want) {
			t.Errorf("args = %q, want %q", got, want)
		}
		wantExe, _ := filepath.EvalSymlinks("/bin/true") // /usr/bin/true on merged-/usr systems
		if got := r.str("process", "exe"); got != wantExe {
			t.Errorf("exe = %q, want %q (the file the kernel ran)", got, wantExe)
		}
		if got := r.str("exec", "filename"); got != "/bin/true" {
			t.Errorf("exec.filename = %q, want the path passed, /bin/true", got)
		}
		if r.get("exec", "exe_truncated") != nil {
			t.Errorf("exec.exe_truncated = %v on /bin/true, want it absent", r.get("exec", "exe_truncated"))
		}
		if got := int(r.num("process", "ppid")); got != os.Getpid() {
			t.Errorf("ppid = %d, want the test's pid %d", got, os.Getpid())
		}
		if r.num("exec", "ret") != 0 || r.str("error") != "" {
			t.Errorf("successful exec has ret=%v error=%q", r.get("exec", "ret"), r.str("error"))
		}
		if r.get("process", "args_truncated") != false {
			t.Errorf("args_truncated = %v, want false", r.get("process", "args_truncated"))
		}
		if r.str("process", "comm") != "true" || r.str("category") != "process" || r.str("severity") != "info" {
			t.Errorf("comm/category/severity = %q/%q/%q", r.str("process", "comm"), r.str("category"), r.str("severity"))
		}
		cwd, _ := os.Getwd()
		if got := r.str("process", "cwd"); got != cwd {
			t.Errorf("cwd = %q, want %q", got, cwd)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.str("time")); err != nil {
			t.Errorf("time %q is not RFC 3339: %v", r.str("time"), err)
		}
		anc, _ := r.get("process", "ancestry").([]any)
		if len(anc) == 0 {
			t.Fatalf("no ancestry in %v", r)
		}
		first, _ := anc[0].(map[string]any)
		if int(first["pid"].(float64)) != os.Getpid() {
			t.Errorf("ancestry[0] = %v, want the test process %d", first, os.Getpid())
		}
		self, _ := os.Executable()
		if first["exe"] != self {
			t.Errorf("ancestry[0].exe = %v, want %s", first["exe"], self)
		}

		exit := m.waitFor(t, 10*time.Second, "exit of /bin/true", and(eventIs("exit"), pidIs(pid)))
		if exit.num("exit", "code") != 0 || exit.str("process", "exe") != wantExe {
			t.Errorf("exit = %v", exit)
		}
	})

	// The kernel walks at most MAX_PATH_DEPTH (64) names of a path
	// (bpf/common.h, walk_dentry): a deeper one is cut at the top.  A
	// loop of ours walks it before 5.17, bpf_loop from 5.17: both must
	// stop at the same name.
	t.Run("the exe of a program 70 directories down is its last 64 names, flagged", func(t *testing.T) {
		var names []string
		for i := range 70 {
			names = append(names, fmt.Sprintf("d%d", i))
		}
		deep := filepath.Join(append([]string{t.TempDir()}, names...)...)
		if err := os.MkdirAll(deep, 0o755); err != nil {
			t.Fatal(err)
		}
		bin, err := os.ReadFile("/bin/true")
		if err != nil {
			t.Fatal(err)
		}
		exe := filepath.Join(deep, "true")
		if err := os.WriteFile(exe, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe)
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		r := m.waitFor(t, 10*time.Second, "exec of the deep true", and(eventIs("exec"), pidIs(cmd.Process.Pid)))
		want := "/" + strings.Join(append(names[len(names)-63:], "true"), "/")
		if got := r.str("process", "exe"); got != want {
			t.Errorf("exe = %q, want its last 64 names %q", got, want)
		}
		if r.get("exec", "exe_truncated") != true {
			t.Errorf("exec.exe_truncated = %v, want true: the exe is cut", r.get("exec", "exe_truncated"))
		}
		// the cwd (the test's) is whole
		if r.get("exec", "cwd_truncated") != nil {
			t.Errorf("exec.cwd_truncated = %v, want it absent", r.get("exec", "cwd_truncated"))
		}
	})

	t.Run("failed exec of a missing path is reported with ENOENT", func(t *testing.T) {
		missing := fmt.Sprintf("/nonexistent-%d/missing-binary", time.Now().UnixNano())
		cmd := exec.Command(missing, "x", "y")
		if err := cmd.Run(); err == nil {
			t.Fatal("exec of a missing path succeeded")
		}
		r := m.waitFor(t, 10*time.Second, "failed exec", func(r rec) bool {
			return r.str("event") == "exec" && r.str("exec", "filename") == missing
		})
		if r.num("exec", "ret") != -2 || r.str("error") != "ENOENT" {
			t.Errorf("ret=%v error=%q, want -2 ENOENT", r.get("exec", "ret"), r.str("error"))
		}
		if got, want := r.strs("process", "args"), []string{missing, "x", "y"}; !reflect.DeepEqual(got, want) {
			t.Errorf("args = %q, want %q", got, want)
		}
		// the failing exec runs in the forked child, whose parent is us
		if got := int(r.num("process", "ppid")); got != os.Getpid() {
			t.Errorf("ppid = %d, want %d", got, os.Getpid())
		}
	})

	t.Run("exit code and killing signal are reported", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", "exit 7")
		_ = cmd.Run()
		r := m.waitFor(t, 10*time.Second, "exit 7", and(eventIs("exit"), pidIs(cmd.Process.Pid)))
		if r.num("exit", "code") != 7 || r.get("exit", "signal") != nil {
			t.Errorf("exit = %v, want code 7 and no signal", r.get("exit"))
		}
		if r.num("exit", "lifetime_ns") <= 0 {
			t.Errorf("lifetime_ns = %v, want > 0", r.get("exit", "lifetime_ns"))
		}

		cmd = exec.Command("/bin/sh", "-c", "kill -KILL $$")
		_ = cmd.Run()
		r = m.waitFor(t, 10*time.Second, "killed exit", and(eventIs("exit"), pidIs(cmd.Process.Pid)))
		if r.num("exit", "signal") != float64(syscall.SIGKILL) || r.str("exit", "signal_name") != "SIGKILL" {
			t.Errorf("exit = %v, want signal 9 SIGKILL", r.get("exit"))
		}
	})

	t.Run("fork is reported with the child pid", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", "/bin/true & wait $!; echo $!")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		child, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		r := m.waitFor(t, 10*time.Second, "fork", and(eventIs("fork"), pidIs(cmd.Process.Pid)))
		if int(r.num("fork", "child_pid")) != child {
			t.Errorf("fork child_pid = %v, want %d", r.get("fork", "child_pid"), child)
		}
		// the child's exec carries the shell in its ancestry
		e := m.waitFor(t, 10*time.Second, "child exec", and(eventIs("exec"), pidIs(child)))
		anc, _ := e.get("process", "ancestry").([]any)
		if len(anc) < 2 || int(anc[0].(map[string]any)["pid"].(float64)) != cmd.Process.Pid ||
			int(anc[1].(map[string]any)["pid"].(float64)) != os.Getpid() {
			t.Errorf("ancestry of the child = %v, want [sh %d, test %d, ...]", anc, cmd.Process.Pid, os.Getpid())
		}
	})

	t.Run("a thread exiting does not report a process exit", func(t *testing.T) {
		// the monitor itself runs many threads; none of them may produce an
		// exit record while it runs
		if got := m.find(and(eventIs("exit"), pidIs(m.cmd.Process.Pid))); len(got) != 0 {
			t.Errorf("exit records for the running monitor: %v", got)
		}
	})

	t.Run("SIGTERM prints the final stats, exits 0 and detaches every program", func(t *testing.T) {
		ids := programsOf(t, m.cmd.Process.Pid)
		if len(ids) == 0 {
			t.Fatal("bpftool shows no programs owned by the running monitor")
		}
		if code := m.stop(t); code != 0 {
			t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, m.stderr.String())
		}
		stop := m.find(eventIs("stop"))
		if len(stop) != 1 || stop[0].get("monitor", "final") != true {
			t.Fatalf("want one final stop record, got %v", stop)
		}
		if stop[0].num("monitor", "lost", "total") != 0 {
			t.Errorf("events lost in a quiet test run: %v", stop[0].get("monitor", "lost"))
		}
		if still := programsStillLoaded(t, ids, 2*time.Second); len(still) > 0 {
			t.Errorf("programs %v still loaded 2s after exit", still)
		}
		m.assertAllJSON(t)
	})
}

type bpftoolProg struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func bpftoolProgs(t *testing.T) []bpftoolProg {
	t.Helper()
	out, err := exec.Command("bpftool", "-j", "prog", "show").Output()
	if err != nil {
		t.Fatalf("bpftool prog show: %v", err)
	}
	var progs []bpftoolProg
	if err := json.Unmarshal(out, &progs); err != nil {
		t.Fatalf("bpftool output: %v", err)
	}
	return progs
}

// programsOf lists the ids of BPF programs whose file descriptors pid
// holds (from /proc/PID/fdinfo: bpftool's own pid column needs a BPF
// iterator, which some kernels refuse).
func programsOf(t *testing.T, pid int) []int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	var ids []int
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "prog_id:"); ok {
				id, _ := strconv.Atoi(strings.TrimSpace(v))
				if id > 0 && !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// programsStillLoaded waits up to d for programs to be freed (after an RCU
// grace period) and returns those still loaded.
func programsStillLoaded(t *testing.T, ids []int, d time.Duration) []int {
	t.Helper()
	var still []int
	for deadline := time.Now().Add(d); ; {
		left := allProgramIDs(t)
		still = still[:0]
		for _, id := range ids {
			if left[id] {
				still = append(still, id)
			}
		}
		if len(still) == 0 || time.Now().After(deadline) {
			return still
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func allProgramIDs(t *testing.T) map[int]bool {
	ids := map[int]bool{}
	for _, p := range bpftoolProgs(t) {
		ids[p.ID] = true
	}
	return ids
}

// env, a shell, execvp: a PATH search tries each directory, and each miss
// is a failed exec.  The misses are one record: the exec that found the
// program says how many directories missed; a search that finds nothing
// is its last miss, with the count of the others.
func TestAPathSearchIsOneRecord(t *testing.T) {
	m := startMonitor(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a") + ":" + filepath.Join(dir, "b") + ":/usr/bin:/bin"
	found := exec.Command("env", "PATH="+path, "true")
	if out, err := found.CombinedOutput(); err != nil {
		t.Fatalf("env true: %v: %s", err, out)
	}
	lost := exec.Command("env", "PATH="+filepath.Join(dir, "a")+":"+filepath.Join(dir, "b")+":"+filepath.Join(dir, "c"), "e2e-nosuch")
	if err := lost.Run(); err == nil {
		t.Fatal("env found a program that does not exist")
	}
	m.drain(t)
	r := m.exactlyOne(t, "the exec that found true", and(eventIs("exec"), pidIs(found.Process.Pid), func(r rec) bool {
		return r.str("error") == "" && r.str("exec", "filename") != "/usr/bin/env"
	}))
	if r.num("exec", "path_misses") != 2 || filepath.Base(r.str("exec", "filename")) != "true" {
		t.Errorf("found: exec %v, want /usr/bin/true after 2 misses", r.get("exec"))
	}
	if got := m.find(and(eventIs("exec"), pidIs(found.Process.Pid), func(r rec) bool { return r.str("error") != "" })); len(got) != 0 {
		t.Errorf("%d failed execs printed for a search that found its program", len(got))
	}
	miss := m.exactlyOne(t, "the search that found nothing", and(eventIs("exec"), pidIs(lost.Process.Pid), func(r rec) bool {
		return r.str("error") == "ENOENT"
	}))
	if miss.num("exec", "path_misses") != 2 || miss.str("exec", "filename") != filepath.Join(dir, "c", "e2e-nosuch") {
		t.Errorf("not found: exec %v, want the last miss with 2 before it", miss.get("exec"))
	}
	m.stop(t)
}

// An exec killed after task_rename (past the point of no return) leaves its
// note in exec_calls, the map that tells sched_process_exec which syscall
// an exec came through.  A later task given the same tid whose exec the
// kernel starts (no syscall: here the core-dump helper, which a kworker
// spawns) must not take that dead note's flags.  The stale note is planted
// with bpftool for the tid the helper will get (ns_last_pid), claiming an
// i386 execveat; the helper's exec must say neither.
func TestStaleExecNoteIsNotTaken(t *testing.T) {
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	const corePattern = "/proc/sys/kernel/core_pattern"
	const lastPid = "/proc/sys/kernel/ns_last_pid"
	saved, err := os.ReadFile(corePattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.WriteFile(corePattern, saved, 0o644) })
	m := startMonitor(t)
	for attempt := 1; attempt <= 10; attempt++ {
		marker := fmt.Sprintf("e2e-core-%d-%d", os.Getpid(), attempt)
		if err := os.WriteFile(corePattern, []byte("|"+truePath+" "+marker), 0o644); err != nil {
			t.Fatalf("core_pattern: %v", err)
		}
		// the process that will crash exists before the tid is chosen
		crasher := exec.Command("sh", "-c", "read x; kill -SEGV $$")
		stdin, _ := startPiped(t, crasher)
		b, err := os.ReadFile(lastPid)
		if err != nil {
			t.Fatal(err)
		}
		last, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		tid := last + 50
		// struct exec_call: start_time (a time no live task has), flags
		// (EXEC_F_EXECVEAT | EXEC_F_COMPAT), pad
		key := fmt.Sprintf("%d %d %d %d", tid&0xff, tid>>8&0xff, tid>>16&0xff, tid>>24&0xff)
		value := "1 0 0 0 0 0 0 0  16 8 0 0  0 0 0 0"
		if out, err := exec.Command("sh", "-c", "bpftool map update name exec_calls key "+key+" value "+value).CombinedOutput(); err != nil {
			t.Fatalf("planting a stale note: %v: %s", err, out)
		}
		if err := os.WriteFile(lastPid, []byte(strconv.Itoa(tid-1)), 0o644); err != nil {
			t.Fatalf("ns_last_pid: %v", err)
		}
		stdin.Write([]byte("go\n"))
		crasher.Wait()
		r := m.waitFor(t, 10*time.Second, "the core-dump helper's exec", func(r rec) bool {
			a := r.strs("process", "args")
			return r.str("event") == "exec" && len(a) == 2 && a[1] == marker
		})
		exec.Command("sh", "-c", "bpftool map delete name exec_calls key "+key).Run()
		if got := int(r.num("process", "pid")); got != tid {
			t.Logf("attempt %d: the helper got tid %d, not %d (another task was created between): again", attempt, got, tid)
			continue
		}
		if r.get("exec", "execveat") == true || r.get("process", "compat") == true {
			t.Fatalf("the kernel-started exec took a dead task's note (execveat %v, compat %v): %v",
				r.get("exec", "execveat"), r.get("process", "compat"), r)
		}
		m.stop(t)
		return
	}
	t.Fatal("in 10 attempts the core-dump helper never got the tid chosen for it")
}
