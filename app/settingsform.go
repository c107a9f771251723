package app

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/trialsync/trialsync/sync/agent"
	"github.com/trialsync/trialsync/sync/config"
)

// configForm edits the configuration file's settings: connections, schedules, the regimen mapping
// and the checklist fields' owners. Every change is checked at once with the checks trialsync applies
// at start (config.Check), and each problem is shown beside the field it is about, so that Save only
// ever writes a file trialsync accepts. Its fields belong to the Fyne goroutine.
type configForm struct {
	s      *settingsScreen
	loaded agent.Settings // as last read: the base that the form's changes apply to

	raveURL, raveUser, raveClient, raveToken *widget.Entry
	raveAuth                                 *widget.Select
	studies                                  *widget.Entry
	saURL, edcURL, ctmsURL, checklistStudy   *widget.Entry
	poll, sendEvery, reconcileEvery          *widget.Entry
	verifyEvery                              *widget.Entry
	regimens                                 *regimenRows
	owners                                   map[string]*widget.Select
	ownerBox                                 *fyne.Container

	errs    map[string]*widget.Label // field key -> its message
	rowOf   map[string][]fyne.CanvasObject
	general *widget.Label // problems no field owns
	save    *widget.Button
	revert  *widget.Button
	outcome *explained
	box     *fyne.Container
	loading bool // fields being filled from loaded: no checks meanwhile
}

// Auth choices, as people read them.
const (
	authBasic  = "User name and password"
	authOAuth2 = "OAuth2 client"
)

// Field keys (the configuration's own, so that config.Check's problems land beside the right field).
const (
	keyRaveURL      = "rave.url"
	keyRaveAuth     = "rave.auth"
	keyRaveUser     = "rave.user"
	keyRaveClient   = "rave.client_id"
	keyRaveToken    = "rave.token_url"
	keyRavePoll     = "rave.poll"
	keyStudies      = "rave.study"
	keySAURL        = "sureadhere.url"
	keyRegimens     = "sureadhere.regimens"
	keyEDCURL       = "checklist.edc_url"
	keyCTMSURL      = "checklist.ctms_url"
	keyChecklistID  = "checklist.study_id"
	keyOwners       = "checklist.owners"
	keyVerifyEvery  = "audit.verify_every"
	keySendEvery    = "send.every"
	keyReconcile    = "checklist.reconcile_every"
	errDurationText = "write a duration such as 5m, 1h or 1h30m"
)

