// Package directory reads, checks and writes the corridor directory: the
// document that says who is in a corridor (member countries and the
// coordinator), their agencies, the services those offer and the places they
// cover, each member's encryption and signing public keys with their
// validity, each member's OpenID Connect issuer and audience, and the
// corridor's agreed time limits.
//
// A directory that does not validate, or that has expired, is refused with a
// clear error: relays fail closed rather than trust stale keys. Keys are
// looked up by id; a signing key verifies for as long as it is listed (its
// validity period says when its owner signs with it, and envelopes signed
// near the end of it may arrive days later), so revoking a key means
// publishing a directory without it.
//
// The package imports no wire-format package, so the coordinator can use it
// without linking the types that carry personal data; Directory satisfies
// envelope.PublicKeys and signing.PublicKeys through its SigningKey method.
//
// A directory is published signed (signed.go): the exact document bytes
// with the signatures of the corridor's governance keys. A threshold of the
// members holding governance keys in the version in force must co-sign the
// next one, so that no single member changes the corridor alone; before any
// version is in force, a locally configured anchor (anchor.go) plays that
// role. Versions strictly increase: an older version, or the same version
// with other content, is refused. FileSource (filesource.go) keeps the last
// good version and fails closed when it expires. Key rotation needs no new
// API: a member lists several keys with overlapping validity and
// CurrentEncryptionKey and CurrentSigningKey pick by time.
//
// Distribution: consumers depend on Source, not on a file. Package kvdist
// carries signed versions through a JetStream key-value bucket into the
// file FileSource reads, verifying them on the way; a Source reading the
// bucket directly would verify them as FileSource does.
package directory
