// Package weblogin logs people into Corridor's web pages: the OpenID
// Connect authorization code flow with PKCE (S256) against the identity
// provider of the person's country, server-side sessions in PostgreSQL
// behind an HttpOnly cookie, CSRF protection of every state-changing
// request, idle and absolute timeouts, and logout, RP-initiated at the
// provider when it supports it.
//
// The flow, in short:
//
//   - GET /login keeps a fresh state, nonce and PKCE verifier in
//     weblogin_attempts (keyed by the state's SHA-256), sets a short-lived
//     cookie holding the state, and redirects to the provider.
//   - GET /auth/callback requires the state in the query to equal the
//     cookie's, takes the attempt (single use), exchanges the code with the
//     verifier, verifies the ID token (issuer, audience = client id, expiry,
//     nonce) and maps the ACCESS token to an auth.Principal with the
//     service's auth.Verifier, exactly as a bearer token of the API would be.
//     It then creates a session under a new random id: an id the server did
//     not issue is never accepted, which defeats session fixation.
//   - Manager.Require puts the session's Principal into the request context
//     (auth.FromContext), sends unauthenticated page requests to /login, and
//     refuses unsafe requests without the session's CSRF token or from
//     another origin.
//   - POST /logout (with the CSRF token) deletes the session and sends the
//     browser to the provider's end_session_endpoint.
//
// The session stores the Principal the access token mapped to at login; the
// roles are those of that moment until the session ends. The JSON API does
// not use sessions: it keeps taking bearer tokens (auth.RequireAuth).
package weblogin
