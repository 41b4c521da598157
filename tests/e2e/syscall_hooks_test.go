package e2e

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// The start record says how syscalls are seen, and why not through
// function hooks when it is not.  E2E_EXPECT_SYSCALL_HOOKS (make vmtest
// sets it for the kernels whose design it knows) makes the suite fail if
// the monitor fell back, so that "the suite passed in function-hook mode"
// cannot be a suite that quietly ran on tracepoints.
func TestStartRecordSaysHowSyscallsAreSeen(t *testing.T) {
	m := startMonitor(t)
	start := m.waitFor(t, 5*time.Second, "start record", func(r rec) bool { return r.str("event") == "start" })
	how, why := start.str("monitor", "syscall_hooks"), start.str("monitor", "syscall_hooks_reason")
	switch how {
	case "functions":
		if why != "" {
			t.Errorf("functions with a reason for not using them: %q", why)
		}
		hooks, _ := start.get("monitor", "hooks").([]any)
		funcs := 0
		for _, h := range hooks {
			hm := h.(map[string]any)
			name, _ := hm["name"].(string)
			if name == "tp_btf/sys_enter" || name == "tp_btf/sys_exit" {
				if hm["status"] != "superseded" {
					t.Errorf("%s is %v beside function hooks: every syscall would pay for it", name, hm["status"])
				}
			}
			if fs, ok := hm["functions"].([]any); ok {
				funcs += len(fs)
				if hm["status"] != "attached" {
					t.Errorf("%s: %v", name, hm)
				}
			}
		}
		if funcs == 0 {
			t.Error("function hooks with no function listed")
		}
		t.Logf("function hooks on %d functions", funcs)
	case "tracepoints":
		if why == "" {
			t.Error("tracepoints with --syscall-hooks auto, and no reason given")
		}
		t.Logf("tracepoints: %s", why)
	default:
		t.Fatalf("monitor.syscall_hooks is %q", how)
	}
	if want := os.Getenv("E2E_EXPECT_SYSCALL_HOOKS"); want != "" && how != want {
		t.Errorf("syscalls seen through %s (%s), this kernel should give %s", how, why, want)
	}
	// the build of the programs for this kernel (monitor/embed.go)
	object := "log_monitor.bpf.o"
	if kernelAtLeast(t, 6, 4) {
		object = "log_monitor.6.4.bpf.o"
	} else if kernelAtLeast(t, 5, 17) {
		object = "log_monitor.5.17.bpf.o"
	}
	if got := start.str("monitor", "bpf_object"); got != object {
		t.Errorf("monitor.bpf_object is %q on %s, want %s", got, release(t), object)
	}
	m.stop(t)
}

// Asking for function hooks on a kernel without them is a clear error,
// not a monitor that runs on something else; asking for tracepoints
// always works.
func TestSyscallHooksAsked(t *testing.T) {
	m := startMonitor(t, "--syscall-hooks", "tracepoints")
	start := m.waitFor(t, 5*time.Second, "start record", func(r rec) bool { return r.str("event") == "start" })
	if got := start.str("monitor", "syscall_hooks"); got != "tracepoints" {
		t.Errorf("--syscall-hooks tracepoints: %q", got)
	}
	m.stop(t)
	if os.Getenv("E2E_EXPECT_SYSCALL_HOOKS") == "functions" {
		return // the next case needs a kernel without them
	}
	probe := startMonitor(t)
	if probe.waitFor(t, 5*time.Second, "start record", func(r rec) bool { return r.str("event") == "start" }).str("monitor", "syscall_hooks") == "functions" {
		probe.stop(t)
		return
	}
	probe.stop(t)
	code, stderr := runMonitor(t, monitorBin, "--syscall-hooks", "functions")
	if code == 0 || !strings.Contains(stderr, "--syscall-hooks functions") {
		t.Errorf("--syscall-hooks functions on a kernel without them: exit %d, stderr %q", code, stderr)
	}
}

