// Command ecsgen writes the part of the Elastic Common Schema's field
// reference (ecs_flat.yml) that the ECS output is tested against: each
// field's type and whether it holds an array, and the allowed values of
// the categorisation fields.  make ecs-fields runs it.
//
//	go run ./monitor/output/ecsgen SOURCE-NOTE ecs_flat.yml > monitor/output/ecscheck/ecs_fields.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"
)

type field struct {
	Type          string   `yaml:"type"`
	Normalize     []string `yaml:"normalize"`
	AllowedValues []struct {
		Name               string   `yaml:"name"`
		ExpectedEventTypes []string `yaml:"expected_event_types"`
	} `yaml:"allowed_values"`
}

type out struct {
	Source  string                         `json:"source"`
	Fields  map[string]outField            `json:"fields"`
	Allowed map[string]map[string][]string `json:"allowed"` // field -> value -> expected event types
}

type outField struct {
	Type  string `json:"type"`
	Array bool   `json:"array,omitempty"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ecsgen SOURCE-NOTE ecs_flat.yml")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var flat map[string]field
	if err := yaml.Unmarshal(b, &flat); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	o := out{Source: os.Args[1], Fields: map[string]outField{}, Allowed: map[string]map[string][]string{}}
	names := make([]string, 0, len(flat))
	for k := range flat {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f := flat[k]
		arr := false
		for _, n := range f.Normalize {
			arr = arr || n == "array"
		}
		o.Fields[k] = outField{Type: f.Type, Array: arr}
		if len(f.AllowedValues) > 0 {
			vals := map[string][]string{}
			for _, v := range f.AllowedValues {
				vals[v.Name] = append([]string{}, v.ExpectedEventTypes...)
			}
			o.Allowed[k] = vals
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
