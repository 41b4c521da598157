// Package policy reads the security policy: per-rule severity, enabling
// and allowlists, global allowlists, extra watched paths and sockets,
// suspicious ports, services and privilege helpers, and analytics settings.
// A file is checked strictly: an unknown key, a bad regular expression, a
// bad severity or an unknown user or rule is an error naming file:line.
//
// The embedded default (default.yaml, --print-default-policy) is in the
// same format; a user's --policy file replaces it, so users start from it.
package policy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ebpf-log-monitor/ebpf-log-monitor/monitor/record"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the embedded default policy, as printed by
// --print-default-policy.
func DefaultYAML() []byte { return defaultYAML }

// Policy is a checked policy: one file (a layer), or the layers merged
// (Merge, Build).
type Policy struct {
	Rules            map[string]*Rule
	Lists            map[string]*List
	Macros           map[string]*Macro
	Allow            Allow
	WatchPaths       []string
	WatchSockets     []string
	SuspiciousPorts  map[uint16]bool
	Services         []Pattern
	PrivilegeHelpers []Pattern
	FoldWindow       time.Duration
	HalfLife         time.Duration
	Top              int
	MaxTracked       int
	Source           string // file name, or "default"
	// Complete: the built-in rule definitions are merged in (Build,
	// Default); a policy from Parse or Load is one layer.
	Complete bool
	set      map[string]bool // top-level settings the file gave
}

// Rule is one rule's entry in a layer: its settings (enabled, severity,
// allowlist), and for a rule the layer defines, its definition.  A later
// layer changes an earlier layer's rule through Override and Append.
type Rule struct {
	Enabled     bool
	HasEnabled  bool
	Severity    record.Severity
	HasSeverity bool
	Allow       Allow
	Def         *Def // the definition, when this layer gives one
	Override    *Def // fields that replace the earlier definition's
	Append      *Def // fields added to the earlier definition's
	File        string
	Line        int
}

// Allow is an allowlist: by executable, by user (uid) or by parent's
// executable.
type Allow struct {
	Exe    []Pattern
	UIDs   map[uint32]bool
	Parent []Pattern
}

// Pattern is an exact path, or a regular expression written "re:...".
type Pattern struct {
	Text  string
	exact string
	re    *regexp.Regexp
}

// Match reports whether s matches the pattern.
func (p Pattern) Match(s string) bool {
	if p.re != nil {
		return p.re.MatchString(s)
	}
	return s == p.exact
}

// MatchAny reports whether s matches any pattern.
func MatchAny(ps []Pattern, s string) bool {
	for _, p := range ps {
		if p.Match(s) {
			return true
		}
	}
	return false
}

// Allows reports whether the allowlist covers a process.
func (a *Allow) Allows(exe string, uid uint32, parentExe string) bool {
	return MatchAny(a.Exe, exe) || a.UIDs[uid] || (parentExe != "" && MatchAny(a.Parent, parentExe))
}

// AllowsScript reports whether the allowlist covers a process by the
// script it, or its parent, runs: an interpreted program (dpkg-preconfigure
// runs as perl, ucf as dash) is named in allow.exe and allow.parent by its
// script's path.
func (a *Allow) AllowsScript(script, parentScript string) bool {
	return (script != "" && MatchAny(a.Exe, script)) || (parentScript != "" && MatchAny(a.Parent, parentScript))
}

// Error is a policy error at a line of a file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// The file's shape.  yaml.Node fields keep line numbers for checks.
type fileRule struct {
	Enabled  *bool     `yaml:"enabled"`
	Severity yaml.Node `yaml:"severity"`
	Allow    fileAllow `yaml:"allow"`
	fileDef  `yaml:",inline"`
	Override *fileDef `yaml:"override"`
	Append   *fileDef `yaml:"append"`
}

type fileAllow struct {
	Exe    []yaml.Node `yaml:"exe"`
	User   []yaml.Node `yaml:"user"`
	Parent []yaml.Node `yaml:"parent"`
}

type file struct {
	Rules  yaml.Node `yaml:"rules"`
	Lists  yaml.Node `yaml:"lists"`
	Macros yaml.Node `yaml:"macros"`
	Allow  fileAllow `yaml:"allow"`
	Watch  struct {
		Paths   []yaml.Node `yaml:"paths"`
		Sockets []yaml.Node `yaml:"sockets"`
	} `yaml:"watch"`
	Network struct {
		SuspiciousPorts []yaml.Node `yaml:"suspicious_ports"`
		Services        []yaml.Node `yaml:"services"`
	} `yaml:"network"`
	PrivilegeHelpers []yaml.Node `yaml:"privilege_helpers"`
	FoldWindow       yaml.Node   `yaml:"fold_window"`
	Analytics        struct {
		HalfLife   yaml.Node `yaml:"half_life"`
		Top        yaml.Node `yaml:"top"`
		MaxTracked yaml.Node `yaml:"max_tracked"`
	} `yaml:"analytics"`
}

