package rules

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
)

// builtinList is a list of the built-in rules file (policy/rules.yaml):
// the Go code that needs one reads it there, so that it is written once.
func builtinList(name string) []string {
	l := policy.Builtin().Lists[name]
	if l == nil {
		panic("rules.yaml has no list " + name)
	}
	return l.Items
}

// RuntimeSockets are container-runtime API sockets: talking to one is
// root on the host (the list runtime_sockets; the kernel is told to report
// connects to them).
var RuntimeSockets = builtinList("runtime_sockets")

var (
	serviceNames = builtinList("service_names")
	sbinDirs     = builtinList("sbin_dirs")
)

// IsServiceExe says whether exe is a daemon binary (in an sbin directory
// or a known service name; the macro is_service without the policy).
func IsServiceExe(exe string) bool {
	if slices.Contains(sbinDirs, filepath.Dir(exe)) {
		return true
	}
	base := filepath.Base(exe)
	for _, p := range serviceNames {
		if matchPattern(p, base) {
			return true
		}
	}
	return false
}

var interpreters = builtinList("interpreters")

// IsInterpreterExe says whether exe is a shell or a scripting language
// (the macro is_interpreter).
func IsInterpreterExe(exe string) bool {
	return slices.Contains(interpreters, strings.TrimRight(filepath.Base(exe), "0123456789."))
}
