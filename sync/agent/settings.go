package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/trialsync/trialsync/store"
	"github.com/trialsync/trialsync/sync/checklist"
	"github.com/trialsync/trialsync/sync/config"
)

// KnownCredentials are the keyring entries the command-line contract names, in its order.
var KnownCredentials = []string{"rave.password", "rave.client_secret", "sureadhere.token", "intake.token", "edc.token", "ctms.token"}

// CredentialState is one keyring entry as the Settings screen shows it: whether it is set and its
// keyed fingerprint (store.DB.Fingerprint), never the secret.
type CredentialState struct {
	Name        string
	Set         bool
	Fingerprint string // 12 hex digits; "" when not set
}

// Settings is what the Settings screen edits and shows.
type Settings struct {
	ConfigPath string
	// Config is a copy of the configuration to edit: the file's, or an empty one when there is no file
	// yet or it cannot be loaded (LoadError says why).
	Config    *config.Config
	Exists    bool
	LoadError string
	// Credentials are the contract's entries and any other the keyring holds, in that order.
	Credentials []CredentialState
	// OwnerFields are the checklist fields whose source of truth can be chosen, in order, and
	// Owners each one's owner as things stand (the configuration over the defaults).
	OwnerFields []string
	Owners      map[string]config.Owner
}

// Settings reads the configuration and the credentials' fingerprints for the Settings screen. It
// reads each secret from the keyring to fingerprint it; none leaves the agent.
func (a *Agent) Settings(ctx context.Context) (Settings, error) {
	s := Settings{ConfigPath: a.opts.ConfigPath}
	cfg, err := config.Load(a.opts.ConfigPath)
	switch {
	case err == nil:
		s.Config, s.Exists = cfg, true
	case errors.Is(err, config.ErrNotFound):
		s.Config = &config.Config{Path: a.opts.ConfigPath}
	default:
		s.Config, s.Exists, s.LoadError = &config.Config{Path: a.opts.ConfigPath}, true, err.Error()
	}
	owners := checklist.DefaultOwners().Map()
	for _, f := range []string{"version", "status", "evidence_doc_id", "milestone_signed_off", "planned_activation_date"} {
		if _, ok := owners[f]; ok {
			s.OwnerFields = append(s.OwnerFields, f)
		}
	}
	s.Owners = map[string]config.Owner{}
	for f, sys := range owners {
		s.Owners[f] = config.Owner(sys)
	}
	if c := s.Config.Checklist; c != nil {
		maps.Copy(s.Owners, c.Owners)
	}
	db, err := a.Store(ctx)
	if err != nil {
		return s, err
	}
	names, err := a.Credentials()
	if err != nil {
		return s, err
	}
	all := slices.Clone(KnownCredentials)
	for _, n := range names {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	for _, n := range all {
		c := CredentialState{Name: n}
		if slices.Contains(names, n) {
			secret, err := a.keyring.Get(n)
			switch {
			case err == nil:
				c.Set, c.Fingerprint = true, db.Fingerprint(secret)
			case !errors.Is(err, store.ErrSecretNotFound):
				return s, err
			}
		}
		s.Credentials = append(s.Credentials, c)
	}
	return s, nil
}

// SettingsChange is a configuration edited on the Settings screen and the person's reason (required
// when it changes a checklist field's source of truth).
type SettingsChange struct {
	Config *config.Config
	Reason string
}

// ErrReasonRequired is SaveSettings' error for a change of a checklist field's owner without a reason.
var ErrReasonRequired = errors.New("a change of a checklist field's source of truth needs a reason: it goes into the audit trail")

// SaveSettings writes the edited configuration back to the file, after the same checks as at start
// (config.Save: nothing is written when they fail; the previous file is kept as FILE.bak), records
// the change in the audit trail (each owner change on its own entry with the reason), and starts the
// services again on the new configuration. It returns the changed settings, one "key: old -> new" each.
func (a *Agent) SaveSettings(ctx context.Context, ch SettingsChange) ([]string, error) {
	if ch.Config == nil {
		return nil, errors.New("settings: no configuration to save")
	}
	ch.Reason = strings.TrimSpace(ch.Reason)
	old, err := config.Load(a.opts.ConfigPath)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		old = nil // a broken file is replaced as a whole; its .bak keeps it
	}
	if old == nil {
		old = &config.Config{}
	}
	before, after := flatten(old), flatten(ch.Config)
	var changes, ownerKeys []string
	for _, k := range slices.Sorted(maps.Keys(union(before, after))) {
		if before[k] == after[k] {
			continue
		}
		changes = append(changes, fmt.Sprintf("%s: %s -> %s", k, shown(before[k]), shown(after[k])))
		if strings.HasPrefix(k, "checklist.owners.") {
			ownerKeys = append(ownerKeys, k)
		}
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if len(ownerKeys) > 0 && ch.Reason == "" {
		return nil, ErrReasonRequired
	}
	db, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.Writable(); err != nil {
		return nil, err // no change without its audit entry
	}
	prev, readErr := os.ReadFile(a.opts.ConfigPath)
	if _, err := config.Save(a.opts.ConfigPath, ch.Config); err != nil {
		return nil, err
	}
	reason := ch.Reason
	if reason == "" {
		reason = "changed in Settings by " + a.actor
	}
	err = db.UpdateAs(ctx, a.actor, func(tx *store.Tx) error {
		for _, k := range ownerKeys {
			if _, err := tx.Append(store.Entry{Action: store.ActionChecklistOwnerChange, Object: k,
				Old: before[k], New: after[k], Reason: ch.Reason}); err != nil {
				return err
			}
		}
		var rest []string
		for _, c := range changes {
			if !strings.HasPrefix(c, "checklist.owners.") {
				rest = append(rest, c)
			}
		}
		if len(rest) == 0 {
			return nil
		}
		_, err := tx.Append(store.Entry{Action: store.ActionSettingsChange, Object: a.opts.ConfigPath,
			New: strings.Join(rest, "; "), Reason: reason})
		return err
	})
	if err != nil {
		// The file must not say what the audit trail does not: put the previous one back.
		if readErr == nil {
			_ = os.WriteFile(a.opts.ConfigPath, prev, 0o600)
		} else {
			_ = os.Remove(a.opts.ConfigPath)
		}
		return nil, fmt.Errorf("settings not saved: the audit trail could not record them: %w", err)
	}
	a.log.Info().Strs("changes", changes).Str("config", a.opts.ConfigPath).Msg("settings changed")
	a.refreshAudit(ctx)
	a.reloadConfig()
	a.restart()
	return changes, nil
}

// flatten lists a configuration's settings as key -> value text, for comparing two of them.
func flatten(c *config.Config) map[string]string {
	m := map[string]string{}
	if r := c.Rave; r != nil {
		m["rave.url"], m["rave.auth"], m["rave.user"] = r.URL, string(r.Auth), r.User
		m["rave.client_id"], m["rave.token_url"] = r.ClientID, r.TokenURL
		m["rave.page_size"], m["rave.poll"] = strconv.Itoa(r.PageSize), config.Duration(r.Poll)
		m["rave.requests_per_second"] = strconv.FormatFloat(r.RequestsPerSecond, 'g', -1, 64)
		for _, st := range r.Studies {
			m["rave.study."+st.OID] = strings.Join(st.Sites, ",") + " arm_item=" + st.ArmItem
		}
	}
	if e := c.Exposure; e != nil {
		m["exposure.study_oid"], m["exposure.study_event"] = e.StudyOID, e.StudyEvent
		m["exposure.max_attempts"], m["exposure.intake_addr"] = strconv.Itoa(e.MaxAttempts), e.IntakeAddr
		for k, v := range e.Drugs {
			m["exposure.drugs."+k] = v
		}
	}
	if s := c.SureAdhere; s != nil {
		m["sureadhere.url"] = s.URL
		for k, v := range s.Regimens {
			m["sureadhere.regimens."+k] = v
		}
	}
	if k := c.Checklist; k != nil {
		m["checklist.study_id"], m["checklist.edc_url"], m["checklist.ctms_url"] = k.StudyID, k.EDCURL, k.CTMSURL
		m["checklist.page_size"], m["checklist.reconcile_every"] = strconv.Itoa(k.PageSize), config.Duration(k.ReconcileEvery)
		for f, o := range k.Owners {
			m["checklist.owners."+f] = string(o)
		}
	}
	if a := c.Audit; a != nil {
		m["audit.verify_every"] = config.Duration(a.VerifyEvery)
	}
	if s := c.Send; s != nil {
		m["send.every"] = config.Duration(s.Every)
	}
	for k, v := range m {
		if v == "" || v == "0" || v == "0s" {
			delete(m, k)
		}
	}
	return m
}

func union(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}

// reloadConfig makes the next Config read the file again.
func (a *Agent) reloadConfig() {
	a.cfgMu.Lock()
	a.cfgLoaded = false
	a.cfgMu.Unlock()
	for _, r := range a.remotes {
		r.reset() // a client built from the old [rave] (its URL, its user) is built again
	}
}

// restart stops the running services and starts them again with the options and context of the last
// Start, on the configuration as it now is; it does nothing when none were started.
func (a *Agent) restart() {
	r := a.current()
	if r == nil || r.parent == nil || r.parent.Err() != nil {
		return
	}
	a.Stop()
	if err := a.Start(r.parent, r.opts); err != nil {
		a.log.Warn().Err(err).Msg("services not started again after a settings change")
	}
}
