package logging

import (
	"fmt"

	"github.com/rs/zerolog"
)

// Levels are the accepted --log-level values, most verbose first.
var Levels = []string{"debug", "info", "warn", "error"}

// ParseLevel maps debug, info, warn or error to its zerolog level; "" means info.
func ParseLevel(s string) (zerolog.Level, error) {
	switch s {
	case "debug":
		return zerolog.DebugLevel, nil
	case "", "info":
		return zerolog.InfoLevel, nil
	case "warn":
		return zerolog.WarnLevel, nil
	case "error":
		return zerolog.ErrorLevel, nil
	}
	return zerolog.NoLevel, fmt.Errorf("log level %q is not one of debug, info, warn, error", s)
}
