package rules

import (
	"fmt"

	"github.com/google/cel-go/common/types"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

// Disagreements evaluates every condition of every rule for r's event
// both ways, fast (fast.go) and through cel-go, and lists where they
// differ.
func (e *Engine) Disagreements(r *record.Record) []string {
	var out []string
	for _, ru := range e.byEvent[r.Event] {
		for i, c := range ru.conds {
			e.act.reset(r, e.self)
			fast := c.fast(&e.act)
			prg, err := e.lang.program(c.ast)
			if err != nil {
				return []string{err.Error()}
			}
			e.act.reset(r, e.self)
			slow, _, err := prg.Eval(&e.act)
			if err != nil {
				slow = types.WrapErr(err)
			}
			if types.IsError(fast) != types.IsError(slow) || (!types.IsError(fast) && fast.Equal(slow) != types.True) {
				out = append(out, fmt.Sprintf("%s condition %d: fast %v, cel-go %v", ru.name, i, fast, slow))
			}
		}
	}
	return out
}

// KeptMisses is how many expressions the last compile of e had to parse
// and check, with CompileKeeping (kept.go), and how many of those did not
// check.
func KeptMisses(e *Engine) (misses, failed int) { return e.keep.misses, e.keep.failed }
