package checklist

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// naiveLayout is RFC 3339 without the zone: what a system that forgot the zone writes.
const naiveLayout = "2006-01-02T15:04:05.999999999"

// Date is a calendar date, "YYYY-MM-DD", or "" for none (JSON null). Only ParseDate makes one from
// outside text, so a Date is always valid.
type Date string

// ParseDate normalises a date as the systems write it: "" or "null" is no date; YYYY-MM-DD is kept; an RFC
// 3339 timestamp (with or without a zone) gives the calendar date as written. Anything else is an error.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return "", nil
	}
	day := s
	if len(s) > 10 {
		if c := s[10]; c != 'T' && c != 't' && c != ' ' {
			return "", fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
		}
		stamp := s[:10] + "T" + s[11:]
		if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil {
			if _, err := time.Parse(naiveLayout, stamp); err != nil {
				return "", fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
			}
		}
		day = s[:10]
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return "", fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date(day), nil
}

// MarshalJSON writes the date, or null for none.
func (d Date) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("null"), nil
	}
	return []byte(`"` + string(d) + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes, validating the date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date %s is not a JSON string", b)
	}
	v, err := ParseDate(string(b[1 : len(b)-1]))
	*d = v
	return err
}

// Flag is a yes/no field that not every system holds: NoFlag in a system without the field.
type Flag uint8

// The Flag values. A system that holds the field and sends null means no.
const (
	NoFlag Flag = iota
	FlagNo
	FlagYes
)

// text is the flag's canonical text: "", "false" or "true".
func (f Flag) text() string {
	switch f {
	case FlagNo:
		return "false"
	case FlagYes:
		return "true"
	}
	return ""
}

func flagOf(s string) Flag {
	switch s {
	case "true":
		return FlagYes
	case "false":
		return FlagNo
	}
	return NoFlag
}

// MarshalJSON writes true, false, or null for NoFlag.
func (f Flag) MarshalJSON() ([]byte, error) {
	if f == NoFlag {
		return []byte("null"), nil
	}
	return []byte(f.text()), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = NoFlag
	case "true":
		*f = FlagYes
	case "false":
		*f = FlagNo
	default:
		return fmt.Errorf("flag %s is not true, false or null", b)
	}
	return nil
}

// normText trims a text value and collapses every run of white space inside it to one space. It returns s
// itself, without allocating, when s is already normal.
func normText(s string) string {
	if isNormText(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isNormText reports whether s is plain ASCII with no leading, trailing, doubled or non-space white space.
// Text outside ASCII takes the slow path, which knows Unicode's spaces.
func isNormText(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80, c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		case c == ' ' && s[i+1] == ' ':
			return false
		}
	}
	return true
}

// normCode normalises an identifier-like value (site, item code, version, document ID): text, upper-cased.
func normCode(s string) string { return strings.ToUpper(normText(s)) }

// parseTime reads a source-updated time. A time without a zone is a mapping defect: the reading would
// depend on the machine's zone.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("is empty")
	}
	stamp := s
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		stamp = s[:10] + "T" + s[11:] // RFC 3339 allows both
	}
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err == nil {
		return t.UTC(), nil
	}
	if _, nerr := time.Parse(naiveLayout, stamp); nerr == nil {
		return time.Time{}, fmt.Errorf("%q has no time zone", s)
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
}
