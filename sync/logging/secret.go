package logging

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/rs/zerolog"
)

// Secret is a credential carried in a value that prints only its label, [redacted:<fingerprint>],
// whichever way it is printed: fmt verbs (%v, %s, %q, %#v, %x ...), JSON, text, zerolog and slog. Make
// one with Redactor.Secret, which registers the credential and names it with the keyed fingerprint;
// the zero Secret prints [redacted]. Only Reveal returns the credential, for the one place that must
// send it.
type Secret struct {
	value string
	label string // as the Redactor named it when the Secret was made
	fp    string
}

var (
	_ fmt.Stringer               = Secret{}
	_ fmt.GoStringer             = Secret{}
	_ fmt.Formatter              = Secret{}
	_ json.Marshaler             = Secret{}
	_ zerolog.LogObjectMarshaler = Secret{}
	_ slog.LogValuer             = Secret{}
)

// Secret registers v and returns it as a Secret, for code that must carry it around.
func (r *Redactor) Secret(v string) Secret {
	r.Add(v)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Secret{value: v, label: r.labelLocked(v)}
	if r.fingerprint != nil {
		s.fp = r.fingerprint(v)
	}
	return s
}

// Reveal returns the credential itself. Call it only where the credential is sent to the system that
// needs it, never to build a message.
func (s Secret) Reveal() string { return s.value }

// Fingerprint returns the credential's keyed fingerprint, "" when the Redactor had none to give.
func (s Secret) Fingerprint() string { return s.fp }

// String returns the label: [redacted:<fingerprint>], or [redacted].
func (s Secret) String() string {
	if s.label == "" {
		return "[redacted]"
	}
	return s.label
}

// GoString returns the label, so %#v hides the credential too.
func (s Secret) GoString() string { return s.String() }

// Format writes the label for every verb and flag.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON encodes the label as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText returns the label.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalZerologObject logs the fingerprint: log.Object("password", secret).
func (s Secret) MarshalZerologObject(e *zerolog.Event) { e.Str("fingerprint", s.fp) }

// LogValue gives log/slog the label.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
