package exchange

import (
	"slices"

	"github.com/corridor-org/corridor/pkg/validation"
)

// Valid reports whether t is one of MessageTypes; the shared validator's
// msgtype tag asks it.
func (t MessageType) Valid() bool { return slices.Contains(MessageTypes(), t) }

// validate checks v's validate tags with the process's validator and reports
// failures as a KindInvalid error whose fields are JSON paths
// ("tracking.milestone").
func validate(what string, v any) error {
	val, err := validation.Default()
	if err != nil {
		return err
	}
	return val.Check("invalid "+what, v)
}
