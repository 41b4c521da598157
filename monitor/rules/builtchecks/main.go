// Command builtchecks writes the built-in policy's checked expressions
// (rules.BuiltChecks) to the file it is given: `make` embeds it in the
// monitor, so that a start with no kept file (the first of a boot) parses
// none of them.
package main

import (
	"fmt"
	"os"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: builtchecks FILE")
		os.Exit(2)
	}
	b, err := rules.BuiltChecks(policy.Default(rules.Names()))
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "builtchecks: %v\n", err)
		os.Exit(1)
	}
}
