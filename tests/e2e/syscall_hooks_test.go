package e2e

import (
	"os"
	"strings"
	"testing"
	"time"
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
