// Package state keeps what a sandbox must remember between runs so that a
// second `make demo` finds the same corridor: the loopback ports it chose,
// the seeds of the nkeys it made, when it was created and whether its synthetic
// cases were seeded. It lives in <dir>/state.json, readable by its owner only.
package state
