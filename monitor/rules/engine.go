package rules

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/policy"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/syscalls"
	"github.com/google/cel-go/common/types"
)

// Def is one built-in rule as the tests and README list it: a stable
// name, what it means, its default severity, MITRE ATT&CK techniques, and
// its condition (the CEL of policy/rules.yaml, compiled).
type Def struct {
	Name        string
	Description string
	Severity    record.Severity
	Mitre       []string
	Match       func(r *record.Record, c *Ctx) bool
}

// Ctx is what a condition may consult besides the record.
type Ctx struct {
	Policy *policy.Policy
	Self   uint32 // the monitor's own pid
}

// rule is one compiled rule.
type rule struct {
	name        string
	description string
	severity    record.Severity
	mitre       []string
	enabled     bool
	allow       policy.Allow
	conds       []*condition // the condition, then clauses appended by later layers
	guards      []*guard     // tests that rule a record out before any condition runs
	exceptions  []exception
	output      []piece
	order       int
}

type exception struct {
	fields []*fieldRef
	values [][]policy.Pattern
}

// piece of an output template: text, or a field's value.
type piece struct {
	text  string
	field *fieldRef
	arg   string // {syscall.args.NAME}: a decoded argument
}

// Engine judges records against the rules of a policy.  It is used by one
// goroutine; SetPolicy swaps the policy between records.
type Engine struct {
	policy  *policy.Policy
	lang    *language
	byEvent map[string][]*rule
	any     []*rule // events "*"
	byName  map[string]*rule
	self    uint32
	act     activation
	errors  uint64
	keep    *keptASTs // CompileKeeping: checked expressions kept between runs
}

// NewEngine returns an engine for a policy that is known to compile (the
// default, or one Compile accepted); it panics otherwise.
func NewEngine(p *policy.Policy) *Engine {
	e, err := Compile(p)
	if err != nil {
		panic("rules: " + err.Error())
	}
	return e
}

// Compile checks and compiles a policy's rules.  A policy that is one
// layer (Parse, Load) is put over the built-in rules first.
func Compile(p *policy.Policy) (*Engine, error) {
	return compile(p, nil)
}

// CompileKeeping is Compile, with the checked expressions kept in the
// file at path between runs of one binary (kept.go), for this compile and
// every SetPolicy after it.  binary identifies the build: a new one must
// not read an old one's file.  The file is the caller's to place where
// only root writes; one that cannot be read is passed over, and one that
// cannot be written is not an error.  build is what BuiltChecks made for
// the built-in policy when the binary was built (nil: none), read before
// the file; path "" keeps nothing.
func CompileKeeping(p *policy.Policy, path, binary string, build []byte) (*Engine, error) {
	return compile(p, &keptASTs{path: path, binary: binary, build: build})
}

func compile(p *policy.Policy, keep *keptASTs) (*Engine, error) {
	e := &Engine{self: uint32(os.Getpid()), keep: keep}
	if err := e.SetPolicy(p); err != nil {
		return nil, err
	}
	return e, nil
}

// SetPolicy compiles a policy and, when it compiles, puts it in force
// (SIGHUP).  On error the running policy stays.
func (e *Engine) SetPolicy(p *policy.Policy) error {
	full := p
	if !p.Complete {
		var err error
		if full, err = policy.Merge(policy.Builtin(), p); err != nil {
			return err
		}
	}
	if e.keep != nil {
		e.keep.load()
	}
	lang, err := newLanguage(full, e.keep)
	if err != nil {
		return err
	}
	byEvent := map[string][]*rule{}
	var anyEvent []*rule
	for _, name := range sortedKeys(full.Rules) {
		pr := full.Rules[name]
		d := pr.Def
		if d == nil {
			return &policy.Error{File: pr.File, Line: pr.Line, Msg: fmt.Sprintf("rule %q has no definition", name)}
		}
		ru, err := compileRule(lang, full, name, pr)
		if err != nil {
			return err
		}
		for _, ev := range expandEvents(full, d.Events) {
			if ev == "*" {
				anyEvent = append(anyEvent, ru)
				continue
			}
			byEvent[ev] = append(byEvent[ev], ru)
		}
	}
	byOrder := func(rs []*rule) {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].order < rs[j].order })
	}
	for ev, rs := range byEvent {
		byEvent[ev] = append(rs, anyEvent...)
		byOrder(byEvent[ev])
	}
	byOrder(anyEvent)
	byName := map[string]*rule{}
	for _, rs := range byEvent {
		for _, ru := range rs {
			byName[ru.name] = ru
		}
	}
	for _, ru := range anyEvent {
		byName[ru.name] = ru
	}
	e.policy, e.lang, e.byEvent, e.any, e.byName = p, lang, byEvent, anyEvent, byName
	e.act = newActivation(lang)
	if e.keep != nil {
		e.keep.save() // best effort: the next start compiles again
	}
	return nil
}

