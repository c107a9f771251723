package agent

import (
	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/config"
)

// Engine is one kind of work the agent runs. It says whether its configuration section is present and
// builds its services; the agent walks the registry (Options.Engines, defaultEngines when nil), so that
// nothing else asks which sections are configured. Each engine registers from its own file of this
// package, where it adapts its sync/<engine> package to ServiceSpec.
type Engine struct {
	Name    string // stable identifier, used as ServiceSpec.Engine and by StartOptions.Engines
	Title   string // for people: "Rave pull"
	Section string // what the configuration needs for it, for messages: "[rave] with at least one [[rave.study]]"
	// Configured reports whether cfg has what the engine needs to run.
	Configured func(cfg *config.Config) bool
	// Services builds the engine's services for a configuration in which it is Configured, narrowed
	// by scope. It does no I/O: the services' runs open the store and build the clients.
	Services func(a *Agent, cfg *config.Config, scope Scope) ([]ServiceSpec, error)
	// Figures, when set, adds the engine's counts for the dashboard (an outbound queue's per site, open
	// conflicts) to f, reading them in tx, the agent's read transaction for the figures. It runs only
	// when the engine is Configured, must be quick and must not write.
	Figures func(a *Agent, cfg *config.Config, tx *store.Tx, f *Figures) error
	// Background engines run beside the others (the audit trail's scheduled verification) but are no
	// reason on their own to start: a configuration with nothing else to run still starts nothing.
	Background bool
}

// Scope narrows what Start starts, as the CLI's `pull --study S --site X --feed F` and
// `reconcile --study S` do; each engine applies the fields it knows. The zero Scope is everything.
type Scope struct {
	Study string // one study OID
	Site  string // one site of it
	Feed  string // one feed of the Rave pull: ravepull.FeedAudit or ravepull.FeedDataset
	Kind  string // one kind of outbound message for the send engine: outbox.KindSubject, …
}

// defaultEngines is the registry, in the order the snapshot lists the engines.
func defaultEngines() []Engine {
	return []Engine{
		ravePullEngine(),
		sendEngine(),      // outbox.go: every outbound kind's delivery
		exposureEngine(),  // exposure.go: the loopback intake for dose records
		subjectsEngine(),  // subjects.go: randomized subjects found in the pulled data, queued for SureAdhere
		checklistEngine(), // checklist.go: EDC <-> CTMS checklist reconciliation
	}
}
