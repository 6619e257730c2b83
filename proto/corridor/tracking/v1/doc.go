// Package trackingv1 holds the generated Go types of the PII-free tracking
// events that relays send to the corridor coordinator. It is separate from
// corridorv1, and must never import it, so that the coordinator links no type
// that can carry personal data. Run proto/generate.sh after changing
// tracking.proto.
package trackingv1
