package agent

import (
	"github.com/trialsync/trialsync/sync/config"
)

// Config loads and validates the configuration file once per agent (and again after the Settings
// screen saved it); later calls return the same result. A missing file wraps config.ErrNotFound; a bad
// one is a one-line "FILE:LINE: reason".
func (a *Agent) Config() (*config.Config, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if !a.cfgLoaded {
		a.cfg, a.cfgErr = config.Load(a.opts.ConfigPath)
		a.cfgLoaded = true
	}
	return a.cfg, a.cfgErr
}
