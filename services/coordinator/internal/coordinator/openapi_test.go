package coordinator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"
)

// openAPI is the part of docs/api/coordinator.yaml the tests read.
type openAPI struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]objectSchema `yaml:"schemas"`
	} `yaml:"components"`
}

// objectSchema is an object schema of the document, as far as the tests
// check it: property names and types, and what is required.
type objectSchema struct {
	Type       string                    `yaml:"type"`
	Required   []string                  `yaml:"required"`
	Properties map[string]map[string]any `yaml:"properties"`
}

func coordinatorDoc(t *testing.T) openAPI {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "api", "coordinator.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/api/coordinator.yaml: %v", err)
	}
	return doc
}

func (d openAPI) schema(t *testing.T, name string) objectSchema {
	t.Helper()
	s, ok := d.Components.Schemas[name]
	if !ok || s.Type != "object" {
		t.Fatalf("docs/api/coordinator.yaml has no object schema %s", name)
	}
	return s
}

// check reports how a decoded JSON object departs from s: a property the
// schema does not list, a required one missing, a value of another type.
func (s objectSchema) check(obj map[string]any) []string {
	var problems []string
	for _, name := range s.Required {
		if _, ok := obj[name]; !ok {
			problems = append(problems, "required "+name+" missing")
		}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		prop, ok := s.Properties[name]
		if !ok {
			problems = append(problems, name+" is not in the schema")
			continue
		}
		var typeOK bool
		switch v := obj[name].(type) {
		case string:
			typeOK = prop["type"] == "string"
		case float64:
			typeOK = prop["type"] == "number" || (prop["type"] == "integer" && v == float64(int64(v)))
		case bool:
			typeOK = prop["type"] == "boolean"
		}
		if !typeOK {
			problems = append(problems, fmt.Sprintf("%s is %T, the schema says %v", name, obj[name], prop["type"]))
		}
		if enum, ok := prop["enum"].([]any); ok && !slices.Contains(enum, obj[name]) {
			problems = append(problems, fmt.Sprintf("%s is %v, not one of %v", name, obj[name], enum))
		}
	}
	return problems
}

// TestOpenAPIListsTheAPI checks that the document describes the API's
// operations, each with its error answers.
func TestOpenAPIListsTheAPI(t *testing.T) {
	t.Parallel()
	doc := coordinatorDoc(t)
	var got []string
	for path, item := range doc.Paths {
		for method, op := range item {
			got = append(got, method+" "+path)
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for _, status := range []string{"200", "401", "403"} {
				if _, created := responses["201"]; created && status == "200" {
					continue
				}
				if _, ok := responses[status]; !ok {
					t.Errorf("%s %s: no %s response documented", method, path, status)
				}
			}
		}
	}
	sort.Strings(got)
	want := []string{"get /api/v1/cases", "get /api/v1/cases/{case_ref}", "get /api/v1/indicators",
		"get /api/v1/indicators/sets", "get /api/v1/indicators/sets/{id}", "get /api/v1/indicators/targets", "get /api/v1/members/freshness",
		"get /api/v1/notifications", "get /api/v1/overdue", "get /api/v1/quarantine", "post /api/v1/indicators/sets"}
	if !slices.Equal(got, want) {
		t.Errorf("documented operations %v, want %v", got, want)
	}
}
