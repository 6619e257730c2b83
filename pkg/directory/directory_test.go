package directory_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
)

// Directory is what envelope.Opener and signing.VerifyFrom look keys up in.
var _ signing.PublicKeys = (*directory.Directory)(nil)

var (
	issued  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	now     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

func encKey(t *testing.T, id string, from, to time.Time) directory.Key {
	t.Helper()
	k, err := hpke.MLKEM768X25519().GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return directory.Key{ID: id, Algorithm: directory.EncryptionAlgorithm, PublicKey: k.PublicKey().Bytes(), NotBefore: from, NotAfter: to}
}

func sigKey(t *testing.T, id string, from, to time.Time) directory.Key {
	t.Helper()
	pub, _, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return directory.Key{ID: id, Algorithm: directory.SigningAlgorithm, PublicKey: pub, NotBefore: from, NotAfter: to}
}

// testDirectory is a valid corridor of CI, BF and the coordinator. CI is
// rotating its encryption key: the old and the new overlap in June 2026.
func testDirectory(t *testing.T) *directory.Directory {
	t.Helper()
	return &directory.Directory{
		Corridor: "ci-bf", Version: 3, IssuedAt: issued, ExpiresAt: expires,
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 48, HandoverWithinDays: 30, FollowUpEveryDays: 180},
		Members: []directory.Member{
			{
				Code: "CI", Name: "Côte d'Ivoire", JetStreamDomain: "ci",
				OIDC: &directory.OIDC{Issuer: "https://id.ci.example/realms/corridor", Audience: "corridor-ci",
					RolesClaim: "realm_access.roles", RoleValues: map[string]string{"dpe-officer": "caseworker", "focal-point": "coordinator"}},
				EncryptionKeys: []directory.Key{
					encKey(t, "ci-enc-2025", issued.AddDate(-1, 0, 0), issued.AddDate(0, 6, 15)),
					encKey(t, "ci-enc-2026", issued.AddDate(0, 5, 0), expires),
				},
				SigningKeys: []directory.Key{sigKey(t, "ci-sig-2026", issued, expires)},
				Agencies: []directory.Agency{
					{ID: "ci-dgtlpe", Name: "Direction de la lutte contre le travail des enfants", Services: []string{"legal"}, Places: []string{"CI-AB", "CI-SM"}},
				},
			},
			{
				Code: "BF", Name: "Burkina Faso", JetStreamDomain: "bf",
				OIDC:           &directory.OIDC{Issuer: "http://127.0.0.1:5556", Audience: "corridor-bf"},
				EncryptionKeys: []directory.Key{encKey(t, "bf-enc-2026", issued, expires)},
				SigningKeys:    []directory.Key{sigKey(t, "bf-sig-2026", issued, expires), sigKey(t, "bf-sig-2025", issued.AddDate(-1, 0, 0), issued)},
				Agencies: []directory.Agency{
					{ID: "bf-dpe-kadiogo", Name: "Direction provinciale de l'enfance du Kadiogo", Services: []string{"family_tracing", "reunification"}, Places: []string{"BF-KAD"}},
				},
			},
			{
				Code: corridor.Coordinator, Name: "Corridor coordination", JetStreamDomain: "coord",
				SigningKeys: []directory.Key{sigKey(t, "coord-sig-2026", issued, expires)},
			},
		},
	}
}

