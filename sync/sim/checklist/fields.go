package checklist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// patch is a checked set of field values for one item: the slots it sets and their values.
type patch struct {
	set      [numFields]bool
	version  string
	status   string
	document string
	signed   int8
	planned  string
	updated  time.Time
	editor   string
	raw      map[field]json.RawMessage // raw edits: verbatim values
}

// parseFields checks the fields of a PUT body or a scripted edit for the item site/code, as the
// system checks what it is sent. With raw, values are kept verbatim (any JSON) instead of checked, for
// edits that plant mapping defects; the key fields are never raw. The error is one line for a 400.
func (sc *schema) parseFields(fields map[string]json.RawMessage, site, code string, raw bool) (patch, error) {
	var p patch
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // the first problem reported does not depend on map order
	for _, name := range names {
		v := bytes.TrimSpace(fields[name])
		f, ok := sc.fieldOf(name)
		if !ok {
			return patch{}, fmt.Errorf("%q is not a field of %s checklist items (its fields are %s)", name, sc.sys.Label(), sc.fieldList())
		}
		if f == fSite || f == fCode {
			want := site
			if f == fCode {
				want = code
			}
			var s string
			if json.Unmarshal(v, &s) != nil || s != want {
				return patch{}, fmt.Errorf("%s %s does not match %q in the item's path", name, v, want)
			}
			continue
		}
		p.set[f] = true
		if raw {
			if !json.Valid(v) {
				return patch{}, fmt.Errorf("%s: %s is not JSON", name, v)
			}
			if p.raw == nil {
				p.raw = map[field]json.RawMessage{}
			}
			p.raw[f] = append(json.RawMessage(nil), v...)
			continue
		}
		if err := sc.setChecked(&p, f, name, v); err != nil {
			return patch{}, err
		}
	}
	return p, nil
}

// setChecked reads one checked value into p.
func (sc *schema) setChecked(p *patch, f field, name string, v json.RawMessage) error {
	str := func(nullable bool) (string, error) {
		if string(v) == "null" {
			if nullable {
				return "", nil
			}
			return "", fmt.Errorf("%s may not be null", name)
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%s: %s is not a string", name, v)
		}
		return s, nil
	}
	var err error
	switch f {
	case fVersion:
		p.version, err = str(true)
	case fDocument:
		p.document, err = str(true)
	case fEditor:
		p.editor, err = str(false)
	case fStatus:
		var w string
		if w, err = str(false); err == nil {
			if sc.canonical(w) == "" {
				return fmt.Errorf("%s %q is not one of %s", name, w, strings.Join(sc.words[:], ", "))
			}
			p.status = w
		}
	case fSignedOff:
		switch string(v) {
		case "true":
			p.signed = 1
		case "false":
			p.signed = 0
		case "null":
			p.signed = -1
		default:
			return fmt.Errorf("%s: %s is not true, false or null", name, v)
		}
	case fPlanned:
		var d string
		if d, err = str(true); err == nil && d != "" {
			if _, perr := time.Parse(time.DateOnly, d); perr != nil {
				return fmt.Errorf("%s %q is not a date (YYYY-MM-DD) or null", name, d)
			}
			p.planned = d
		}
	case fUpdated:
		var t string
		if t, err = str(false); err == nil {
			ts, perr := time.Parse(time.RFC3339Nano, t)
			if perr != nil {
				return fmt.Errorf("%s %q is not a time with a zone (RFC 3339)", name, t)
			}
			p.updated = ts
		}
	}
	return err
}

// apply writes p into it; a slot that p sets loses any raw value it had.
func (p *patch) apply(it *item) {
	for f := range numFields {
		if !p.set[f] {
			continue
		}
		if v, ok := p.raw[f]; ok {
			if it.raw == nil {
				it.raw = map[field]json.RawMessage{}
			}
			it.raw[f] = v
			continue
		}
		delete(it.raw, f)
		switch f {
		case fVersion:
			it.version = p.version
		case fStatus:
			it.status = p.status
		case fDocument:
			it.document = p.document
		case fSignedOff:
			it.signed = p.signed
		case fPlanned:
			it.planned = p.planned
		case fUpdated:
			it.updated = p.updated
		case fEditor:
			it.editor = p.editor
		}
	}
	if len(it.raw) == 0 {
		it.raw = nil
	}
}
