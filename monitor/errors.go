package monitor

import "fmt"

// Exit codes of the monitor, one per condition a user can fix (README,
// "Exit codes").  2 is left to the CLI for bad flags.
const (
	ExitRuntime    = 1 // anything else that stopped the monitor
	ExitUsage      = 2 // bad flag or value
	ExitPermission = 3 // not root, or the kernel refused BPF
	ExitNoBTF      = 4 // no kernel BTF
	ExitNoHooks    = 5 // nothing could be loaded or attached
	ExitLogFile    = 6 // the log file cannot be opened
	ExitTracefs    = 7 // tracefs missing and cannot be mounted
	ExitPolicy     = 8 // the policy file is invalid
	ExitKernel     = 9 // the kernel is older than the monitor supports
)

// Error is an error with the exit code the process should end with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}
