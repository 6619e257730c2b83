package main

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

func TestLoadSigningKey(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	_, priv, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := &directory.Directory{Members: []directory.Member{{Code: corridor.Coordinator, SigningKeys: []directory.Key{{
		ID: "coord-sig-1", Algorithm: directory.SigningAlgorithm, PublicKey: priv.Public().(ed25519.PublicKey),
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}}}}}
	write := func(t *testing.T, member corridor.MemberCode, id string, key ed25519.PrivateKey, mode os.FileMode) string {
		t.Helper()
		b, err := json.Marshal(map[string]any{"member": member, "signing_keys": []map[string]any{{
			"id": id, "algorithm": directory.SigningAlgorithm, "private_key": key.Seed(),
			"not_before": now.Add(-time.Hour), "not_after": now.Add(time.Hour)}}, "decryption_keys": []any{}})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "coord.json")
		if err := os.WriteFile(path, b, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"the coordinator's key", write(t, corridor.Coordinator, "coord-sig-1", priv, 0o600), ""},
		{"readable by others", write(t, corridor.Coordinator, "coord-sig-1", priv, 0o644), "mode 0600"},
		{"a country's file", write(t, "CI", "coord-sig-1", priv, 0o600), "not the coordinator's"},
		{"a key the directory does not list", write(t, corridor.Coordinator, "coord-sig-1", other, 0o600), "no Ed25519 key"},
		{"an unknown id", write(t, corridor.Coordinator, "coord-sig-2", priv, 0o600), "no Ed25519 key"},
		{"missing", filepath.Join(t.TempDir(), "none.json"), "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, key, err := loadSigningKey(tc.path, dir, now)
			if tc.wantErr == "" {
				if err != nil || id != "coord-sig-1" || !key.Equal(priv) {
					t.Fatalf("got %s, %v", id, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one saying %q", err, tc.wantErr)
			}
		})
	}
}
