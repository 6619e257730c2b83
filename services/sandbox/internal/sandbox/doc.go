// Package sandbox runs a whole corridor on one machine: one PostgreSQL
// cluster (a database per member), the NATS hub and one NATS server per
// member, configured as `corridorctl nats render` renders the sandbox's own
// corridor directory (the demo corridor's: the same files as deploy/nats,
// which a test keeps in step), a development OpenID provider
// per member, the relays, casework and the coordinator, each its own
// supervised process. All state lives in one directory (.sandbox): a second
// start reuses it (same ports, keys, data), a reset wipes it.
//
// Once everything is ready it seeds synthetic cases through the public API
// on a fresh sandbox, logs every demo user in, and writes endpoints.json
// (the shape docs/operations.md fixes) and env.sh for scripts. `sandbox up` and
// the end-to-end test both call Start.
package sandbox
