package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/services/casework/internal/api"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// openAPI is the part of docs/api/openapi.yaml the tests read.
type openAPI struct {
	OpenAPI    string                    `yaml:"openapi"`
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]map[string]any `yaml:"schemas"`
	} `yaml:"components"`
}

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "api", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPI
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/api/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPIDescribesEveryRoute checks the document against the routes
// the server registers, both ways.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	served := map[string]bool{}
	routes := append(api.Routes(),
		api.Route{Method: "GET", Path: "/healthz"}, api.Route{Method: "GET", Path: "/readyz"}, api.Route{Method: "GET", Path: "/metrics"})
	for _, r := range routes {
		key := r.Method + " " + r.Path
		served[key] = true
		op, ok := doc.Paths[r.Path][strings.ToLower(r.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s is served but not in docs/api/openapi.yaml", key)
			continue
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("%s: no responses documented", key)
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			if key := strings.ToUpper(method) + " " + path; !served[key] {
				t.Errorf("%s is documented but not served", key)
			}
		}
	}
}

// TestOpenAPISchemaMatchesTheDocument checks that the ReferralDocument
// schema has exactly the Go document's fields, at every level, and that
// docs/examples/referral.json conforms to it.
func TestOpenAPISchemaMatchesTheDocument(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	s := schemas{all: doc.Components.Schemas}
	s.compareType(t, "ReferralDocument", s.ref("ReferralDocument"), reflect.TypeFor[referral.Document]())

	for _, name := range []string{"referral.json", "referral-trafficking.json"} {
		var example any
		if err := json.Unmarshal(readExample(t, name), &example); err != nil {
			t.Fatal(err)
		}
		for _, problem := range s.conform("", s.ref("ReferralDocument"), example) {
			t.Errorf("docs/examples/%s: %s", name, problem)
		}
	}
}

// TestTraffickingExampleIsAccepted files docs/examples/referral-trafficking.json,
// which uses the fields added after the first example, and reads back what
// was stored.
func TestTraffickingExampleIsAccepted(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), readExample(t, "referral-trafficking.json"))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	doc := ci.get("ci-inspector", id)
	work := asMap(doc["work"])
	if fmt.Sprint(work["c182_categories"]) != "[c182_3a c182_3d]" || asMap(work["sector"])["class"] != "0127" {
		t.Errorf("stored work = %v", work)
	}
	if care := asMap(doc["interim_care"]); care["type"] != "transit_centre" || care["protection_concern"] != nil {
		t.Errorf("stored interim care = %v", care)
	}
}

// TestExampleIsAccepted files docs/examples/referral.json as it is.
func TestExampleIsAccepted(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	body := ci.create("ci-inspector")
	if body["status"] != "sent" {
		t.Errorf("status = %v", body["status"])
	}
}

type schemas struct {
	all map[string]map[string]any
	// responses is set to check what the server answers, where read-only
	// properties belong; in a request they are refused.
	responses bool
}

// ref returns the named component schema.
func (s schemas) ref(name string) map[string]any { return s.all[name] }

// resolve follows $ref.
func (s schemas) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		if !found || s.all[name] == nil {
			return map[string]any{"unresolved": ref}
		}
		node = s.all[name]
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// compareType checks that the object schema node has exactly the JSON
// fields of Go struct type typ, recursing into nested structs.
func (s schemas) compareType(t *testing.T, path string, node map[string]any, typ reflect.Type) {
	t.Helper()
	node = s.resolve(node)
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
		if node["type"] == "array" {
			node = s.resolve(asMap(node["items"]))
		}
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	props := asMap(node["properties"])
	var goFields, docFields []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		goFields = append(goFields, name)
		if sub, ok := props[name]; ok {
			s.compareType(t, path+"."+name, asMap(sub), f.Type)
		}
	}
	for name := range props {
		docFields = append(docFields, name)
	}
	sort.Strings(goFields)
	sort.Strings(docFields)
	if !slices.Equal(goFields, docFields) {
		t.Errorf("%s: the schema has fields %v, the Go document %v", path, docFields, goFields)
	}
	if node["additionalProperties"] != false {
		t.Errorf("%s: the schema must say additionalProperties: false, as the API refuses unknown fields", path)
	}
}