func TestSaveLoad(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	path := filepath.Join(t.TempDir(), "directory.json")
	if err := d.Save(path); err != nil {
		t.Fatalf("Save: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode = %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := directory.Parse(data, now)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, d)
	}
	// Load checks against the real clock: this directory expires in 2027.
	if time.Now().Before(expires) {
		if _, err := directory.Load(path); err != nil {
			t.Errorf("Load: %v", err)
		}
	}
	if _, err := directory.Load(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want ErrNotExist", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		change func(d *directory.Directory)
		fields []string // JSON paths the error must name
	}{
		{"no corridor", func(d *directory.Directory) { d.Corridor = "" }, []string{"corridor"}},
		{"corridor with a space", func(d *directory.Directory) { d.Corridor = "ci bf" }, []string{"corridor"}},
		{"version zero", func(d *directory.Directory) { d.Version = 0 }, []string{"version"}},
		{"expires before issued", func(d *directory.Directory) { d.ExpiresAt = d.IssuedAt.Add(-time.Second) }, []string{"expires_at"}},
		{"no time limit", func(d *directory.Directory) { d.TimeLimits.RespondWithinHours = 0 }, []string{"time_limits.respond_within_hours"}},
		{"one member", func(d *directory.Directory) { d.Members = d.Members[:1] }, []string{"members"}},
		{"member code not ISO", func(d *directory.Directory) { d.Members[1].Code, d.Members[1].JetStreamDomain = "XX", "xx" }, []string{"members[1].code", "members[1].agencies[0].places[0]"}},
		{"member code lower case", func(d *directory.Directory) { d.Members[1].Code = "bf" }, []string{"members[1].code"}},
		{"duplicate member", func(d *directory.Directory) {
			d.Members[1].Code, d.Members[1].JetStreamDomain = "CI", "ci"
			d.Members[1].Agencies[0].Places = []string{"CI-AB"}
		}, []string{"members[1].code"}},
		{"wrong domain", func(d *directory.Directory) { d.Members[0].JetStreamDomain = "cote" }, []string{"members[0].jetstream_domain"}},
		{"issuer not a URL", func(d *directory.Directory) { d.Members[0].OIDC.Issuer = "id.ci" }, []string{"members[0].oidc.issuer"}},
		{"shared issuer", func(d *directory.Directory) { d.Members[1].OIDC.Issuer = d.Members[0].OIDC.Issuer }, []string{"members[1].oidc.issuer"}},
		{"no audience", func(d *directory.Directory) { d.Members[0].OIDC.Audience = "" }, []string{"members[0].oidc.audience"}},
		{"role map to no corridor role", func(d *directory.Directory) { d.Members[0].OIDC.RoleValues["dpe-officer"] = "root" }, []string{"members[0].oidc.role_values[dpe-officer]"}},
		{"country without encryption key", func(d *directory.Directory) { d.Members[1].EncryptionKeys = nil }, []string{"members[1].encryption_keys"}},
		{"member without signing key", func(d *directory.Directory) { d.Members[2].SigningKeys = nil }, []string{"members[2].signing_keys"}},
		{"country without agency", func(d *directory.Directory) { d.Members[1].Agencies = nil }, []string{"members[1].agencies"}},
		{"duplicate key id across members", func(d *directory.Directory) { d.Members[1].SigningKeys[0].ID = "ci-sig-2026" }, []string{"members[1].signing_keys[0].id"}},
		{"key id missing", func(d *directory.Directory) { d.Members[0].SigningKeys[0].ID = "" }, []string{"members[0].signing_keys[0].id"}},
		{"signing key short", func(d *directory.Directory) { d.Members[0].SigningKeys[0].PublicKey = make([]byte, 31) }, []string{"members[0].signing_keys[0].public_key"}},
		{"encryption key short", func(d *directory.Directory) { d.Members[0].EncryptionKeys[1].PublicKey = make([]byte, 32) }, []string{"members[0].encryption_keys[1].public_key"}},
		{"encryption key not on the curve", func(d *directory.Directory) {
			d.Members[0].EncryptionKeys[1].PublicKey = bytes.Repeat([]byte{0xff}, directory.EncryptionPublicKeySize)
		}, []string{"members[0].encryption_keys[1].public_key"}},
		{"encryption key as signing key", func(d *directory.Directory) { d.Members[1].SigningKeys[0].Algorithm = directory.EncryptionAlgorithm }, []string{"members[1].signing_keys[0].algorithm"}},
		{"key ends before it starts", func(d *directory.Directory) { d.Members[1].EncryptionKeys[0].NotAfter = issued.Add(-time.Hour) }, []string{"members[1].encryption_keys[0].not_after"}},
		{"agency id missing", func(d *directory.Directory) { d.Members[0].Agencies[0].ID = "" }, []string{"members[0].agencies[0].id"}},
		{"duplicate agency", func(d *directory.Directory) {
			d.Members[0].Agencies = append(d.Members[0].Agencies, d.Members[0].Agencies[0])
		}, []string{"members[0].agencies[1].id"}},
		{"service code with spaces", func(d *directory.Directory) { d.Members[1].Agencies[0].Services[1] = "Family reunification" }, []string{"members[1].agencies[0].services[1]"}},
		{"service not a service type", func(d *directory.Directory) { d.Members[1].Agencies[0].Services[1] = "family_reunification" }, []string{"members[1].agencies[0].services[1]"}},
		{"service listed twice", func(d *directory.Directory) { d.Members[1].Agencies[0].Services[1] = "family_tracing" }, []string{"members[1].agencies[0].services"}},
		{"place listed twice", func(d *directory.Directory) { d.Members[0].Agencies[0].Places[1] = "CI-AB" }, []string{"members[0].agencies[0].places"}},
		{"place a name slug", func(d *directory.Directory) { d.Members[1].Agencies[0].Places[0] = "kadiogo" }, []string{"members[1].agencies[0].places[0]"}},
		{"place in another country", func(d *directory.Directory) { d.Members[1].Agencies[0].Places[0] = "CI-AB" }, []string{"members[1].agencies[0].places[0]"}},
		{"notify webhook not a URL", func(d *directory.Directory) {
			d.Members[1].Agencies[0].Notify = &directory.Notify{WebhookURL: "not a url"}
		}, []string{"members[1].agencies[0].notify.webhook_url"}},
		{"notify e-mail not an address", func(d *directory.Directory) {
			d.Members[1].Agencies[0].Notify = &directory.Notify{Email: "nobody"}
		}, []string{"members[1].agencies[0].notify.email"}},
		{"nats identity without leaf key", func(d *directory.Directory) { d.Members[0].NATS = &directory.NATSIdentity{} }, []string{"members[0].nats.leaf_nkey"}},
		{"leaf key a seed", func(d *directory.Directory) {
			d.Members[1].NATS = &directory.NATSIdentity{LeafNkey: "SU" + strings.Repeat("A", 56)}
		}, []string{"members[1].nats.leaf_nkey"}},
		{"leaf key lower case", func(d *directory.Directory) {
			d.Members[1].NATS = &directory.NATSIdentity{LeafNkey: "U" + strings.Repeat("a", 55)}
		}, []string{"members[1].nats.leaf_nkey"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := testDirectory(t)
			tc.change(d)
			err := d.Validate()
			var ce *corridor.Error
			if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
				t.Fatalf("Validate = %v, want a *corridor.Error of kind invalid", err)
			}
			var got []string
			for _, f := range ce.Fields {
				got = append(got, f.Field)
			}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %q, want %q (%+v)", got, tc.fields, ce.Fields)
			}
			if err := d.Save(filepath.Join(t.TempDir(), "d.json")); err == nil {
				t.Error("Save wrote an invalid directory")
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		d := testDirectory(t)
		if err := d.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		d.Members[0].NATS = &directory.NATSIdentity{LeafNkey: "UCXDQH4EWLXQYSPPN2YJZ5AJZAP3RUIY2RMTJLBHFDMFJ4XXJTTRMDPF"}
		if err := d.Validate(); err != nil {
			t.Fatalf("Validate with a NATS identity: %v", err)
		}
	})
}

func TestParse(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	path := filepath.Join(t.TempDir(), "directory.json")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		data     []byte
		at       time.Time
		want     error
		wantKind corridor.ErrorKind
	}{
		{name: "current", data: data, at: now},
		{name: "last valid instant", data: data, at: expires.Add(-time.Nanosecond)},
		{name: "expired", data: data, at: expires, want: directory.ErrExpired},
		{name: "long expired", data: data, at: expires.AddDate(1, 0, 0), want: directory.ErrExpired},
		{name: "not JSON", data: []byte("{"), at: now, wantKind: corridor.KindInvalid},
		{name: "key not base64", data: bytes.Replace(data, []byte(`"public_key": "`), []byte(`"public_key": "*`), 1), at: now, wantKind: corridor.KindInvalid},
		{name: "invalid", data: bytes.Replace(data, []byte(`"jetstream_domain": "bf"`), []byte(`"jetstream_domain": "BF"`), 1), at: now, wantKind: corridor.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := directory.Parse(tc.data, tc.at)
			switch {
			case tc.want != nil:
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "expired at 2027-01-01T00:00:00Z") {
					t.Fatalf("Parse = %v, want %v saying when", err, tc.want)
				}
			case tc.wantKind != "":
				if err == nil || corridor.KindOf(err) != tc.wantKind {
					t.Fatalf("Parse = %v, want kind %s", err, tc.wantKind)
				}
			case err != nil || got == nil:
				t.Fatalf("Parse = %v", err)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	ci, bf := d.Members[0], d.Members[1]

	t.Run("member", func(t *testing.T) {
		t.Parallel()
		m, err := d.Member("BF")
		if err != nil || m.Name != "Burkina Faso" {
			t.Errorf("Member(BF) = %v, %v", m.Name, err)
		}
		_, err = d.Member("ML")
		if !errors.Is(err, directory.ErrNotFound) || corridor.KindOf(err) != corridor.KindNotFound {
			t.Errorf("Member(ML) = %v, want not found", err)
		}
	})
	t.Run("issuer", func(t *testing.T) {
		t.Parallel()
		m, err := d.MemberByIssuer("http://127.0.0.1:5556")
		if err != nil || m.Code != "BF" {
			t.Errorf("MemberByIssuer = %v, %v", m.Code, err)
		}
		if _, err := d.MemberByIssuer("https://evil.example"); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("MemberByIssuer(unknown) = %v, want not found", err)
		}
	})
	t.Run("agency", func(t *testing.T) {
		t.Parallel()
		a, err := d.Agency("BF", "bf-dpe-kadiogo")
		if err != nil || a.Places[0] != "BF-KAD" {
			t.Errorf("Agency = %+v, %v", a, err)
		}
		for _, tc := range []struct {
			member corridor.MemberCode
			id     string
		}{{"CI", "bf-dpe-kadiogo"}, {"BF", "nope"}, {"ML", "bf-dpe-kadiogo"}} {
			if _, err := d.Agency(tc.member, tc.id); !errors.Is(err, directory.ErrNotFound) {
				t.Errorf("Agency(%s, %s) = %v, want not found", tc.member, tc.id, err)
			}
		}
	})
	t.Run("current encryption key", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			member corridor.MemberCode
			at     time.Time
			want   string // key id; "" for none
		}{
			{"CI", issued.AddDate(0, 2, 0), "ci-enc-2025"},
			{"CI", issued.AddDate(0, 5, 0), "ci-enc-2026"}, // overlap: the newer one
			{"CI", issued.AddDate(0, 6, 20), "ci-enc-2026"},
			{"CI", expires, ""},
			{"CI", issued.AddDate(-2, 0, 0), ""},
			{corridor.Coordinator, now, ""},
		}
		for _, tc := range tests {
			k, err := d.CurrentEncryptionKey(tc.member, tc.at)
			if tc.want == "" {
				if !errors.Is(err, directory.ErrNoCurrentKey) {
					t.Errorf("CurrentEncryptionKey(%s, %s) = %s, %v; want none", tc.member, tc.at, k.ID, err)
				}
				continue
			}
			if err != nil || k.ID != tc.want {
				t.Errorf("CurrentEncryptionKey(%s, %s) = %s, %v; want %s", tc.member, tc.at, k.ID, err, tc.want)
			}
		}
		if _, err := d.CurrentEncryptionKey("ML", now); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("CurrentEncryptionKey(ML) = %v, want not found", err)
		}
	})
	t.Run("current signing key", func(t *testing.T) {
		t.Parallel()
		k, err := d.CurrentSigningKey("BF", now)
		if err != nil || k.ID != "bf-sig-2026" {
			t.Errorf("CurrentSigningKey(BF) = %s, %v", k.ID, err)
		}
	})
	t.Run("signing key by id", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			member corridor.MemberCode
			id     string
			want   ed25519.PublicKey
		}{
			{"CI", "ci-sig-2026", ci.SigningKeys[0].PublicKey},
			// Past its validity, still listed: still verifies late envelopes.
			{"BF", "bf-sig-2025", bf.SigningKeys[1].PublicKey},
			{"BF", "ci-sig-2026", nil}, // another member's key
			{"CI", "ci-sig-2099", nil},
			{"ML", "ci-sig-2026", nil},
		}
		for _, tc := range tests {
			got, err := d.SigningKey(tc.member, tc.id)
			if tc.want == nil {
				if !errors.Is(err, signing.ErrUnknownKey) {
					t.Errorf("SigningKey(%s, %s) = %v, want unknown key", tc.member, tc.id, err)
				}
				continue
			}
			if err != nil || !got.Equal(tc.want) {
				t.Errorf("SigningKey(%s, %s) = %x, %v", tc.member, tc.id, got, err)
			}
		}
	})
	t.Run("time limits", func(t *testing.T) {
		t.Parallel()
		l := d.TimeLimits
		if l.RespondWithin() != 72*time.Hour || l.InformationResponseWithin() != 48*time.Hour ||
			l.HandoverWithin() != 30*24*time.Hour || l.FollowUpEvery() != 180*24*time.Hour {
			t.Errorf("time limits = %v %v %v %v", l.RespondWithin(), l.InformationResponseWithin(), l.HandoverWithin(), l.FollowUpEvery())
		}
	})
}

