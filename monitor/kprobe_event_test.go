package monitor

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
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
