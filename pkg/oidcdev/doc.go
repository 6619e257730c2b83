// Package oidcdev is a development OpenID Connect provider, one per corridor
// member, built on zitadel/oidc's op package: discovery, JWKS, the
// authorization code flow with PKCE (S256, required for public clients), the
// client credentials grant, userinfo and end-session. Access tokens are RS256
// JWTs carrying the corridor claims (corridor_roles, corridor_country,
// corridor_agency) that pkg/auth maps to a Principal, so services verify them
// exactly as they would a production provider's.
//
// Users and clients come from Config and live in memory; there are no
// sessions, no refresh tokens and no consent screen. It is for the sandbox and
// tests, never for production: passwords are compared in plain text.
//
// PasswordLogin and ClientCredentials drive the real flows over HTTP without
// a browser, for tests, the sandbox and the README's curl tour.
package oidcdev
