// Package web serves casework's pages for people: the landing page of each
// role, the caseworker's inbox, a case with its cross-border timeline and a
// form for every action the rules allow now, the supervisor's assignment
// and overview, and the country administrator's failed inbox messages.
//
// The pages are rendered on the server with pkg/webui and work without
// JavaScript. They call the same workflow service as the JSON API, so the
// rules (who may do what, which events a status allows, what a valid event
// says) are decided once, there; this package only reads forms into the
// API's request types and shows what the service answers.
//
// Login is not this package's: the wiring passes Authenticate, which puts
// the person's pkg/auth Principal in the request context, and CSRFToken,
// whose token every POST form carries as csrf_token.
package web
