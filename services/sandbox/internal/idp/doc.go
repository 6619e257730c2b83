// Package idp is the sandbox's `idp` subcommand: one member's development
// OpenID provider (pkg/oidcdev) served on its own port, configured from a
// JSON file the sandbox writes. Its signing key lives in a file, so tokens
// issued before a restart still verify after it.
package idp
