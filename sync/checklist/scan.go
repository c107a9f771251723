package checklist

import (
	"errors"
	"fmt"
)

// A small strict JSON scanner for the records and pages of the listings. encoding/json decodes a record
// into a map at about 5 µs and 50 allocations, which for 200,000 records is most of a reconciliation's
// CPU; the adapter only needs the raw bytes of a handful of top-level fields. The scanner checks the whole
// grammar as encoding/json does (json.Valid is its oracle in the fuzz test) and hands out sub-slices of the
// input, never copies.

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

var errSyntax = errors.New("not valid JSON")

type scanner struct {
	b []byte
	i int
}

// eachMember calls visit with the raw key (with its quotes) and the offsets of the raw value,
// b[v0:v1], of every member of the JSON object b, in order, then checks that nothing follows the object.
// A syntax error stops it, possibly after some visits.
func eachMember(b []byte, visit func(key []byte, v0, v1 int)) error {
	s := scanner{b: b}
	s.space()
	if s.i >= len(b) || b[s.i] != '{' {
		return fmt.Errorf("not a JSON object")
	}
	s.i++
	s.space()
	if s.peek() == '}' {
		s.i++
		return s.end()
	}
	for {
		s.space()
		k0 := s.i
		if s.peek() != '"' || s.str() != nil {
			return errSyntax
		}
		key := b[k0:s.i]
		s.space()
		if s.peek() != ':' {
			return errSyntax
		}
		s.i++
		s.space()
		v0 := s.i
		if err := s.value(2); err != nil {
			return err
		}
		visit(key, v0, s.i)
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return s.end()
		default:
			return errSyntax
		}
	}
}

// eachElement calls visit with every element of the JSON array b (already checked by eachMember).
func eachElement(b []byte, visit func(elem []byte)) error {
	s := scanner{b: b}
	s.space()
	if s.peek() != '[' {
		return fmt.Errorf("not a JSON array")
	}
	s.i++
	s.space()
	if s.peek() == ']' {
		s.i++
		return s.end()
	}
	for {
		s.space()
		e0 := s.i
		if err := s.value(2); err != nil {
			return err
		}
		visit(b[e0:s.i])
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return s.end()
		default:
			return errSyntax
		}
	}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) end() error {
	s.space()
	if s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

// value skips one JSON value, checking it; an object or array there would be at nesting level depth.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{':
		return s.container('}', depth, true)
	case c == '[':
		return s.container(']', depth, false)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return errSyntax
}

func (s *scanner) container(close byte, depth int, object bool) error {
	if depth > maxDepth {
		return fmt.Errorf("nested too deep")
	}
	s.i++
	s.space()
	if s.peek() == close {
		s.i++
		return nil
	}
	for {
		s.space()
		if object {
			if s.peek() != '"' || s.str() != nil {
				return errSyntax
			}
			s.space()
			if s.peek() != ':' {
				return errSyntax
			}
			s.i++
			s.space()
		}
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case close:
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// str skips a string, checking its escapes; any other byte from 0x20 up is taken as it is, as
// encoding/json does.
func (s *scanner) str() error {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return nil
		case c < 0x20:
			return errSyntax
		case c == '\\':
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return errSyntax
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return errSyntax
					}
				}
				s.i += 5
			default:
				return errSyntax
			}
		default:
			s.i++
		}
	}
	return errSyntax
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return errSyntax
	}
	s.i += len(word)
	return nil
}

// number skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return errSyntax
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return errSyntax
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return errSyntax
		}
	}
	return nil
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
