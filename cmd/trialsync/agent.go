package main

import (
	"context"
	"io"
	"os"

	"github.com/trialsync/trialsync/sync/agent"
)

// openAgent builds the agent from the global flags. TRIALSYNC_KEYRING_SERVICE lets tests keep their
// keyring entries apart from a user's.
func (g *globals) openAgent(ctx context.Context) (*agent.Agent, error) {
	var console io.Writer
	if g.consoleLogs {
		console = g.stderr
	}
	a, err := agent.Open(ctx, agent.Options{
		StorePath:      g.storePath,
		ConfigPath:     g.configPath,
		LogLevel:       g.logLevel,
		LogDir:         os.Getenv("TRIALSYNC_LOG_DIR"),
		Console:        console,
		KeyringService: os.Getenv("TRIALSYNC_KEYRING_SERVICE"),
	})
	if err != nil {
		return nil, err
	}
	g.redact = a.Redact
	return a, nil
}

// withAgent opens the agent, runs fn and closes it, keeping the first error.
func (g *globals) withAgent(ctx context.Context, fn func(*agent.Agent) error) (err error) {
	a, err := g.openAgent(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := a.Close(); err == nil {
			err = cerr
		}
	}()
	return fn(a)
}