// Default returns the embedded default policy.
func Default(known []string) *Policy {
	p, err := Parse("default", defaultYAML, known)
	if err != nil {
		panic("embedded default policy: " + err.Error())
	}
	return p
}

// Load reads and checks a policy file.
func Load(path string, known []string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	return Parse(path, b, known)
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// Parse checks a policy; known lists the rule names that exist.
func Parse(name string, b []byte, known []string) (*Policy, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			m := lineRE.FindStringSubmatch(te.Errors[0])
			if m != nil {
				line, _ := strconv.Atoi(m[1])
				return nil, &Error{File: name, Line: line, Msg: friendly(m[2])}
			}
			return nil, &Error{File: name, Msg: te.Errors[0]}
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: name, Line: line, Msg: m[2]}
		}
		return nil, &Error{File: name, Msg: msg}
	}
	c := checker{file: name}
	if known != nil {
		c.known = map[string]bool{}
		for _, k := range known {
			c.known[k] = true
		}
	}
	p := &Policy{
		Rules:           map[string]*Rule{},
		Lists:           map[string]*List{},
		Macros:          map[string]*Macro{},
		set:             settingsGiven(&f),
		SuspiciousPorts: map[uint16]bool{},
		FoldWindow:      60 * time.Second,
		HalfLife:        10 * time.Minute,
		Top:             5,
		MaxTracked:      4096,
		Source:          name,
	}
	c.rules(&f.Rules, p)
	c.lists(&f.Lists, p)
	c.macros(&f.Macros, p)
	p.Allow = c.allow(&f.Allow)
	p.WatchPaths = c.paths(f.Watch.Paths, "watch.paths")
	p.WatchSockets = c.paths(f.Watch.Sockets, "watch.sockets")
	for _, n := range f.Network.SuspiciousPorts {
		v, err := strconv.ParseUint(n.Value, 10, 16)
		if err != nil || v == 0 {
			c.fail(n.Line, "network.suspicious_ports: %q is not a port (1-65535)", n.Value)
			continue
		}
		p.SuspiciousPorts[uint16(v)] = true
	}
	p.Services = c.patterns(f.Network.Services, "network.services")
	p.PrivilegeHelpers = c.patterns(f.PrivilegeHelpers, "privilege_helpers")
	c.duration(&f.FoldWindow, "fold_window", &p.FoldWindow)
	c.duration(&f.Analytics.HalfLife, "analytics.half_life", &p.HalfLife)
	c.integer(&f.Analytics.Top, "analytics.top", &p.Top, 0, 100)
	c.integer(&f.Analytics.MaxTracked, "analytics.max_tracked", &p.MaxTracked, 16, 1<<20)
	if c.err != nil {
		return nil, c.err
	}
	return p, nil
}

// friendly rewrites yaml.v3's type errors for people.
func friendly(msg string) string {
	if strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type ") {
		key := strings.TrimSuffix(strings.TrimPrefix(msg[:strings.Index(msg, " not found")], "field "), "")
		return fmt.Sprintf("unknown key %q", key)
	}
	return msg
}

type checker struct {
	file  string
	known map[string]bool
	err   error
}