// conform checks value against a schema node: types, required and known
// properties, enums. It is not a full JSON Schema validator, but it covers
// what the referral schema uses.
func (s schemas) conform(path string, node map[string]any, value any) []string {
	node = s.merge(s.resolve(node))
	var out []string
	bad := func(format string, args ...any) { out = append(out, path+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := node["enum"].([]any); ok && !slices.Contains(enum, value) {
		bad("%v is not one of %v", value, enum)
	}
	switch node["type"] {
	case "object":
		obj, ok := value.(map[string]any)
		if !ok {
			bad("want an object")
			return out
		}
		props := asMap(node["properties"])
		for _, r := range asSlice(node["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				bad("required %s missing", r)
			}
		}
		for k, v := range obj {
			sub, ok := props[k]
			if !ok {
				bad("%s is not in the schema", k)
				continue
			}
			if asMap(sub)["readOnly"] == true && !s.responses {
				bad("%s is read-only", k)
			}
			out = append(out, s.conform(path+"."+k, asMap(sub), v)...)
		}
	case "array":
		arr, ok := value.([]any)
		if !ok {
			bad("want an array")
			return out
		}
		for i, v := range arr {
			out = append(out, s.conform(fmt.Sprintf("%s[%d]", path, i), asMap(node["items"]), v)...)
		}
	case "string":
		if _, ok := value.(string); !ok {
			bad("want a string")
		}
	case "boolean":
		if _, ok := value.(bool); !ok {
			bad("want a boolean")
		}
	case "integer":
		if f, ok := value.(float64); !ok || f != float64(int64(f)) {
			bad("want an integer")
		}
	case "number":
		if _, ok := value.(float64); !ok {
			bad("want a number")
		}
	}
	return out
}

// merge turns an allOf of object schemas into one object schema with the
// properties and required fields of all.
func (s schemas) merge(node map[string]any) map[string]any {
	parts := asSlice(node["allOf"])
	if len(parts) == 0 {
		return node
	}
	props := map[string]any{}
	var required []any
	for _, p := range parts {
		sub := s.merge(s.resolve(asMap(p)))
		for k, v := range asMap(sub["properties"]) {
			props[k] = v
		}
		required = append(required, asSlice(sub["required"])...)
	}
	return map[string]any{"type": "object", "properties": props, "required": required}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestOpenAPIEnumsFollowTheCodeLists checks that the schema's enums of coded
// fields list exactly the codes of pkg/codes, so that the two cannot drift.
func TestOpenAPIEnumsFollowTheCodeLists(t *testing.T) {
	t.Parallel()
	s := schemas{all: loadOpenAPI(t).Components.Schemas}
	prop := func(schema, name string) map[string]any {
		node := s.resolve(asMap(asMap(s.ref(schema)["properties"])[name]))
		if node["type"] == "array" {
			node = s.resolve(asMap(node["items"]))
		}
		return node
	}
	for _, tc := range []struct {
		schema, field string
		list          []codes.Entry
	}{
		{"Work", "c182_categories", codes.C182Categories()},
		{"Work", "c182_category", codes.C182Categories()},
		{"Work", "hazards", codes.Hazards()},
		{"Trafficking", "forced_labour_indicators", codes.ForcedLabourIndicators()},
		{"Trafficking", "child_forced_labour_indicators", codes.ChildForcedLabourIndicators()},
		{"Trafficking", "methods_of_control", codes.MethodsOfControl()},
		{"Trafficking", "exploitation_types", codes.ExploitationTypes()},
		{"Trafficking", "migration_status", codes.MigrationStatuses()},
		{"InterimCare", "type", codes.InterimCareTypes()},
		{"CaseID", "system", codes.CaseSystems()},
		{"RecordServiceRequest", "type", codes.ServiceTypes()},
		{"RecordServiceRequest", "status", codes.ServiceStatuses()},
		{"RecordFollowUpRequest", "method", codes.FollowUpMethods()},
		{"TravelDocument", "type", codes.TravelDocuments()},
		{"CloseRequest", "reason_code", codes.ClosureReasons()},
	} {
		var want, got []string
		for _, e := range tc.list {
			want = append(want, e.Code)
		}
		for _, v := range asSlice(prop(tc.schema, tc.field)["enum"]) {
			got = append(got, fmt.Sprint(v))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s.%s: enum %v, want the code list %v", tc.schema, tc.field, got, want)
		}
	}
}

// TestOpenAPIDescribesEveryEventBody checks, for every event the API
// serves, that the OpenAPI document names its body schema, that the schema
// has exactly the Go body's fields, and that its example is
// docs/examples/events/{event}.json and conforms to the schema. Every file
// there must be such an example; the lifecycle tests post them.
func TestOpenAPIDescribesEveryEventBody(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	s := schemas{all: doc.Components.Schemas}
	dir := filepath.Join("..", "..", "..", "..", "docs", "examples", "events")
	served := map[string]bool{}
	for _, r := range api.Routes() {
		ev, ok := strings.CutPrefix(r.Path, "/api/v1/referrals/{id}/")
		if !ok || r.Method != "POST" || !cases.Event(ev).Valid() {
			continue // not an event: the referral itself, or its assignment
		}
		served[ev] = true
		body, ok := events.New(cases.Event(ev))
		if !ok {
			t.Errorf("%s is served but has no body type", ev)
			continue
		}
		op := asMap(doc.Paths[r.Path]["post"])
		content := asMap(asMap(asMap(op["requestBody"])["content"])["application/json"])
		ref, _ := asMap(content["schema"])["$ref"].(string)
		name, _ := strings.CutPrefix(ref, "#/components/schemas/")
		if s.ref(name) == nil {
			t.Errorf("%s: request body schema %q not found", ev, ref)
			continue
		}
		s.compareType(t, name, s.ref(name), reflect.TypeOf(body))
		want := "../examples/events/" + ev + ".json"
		if got := asMap(asMap(content["examples"])["example"])["externalValue"]; got != want {
			t.Errorf("%s: example %v, want %s", ev, got, want)
		}
		b, err := os.ReadFile(filepath.Join(dir, ev+".json"))
		if err != nil {
			t.Errorf("%s: %v", ev, err)
			continue
		}
		var example any
		if err := json.Unmarshal(b, &example); err != nil {
			t.Errorf("docs/examples/events/%s.json: %v", ev, err)
			continue
		}
		for _, problem := range s.conform("", s.ref(name), example) {
			t.Errorf("docs/examples/events/%s.json: %s", ev, problem)
		}
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if ev, ok := strings.CutSuffix(f.Name(), ".json"); !ok || !served[ev] {
			t.Errorf("docs/examples/events/%s is the example of no event the API serves", f.Name())
		}
	}
}