// expandEvents replaces the names of lists with their items.
func expandEvents(p *policy.Policy, events []string) []string {
	var out []string
	for _, ev := range events {
		if l := p.Lists[ev]; l != nil {
			out = append(out, l.Items...)
			continue
		}
		out = append(out, ev)
	}
	return out
}

var placeholderRE = regexp.MustCompile(`\{([a-z_.]+)\}`)

func compileRule(lang *language, p *policy.Policy, name string, pr *policy.Rule) (*rule, error) {
	d := pr.Def
	ru := &rule{name: name, description: d.Description, severity: pr.Severity, mitre: d.Mitre,
		enabled: pr.Enabled, allow: pr.Allow, order: ruleOrder(pr)}
	if !pr.HasSeverity {
		ru.severity = record.Warn
	}
	where := fmt.Sprintf("rule %q", name)
	for _, ev := range expandEvents(p, d.Events) {
		if ev != "*" && !KnownEvent(ev) {
			return nil, &policy.Error{File: d.File, Line: d.Line, Msg: fmt.Sprintf("%s: unknown event %q (events are the JSON's \"event\" values: exec, open, connect, a syscall's name, ...)", where, ev)}
		}
	}
	prg, g, err := lang.compile(d.Condition, d.File, d.Line, where)
	if err != nil {
		return nil, err
	}
	ru.conds = append(ru.conds, prg)
	if g != nil {
		ru.guards = append(ru.guards, g)
	}
	for _, c := range d.Extra {
		prg, g, err := lang.compile(c.Expr, c.File, c.Line, where+" (appended condition)")
		if err != nil {
			return nil, err
		}
		ru.conds = append(ru.conds, prg)
		if g != nil {
			ru.guards = append(ru.guards, g)
		}
	}
	for _, x := range d.Exceptions {
		ex := exception{values: x.Values}
		for _, f := range x.Fields {
			fd := fieldByName[f]
			if fd == nil {
				return nil, &policy.Error{File: x.File, Line: x.Line, Msg: fmt.Sprintf("%s: exception %q: unknown field %q", where, x.Name, f)}
			}
			ex.fields = append(ex.fields, fd)
		}
		ru.exceptions = append(ru.exceptions, ex)
	}
	rest := d.Output
	for rest != "" {
		loc := placeholderRE.FindStringSubmatchIndex(rest)
		if loc == nil {
			ru.output = append(ru.output, piece{text: rest})
			break
		}
		if loc[0] > 0 {
			ru.output = append(ru.output, piece{text: rest[:loc[0]]})
		}
		name := rest[loc[2]:loc[3]]
		if arg, ok := strings.CutPrefix(name, "syscall.args."); ok && arg != "" {
			ru.output = append(ru.output, piece{arg: arg})
			rest = rest[loc[1]:]
			continue
		}
		f := fieldByName[name]
		if f == nil {
			return nil, &policy.Error{File: d.File, Line: d.Line, Msg: fmt.Sprintf("%s: output: unknown field %q", where, name)}
		}
		ru.output = append(ru.output, piece{field: f})
		rest = rest[loc[1]:]
	}
	return ru, nil
}

// ruleOrder: the built-ins in their file's order, then the others.
func ruleOrder(r *policy.Rule) int {
	if r.Def != nil && r.Def.File != "builtin" {
		return 1<<20 + r.Line
	}
	return r.Line
}

// Policy is the policy in force.
func (e *Engine) Policy() *policy.Policy { return e.policy }

// EvalErrors counts conditions that failed to evaluate (a map key absent,
// ...): each counted as no match.
func (e *Engine) EvalErrors() uint64 { return e.errors }

// InjectionPtraceRequests are the ptrace requests that take control of
// another process or write into it (process-injection, the list
// injection_ptrace_requests).  The kernel side must report each (enum
// ptrace_reported; checked in monitor's tests).
var InjectionPtraceRequests = func() []uint64 {
	var out []uint64
	for _, name := range policy.Builtin().Lists["injection_ptrace_requests"].Items {
		v, ok := syscalls.PtraceRequestValue(name)
		if !ok {
			panic("rules.yaml: injection_ptrace_requests names no ptrace request " + name)
		}
		out = append(out, v)
	}
	return out
}()

// Names lists the built-in rule names (for policy checking).
func Names() []string { return policy.BuiltinNames() }

