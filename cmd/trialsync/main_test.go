package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as a child process for crash tests (see crash_test.go).
func TestMain(m *testing.M) {
	if mode := os.Getenv(childModeEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}
