// Package quietlog silences the standard library logger before Fyne's packages initialise.
//
// Fyne's lang package parses the user's locale in an init function and prints "Fyne error: Error
// parsing user locale C" through the standard logger when LANG is C or POSIX, which would break the
// CLI's one-line error contract for every command. The Go spec initialises packages in import-path
// order among those whose dependencies are ready; this package depends only on the standard library
// and its path sorts before golang.org/x/text, which Fyne's lang needs, so its init runs first.
// main decides afterwards where standard-library log lines go.
package quietlog

import (
	"io"
	"log"
)

func init() { log.SetOutput(io.Discard) }
