package config

import "time"

// DefaultVerifyEvery is how often the audit trail is verified in the background when [audit]
// verify_every is absent: once a day catches an edit or a rollback within a day of it happening.
const DefaultVerifyEvery = 24 * time.Hour

// MinVerifyEvery is the shortest accepted verify_every: a walk of a large trail takes about a second,
// so anything shorter would keep a core busy for no gain.
const MinVerifyEvery = 10 * time.Second

// Audit is the [audit] section: the audit trail's scheduled verification.
type Audit struct {
	// VerifyEvery is the interval between background verifications of the whole chain (DefaultVerifyEvery
	// when absent).
	VerifyEvery time.Duration
}

// VerifyEvery is the interval of the scheduled verification: [audit] verify_every, or
// DefaultVerifyEvery when the section or the key is absent (and for a nil configuration).
func (c *Config) VerifyEvery() time.Duration {
	if c == nil || c.Audit == nil || c.Audit.VerifyEvery == 0 {
		return DefaultVerifyEvery
	}
	return c.Audit.VerifyEvery
}

func (v *validator) audit(f *fileAudit) *Audit {
	return &Audit{VerifyEvery: v.every("audit.verify_every", f.VerifyEvery, `"24h" or "30m"`, MinVerifyEvery, DefaultVerifyEvery)}
}
