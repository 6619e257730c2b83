// Package pgdb opens PostgreSQL connection pools and applies a service's
// schema migrations, the same way for every Corridor service.
//
// Services start in any order, often before their database accepts
// connections, so Open retries until its context ends. Several instances of
// a service (or casework and relay sharing the exchange tables) may migrate
// one database at the same moment, so Migrate holds a PostgreSQL advisory
// lock while it runs goose.
package pgdb
