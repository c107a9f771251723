package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
)

// settingsConfig is a configuration as the agent would load it: Rave, SureAdhere and the checklists.
func settingsConfig() *config.Config {
	return &config.Config{Path: "/data/config.toml",
		Rave: &config.Rave{URL: "https://rave.example.org/RaveWebServices", Auth: config.AuthBasic, User: "rws.integration",
			PageSize: 1000, Poll: 5 * time.Minute, Studies: []config.Study{{OID: "ALPHA(Prod)", Sites: []string{"101", "102"}, ArmItem: "RAND.ARM"}}},
		SureAdhere: &config.SureAdhere{URL: "https://sureadhere.example.org", Regimens: map[string]string{"Arm A": "Group 1", "Arm B": "Group 2"}},
		Checklist:  &config.Checklist{StudyID: "ALPHA", EDCURL: "https://edc.example.org", CTMSURL: "https://ctms.example.org"},
	}
}

func openSettingsForm(t *testing.T) (*fakeBackend, *UI, *configForm) {
	t.Helper()
	f := newFake(1)
	f.settings.Config = settingsConfig()
	u, _ := openSettings(t, f)
	return f, u, u.settings.form
}

// TestSettingsFormShowsTheConfiguration: every setting is in its field; nothing to save yet.
func TestSettingsFormShowsTheConfiguration(t *testing.T) {
	_, _, fm := openSettingsForm(t)
	for got, want := range map[string]string{
		fm.raveURL.Text: "https://rave.example.org/RaveWebServices", fm.raveUser.Text: "rws.integration",
		fm.raveAuth.Selected: authBasic, fm.studies.Text: "ALPHA(Prod): 101, 102", fm.poll.Text: "5m",
		fm.saURL.Text: "https://sureadhere.example.org", fm.edcURL.Text: "https://edc.example.org",
		fm.checklistStudy.Text: "ALPHA", fm.verifyEvery.Text: "", fm.owners["status"].Selected: "EDC",
		fm.owners["planned_activation_date"].Selected: "CTMS",
	} {
		if got != want {
			t.Errorf("field shows %q, want %q", got, want)
		}
	}
	if got := fm.regimens.values(); len(got) != 2 || got["Arm B"] != "Group 2" {
		t.Errorf("regimens %v", got)
	}
	if fm.rowOf[keyRaveClient][1].Visible() || !fm.rowOf[keyRaveUser][1].Visible() {
		t.Error("basic sign-in shows the OAuth2 fields")
	}
	if !fm.save.Disabled() {
		t.Error("Save is enabled with nothing changed")
	}
}

// TestSettingsFormRefusesBadValues: each bad value is refused beside its field, with the start-up
// checks' own words, and Save stays disabled until it is put right.
func TestSettingsFormRefusesBadValues(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(fm *configForm)
		field func(fm *configForm) string // the message beside the field
		want  string
	}{
		{"plain http", func(fm *configForm) { fm.saURL.SetText("http://sureadhere.example.org") },
			func(fm *configForm) string { return fm.errs[keySAURL].Text }, "use https"},
		{"not a URL", func(fm *configForm) { fm.raveURL.SetText("rave.example.org") },
			func(fm *configForm) string { return fm.errs[keyRaveURL].Text }, "must be an absolute http or https URL"},
		{"password in the URL", func(fm *configForm) { fm.edcURL.SetText("https://me:pw@edc.example.org") },
			func(fm *configForm) string { return fm.errs[keyEDCURL].Text }, "OS keyring"},
		{"not a duration", func(fm *configForm) { fm.poll.SetText("often") },
			func(fm *configForm) string { return fm.errs[keyRavePoll].Text }, errDurationText},
		{"too short", func(fm *configForm) { fm.verifyEvery.SetText("2s") },
			func(fm *configForm) string { return fm.errs[keyVerifyEvery].Text }, "at least 10s"},
		{"send not a duration", func(fm *configForm) { fm.sendEvery.SetText("hourly") },
			func(fm *configForm) string { return fm.errs[keySendEvery].Text }, errDurationText},
		{"send too short", func(fm *configForm) { fm.sendEvery.SetText("10ms") },
			func(fm *configForm) string { return fm.errs[keySendEvery].Text }, "at least 1s"},
		{"reconcile too short", func(fm *configForm) { fm.reconcileEvery.SetText("1s") },
			func(fm *configForm) string { return fm.errs[keyReconcile].Text }, "at least 10s"},
		{"oauth2 without its client", func(fm *configForm) { fm.raveAuth.SetSelected(authOAuth2) },
			func(fm *configForm) string { return fm.errs[keyRaveClient].Text }, "rave.client_id is missing"},
		{"a study twice", func(fm *configForm) { fm.studies.SetText("ALPHA(Prod): 101\nALPHA(Prod): 102") },
			func(fm *configForm) string { return fm.errs[keyStudies].Text }, "already configured"},
		{"a regimen left empty", func(fm *configForm) { fm.regimens.rows[0][1].SetText("") },
			func(fm *configForm) string { return fm.errs[keyRegimens].Text }, "is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, u, fm := openSettingsForm(t)
			tc.edit(fm)
			if got := tc.field(fm); !strings.Contains(got, tc.want) {
				t.Errorf("beside the field: %q, want …%s…", got, tc.want)
			}
			if !fm.save.Disabled() {
				t.Error("Save is enabled with a bad value")
			}
			for _, l := range fm.errs {
				if strings.Contains(l.Text, ".toml:") {
					t.Errorf("a file:line message: %q", l.Text)
				}
			}
			fm.askSave()
			u.bridge.wait()
			if len(f.saved) != 0 {
				t.Error("a bad configuration reached the agent")
			}
			test.Tap(fm.revert)
			u.bridge.wait()
			if !fm.save.Disabled() || tc.field(fm) != "" {
				t.Errorf("after Undo: save enabled %v, message %q", !fm.save.Disabled(), tc.field(fm))
			}
		})
	}
}

