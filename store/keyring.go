package store

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring is where secrets live: the OS keyring in production, go-keyring's mock in unit tests.
// Implementations return ErrSecretNotFound (wrapped or not) only for a missing entry.
type Keyring interface {
	Get(name string) (string, error)
	Set(name, secret string) error
	Delete(name string) error
}

// ServiceName is the keyring service under which trialsync keeps its entries.
const ServiceName = "trialsync"

// DefaultKeyringTimeout bounds every keyring call: go-keyring can wait forever on an unanswered
// unlock prompt.
const DefaultKeyringTimeout = 10 * time.Second

// busEnv names the D-Bus session the Secret Service is reached through (Linux and the BSDs).
const busEnv = "DBUS_SESSION_BUS_ADDRESS"

// maxSecretLen keeps every entry under Windows Credential Manager's 2,560-byte cap.
const maxSecretLen = 2048

// SystemKeyring is the OS keyring (Secret Service, Keychain, Credential Manager) through go-keyring,
// with a timeout on every call and a hook that sees every secret passing through, so that the log
// redactor learns it before anything could print it.
type SystemKeyring struct {
	Service string              // keyring service; ServiceName unless tests isolate themselves
	Timeout time.Duration       // per call; DefaultKeyringTimeout when zero
	Observe func(secret string) // called with every secret read or written; may be nil
}

// NewSystemKeyring returns the OS keyring under service (ServiceName when empty).
func NewSystemKeyring(service string, observe func(string)) *SystemKeyring {
	if service == "" {
		service = ServiceName
	}
	return &SystemKeyring{Service: service, Timeout: DefaultKeyringTimeout, Observe: observe}
}

// Get returns the secret stored under name.
func (k *SystemKeyring) Get(name string) (string, error) {
	var v string
	err := k.call("read", name, func() (err error) { v, err = keyring.Get(k.Service, name); return err })
	if err != nil {
		return "", err
	}
	k.observe(name, v)
	return v, nil
}

// Set stores secret under name, replacing any earlier value.
func (k *SystemKeyring) Set(name, secret string) error {
	if len(secret) > maxSecretLen {
		return fmt.Errorf("credential %s: %d bytes is over the keyring's %d-byte limit", name, len(secret), maxSecretLen)
	}
	k.observe(name, secret)
	return k.call("write", name, func() error { return keyring.Set(k.Service, name, secret) })
}

// Delete removes name; deleting a missing entry returns ErrSecretNotFound.
func (k *SystemKeyring) Delete(name string) error {
	return k.call("delete", name, func() error { return keyring.Delete(k.Service, name) })
}

// observe shows a secret to the hook. The names list and audit checkpoints are public values kept in
// the keyring only for safety, and are not shown (the redactor would otherwise hide ordinary words).
func (k *SystemKeyring) observe(name, s string) {
	if k.Observe == nil || s == "" || name == namesEntry || (strings.HasPrefix(name, "audit.") &&
		(strings.HasSuffix(name, checkpointSuffix) || strings.HasPrefix(name, "audit.path."))) {
		return
	}
	k.Observe(s)
}

// goKeyringMu serialises calls into go-keyring. What it talks to is one per process (godbus's shared
// session connection; in unit tests, the mock's unguarded map), while the store's checkpoint copies
// run on a timer beside every other keyring call. A call stuck past its timeout keeps the lock, and
// the calls after it time out as well: the keyring is not answering anyway.
var goKeyringMu sync.Mutex

// call runs op under the timeout and classifies its error. The error text never includes a secret:
// go-keyring's errors carry D-Bus names and states, not values.
func (k *SystemKeyring) call(verb, name string, op func() error) error {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	noBus := preventBusLaunch()
	done := make(chan error, 1)
	go func() {
		goKeyringMu.Lock()
		defer goKeyringMu.Unlock()
		done <- op()
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(timeout):
		return fmt.Errorf("credential %s: %w: no answer within %s (is the keyring locked and waiting for a password?)",
			name, ErrKeyringUnavailable, timeout)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("credential %s: %w", name, ErrSecretNotFound)
	case noBus:
		return fmt.Errorf("credential %s: cannot %s: %w: no Secret Service reachable: there is no D-Bus session (%s is unset)%s",
			name, verb, ErrKeyringUnavailable, busEnv, keyringHint())
	default:
		return fmt.Errorf("credential %s: cannot %s: %w: %s%s", name, verb, ErrKeyringUnavailable,
			firstLine(err.Error()), keyringHint())
	}
}

func keyringHint() string {
	return "; start a Secret Service in a D-Bus session (e.g. dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets; trialsync ...'), or log in to a desktop; secrets never fall back to a file"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// credName is what a user-visible credential may be called: lower-case words joined by dots,
// dashes or underscores, as in CONTRACT.md (rave.password, sureadhere.token).
var credName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// namesEntry holds the list of credential names (never values), since keyrings cannot be listed
// portably.
const namesEntry = "_names"

// Credentials manages the user-visible credentials: set, list names, delete. Internal entries (audit
// keys and checkpoints) are not listed.
type Credentials struct{ Keyring Keyring }

// ValidName reports whether name may be used for a credential, with the reason when it may not.
func ValidName(name string) error {
	if !credName.MatchString(name) || strings.HasPrefix(name, "audit.") {
		return fmt.Errorf("invalid credential name %q: use lower-case letters, digits and . _ - (e.g. rave.password)", name)
	}
	return nil
}

// Set stores secret under name and records the name.
func (c Credentials) Set(name, secret string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if secret == "" {
		return fmt.Errorf("credential %s: empty secret (nothing read from stdin)", name)
	}
	if err := c.Keyring.Set(name, secret); err != nil {
		return err
	}
	names, err := c.List()
	if err != nil {
		return err
	}
	if !slices.Contains(names, name) {
		names = append(names, name)
		slices.Sort(names)
		return c.Keyring.Set(namesEntry, strings.Join(names, "\n"))
	}
	return nil
}

// Get returns the secret under name; a missing one is ErrSecretNotFound with a message telling how to set it.
func (c Credentials) Get(name string) (string, error) {
	v, err := c.Keyring.Get(name)
	if errors.Is(err, ErrSecretNotFound) {
		return "", MissingCredentialError{Name: name}
	}
	return v, err
}

// MissingCredentialError is the contract's message for a credential a command needs and the keyring
// lacks; it matches ErrSecretNotFound with errors.Is.
type MissingCredentialError struct{ Name string }

// Error is the contract's line, which names the command that sets the credential.
func (e MissingCredentialError) Error() string {
	return "credential " + e.Name + " not set (trialsync creds set " + e.Name + ")"
}

// Is makes errors.Is(err, ErrSecretNotFound) true.
func (e MissingCredentialError) Is(target error) bool { return target == ErrSecretNotFound }

// List returns the names of the stored credentials, sorted.
func (c Credentials) List() ([]string, error) {
	v, err := c.Keyring.Get(namesEntry)
	if errors.Is(err, ErrSecretNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range strings.SplitSeq(v, "\n") {
		if n != "" {
			names = append(names, n)
		}
	}
	return names, nil
}

// Delete removes the credential and its name.
func (c Credentials) Delete(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := c.Keyring.Delete(name); err != nil {
		return err
	}
	names, err := c.List()
	if err != nil {
		return err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == name })
	if len(names) == 0 {
		if err := c.Keyring.Delete(namesEntry); err != nil && !errors.Is(err, ErrSecretNotFound) {
			return err
		}
		return nil
	}
	return c.Keyring.Set(namesEntry, strings.Join(names, "\n"))
}
