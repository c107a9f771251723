package main

import (
	"context"

	"github.com/trialsync/trialsync/sync/agent"
)

// serviceWords is how one engine's service runs are told on the terminal.
type serviceWords struct {
	engine      string
	unreachable string // who cannot be reached: "Rave"
	failed      string // what failed: "pull failed"
	next        string // what comes next: "next pull"
}

var (
	pullService      = serviceWords{agent.EngineRavePull, "Rave", "pull failed", "next pull"}
	reconcileService = serviceWords{agent.EngineChecklist, "a checklist system", "reconciliation failed", "next run"}
)

// runService runs one engine's services until interrupted, printing each completed run. A failed run
// is printed and retried with backoff; a service that stops (a credential missing or rejected, a store
// that refuses writes) is printed, and when every one has stopped the command ends with their errors,
// since nothing would change without a person.
func runService(ctx context.Context, a *agent.Agent, out output, w serviceWords, scope agent.Scope) error {
	seen := map[string]agent.ServiceState{}
	return watchServices(ctx, a, agent.StartOptions{Engines: []string{w.engine}, Scope: scope}, func() {
		printServiceRuns(a, out, w, seen)
	})
}

// watchServices runs the agent's services as opts says until interrupted, calling report after every
// change of the agent's state and once more when the run ends, so that the last stops are told too.
func watchServices(ctx context.Context, a *agent.Agent, opts agent.StartOptions, report func()) error {
	changed, unsubscribe := a.Subscribe()
	defer unsubscribe()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, opts) }()
	for {
		select {
		case err := <-done:
			report()
			return err
		case <-changed:
			report()
		}
	}
}

// printServiceRuns prints the runs completed, and the stops and waits begun, since seen.
func printServiceRuns(a *agent.Agent, out output, w serviceWords, seen map[string]agent.ServiceState) {
	for _, st := range a.Snapshot().ServicesOf(w.engine) {
		was := seen[st.Name]
		seen[st.Name] = st
		switch {
		case st.Stopped && !was.Stopped:
			out.printf("%s: stopped: %s\n", st.Subject, stopLine(st))
		case st.Offline && !was.Offline:
			out.printf("%s: %s cannot be reached (%s); waiting for it to answer\n", st.Subject, w.unreachable, st.Err)
		case st.Runs == was.Runs || st.Stopped || st.Offline:
		case st.Err != "":
			out.printf("%s: %s, retrying at %s: %s\n", st.Subject, w.failed, st.NextRun.Format("15:04:05"), st.Err)
		default:
			out.printf("%s: %s; %s at %s\n", st.Subject, st.Last.Text, w.next, st.NextRun.Format("15:04:05"))
		}
	}
}
