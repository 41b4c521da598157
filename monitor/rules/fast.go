// Fast evaluation of the common shapes of a condition.  cel-go's
// interpreter resolves each field through its attribute machinery, about
// 100-200 ns per reference here; a file event is judged by every file rule,
// so a watched open cost several microseconds.  After a condition is
// type-checked by CEL, its tree is turned into Go closures for what rules
// are mostly made of: fields, constants, &&, ||, !, ==, !=, in, ?:,
// startsWith, endsWith, contains, size, matches and macros.  Any other
// sub-expression (comprehensions, the helpers, arithmetic, maps, ...) is
// printed back to CEL and runs in cel-go, so the meaning never changes; a
// test checks both agree on every built-in rule and test record.

package rules

import (
	"strings"

	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/parser"
)

// node evaluates to a CEL value: types.Bool, types.String, ..., or an error.
type node func(a *activation) ref.Val

var errNoBool = types.NewErr("no such overload: a condition's operand is not a bool")

// fastCompile turns a checked expression into a node.  slow compiles a
// sub-expression the fast path does not handle, through cel-go.
func (l *language) fastCompile(a *celast.AST, e celast.Expr) (node, error) {
	refs := a.ReferenceMap()
	if r, ok := refs[e.ID()]; ok && (e.Kind() == celast.IdentKind || e.Kind() == celast.SelectKind) {
		switch {
		case r.Value != nil: // a constant: a list, a policy setting
			v := r.Value
			return func(*activation) ref.Val { return v }, nil
		case fieldByName[r.Name] != nil:
			f := fieldByName[r.Name]
			return func(a *activation) ref.Val { return a.field(f) }, nil
		case l.macros[r.Name] != nil:
			m := l.macros[r.Name]
			return func(a *activation) ref.Val { return a.macro(m) }, nil
		}
	}
	switch e.Kind() {
	case celast.LiteralKind:
		v := e.AsLiteral()
		return func(*activation) ref.Val { return v }, nil
	case celast.CallKind:
		if n, err := l.fastCall(a, e); n != nil || err != nil {
			return n, err
		}
	case celast.ListKind:
		// a list of constants is built once
		var consts []ref.Val
		for _, el := range e.AsList().Elements() {
			if el.Kind() != celast.LiteralKind {
				return l.slow(a, e)
			}
			consts = append(consts, el.AsLiteral())
		}
		if len(e.AsList().OptionalIndices()) == 0 {
			list := types.NewRefValList(types.DefaultTypeAdapter, consts)
			return func(*activation) ref.Val { return list }, nil
		}
	}
	return l.slow(a, e)
}

