package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// StaticPrefix is where UI.Static is mounted.
const StaticPrefix = "/static/"

// asset is one static file, kept in memory.
type asset struct {
	name, hash, hashed, contentType string
	body                            []byte
}

// assets are the static files by plain and by hashed name. A hashed name
// changes whenever the content does, so it is cached for a year; the plain
// name (a service worker's, which must keep its URL) is revalidated.
type assets struct {
	byName   map[string]*asset
	byHashed map[string]*asset
}

func newAssets(fsyss ...fs.FS) (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	for _, fsys := range fsyss {
		err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			if _, dup := a.byName[name]; dup {
				return fmt.Errorf("static file %s twice", name)
			}
			sum := sha256.Sum256(body)
			ext := path.Ext(name)
			hash := hex.EncodeToString(sum[:])[:12]
			f := &asset{
				name:        name,
				hash:        hash,
				hashed:      strings.TrimSuffix(name, ext) + "." + hash + ext,
				contentType: contentType(ext),
				body:        body,
			}
			a.byName[name] = f
			a.byHashed[f.hashed] = f
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load static files: %w", err)
		}
	}
	return a, nil
}

func contentType(ext string) string {
	switch ext {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".webmanifest":
		return "application/manifest+json"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Asset returns the content-hashed URL of static file name ("corridor.css"
// gives "/static/corridor.3f2a…css"). An unknown name panics: it is a
// template's mistake that every test of the page shows.
func (u *UI) Asset(name string) string {
	f, ok := u.assets.byName[name]
	if !ok {
		panic("webui: no static file " + name)
	}
	return StaticPrefix + f.hashed
}

// Static serves the static files under StaticPrefix: hashed names for a year
// as immutable, plain names revalidated with an ETag.
func (u *UI) Static() http.Handler {
	return http.StripPrefix(StaticPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			u.Error(w, r, http.StatusMethodNotAllowed)
			return
		}
		name := r.URL.Path
		f, hashed := u.assets.byHashed[name]
		if hashed {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else if f = u.assets.byName[name]; f != nil {
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("ETag", `"`+f.hash+`"`)
		} else {
			u.Error(w, r, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
	}))
}
