// Package store keeps casework's referrals and their cross-border history in
// the country's PostgreSQL database, beside the exchange tables it shares
// with the relay. Its functions take the transaction they run in, so that a
// referral's change, its history row and its outbox message commit together.
package store
