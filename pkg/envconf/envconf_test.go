package envconf

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		vars     map[string]string
		member   string
		audience string
		level    slog.Level
		addr     string
		wantErrs []string // substrings of the error; none for a good environment
	}{
		{
			name:   "everything set",
			vars:   map[string]string{Member: " ci ", DatabaseURL: "postgres://x", OIDCAud: "aud", LogLevel: "debug", "X_HTTP_ADDR": ":9"},
			member: "CI", audience: "aud", level: slog.LevelDebug, addr: ":9",
		},
		{
			name:   "defaults",
			vars:   map[string]string{Member: "BF", DatabaseURL: "postgres://x"},
			member: "BF", audience: "corridor-bf", level: slog.LevelInfo, addr: "127.0.0.1:1",
		},
		{
			name:     "every problem at once",
			vars:     map[string]string{Member: "Burkina", LogLevel: "loud"},
			level:    slog.LevelInfo,
			addr:     "127.0.0.1:1",
			wantErrs: []string{"CORRIDOR_MEMBER: must be a member code", "DATABASE_URL is not set", "LOG_LEVEL: must be debug"},
		},
		{
			name:     "nothing set",
			vars:     nil,
			level:    slog.LevelInfo,
			addr:     "127.0.0.1:1",
			wantErrs: []string{"CORRIDOR_MEMBER is not set", "DATABASE_URL is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(env(tt.vars))
			member := r.Member(Member)
			db := r.Required(DatabaseURL)
			audience := r.Audience(member)
			level := r.LogLevel()
			addr := r.Optional("X_HTTP_ADDR", "127.0.0.1:1")
			err := r.Err()
			if string(member) != tt.member || audience != tt.audience || level != tt.level || addr != tt.addr {
				t.Errorf("member %q audience %q level %v addr %q, want %q %q %v %q", member, audience, level, addr, tt.member, tt.audience, tt.level, tt.addr)
			}
			if len(tt.wantErrs) == 0 {
				if err != nil || db == "" {
					t.Errorf("Err = %v, database %q", err, db)
				}
				return
			}
			if err == nil {
				t.Fatal("Err = nil, want the problems")
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Err = %q, want it to say %q", err, want)
				}
			}
		})
	}
}

func TestDurationAndOneOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		vars     map[string]string
		duration time.Duration
		choice   string
		count    int64
		wantErrs []string
	}{
		{name: "defaults", duration: time.Hour, choice: "auto", count: 7},
		{name: "set", vars: map[string]string{"D": "30m", "C": "true", "N": "500"}, duration: 30 * time.Minute, choice: "true", count: 500},
		{
			name: "bad", vars: map[string]string{"D": "soon", "C": "maybe", "N": "many"}, duration: time.Hour, choice: "auto", count: 7,
			wantErrs: []string{"D: must be a positive duration", "C: must be one of auto, true, false", "N: must be a positive whole number"},
		},
		{name: "negative", vars: map[string]string{"D": "-5m", "N": "-1"}, duration: time.Hour, choice: "auto", count: 7,
			wantErrs: []string{"D: must be a positive duration", "N: must be a positive whole number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(env(tt.vars))
			d := r.Duration("D", time.Hour)
			c := r.OneOf("C", "auto", "auto", "true", "false")
			n := r.Count("N", 7)
			if d != tt.duration || c != tt.choice || n != tt.count {
				t.Errorf("Duration, OneOf, Count = %v, %q, %d, want %v, %q, %d", d, c, n, tt.duration, tt.choice, tt.count)
			}
			err := r.Err()
			if (err != nil) != (len(tt.wantErrs) > 0) {
				t.Fatalf("Err() = %v, want errors %q", err, tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Err() = %v, want it to mention %q", err, want)
				}
			}
		})
	}
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, listen, want, wantErr string
	}{
		{name: "set", value: "https://casework.ci.example/", listen: ":8080", want: "https://casework.ci.example"},
		{name: "from the listen address", listen: "127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{name: "any interface", listen: ":8080", want: "http://localhost:8080"},
		{name: "unspecified address", listen: "0.0.0.0:8080", want: "http://localhost:8080"},
		{name: "IPv6 unspecified", listen: "[::]:8080", want: "http://localhost:8080"},
		{name: "with a path", value: "https://x.example/app", listen: ":1", wantErr: "must be an http(s) URL without path"},
		{name: "not a URL", value: "casework", listen: ":1", wantErr: "must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(env(map[string]string{"P": tt.value}))
			got := r.PublicURL("P", tt.listen)
			err := r.Err()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Err() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("PublicURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		want    auth.Claims
		wantErr string
	}{
		{name: "corridor's own claims", want: auth.Claims{}},
		{
			name: "Keycloak",
			vars: map[string]string{OIDCRolesClaim: "realm_access.roles", OIDCRoleMap: "labour-inspector=inspector, dpe-officer=caseworker", OIDCAgencyClaim: "agency"},
			want: auth.Claims{Roles: "realm_access.roles", Agency: "agency",
				RoleValues: map[string]corridor.Role{"labour-inspector": corridor.RoleInspector, "dpe-officer": corridor.RoleCaseworker}},
		},
		{
			name: "Entra ID",
			vars: map[string]string{OIDCRolesClaim: "roles", OIDCRoleMap: "Corridor.Admin=admin", OIDCCountryClaim: "ctry"},
			want: auth.Claims{Roles: "roles", Country: "ctry", RoleValues: map[string]corridor.Role{"Corridor.Admin": corridor.RoleAdmin}},
		},
		{name: "bad map", vars: map[string]string{OIDCRoleMap: "Corridor.Admin=root"}, wantErr: "OIDC_ROLE_MAP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := New(env(tt.vars))
			got := r.Claims()
			err := r.Err()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Err = %v, want it to name %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Claims() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
