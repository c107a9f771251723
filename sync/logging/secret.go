package logging

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/rs/zerolog"
	"github.com/trialsync/trialsync/store"
)

// Secret is a credential carried in a value that prints only its fingerprint, whichever way it is
// printed: fmt verbs (%v, %s, %q, %#v, %x ...), JSON, text, zerolog and slog. Only Reveal returns the
// credential, for the one place that must send it.
type Secret string

var (
	_ fmt.Stringer               = Secret("")
	_ fmt.GoStringer             = Secret("")
	_ fmt.Formatter              = Secret("")
	_ json.Marshaler             = Secret("")
	_ zerolog.LogObjectMarshaler = Secret("")
	_ slog.LogValuer             = Secret("")
)

// Reveal returns the credential itself. Call it only where the credential is sent to the system that
// needs it, never to build a message.
func (s Secret) Reveal() string { return string(s) }

// Fingerprint returns store.Fingerprint of the credential.
func (s Secret) Fingerprint() string { return store.Fingerprint(string(s)) }

// String returns [redacted:<fingerprint>].
func (s Secret) String() string { return Label(string(s)) }

// GoString returns [redacted:<fingerprint>], so %#v hides the credential too.
func (s Secret) GoString() string { return s.String() }

// Format writes [redacted:<fingerprint>] for every verb and flag.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON encodes the label as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText returns the label.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalZerologObject logs the fingerprint: log.Object("password", secret).
func (s Secret) MarshalZerologObject(e *zerolog.Event) { e.Str("fingerprint", s.Fingerprint()) }

// LogValue gives log/slog the label.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
