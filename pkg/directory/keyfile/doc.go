// Package keyfile reads and writes a member's private key file: the Ed25519
// signing keys and HPKE decryption keys that only the member's relay holds,
// as JSON in a file of mode 0600. It bridges the directory (which publishes
// the public halves) and the envelope (which uses the private ones), so it is
// kept apart from package directory: the coordinator links the directory
// without the envelope's wire types.
package keyfile