// Builtin is the built-in rules, in their file's order.  Their conditions
// are compiled when a Match is first called (tests), not at start.
var Builtin = func() []Def {
	p := policy.Builtin()
	engine := sync.OnceValue(func() *Engine { return NewEngine(p) })
	var out []Def
	for _, name := range Names() {
		r := p.Rules[name]
		out = append(out, Def{Name: name, Description: r.Def.Description, Severity: r.Severity, Mitre: r.Def.Mitre,
			Match: func(rec *record.Record, c *Ctx) bool {
				e := engine()
				e.self = c.Self
				return e.matches(e.rule(name), rec)
			}})
	}
	return out
}()

// rule returns the compiled rule of that name, or nil.
func (e *Engine) rule(name string) *rule { return e.byName[name] }

// Evaluate appends every matching rule to r.Rules and raises r.Severity to
// the highest of them.  Exceptions, allowlists (global and per rule) and
// disabled rules are honoured.
func (e *Engine) Evaluate(r *record.Record) {
	if !judged(r) {
		return
	}
	rs, ok := e.byEvent[r.Event]
	if !ok {
		rs = e.any
	}
	if len(rs) == 0 {
		return
	}
	exe := "" // copied from the record only for a rule that matched
	parent, parentScript, script := "", "", ""
	if r.Process != nil && len(r.Process.Ancestry) > 0 {
		parent, parentScript = r.Process.Ancestry[0].Exe, r.Process.Ancestry[0].Script
	}
	e.act.reset(r, e.self)
	for _, ru := range rs {
		if !ru.enabled || !e.matchesIn(ru) {
			continue
		}
		if r.Process == nil { // a container's start: no process to allow
			if e.excepted(ru) {
				continue
			}
		} else {
			if exe == "" {
				exe, script = string(r.Process.Exe), string(r.Process.Script)
			}
			if e.policy.Allow.Allows(exe, r.Process.UID, parent) || ru.allow.Allows(exe, r.Process.UID, parent) ||
				e.policy.Allow.AllowsScript(script, parentScript) || ru.allow.AllowsScript(script, parentScript) ||
				e.excepted(ru) {
				continue
			}
		}
		r.Rules = append(r.Rules, record.Rule{Name: ru.name, Severity: ru.severity, Mitre: ru.mitre, Description: ru.description})
		if ru.severity > r.Severity {
			r.Severity = ru.severity
		}
	}
}

// judged says whether rules judge a record: a process's act, or a
// container's start (no process: the runtime's API told of it).
func judged(r *record.Record) bool {
	return r.Category != record.CatMonitor && (r.Process != nil || r.Category == record.CatContainer)
}

// matches evaluates a rule's condition alone (Def.Match).
func (e *Engine) matches(ru *rule, r *record.Record) bool {
	if !judged(r) {
		return false
	}
	e.act.reset(r, e.self)
	return e.matchesIn(ru)
}

func (e *Engine) matchesIn(ru *rule) bool {
	for _, g := range ru.guards {
		if s, ok := e.act.field(g.field).(types.String); !ok || !g.values[string(s)] {
			return false
		}
	}
	for _, c := range ru.conds {
		out := c.fast(&e.act)
		if out == types.True {
			continue
		}
		if types.IsError(out) {
			e.errors++
		}
		return false
	}
	return true
}

func (e *Engine) excepted(ru *rule) bool {
	for _, x := range ru.exceptions {
		vals := make([]string, len(x.fields))
		for i, f := range x.fields {
			vals[i] = text(e.act.field(f))
		}
	tuples:
		for _, tuple := range x.values {
			for i, p := range tuple {
				if !p.Match(vals[i]) {
					continue tuples
				}
			}
			return true
		}
	}
	return false
}

// Describe fills the output template of each rule r matched.  It is apart
// from Evaluate so that an alert folded into an earlier one (most of a
// storm) is never rendered: the processor calls it for what it prints.
func (e *Engine) Describe(r *record.Record) {
	if !judged(r) {
		return
	}
	e.act.reset(r, e.self)
	for i := range r.Rules {
		if ru := e.byName[r.Rules[i].Name]; ru != nil && len(ru.output) > 0 {
			r.Rules[i].Output = e.render(ru)
		}
	}
}

// render fills a rule's output template; values from the monitored system
// are quoted when they hold anything but printable text.
func (e *Engine) render(ru *rule) string {
	var b strings.Builder
	for _, p := range ru.output {
		if p.arg != "" {
			if s := e.act.v.r.Syscall; s != nil {
				if v := s.Arg(p.arg); v != nil {
					b.WriteString(safe(argText(v)))
				}
			}
			continue
		}
		if p.field == nil {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(safe(text(e.act.field(p.field))))
	}
	return b.String()
}

func safe(s string) string {
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == utf8.RuneError || !unicode.IsPrint(c) {
			return strconv.Quote(s)
		}
	}
	return s
}

func argText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case []string:
		return strings.Join(x, "|")
	}
	return fmt.Sprint(v)
}
