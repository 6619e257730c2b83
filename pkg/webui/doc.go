// Package webui is the shared kit of Corridor's server-rendered pages: the
// base layout (html/template, embedded), one phone-first style sheet, the
// translations (go-i18n message files under locales/, one per language,
// with CLDR plural rules, chosen from a cookie or the browser's
// Accept-Language), localised dates, numbers and code-list labels, the form
// error summary, the security headers (a strict Content-Security-Policy),
// gzip compression, the static files served under content-hashed URLs, and
// the 401/403/404/500 pages.
//
// A service builds one UI with New, wraps its page handlers with
// UI.Middleware, mounts UI.Static at StaticPrefix and renders pages parsed
// with UI.ParsePage. Pages work without JavaScript; the kit itself ships
// none, and the policy forbids inline script and style, so a page's
// JavaScript is a static file.
package webui
