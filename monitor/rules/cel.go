// The rule language: CEL over the record's fields (fields.go), with the
// policy's lists as constants, macros as named expressions evaluated at
// most once per record, and helpers CEL lacks (paths, patterns, CIDRs).

package rules

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
)

// Helper is one function the language adds to CEL.
type Helper struct {
	Signature string
	Doc       string
}

// Helpers documents the functions added to CEL (README, "Writing rules").
var Helpers = []Helper{
	{"basename(string) -> string", "the last element of a path"},
	{"dirname(string) -> string", "the path without its last element"},
	{"strip_version(string) -> string", "a name without a trailing version: python3.11 -> python"},
	{"string.glob(pattern) -> bool", "shell pattern (* ? [..]); * does not cross /"},
	{"string.matches_any(list) -> bool", "equals an item, or matches an item written re:<regexp> or with * ? ["},
	{"string.starts_with_any(list) -> bool", "starts with one of the items"},
	{"string.ends_with_any(list) -> bool", "ends with one of the items"},
	{"string.in_cidr(string or list) -> bool", "an IP address inside a CIDR range: network.dst_ip.in_cidr(\"10.0.0.0/8\")"},
	{"has_bits(int, int) -> bool", "any of the mask's bits set: has_bits(file.mode, 0xc00)"},
}

func boolFn(f func(string, ref.Val) bool) func(ref.Val, ref.Val) ref.Val {
	return func(a, b ref.Val) ref.Val {
		s, ok := a.(types.String)
		if !ok {
			return types.MaybeNoSuchOverloadErr(a)
		}
		return types.Bool(f(string(s), b))
	}
}

func strFn(f func(string) string) func(ref.Val) ref.Val {
	return func(a ref.Val) ref.Val {
		s, ok := a.(types.String)
		if !ok {
			return types.MaybeNoSuchOverloadErr(a)
		}
		return types.String(f(string(s)))
	}
}

// eachString calls f for each string of a CEL list until f says stop.
func eachString(l ref.Val, f func(string) bool) {
	lister, ok := l.(traits.Lister)
	if !ok {
		return
	}
	it := lister.Iterator()
	for it.HasNext() == types.True {
		if s, ok := it.Next().(types.String); ok && f(string(s)) {
			return
		}
	}
}

var patterns sync.Map // pattern text -> func(string) bool

// matchPattern: "re:<regexp>", a glob (with * ? [), or an exact string.
func matchPattern(p, s string) bool {
	if m, ok := patterns.Load(p); ok {
		return m.(func(string) bool)(s)
	}
	var m func(string) bool
	switch {
	case strings.HasPrefix(p, "re:"):
		re, err := regexp.Compile(p[3:])
		if err != nil {
			m = func(string) bool { return false } // checked at load: never reached
		} else {
			m = re.MatchString
		}
	case strings.ContainsAny(p, "*?["):
		m = func(s string) bool { ok, _ := filepath.Match(p, s); return ok }
	default:
		m = func(s string) bool { return s == p }
	}
	patterns.Store(p, m)
	return m(s)
}

func inCIDR(ip string, c ref.Val) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	hit := false
	check := func(s string) bool {
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(a) {
			hit = true
		}
		return hit
	}
	if s, ok := c.(types.String); ok {
		check(string(s))
	} else {
		eachString(c, check)
	}
	return hit
}

// The helpers' implementations, by name: the CEL bindings and the fast
// path (fast.go) call the same functions.
var (
	unaryHelpers = map[string]func(ref.Val) ref.Val{
		"basename":      strFn(filepath.Base),
		"dirname":       strFn(filepath.Dir),
		"strip_version": strFn(func(s string) string { return strings.TrimRight(s, "0123456789.") }),
	}
	binaryHelpers = map[string]func(ref.Val, ref.Val) ref.Val{
		"glob": boolFn(func(s string, p ref.Val) bool {
			ok, _ := filepath.Match(string(p.(types.String)), s)
			return ok
		}),
		"matches_any": boolFn(func(s string, l ref.Val) bool {
			hit := false
			eachString(l, func(p string) bool { hit = matchPattern(p, s); return hit })
			return hit
		}),
		"starts_with_any": boolFn(func(s string, l ref.Val) bool {
			hit := false
			eachString(l, func(p string) bool { hit = strings.HasPrefix(s, p); return hit })
			return hit
		}),
		"ends_with_any": boolFn(func(s string, l ref.Val) bool {
			hit := false
			eachString(l, func(p string) bool { hit = strings.HasSuffix(s, p); return hit })
			return hit
		}),
		"in_cidr": boolFn(inCIDR),
		"has_bits": func(a, b ref.Val) ref.Val {
			x, ok1 := a.(types.Int)
			m, ok2 := b.(types.Int)
			if !ok1 || !ok2 {
				return types.MaybeNoSuchOverloadErr(a)
			}
			return types.Bool(x&m != 0)
		},
	}
)

