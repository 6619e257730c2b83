package weblogin

import (
	"html/template"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/corridor-org/corridor/pkg/auth"
)

// The login routes' few pages are plain HTML with no script or style of
// their own, so that they work on any browser and need no asset the web UI
// serves.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Corridor</title>
{{with .Refresh}}<meta http-equiv="refresh" content="0; url={{.}}">{{end}}
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{with .Message}}<p>{{.}}</p>{{end}}
{{with .Choices}}<ul>{{range .}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>{{end}}
{{if .SignedIn}}<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{{.CSRFToken}}">
<button type="submit">Sign out</button>
</form>{{end}}
{{with .Link}}<p><a href="{{.}}">{{$.LinkText}}</a></p>{{end}}
</main>
</body>
</html>
`))

type page struct {
	Title     string
	Message   string
	Link      string
	LinkText  string
	Choices   []choice
	SignedIn  bool
	CSRFToken string
	// Refresh is where the page sends the browser at once.
	Refresh string
}

type choice struct {
	Name string
	URL  string
}

func (m *Manager) render(w http.ResponseWriter, r *http.Request, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := pageTemplate.Execute(w, p); err != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "render login page", slog.String("error", err.Error()))
	}
}

// renderChoice lists the providers when there are several: a coordinator
// signs in with their own country's.
func (m *Manager) renderChoice(w http.ResponseWriter, r *http.Request, ret string) {
	p := page{Title: "Sign in", Message: "Choose your country's identity provider."}
	for _, pr := range m.order {
		q := url.Values{"provider": {pr.ID}, "return": {ret}}
		p.Choices = append(p.Choices, choice{Name: pr.Name, URL: LoginPath + "?" + q.Encode()})
	}
	m.render(w, r, http.StatusOK, p)
}

// SignedInPage is a minimal page for GET / until the service's web UI
// serves one: who is signed in, and a sign-out button. Mount it behind
// Require.
func (m *Manager) SignedInPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			http.Redirect(w, r, LoginPath, http.StatusSeeOther)
			return
		}
		msg := "Signed in as " + p.Username + " (" + string(p.Country) + ")."
		m.render(w, r, http.StatusOK, page{Title: "Corridor", Message: msg, SignedIn: true, CSRFToken: CSRFToken(r.Context())})
	})
}
