//go:build darwin || windows

package store

// preventBusLaunch: Keychain and Credential Manager need no D-Bus.
func preventBusLaunch() bool { return false }
