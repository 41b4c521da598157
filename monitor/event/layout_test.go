package event

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/internal/layout"
)

// The decoder reads the same bytes the BPF programs write: every offset,
// size and constant in event.go equals what the C compiler makes of
// bpf/log_monitor.h.
func TestLayoutMatchesCHeader(t *testing.T) {
	wantOff := map[string]uintptr{
		"event_header.ts_ns":      offHdrTs,
		"event_header.cgroup_id":  offHdrCgroupID,
		"event_header.type":       offHdrType,
		"event_header.size":       offHdrSize,
		"event_header.pid":        offHdrPid,
		"event_header.tid":        offHdrTid,
		"event_header.ppid":       offHdrPpid,
		"event_header.uid":        offHdrUID,
		"event_header.gid":        offHdrGID,
		"event_header.euid":       offHdrEUID,
		"event_header.egid":       offHdrEGID,
		"event_header.loginuid":   offHdrLoginUID,
		"event_header.flags":      offHdrFlags,
		"event_header.pad":        offHdrPad,
		"event_header.comm":       offHdrComm,
		"exec_event.ret":          offExecRet,
		"exec_event.flags":        offExecFlags,
		"exec_event.args_len":     offExecArgsLen,
		"exec_event.exe_len":      offExecExeLen,
		"exec_event.cwd_len":      offExecCwdLen,
		"exec_event.filename_len": offExecFilenameLen,
		"exec_event.data":         offExecData,
		"exit_event.lifetime_ns":  offExitLifetime,
		"exit_event.exit_code":    offExitCode,
		"fork_event.child_pid":    offForkChildPid,
		"fork_event.child_tid":    offForkChildTid,
	}
	fields := layout.Offsets()
	if len(fields) != len(wantOff) {
		t.Errorf("C reports %d fields, Go mirrors %d", len(fields), len(wantOff))
	}
	for _, f := range fields {
		want, ok := wantOff[f.Name]
		if !ok {
			t.Errorf("%s: no Go offset", f.Name)
			continue
		}
		if f.Offset != want {
			t.Errorf("%s: C offset %d, Go offset %d", f.Name, f.Offset, want)
		}
	}

	wantSize := map[string]uintptr{
		"event_header":         HeaderSize,
		"EXEC_EVENT_FIXED_LEN": ExecFixedSize,
		"exit_event":           ExitSize,
		"fork_event":           ForkSize,
	}
	for name, got := range layout.Sizes() {
		if got != wantSize[name] {
			t.Errorf("sizeof %s: C %d, Go %d", name, got, wantSize[name])
		}
	}

	wantConst := map[string]int64{
		"TASK_COMM_LEN":             TaskCommLen,
		"MAX_PATH_LEN":              MaxPathLen,
		"MAX_ARGS":                  MaxArgs,
		"MAX_ARGS_SIZE":             MaxArgsSize,
		"MAX_FILENAME_LEN":          MaxFilenameLen,
		"EVENT_EXEC":                int64(TypeExec),
		"EVENT_EXIT":                int64(TypeExit),
		"EVENT_FORK":                int64(TypeFork),
		"HDR_F_LOGINUID":            HdrFlagLoginUID,
		"EXEC_F_ARGS_TRUNCATED":     ExecFlagArgsTruncated,
		"EXEC_F_EXE_TRUNCATED":      ExecFlagExeTruncated,
		"EXEC_F_CWD_TRUNCATED":      ExecFlagCwdTruncated,
		"EXEC_F_FILENAME_TRUNCATED": ExecFlagFilenameTruncated,
		"EXEC_F_EXECVEAT":           ExecFlagExecveat,
		"EXEC_F_NO_SYSCALL":         ExecFlagNoSyscall,
		"STAT_OUTPUT_NOSPC":         StatOutputNoSpace,
		"STAT_OUTPUT_ERROR":         StatOutputError,
		"STAT_PENDING_FULL":         StatPendingFull,
		"STAT_SCRATCH_MISS":         StatScratchMiss,
		"STAT_MAX":                  StatMax,
	}
	for name, got := range layout.Constants() {
		want, ok := wantConst[name]
		if !ok {
			t.Errorf("%s: no Go constant", name)
		} else if got != want {
			t.Errorf("%s: C %d, Go %d", name, got, want)
		}
	}
}