func newConfigForm(s *settingsScreen) *configForm {
	f := &configForm{s: s, errs: map[string]*widget.Label{}, rowOf: map[string][]fyne.CanvasObject{}, owners: map[string]*widget.Select{}, general: errorLabel(),
		outcome: newExplained(), ownerBox: container.New(tableLayout{cols: 3})}
	entry := func(placeholder string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(placeholder)
		e.OnChanged = func(string) { f.changed() }
		return e
	}
	f.raveURL = entry("https://yourcompany.mdsol.com/RaveWebServices")
	f.raveUser = entry("rws.integration")
	f.raveClient = entry("client ID")
	f.raveToken = entry("https://… token endpoint")
	f.raveAuth = widget.NewSelect([]string{authBasic, authOAuth2}, func(string) { f.showAuth(); f.changed() })
	f.studies = widget.NewMultiLineEntry()
	f.studies.SetPlaceHolder("ALPHA(Prod): 101, 102\nBETA(Prod)")
	f.studies.SetMinRowsVisible(3)
	f.studies.OnChanged = func(string) { f.changed() }
	f.saURL = entry("https://sureadhere.example.org:8004")
	f.edcURL = entry("https://edc.example.org")
	f.ctmsURL = entry("https://ctms.example.org")
	f.checklistStudy = entry("ALPHA")
	f.poll = entry("5m")
	f.sendEvery = entry("1m")
	f.reconcileEvery = entry("15m")
	f.verifyEvery = entry("24h")
	f.regimens = newRegimenRows(f.changed)
	f.save = widget.NewButtonWithIcon("Save settings", theme.DocumentSaveIcon(), f.askSave)
	f.save.Importance = widget.HighImportance
	f.revert = widget.NewButtonWithIcon("Undo changes", theme.ContentUndoIcon(), func() { f.fill(f.loaded) })
	f.outcome.box.Hide()

	row := func(label, key string, o fyne.CanvasObject, hint string) []fyne.CanvasObject {
		e := fieldError()
		f.errs[key] = e
		h := widget.NewLabel(hint)
		h.SizeName = theme.SizeNameCaptionText
		h.Wrapping = fyne.TextWrapWord
		cells := []fyne.CanvasObject{widget.NewLabel(label), sized(o, 380), sized(container.NewVBox(e, h), 320)}
		f.rowOf[key] = cells
		return cells
	}
	var cells []fyne.CanvasObject
	add := func(cs ...[]fyne.CanvasObject) {
		for _, c := range cs {
			cells = append(cells, c...)
		}
	}
	head := func(title string) []fyne.CanvasObject {
		return []fyne.CanvasObject{heading(title), widget.NewLabel(""), widget.NewLabel("")}
	}
	add(head("Rave (Rave Web Services)"),
		row("Address", keyRaveURL, f.raveURL, "https, or http to this computer only"),
		row("Sign-in", keyRaveAuth, f.raveAuth, "the secret is the keyring entry rave.password or rave.client_secret"),
		row("User name", keyRaveUser, f.raveUser, ""),
		row("OAuth2 client ID", keyRaveClient, f.raveClient, ""),
		row("OAuth2 token address", keyRaveToken, f.raveToken, ""),
		row("Studies and sites", keyStudies, f.studies, "one study a line: OID, then its sites after a colon (none: every site)"),
		head("SureAdhere and the checklist systems"),
		row("SureAdhere address", keySAURL, f.saURL, ""),
		row("EDC address", keyEDCURL, f.edcURL, ""),
		row("CTMS address", keyCTMSURL, f.ctmsURL, ""),
		row("Checklist study ID", keyChecklistID, f.checklistStudy, "as the EDC and the CTMS name the study"),
		head("Schedules"),
		row("Pull from Rave every", keyRavePoll, f.poll, "at least 1s; 5m when left empty"),
		row("Send waiting records every", keySendEvery, f.sendEvery, "at least 1s; 1m when left empty (new records go at once)"),
		row("Reconcile checklists every", keyReconcile, f.reconcileEvery, "at least 10s; 15m when left empty"),
		row("Verify the audit trail every", keyVerifyEvery, f.verifyEvery, "at least 10s; 24h when left empty"),
	)
	regErr := fieldError()
	f.errs[keyRegimens] = regErr
	ownerErr := fieldError()
	f.errs[keyOwners] = ownerErr
	ownerNote := widget.NewLabel("Which system's value wins for each checklist field. A change needs a reason, which goes into the audit trail.")
	ownerNote.Wrapping = fyne.TextWrapWord
	f.box = container.NewVBox(
		container.New(tableLayout{cols: 3}, cells...),
		heading("Regimens: Rave arm to SureAdhere regimen"), f.regimens.box, regErr,
		heading("Checklist fields' source of truth"), ownerNote, f.ownerBox, ownerErr,
		f.general,
		container.NewHBox(f.save, f.revert),
		f.outcome.box,
	)
	return f
}

// load reads the settings off the Fyne goroutine and fills the form.
func (f *configForm) load() {
	f.s.u.bridge.background(func(ctx context.Context) func() {
		st, err := f.s.u.backend.Settings(ctx)
		return func() {
			if st.Config != nil {
				f.fill(st)
				f.s.creds.show(st.Credentials)
			}
			if err != nil { // after fill, which clears the form's messages
				showError(f.general, "Could not read the settings and credentials", err)
			}
		}
	})
}

// fill puts st in the form, replacing what was typed.
func (f *configForm) fill(st agent.Settings) {
	f.loading = true
	defer func() { f.loading = false; f.changed() }()
	f.loaded = st
	c := st.Config
	r := c.Rave
	if r == nil {
		r = &config.Rave{Auth: config.AuthBasic}
	}
	f.raveURL.SetText(r.URL)
	f.raveUser.SetText(r.User)
	f.raveClient.SetText(r.ClientID)
	f.raveToken.SetText(r.TokenURL)
	if r.Auth == config.AuthOAuth2 {
		f.raveAuth.SetSelected(authOAuth2)
	} else {
		f.raveAuth.SetSelected(authBasic)
	}
	f.studies.SetText(studiesText(r.Studies))
	f.poll.SetText(durationText(r.Poll))
	sa := c.SureAdhere
	if sa == nil {
		sa = &config.SureAdhere{}
	}
	f.saURL.SetText(sa.URL)
	f.regimens.set(sa.Regimens)
	cl := c.Checklist
	if cl == nil {
		cl = &config.Checklist{}
	}
	f.edcURL.SetText(cl.EDCURL)
	f.ctmsURL.SetText(cl.CTMSURL)
	f.checklistStudy.SetText(cl.StudyID)
	f.reconcileEvery.SetText(durationText(cl.ReconcileEvery))
	f.sendEvery.SetText("")
	if c.Send != nil {
		f.sendEvery.SetText(durationText(c.Send.Every))
	}
	f.verifyEvery.SetText("")
	if c.Audit != nil {
		f.verifyEvery.SetText(durationText(c.Audit.VerifyEvery))
	}
	f.ownerBox.RemoveAll()
	f.owners = map[string]*widget.Select{}
	for _, field := range st.OwnerFields {
		sel := widget.NewSelect([]string{"EDC", "CTMS"}, func(string) { f.changed() })
		sel.SetSelected(strings.ToUpper(string(st.Owners[field])))
		f.owners[field] = sel
		e := fieldError()
		f.errs[keyOwners+"."+field] = e
		f.ownerBox.Add(widget.NewLabel(strings.ReplaceAll(field, "_", " ")))
		f.ownerBox.Add(sel)
		f.ownerBox.Add(e)
	}
	if st.LoadError != "" {
		f.outcome.set("The configuration file cannot be read as it is; saving here replaces it (the old one is kept as .bak).", st.LoadError, true)
		f.outcome.box.Show()
	}
	f.showAuth()
}

