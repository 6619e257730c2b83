package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedDataIsCurrent regenerates the data files from the installed
// iso-codes and compares them with the committed ones, as CI does for
// generated protobuf code. Machines without iso-codes skip it.
func TestCommittedDataIsCurrent(t *testing.T) {
	t.Parallel()
	const src = "/usr/share/iso-codes/json"
	if _, err := os.Stat(filepath.Join(src, "iso_3166-1.json")); err != nil {
		t.Skipf("iso-codes not installed: %v", err)
	}
	out := t.TempDir()
	var log bytes.Buffer
	if err := run([]string{"gen", "-in", src, "-out", out}, &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, name := range []string{"iso3166-1.tsv", "iso3166-2.tsv"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("..", "..", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("%s differs from what iso-codes generates; run go generate in pkg/codes", name)
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		c1, c2 string
	}{
		{"missing files", "", ""},
		{"empty lists", `{"3166-1": []}`, `{"3166-2": []}`},
		{"subdivision of unknown country", `{"3166-1": [{"alpha_2": "CI", "name": "Côte d'Ivoire"}]}`, `{"3166-2": [{"code": "ZZ-01", "name": "x"}]}`},
		{"unknown parent", `{"3166-1": [{"alpha_2": "CI", "name": "Côte d'Ivoire"}]}`, `{"3166-2": [{"code": "CI-AB", "name": "x", "parent": "QQ"}]}`},
		{"tab in a name", `{"3166-1": [{"alpha_2": "CI", "name": "C\tI"}]}`, `{"3166-2": [{"code": "CI-AB", "name": "x"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := t.TempDir()
			if tc.c1 != "" {
				write(t, filepath.Join(in, "iso_3166-1.json"), tc.c1)
				write(t, filepath.Join(in, "iso_3166-2.json"), tc.c2)
			}
			var log bytes.Buffer
			if err := run([]string{"gen", "-in", in, "-out", t.TempDir()}, &log); err == nil {
				t.Fatal("run succeeded, want an error")
			}
		})
	}
}

func TestRunWritesParents(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	write(t, filepath.Join(in, "iso_3166-1.json"), `{"3166-1": [{"alpha_2": "BF", "alpha_3": "BFA", "numeric": "854", "name": "Burkina Faso"}]}`)
	write(t, filepath.Join(in, "iso_3166-2.json"), `{"3166-2": [
		{"code": "BF-KAD", "name": "Kadiogo", "type": "Province", "parent": "03"},
		{"code": "BF-03", "name": "Centre", "type": "Region"}]}`)
	var log bytes.Buffer
	if err := run([]string{"gen", "-in", in, "-out", out}, &log); err != nil {
		t.Fatalf("run: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(out, "iso3166-2.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	want := "BF-03\t\tRegion\tCentre\nBF-KAD\tBF-03\tProvince\tKadiogo\n"
	if !bytes.HasSuffix(got, []byte(want)) {
		t.Errorf("iso3166-2.tsv =\n%s\nwant it to end with\n%s", got, want)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
