package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/odm"
	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// pushSubjects pushes the randomized subjects to the simulated SureAdhere; then Rave corrects the arm
// of the seed's arm-change subject (as a data manager would), the next pull brings the correction, and
// the push finds it and flags the subject for a person instead of changing SureAdhere by itself.
func (d *demo) pushSubjects(ctx context.Context, out output, sum *demoSummary) error {
	res, err := d.agent.PushSubjects(ctx)
	sum.sends += res.Report.Sent
	sum.dead += res.Report.Dead
	out.printf("      %s randomized subjects found, %s pushed, %s dead\n", thousands(res.Discovery.Randomized),
		thousands(res.Report.Sent), thousands(res.Report.Dead))
	if err != nil {
		return err
	}
	ac := d.study.Trouble.ArmChange
	if ac == nil {
		return nil
	}
	if err := d.correctArm(ctx, ac.Subject, ac.To); err != nil {
		return fmt.Errorf("correcting %s's arm in the simulated Rave: %w", ac.Subject, err)
	}
	if _, err := d.agent.Pull(ctx, agent.PullOptions{Feed: agent.FeedAudit}); err != nil {
		return err
	}
	again, err := d.agent.PushSubjects(ctx)
	sum.sends += again.Report.Sent
	sum.dead += again.Report.Dead
	sum.armChanges += again.Discovery.Flagged
	out.printf("      Rave then corrected %s's arm to %s: %s arm change flagged for a person (Subjects screen)\n",
		ac.Subject, ac.To, thousands(again.Discovery.Flagged))
	return err
}

// correctArm posts a new RAND.ARM for subject to the simulated Rave, as its data manager would.
func (d *demo) correctArm(ctx context.Context, subject, arm string) error {
	return postArmCorrection(ctx, d.rave(), subject, arm)
}

// postArmCorrection posts a new RAND.ARM for subject ("101-012", of site 101) to the Rave simulator r
// through RWS, as a data manager's correction reaches Rave.
func postArmCorrection(ctx context.Context, r *simrws.Server, subject, arm string) error {
	o := r.Options()
	site, _, _ := strings.Cut(subject, "-")
	var b bytes.Buffer
	w := odm.NewWriter(&b, odm.Header{FileOID: fmt.Sprintf("demo-arm-%s-%d", subject, time.Now().UnixNano()), SourceSystem: "trialsync demo"})
	steps := []func() error{
		func() error { return w.StartClinicalData(o.Study, "1") },
		func() error { return w.StartSubject(odm.Subject{Key: subject, Site: site, TransactionType: "Update"}) },
		func() error { return w.StartEvent(odm.Container{OID: "SCREEN", TransactionType: "Update"}) },
		func() error {
			return w.StartForm(odm.Container{OID: "RAND", RepeatKey: "1", TransactionType: "Update"})
		},
		func() error { return w.StartItemGroup(odm.Container{OID: "RAND", TransactionType: "Update"}) },
		func() error { return w.Item(odm.Item{OID: "RAND.ARM", Value: arm, TransactionType: "Update"}) },
		w.Close,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	c, err := rws.New(rws.Config{BaseURL: r.URL(), Auth: rws.BasicAuth(o.User, o.Password)})
	if err != nil {
		return err
	}
	_, err = c.PostClinicalData(ctx, b.Bytes())
	return err
}

// reconcileChecklists reconciles the EDC's and the CTMS's checklists once: writes across what one
// side changed, and quarantines the seed's genuine conflicts for a person to decide.
func (d *demo) reconcileChecklists(ctx context.Context, out output, sum *demoSummary) error {
	res, err := d.agent.Reconcile(ctx, "")
	c := res.Report.Counts
	sum.sends += res.Delivery.Sent
	sum.dead += res.Delivery.Dead
	sum.conflicts = d.agent.Snapshot().Checklist.OpenConflicts
	out.printf("      %s items: %s in sync, %s written across, %s in conflict (Checklists screen)\n", thousands(c.Items),
		thousands(c.InSync), thousands(c.WriteCTMS+c.WriteEDC+c.WriteBoth), thousands(c.Conflict))
	return err
}

// storeChecklistBaselines stores the seed's earlier agreement between the EDC and the CTMS as the
// store's baselines, so that the reconciliation meets the seed's conflicts (without a baseline the
// first reconciliation is an initial alignment, in which each field's owner wins).
func (d *demo) storeChecklistBaselines(ctx context.Context) error {
	db, err := d.agent.Store(ctx)
	if err != nil {
		return err
	}
	var items []checklist.Item
	for _, ci := range d.study.ChecklistItems() {
		b := ci.Baseline
		it := checklist.Item{Site: ci.Site, Code: ci.Code, Version: ci.Version, Status: checklist.Status(b.Status),
			EvidenceDocID: b.EvidenceDocID, PlannedActivationDate: checklist.Date(b.PlannedActivationDate), MilestoneSignedOff: checklist.FlagNo}
		if b.MilestoneSignedOff {
			it.MilestoneSignedOff = checklist.FlagYes
		}
		items = append(items, it)
	}
	_, err = checklist.StoreBaselines(ctx, db, d.study.Checklist.StudyID, items)
	return err
}
