package config

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by the error Load returns when the configuration file does not exist, so that
// callers can treat "no configuration yet" differently from a broken one:
//
//	if errors.Is(err, config.ErrNotFound) { ... }
var ErrNotFound = errors.New("not found")

// Error is a problem at one line of the configuration file. Its text is one line, FILE:LINE: reason, and
// never contains a value that could be a credential.
type Error struct {
	File   string
	Line   int
	Key    string // the key the reason is about ("rave.poll"), when known
	Reason string
}

// Error returns "FILE:LINE: reason".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}
