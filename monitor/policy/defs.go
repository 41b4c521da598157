// Rule definitions, lists and macros as a layer gives them.  The policy
// package checks their shape and keeps their lines; the rules package
// compiles the conditions (CEL) and names a bad one by file:line.

package policy

import (
	"regexp"

	"gopkg.in/yaml.v3"
)

// Def is a rule's definition: what it means and when it fires.  In an
// Override or Append, a zero field is one the layer did not give.
type Def struct {
	Description string
	Mitre       []string
	Events      []string // the record events the rule applies to ("*": all)
	Condition   string   // CEL
	Exceptions  []Exception
	Output      string   // the alert's text, with {field} placeholders
	Extra       []Clause // conditions appended by later layers: each must hold too
	File        string
	Line        int // of the condition (of the rule, when none)
}

// Exception spares the records whose fields match one of the tuples: a
// structured allowlist, instead of "and not" clauses in the condition.
// Values are exact, or regular expressions written "re:...".
type Exception struct {
	Name   string
	Fields []string
	Values [][]Pattern
	File   string
	Line   int
}

// Layer modes of a list or a macro.
const (
	Define   = "define"
	AppendTo = "append"
	Replace  = "override"
)

// List is a named list of strings that conditions and exceptions share.
type List struct {
	Items []string
	Mode  string // Define, AppendTo or Replace an earlier layer's
	File  string
	Line  int
}

// Macro is a named CEL expression that conditions use by its name.
type Macro struct {
	Expr string
	Mode string // Define or Replace
	File string
	Line int
}

var (
	defKeys    = []string{"description", "mitre", "events", "condition", "exceptions", "output"}
	appendKeys = []string{"mitre", "events", "condition", "exceptions"}
	nameRE     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

type fileDef struct {
	Description yaml.Node       `yaml:"description"`
	Mitre       []yaml.Node     `yaml:"mitre"`
	Events      []yaml.Node     `yaml:"events"`
	Condition   yaml.Node       `yaml:"condition"`
	Exceptions  []fileException `yaml:"exceptions"`
	Output      yaml.Node       `yaml:"output"`
}

type fileException struct {
	Name   yaml.Node   `yaml:"name"`
	Fields []yaml.Node `yaml:"fields"`
	Values []yaml.Node `yaml:"values"`
}

// def returns the definition fields of an entry, or nil when it has none.
func (c *checker) def(f *fileDef, where string) *Def {
	d := &Def{File: c.file, Line: f.Condition.Line}
	given := false
	if f.Description.Kind != 0 {
		d.Description, given = f.Description.Value, true
	}
	for _, n := range f.Mitre {
		d.Mitre, given = append(d.Mitre, n.Value), true
	}
	for _, n := range f.Events {
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			c.fail(n.Line, "%s.events: want event names (exec, open, connect, ...) or \"*\"", where)
			continue
		}
		d.Events, given = append(d.Events, n.Value), true
	}
	if f.Condition.Kind != 0 {
		if f.Condition.Kind != yaml.ScalarNode || f.Condition.Value == "" {
			c.fail(f.Condition.Line, "%s.condition: want a CEL expression", where)
		}
		d.Condition, given = f.Condition.Value, true
	}
	if f.Output.Kind != 0 {
		d.Output, given = f.Output.Value, true
	}
	for _, fe := range f.Exceptions {
		e := Exception{Name: fe.Name.Value, File: c.file, Line: fe.Name.Line}
		if e.Line == 0 && len(fe.Fields) > 0 {
			e.Line = fe.Fields[0].Line
		}
		if len(fe.Fields) == 0 {
			c.fail(e.Line, "%s.exceptions: %q has no fields", where, e.Name)
			continue
		}
		for _, n := range fe.Fields {
			e.Fields = append(e.Fields, n.Value)
		}
		for _, v := range fe.Values {
			// one field: a plain list of values; several: a list of tuples
			var tuple []yaml.Node
			switch {
			case v.Kind == yaml.SequenceNode:
				for _, x := range v.Content {
					tuple = append(tuple, *x)
				}
			case len(e.Fields) == 1:
				tuple = []yaml.Node{v}
			}
			if len(tuple) != len(e.Fields) {
				c.fail(v.Line, "%s.exceptions: %q has %d fields, this value has %d", where, e.Name, len(e.Fields), len(tuple))
				continue
			}
			e.Values = append(e.Values, c.patterns(tuple, where+".exceptions"))
		}
		d.Exceptions, given = append(d.Exceptions, e), true
	}
	if !given {
		return nil
	}
	return d
}

