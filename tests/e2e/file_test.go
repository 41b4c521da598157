package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func pathIs(p string) func(rec) bool {
	return func(r rec) bool { return r.str("file", "path") == p }
}

// runIn runs a command in dir and returns its pid.
func runIn(t *testing.T, dir string, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return cmd.Process.Pid
}

// exactlyOne waits for a matching record, then checks no second one came.
func (m *monitor) exactlyOne(t *testing.T, what string, pred func(rec) bool) rec {
	t.Helper()
	r := m.waitFor(t, 10*time.Second, what, pred)
	m.drain(t)
	if got := m.find(pred); len(got) != 1 {
		t.Errorf("%s: %d records, want exactly one: %v", what, len(got), got)
	}
	return r
}

func TestSensitiveFileOpens(t *testing.T) {
	m := startMonitor(t)
	catExe, _ := filepath.EvalSymlinks("/bin/cat")

	t.Run("cat /etc/shadow is one read of /etc/shadow", func(t *testing.T) {
		pid := runIn(t, "/", "cat", "/etc/shadow")
		r := m.exactlyOne(t, "open of /etc/shadow", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
		if r.str("file", "operation") != "read" || r.str("process", "exe") != catExe {
			t.Errorf("operation=%q exe=%q, want read %s", r.str("file", "operation"), r.str("process", "exe"), catExe)
		}
		if r.str("category") != "file" || r.get("file", "fd") == nil || r.get("file", "resolved") != true {
			t.Errorf("record = %v", r)
		}
		if got := r.strs("file", "flags"); len(got) == 0 || got[0] != "O_RDONLY" {
			t.Errorf("flags = %v, want O_RDONLY first", got)
		}
	})

	deep := filepath.Join(t.TempDir(), "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(deep, "/etc/shadow")
	link := filepath.Join(t.TempDir(), "x")
	if err := os.Symlink("/etc/shadow", link); err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		name, dir, arg string
	}{
		{"relative to the cwd (cd /etc && cat shadow)", "/etc", "shadow"},
		{"through .. from a deep cwd", deep, rel},
		{"through a symlink", "/", link},
	}
	for _, v := range variants {
		t.Run("path is resolved "+v.name, func(t *testing.T) {
			pid := runIn(t, v.dir, "cat", v.arg)
			r := m.exactlyOne(t, "open via "+v.arg, and(eventIs("open"), pidIs(pid)))
			if r.str("file", "path") != "/etc/shadow" {
				t.Errorf("path = %q, want /etc/shadow", r.str("file", "path"))
			}
			if r.str("file", "requested_path") != v.arg {
				t.Errorf("requested_path = %q, want %q", r.str("file", "requested_path"), v.arg)
			}
		})
	}

	t.Run("path is resolved through openat(dirfd, \"shadow\")", func(t *testing.T) {
		dfd, err := unix.Open("/etc", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(dfd)
		fd, err := unix.Openat(dfd, "shadow", unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
		r := m.waitFor(t, 10*time.Second, "openat via dirfd", func(r rec) bool {
			return r.str("event") == "open" && int(r.num("process", "pid")) == os.Getpid() &&
				r.str("file", "requested_path") == "shadow"
		})
		if r.str("file", "path") != "/etc/shadow" || int(r.num("file", "fd")) != fd {
			t.Errorf("path=%q fd=%v, want /etc/shadow %d", r.str("file", "path"), r.get("file", "fd"), fd)
		}
	})

	t.Run("an unprivileged read of /etc/shadow is reported with EACCES", func(t *testing.T) {
		for _, dir := range []string{"/", "/etc"} {
			arg := "/etc/shadow"
			if dir == "/etc" {
				arg = "shadow" // a failed relative open is joined to the cwd in the kernel
			}
			cmd := exec.Command("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "cat", arg)
			cmd.Dir = dir
			if err := cmd.Run(); err == nil {
				t.Fatal("nobody could read /etc/shadow")
			}
			r := m.exactlyOne(t, "failed open", and(eventIs("open"), pidIs(cmd.Process.Pid)))
			if r.str("error") != "EACCES" || r.str("file", "path") != "/etc/shadow" {
				t.Errorf("error=%q path=%q, want EACCES /etc/shadow", r.str("error"), r.str("file", "path"))
			}
			if r.num("process", "uid") != 65534 || r.str("severity") != "warn" {
				t.Errorf("uid=%v severity=%q, want 65534 warn", r.get("process", "uid"), r.str("severity"))
			}
			if r.get("file", "fd") != nil || r.get("file", "resolved") != false {
				t.Errorf("a failed open has no fd and is not resolved: %v", r.get("file"))
			}
		}
	})
	m.stop(t)
	m.assertAllJSON(t)
}

func TestWatchedPathChanges(t *testing.T) {
	dir := t.TempDir()
	// watched, not judged: truncate's open and its ftruncate would be one
	// alert (one process, one rule); each record is wanted here (the rule:
	// TestRules)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "rules:\n  watched-path-modified:\n    enabled: false\n")
	m := startMonitor(t, "--watch-path", dir, "--policy", pol)
	f := filepath.Join(dir, "f")
	g := filepath.Join(dir, "g")

	steps := []struct {
		event string
		cmd   []string
		check func(t *testing.T, r rec)
	}{
		{"open", []string{"sh", "-c", "echo data > f"}, func(t *testing.T, r rec) {
			if r.str("file", "path") != f || r.str("file", "operation") != "write" {
				t.Errorf("file = %v", r.get("file"))
			}
		}},
		{"truncate", []string{"truncate", "-s", "0", "f"}, func(t *testing.T, r rec) {
			if r.str("file", "path") != f || r.get("file", "resolved") != true {
				t.Errorf("ftruncate is resolved from its descriptor: %v", r.get("file"))
			}
		}},
		{"chmod", []string{"chmod", "u+s", "f"}, func(t *testing.T, r rec) {
			if !reflect.DeepEqual(r.strs("file", "mode_bits"), []string{"S_ISUID"}) || !strings.HasPrefix(r.str("file", "mode"), "4") {
				t.Errorf("mode=%q mode_bits=%v, want set-uid", r.str("file", "mode"), r.strs("file", "mode_bits"))
			}
		}},
		{"chown", []string{"chown", "1:2", "f"}, func(t *testing.T, r rec) {
			if r.num("file", "owner", "uid") != 1 || r.num("file", "owner", "gid") != 2 {
				t.Errorf("owner = %v, want 1:2", r.get("file", "owner"))
			}
		}},
		{"rename", []string{"mv", "f", "g"}, func(t *testing.T, r rec) {
			if r.str("file", "path") != f || r.str("file", "target_path") != g {
				t.Errorf("rename %q -> %q, want %s -> %s", r.str("file", "path"), r.str("file", "target_path"), f, g)
			}
		}},
		{"unlink", []string{"rm", "g"}, func(t *testing.T, r rec) {
			if r.str("file", "path") != g || r.str("error") != "" {
				t.Errorf("unlink = %v error %q", r.get("file"), r.str("error"))
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.event+" via "+strings.Join(s.cmd, " "), func(t *testing.T) {
			pid := runIn(t, dir, s.cmd[0], s.cmd[1:]...)
			r := m.exactlyOne(t, s.event, and(eventIs(s.event), pidIs(pid)))
			if r.str("category") != "file" || r.str("file", "class") != "custom" || hasRule(r, "watched-path-modified") {
				t.Errorf("category=%q class=%q rules=%v", r.str("category"), r.str("file", "class"), r.get("rules"))
			}
			s.check(t, r)
		})
	}
	m.stop(t)
	m.assertAllJSON(t)
}

// Each of the four open calls is seen once, whichever hook carries it:
// the function design may hook the one function they share
// (do_sys_openat2) instead of their entry points, which the loader proves
// at start by making each call itself; this proves it from outside.
func TestEachOpenCallIsSeen(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"open", "openat", "openat2"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// watched, not judged: each record is wanted (as in TestWatchedPathChanges)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "rules:\n  watched-path-modified:\n    enabled: false\n")
	m := startMonitor(t, "--watch-path", dir, "--policy", pol)
	calls := []struct {
		name string
		call func(path *byte) (uintptr, unix.Errno)
	}{
		{"open", func(p *byte) (uintptr, unix.Errno) {
			r, _, e := unix.Syscall(unix.SYS_OPEN, uintptr(unsafe.Pointer(p)), unix.O_WRONLY|unix.O_CLOEXEC, 0)
			return r, e
		}},
		{"openat", func(p *byte) (uintptr, unix.Errno) {
			cwd := unix.AT_FDCWD
			r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(p)), unix.O_WRONLY|unix.O_CLOEXEC, 0, 0, 0)
			return r, e
		}},
		{"creat", func(p *byte) (uintptr, unix.Errno) {
			r, _, e := unix.Syscall(unix.SYS_CREAT, uintptr(unsafe.Pointer(p)), 0o600, 0)
			return r, e
		}},
		{"openat2", func(p *byte) (uintptr, unix.Errno) {
			cwd := unix.AT_FDCWD
			how := unix.OpenHow{Flags: unix.O_WRONLY | unix.O_CLOEXEC}
			r, _, e := unix.Syscall6(unix.SYS_OPENAT2, uintptr(cwd), uintptr(unsafe.Pointer(p)),
				uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
			return r, e
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			p, err := unix.BytePtrFromString(path)
			if err != nil {
				t.Fatal(err)
			}
			fd, errno := c.call(p)
			if errno != 0 {
				t.Fatalf("%s %s: %v", c.name, path, errno)
			}
			unix.Close(int(fd))
			r := m.exactlyOne(t, c.name, and(eventIs("open"), pidIs(os.Getpid()), pathIs(path)))
			if r.str("file", "operation") != "write" || int(r.num("file", "fd")) != int(fd) {
				t.Errorf("operation=%q fd=%v, want write %d", r.str("file", "operation"), r.get("file", "fd"), fd)
			}
			if created, _ := r.get("file", "created").(bool); created != (c.name == "creat") {
				t.Errorf("created = %v", r.get("file", "created"))
			}
		})
	}
	m.stop(t)
	m.assertAllJSON(t)
}

// A busy machine opens ordinary files all the time: none of those may
// reach user space.  The monitor's own kernel counters prove the opens
// were seen and kept back.
func TestOrdinaryOpensAreFilteredInTheKernel(t *testing.T) {
	m := startMonitor(t, "-i", "1")
	before := m.statsAfter(t, time.Now())

	path := filepath.Join(t.TempDir(), "ordinary")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 100000
	for i := 0; i < n; i++ {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	}
	after := m.statsAfter(t, time.Now().Add(100*time.Millisecond))

	checked := after.num("monitor", "file_filter", "checked") - before.num("monitor", "file_filter", "checked")
	sent := after.num("monitor", "file_filter", "sent") - before.num("monitor", "file_filter", "sent")
	if checked < n {
		t.Errorf("the kernel checked %v opens, want at least %d: the hook did not see them", checked, n)
	}
	if sent > 20 { // other processes may touch watched files meanwhile
		t.Errorf("the kernel sent %v file events during %d ordinary opens", sent, n)
	}
	if got := m.find(func(r rec) bool { return r.str("file", "path") == path }); len(got) != 0 {
		t.Errorf("%d records for an ordinary file reached the output", len(got))
	}
	if lost := after.num("monitor", "lost", "total"); lost != 0 {
		t.Errorf("lost %v events", lost)
	}
	t.Logf("kernel checked %.0f opens, sent %.0f file events", checked, sent)
	m.stop(t)
}

func TestMonitorIgnoresItsOwnLogFile(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "monitor.log")
	m := startMonitor(t, "--watch-path", dir, "-l", logPath)
	pid := runIn(t, dir, "touch", "marker")
	m.waitFor(t, 10*time.Second, "open of the marker", and(eventIs("open"), pidIs(pid)))
	if got := m.find(pathIs(logPath)); len(got) != 0 {
		t.Errorf("the monitor reported its own log file: %v", got)
	}
	m.stop(t)
}

func TestOpeningAnotherProcessMemoryIsReported(t *testing.T) {
	m := startMonitor(t)
	target := exec.Command("sleep", "30")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	memPath := "/proc/" + strconv.Itoa(target.Process.Pid) + "/mem"

	pid := runIn(t, "/", "dd", "if="+memPath, "of=/dev/null", "bs=1", "count=0")
	r := m.exactlyOne(t, "open of "+memPath, and(eventIs("open"), pidIs(pid), pathIs(memPath)))
	if r.str("file", "class") != "process-memory" || r.str("severity") != "warn" {
		t.Errorf("class=%q severity=%q, want process-memory warn", r.str("file", "class"), r.str("severity"))
	}

	// a process reading its own memory is routine
	own := exec.Command("cat", "/proc/self/mem")
	_ = own.Run() // reading offset 0 fails with EIO; the open succeeds
	r = m.waitFor(t, 10*time.Second, "open of its own mem", and(eventIs("open"), pidIs(own.Process.Pid)))
	if r.str("file", "path") != "/proc/"+strconv.Itoa(own.Process.Pid)+"/mem" || r.str("severity") != "info" {
		t.Errorf("path=%q severity=%q, want its own mem at info", r.str("file", "path"), r.str("severity"))
	}
	m.stop(t)
}

// The kernel caches "not watched" verdicts per opened file (keyed by the
// file's dentry, parent, mount and inode); renaming the file's directory
// under a watched one changes none of those, so the rename must invalidate
// the cache or the next open would be missed.
func TestVerdictCacheFollowsRenames(t *testing.T) {
	watched := t.TempDir()
	m := startMonitor(t, "--watch-path", watched)
	dir := filepath.Join(t.TempDir(), "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // cached as not watched
		if b, err := os.ReadFile(filepath.Join(dir, "f")); err != nil || len(b) != 1 {
			t.Fatal(err)
		}
	}
	moved := filepath.Join(watched, "dir")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	pid := runIn(t, "/", "cat", filepath.Join(moved, "f"))
	r := m.exactlyOne(t, "open after the rename", and(eventIs("open"), pidIs(pid)))
	if r.str("file", "path") != filepath.Join(moved, "f") {
		t.Errorf("path = %q, want %q", r.str("file", "path"), filepath.Join(moved, "f"))
	}
	m.stop(t)
	if cached := m.find(eventIs("stop"))[0].num("monitor", "file_filter", "cached"); cached == 0 {
		t.Errorf("the verdict cache was never used (file_filter.cached = 0)")
	}
}

// The kernel also caches "not watched" verdicts of requested names (a file
// change by name, a failed open), keyed by the base directory, the root and
// the name.  The same name from the same directory must be reported once the
// directory has moved under a watched one; the same name from another
// directory is another key.
func TestNameCacheFollowsRenamesAndDirectories(t *testing.T) {
	watched := t.TempDir()
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "rules:\n  watched-path-modified:\n    enabled: false\n")
	m := startMonitor(t, "--watch-path", watched, "--policy", pol)
	dir := filepath.Join(t.TempDir(), "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := "cat missing 2>/dev/null; :"
	for i := 0; i < 3; i++ { // cached as not watched
		runIn(t, dir, "chmod", "600", "f")
		runIn(t, dir, "sh", "-c", missing)
	}
	moved := filepath.Join(watched, "dir")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	pid := runIn(t, moved, "chmod", "644", "f")
	r := m.exactlyOne(t, "chmod after the rename", and(eventIs("chmod"), pidIs(pid)))
	if r.str("file", "path") != filepath.Join(moved, "f") {
		t.Errorf("path = %q, want %q", r.str("file", "path"), filepath.Join(moved, "f"))
	}
	runIn(t, moved, "sh", "-c", missing)
	r = m.waitFor(t, 10*time.Second, "failed open after the rename", and(eventIs("open"), pathIs(filepath.Join(moved, "missing"))))
	if r.str("error") == "" {
		t.Errorf("open of a missing file without its error: %v", r.get("file"))
	}

	// the same name in another directory, watched: another key
	other := filepath.Join(watched, "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	unwatched := t.TempDir()
	if err := os.WriteFile(filepath.Join(unwatched, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	runIn(t, unwatched, "chmod", "600", "f")
	runIn(t, unwatched, "chmod", "644", "f")
	pid = runIn(t, other, "chmod", "600", "f")
	r = m.exactlyOne(t, "chmod of the same name elsewhere", and(eventIs("chmod"), pidIs(pid)))
	if r.str("file", "path") != filepath.Join(other, "f") {
		t.Errorf("path = %q, want %q", r.str("file", "path"), filepath.Join(other, "f"))
	}
	m.stop(t)
	if n := len(m.find(and(eventIs("chmod"), func(r rec) bool { return strings.HasPrefix(r.str("file", "path"), unwatched) }))); n != 0 {
		t.Errorf("%d chmods of an unwatched file reported", n)
	}
}

// Short-lived processes free their /proc dentries and inodes, and the next
// process's /proc/<pid>/mem can get the very addresses of the last one's
// /proc/<pid>/stat, whose verdict is "not watched": the cache must tell
// them apart (on 5.10, 27 of 300 such opens went unreported before it did,
// and 136 to 165 of this test's 200; 60 keep it quick under emulation).
func TestVerdictCacheTellsReusedAddressesApart(t *testing.T) {
	m := startMonitor(t)
	const n = 60
	script := `for i in $(seq ` + strconv.Itoa(n) + `); do
  head -c1 /proc/self/stat >/dev/null; cat /proc/self/mem 2>/dev/null; head -c1 /proc/self/status >/dev/null
done`
	if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m.drain(t)
	cats := map[int]bool{}
	for _, r := range m.find(eventIs("exec")) {
		if a := r.strs("process", "args"); len(a) == 2 && a[0] == "cat" && a[1] == "/proc/self/mem" {
			cats[int(r.num("process", "pid"))] = true
		}
	}
	if len(cats) != n {
		t.Fatalf("%d execs of cat /proc/self/mem seen, want %d", len(cats), n)
	}
	missed := 0
	for pid := range cats {
		mem := "/proc/" + strconv.Itoa(pid) + "/mem"
		if len(m.find(and(eventIs("open"), pidIs(pid), pathIs(mem)))) == 0 {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d opens of a process's own /proc/<pid>/mem unreported", missed, n)
	}
	m.stop(t)
}

// A BTF file given with --btf-file (here the kernel's own types, cut to
// what the objects use by bpftool, as BTFHub's files are) is what libbpf
// relocates against.  Its type ids are not the kernel's: the programs must
// not hand them to the kernel (bpf_rdonly_cast, 6.2+), and opens must still
// come with their paths and descriptors.
func TestABTFFileForCORE(t *testing.T) {
	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Fatalf("bpftool (make deps installs it): %v", err)
	}
	btfFile := filepath.Join(t.TempDir(), "min.btf")
	out, err := exec.Command(bpftool, "gen", "min_core_btf", "/sys/kernel/btf/vmlinux", btfFile,
		"../../monitor/log_monitor.bpf.o", "../../monitor/log_monitor.5.17.bpf.o",
		"../../monitor/log_monitor.6.4.bpf.o").CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool gen min_core_btf: %v\n%s", err, out)
	}
	m := startMonitor(t, "--btf-file", btfFile)
	start := m.waitFor(t, 5*time.Second, "start record", eventIs("start"))
	if got := start.str("monitor", "bpf_object"); got != "log_monitor.bpf.o" {
		t.Errorf("monitor.bpf_object is %q with a --btf-file, want the build that never casts", got)
	}
	pid := runIn(t, "/etc", "cat", "shadow")
	r := m.exactlyOne(t, "open of /etc/shadow", and(eventIs("open"), pidIs(pid)))
	if r.str("file", "path") != "/etc/shadow" || r.get("file", "fd") == nil || r.get("file", "resolved") != true {
		t.Errorf("file = %v, want /etc/shadow resolved with its fd", r.get("file"))
	}
	m.stop(t)
	m.assertAllJSON(t)
}
