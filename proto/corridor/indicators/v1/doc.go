// Package indicatorsv1 holds the generated Go types of the coordinator's
// signed indicator sets. Like trackingv1 it must never import corridorv1:
// the coordinator builds these and links no type that can carry personal
// data. Run proto/generate.sh after changing indicators.proto.
package indicatorsv1