// showAuth shows the sign-in fields of the chosen kind only.
func (f *configForm) showAuth() {
	basic := f.raveAuth.Selected != authOAuth2
	for key, on := range map[string]bool{keyRaveUser: basic, keyRaveClient: !basic, keyRaveToken: !basic} {
		for _, o := range f.rowOf[key] {
			setVisible(o, on)
		}
	}
	f.box.Refresh()
}

// changed checks the form after every edit: each problem beside its field, Save enabled only when
// there is none and something changed.
func (f *configForm) changed() {
	if f.loading || f.loaded.Config == nil {
		return
	}
	cfg, typed := f.build()
	problems := append(typed, config.Check(cfg)...)
	for _, l := range f.errs {
		say(l, "")
	}
	var general []string
	for _, p := range problems {
		if l := f.errorFor(p); l != nil {
			if l.Text == "" {
				say(l, p.Reason)
			}
			continue
		}
		general = append(general, p.Reason)
	}
	if len(general) > 0 {
		f.general.SetText(strings.Join(general, " "))
		f.general.Show()
	} else {
		f.general.Hide()
	}
	dirty := f.dirty(cfg) || len(typed) > 0 // text that is not a setting differs from what was loaded
	setEnabled(f.save, len(problems) == 0 && dirty)
	setEnabled(f.revert, dirty)
}

// errorFor is the message label of the field a problem is about: its key, or a field named at the
// start of its reason ("rave.user is missing"), or the nearest field above it.
func (f *configForm) errorFor(p config.Problem) *widget.Label {
	keys := []string{p.Key}
	if i := strings.IndexByte(p.Reason, ' '); i > 0 {
		keys = append([]string{p.Reason[:i]}, keys...)
	}
	for _, k := range keys {
		for k != "" {
			if l, ok := f.errs[k]; ok {
				return l
			}
			if i := strings.IndexByte(k, '['); i > 0 {
				k = k[:i]
				continue
			}
			i := strings.LastIndexByte(k, '.')
			if i < 0 {
				break
			}
			k = k[:i]
		}
	}
	return nil
}

// problemf is a problem the form finds before config.Check can (text that is not a duration).
func problemf(key, reason string) config.Problem { return config.Problem{Key: key, Reason: reason} }

