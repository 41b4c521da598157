// Package ecscheck checks documents against the Elastic Common Schema's
// field reference: every field must exist in ECS with a value of its type,
// an array only where ECS allows one, and every categorisation value
// (event.kind, event.category, event.type, event.outcome) must be one ECS
// allows, each event.type one that its event.category expects.  Fields
// under ebpf_log_monitor (ours, with no ECS home) are not checked.
//
// ecs_fields.json is derived from ECS's ecs_flat.yml (Apache License 2.0,
// ECS-LICENSE.txt) by ../ecsgen: make ecs-fields.
package ecscheck

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

//go:embed ecs_fields.json
var fieldsJSON []byte

// Custom is the one object that holds our fields with no ECS home.
const Custom = "ebpf_log_monitor"

// Schema is ECS's fields and allowed values.
type Schema struct {
	Source string `json:"source"`
	Fields map[string]struct {
		Type  string `json:"type"`
		Array bool   `json:"array"`
	} `json:"fields"`
	Allowed map[string]map[string][]string `json:"allowed"`
}

// Load reads the embedded reference.
func Load() (*Schema, error) {
	var s Schema
	if err := json.Unmarshal(fieldsJSON, &s); err != nil {
		return nil, fmt.Errorf("ecs_fields.json: %w", err)
	}
	return &s, nil
}

// Check returns every way doc (one JSON object) departs from ECS, and the
// ECS fields it holds.
func (s *Schema) Check(doc []byte) (problems []string, fields []string) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return []string{"not a JSON object: " + err.Error()}, nil
	}
	flat := map[string]any{}
	flatten("", m, flat)
	for k, v := range flat {
		if k == Custom || strings.HasPrefix(k, Custom+".") {
			continue
		}
		fields = append(fields, k)
		f, ok := s.Fields[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: not an ECS field", k))
			continue
		}
		vals := []any{v}
		if arr, isArr := v.([]any); isArr {
			if !f.Array {
				problems = append(problems, fmt.Sprintf("%s: an array, ECS has one value (type %s)", k, f.Type))
			}
			vals = arr
		}
		for _, x := range vals {
			if err := typeOK(f.Type, x); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", k, err))
			}
		}
		if allowed, ok := s.Allowed[k]; ok {
			for _, x := range vals {
				if _, ok := allowed[fmt.Sprint(x)]; !ok {
					problems = append(problems, fmt.Sprintf("%s: %q is not an allowed value", k, x))
				}
			}
		}
	}
	// each event.type must be expected by one of the event.category values
	if types, ok := strs(flat["event.type"]); ok {
		cats, _ := strs(flat["event.category"])
		for _, t := range types {
			expected := false
			for _, c := range cats {
				for _, e := range s.Allowed["event.category"][c] {
					expected = expected || e == t
				}
			}
			if !expected {
				problems = append(problems, fmt.Sprintf("event.type %q is expected by none of event.category %v", t, cats))
			}
		}
	}
	sort.Strings(problems)
	sort.Strings(fields)
	return problems, fields
}

// flatten turns nested objects into dotted keys; arrays and scalars are
// leaves.  ECS's object fields (labels) keep their object.
func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && key != Custom {
			flatten(key, sub, out)
			continue
		}
		out[key] = v
	}
}

func strs(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out, true
	}
	return nil, false
}

func typeOK(typ string, v any) error {
	switch typ {
	case "keyword", "wildcard", "text", "match_only_text", "constant_keyword":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%#v is not a string (%s)", v, typ)
		}
	case "long", "integer", "short", "byte", "unsigned_long":
		n, ok := v.(json.Number)
		if !ok {
			return fmt.Errorf("%#v is not a number (%s)", v, typ)
		}
		if _, err := n.Int64(); err != nil && typ != "unsigned_long" {
			return fmt.Errorf("%v is not an integer (%s)", v, typ)
		}
	case "float", "double", "scaled_float", "half_float":
		if _, ok := v.(json.Number); !ok {
			return fmt.Errorf("%#v is not a number (%s)", v, typ)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%v is not a boolean", v)
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not a date string", v)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("%q is not an RFC 3339 date", s)
		}
	case "ip":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%v is not an IP string", v)
		}
		if _, err := netip.ParseAddr(s); err != nil {
			return fmt.Errorf("%q is not an IP address", s)
		}
	case "object", "flattened", "nested":
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%v is not an object (%s)", v, typ)
		}
	default:
		return fmt.Errorf("type %s is not checked here", typ)
	}
	return nil
}
