package monitor

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
)

func TestStaleKprobeEvents(t *testing.T) {
	text := strings.Join([]string{
		"r256:ebpf_log_monitor/calls_4026531836_42 __x64_sys_kill",
		"r256:ebpf_log_monitor/calls_4026531836_42 __x64_sys_mount", // the same event again
		"r256:ebpf_log_monitor/calls_4026531836_43 __x64_sys_kill",  // alive
		"r256:ebpf_log_monitor/calls_4026532000_42 __x64_sys_kill",  // another pid namespace
		"r:kprobes/calls_4026531836_42 __x64_sys_kill",              // not our group
		"r256:ebpf_log_monitor/other __x64_sys_kill",
		"",
	}, "\n")
	got := staleKprobeEvents(text, 4026531836, func(pid int) bool { return pid == 43 })
	if want := []string{"calls_4026531836_42"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stale = %q, want %q", got, want)
	}
}

func TestParseKprobeProfile(t *testing.T) {
	text := "  calls_1_2                                   10               3\n" +
		"  calls_1_2                                    0               4\n" +
		"  calls_1_3                                    5             100\n" +
		"  p_vfs_read_0                                 7               9\n"
	if got := parseKprobeProfile(bufio.NewScanner(strings.NewReader(text)), "calls_1_2"); got != 7 {
		t.Errorf("missed = %d, want 7", got)
	}
}

func TestProcessAlive(t *testing.T) {
	dir := t.TempDir()
	write := func(pid int, stat string, tasks int) {
		for i := 0; i < tasks; i++ {
			if err := os.MkdirAll(fmt.Sprintf("%s/%d/task/%d", dir, pid, pid+i), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(fmt.Sprintf("%s/%d/stat", dir, pid), []byte(stat), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(10, "10 (ebpf-log-monitor) S 1 10 10 0", 5)
	write(11, "11 (ebpf-log-monitor) Z 1 11 11 0", 1)
	write(12, "12 (a) Z (b)) Z 1 12 12 0", 3) // a leader gone, threads running
	for pid, want := range map[int]bool{10: true, 11: false, 12: true, 13: false} {
		if got := processAlive(dir, pid); got != want {
			t.Errorf("processAlive(%d) = %v, want %v", pid, got, want)
		}
	}
}

// An event armed while the object loads, whose perf event cannot be
// opened, is deleted again; a load that fails (Close) takes what the
// arming left, and nothing of it stays.
func TestArmingThatFailsLeavesNoEvent(t *testing.T) {
	tracefs := t.TempDir()
	events := tracefs + "/kprobe_events"
	if err := os.WriteFile(events, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	kill := syscalls.FuncHook{Func: "__x64_sys_kill", Calls: []string{"kill"}}
	connect := syscalls.FuncHook{Func: "__x64_sys_connect", Calls: []string{"connect"}}
	l := &loaded{tracefs: tracefs}
	l.armKretprobes([]fnHook{
		{fn: kill, via: viaKprobe},
		{fn: syscalls.FuncHook{Func: "do_sys_openat2"}, via: viaTrampoline},
		{fn: connect, via: viaKprobe},
	})
	if l.arming == nil {
		t.Fatal("no arming for two kretprobe functions")
	}
	l.Close()
	if l.arming != nil {
		t.Error("Close left the arming")
	}
	b, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := pidNamespace()
	if err != nil {
		t.Fatal(err)
	}
	ev := fmt.Sprintf("ebpf_log_monitor/calls_%d_%d", ns, os.Getpid())
	want := fmt.Sprintf("r%d:%s __x64_sys_kill\nr%d:%s __x64_sys_connect\n-:%s\n",
		kretprobeInstances(kill), ev, kretprobeInstances(connect), ev, ev)
	if string(b) != want {
		t.Errorf("kprobe_events written:\n%s\nwant:\n%s", b, want)
	}
	// nothing to arm: no channel to wait on
	l = &loaded{tracefs: tracefs}
	l.armKretprobes([]fnHook{{fn: syscalls.FuncHook{Func: "do_sys_openat2"}, via: viaTrampoline}})
	if l.arming != nil {
		t.Error("an arming with no kretprobe function")
	}
}

// A killed process, not yet reaped, is a zombie whose threads are gone:
// the wait for them ends when it is killed, not at its limit.
func TestAwaitThreadGroupExit(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer cmd.Wait()
	done := make(chan struct{})
	go func() {
		awaitThreadGroupExit(pid, time.Minute)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the wait ended while the process runs")
	default:
	}
	if leaderIsZombie("/proc", pid) || !processAlive("/proc", pid) {
		t.Fatal("a running process taken for a zombie")
	}
	cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("still waiting 30 s after the process was killed")
	}
	if !leaderIsZombie("/proc", pid) {
		t.Error("the killed process, not reaped, is not a zombie")
	}
	if processAlive("/proc", pid) {
		t.Error("the killed process is taken for alive")
	}
}
