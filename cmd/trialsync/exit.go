package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes of the command-line contract.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitVerify   = 3
	errPrefix    = "trialsync: "
	maxErrorLine = 2000
)

// usageError marks a mistake in the command line itself (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// verifyError marks a verification that ran and found a problem (exit 3), as opposed to one that could
// not run at all (exit 1).
type verifyError struct{ err error }

func (e verifyError) Error() string { return e.err.Error() }
func (e verifyError) Unwrap() error { return e.err }

// redactedError shows a message with every known secret replaced, keeping the original for errors.As.
type redactedError struct {
	err error
	msg string
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// silentError carries an exit code for a failure whose message the command already printed.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode prints err as the contract's one-line message and maps it to an exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var s silentError
	if errors.As(err, &s) {
		return s.code
	}
	code := exitFailed
	var u usageError
	var v verifyError
	switch {
	case errors.As(err, &u):
		code = exitUsage
	case errors.As(err, &v):
		code = exitVerify
	}
	fmt.Fprintln(stderr, errPrefix+oneLine(err.Error()))
	return code
}

// oneLine keeps an error message on one line, as scripts read stderr line by line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.TrimPrefix(s, errPrefix)), " ")
	if len(s) > maxErrorLine {
		s = s[:maxErrorLine] + "…"
	}
	return s
}
