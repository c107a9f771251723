package main

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
)

// sendOptions are the flags of `send`.
type sendOptions struct {
	once bool
}

func (o *sendOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.once, "once", false, "one delivery run, then exit (default: keep delivering)")
}

func newSendCommand(g *globals) *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send [--once]",
		Short: "Deliver the outbound queue (dose log lines to Rave)",
		Long: `Deliver the outbound queue: dose log lines to Rave, through the outbox.

--once makes one delivery run: failures are retried with backoff within it, and it ends when every
message is done, dead (refused, or out of attempts: see trialsync queue list --state dead) or held
(Rave cannot be reached; nothing is spent, and the next run sends them). It prints
"sent N, dead M, held K" and exits 0 unless it could not run at all (configuration, credential).

Without --once it keeps delivering as the agent's send service, with the exposure intake when
[exposure] intake_addr is set, until interrupted.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.once {
				g.consoleLogs = true
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runSend(cmd.Context(), a, g.output(), o)
			})
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// runSend makes one delivery run (--once) or runs the send services until interrupted.
func runSend(ctx context.Context, a *agent.Agent, out output, o sendOptions) error {
	if !o.once {
		return runServices(ctx, a, out, []string{agent.EngineSend, agent.EngineExposure})
	}
	rep, err := a.Send(ctx)
	if err != nil && rep.Sent+rep.Dead+rep.Held+rep.Failed == 0 {
		return err
	}
	out.printf("sent %d, dead %d, held %d\n", rep.Sent, rep.Dead, rep.Held)
	if rep.Blocked > 0 {
		out.printf("%d waiting behind a dead message of the same log line: trialsync queue list --state dead\n", rep.Blocked)
	}
	return err
}

// runServices runs the named engines' services until interrupted, printing each completed run, stop
// and wait; when every service has stopped on a fatal error the command ends with their errors.
func runServices(ctx context.Context, a *agent.Agent, out output, engines []string) error {
	seen := map[string]agent.ServiceState{}
	return watchServices(ctx, a, agent.StartOptions{Engines: engines}, func() {
		for _, st := range a.Snapshot().Services {
			was := seen[st.Name]
			seen[st.Name] = st
			switch {
			case st.Stopped && !was.Stopped:
				out.printf("%s: stopped: %s\n", st.Name, stopLine(st))
			case st.Offline && !was.Offline:
				out.printf("%s: %s cannot be reached; messages held until it answers (%s)\n", st.Name, st.Remote, st.Err)
			case st.Running && !was.Running && st.Runs == 0 && st.Engine == agent.EngineExposure:
				out.printf("%s: started\n", st.Name)
			case st.Runs == was.Runs || st.Stopped || st.Offline:
			case st.Err != "":
				out.printf("%s: failed, trying again at %s: %s\n", st.Name, st.NextRun.Format("15:04:05"), st.Err)
			default:
				out.printf("%s: %s\n", st.Name, st.Last.Text)
			}
		}
	})
}
