package webui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// LanguageCookie holds a person's chosen language tag.
const LanguageCookie = "corridor_lang"

// LanguagePath is where UI.LanguageHandler is mounted by convention: GET
// /lang?to=fr&next=/inbox sets the cookie and goes back to next.
const LanguagePath = "/lang"

// sourceLanguage is the language the code lists are written in (pkg/codes)
// and the last fallback of every message.
var sourceLanguage = language.English

// Language is a language the UI speaks.
type Language struct {
	// Tag is its BCP 47 tag ("fr").
	Tag language.Tag
	// Name is its name in itself ("Français"), the message language.name
	// of its own file.
	Name string
}

// Code returns the language's BCP 47 tag as a string.
func (l Language) Code() string { return l.Tag.String() }

// loadLanguages reads every <tag>.json of fsys: adding a language is adding
// a file. The default comes first, the others in tag order.
func (u *UI) loadLanguages(fsys fs.FS, def string) error {
	u.bundle = i18n.NewBundle(sourceLanguage)
	u.bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return fmt.Errorf("load languages: %w", err)
	}
	if len(names) == 0 {
		return fmt.Errorf("load languages: %w", errNoLanguages)
	}
	slices.Sort(names)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("load languages: %w", err)
		}
		mf, err := u.bundle.ParseMessageFileBytes(data, name)
		if err != nil {
			return fmt.Errorf("load languages: %s: %w", name, err)
		}
		loc := i18n.NewLocalizer(u.bundle, mf.Tag.String())
		langName, err := loc.Localize(&i18n.LocalizeConfig{MessageID: "language.name"})
		if err != nil || mf.Tag.String() != strings.TrimSuffix(path.Base(name), ".json") {
			return fmt.Errorf("load languages: %s: needs language.name and a file named by its tag", name)
		}
		u.languages = append(u.languages, Language{Tag: mf.Tag, Name: langName})
	}
	defTag := sourceLanguage
	if def != "" {
		if defTag, err = language.Parse(def); err != nil {
			return fmt.Errorf("load languages: default: %w", err)
		}
	}
	i := slices.IndexFunc(u.languages, func(l Language) bool { return l.Tag == defTag })
	if i < 0 {
		return fmt.Errorf("load languages: no message file for default language %s", defTag)
	}
	u.languages = append(append([]Language{u.languages[i]}, u.languages[:i]...), u.languages[i+1:]...)
	tags := make([]language.Tag, len(u.languages))
	for i, l := range u.languages {
		tags[i] = l.Tag
	}
	u.matcher = language.NewMatcher(tags)
	return nil
}

// Locale speaks one language: messages with CLDR plural rules, dates,
// numbers and code-list labels. Pages get it from the request (LocaleFrom)
// or through View, which embeds it.
type Locale struct {
	lang     Language
	loc      *i18n.Localizer
	printer  *message.Printer
	location *time.Location
}

// Lang returns the locale's language tag for the lang attribute ("fr").
func (l *Locale) Lang() string { return l.lang.Code() }

// T translates message id. args are name/value pairs for the message's
// template ("Reason", r); a pair named Count also chooses the plural form.
// A message missing from every file shows as its id, which the
// completeness test catches.
func (l *Locale) T(id string, args ...any) string {
	s, err := l.localize(id, args...)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether message id exists in the locale or its fallbacks.
func (l *Locale) Has(id string) bool {
	_, err := l.localize(id)
	return err == nil
}

func (l *Locale) localize(id string, args ...any) (string, error) {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = args[i+1]
			if name == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	var notFound *i18n.MessageNotFoundErr
	if errors.As(err, &notFound) && s != "" {
		// Missing in this language, found in English: the fallback.
		return s, nil
	}
	return s, err
}

// Number formats n with the language's digits and grouping ("1 234").
func (l *Locale) Number(n any) string { return l.printer.Sprint(n) }

// Date formats t's day in the language ("6 décembre 2026").
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.location)
	return l.T("format.date", "Day", t.Day(), "Month", l.T(fmt.Sprintf("date.month.%d", t.Month())), "Year", t.Year())
}

// DateTime formats t's day and time in the language ("6 décembre 2026,
// 14:05 UTC").
func (l *Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(l.location)
	return l.T("format.datetime", "Date", l.Date(t), "Time", t.Format("15:04"), "Zone", t.Format("MST"))
}

// ISODate formats t as YYYY-MM-DD, for datetime attributes and date inputs.
func (l *Locale) ISODate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(l.location).Format(time.DateOnly)
}

type localeKey struct{}

// LocaleFrom returns the request's locale, which UI.Middleware chose; a
// context without one gets the UI's default language.
func (u *UI) LocaleFrom(ctx context.Context) *Locale {
	if l, ok := ctx.Value(localeKey{}).(*Locale); ok {
		return l
	}
	return u.locale(u.languages[0])
}

// Locale returns the locale of language tag, or of the default language
// when the UI does not speak it.
func (u *UI) Locale(tag string) *Locale {
	for _, l := range u.languages {
		if l.Code() == tag {
			return u.locale(l)
		}
	}
	return u.locale(u.languages[0])
}

func (u *UI) locale(l Language) *Locale {
	return &Locale{
		lang:     l,
		loc:      i18n.NewLocalizer(u.bundle, l.Code(), sourceLanguage.String()),
		printer:  message.NewPrinter(l.Tag),
		location: time.UTC,
	}
}

// chooseLanguage picks the cookie's language when the UI speaks it, else the
// best match of the browser's Accept-Language, else the default.
func (u *UI) chooseLanguage(r *http.Request) Language {
	if c, err := r.Cookie(LanguageCookie); err == nil {
		for _, l := range u.languages {
			if l.Code() == c.Value {
				return l
			}
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return u.languages[0]
	}
	_, i, conf := u.matcher.Match(tags...)
	if conf == language.No {
		return u.languages[0]
	}
	return u.languages[i]
}

// LanguageHandler serves LanguagePath: GET ?to=<tag>&next=<local path> keeps
// the choice in a cookie for a year and goes back to next. It is a link, not
// a form, so it works without JavaScript and needs no CSRF token: it changes
// nothing but the reader's own language.
func (u *UI) LanguageHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := r.URL.Query().Get("to")
		if !slices.ContainsFunc(u.languages, func(l Language) bool { return l.Code() == to }) {
			u.Error(w, r, http.StatusNotFound)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: LanguageCookie, Value: to, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
		})
		http.Redirect(w, r, LocalPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	})
}

// LocalPath returns next when it is a path on this site, and "/" otherwise,
// so that a redirect to it cannot leave the site.
func LocalPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	return next
}

// languageLinks are the switcher's links, back to the current page.
func (u *UI) languageLinks(r *http.Request, current Language) []LanguageLink {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = r.URL.Path
	}
	links := make([]LanguageLink, len(u.languages))
	for i, l := range u.languages {
		q := url.Values{"to": {l.Code()}, "next": {next}}
		links[i] = LanguageLink{Code: l.Code(), Name: l.Name, Href: LanguagePath + "?" + q.Encode(), Current: l.Tag == current.Tag}
	}
	return links
}

// LanguageLink is one entry of the language switcher.
type LanguageLink struct {
	Code, Name, Href string
	Current          bool
}
