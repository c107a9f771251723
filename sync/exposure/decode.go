package exposure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRecordBytes bounds one record of an intake file (a CSV record, quoted line breaks included, or one
// JSON line). A dose record is a few hundred bytes; anything this long is not one, and reading it whole
// could exhaust memory.
const MaxRecordBytes = 64 << 10

// Format is the kind of an intake file.
type Format int

// The intake formats.
const (
	FormatCSV       Format = iota + 1 // CSV with a header row
	FormatJSONLines                   // one JSON object per line
)

// String names the format for messages.
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "CSV"
	case FormatJSONLines:
		return "JSON Lines"
	}
	return "unknown"
}

// Entry is one record of an intake file: its line in the file, and either the valid Record or the
// reason it was rejected.
type Entry struct {
	Line   int    // line of the file where the record starts (1-based)
	Record Record // valid when Reason is ""
	Reason string // why the record was rejected, "" for a valid record
}

// Rejection renders a rejected entry as the CLI prints it: FILE:LINE: reason.
func (e Entry) Rejection(source string) string {
	return fmt.Sprintf("%s:%d: %s", source, e.Line, e.Reason)
}

// FileError is a problem with a whole intake file (no header, an unknown column, a read error, a
// record too long to find the next one after it): nothing after it can be read.
type FileError struct {
	Source string
	Line   int // 0 when the problem has no line
	Reason string
	Err    error // underlying error, if any
}

// Error renders FILE:LINE: reason (FILE: reason without a line).
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.Source, e.Reason)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }

// ErrRecordTooLong is wrapped by the errors about records over MaxRecordBytes.
var ErrRecordTooLong = errors.New("exposure: record too long")

// Decoder reads dose records from a CSV or JSON Lines file, one Entry at a time, so that a file of any
// length is read in bounded memory. Valid records and rejected ones come in file order; a rejected
// record does not stop the rest.
type Decoder struct {
	source string
	rules  Rules
	format Format
	next   func() (Entry, error)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// NewDecoder detects the format of r (a JSON object on the first non-blank line means JSON Lines,
// anything else CSV with a header row; a UTF-8 byte order mark is skipped) and, for CSV, reads the
// header. source names the file in messages. A problem with the file as a whole is a *FileError.
func NewDecoder(r io.Reader, source string, rules Rules) (*Decoder, error) {
	br := bufio.NewReaderSize(r, 4096)
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
	}
	d := &Decoder{source: source, rules: rules}
	first, skipped, err := skipSpace(br)
	switch {
	case errors.Is(err, io.EOF):
		return nil, &FileError{Source: source, Reason: "the file is empty: expected a CSV header row or JSON Lines"}
	case err != nil:
		return nil, &FileError{Source: source, Reason: "reading: " + err.Error(), Err: err}
	case first == '{':
		d.format = FormatJSONLines
		d.next = newJSONLines(br, source, rules, skipped).next
	default:
		d.format = FormatCSV
		c, err := newCSV(br, source, rules, skipped)
		if err != nil {
			return nil, err
		}
		d.next = c.next
	}
	return d, nil
}

// skipSpace consumes the white space before the first record and returns the first byte after it (left
// unread) and the number of line breaks consumed.
func skipSpace(br *bufio.Reader) (byte, int, error) {
	lines := 0
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, lines, err
		}
		switch c {
		case '\n':
			lines++
		case ' ', '\t', '\r':
		default:
			return c, lines, br.UnreadByte()
		}
	}
}

// Format reports the detected format.
func (d *Decoder) Format() Format { return d.format }

// Next returns the next record, io.EOF after the last one, or a *FileError when the rest of the file
// cannot be read.
func (d *Decoder) Next() (Entry, error) { return d.next() }

// check validates one decoded input into an Entry.
func check(rules Rules, line int, in Input) Entry {
	rec, err := rules.Check(in)
	if err != nil {
		return Entry{Line: line, Reason: err.Error()}
	}
	return Entry{Line: line, Record: rec}
}

// nameProblems says what is wrong with the names a CSV header row or a JSON object gave the intake
// fields: the unknown ones (as given, quoted) and the Fields it lacks. noun is what the format calls a
// name ("column", "field").
func nameProblems(noun string, unknown []string, seen map[string]bool) []string {
	var probs, missing []string
	if len(unknown) > 0 {
		probs = append(probs, "unknown "+noun+"(s) "+strings.Join(unknown, ", "))
	}
	for _, f := range Fields {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		probs = append(probs, "missing "+noun+"(s) "+strings.Join(missing, ", "))
	}
	return probs
}
