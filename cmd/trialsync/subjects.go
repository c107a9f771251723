package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/outbox"
	"github.com/trialsync/trialsync/sync/remote"
)

func newSubjectsCommand(g *globals) *cobra.Command {
	var po subjectsPushOptions
	push := &cobra.Command{
		Use:   "push [--once]",
		Short: "Queue randomized subjects for SureAdhere and send them",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !po.once {
				g.consoleLogs = true
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runSubjectsPush(cmd.Context(), a, g.output(), po)
			})
		},
	}
	po.addFlags(push.Flags())

	var lo subjectsListOptions
	list := &cobra.Command{
		Use:   "list [--format jsonl]",
		Short: "List randomized subjects and their push state",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFormat(lo.format); err != nil {
				return err
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runSubjectsList(cmd.Context(), a, g.output(), lo)
			})
		},
	}
	lo.addFlags(list.Flags())

	var ao subjectsAckOptions
	ack := &cobra.Command{
		Use:   "acknowledge STUDY/SUBJECT --reason R",
		Short: "Record that an arm changed after the push is taken care of in SureAdhere (nothing is sent)",
		Args:  exactArgs(1, "STUDY/SUBJECT --reason R"),
		RunE: func(cmd *cobra.Command, args []string) error {
			i := strings.LastIndexByte(args[0], '/')
			if i <= 0 || i == len(args[0])-1 {
				return usagef("%q: want STUDY/SUBJECT, e.g. ALPHA(Prod)/101-012", args[0])
			}
			ao.study, ao.subject = args[0][:i], args[0][i+1:]
			if strings.TrimSpace(ao.reason) == "" {
				return usagef("subjects acknowledge needs --reason R")
			}
			return g.withAgent(cmd.Context(), func(a *agent.Agent) error {
				return runSubjectsAcknowledge(cmd.Context(), a, g.output(), ao)
			})
		},
	}
	ao.addFlags(ack.Flags())
	return group("subjects", "Randomized subjects from Rave to SureAdhere", push, list, ack)
}

// subjectsPushOptions are the flags of `subjects push`.
type subjectsPushOptions struct{ once bool }

func (o *subjectsPushOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.once, "once", false, "queue and deliver once, then exit (default: keep pushing as the agent does)")
}

// runSubjectsPush queues and delivers once (--once), or runs the agent's subject service until
// interrupted.
func runSubjectsPush(ctx context.Context, a *agent.Agent, out output, o subjectsPushOptions) error {
	if !o.once {
		return runSubjectService(ctx, a, out)
	}
	res, err := a.PushSubjects(ctx)
	var off *remote.OfflineError
	switch {
	case errors.As(err, &off):
		out.printf("SureAdhere cannot be reached (%s): the subjects are held and go when it answers\n", off.Words)
	case err != nil:
		return err
	}
	rows, err := a.Subjects(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if line := attentionLine(r); line != "" {
			out.printf("%s\n", line)
		}
	}
	c := agent.CountSubjects(rows)
	out.printf("queued %d, sent %d, dead %d, held %d; unmapped arms %d, arm changes to acknowledge %d\n",
		res.Queued, res.Sent-res.Skipped, c.Dead, c.Held, c.Unmapped, c.ArmChanged)
	return nil
}

// attentionLine is a subject that needs a person, on one line with what to do; "" for one that does not.
func attentionLine(r agent.SubjectRow) string {
	key := r.Study + "/" + r.ID
	switch r.Status() {
	case "unmapped":
		return key + ": not sent: " + r.Problem + " (add it to [sureadhere] regimens)"
	case "arm_changed":
		c := r.Change
		return fmt.Sprintf("%s: arm changed in Rave after the push, %s -> %s; SureAdhere keeps regimen %q and is not sent the change: "+
			"update SureAdhere, then trialsync subjects acknowledge %s --reason R", key, armText(c.From), armText(c.To), c.FromRegimen, key)
	case "dead":
		line := fmt.Sprintf("%s: dead after %d attempts: %s", key, r.Attempts, r.Error)
		if r.Advice != "" {
			line += " " + r.Advice
		}
		return line + fmt.Sprintf(" (trialsync queue retry %d, or queue discard %d --reason R)", r.Message, r.Message)
	}
	return ""
}

func armText(arm string) string {
	if arm == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", arm)
}

// runSubjectService runs the agent's subject service until interrupted, printing each run, stop and
// wait as it happens.
func runSubjectService(ctx context.Context, a *agent.Agent, out output) error {
	var seenLook, seenSend agent.ServiceState
	opts := agent.StartOptions{Engines: []string{agent.EngineSubjects, agent.EngineSend}, Scope: agent.Scope{Kind: outbox.KindSubject}}
	return watchServices(ctx, a, opts, func() {
		p := agent.SubjectPushOf(a.Snapshot())
		if p.Discovery != nil {
			printService(out, "looking for subjects", &seenLook, *p.Discovery)
		}
		if p.Send != nil {
			printService(out, "sending to SureAdhere", &seenSend, *p.Send)
		}
	})
}

