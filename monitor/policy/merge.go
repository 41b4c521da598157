// Layers: the built-in rules, the default policy (or the user's --policy
// file, which extends it), then each rules.d file in name order.  A later
// layer adds rules, lists and macros, tunes a rule (enabled, severity,
// allow), and changes an earlier definition only by saying so (override,
// append): the meaning of a file never depends on what it forgot to copy.

package policy

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

//go:embed rules.yaml
var builtinYAML []byte

// BuiltinYAML is the embedded file of built-in rule definitions.
func BuiltinYAML() []byte { return builtinYAML }

// Builtin returns the built-in rule definitions, lists and macros.  It is
// parsed once; callers must not change it (Merge copies what it changes).
func Builtin() *Policy { return builtinOnce() }

var builtinOnce = sync.OnceValue(func() *Policy {
	p, err := Parse("builtin", builtinYAML, nil)
	if err != nil {
		panic("embedded rules: " + err.Error())
	}
	p.Complete = true
	return p
})

// BuiltinNames lists the built-in rules in the order the file defines
// them.
func BuiltinNames() []string {
	p := Builtin()
	names := make([]string, 0, len(p.Rules))
	for n := range p.Rules {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return p.Rules[names[i]].Line < p.Rules[names[j]].Line })
	return names
}

// DefaultRulesDir is where Build looks for rules files when none is named.
const DefaultRulesDir = "/etc/ebpf-log-monitor/rules.d"