// build is the configuration the form describes: the loaded one with the form's settings applied. A
// section is present when any of its fields is filled in.
func (f *configForm) build() (*config.Config, []config.Problem) {
	var problems []config.Problem
	c := cloneConfig(f.loaded.Config)
	text := func(e *widget.Entry) string { return strings.TrimSpace(e.Text) }
	duration := func(e *widget.Entry, key string) time.Duration {
		if text(e) == "" {
			return 0
		}
		d, err := time.ParseDuration(text(e))
		if err != nil {
			problems = append(problems, problemf(key, errDurationText))
		}
		return d
	}

	studies := parseStudies(f.studies.Text, c.Rave)
	if text(f.raveURL) != "" || len(studies) > 0 || c.Rave != nil {
		if c.Rave == nil {
			c.Rave = &config.Rave{PageSize: config.DefaultPageSize}
		}
		r := c.Rave
		r.URL, r.Studies = text(f.raveURL), studies
		r.User, r.ClientID, r.TokenURL = "", "", ""
		if f.raveAuth.Selected == authOAuth2 {
			r.Auth, r.ClientID, r.TokenURL = config.AuthOAuth2, text(f.raveClient), text(f.raveToken)
		} else {
			r.Auth, r.User = config.AuthBasic, text(f.raveUser)
		}
		if r.Poll = duration(f.poll, keyRavePoll); r.Poll == 0 {
			r.Poll = config.DefaultPoll
		}
		if r.PageSize == 0 {
			r.PageSize = config.DefaultPageSize
		}
		if r.URL == "" && len(r.Studies) == 0 && r.User == "" && r.ClientID == "" && f.loaded.Config.Rave == nil {
			c.Rave = nil
		}
	}
	regimens := f.regimens.values()
	if text(f.saURL) != "" || len(regimens) > 0 || c.SureAdhere != nil {
		c.SureAdhere = &config.SureAdhere{URL: text(f.saURL), Regimens: regimens}
	}
	owners := map[string]config.Owner{}
	for field, sel := range f.owners {
		owners[field] = config.Owner(strings.ToLower(sel.Selected))
	}
	reconcile := duration(f.reconcileEvery, keyReconcile)
	if text(f.edcURL) != "" || text(f.ctmsURL) != "" || text(f.checklistStudy) != "" || reconcile != 0 || c.Checklist != nil {
		if c.Checklist == nil {
			c.Checklist = &config.Checklist{PageSize: config.DefaultChecklistPageSize}
		}
		c.Checklist.EDCURL, c.Checklist.CTMSURL, c.Checklist.StudyID = text(f.edcURL), text(f.ctmsURL), text(f.checklistStudy)
		c.Checklist.ReconcileEvery = reconcile // 0: the key left out, which reads as the default
		if c.Checklist.Owners != nil || !maps.Equal(owners, f.loaded.Owners) {
			c.Checklist.Owners = owners
		}
	}
	if every := duration(f.sendEvery, keySendEvery); every != 0 {
		c.Send = &config.Send{Every: every}
	} else if c.Send != nil {
		c.Send = nil // the default
	}
	if every := duration(f.verifyEvery, keyVerifyEvery); every != 0 {
		c.Audit = &config.Audit{VerifyEvery: every}
	} else if c.Audit != nil {
		c.Audit = nil // the default
	}
	return c, problems
}

// dirty reports whether cfg differs from what was loaded.
func (f *configForm) dirty(cfg *config.Config) bool {
	a, errA := config.Encode(cfg)
	b, errB := config.Encode(f.loaded.Config)
	return errA != nil || errB != nil || string(a) != string(b)
}

// ownersChanged lists the checklist fields whose owner the form changes.
func (f *configForm) ownersChanged() []string {
	var out []string
	for _, field := range f.loaded.OwnerFields {
		if sel := f.owners[field]; sel != nil && config.Owner(strings.ToLower(sel.Selected)) != f.loaded.Owners[field] {
			out = append(out, field)
		}
	}
	return out
}

var errNoReasonOwner = errors.New("enter the reason for the change")

// askSave saves the form: at once, or after asking the reason when an owner changes.
func (f *configForm) askSave() {
	cfg, problems := f.build()
	if len(problems) > 0 || len(config.Check(cfg)) > 0 {
		f.changed()
		return
	}
	changed := f.ownersChanged()
	if len(changed) == 0 {
		f.submit(cfg, "")
		return
	}
	f.s.entry, f.s.dialog = askReason(f.s.u.win, reasonRequest{
		title: "Change the source of truth of " + strings.Join(changed, ", "), confirm: "Save",
		placeholder: "e.g. the CTMS is now the system of record for " + strings.ReplaceAll(changed[0], "_", " "),
		blank:       errNoReasonOwner, width: 600,
		done: func(ok bool, reason string) {
			f.s.dialog, f.s.entry = nil, nil
			if ok {
				f.submit(cfg, reason)
			}
		},
	})
}

// submit asks the agent to write cfg back, and says what happened.
func (f *configForm) submit(cfg *config.Config, reason string) {
	if len(f.ownersChanged()) > 0 && strings.TrimSpace(reason) == "" {
		f.outcome.set("The settings were not saved: a change of a field's source of truth needs a reason.", "", true)
		f.outcome.box.Show()
		return
	}
	f.save.Disable()
	f.outcome.set("Saving…", "", false)
	f.outcome.box.Show()
	f.s.u.bridge.background(func(ctx context.Context) func() {
		changes, err := f.s.u.backend.SaveSettings(ctx, agent.SettingsChange{Config: cfg, Reason: reason})
		return func() {
			if err != nil {
				f.outcome.set("The settings were not saved. Nothing was changed.", err.Error(), true)
				f.changed()
				return
			}
			if len(changes) == 0 {
				f.outcome.set("Nothing to save: the settings are as they were.", "", false)
			} else {
				f.outcome.set("Saved. trialsync carries on with the new settings.", strings.Join(changes, "\n"), false)
			}
			f.load()
		}
	})
}