// A kretprobe.multi link has a fixed number of return instances (twice
// the CPUs per function): calls blocked in its functions beyond that have
// their return missed, and with it their record.  The kernel counts those
// (Linux 6.7 and later), and the monitor must say so, as
// lost.kernel.runs_skipped, rather than lose them silently.  Here more
// threads than there are instances block in accept(2) at once.
func TestMissedReturnsAreCountedAsLost(t *testing.T) {
	m := startMonitor(t)
	start := m.waitFor(t, 5*time.Second, "start record", func(r rec) bool { return r.str("event") == "start" })
	funcs := 0
	hooks, _ := start.get("monitor", "hooks").([]any)
	for _, h := range hooks {
		hm := h.(map[string]any)
		if name, _ := hm["name"].(string); strings.Contains(name, "kretprobe.multi/") {
			fs, _ := hm["functions"].([]any)
			funcs += len(fs)
		}
	}
	if funcs == 0 {
		m.stop(t)
		t.Skipf("no kretprobe.multi link here (syscall_hooks %q): nothing has a bound to exceed", start.str("monitor", "syscall_hooks"))
	}
	instances := funcs * 2 * possibleCPUs(t)
	n := instances + 64

	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0) // blocking: accept sleeps in the kernel
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(ln, 16); err != nil {
		t.Fatal(err)
	}
	// accept4 (x/sys's Accept; x86-64 288); EINVAL once the socket is shut down
	done := blockThreads(t, n, 288, "accept4", func() { unix.Accept(ln) })
	unix.Shutdown(ln, unix.SHUT_RDWR)
	done()
	m.stop(t)
	stop := m.find(eventIs("stop"))[0]
	skipped := stop.num("monitor", "lost", "kernel", "runs_skipped")
	t.Logf("%d threads blocked in accept4, %d return instances over %d functions: runs_skipped %v", n, instances, funcs, skipped)
	if !kernelAtLeast(t, 6, 7) {
		t.Skipf("kernel %s does not count missed returns (6.7 and later do)", release(t))
	}
	if skipped < float64(n-instances) {
		t.Errorf("runs_skipped = %v, want at least %d (%d calls blocked, %d instances)", skipped, n-instances, n, instances)
	}
}

// Without fprobes (Debian's 6.1) the kretprobes are one tracefs event of
// the monitor's, a probe per function, each with its own number of return
// instances, written in kprobe_events ("r256:group/event function").  The
// kernel counts the calls that found none in kprobe_profile, and the
// monitor must report them as lost.kernel.runs_skipped.  Here more threads
// than sendmsg's probe has instances block in sendmsg(2), on a Unix
// datagram socket whose peer's queue is full.  At exit the event is gone.
func TestMissedReturnsOfAKretprobeEventAreCountedAsLost(t *testing.T) {
	m := startMonitor(t)
	start := m.waitFor(t, 5*time.Second, "start record", func(r rec) bool { return r.str("event") == "start" })
	if !usesKretprobeEvent(start) {
		m.stop(t)
		t.Skipf("no kretprobe event here (syscall_hooks %q)", start.str("monitor", "syscall_hooks"))
	}
	const fn = "__x64_sys_sendmsg"
	defs, err := os.ReadFile("/sys/kernel/tracing/kprobe_events")
	if err != nil {
		t.Fatal(err)
	}
	instances, event := 0, ""
	for _, line := range strings.Split(string(defs), "\n") {
		// r256:ebpf_log_monitor/calls_4026531836_42 __x64_sys_sendmsg
		def, target, _ := strings.Cut(line, " ")
		kind, ev, _ := strings.Cut(def, ":")
		if target == fn && strings.HasPrefix(ev, "ebpf_log_monitor/") {
			instances, _ = strconv.Atoi(strings.TrimPrefix(kind, "r"))
			event = ev
		}
	}
	if instances == 0 {
		t.Fatalf("no kretprobe of ours on %s in kprobe_events:\n%s", fn, defs)
	}
	n := instances + 64

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	// fill the peer's queue without blocking (and without sendmsg)
	for {
		if err := unix.Sendto(fds[0], []byte("x"), unix.MSG_DONTWAIT, nil); err != nil {
			if err != unix.EAGAIN {
				t.Fatal(err)
			}
			break
		}
	}
	// sendmsg (x86-64 46), which fails once the peer is closed
	done := blockThreads(t, n, 46, "sendmsg", func() { unix.SendmsgN(fds[0], []byte("y"), nil, nil, 0) })
	unix.Close(fds[1])
	done()
	m.stop(t)
	stop := m.find(eventIs("stop"))[0]
	skipped := stop.num("monitor", "lost", "kernel", "runs_skipped")
	t.Logf("%d threads blocked in sendmsg, %d return instances: runs_skipped %v", n, instances, skipped)
	if skipped < float64(n-instances) {
		t.Errorf("runs_skipped = %v, want at least %d (%d calls blocked, %d instances)", skipped, n-instances, n, instances)
	}
	if defs, _ := os.ReadFile("/sys/kernel/tracing/kprobe_events"); strings.Contains(string(defs), event+" ") {
		t.Errorf("the monitor left its kretprobe event %s in kprobe_events", event)
	}
}