// Build reads the policy in force: the built-in rules, the default policy
// extended by the file at policyPath (when not ""), then rulesDir/*.yaml
// in name order (a missing directory is no error).
func Build(policyPath, rulesDir string) (*Policy, error) {
	p, err := Merge(Builtin(), mustDefault())
	if err != nil {
		return nil, err
	}
	if policyPath != "" {
		user, err := Load(policyPath, nil)
		if err != nil {
			return nil, err
		}
		if p, err = Merge(p, user); err != nil {
			return nil, err
		}
	}
	if rulesDir == "" {
		return p, nil
	}
	files, err := filepath.Glob(filepath.Join(rulesDir, "*.yaml"))
	if err != nil {
		return nil, &Error{File: rulesDir, Msg: err.Error()}
	}
	sort.Strings(files)
	for _, f := range files {
		layer, err := Load(f, nil)
		if err != nil {
			return nil, err
		}
		if p, err = Merge(p, layer); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(rulesDir); err != nil && !os.IsNotExist(err) {
		return nil, &Error{File: rulesDir, Msg: err.Error()}
	}
	return p, nil
}

func mustDefault() *Policy {
	p, err := Parse("default", defaultYAML, nil)
	if err != nil {
		panic("embedded default policy: " + err.Error())
	}
	return p
}

// Merge returns base with the layer over it.  Neither is changed.
func Merge(base, over *Policy) (*Policy, error) {
	out := *base
	out.Rules = make(map[string]*Rule, len(base.Rules)+len(over.Rules))
	for k, v := range base.Rules {
		out.Rules[k] = v
	}
	out.Lists = make(map[string]*List, len(base.Lists)+len(over.Lists))
	for k, v := range base.Lists {
		out.Lists[k] = v
	}
	out.Macros = make(map[string]*Macro, len(base.Macros)+len(over.Macros))
	for k, v := range base.Macros {
		out.Macros[k] = v
	}
	out.Source = over.Source
	out.Complete = base.Complete || over.Complete
	out.set = nil // a merged policy is no layer: only a layer's settings are merged in
	mergeSettings(&out, over)

	for _, name := range inLineOrder(over.Rules) {
		r := over.Rules[name]
		b := out.Rules[name]
		fail := func(format string, args ...any) error {
			return &Error{File: r.File, Line: r.Line, Msg: fmt.Sprintf(format, args...)}
		}
		if b == nil {
			switch {
			case r.Def == nil && r.Override == nil && r.Append == nil:
				return nil, fail("unknown rule %q (see --print-default-policy for the names)", name)
			case r.Override != nil || r.Append != nil:
				return nil, fail("rule %q: no earlier definition to override or append to", name)
			case r.Def.Condition == "":
				return nil, fail("rule %q: a new rule needs a condition", name)
			case len(r.Def.Events) == 0:
				return nil, fail("rule %q: a new rule needs events (the records it applies to, or \"*\")", name)
			}
			n := *r
			if !n.HasSeverity {
				n.Severity, n.HasSeverity = record.Warn, true
			}
			out.Rules[name] = &n
			continue
		}
		if r.Def != nil {
			where := "earlier"
			if b.Def != nil {
				where = fmt.Sprintf("at %s:%d", b.File, b.Line)
			}
			return nil, fail("rule %q is defined %s: change it with override: or append:, not by redefining it", name, where)
		}
		n := *b
		if r.HasEnabled {
			n.Enabled = r.Enabled
		}
		if r.HasSeverity {
			n.Severity, n.HasSeverity = r.Severity, true
		}
		n.Allow = appendAllow(b.Allow, r.Allow)
		if r.Override != nil || r.Append != nil {
			if b.Def == nil {
				return nil, fail("rule %q: no earlier definition to override or append to", name)
			}
			d := *b.Def
			d.Extra = slices.Clone(d.Extra)
			if o := r.Override; o != nil {
				overrideDef(&d, o)
			}
			if a := r.Append; a != nil {
				d.Mitre = appendNew(d.Mitre, a.Mitre)
				d.Events = appendNew(d.Events, a.Events)
				d.Exceptions = append(slices.Clone(d.Exceptions), a.Exceptions...)
				if a.Condition != "" {
					d.Extra = append(d.Extra, Clause{Expr: a.Condition, File: a.File, Line: a.Line})
				}
			}
			n.Def = &d
		}
		out.Rules[name] = &n
	}

	for _, name := range inLineOrder(over.Lists) {
		l := over.Lists[name]
		b := out.Lists[name]
		switch {
		case l.Mode == Define && b != nil:
			return nil, &Error{File: l.File, Line: l.Line, Msg: fmt.Sprintf(
				"list %q is defined at %s:%d: extend it with append: or replace it with override:", name, b.File, b.Line)}
		case l.Mode != Define && b == nil:
			return nil, &Error{File: l.File, Line: l.Line, Msg: fmt.Sprintf("list %q: no earlier definition to %s", name, l.Mode)}
		case l.Mode == AppendTo:
			n := *b
			n.Items = appendNew(slices.Clone(b.Items), l.Items)
			out.Lists[name] = &n
		default:
			out.Lists[name] = l
		}
	}
	for _, name := range inLineOrder(over.Macros) {
		m := over.Macros[name]
		b := out.Macros[name]
		switch {
		case m.Mode == Define && b != nil:
			return nil, &Error{File: m.File, Line: m.Line, Msg: fmt.Sprintf(
				"macro %q is defined at %s:%d: replace it with override:", name, b.File, b.Line)}
		case m.Mode != Define && b == nil:
			return nil, &Error{File: m.File, Line: m.Line, Msg: fmt.Sprintf("macro %q: no earlier definition to override", name)}
		}
		out.Macros[name] = m
	}
	return &out, nil
}

// Clause is a condition appended by a later layer: it must hold too.
type Clause struct {
	Expr string
	File string
	Line int
}

func overrideDef(d, o *Def) {
	if o.Description != "" {
		d.Description = o.Description
	}
	if o.Mitre != nil {
		d.Mitre = o.Mitre
	}
	if o.Events != nil {
		d.Events = o.Events
	}
	if o.Condition != "" {
		d.Condition, d.File, d.Line, d.Extra = o.Condition, o.File, o.Line, nil
	}
	if o.Exceptions != nil {
		d.Exceptions = o.Exceptions
	}
	if o.Output != "" {
		d.Output = o.Output
	}
}

func mergeSettings(out, over *Policy) {
	has := func(k string) bool { return over.set[k] }
	if has("allow") {
		out.Allow = appendAllow(out.Allow, over.Allow)
	}
	if has("watch.paths") {
		out.WatchPaths = appendNew(slices.Clone(out.WatchPaths), over.WatchPaths)
	}
	if has("watch.sockets") {
		out.WatchSockets = appendNew(slices.Clone(out.WatchSockets), over.WatchSockets)
	}
	if has("network.suspicious_ports") {
		out.SuspiciousPorts = over.SuspiciousPorts
	}
	if has("network.services") {
		out.Services = over.Services
	}
	if has("privilege_helpers") {
		out.PrivilegeHelpers = over.PrivilegeHelpers
	}
	if has("fold_window") {
		out.FoldWindow = over.FoldWindow
	}
	if has("analytics.half_life") {
		out.HalfLife = over.HalfLife
	}
	if has("analytics.top") {
		out.Top = over.Top
	}
	if has("analytics.max_tracked") {
		out.MaxTracked = over.MaxTracked
	}
}

func appendAllow(a, b Allow) Allow {
	out := Allow{Exe: append(slices.Clone(a.Exe), b.Exe...), Parent: append(slices.Clone(a.Parent), b.Parent...),
		UIDs: make(map[uint32]bool, len(a.UIDs)+len(b.UIDs))}
	for k := range a.UIDs {
		out.UIDs[k] = true
	}
	for k := range b.UIDs {
		out.UIDs[k] = true
	}
	return out
}

func appendNew(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

type lined interface{ line() int }

func (r *Rule) line() int  { return r.Line }
func (l *List) line() int  { return l.Line }
func (m *Macro) line() int { return m.Line }

// inLineOrder returns the names in the order the file gives them, so that
// the first error reported is the first in the file.
func inLineOrder[T lined](m map[string]T) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		li, lj := m[names[i]].line(), m[names[j]].line()
		if li != lj {
			return li < lj
		}
		return strings.Compare(names[i], names[j]) < 0
	})
	return names
}

// PrintedDefault is what --print-default-policy prints: the default
// policy, a file a user can copy and pass back with --policy, then the
// built-in rules as comments, to read and to change with override: and
// append: in that file.
func PrintedDefault() []byte {
	var b strings.Builder
	b.Write(defaultYAML)
	b.WriteString("\n# ---- The built-in rules (--print-default-rules prints them plain). Change one in\n")
	b.WriteString("# ---- this file with rules.NAME.override / .append, lists.NAME.append, ...\n#\n")
	for _, line := range strings.Split(strings.TrimRight(string(builtinYAML), "\n"), "\n") {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	return []byte(b.String())
}
