// Package app assembles casework from its configuration: the database and
// its migrations, the corridor directory, the token verifier for the
// country's own identity provider, the HTTP API and the inbox applier. It
// lives apart from package main so that tests can start the whole service
// in-process.
package app