// A monitor killed with SIGKILL cannot delete its tracefs kretprobe event:
// the next start deletes it (its pid is not alive), and makes its own.
// The killed one stays a zombie meanwhile, as a parent slow to reap it
// leaves it: its pid still exists, but its descriptors are gone.
func TestKilledMonitorsKretprobeEventIsDeletedAtTheNextStart(t *testing.T) {
	first := startMonitor(t)
	killed := eventOf(t, first.cmd.Process.Pid)
	if killed == "" {
		first.stop(t)
		t.Skip("no kretprobe event here (a kernel with fprobes, or without function hooks)")
	}
	first.cmd.Process.Kill()
	// the marker: the kernel has it a zombie
	stat := fmt.Sprintf("/proc/%d/stat", first.cmd.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	for b, _ := os.ReadFile(stat); !strings.Contains(string(b), ") Z "); b, _ = os.ReadFile(stat) {
		if time.Now().After(deadline) {
			t.Fatalf("the killed monitor is not a zombie after 30 s: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if eventOf(t, first.cmd.Process.Pid) != killed {
		t.Fatalf("after SIGKILL the killed monitor's event %s is gone: nothing to test", killed)
	}
	m := startMonitor(t)
	first.cmd.Wait()
	if eventOf(t, m.cmd.Process.Pid) == "" {
		t.Errorf("the next monitor made no event of its own")
	}
	if eventOf(t, eventPid(killed)) != "" {
		t.Errorf("the killed monitor's event %s is still there at the next start; stderr:\n%s", killed, m.stderr.String())
	}
	m.stop(t)
	if ev := eventOf(t, m.cmd.Process.Pid); ev != "" {
		t.Errorf("event %s left after a clean stop", ev)
	}
}

// eventOf is the monitor pid's event in kprobe_events, "" if none.
func eventOf(t *testing.T, pid int) string {
	b, err := os.ReadFile("/sys/kernel/tracing/kprobe_events")
	if err != nil {
		t.Skipf("no tracefs kprobe_events: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		def, _, _ := strings.Cut(line, " ")
		if _, ev, _ := strings.Cut(def, ":"); strings.HasPrefix(ev, "ebpf_log_monitor/") && eventPid(ev) == pid {
			return ev
		}
	}
	return ""
}

// eventPid is the pid in an event's name (ebpf_log_monitor/calls_<pidns>_<pid>).
func eventPid(ev string) int {
	pid, _ := strconv.Atoi(ev[strings.LastIndexByte(ev, '_')+1:])
	return pid
}

// blockThreads runs call on n threads of their own and returns once all n
// are inside syscall nr in the kernel (the marker: /proc's syscall of each
// thread); the function it returns waits for the calls to return.
func blockThreads(t *testing.T, n, nr int, name string, call func()) (wait func()) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // one thread per blocked call
			call()
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for blockedIn(t, nr) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d threads blocked in %s", blockedIn(t, nr), n, name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return wg.Wait
}

// possibleCPUs is how many CPUs the kernel sized its per-CPU pools for.
func possibleCPUs(t *testing.T) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if found {
			z, _ = strconv.Atoi(hi)
		}
		n += z - a + 1
	}
	return n
}

// blockedIn counts this process's threads inside syscall nr.
func blockedIn(t *testing.T, nr int) int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, e := range ents {
		b, err := os.ReadFile("/proc/self/task/" + e.Name() + "/syscall")
		if err == nil && strings.HasPrefix(string(b), strconv.Itoa(nr)+" ") {
			c++
		}
	}
	return c
}

