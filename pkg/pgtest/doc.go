// Package pgtest gives every test its own PostgreSQL database on a real
// server, created in milliseconds from a migrated template.
//
// With DATABASE_URL set, the databases are created on that server (its role
// needs CREATEDB; PostgreSQL 13 or later). Otherwise the first test that asks
// starts a private cluster from the installed server binaries (package
// pgserver) in a fresh temporary directory, which Run stops and deletes when
// the test binary ends. Clusters left by a test binary that was killed are
// reaped by the next one.
//
// A test package declares one Server and hands it TestMain:
//
//	var pg pgtest.Server
//
//	func TestMain(m *testing.M) { pg.Main(m) }
//
//	var schema = pgtest.Template{Name: "exchange", Migrate: exchange.Migrate}
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		pool := pg.NewPool(t, schema) // a fresh, migrated database
//		...
//	}
//
// The Server lives in the test package, not here, because this package keeps
// no state of its own.
package pgtest