// fastCall compiles the calls the fast path knows; nil: it does not.
func (l *language) fastCall(a *celast.AST, e celast.Expr) (node, error) {
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() {
		args = append([]celast.Expr{call.Target()}, args...)
	}
	// the first n arguments, compiled
	subs := func(n int) ([]node, error) {
		out := make([]node, n)
		for i := range out {
			var err error
			if out[i], err = l.fastCompile(a, args[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	fn := call.FunctionName()
	var build func(ns []node) node
	need := len(args)
	switch {
	case fn == operators.LogicalAnd:
		build = func(ns []node) node { return logicNode(ns[0], ns[1], types.False) }
	case fn == operators.LogicalOr:
		build = func(ns []node) node { return logicNode(ns[0], ns[1], types.True) }
	case fn == operators.LogicalNot && len(args) == 1:
		build = func(ns []node) node {
			x := ns[0]
			return func(a *activation) ref.Val {
				switch v := x(a).(type) {
				case types.Bool:
					return !v
				case *types.Err:
					return v
				}
				return errNoBool
			}
		}
	case fn == operators.Conditional:
		build = func(ns []node) node {
			c, t, f := ns[0], ns[1], ns[2]
			return func(a *activation) ref.Val {
				switch v := c(a).(type) {
				case types.Bool:
					if v {
						return t(a)
					}
					return f(a)
				case *types.Err:
					return v
				}
				return errNoBool
			}
		}
	case (fn == operators.Equals || fn == operators.NotEquals) && len(args) == 2:
		eq := fn == operators.Equals
		build = func(ns []node) node {
			x, y := ns[0], ns[1]
			return func(a *activation) ref.Val {
				l, r := x(a), y(a)
				if ls, ok := l.(types.String); ok {
					if rs, ok := r.(types.String); ok {
						return types.Bool((ls == rs) == eq)
					}
				}
				if types.IsError(l) {
					return l
				}
				if types.IsError(r) {
					return r
				}
				v := l.Equal(r)
				if b, ok := v.(types.Bool); ok && !eq {
					return !b
				}
				return v
			}
		}
	case fn == operators.In && len(args) == 2:
		return l.fastIn(a, args)
	case (fn == "startsWith" || fn == "endsWith" || fn == "contains") && call.IsMemberFunction() && len(args) == 2:
		test := map[string]func(string, string) bool{"startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
			"contains": strings.Contains}[fn]
		build = func(ns []node) node {
			x, y := ns[0], ns[1]
			return func(a *activation) ref.Val {
				s, ok1 := x(a).(types.String)
				p, ok2 := y(a).(types.String)
				if !ok1 || !ok2 {
					return errNoBool
				}
				return types.Bool(test(string(s), string(p)))
			}
		}
	case fn == "matches" && len(args) == 2 && args[1].Kind() == celast.LiteralKind:
		p, ok := args[1].AsLiteral().(types.String)
		if !ok {
			return nil, nil
		}
		re, err := compileFast(string(p))
		if err != nil {
			return nil, err
		}
		need = 1
		build = func(ns []node) node {
			x := ns[0]
			return func(a *activation) ref.Val {
				s, ok := x(a).(types.String)
				if !ok {
					return errNoBool
				}
				return types.Bool(re.MatchString(string(s)))
			}
		}
	case unaryHelpers[fn] != nil && len(args) == 1:
		f := unaryHelpers[fn]
		build = func(ns []node) node {
			x := ns[0]
			return func(a *activation) ref.Val { return f(x(a)) }
		}
	case binaryHelpers[fn] != nil && len(args) == 2:
		f := binaryHelpers[fn]
		build = func(ns []node) node {
			x, y := ns[0], ns[1]
			return func(a *activation) ref.Val { return f(x(a), y(a)) }
		}
	case fn == "size" && len(args) == 1:
		build = func(ns []node) node {
			x := ns[0]
			return func(a *activation) ref.Val {
				switch v := x(a).(type) {
				case traits.Sizer:
					return v.Size()
				case *types.Err:
					return v
				}
				return errNoBool
			}
		}
	default:
		return nil, nil
	}
	ns, err := subs(need)
	if err != nil {
		return nil, err
	}
	return build(ns), nil
}

// fastIn compiles x in list: a set lookup for a constant list of strings,
// one comparison per element for a list literal, Contains otherwise.
func (l *language) fastIn(a *celast.AST, args []celast.Expr) (node, error) {
	x, err := l.fastCompile(a, args[0])
	if err != nil {
		return nil, err
	}
	if set := constStrings(a, args[1]); set != nil {
		return func(a *activation) ref.Val {
			switch v := x(a).(type) {
			case types.String:
				return types.Bool(set[string(v)])
			case *types.Err:
				return v
			}
			return errNoBool
		}, nil
	}
	if args[1].Kind() == celast.ListKind {
		var elems []node
		for _, el := range args[1].AsList().Elements() {
			n, err := l.fastCompile(a, el)
			if err != nil {
				return nil, err
			}
			elems = append(elems, n)
		}
		return func(a *activation) ref.Val {
			v := x(a)
			if types.IsError(v) {
				return v
			}
			for _, el := range elems {
				if v.Equal(el(a)) == types.True {
					return types.True
				}
			}
			return types.False
		}, nil
	}
	y, err := l.fastCompile(a, args[1])
	if err != nil {
		return nil, err
	}
	return func(a *activation) ref.Val {
		v, c := x(a), y(a)
		if types.IsError(v) {
			return v
		}
		if cont, ok := c.(traits.Container); ok {
			return cont.Contains(v)
		}
		if types.IsError(c) {
			return c
		}
		return errNoBool
	}, nil
}

// logicNode is && (stop false) or || (stop true) with CEL's rules: the
// deciding value wins over an error, whichever side it is on.
func logicNode(x, y node, stop types.Bool) node {
	return func(a *activation) ref.Val {
		l := x(a)
		if l == stop {
			return stop
		}
		r := y(a)
		if r == stop {
			return stop
		}
		if l == !stop && r == !stop {
			return !stop
		}
		if types.IsError(l) {
			return l
		}
		if types.IsError(r) {
			return r
		}
		return errNoBool
	}
}

// constStrings is the set of a constant list of strings (a literal, or a
// named list), or nil.
func constStrings(a *celast.AST, e celast.Expr) map[string]bool {
	var vals []ref.Val
	if r, ok := a.ReferenceMap()[e.ID()]; ok && r.Value != nil {
		l, ok := r.Value.(traits.Lister)
		if !ok {
			return nil
		}
		it := l.Iterator()
		for it.HasNext() == types.True {
			vals = append(vals, it.Next())
		}
	} else if e.Kind() == celast.ListKind {
		for _, el := range e.AsList().Elements() {
			if el.Kind() != celast.LiteralKind {
				return nil
			}
			vals = append(vals, el.AsLiteral())
		}
	} else {
		return nil
	}
	set := make(map[string]bool, len(vals))
	for _, v := range vals {
		s, ok := v.(types.String)
		if !ok {
			return nil
		}
		set[string(s)] = true
	}
	return set
}

// slow runs a sub-expression in cel-go: it is printed back to CEL and
// compiled on its own, in the same environment.
func (l *language) slow(a *celast.AST, e celast.Expr) (node, error) {
	text, err := parser.Unparse(e, a.SourceInfo())
	if err != nil {
		return nil, err
	}
	ast, iss := l.check(text)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := l.program(ast)
	if err != nil {
		return nil, err
	}
	return func(a *activation) ref.Val {
		out, _, err := prg.Eval(a)
		if err != nil {
			return types.WrapErr(err)
		}
		return out
	}, nil
}
