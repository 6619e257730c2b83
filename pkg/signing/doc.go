// Package signing signs and verifies Corridor's Ed25519 signatures with domain
// separation: every signature is over a purpose string followed by the signed
// bytes, so a signature made for one purpose (an envelope, a receipt, a
// tracking event) can never be replayed as another. It imports no wire-format
// package, so the coordinator can verify tracking events without linking any
// type that carries personal data.
package signing
