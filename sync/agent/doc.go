// Package agent is trialsync's composition root: it wires the configuration, the log, the OS
// keyring, the store, one client per remote system and the engines, under one run ID. The CLI and the
// GUI both drive an *Agent and never the store or the network directly, so a coordinator's click and a
// script's command do the same thing and leave the same audit trail.
//
// # Engines and services
//
// Each engine (the Rave pull today; the exposure sends, the subject push and the checklist
// reconciliation next) registers an Engine: whether the configuration has its section, and the
// services it runs (a ServiceSpec each: a Step, an interval, the remote it talks to, the credentials
// it needs). Start walks the registry and runs every service in the same loop (service.go, the shape
// of syncthing's folder.Serve): a run at start, then every interval, at once when kicked ("Pull now"),
// sooner after a failure with a jittered backoff. Errors come in classes, as syncthing's svcutil
// classes them:
//
//   - fatal (IsFatal: marked with Fatal, or an error with a Fatal() bool method saying true; the store
//     rolled back, the audit key missing, a configuration that cannot work, a credential missing or
//     rejected): the service stops and shows why, until a person fixes it; setting a credential it
//     needs starts it again;
//   - offline (an error with a Ready() <-chan struct{} method): the remote cannot be reached; the
//     service waits for Ready, a kick or the end, spending nothing meanwhile;
//   - anything else is retried after the backoff.
//
// A Background engine (the audit trail's scheduled verification, verify.go) runs beside the others
// but is never on its own a reason to start, and Run does not wait for it; its state is in the
// snapshot's Audit part rather than among the services.
//
// # The dashboard's figures
//
// Snapshot.Figures holds the counts the dashboard shows — per study and site, the week's activity from
// the store's hourly counters (store.Tx.CountHour / CountHourAt / CountPulled, written in the engines'
// own transactions), totals — read from the store after every run and every recorded change, and at
// least every 15 s while the services run. An engine adds its own counts (an outbound queue's per
// site, open conflicts) through Engine.Figures, in the same read transaction.
//
// # Settings
//
// Settings and SaveSettings read and write the configuration for the Settings screen: a change is
// written back only through the checks the file gets at start (config.Save), audited, and the services
// restart on it.
//
// # One client per remote
//
// A remote's client is built once, on first use, and shared by every engine that talks to it, so
// that they share its circuit breaker and rate limit; replacing a credential it uses rebuilds it.
//
// # State
//
// Snapshot is a copy of every engine's, service's and remote's state and the audit trail's, read from
// memory; Subscribe delivers a signal to every subscriber after each change (one pending at most per
// subscriber), so the GUI's screens and the CLI each see every change.
package agent
