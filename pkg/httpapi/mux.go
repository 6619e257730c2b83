package httpapi

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Mux routes requests as http.ServeMux does, but answers in problem
// documents where ServeMux answers in plain text: a 404 for a path it does
// not serve and a 405, with Allow, for a method a path does not allow. Every
// service's API promises problem documents everywhere. Register every route
// before serving.
type Mux struct {
	mux    *http.ServeMux
	logger *slog.Logger
	// allowed lists the methods registered for each path, in order.
	allowed map[string][]string
}

// NewMux returns a Mux that logs the errors it answers with logger.
func NewMux(logger *slog.Logger) *Mux {
	m := &Mux{mux: http.NewServeMux(), logger: logger, allowed: map[string][]string{}}
	m.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, m.logger, corridor.Errorf(corridor.KindNotFound, "There is nothing at this path."))
	}))
	return m
}

// Handle registers h for pattern, an http.ServeMux pattern such as
// "GET /api/v1/cases/{case_ref}". A pattern with a method makes its path
// answer other methods with a 405.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.mux.Handle(pattern, h)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || strings.Contains(method, "/") {
		return // no method: the handler takes them all
	}
	path = strings.TrimLeft(path, " \t")
	if _, seen := m.allowed[path]; !seen {
		// The pattern without a method is less specific than every pattern
		// with one on the same path, so it gets only the other methods.
		m.mux.Handle(path, m.methodNotAllowed(path))
	}
	m.allowed[path] = append(m.allowed[path], method)
}

// HandleFunc registers h for pattern, as Handle does.
func (m *Mux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

func (m *Mux) methodNotAllowed(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := strings.Join(m.allowed[path], ", ")
		w.Header().Set("Allow", allow)
		WriteProblem(w, Problem{
			Type:      problemTypeURI("method-not-allowed"),
			Title:     "Method not allowed",
			Status:    http.StatusMethodNotAllowed,
			Detail:    "This path allows " + allow + ".",
			RequestID: RequestIDFromContext(r.Context()),
		})
	})
}
