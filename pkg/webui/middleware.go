package webui

import (
	"context"
	"fmt"
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// ContentSecurityPolicy allows only this site's own files: no inline script
// or style, no third-party host, no framing, forms posting only here.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// Middleware wraps the UI's handlers (pages and Static): it recovers from a
// panic with the 500 page, sets the security headers, compresses with gzip
// and chooses the request's language (LocaleFrom).
func (u *UI) Middleware(next http.Handler) http.Handler {
	gz, err := gzhttp.NewWrapper(gzhttp.MinSize(512))
	if err != nil {
		// The options are constants; an error is this package's bug.
		panic(fmt.Sprintf("webui: gzip: %v", err))
	}
	inner := gz(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				u.logger.ErrorContext(r.Context(), "page panicked", "path", r.URL.Path, "panic", fmt.Sprint(v))
				u.Error(w, r, http.StatusInternalServerError)
			}
		}()
		lang := u.chooseLanguage(r)
		ctx := context.WithValue(r.Context(), localeKey{}, u.locale(lang))
		next.ServeHTTP(w, r.WithContext(ctx))
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetSecurityHeaders(w.Header(), r.TLS != nil)
		inner.ServeHTTP(w, r)
	})
}

// SetSecurityHeaders sets the policy and the usual hardening headers on a
// page's response; HSTS only over TLS, where it means something.
func SetSecurityHeaders(h http.Header, tls bool) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	if tls {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}
