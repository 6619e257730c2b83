// Package corridor holds the domain vocabulary every part of Corridor shares:
// member and agency identifiers, roles, and the one error type whose kinds the
// HTTP layer maps to status codes. It imports no database, transport or wire
// package, so domain rules can be read and tested on their own.
package corridor
