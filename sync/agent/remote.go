package agent

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/trialsync/trialsync/sync/rws"
)

// RemoteStatus is whether a remote system answers, in words a coordinator reads.
type RemoteStatus string

// The states of a remote.
const (
	RemoteNotContacted RemoteStatus = "not contacted yet"
	RemoteOnline       RemoteStatus = "online"
	RemoteOffline      RemoteStatus = "offline"
	// RemotePaused: its client's circuit breaker is open after repeated failures; requests wait.
	RemotePaused RemoteStatus = "paused after repeated failures"
)

// RemoteState is one remote system as the snapshot shows it.
type RemoteState struct {
	Name   string // the agent's name for it: "rave"
	Title  string // for people: "Rave"
	URL    string // where it is, once its client is built
	Status RemoteStatus
	Err    string    // the last failure talking to it, in words, secrets redacted; "" after a success
	Since  time.Time // when it last answered or failed
}

// remote is one remote system's client, built on first use and shared by every engine that talks to
// it, so that they share its circuit breaker and rate limit; and what the agent last heard from it.
type remote[C any] struct {
	title string
	// creds are the keyring entries the client may be built with: setting one rebuilds it.
	creds []string
	build func(ctx context.Context) (C, string, error) // the client and its URL

	mu     sync.Mutex
	client C
	built  bool
	state  RemoteState
}

func newRemote[C any](name, title string, creds []string, build func(context.Context) (C, string, error)) *remote[C] {
	return &remote[C]{title: title, creds: creds, build: build,
		state: RemoteState{Name: name, Title: title, Status: RemoteNotContacted}}
}

// get returns the client, building it on the first call (and after a reset). A failed build is not
// remembered, so the next call tries again.
func (r *remote[C]) get(ctx context.Context) (C, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.built {
		return r.client, nil
	}
	c, url, err := r.build(ctx)
	if err != nil {
		var zero C
		return zero, err
	}
	r.client, r.built, r.state.URL = c, true, url
	return c, nil
}

// remoteEntry is what the agent does with every remote, whatever its client's type.
type remoteEntry interface {
	name() string
	// observe records how a run that talked to the remote ended; text is err in words, redacted.
	observe(err error, text string)
	// credentialSet drops the client when it is built with cred, so that the next use rebuilds it.
	credentialSet(cred string)
	// reset drops the client, so that the next use builds it from the configuration as it now is.
	reset()
	snapshot() RemoteState
}

func (r *remote[C]) name() string { return r.state.Name }

func (r *remote[C]) observe(err error, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	since := r.state.Since
	r.state.Since = time.Now()
	if err == nil {
		r.state.Status, r.state.Err = RemoteOnline, ""
		return
	}
	var answered *rws.Error
	switch v, _ := classify(err); {
	case v == offline || rws.IsOffline(err):
		r.state.Status, r.state.Err = RemoteOffline, text
	case errors.As(err, &answered):
		r.state.Err = text
		if answered.Status != 0 {
			r.state.Status = RemoteOnline // it answered, with an error
		}
	default:
		r.state.Since = since // not the remote's doing (the store, a credential not set): nothing heard
	}
}

func (r *remote[C]) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero C
	r.client, r.built = zero, false
}

func (r *remote[C]) credentialSet(cred string) {
	if !slices.Contains(r.creds, cred) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var zero C
	r.client, r.built = zero, false
}

// breakerStater is a client that has a circuit breaker ("closed", "open", "half-open").
type breakerStater interface{ BreakerState() string }

func (r *remote[C]) snapshot() RemoteState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	if b, ok := any(r.client).(breakerStater); ok && r.built && b.BreakerState() == "open" {
		st.Status = RemotePaused
	}
	return st
}

// observeRemote records how a run that talked to the named remote ended.
func (a *Agent) observeRemote(name string, err error) {
	text := ""
	if err != nil {
		text = a.Redact(oneLine(err.Error()))
	}
	for _, r := range a.remotes {
		if r.name() == name {
			r.observe(err, text)
		}
	}
}