// studiesText writes studies one a line, "OID: site, site".
func studiesText(studies []config.Study) string {
	var lines []string
	for _, st := range studies {
		l := st.OID
		if len(st.Sites) > 0 {
			l += ": " + strings.Join(st.Sites, ", ")
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// parseStudies reads the studies field; a study's arm_item stays as it was configured.
func parseStudies(text string, was *config.Rave) []config.Study {
	var out []config.Study
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		oid, sites, _ := strings.Cut(line, ":")
		st := config.Study{OID: strings.TrimSpace(oid)}
		for _, s := range strings.FieldsFunc(sites, func(r rune) bool { return r == ',' || r == ' ' }) {
			st.Sites = append(st.Sites, s)
		}
		if was != nil {
			for _, w := range was.Studies {
				if w.OID == st.OID {
					st.ArmItem = w.ArmItem
				}
			}
		}
		out = append(out, st)
	}
	return out
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return config.Duration(d)
}

// cloneConfig copies c deeply, so that the form's edits never touch what was loaded.
func cloneConfig(c *config.Config) *config.Config {
	if c == nil {
		return nil
	}
	out := *c
	if c.Rave != nil {
		r := *c.Rave
		r.Studies = slices.Clone(c.Rave.Studies)
		for i := range r.Studies {
			r.Studies[i].Sites = slices.Clone(r.Studies[i].Sites)
		}
		out.Rave = &r
	}
	if c.Exposure != nil {
		e := *c.Exposure
		e.Drugs = maps.Clone(c.Exposure.Drugs)
		out.Exposure = &e
	}
	if c.SureAdhere != nil {
		s := *c.SureAdhere
		s.Regimens = maps.Clone(c.SureAdhere.Regimens)
		out.SureAdhere = &s
	}
	if c.Checklist != nil {
		k := *c.Checklist
		k.Owners = maps.Clone(c.Checklist.Owners)
		for _, s := range []*config.ChecklistSystem{&k.EDC, &k.CTMS} {
			s.Fields, s.Statuses = maps.Clone(s.Fields), maps.Clone(s.Statuses)
		}
		out.Checklist = &k
	}
	if c.Audit != nil {
		a := *c.Audit
		out.Audit = &a
	}
	return &out
}

// regimenRows edits the arm -> regimen table: a row per arm, Add and Remove.
type regimenRows struct {
	rows    [][2]*widget.Entry
	box     *fyne.Container
	list    *fyne.Container
	changed func()
}

func newRegimenRows(changed func()) *regimenRows {
	r := &regimenRows{changed: changed, list: container.New(tableLayout{cols: 3})}
	add := widget.NewButtonWithIcon("Add an arm", theme.ContentAddIcon(), func() { r.add("", ""); r.changed() })
	r.box = container.NewVBox(r.list, container.NewHBox(add))
	return r
}

func (r *regimenRows) set(m map[string]string) {
	r.rows = nil
	r.list.RemoveAll()
	for _, arm := range slices.Sorted(maps.Keys(m)) {
		r.add(arm, m[arm])
	}
}

func (r *regimenRows) add(arm, regimen string) {
	a, g := widget.NewEntry(), widget.NewEntry()
	a.SetPlaceHolder("Rave arm, e.g. Arm A")
	g.SetPlaceHolder("SureAdhere regimen, e.g. Group 1")
	a.SetText(arm)
	g.SetText(regimen)
	a.OnChanged = func(string) { r.changed() }
	g.OnChanged = func(string) { r.changed() }
	row := [2]*widget.Entry{a, g}
	r.rows = append(r.rows, row)
	var remove *widget.Button
	remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
		i := slices.Index(r.rows, row)
		if i < 0 {
			return
		}
		r.rows = slices.Delete(r.rows, i, i+1)
		r.list.Objects = slices.Delete(r.list.Objects, 3*i, 3*i+3)
		r.list.Refresh()
		r.changed()
	})
	remove.Importance = widget.LowImportance
	r.list.Add(sized(a, 220))
	r.list.Add(sized(g, 220))
	r.list.Add(remove)
}

// values is the table as typed; a row with both cells empty is ignored.
func (r *regimenRows) values() map[string]string {
	m := map[string]string{}
	for _, row := range r.rows {
		a, g := strings.TrimSpace(row[0].Text), strings.TrimSpace(row[1].Text)
		if a == "" && g == "" {
			continue
		}
		m[a] = g
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