func release(t *testing.T) string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	return unix.ByteSliceToString(u.Release[:])
}

func kernelAtLeast(t *testing.T, major, minor int) bool {
	var a, b int
	fmt.Sscanf(release(t), "%d.%d", &a, &b)
	return a > major || a == major && b >= minor
}

// hookFunctions is the sorted functions of the start record's hook name.
func hookFunctions(start rec, name string) []string {
	hooks, _ := start.get("monitor", "hooks").([]any)
	for _, h := range hooks {
		if hm := h.(map[string]any); hm["name"] == name {
			var fs []string
			for _, f := range hm["functions"].([]any) {
				fs = append(fs, f.(string))
			}
			sort.Strings(fs)
			return fs
		}
	}
	return nil
}

// The loader proves at start that the hook on the function the opens share
// (do_sys_openat2) sees each of them, by making each call itself; a call
// it did not see makes it hook the opens' entry points instead.  Here a
// seccomp filter refuses the monitor's own creat(2) before the call
// reaches the kernel's open code, as a kernel that had inlined that
// function into creat's entry point would hide it: the monitor must fall
// back, say so, and still see opens.
func TestOpensGoToTheirEntryPointsWhenTheSharedHookMissesOne(t *testing.T) {
	skipUnlessOpensShared(t)
	args := []string{"deny-creat-exec", monitorBin, "-f", "json", "--events", "all", "-i", "0", "--syscall-hooks", "functions"}
	m := startMonitorCmd(t, isMonitorStart, helper(t), args...)
	assertOpensOnEntryPoints(t, m, "with creat refused to the monitor")
	if s := m.stderr.String(); !strings.Contains(s, "hooking the opens' entry points instead") || !strings.Contains(s, "creat") {
		t.Errorf("the fall-back is not said on stderr:\n%s", tailLines(s, 10))
	}
}

// skipUnlessOpensShared starts the monitor once and skips the test unless
// it hooks the opens on do_sys_openat2 here.
func skipUnlessOpensShared(t *testing.T) {
	t.Helper()
	m := startMonitor(t)
	start := m.waitFor(t, 5*time.Second, "start record", isMonitorStart)
	m.stop(t)
	if fs := hookFunctions(start, "fexit/open"); !equalStrs(fs, []string{"do_sys_openat2"}) {
		t.Skipf("the opens are not on do_sys_openat2 here (syscall_hooks %q, fexit/open %v)", start.str("monitor", "syscall_hooks"), fs)
	}
}

// assertOpensOnEntryPoints checks that m, started with function hooks,
// put the opens on their four entry points (why: what moved them) and
// sees an open there; m is stopped after.
func assertOpensOnEntryPoints(t *testing.T, m *monitor, why string) {
	t.Helper()
	start := m.waitFor(t, 5*time.Second, "start record", isMonitorStart)
	want := []string{"__x64_sys_creat", "__x64_sys_open", "__x64_sys_openat", "__x64_sys_openat2"}
	if fs := hookFunctions(start, "fexit/open"); !equalStrs(fs, want) {
		t.Errorf("%s: fexit/open on %v, want the entry points %v", why, fs, want)
	}
	if got := start.str("monitor", "syscall_hooks"); got != "functions" {
		t.Errorf("%s: syscall_hooks %q, want functions", why, got)
	}
	pid := runIn(t, "/", "cat", "/etc/shadow")
	m.exactlyOne(t, "open of /etc/shadow on the entry points", and(eventIs("open"), pidIs(pid), pathIs("/etc/shadow")))
	m.stop(t)
}

