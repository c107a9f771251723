// Package agent wires trialsync together: configuration, logging, the OS keyring, the store and (as
// they arrive) the engines, each run under one run ID. The CLI and the GUI both drive an *Agent and
// never the store or the network directly, so a coordinator's click and a script's command do the
// same thing and leave the same audit trail.
package agent
