package monitor

import (
	"testing"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// The checked expressions this binary embeds serve its built-in policy
// whole: a build that left them behind the rules' code (go build without
// make) fails here.
func TestEmbeddedChecksServeTheBuiltInPolicy(t *testing.T) {
	e, err := rules.CompileKeeping(policy.Default(rules.Names()), "", "", builtinChecks)
	if err != nil {
		t.Fatal(err)
	}
	if built, _, parsed := e.Kept(); built < 50 || parsed != 0 {
		t.Errorf("%d from monitor/builtin.checks, %d parsed: want every one from it (make rebuilds it)", built, parsed)
	}
}
