package agent

import (
	"context"
	"time"
)

// Step does one run of a service's work and says what it did, or returns why it could not. The agent
// classes the error: fatal (IsFatal: the service stops and shows why), offline (the remote cannot be
// reached: the service waits until it answers) or anything else (retried after a backoff). A Step
// must honour ctx and may return a partial Summary with its error.
type Step func(ctx context.Context) (Summary, error)

// Summary is what one run did: a sentence for people and named figures for tables and scripts.
type Summary struct {
	Text    string   // e.g. "12 pages, 4,872 rows read, 130 written, 2 quarantined"
	Figures []Figure // in the order a table shows them
}

// Figure is one named count of a run or a queue.
type Figure struct {
	Name  string // e.g. "rows"
	Value int
}

// Figure returns the value of the named figure, 0 when the summary has none.
func (s Summary) Figure(name string) int {
	for _, f := range s.Figures {
		if f.Name == name {
			return f.Value
		}
	}
	return 0
}

// ServiceSpec is one loop an engine registers: the agent runs Run at start, then every Every after a
// success, sooner after a failure (5 s doubling up to Every), and at once when kicked.
type ServiceSpec struct {
	Name    string // for people and logs: "Rave pull ALPHA(Prod)"
	Engine  string // the registering engine's Name
	Subject string // what it works on (a study OID), "" when it is the engine's only service
	// Remote is the remote system the service talks to (see RemoteState), "" for none: its runs tell
	// the snapshot whether that remote answers.
	Remote string
	// Credentials are the keyring entries the service needs. After it stopped on a fatal error,
	// setting one of them (Agent.SetCredential) starts it again.
	Credentials []string
	Every       time.Duration // between runs after a success
	// RetryAfter is the first wait after a failure (5 s when zero); each further failure doubles it, up
	// to Every, with ±20 % jitter so that services failing together do not retry together.
	RetryAfter time.Duration
	Run        Step
	// Queue, when set, counts the service's queue by state after each run (an outbound queue's
	// pending, held, dead messages); it runs on the service's goroutine, so it may read the store.
	Queue func(ctx context.Context) ([]Figure, error)
}

// ServiceState is one service as the GUI and the CLI show it.
type ServiceState struct {
	Name, Engine, Subject, Remote string

	Running   bool
	Runs      int       // completed runs, failed ones included
	LastStart time.Time // of the run in progress or the last one
	LastEnd   time.Time
	NextRun   time.Time // zero while running, waiting for the remote, or stopped
	Last      Summary   // what the last completed run did (a failed one may have done part)
	// Err is the last run's failure in words, secrets redacted; "" after a success.
	Err string
	// Offline says the service waits for its remote to answer again; it spends nothing meanwhile.
	Offline bool
	// Stopped says the service stopped on a fatal error (Err says why) and is not retried. Hint, when
	// set, says what starts it again.
	Stopped bool
	Hint    string
	Queue   []Figure // the queue by state after the last run, for services that keep one
}
