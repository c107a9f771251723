package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// A Secret hides its value by itself, without any Redactor: every way of printing it yields the
// fingerprint.
func TestSecretPrintsOnlyFingerprint(t *testing.T) {
	const value = "rave-password-42"
	s := newTestRedactor().Secret(value)
	fp := testFingerprint(value)
	label := "[redacted:" + fp + "]"

	type creds struct {
		User     string
		Password Secret
	}
	jsonOf := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	zerologOf := func(f func(e *zerolog.Event) *zerolog.Event) string {
		var buf bytes.Buffer
		zl := zerolog.New(&buf)
		f(zl.Info()).Msg("m")
		return buf.String()
	}
	slogOf := func() string {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "password", s)
		return buf.String()
	}
	text, _ := s.MarshalText()

	tests := []struct {
		name string
		out  string
	}{
		{"%v", fmt.Sprintf("%v", s)},
		{"%s", fmt.Sprintf("%s", s)},
		{"%q", fmt.Sprintf("%q", s)},
		{"%#v", fmt.Sprintf("%#v", s)},
		{"%+v struct", fmt.Sprintf("%+v", creds{"u", s})},
		{"%#v struct", fmt.Sprintf("%#v", creds{"u", s})},
		{"%x", fmt.Sprintf("%x", s)},
		{"%10.3s", fmt.Sprintf("%10.3s", s)},
		{"Sprint", fmt.Sprint(s)},
		{"Errorf %v", fmt.Errorf("login: %v", s).Error()},
		{"String", s.String()},
		{"json", jsonOf(s)},
		{"json struct", jsonOf(creds{"u", s})},
		{"json map", jsonOf(map[string]Secret{"p": s})},
		{"text", string(text)},
		{"zerolog Interface", zerologOf(func(e *zerolog.Event) *zerolog.Event { return e.Interface("p", s) })},
		{"zerolog Stringer", zerologOf(func(e *zerolog.Event) *zerolog.Event { return e.Stringer("p", s) })},
		{"zerolog Object", zerologOf(func(e *zerolog.Event) *zerolog.Event { return e.Object("p", s) })},
		{"zerolog Any struct", zerologOf(func(e *zerolog.Event) *zerolog.Event { return e.Any("c", creds{"u", s}) })},
		{"slog", slogOf()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.out, value) {
				t.Errorf("output %q contains the secret", tt.out)
			}
			if !strings.Contains(tt.out, fp) {
				t.Errorf("output %q lacks the fingerprint %s", tt.out, fp)
			}
		})
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
	if s.String() != label || s.Fingerprint() != fp {
		t.Errorf("String() = %q, Fingerprint() = %q", s.String(), s.Fingerprint())
	}
}
