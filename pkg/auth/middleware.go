package auth

import (
	"net/http"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// realm names the protection space in WWW-Authenticate challenges.
const realm = "corridor"

// RequireAuth passes requests with a valid bearer token to next, with the
// Principal in the context (FromContext), and answers the others with a
// problem: 401 with a WWW-Authenticate challenge (RFC 6750), or 503 while the
// identity provider cannot be reached.
func RequireAuth(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, present := bearerToken(r.Header.Get("Authorization"))
		var (
			p   Principal
			err error
		)
		if present {
			p, err = v.Verify(r.Context(), raw)
		} else {
			err = &corridor.Error{Kind: corridor.KindUnauthorized, Message: "A bearer token is required."}
		}
		if err != nil {
			if corridor.KindOf(err) == corridor.KindUnauthorized {
				challenge := `Bearer realm="` + realm + `"`
				if present {
					// Without a token there is no error code (RFC 6750, 3.1).
					challenge += `, error="invalid_token"`
				}
				w.Header().Set("WWW-Authenticate", challenge)
			}
			httpapi.Error(w, r, v.logger, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
	})
}

// bearerToken extracts the token of an "Authorization: Bearer" header; the
// scheme is case-insensitive (RFC 9110, 11.1). present is false when there is
// no Bearer credential at all.
func bearerToken(header string) (token string, present bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}
