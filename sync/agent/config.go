package agent

import (
	"github.com/trialsync/trialsync/sync/config"
)

// Config loads and validates the configuration file once per agent; later calls return the same
// result. A missing file wraps config.ErrNotFound; a bad one is a one-line "FILE:LINE: reason".
func (a *Agent) Config() (*config.Config, error) {
	a.cfgOnce.Do(func() { a.cfg, a.cfgErr = config.Load(a.opts.ConfigPath) })
	return a.cfg, a.cfgErr
}