// printService prints a service's completed run, or the stop or wait it began, since seen.
func printService(out output, what string, seen *agent.ServiceState, st agent.ServiceState) {
	was := *seen
	*seen = st
	switch {
	case st.Stopped && !was.Stopped:
		out.printf("%s stopped: %s\n", what, stopLine(st))
	case st.Offline && !was.Offline:
		out.printf("SureAdhere cannot be reached (%s); waiting for it to answer\n", st.Err)
	case st.Runs == was.Runs || st.Stopped || st.Offline:
	case st.Err != "":
		out.printf("%s failed, retrying at %s: %s\n", what, st.NextRun.Format("15:04:05"), st.Err)
	default:
		out.printf("%s: %s; next at %s\n", what, st.Last.Text, st.NextRun.Format("15:04:05"))
	}
}

// subjectsListOptions are the flags of `subjects list`.
type subjectsListOptions struct{ format string }

func (o *subjectsListOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", "", "jsonl for machine output on stdout")
}

// subjectLine is one subject as `subjects list --format jsonl` writes it.
type subjectLine struct {
	Study          string    `json:"study"`
	Subject        string    `json:"subject"`
	Site           string    `json:"site"`
	Arm            string    `json:"arm"`
	Regimen        string    `json:"regimen"`
	Status         string    `json:"status"`
	Problem        string    `json:"problem"`
	Message        uint64    `json:"message"`
	Attempts       int       `json:"attempts"`
	Error          string    `json:"error"`
	PushedRegimen  string    `json:"pushed_regimen"`
	PushedStatus   int       `json:"pushed_status"`
	ArmChangedFrom string    `json:"arm_changed_from"`
	AcknowledgedBy string    `json:"acknowledged_by"`
	Updated        time.Time `json:"updated"`
}

func lineOf(r agent.SubjectRow) subjectLine {
	l := subjectLine{Study: r.Study, Subject: r.ID, Site: r.Site, Arm: r.Arm, Regimen: r.Regimen, Status: r.Status(),
		Problem: r.Problem, Message: r.Message, Attempts: r.Attempts, Error: r.Error, Updated: r.Updated}
	if p := r.Pushed; p != nil {
		l.PushedRegimen, l.PushedStatus = p.Patient.Regimen, p.Status
	}
	if c := r.Change; c != nil {
		l.ArmChangedFrom = c.From
		if c.Acknowledged != nil {
			l.AcknowledgedBy = c.Acknowledged.By
		}
	}
	return l
}

// runSubjectsList writes the subjects: JSON Lines on the data stream, or a table for people.
func runSubjectsList(ctx context.Context, a *agent.Agent, out output, o subjectsListOptions) error {
	rows, err := a.Subjects(ctx)
	if err != nil {
		return err
	}
	if o.format == "jsonl" {
		return writeJSONL(out.data, rows, lineOf)
	}
	tw := out.table("STUDY\tSUBJECT\tSITE\tARM\tREGIMEN\tSTATUS\tNOTE")
	for _, r := range rows {
		l := lineOf(r)
		note := l.Problem
		switch {
		case l.Error != "" && l.Status != "pushed":
			note = l.Error
		case l.ArmChangedFrom != "" && l.AcknowledgedBy != "":
			note = fmt.Sprintf("arm changed from %s, acknowledged by %s", armText(l.ArmChangedFrom), l.AcknowledgedBy)
		case l.ArmChangedFrom != "":
			note = fmt.Sprintf("arm changed from %s after the push; SureAdhere keeps %q", armText(l.ArmChangedFrom), l.PushedRegimen)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Study, l.Subject, l.Site, armText(l.Arm), l.Regimen, l.Status, note)
	}
	return tw.Flush()
}

// subjectsAckOptions are the argument and flags of `subjects acknowledge`.
type subjectsAckOptions struct {
	study, subject, reason string
}

func (o *subjectsAckOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.reason, "reason", "", "what was done about it (recorded in the audit trail)")
}

// runSubjectsAcknowledge records the person's decision on an arm change (audited); nothing is sent.
func runSubjectsAcknowledge(ctx context.Context, a *agent.Agent, out output, o subjectsAckOptions) error {
	if err := a.AcknowledgeArmChange(ctx, o.study, o.subject, o.reason); err != nil {
		return err
	}
	out.printf("%s/%s: arm change acknowledged; nothing sent to SureAdhere\n", o.study, o.subject)
	return nil
}
