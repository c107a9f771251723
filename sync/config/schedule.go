package config

import "time"

// Schedules of the services the agent runs besides the pull ([rave] poll) and the audit trail's
// verification ([audit] verify_every). Records waiting in the outbound queue are sent at once when they
// are queued or retried, and when their remote answers again after an outage; the schedule is the
// catch-up for everything else (a message whose backoff ran out, a remote that came back quietly).
const (
	// DefaultSendEvery is the interval of the outbound queue's delivery when [send] every is absent.
	DefaultSendEvery = time.Minute
	// MinSendEvery is the shortest accepted [send] every.
	MinSendEvery = time.Second
	// DefaultReconcileEvery is the interval of checklist reconciliation when [checklist]
	// reconcile_every is absent: checklists move over days, and a run reads both systems whole.
	DefaultReconcileEvery = 15 * time.Minute
	// MinReconcileEvery is the shortest accepted reconcile_every: a run lists every item of both systems.
	MinReconcileEvery = 10 * time.Second
)

// Send is the [send] section: the schedule of the outbound queue (dose records to Rave, subjects to
// SureAdhere, checklist writes).
type Send struct {
	// Every is the interval between deliveries of the outbound queue (DefaultSendEvery when absent).
	Every time.Duration
}

// SendEvery is the interval of the outbound queue's delivery: [send] every, or DefaultSendEvery when
// the section or the key is absent (and for a nil configuration).
func (c *Config) SendEvery() time.Duration {
	if c == nil || c.Send == nil || c.Send.Every == 0 {
		return DefaultSendEvery
	}
	return c.Send.Every
}

// ReconcileEvery is the interval of checklist reconciliation: [checklist] reconcile_every, or
// DefaultReconcileEvery when absent.
func (c *Config) ReconcileEvery() time.Duration {
	if c == nil || c.Checklist == nil || c.Checklist.ReconcileEvery == 0 {
		return DefaultReconcileEvery
	}
	return c.Checklist.ReconcileEvery
}

func (v *validator) send(f *fileSend) *Send {
	return &Send{Every: v.every("send.every", f.Every, `"1m" or "30s"`, MinSendEvery, DefaultSendEvery)}
}

// every reads the duration at key (raw as written), def when the key is absent: a problem when it is
// not a duration or shorter than min. example is shown in the problem's text.
func (v *validator) every(key, raw, example string, min, def time.Duration) time.Duration {
	if !v.idx.has(key) {
		return def
	}
	d, err := time.ParseDuration(raw)
	switch {
	case err != nil:
		v.addf(key, "%s must be a duration such as %s, not %q", key, example, raw)
	case d < min:
		v.addf(key, "%s must be at least %s, not %s", key, min, d)
	}
	return d
}
