package agent

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/rs/zerolog"
)

// newLogger is replaced by sync/logging when it lands.
func newLogger(opts Options, runID string) (zerolog.Logger, func() error, func(string), error) {
	lg := zerolog.Nop()
	return lg, func() error { return nil }, func(string) {}, nil
}

func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
