// Package app is trialsync's Fyne GUI: the coordinator's window with one screen per job (Dashboard,
// Rave pull, Exposures, Subjects, Checklists, Audit, Settings).
//
// The GUI holds no business logic and does no I/O of its own: every screen reads the agent's
// snapshot (sync/agent.Snapshot) and calls the agent's commands through the small interfaces of
// backend.go, one per screen. Work that may take time runs off the Fyne goroutine and comes back only
// through the bridge (bridge.go), the one file that calls fyne.Do, so that no widget is ever touched
// from another goroutine. The agent's change signals come in the same way: the bridge watches the
// subscription, reads the new snapshot off the Fyne goroutine and hands it to every screen that shows
// it (statefeed.go).
//
// Above every screen sits what must not be missed wherever the coordinator is: the demo's notice
// (Options.Notice) and the red alarm while the audit trail's last verification failed (alarm.go). Where
// the desktop has a status area, the tray icon gets a red dot and its menu lists what needs a person
// (attention.go). Failures are sentences a coordinator understands, with the technical text one click
// away (explain.go).
//
// The package takes a fyne.App rather than creating one: cmd/trialsync passes the real (GLFW) app,
// tests pass fyne's software test app, so every screen is exercised without a display.
package app