// TestSettingsFormSaves: a good change goes to the agent as a whole configuration; the agent's
// refusal is a sentence, with its words behind Details.
func TestSettingsFormSaves(t *testing.T) {
	f, u, fm := openSettingsForm(t)
	fm.poll.SetText("10m")
	fm.sendEvery.SetText("30s")
	fm.reconcileEvery.SetText("1h")
	fm.studies.SetText("ALPHA(Prod): 101, 102, 103\nBETA(Prod)")
	fm.regimens.add("Arm C", "Group 3")
	fm.changed()
	if fm.save.Disabled() {
		t.Fatalf("Save is disabled: %q", visibleTexts(fm.box))
	}
	test.Tap(fm.save)
	u.bridge.wait()
	if len(f.saved) != 1 || f.saved[0].Reason != "" {
		t.Fatalf("saved %+v", f.saved)
	}
	c := f.saved[0].Config
	if c.Rave.Poll != 10*time.Minute || len(c.Rave.Studies) != 2 || c.Rave.Studies[0].ArmItem != "RAND.ARM" ||
		strings.Join(c.Rave.Studies[0].Sites, ",") != "101,102,103" || c.SureAdhere.Regimens["Arm C"] != "Group 3" {
		t.Errorf("saved %+v %+v", c.Rave, c.SureAdhere)
	}
	if c.SendEvery() != 30*time.Second || c.ReconcileEvery() != time.Hour {
		t.Errorf("saved schedules: send every %s, reconcile every %s", c.SendEvery(), c.ReconcileEvery())
	}
	mustShow(t, u.win, "Saved. trialsync carries on with the new settings.")

	f.mu.Lock()
	f.saveErr = errors.New("settings not saved: the audit trail could not record them: store refuses writes")
	f.mu.Unlock()
	fm.poll.SetText("15m")
	test.Tap(fm.save)
	u.bridge.wait()
	mustBeRed(t, u.win, "The settings were not saved. Nothing was changed.")
}

// TestSettingsFormOwnerNeedsReason: changing a field's source of truth asks for a reason, refuses a
// blank one, and sends the reason with the configuration.
func TestSettingsFormOwnerNeedsReason(t *testing.T) {
	f, u, fm := openSettingsForm(t)
	s := u.settings
	fm.owners["status"].SetSelected("CTMS")
	test.Tap(fm.save)
	if s.dialog == nil {
		t.Fatal("no reason asked")
	}
	test.Type(s.entry, "   ")
	s.dialog.Submit()
	u.bridge.wait()
	if len(f.saved) != 0 || s.dialog == nil {
		t.Fatal("a blank reason went through")
	}
	s.dialog.Hide()

	test.Tap(fm.save)
	test.Type(s.entry, "the CTMS is now the system of record")
	s.dialog.Submit()
	u.bridge.wait()
	if len(f.saved) != 1 || f.saved[0].Reason != "the CTMS is now the system of record" ||
		f.saved[0].Config.Checklist.Owners["status"] != config.OwnerCTMS {
		t.Fatalf("saved %+v", f.saved)
	}
}

// TestSettingsFormKeyboard: Tab walks the form's fields in order, so it can be filled in without a mouse.
func TestSettingsFormKeyboard(t *testing.T) {
	_, u, fm := openSettingsForm(t)
	c := u.win.Canvas()
	c.Focus(fm.raveURL)
	var order []fyne.Focusable
	for range 4 {
		c.FocusNext()
		order = append(order, c.Focused())
	}
	want := []fyne.Focusable{fm.raveAuth, fm.raveUser, fm.studies, fm.saURL}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("Tab %d focuses %T, want %T", i+1, order[i], want[i])
		}
	}
}

// TestSettingsFormNoFile: with no configuration yet, the form starts empty and builds the sections
// that get filled in.
func TestSettingsFormNoFile(t *testing.T) {
	f := newFake(1)
	u, _ := openSettings(t, f)
	fm := u.settings.form
	fm.raveURL.SetText("https://rave.example.org/RaveWebServices")
	fm.raveUser.SetText("rws.integration")
	fm.studies.SetText("ALPHA(Prod)")
	if fm.save.Disabled() {
		t.Fatalf("Save disabled: %q", visibleTexts(fm.box))
	}
	test.Tap(fm.save)
	u.bridge.wait()
	if len(f.saved) != 1 || f.saved[0].Config.Rave == nil || f.saved[0].Config.SureAdhere != nil || f.saved[0].Config.Checklist != nil {
		t.Fatalf("saved %+v", f.saved)
	}
	var _ agent.Settings
}

// TestSettingsFormLoadError: settings that cannot be read say so in red.
func TestSettingsFormLoadError(t *testing.T) {
	f := newFake(1)
	f.settingsErr = errFake
	_, w := openSettings(t, f)
	mustBeRed(t, w, "Could not read the settings and credentials: store is locked")
}
