package output

import (
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/event"
)

// SignalName returns "SIGKILL" for 9, or "SIG<n>" for an unknown number.
func SignalName(sig int) string {
	if n := unix.SignalName(unix.Signal(sig)); n != "" {
		return n
	}
	return "SIG" + strconv.Itoa(sig)
}

// ErrnoName returns "ENOENT" for 2 (positive errno), or "E<n>".  The
// kernel's own errnos of a call a signal interrupted are named too: a
// syscall's exit sees them before the signal is handled, and the program
// gets the call restarted (it is then seen again) or EINTR.
func ErrnoName(errno int) string {
	if n := unix.ErrnoName(unix.Errno(errno)); n != "" {
		return n
	}
	if n := restartNames[errno]; n != "" {
		return n
	}
	return "E" + strconv.Itoa(errno)
}

var restartNames = map[int]string{
	event.ErrRestartSys:          "ERESTARTSYS",
	event.ErrRestartNoIntr:       "ERESTARTNOINTR",
	event.ErrRestartNoHand:       "ERESTARTNOHAND",
	event.ErrRestartRestartBlock: "ERESTART_RESTARTBLOCK",
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