func (c *checker) lists(n *yaml.Node, p *Policy) {
	c.named(n, "lists", func(k, v *yaml.Node) {
		l := &List{Mode: Define, File: c.file, Line: k.Line}
		if v.Kind == yaml.MappingNode {
			if !c.keys(v, "lists."+k.Value, AppendTo, Replace) || len(v.Content) != 2 {
				c.fail(v.Line, "lists.%s: want a list, or one of append: or override:", k.Value)
				return
			}
			l.Mode, v = v.Content[0].Value, v.Content[1]
		}
		if v.Kind != yaml.SequenceNode {
			c.fail(v.Line, "lists.%s: want a list of strings", k.Value)
			return
		}
		for _, x := range v.Content {
			if x.Kind != yaml.ScalarNode {
				c.fail(x.Line, "lists.%s: want strings", k.Value)
				return
			}
			l.Items = append(l.Items, x.Value)
		}
		p.Lists[k.Value] = l
	})
}

func (c *checker) macros(n *yaml.Node, p *Policy) {
	c.named(n, "macros", func(k, v *yaml.Node) {
		m := &Macro{Mode: Define, File: c.file, Line: v.Line}
		if v.Kind == yaml.MappingNode {
			if !c.keys(v, "macros."+k.Value, Replace) || len(v.Content) != 2 {
				c.fail(v.Line, "macros.%s: want a CEL expression, or override:", k.Value)
				return
			}
			m.Mode, v = Replace, v.Content[1]
			m.Line = v.Line
		}
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			c.fail(v.Line, "macros.%s: want a CEL expression", k.Value)
			return
		}
		m.Expr = v.Value
		p.Macros[k.Value] = m
	})
}

// named walks a map of names (lists, macros), refusing bad and repeated
// names.
func (c *checker) named(n *yaml.Node, what string, each func(k, v *yaml.Node)) {
	if n.Kind == 0 {
		return
	}
	if n.Kind != yaml.MappingNode {
		c.fail(n.Line, "%s: want a map of names", what)
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !nameRE.MatchString(k.Value) {
			c.fail(k.Line, "%s: %q is not a name (lower case, digits and _; it is used in CEL)", what, k.Value)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			c.fail(k.Line, "%s: %q already defined at line %d", what, k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		each(k, v)
	}
}

// settingsGiven lists the settings a file gives, so that a later layer
// replaces only those.  A key given as null counts as not given.
func settingsGiven(f *file) map[string]bool {
	given := map[string]bool{
		"allow":                    f.Allow.Exe != nil || f.Allow.User != nil || f.Allow.Parent != nil,
		"watch.paths":              f.Watch.Paths != nil,
		"watch.sockets":            f.Watch.Sockets != nil,
		"network.suspicious_ports": f.Network.SuspiciousPorts != nil,
		"network.services":         f.Network.Services != nil,
		"privilege_helpers":        f.PrivilegeHelpers != nil,
		"fold_window":              f.FoldWindow.Kind != 0,
		"analytics.half_life":      f.Analytics.HalfLife.Kind != 0,
		"analytics.top":            f.Analytics.Top.Kind != 0,
		"analytics.max_tracked":    f.Analytics.MaxTracked.Kind != 0,
	}
	for k, v := range given {
		if !v {
			delete(given, k)
		}
	}
	return given
}