func TestStatic(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	d.IssuedAt, d.ExpiresAt = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	if got, err := directory.Static(d).Current(context.Background()); err != nil || got != d {
		t.Errorf("Current = %v, %v", got, err)
	}
	d2 := testDirectory(t)
	d2.IssuedAt, d2.ExpiresAt = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
	if _, err := directory.Static(d2).Current(context.Background()); !errors.Is(err, directory.ErrExpired) {
		t.Errorf("Current of an expired directory = %v, want ErrExpired", err)
	}
}

// TestAgencyServicesAndPlacesOptional covers directories written before
// agencies listed what they offer and where: an agency with an id and a
// name only is still valid, and stays so through a save and a load.
func TestAgencyServicesAndPlacesOptional(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	for i := range d.Members {
		for j := range d.Members[i].Agencies {
			a := &d.Members[i].Agencies[j]
			a.Services, a.Places = nil, nil
		}
	}
	// As an older tool wrote it: no services or places keys at all.
	var doc map[string]any
	if b, err := json.Marshal(d); err != nil || json.Unmarshal(b, &doc) != nil {
		t.Fatal(err)
	}
	for _, m := range doc["members"].([]any) {
		agencies, _ := m.(map[string]any)["agencies"].([]any)
		for _, a := range agencies {
			delete(a.(map[string]any), "services")
			delete(a.(map[string]any), "places")
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"places"`)) {
		t.Fatalf("places still in %s", data)
	}
	got, err := directory.Parse(data, now)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	if a := got.Members[1].Agencies[0]; a.ID != "bf-dpe-kadiogo" || a.Services != nil || a.Places != nil {
		t.Errorf("agency = %+v", a)
	}
}
