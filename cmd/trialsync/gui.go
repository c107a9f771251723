package main

import (
	"context"
	"errors"
)

// runGUI opens the coordinator's window. Replaced by the app/ wiring.
func runGUI(ctx context.Context, g *globals) error {
	return errors.New("the GUI is not built yet; see --help")
}
