package output

import (
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// SignalName returns "SIGKILL" for 9, or "SIG<n>" for an unknown number.
func SignalName(sig int) string {
	if n := unix.SignalName(unix.Signal(sig)); n != "" {
		return n
	}
	return "SIG" + strconv.Itoa(sig)
}

// ErrnoName returns "ENOENT" for 2 (positive errno), or "E<n>".
func ErrnoName(errno int) string {
	if n := unix.ErrnoName(unix.Errno(errno)); n != "" {
		return n
	}
	return "E" + strconv.Itoa(errno)
}

func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
