//go:build !darwin && !windows

package store

import (
	"os"
	"os/user"
	"path/filepath"
)

// go-keyring reaches the Secret Service through godbus, which, when it finds no D-Bus session, starts
// one with dbus-launch: every command run outside a desktop session would leave a dbus-daemon and a
// gnome-keyring-daemon running behind it. Before the first keyring call, noSessionBus looks for a
// session the way godbus does, without launching anything; when there is none, the bus address is set
// to one godbus cannot dial, so the call fails at once and says why (a process-wide setting: the only
// other D-Bus users in the process, the GUI's desktop integrations, must not launch a bus either).

// noBusAddress is what busEnv is set to when there is no session: no such transport, so godbus fails to
// dial it and never autolaunches.
const noBusAddress = "disabled:"

// preventBusLaunch makes sure godbus will not launch a session bus, and reports whether there is none.
func preventBusLaunch() (noBus bool) {
	if a := os.Getenv(busEnv); a == noBusAddress {
		return true
	} else if a != "" && a != "autolaunch:" {
		return false
	}
	if u, err := user.Current(); err == nil {
		dir := filepath.Join("/run/user", u.Uid)
		for _, f := range []string{"bus", "dbus-session"} { // what godbus itself looks for
			if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
				return false
			}
		}
	}
	_ = os.Setenv(busEnv, noBusAddress)
	return true
}
