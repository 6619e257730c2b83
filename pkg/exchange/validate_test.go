package exchange

import "testing"

func TestIsCode(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"ci-0a1b2c":               true,
		"15-17":                   true,
		"A":                       true,
		"urn:corridor:bf-dpe":     true,
		"":                        false,
		"Awa Traoré":              false,
		"a/b":                     false,
		"née":                     false,
		string(make([]byte, 129)): false,
	}
	for in, want := range cases {
		if got := isCode(in); got != want {
			t.Errorf("isCode(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsMember(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{"CI": true, "BF": true, "COORD": true, "ci": false, "CIV": false, "": false}
	for in, want := range cases {
		if got := isMember(in); got != want {
			t.Errorf("isMember(%q) = %v, want %v", in, got, want)
		}
	}
}
