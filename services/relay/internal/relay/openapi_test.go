package relay_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// TestOpenAPIDescribesTheQuarantine: docs/api/relay.yaml lists the routes
// the relay serves and every field of a quarantined message, and requires
// only fields always present.
func TestOpenAPIDescribesTheQuarantine(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "api", "relay.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/api/relay.yaml: %v", err)
	}
	var paths []string
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"/api/v1/quarantine", "/api/v1/quarantine/{id}", "/api/v1/quarantine/{id}/dismiss",
		"/api/v1/quarantine/{id}/release", "/api/v1/status"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}

	now := time.Now()
	full := relay.Quarantined{ID: 1, ReceivedAt: now, StreamSeq: 2, Subject: "s", Reason: relay.ReasonMalformed, Error: "e",
		MessageID: "m", MessageType: "t", SenderMember: "CI", SenderAgency: "a", RecipientMember: "BF", RecipientAgency: "b",
		Size: 3, State: relay.StateDismissed, Attempts: 1, LastAction: relay.ActionDismiss, LastActionAt: &now,
		LastActionBy: "u", LastActionNote: "n", ResolvedAt: &now, Raw: []byte("raw")}
	var fields map[string]any
	b, err = json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["Quarantined"]
	for name := range fields {
		if _, ok := schema.Properties[name]; !ok {
			t.Errorf("field %s is not in the Quarantined schema", name)
		}
	}
	for name := range schema.Properties {
		if _, ok := fields[name]; !ok {
			t.Errorf("the Quarantined schema lists %s, which the relay never sends", name)
		}
	}
	b, err = json.Marshal(relay.Quarantined{})
	if err != nil {
		t.Fatal(err)
	}
	var minimal map[string]any
	if err := json.Unmarshal(b, &minimal); err != nil {
		t.Fatal(err)
	}
	for _, name := range schema.Required {
		if _, ok := minimal[name]; !ok {
			t.Errorf("the schema requires %s, which an empty row omits", name)
		}
	}
}
