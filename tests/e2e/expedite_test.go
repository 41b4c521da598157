package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel's RCU knobs, and where the monitor marks that it set one.
const (
	rcuExpedited = "/sys/kernel/rcu_expedited"
	rcuNormal    = "/sys/kernel/rcu_normal"
	rcuMarks     = "/run/ebpf-log-monitor/rcu_expedited"
)

func readKnob(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func setKnob(t *testing.T, path, v string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(v+"\n"), 0); err != nil {
		t.Fatal(err)
	}
}

// usesKretprobeEvent says whether the monitor's start record has its
// kretprobes on a tracefs event of its own (a kernel without fprobes).
func usesKretprobeEvent(start rec) bool {
	hooks, _ := start.get("monitor", "hooks").([]any)
	for _, h := range hooks {
		if name, _ := h.(map[string]any)["name"].(string); strings.HasPrefix(name, "kretprobe_event/") {
			return true
		}
	}
	return false
}

// stopWatchingKnob stops the monitor while reading rcu_expedited every
// millisecond, and says whether it read 1 at any time before the exit.
func stopWatchingKnob(t *testing.T, m *monitor) (sawSet bool) {
	t.Helper()
	var seen atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if b, err := os.ReadFile(rcuExpedited); err == nil && strings.TrimSpace(string(b)) == "1" {
				seen.Store(true)
			}
			select {
			case <-m.done: // its output closed: it has exited
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	if code := m.stop(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	<-done
	return seen.Load()
}

// On a kernel without fprobes (Debian's 6.1) the stop deletes the
// monitor's kretprobe event, one RCU grace period per probe; it expedites
// the grace periods meanwhile (rcu_expedited), and only then: where the
// administrator has already set it, it is left set; where rcu_normal
// forbids it, it is not set; and after the exit it reads what it read
// before.  A monitor killed with it set leaves a mark under /run, and the
// next start sets it back.  Elsewhere (fprobes, tracepoints) the knob is
// never touched.
func TestStopExpeditesGracePeriodsOnlyWhereAllowed(t *testing.T) {
	if _, err := os.Stat(rcuExpedited); err != nil {
		t.Skipf("no %s: %v", rcuExpedited, err)
	}
	origExp, origNormal := readKnob(t, rcuExpedited), readKnob(t, rcuNormal)
	if origExp != "0" || origNormal != "0" {
		t.Skipf("this machine's administrator set the knobs (rcu_expedited %s, rcu_normal %s)", origExp, origNormal)
	}
	t.Cleanup(func() {
		setKnob(t, rcuNormal, origNormal)
		setKnob(t, rcuExpedited, origExp)
	})

	t.Run("stop", func(t *testing.T) {
		m := startMonitor(t)
		start := m.find(eventIs("start"))[0]
		event := usesKretprobeEvent(start)
		saw := stopWatchingKnob(t, m)
		stop := m.find(eventIs("stop"))[0]
		expedited, _ := stop.get("monitor", "detach_expedited").(bool)
		t.Logf("kretprobe event %v: detach_expedited %v, knob seen set %v, detach_ms %v", event, expedited, saw, stop.num("monitor", "detach_ms"))
		if expedited != event || saw != event {
			t.Errorf("detach_expedited %v and the knob seen set %v, want both %v (a kretprobe event: %v)", expedited, saw, event, event)
		}
		if got := readKnob(t, rcuExpedited); got != "0" {
			t.Errorf("rcu_expedited after the exit = %s, want 0", got)
		}
		if ents, _ := os.ReadDir(rcuMarks); len(ents) != 0 {
			t.Errorf("marks left in %s: %d", rcuMarks, len(ents))
		}
	})

	t.Run("set by the administrator", func(t *testing.T) {
		setKnob(t, rcuExpedited, "1")
		defer setKnob(t, rcuExpedited, "0")
		m := startMonitor(t)
		event := usesKretprobeEvent(m.find(eventIs("start"))[0])
		m.stop(t)
		expedited, _ := m.find(eventIs("stop"))[0].get("monitor", "detach_expedited").(bool)
		if expedited != event {
			t.Errorf("detach_expedited = %v, want %v (a kretprobe event: %v)", expedited, event, event)
		}
		if got := readKnob(t, rcuExpedited); got != "1" {
			t.Errorf("rcu_expedited after the exit = %s, want the administrator's 1", got)
		}
	})

	t.Run("forbidden by rcu_normal", func(t *testing.T) {
		setKnob(t, rcuNormal, "1")
		defer setKnob(t, rcuNormal, "0")
		m := startMonitor(t)
		saw := stopWatchingKnob(t, m)
		expedited, _ := m.find(eventIs("stop"))[0].get("monitor", "detach_expedited").(bool)
		if expedited || saw {
			t.Errorf("detach_expedited %v, knob seen set %v: want neither under rcu_normal", expedited, saw)
		}
	})

	t.Run("left by a killed monitor", func(t *testing.T) {
		// a pid of our namespace that is no longer alive
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat("/proc/self/ns/pid", &st); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(rcuMarks, 0o700); err != nil {
			t.Fatal(err)
		}
		mark := filepath.Join(rcuMarks, fmt.Sprintf("%d_%d", st.Ino, gone.Process.Pid))
		if err := os.WriteFile(mark, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(mark)
		setKnob(t, rcuExpedited, "1")
		defer setKnob(t, rcuExpedited, "0")
		m := startMonitor(t)
		got := readKnob(t, rcuExpedited)
		_, markErr := os.Stat(mark)
		m.stop(t)
		if got != "0" || markErr == nil {
			t.Errorf("after the start: rcu_expedited %s, mark left %v; want 0 and the mark gone", got, markErr == nil)
		}
		if want := "set /sys/kernel/rcu_expedited back to 0"; !strings.Contains(m.stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, m.stderr.String())
		}
	})
}
