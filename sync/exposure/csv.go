package exposure

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// csvDecoder reads CSV records with encoding/csv, which counts the lines of quoted multi-line fields, so
// each record is reported at the line where it starts.
type csvDecoder struct {
	r      *csv.Reader
	capped *capReader
	source string
	rules  Rules
	offset int      // blank lines skipped before the header
	cols   []string // intake field of each column
	last   int      // line of the last record read (the header at first)
}

func newCSV(br *bufio.Reader, source string, rules Rules, offset int) (*csvDecoder, error) {
	c := &csvDecoder{capped: &capReader{r: br, limit: MaxRecordBytes + capSlack}, source: source, rules: rules, offset: offset}
	c.r = csv.NewReader(c.capped)
	c.r.FieldsPerRecord = -1 // a short or long row is one rejected record, not the end of the file
	header, err := c.r.Read()
	if err != nil {
		return nil, c.fileError(err, offset+1)
	}
	line, _ := c.r.FieldPos(0)
	c.last = line + offset
	c.capped.limit = c.r.InputOffset() + MaxRecordBytes + capSlack

	var probs, unknown []string
	seen := map[string]bool{}
	for _, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(Fields, name):
			unknown = append(unknown, fmt.Sprintf("%q", strings.TrimSpace(h)))
		case seen[name]:
			probs = append(probs, fmt.Sprintf("column %s appears twice", name))
		}
		seen[name] = true
		c.cols = append(c.cols, name)
	}
	probs = append(probs, nameProblems("column", unknown, seen)...)
	if len(probs) > 0 {
		return nil, &FileError{Source: source, Line: c.last, Reason: "the header row is wrong: " +
			strings.Join(probs, "; ") + " (the columns are " + strings.Join(Fields, ", ") + ", in any order)"}
	}
	return c, nil
}

func (c *csvDecoder) next() (Entry, error) {
	for {
		row, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return Entry{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, ErrRecordTooLong) {
			line := pe.StartLine + c.offset
			c.last = line
			c.capped.limit = c.r.InputOffset() + MaxRecordBytes + capSlack
			return Entry{Line: line, Reason: csvReason(pe)}, nil
		}
		if err != nil {
			return Entry{}, c.fileError(err, c.last)
		}
		line, _ := c.r.FieldPos(0)
		line += c.offset
		c.last = line
		c.capped.limit = c.r.InputOffset() + MaxRecordBytes + capSlack
		if blankRow(row) {
			continue // a spreadsheet's empty row
		}
		if len(row) != len(c.cols) {
			return Entry{Line: line, Reason: fmt.Sprintf("the row has %d fields, the header has %d", len(row), len(c.cols))}, nil
		}
		var in Input
		for i, v := range row {
			in.set(c.cols[i], v)
		}
		return check(c.rules, line, in), nil
	}
}

func (c *csvDecoder) fileError(err error, line int) error {
	if errors.Is(err, ErrRecordTooLong) {
		return &FileError{Source: c.source, Line: line, Err: err, Reason: fmt.Sprintf(
			"the record after this line is longer than %d KiB; is a quote (\") left open?", MaxRecordBytes>>10)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &FileError{Source: c.source, Line: pe.StartLine + c.offset, Err: err, Reason: "the header row: " + csvReason(pe)}
	}
	return &FileError{Source: c.source, Line: line, Err: err, Reason: "reading: " + err.Error()}
}

// csvReason says what a CSV syntax error means for the person who wrote the file.
func csvReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`a quote (") in an unquoted field (line %d, column %d): put the whole field in quotes and write the quote twice`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`a quoted field is not closed properly (line %d, column %d); everything up to there was read as part of it`, pe.Line, pe.Column)
	}
	return fmt.Sprintf("not valid CSV (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)
}

func blankRow(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// capSlack covers what encoding/csv's own buffer reads ahead of the record it returns.
const capSlack = 8 << 10

// capReader stops a CSV record from growing without bound: it returns ErrRecordTooLong once more than
// limit bytes have been read from the start of the file. The decoder moves the limit forward after each
// record, so the bound applies to each record, not to the file.
type capReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, ErrRecordTooLong
	}
	if room := c.limit - c.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
