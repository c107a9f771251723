package logging

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"time"
)

// runIDTime is the time part of a run ID: UTC, fixed width, so IDs sort in start order.
const runIDTime = "20060102T150405Z"

// NewRunID returns an ID for one run of trialsync, e.g. 20261123T134500Z-3fa9c1: the UTC start time
// (so IDs sort by time) and 6 random hex digits (so two runs started in the same second differ).
func NewRunID() string {
	return newRunID(time.Now(), rand.Reader)
}

// NewCorrelationID returns a random 12-hex-digit ID for one operation (one pull of one site, one
// outbound message), to pass to WithCorrelation.
func NewCorrelationID() string {
	return randomHex(rand.Reader, 6)
}

func newRunID(now time.Time, random io.Reader) string {
	return now.UTC().Format(runIDTime) + "-" + randomHex(random, 3)
}

func randomHex(random io.Reader, n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(random, b); err != nil {
		// crypto/rand.Reader does not fail on supported platforms (it crashes the program instead).
		panic("logging: random source failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
