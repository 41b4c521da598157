// Guards: a rule's condition often starts with a test of one string field
// against constants (file.class == "credentials" || ...).  Found at
// compile time, that test runs in Go before the condition: a file event is
// judged by every file rule, and most are ruled out by the class of the
// watch entry at the cost of one comparison instead of a CEL evaluation.

package rules

import (
	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// guard says a condition can hold only when field's value is in values.
type guard struct {
	field  *fieldRef
	values map[string]bool
}

// implied maps fields to the values the expression requires of them: it
// can be true only when each such field holds one of its values.  It is
// sound, not complete (an empty map: nothing known).
func implied(a *celast.AST, e celast.Expr) map[string]map[string]bool {
	if e.Kind() != celast.CallKind {
		return nil
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case operators.Equals:
		for _, pair := range [][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
			if name := fieldName(a, pair[0]); name != "" && pair[1].Kind() == celast.LiteralKind {
				if s, ok := pair[1].AsLiteral().(types.String); ok {
					return map[string]map[string]bool{name: {string(s): true}}
				}
			}
		}
	case operators.In:
		name := fieldName(a, args[0])
		if name == "" || args[1].Kind() != celast.ListKind {
			return nil
		}
		set := map[string]bool{}
		for _, el := range args[1].AsList().Elements() {
			if el.Kind() != celast.LiteralKind {
				return nil
			}
			s, ok := el.AsLiteral().(types.String)
			if !ok {
				return nil
			}
			set[string(s)] = true
		}
		return map[string]map[string]bool{name: set}
	case operators.LogicalAnd:
		// each side restricts: keep every field either requires
		out := map[string]map[string]bool{}
		for _, arg := range args {
			for f, vals := range implied(a, arg) {
				if prev, ok := out[f]; ok {
					both := map[string]bool{}
					for v := range vals {
						if prev[v] {
							both[v] = true
						}
					}
					vals = both
				}
				out[f] = vals
			}
		}
		return out
	case operators.LogicalOr:
		return either(implied(a, args[0]), implied(a, args[1]))
	case operators.Conditional:
		return either(implied(a, args[1]), implied(a, args[2]))
	}
	return nil
}

// either: what both alternatives require, their values joined.
func either(l, r map[string]map[string]bool) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for f, lv := range l {
		rv, ok := r[f]
		if !ok {
			continue
		}
		set := map[string]bool{}
		for v := range lv {
			set[v] = true
		}
		for v := range rv {
			set[v] = true
		}
		out[f] = set
	}
	return out
}

// fieldName is the string field an expression reads, or "".
func fieldName(a *celast.AST, e celast.Expr) string {
	ref, ok := a.ReferenceMap()[e.ID()]
	if !ok || ref.Value != nil {
		return ""
	}
	f := fieldByName[ref.Name]
	if f == nil || f.Type != cel.StringType {
		return ""
	}
	return ref.Name
}

// guardOf picks a guard for a compiled condition, preferring file.class.
func guardOf(ast *cel.Ast) *guard {
	a := ast.NativeRep()
	req := implied(a, a.Expr())
	pick := ""
	for f := range req {
		if pick == "" || f == "file.class" || (pick != "file.class" && f < pick) {
			pick = f
		}
	}
	if pick == "" {
		return nil
	}
	return &guard{field: fieldByName[pick], values: req[pick]}
}
