package monitor

import (
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// keptRules is where the rules' checked expressions are kept between
// starts (rules.CompileKeeping, monitor/rules/kept.go): parsing and
// checking them again is most of compiling the policy.
const keptRules = runDir + "/rules"

// compileRules compiles the policy, from the build's checked expressions
// of the built-in policy (builtinChecks) and those this build of the
// monitor kept (a rebuilt or replaced binary has another inode, size or
// time, and reads none of them).
func compileRules(p *policy.Policy) (*rules.Engine, error) {
	id, err := binaryID()
	if err != nil {
		return rules.CompileKeeping(p, "", "", builtinChecks)
	}
	return rules.CompileKeeping(p, keptRules, id, builtinChecks)
}
