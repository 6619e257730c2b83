package keyfile

import (
	"errors"
	"fmt"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/envelope"
)

// Rotation says which keys to rotate and when. Senders seal to a member's
// newest valid encryption key and the member signs with its newest valid
// signing key, so a new key takes over at NotBefore; the older keys of the
// same kind stay valid for Overlap after that, for envelopes sealed by
// peers still on the previous directory version, and the relay keeps their
// private halves to open whatever was sealed to them.
type Rotation struct {
	Signing    bool
	Encryption bool
	// NotBefore is when the new keys take over. The directory that lists
	// them must be in force at every member before then, and the relay
	// must hold them (restarted with this key file) before it is
	// published.
	NotBefore time.Time
	// Overlap is how long older keys stay valid after NotBefore.
	Overlap time.Duration
	// ValidFor is the new keys' validity from NotBefore.
	ValidFor time.Duration
}

// Rotate adds the new keys r asks for to f and ends f's older keys of those
// kinds at r.NotBefore+r.Overlap (keys already ending earlier are left
// alone). It returns the new keys' ids. Publish f.PublicKeys in the
// member's directory entry afterwards.
func (f *File) Rotate(r Rotation) ([]string, error) {
	switch {
	case !r.Signing && !r.Encryption:
		return nil, errors.New("rotate keys: neither signing nor encryption keys asked for")
	case r.NotBefore.IsZero():
		return nil, errors.New("rotate keys: no start time for the new keys")
	case r.Overlap <= 0:
		return nil, errors.New("rotate keys: the overlap must be positive: with none, an envelope in flight to the old key could not be opened")
	case r.ValidFor <= r.Overlap:
		return nil, fmt.Errorf("rotate keys: the new keys' validity (%s) must be longer than the overlap (%s)", r.ValidFor, r.Overlap)
	}
	oldEnd := r.NotBefore.Add(r.Overlap)
	end := func(keys []PrivateKey) {
		for i := range keys {
			if keys[i].NotAfter.After(oldEnd) {
				keys[i].NotAfter = oldEnd
			}
		}
	}
	var ids []string
	if r.Signing {
		sk, err := envelope.GenerateSigningKey(corridor.NewID(f.Member.Domain() + "-sig-"))
		if err != nil {
			return nil, fmt.Errorf("rotate keys: %w", err)
		}
		end(f.SigningKeys)
		f.SigningKeys = append(f.SigningKeys, PrivateKey{
			ID: sk.ID, Algorithm: directory.SigningAlgorithm, PrivateKey: sk.Private.Seed(),
			NotBefore: r.NotBefore, NotAfter: r.NotBefore.Add(r.ValidFor),
		})
		ids = append(ids, sk.ID)
	}
	if r.Encryption {
		dk, _, err := envelope.GenerateDecryptionKey(corridor.NewID(f.Member.Domain() + "-enc-"))
		if err != nil {
			return nil, fmt.Errorf("rotate keys: %w", err)
		}
		end(f.DecryptionKeys)
		f.DecryptionKeys = append(f.DecryptionKeys, PrivateKey{
			ID: dk.ID, Algorithm: directory.EncryptionAlgorithm, PrivateKey: dk.Private,
			NotBefore: r.NotBefore, NotAfter: r.NotBefore.Add(r.ValidFor),
		})
		ids = append(ids, dk.ID)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("rotate keys: %w", err)
	}
	return ids, nil
}
