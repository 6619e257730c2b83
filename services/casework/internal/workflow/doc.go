// Package workflow is casework's use cases: filing a referral, deciding or
// withdrawing one, reading them, and applying what arrives from the other
// country. Each change is one transaction holding the referral's new status,
// its history row and the outbox message that tells the other side, and
// every status comes from the rules in pkg/cases, so both countries agree on
// what is allowed.
package workflow
