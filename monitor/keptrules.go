package monitor

import (
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/rules"
)

// keptRules is where the rules' checked expressions are kept between
// starts (rules.CompileKeeping, monitor/rules/kept.go): parsing and
// checking them again is most of compiling the policy.
const keptRules = runDir + "/rules"

// compileRules compiles the policy, keeping its checked expressions for
// this build of the monitor (a rebuilt or replaced binary has another
// inode, size or time, and reads none of them).
func compileRules(p *policy.Policy) (*rules.Engine, error) {
	id, err := binaryID()
	if err != nil {
		return rules.Compile(p)
	}
	return rules.CompileKeeping(p, keptRules, id)
}
