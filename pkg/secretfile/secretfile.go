// Package secretfile checks that a file holding a secret (a private key
// file, the seed of a NATS nkey) is the process's own and nobody else's
// before it is read. It has no dependencies beyond the standard library,
// so every service may use it.
package secretfile

import (
	"errors"
	"fmt"
	"os"
)

// Mode is the most a secret file may allow: read and write by its owner.
const Mode os.FileMode = 0o600

// ErrExposed is wrapped by Check's error for a file whose type, mode or
// owner lets someone else at the secret.
var ErrExposed = errors.New("key file exposed")

// Check fails, wrapping ErrExposed, unless the file at path is a regular
// file that only its owner may read or write (at most Mode) and that owner
// is the user this process runs as.
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file: %w", path, ErrExposed)
	}
	if perm := fi.Mode().Perm(); perm&^Mode != 0 {
		return fmt.Errorf("%s: mode %v lets others than its owner at the private keys; chmod 600 it: %w", path, perm, ErrExposed)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s: owned by uid %d, the service runs as uid %d; chown it to the service's user: %w",
			path, uid, os.Geteuid(), ErrExposed)
	}
	return nil
}