func (c *checker) fail(line int, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{File: c.file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
}

func (c *checker) rules(n *yaml.Node, p *Policy) {
	if n.Kind == 0 {
		return
	}
	if n.Kind != yaml.MappingNode {
		c.fail(n.Line, "rules: want a map of rule names")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if c.known != nil && !c.known[k.Value] && mapValue(v, "condition") == nil {
			c.fail(k.Line, "unknown rule %q (see --print-default-policy for the names)", k.Value)
			continue
		}
		// a yaml.Node keeps duplicate keys: the second would silently win
		if line, dup := seen[k.Value]; dup {
			c.fail(k.Line, "rule %q already defined at line %d", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		// yaml.v3 ignores KnownFields inside Node.Decode: check by hand
		if !c.keys(v, "rules."+k.Value, append([]string{"enabled", "severity", "allow", "override", "append"}, defKeys...)...) {
			continue
		}
		if o := mapValue(v, "override"); o != nil && !c.keys(o, "rules."+k.Value+".override", append([]string{"severity", "enabled"}, defKeys...)...) {
			continue
		}
		// override: severity and enabled are the same as the plain keys
		if o := mapValue(v, "override"); o != nil {
			for i := 0; i+1 < len(o.Content); i += 2 {
				if key := o.Content[i].Value; key == "severity" || key == "enabled" {
					if mapValue(v, key) != nil {
						c.fail(o.Content[i].Line, "rules.%s: %s given twice", k.Value, key)
					}
					v.Content = append(v.Content, o.Content[i], o.Content[i+1])
					o.Content = append(o.Content[:i:i], o.Content[i+2:]...)
					i -= 2
				}
			}
		}
		if a := mapValue(v, "append"); a != nil && !c.keys(a, "rules."+k.Value+".append", appendKeys...) {
			continue
		}
		if a := mapValue(v, "allow"); a != nil && !c.keys(a, "rules."+k.Value+".allow", "exe", "user", "parent") {
			continue
		}
		var fr fileRule
		if err := v.Decode(&fr); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				if m := lineRE.FindStringSubmatch(te.Errors[0]); m != nil {
					line, _ := strconv.Atoi(m[1])
					c.fail(line, "rules.%s: %s", k.Value, friendly(m[2]))
					continue
				}
			}
			c.fail(v.Line, "rules.%s: %v", k.Value, err)
			continue
		}
		r := &Rule{Enabled: true, File: c.file, Line: k.Line}
		if fr.Enabled != nil {
			r.Enabled, r.HasEnabled = *fr.Enabled, true
		}
		r.Def = c.def(&fr.fileDef, "rules."+k.Value)
		if fr.Override != nil {
			r.Override = c.def(fr.Override, "rules."+k.Value+".override")
		}
		if fr.Append != nil {
			r.Append = c.def(fr.Append, "rules."+k.Value+".append")
		}
		if fr.Severity.Kind != 0 {
			s, err := record.ParseSeverity(fr.Severity.Value)
			if err != nil {
				c.fail(fr.Severity.Line, "rules.%s.severity: %v", k.Value, err)
				continue
			}
			r.Severity, r.HasSeverity = s, true
		}
		r.Allow = c.allow(&fr.Allow)
		p.Rules[k.Value] = r
	}
}

// keys fails on any key of mapping n not in allowed.
func (c *checker) keys(n *yaml.Node, where string, allowed ...string) bool {
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return true
		}
		c.fail(n.Line, "%s: want a map", where)
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		ok := false
		for _, a := range allowed {
			if k.Value == a {
				ok = true
			}
		}
		if !ok {
			c.fail(k.Line, "unknown key %q in %s", k.Value, where)
			return false
		}
	}
	return true
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (c *checker) allow(a *fileAllow) Allow {
	out := Allow{UIDs: map[uint32]bool{}}
	out.Exe = c.patterns(a.Exe, "allow.exe")
	out.Parent = c.patterns(a.Parent, "allow.parent")
	for _, n := range a.User {
		if uid, err := strconv.ParseUint(n.Value, 10, 32); err == nil {
			out.UIDs[uint32(uid)] = true
			continue
		}
		u, err := user.Lookup(n.Value)
		if err != nil {
			c.fail(n.Line, "allow.user: no user %q on this machine", n.Value)
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		out.UIDs[uint32(uid)] = true
	}
	return out
}

func (c *checker) patterns(ns []yaml.Node, what string) []Pattern {
	var out []Pattern
	for _, n := range ns {
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			c.fail(n.Line, "%s: want a path or re:<regexp>", what)
			continue
		}
		if expr, ok := strings.CutPrefix(n.Value, "re:"); ok {
			re, err := regexp.Compile(expr)
			if err != nil {
				c.fail(n.Line, "%s: bad regular expression %q: %v", what, expr, err)
				continue
			}
			out = append(out, Pattern{Text: n.Value, re: re})
			continue
		}
		out = append(out, Pattern{Text: n.Value, exact: n.Value})
	}
	return out
}

func (c *checker) paths(ns []yaml.Node, what string) []string {
	var out []string
	for _, n := range ns {
		if !strings.HasPrefix(n.Value, "/") {
			c.fail(n.Line, "%s: %q is not an absolute path", what, n.Value)
			continue
		}
		out = append(out, n.Value)
	}
	return out
}

func (c *checker) duration(n *yaml.Node, what string, dst *time.Duration) {
	if n.Kind == 0 {
		return
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d <= 0 {
		c.fail(n.Line, "%s: %q is not a positive duration (e.g. 60s, 10m)", what, n.Value)
		return
	}
	*dst = d
}

func (c *checker) integer(n *yaml.Node, what string, dst *int, lo, hi int) {
	if n.Kind == 0 {
		return
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < lo || v > hi {
		c.fail(n.Line, "%s: %q is not a number from %d to %d", what, n.Value, lo, hi)
		return
	}
	*dst = v
}
