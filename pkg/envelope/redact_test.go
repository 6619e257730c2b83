package envelope_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/envelope"
)

// TestPrivateKeysRedact: however a private key is printed or logged, alone
// or inside a struct, its bytes do not appear; its id does.
func TestPrivateKeysRedact(t *testing.T) {
	t.Parallel()
	sk, err := envelope.GenerateSigningKey("ci-sig-1")
	if err != nil {
		t.Fatal(err)
	}
	dk, _, err := envelope.GenerateDecryptionKey("ci-enc-1")
	if err != nil {
		t.Fatal(err)
	}
	keys := []struct {
		key    any
		id     string
		secret []byte
	}{
		{sk, sk.ID, sk.Private.Seed()},
		{&sk, sk.ID, sk.Private.Seed()},
		{dk, dk.ID, dk.Private},
		{struct{ Key envelope.DecryptionKey }{dk}, dk.ID, dk.Private},
	}
	for _, k := range keys {
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "key", k.key)
		outputs := []string{logged.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
			outputs = append(outputs, fmt.Sprintf(verb, k.key))
		}
		for _, out := range outputs {
			for _, leak := range []string{base64.StdEncoding.EncodeToString(k.secret)[:16], hex.EncodeToString(k.secret), strings.ToUpper(hex.EncodeToString(k.secret)), fmt.Sprint(k.secret[:8])} {
				if strings.Contains(out, leak) {
					t.Errorf("%T printed as %q shows the private key", k.key, out)
				}
			}
			if !strings.Contains(out, envelope.Redacted) {
				t.Errorf("%T printed as %q: no redaction marker", k.key, out)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(sk), sk.ID) {
		t.Errorf("redacted key %q does not name its id", fmt.Sprint(sk))
	}
}