func helperOptions() []cel.EnvOption {
	strs := cel.ListType(cel.StringType)
	str, b := cel.StringType, cel.BoolType
	unary := func(name string) cel.OverloadOpt { return cel.UnaryBinding(unaryHelpers[name]) }
	binary := func(name string) cel.OverloadOpt { return cel.BinaryBinding(binaryHelpers[name]) }
	return []cel.EnvOption{
		ext.Strings(),
		cel.Function("basename", cel.Overload("basename_string", []*cel.Type{str}, str, unary("basename"))),
		cel.Function("dirname", cel.Overload("dirname_string", []*cel.Type{str}, str, unary("dirname"))),
		cel.Function("strip_version", cel.Overload("strip_version_string", []*cel.Type{str}, str, unary("strip_version"))),
		cel.Function("glob", cel.MemberOverload("string_glob_string", []*cel.Type{str, str}, b, binary("glob"))),
		cel.Function("matches_any", cel.MemberOverload("string_matches_any_list", []*cel.Type{str, strs}, b, binary("matches_any"))),
		cel.Function("starts_with_any", cel.MemberOverload("string_starts_with_any_list", []*cel.Type{str, strs}, b, binary("starts_with_any"))),
		cel.Function("ends_with_any", cel.MemberOverload("string_ends_with_any_list", []*cel.Type{str, strs}, b, binary("ends_with_any"))),
		cel.Function("in_cidr",
			cel.MemberOverload("string_in_cidr_string", []*cel.Type{str, str}, b, binary("in_cidr")),
			cel.MemberOverload("string_in_cidr_list", []*cel.Type{str, strs}, b, binary("in_cidr"))),
		cel.Function("has_bits", cel.Overload("has_bits_int_int", []*cel.Type{cel.IntType, cel.IntType}, b, binary("has_bits"))),
	}
}

// macro is a compiled macro: evaluated when a condition first reads it
// for a record, then remembered for that record.
type macro struct {
	name string
	fast node
	id   int
}

// language is one policy's compiled vocabulary: fields, lists, the
// policy's settings and macros.
type language struct {
	env    *cel.Env
	macros map[string]*macro
	keep   *keptASTs          // nil: nothing kept (kept.go)
	scope  string             // with keep: what env declares (scopeOf)
	consts map[string]ref.Val // with keep: env's constants
}

