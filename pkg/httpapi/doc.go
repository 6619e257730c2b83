// Package httpapi is the HTTP boundary every Corridor service shares: RFC 9457
// problem responses mapped from corridor.Error kinds in one table, strict JSON
// decoding (pkg/validation checks what it decodes), and the middleware and
// operational endpoints (request ids, access log, panic recovery, Prometheus
// metrics, /healthz, /readyz, /metrics) and the server's life cycle (Serve)
// that make services look alike to operators.
//
// Nothing here logs request bodies, query strings or raw paths: those can carry
// personal data. Logs and metrics name the route pattern instead.
package httpapi
