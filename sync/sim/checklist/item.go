package checklist

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// item is one stored checklist item in its system's own terms. Nullable strings are "" for null.
type item struct {
	key        string // site "\x00" code: the sort and cursor key
	site, code string
	version    string
	status     string // the system's word
	document   string
	signed     int8 // CTMS signedOff: -1 null, 0 false, 1 true
	planned    string
	updated    time.Time
	editor     string
	// raw holds values a raw scripted edit stored verbatim; each is written instead of its slot's typed
	// value until a checked write sets that slot again.
	raw map[field]json.RawMessage
}

func itemKey(site, code string) string { return site + "\x00" + code }

// appendItem writes it as the system's JSON object, fields in the system's order. Written by hand
// rather than through encoding/json: a page of a thousand items is the hot path of a 100,000-item
// reconciliation.
func (sc *schema) appendItem(b []byte, it *item) []byte {
	b = append(b, '{')
	first := true
	for f := range numFields {
		name := sc.names[f]
		if name == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
		if v, ok := it.raw[f]; ok {
			b = append(b, v...)
			continue
		}
		switch f {
		case fSite:
			b = appendString(b, it.site)
		case fCode:
			b = appendString(b, it.code)
		case fVersion:
			b = appendNullable(b, it.version)
		case fStatus:
			b = appendString(b, it.status)
		case fDocument:
			b = appendNullable(b, it.document)
		case fSignedOff:
			switch it.signed {
			case 1:
				b = append(b, "true"...)
			case 0:
				b = append(b, "false"...)
			default:
				b = append(b, "null"...)
			}
		case fPlanned:
			b = appendNullable(b, it.planned)
		case fUpdated:
			b = append(b, '"')
			b = it.updated.UTC().AppendFormat(b, sc.timeLayout)
			b = append(b, '"')
		case fEditor:
			b = appendString(b, it.editor)
		}
	}
	return append(b, '}')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendString writes s as a JSON string: quotes, backslashes and control characters escaped, other
// UTF-8 as it is (values come from decoded JSON, so they are valid UTF-8; anything else is replaced).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

// quote is appendString as a RawMessage.
func quote(s string) json.RawMessage { return appendString(nil, s) }