func policyConstants(p *policy.Policy) []cel.EnvOption {
	ports := make([]int64, 0, len(p.SuspiciousPorts))
	for port := range p.SuspiciousPorts {
		ports = append(ports, int64(port))
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	texts := func(ps []policy.Pattern) ref.Val {
		out := make([]string, len(ps))
		for i, x := range ps {
			out[i] = x.Text
		}
		return constList(out)
	}
	return []cel.EnvOption{
		cel.Constant("policy.suspicious_ports", cel.ListType(cel.IntType), types.DefaultTypeAdapter.NativeToValue(ports)),
		cel.Constant("policy.services", cel.ListType(cel.StringType), texts(p.Services)),
		cel.Constant("policy.privilege_helpers", cel.ListType(cel.StringType), texts(p.PrivilegeHelpers)),
	}
}

// newLanguage declares the fields, the lists and the policy's settings,
// then compiles the macros (each may use those before it, in any order).
func newLanguage(p *policy.Policy, keep *keptASTs) (*language, error) {
	opts := helperOptions()
	for _, f := range Fields {
		opts = append(opts, cel.Variable(f.Name, f.Type))
	}
	opts = append(opts, policyConstants(p)...)
	for _, name := range sortedKeys(p.Lists) {
		l := p.Lists[name]
		for _, item := range l.Items {
			if re, ok := strings.CutPrefix(item, "re:"); ok {
				if _, err := regexp.Compile(re); err != nil {
					return nil, &policy.Error{File: l.File, Line: l.Line, Msg: fmt.Sprintf("list %q: bad regular expression %q: %v", name, re, err)}
				}
			}
		}
		if fieldByName[name] != nil {
			return nil, &policy.Error{File: l.File, Line: l.Line, Msg: fmt.Sprintf("list %q has the name of a field", name)}
		}
		opts = append(opts, cel.Constant(name, cel.ListType(cel.StringType), constList(l.Items)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	lang := &language{env: env, macros: map[string]*macro{}, keep: keep}
	if keep != nil {
		lang.scope, lang.consts = scopeOf(env)
		keep.useBuild(env)
	}

	// macros in dependency order: compile those whose references are
	// declared, declare them, repeat; what is left has a real error.  A
	// macro that names one still pending waits without a try (a try that
	// fails is a whole compile, and is never kept), unless every pending
	// one does (a cycle, or a name in a string): then all are tried, and
	// the errors tell.
	pending := sortedKeys(p.Macros)
	for len(pending) > 0 {
		var next []string
		var firstErr error
		waits := namesPending(p.Macros, pending)
		if len(waits) == len(pending) {
			waits = nil
		}
		for _, name := range pending {
			m := p.Macros[name]
			if p.Lists[name] != nil || fieldByName[name] != nil {
				return nil, &policy.Error{File: m.File, Line: m.Line, Msg: fmt.Sprintf("macro %q has the name of a list or a field", name)}
			}
			if waits[name] {
				next = append(next, name)
				continue
			}
			ast, iss := lang.check(m.Expr)
			if iss.Err() != nil {
				next = append(next, name)
				if firstErr == nil {
					firstErr = celError(m.File, m.Line, "macro "+name, iss.Err())
				}
				continue
			}
			fast, err := lang.fastCompile(ast.NativeRep(), ast.NativeRep().Expr())
			if err != nil {
				return nil, celError(m.File, m.Line, "macro "+name, err)
			}
			lang.macros[name] = &macro{name: name, fast: fast, id: len(lang.macros)}
			if lang.env, err = lang.env.Extend(cel.Variable(name, ast.OutputType())); err != nil {
				return nil, err
			}
			if keep != nil {
				lang.scope = extendScope(lang.scope, name, ast.OutputType())
			}
		}
		if len(next) == len(pending) {
			return nil, firstErr
		}
		pending = next
	}
	return lang, nil
}

// compile checks a condition: it must be a bool.
// condition is a compiled condition: the fast form that runs, and the
// checked expression, which tests run through cel-go to compare.
type condition struct {
	fast node
	ast  *cel.Ast
}

// program plans an expression for cel-go, with the fast matches().
func (l *language) program(ast *cel.Ast) (cel.Program, error) {
	return l.env.Program(ast, cel.EvalOptions(cel.OptOptimize), fastMatches())
}

func (l *language) compile(expr, file string, line int, what string) (*condition, *guard, error) {
	ast, iss := l.check(expr)
	if iss.Err() != nil {
		if name := unknownField(expr, iss.Err().Error()); name != "" {
			return nil, nil, &policy.Error{File: file, Line: line, Msg: fmt.Sprintf("%s: unknown field %q (README lists the fields)", what, name)}
		}
		return nil, nil, celError(file, line, what, iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, nil, &policy.Error{File: file, Line: line, Msg: fmt.Sprintf("%s: the condition is a %s, want a bool", what, ast.OutputType())}
	}
	fast, err := l.fastCompile(ast.NativeRep(), ast.NativeRep().Expr())
	if err != nil {
		return nil, nil, celError(file, line, what, err)
	}
	return &condition{fast: fast, ast: ast}, guardOf(ast), nil
}

// celError makes one line of a CEL error, at the line of the file where
// the expression starts.
func celError(file string, line int, what string, err error) error {
	msg := err.Error()
	// "ERROR: <input>:1:5: undeclared reference to 'x'\n | ...\n | ....^"
	first, _, _ := strings.Cut(msg, "\n")
	first = strings.TrimPrefix(first, "ERROR: ")
	first = strings.TrimPrefix(first, "<input>:")
	return &policy.Error{File: file, Line: line, Msg: fmt.Sprintf("%s: %s", what, first)}
}

var undeclaredRE = regexp.MustCompile(`undeclared reference to '([a-z_]+)'`)

// unknownField names the field a condition misspelt: CEL reports only the
// first element of process.exee.
func unknownField(expr, msg string) string {
	m := undeclaredRE.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	re := regexp.MustCompile(`\b` + m[1] + `(\.[a-z_]+)+`)
	for _, name := range re.FindAllString(expr, -1) {
		if fieldByName[name] == nil {
			return name
		}
	}
	return ""
}

// constList is a list whose elements are CEL values already: reading one
// (x in list, a helper's loop) allocates nothing, where a list of Go
// strings converts each element on every read.
func constList(items []string) ref.Val {
	vals := make([]ref.Val, len(items))
	for i, s := range items {
		vals[i] = types.String(s)
	}
	return types.NewRefValList(types.DefaultTypeAdapter, vals)
}

// namesPending are the pending macros whose text names another pending
// one, as a whole identifier.
func namesPending(macros map[string]*policy.Macro, pending []string) map[string]bool {
	out := map[string]bool{}
	for _, name := range pending {
		for _, other := range pending {
			if other != name && namesIdent(macros[name].Expr, other) {
				out[name] = true
				break
			}
		}
	}
	return out
}

// namesIdent says whether text holds ident with no identifier character
// on either side.
func namesIdent(text, ident string) bool {
	isIdent := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for from := 0; ; {
		i := strings.Index(text[from:], ident)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(ident)
		if (i == 0 || !isIdent(text[i-1])) && (end == len(text) || !isIdent(text[end])) {
			return true
		}
		from = i + 1
	}
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
