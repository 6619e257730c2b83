// Package pgserver runs a private PostgreSQL cluster from the server binaries
// installed on the machine: it finds initdb, pg_ctl and postgres, initialises
// a data directory, and starts and stops the server on 127.0.0.1.
//
// It exists so that tests (package pgtest) and the development sandbox get a
// real PostgreSQL without a system service or a container. PostgreSQL refuses
// to run as root, so when the caller is root every server command runs as the
// operating-system user "postgres", and the cluster's directory is handed to
// that user.
package pgserver
