// Package app is trialsync's Fyne GUI: the coordinator's window with one screen per job (Dashboard,
// Rave pull, Exposures, Subjects, Checklists, Audit, Settings).
//
// The GUI holds no business logic and does no I/O of its own: every screen asks a Backend (declared
// here, implemented by sync/agent) and shows the answer. Work that may take time runs off the Fyne
// goroutine and comes back only through the bridge (bridge.go), the one file that calls fyne.Do, so
// that no widget is ever touched from another goroutine. The agent's announcements (the Rave pull's
// state changes) come in the same way: the bridge watches the backend's signal, reads the new state
// off the Fyne goroutine and hands it to every screen that shows it (pullfeed.go).
//
// The package takes a fyne.App rather than creating one: cmd/trialsync passes the real (GLFW) app,
// tests pass fyne's software test app, so every screen is exercised without a display.
package app
