// A faster `matches` for conditions: the regular expression is compiled
// once per pattern, and before it runs, a cheap check that the string
// holds at least one literal any match must contain.  The built-in
// reverse-shell and credential-hunting patterns run on every exec; most
// command lines hold none of their literals, so most calls end there
// (about a tenth of the regular expression's cost).

package rules

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

type fastRegexp struct {
	re       *regexp.Regexp
	literals []string // a match holds one of these; nil: no such set known
}

func (f *fastRegexp) MatchString(s string) bool {
	if f.literals != nil {
		hit := false
		for _, l := range f.literals {
			if strings.Contains(s, l) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return f.re.MatchString(s)
}

var regexps sync.Map // pattern -> *fastRegexp, or error

func compileFast(pattern string) (*fastRegexp, error) {
	if v, ok := regexps.Load(pattern); ok {
		if err, bad := v.(error); bad {
			return nil, err
		}
		return v.(*fastRegexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		regexps.Store(pattern, err)
		return nil, err
	}
	f := &fastRegexp{re: re}
	if parsed, err := syntax.Parse(pattern, syntax.Perl); err == nil {
		f.literals = required(parsed.Simplify())
	}
	regexps.Store(pattern, f)
	return f, nil
}

// required returns literals of which every match of re contains at least
// one, or nil when it cannot tell (case folding, a branch with no literal).
func required(re *syntax.Regexp) []string {
	if re.Flags&syntax.FoldCase != 0 {
		return nil
	}
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return required(re.Sub[0])
	case syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		// the sub-expression whose shortest literal is longest: the
		// sharpest filter
		var best []string
		bestLen := 0
		for _, sub := range re.Sub {
			ls := required(sub)
			if ls == nil {
				continue
			}
			shortest := len(ls[0])
			for _, l := range ls {
				shortest = min(shortest, len(l))
			}
			if shortest > bestLen {
				best, bestLen = ls, shortest
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ls := required(sub)
			if ls == nil {
				return nil
			}
			out = append(out, ls...)
		}
		return out
	}
	return nil
}

// fastMatches makes the standard matches(), with a constant pattern (the
// common case), use compileFast.  The overload ids are looked up before
// the function name, so these take the place of cel-go's own regex
// optimization.
func fastMatches() cel.ProgramOption {
	opt := func(overload string) *interpreter.RegexOptimization {
		return &interpreter.RegexOptimization{Function: "matches", OverloadID: overload, RegexIndex: 1,
			Factory: func(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
				f, err := compileFast(pattern)
				if err != nil {
					return nil, err
				}
				return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(), func(args ...ref.Val) ref.Val {
					s, ok := args[0].(types.String)
					if len(args) != 2 || !ok {
						return types.NoSuchOverloadErr()
					}
					return types.Bool(f.MatchString(string(s)))
				}), nil
			}}
	}
	return cel.OptimizeRegex(opt(overloads.Matches), opt(overloads.MatchesString))
}