// fillTrampoline attaches empty fexit programs to fn until the kernel
// refuses one, as another tool's may have (BPF_MAX_TRAMP_LINKS programs
// share a function's trampoline), and returns how many it holds; they are
// detached when the test ends.
func fillTrampoline(t *testing.T, fn string) int {
	t.Helper()
	spec := &ebpf.ProgramSpec{Type: ebpf.Tracing, AttachType: ebpf.AttachTraceFExit, AttachTo: fn, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
	for n := 0; n < 200; n++ {
		prog, err := ebpf.NewProgram(spec)
		if err != nil {
			t.Fatalf("load an fexit program on %s: %v", fn, err)
		}
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		prog.Close() // the link holds it
		if errors.Is(err, unix.E2BIG) {
			return n
		}
		if err != nil {
			t.Fatalf("attach fexit program %d on %s: %v", n+1, fn, err)
		}
		t.Cleanup(func() { l.Close() })
	}
	t.Fatalf("the kernel took 200 fexit programs on %s and refused none", fn)
	return 0
}

// A trampoline the kernel refuses at start is planned around: with every
// fexit slot on do_sys_openat2 taken by others, the opens go to their
// entry points, say so, and are seen.
func TestARefusedTrampolineIsPlannedAround(t *testing.T) {
	skipUnlessOpensShared(t)
	held := fillTrampoline(t, "do_sys_openat2")
	m := startMonitor(t, "--syscall-hooks", "functions")
	assertOpensOnEntryPoints(t, m, fmt.Sprintf("do_sys_openat2's trampoline full (%d programs)", held))
	if s := m.stderr.String(); !strings.Contains(s, "refused trampolines") || !strings.Contains(s, "do_sys_openat2") {
		t.Errorf("the refusal is not said on stderr:\n%s", tailLines(s, 10))
	}
}

// traceableCache is where a start keeps the functions it found traceable
// (monitor/traceable.go), for the next start to read instead of tracefs.
const traceableCache = "/run/ebpf-log-monitor/traceable"

// TestTraceableFunctionsAreKeptForTheNextStart: a start with function
// hooks keeps what it read of available_filter_functions, every hooked
// function among it, and the next start plans from that.  The proof: the
// kept answer, edited to lack do_sys_openat2, moves the next start's opens
// to their entry points.
func TestTraceableFunctionsAreKeptForTheNextStart(t *testing.T) {
	os.Remove(traceableCache)
	t.Cleanup(func() { os.Remove(traceableCache) }) // an edited answer must not outlive the test
	m := startMonitor(t)
	start := m.waitFor(t, 5*time.Second, "start record", isMonitorStart)
	m.stop(t)
	if got := start.str("monitor", "syscall_hooks"); got != "functions" {
		if _, err := os.Stat(traceableCache); err == nil {
			t.Errorf("syscall_hooks %q, yet %s was written", got, traceableCache)
		}
		t.Skipf("no function hooks here (syscall_hooks %q): nothing is read or kept", got)
	}
	b, err := os.ReadFile(traceableCache)
	if err != nil {
		t.Fatalf("a start with function hooks kept nothing: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "key ") {
		t.Fatalf("%s is not a key and names:\n%s", traceableCache, b)
	}
	kept := map[string]bool{}
	for _, name := range lines[1:] {
		kept[name] = true
	}
	// the start took the kernel's BTF's answer without reading ftrace's
	// list (monitor/traceable.go): on this kernel everything it kept must
	// be in the list
	list, err := os.ReadFile("/sys/kernel/tracing/available_filter_functions")
	if err != nil {
		t.Fatal(err)
	}
	traceable := map[string]bool{}
	for _, line := range strings.Split(string(list), "\n") {
		name, _, _ := strings.Cut(line, " ")
		traceable[name] = true
	}
	for name := range kept {
		if !traceable[name] {
			t.Errorf("%s keeps %s, which ftrace does not list", traceableCache, name)
		}
	}
	hooks, _ := start.get("monitor", "hooks").([]any)
	for _, h := range hooks {
		hm := h.(map[string]any)
		fs, _ := hm["functions"].([]any)
		for _, f := range fs {
			if name := f.(string); !kept[name] {
				t.Errorf("%s hooks %s, which %s lacks", hm["name"], name, traceableCache)
			}
		}
	}
	if opens := hookFunctions(start, "fexit/open"); !equalStrs(opens, []string{"do_sys_openat2"}) {
		t.Skipf("the opens are not on do_sys_openat2 here (fexit/open %v): the kept answer was checked, not its use", opens)
	}

	var edited []string
	for _, line := range lines {
		if line != "do_sys_openat2" {
			edited = append(edited, line)
		}
	}
	if err := os.WriteFile(traceableCache, []byte(strings.Join(edited, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = startMonitor(t)
	start = m.waitFor(t, 5*time.Second, "start record", isMonitorStart)
	m.stop(t)
	opens := hookFunctions(start, "fexit/open")
	if want := []string{"__x64_sys_creat", "__x64_sys_open", "__x64_sys_openat", "__x64_sys_openat2"}; !equalStrs(opens, want) {
		t.Errorf("the next start, told do_sys_openat2 is not traceable: fexit/open on %v, want the entry points %v", opens, want)
	}
}

// Where kprobe_events cannot be written (tracefs read-only, as /sys is in
// many containers), the kretprobes of a kernel without fprobes are made
// one perf kprobe per function instead: the start record names them, the
// calls are still seen, and kprobe_events is left as it was.  The monitor
// runs in a mount namespace of its own whose tracefs is remounted
// read-only.
func TestKretprobesWhereKprobeEventsCannotBeWritten(t *testing.T) {
	const tracefs = "/sys/kernel/tracing"
	before, err := os.ReadFile(tracefs + "/kprobe_events")
	if err != nil {
		t.Skipf("no tracefs kprobe_events: %v", err)
	}
	script := "mountpoint -q " + tracefs + " || mount -t tracefs nodev " + tracefs + " || exit 1; " +
		"mount -o remount,bind,ro " + tracefs + " || exit 1; exec \"$0\" \"$@\""
	m := startMonitorCmd(t, isMonitorStart, "unshare",
		"-m", "sh", "-c", script, monitorBin, "-f", "json", "--events", "all", "-i", "0")
	start := m.find(isMonitorStart)[0]
	// a fallback that failed would be the tracepoints: not a skip
	how := start.str("monitor", "syscall_hooks")
	if want := os.Getenv("E2E_EXPECT_SYSCALL_HOOKS"); want != "" && how != want {
		t.Fatalf("syscall_hooks %q with a read-only tracefs, want %q: %s", how, want, start.str("monitor", "syscall_hooks_reason"))
	}
	hooks, _ := start.get("monitor", "hooks").([]any)
	var kret []string
	for _, h := range hooks {
		hm := h.(map[string]any)
		name, _ := hm["name"].(string)
		if strings.HasPrefix(name, "kretprobe_event/") {
			t.Fatalf("%s through a read-only tracefs", name)
		}
		if strings.HasPrefix(name, "kretprobe/") {
			kret = append(kret, name)
			if hm["status"] != "attached" {
				t.Errorf("%s: %v", name, hm)
			}
		}
	}
	if len(kret) == 0 {
		m.stop(t)
		t.Skipf("no kretprobes here (syscall_hooks %q): only a kernel without fprobes makes them", how)
	}
	t.Logf("perf kprobes: %v", kret)
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/f", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pid := runIn(t, dir, "chmod", "u+s", "f") // chmod: the file class, on a kretprobe
	m.exactlyOne(t, "chmod u+s", and(eventIs("chmod"), pidIs(pid)))
	m.stop(t)
	if after, _ := os.ReadFile(tracefs + "/kprobe_events"); string(after) != string(before) {
		t.Errorf("kprobe_events changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
