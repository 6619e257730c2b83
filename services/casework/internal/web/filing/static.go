package filing

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFS embed.FS

// Assets are the filing pages' static files (filing.js, filing.css and
// the app's icons), for the UI kit's Config.Assets: the kit serves them
// under content-hashed URLs.
func Assets() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return assetsOnly{sub}
}

// assetsOnly hides the service worker's source, which is served at its
// own stable URL (PathSW) so that its scope is /filing/.
type assetsOnly struct{ fs.FS }

func (a assetsOnly) Open(name string) (fs.File, error) {
	if name == "sw.js" {
		return nil, fs.ErrNotExist
	}
	return a.FS.Open(name)
}

func (a assetsOnly) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(a.FS, name)
	if err != nil {
		return nil, err
	}
	out := entries[:0]
	for _, e := range entries {
		if !(name == "." && e.Name() == "sw.js") {
			out = append(out, e)
		}
	}
	return out, nil
}

// shell are the files the service worker keeps so that the form opens with
// no signal; the page itself it caches when it is first shown.
var shell = []string{"corridor.css", "filing.css", "filing.js", "icon.svg"}

// serviceWorker serves /filing/sw.js, whose default scope is /filing/. Its
// cache holds the current hashed URLs of the shell, so a release with new
// files installs a new worker, which drops the old cache.
func (h *handler) serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/sw.js")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	urls := make([]string, len(shell))
	for i, name := range shell {
		urls[i] = h.cfg.UI.Asset(name)
	}
	list, err := json.Marshal(urls)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := strings.NewReplacer("__SHELL__", string(list), "__VERSION__", versionOf(urls)).Replace(string(b))
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte(body))
}

// versionOf names a shell by the hashes in its URLs.
func versionOf(urls []string) string {
	var b strings.Builder
	for _, u := range urls {
		name := u[strings.LastIndexByte(u, '/')+1:]
		if parts := strings.Split(name, "."); len(parts) >= 3 {
			b.WriteString(parts[len(parts)-2][:min(8, len(parts[len(parts)-2]))])
		}
	}
	return b.String()
}

// manifest serves the web app manifest that makes the form installable.
func (h *handler) manifest(w http.ResponseWriter, r *http.Request) {
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose,omitempty"`
	}
	m := struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		ShortName   string `json:"short_name"`
		Lang        string `json:"lang"`
		StartURL    string `json:"start_url"`
		Scope       string `json:"scope"`
		Display     string `json:"display"`
		Background  string `json:"background_color"`
		Theme       string `json:"theme_color"`
		Description string `json:"description"`
		Icons       []icon `json:"icons"`
	}{
		ID: PathNew, StartURL: PathNew, Scope: Prefix, Display: "standalone", Background: "#ffffff", Theme: "#0b4f9c",
		Icons: []icon{
			{Src: h.cfg.UI.Asset("icon.svg"), Sizes: "any", Type: "image/svg+xml", Purpose: "any"},
			{Src: h.cfg.UI.Asset("icon-192.png"), Sizes: "192x192", Type: "image/png"},
			{Src: h.cfg.UI.Asset("icon-512.png"), Sizes: "512x512", Type: "image/png"},
		},
	}
	l := h.cfg.UI.LocaleFrom(r.Context())
	m.Lang, m.Name, m.ShortName, m.Description = l.Lang(), l.T("filing.app.name"), l.T("filing.app.short_name"), l.T("filing.app.description")
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	if err := json.NewEncoder(w).Encode(m); err != nil {
		h.cfg.Logger.WarnContext(r.Context(), "write manifest", "error", err.Error())
	}
}
