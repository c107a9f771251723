package agent

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	httpremote "github.com/trialsync/trialsync/sync/remote"
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
	// changed is told when the client's own view of the remote changes (offline, back online,
	// breaker open), so that the snapshot's subscribers see it without waiting for a run to end.
	changed   func()
	stopWatch context.CancelFunc
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
	r.watchLocked(c)
	return c, nil
}

// liveRemote is a client that keeps its own state of the remote (sync/remote's offline detection and
// breaker), directly or through the API client built on it.
type liveRemote interface {
	State() httpremote.State
	Watch() (httpremote.State, <-chan struct{})
}

func liveOf(c any) (liveRemote, bool) {
	switch v := c.(type) {
	case liveRemote:
		return v, true
	case interface{ Remote() *httpremote.Client }:
		return v.Remote(), true
	}
	return nil, false
}

// watchLocked passes the client's state changes on to the agent's subscribers until the client is
// dropped. r.mu is held.
func (r *remote[C]) watchLocked(c C) {
	live, ok := liveOf(c)
	if !ok || r.changed == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stopWatch = cancel
	go func() {
		for {
			_, next := live.Watch()
			select {
			case <-ctx.Done():
				return
			case <-next:
				r.changed()
			}
		}
	}()
}

// dropLocked forgets the client, stopping its watch and closing it (its offline probe). r.mu is held.
func (r *remote[C]) dropLocked() {
	if !r.built {
		return
	}
	if r.stopWatch != nil {
		r.stopWatch()
		r.stopWatch = nil
	}
	if c, ok := any(r.client).(interface{ Close() error }); ok {
		_ = c.Close()
	}
	var zero C
	r.client, r.built = zero, false
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
	// close drops the client for good (the agent is closing).
	close()
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
	var answeredHTTP *httpremote.Error
	switch v, _ := classify(err); {
	case v == offline || rws.IsOffline(err):
		r.state.Status, r.state.Err = RemoteOffline, text
	case errors.As(err, &answered):
		r.state.Err = text
		if answered.Status != 0 {
			r.state.Status = RemoteOnline // it answered, with an error
		}
	case errors.As(err, &answeredHTTP):
		r.state.Err = text
		if answeredHTTP.Status != 0 {
			r.state.Status = RemoteOnline
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
	r.dropLocked()
}

func (r *remote[C]) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked()
}

// snapshot is what the agent last heard from the remote, corrected by the client's own live view:
// an unreachable remote is offline (and a breaker open is a pause) the moment the client knows it,
// not only when a run ends.
func (r *remote[C]) snapshot() RemoteState {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	if !r.built {
		return st
	}
	live, ok := liveOf(r.client)
	if !ok {
		return st
	}
	switch ls := live.State(); ls.State {
	case httpremote.StateOffline:
		st.Status, st.Since = RemoteOffline, ls.Since
		if ls.LastError != "" {
			st.Err = ls.LastError
		}
	case httpremote.StateBreakerOpen:
		st.Status, st.Since = RemotePaused, ls.Since
		if ls.LastError != "" {
			st.Err = ls.LastError
		}
	case httpremote.StateOnline:
		if st.Status == RemoteOffline || st.Status == RemotePaused {
			st.Status, st.Since = RemoteOnline, ls.Since // it answered again since the last run ended
		}
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
