package exposure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// jsonLines reads one JSON object per line. Blank lines are skipped (and counted).
type jsonLines struct {
	br     *bufio.Reader
	source string
	rules  Rules
	line   int
	buf    []byte
}

func newJSONLines(br *bufio.Reader, source string, rules Rules, skipped int) *jsonLines {
	return &jsonLines{br: br, source: source, rules: rules, line: skipped}
}

func (j *jsonLines) next() (Entry, error) {
	for {
		data, tooLong, err := j.readLine()
		if errors.Is(err, io.EOF) && len(data) == 0 && !tooLong {
			return Entry{}, io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Entry{}, &FileError{Source: j.source, Line: j.line + 1, Err: err, Reason: "reading: " + err.Error()}
		}
		j.line++
		if tooLong {
			return Entry{Line: j.line, Reason: fmt.Sprintf("the line is longer than %d KiB, too long for a dose record", MaxRecordBytes>>10)}, nil
		}
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		in, reason := decodeObject(data)
		if reason != "" {
			return Entry{Line: j.line, Reason: reason}, nil
		}
		return check(j.rules, j.line, in), nil
	}
}

// readLine returns the next line without its line break. A line over MaxRecordBytes is consumed to its
// end but not kept: tooLong reports it.
func (j *jsonLines) readLine() (data []byte, tooLong bool, err error) {
	j.buf = j.buf[:0]
	for {
		chunk, err := j.br.ReadSlice('\n')
		if !tooLong {
			if len(j.buf)+len(chunk) > MaxRecordBytes+2 { // +2: the line break itself
				tooLong = true
				j.buf = j.buf[:0]
			} else {
				j.buf = append(j.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil || (errors.Is(err, io.EOF) && (len(j.buf) > 0 || tooLong)) {
			line := bytes.TrimSuffix(bytes.TrimSuffix(j.buf, []byte("\n")), []byte("\r"))
			if errors.Is(err, io.EOF) {
				err = nil // the last line had no line break; the next call reports io.EOF
			}
			return line, tooLong, err
		}
		return nil, false, err
	}
}

// decodeObject reads one JSON object with the intake fields. Every field must be present exactly once;
// values are JSON strings, numbers (kept as written, e.g. tablets 1.5) or null (empty). It returns the
// reason the object is refused, "" when it was read.
func decodeObject(data []byte) (Input, string) {
	var in Input
	if !utf8.Valid(data) {
		return in, "the line is not valid UTF-8 text"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return in, "the line is not a JSON object (expected {\"subject\": …})"
	}
	seen := map[string]bool{}
	var probs, unknown []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return in, "the line is not valid JSON: " + jsonReason(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return in, "the line is not valid JSON: " + jsonReason(err)
		}
		if seen[key] {
			probs = append(probs, fmt.Sprintf("field %s appears twice", key))
			continue
		}
		seen[key] = true
		v, ok := jsonText(raw)
		if !in.set(key, v) {
			unknown = append(unknown, fmt.Sprintf("%q", key))
			continue
		}
		if !ok {
			probs = append(probs, fmt.Sprintf("field %s must be text, a number or null", key))
		}
	}
	if _, err := dec.Token(); err != nil {
		return in, "the line is not valid JSON: " + jsonReason(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return in, "the line holds more than one JSON value; put one record per line"
	}
	probs = append(probs, nameProblems("field", unknown, seen)...)
	return in, strings.Join(probs, "; ")
}

// jsonText turns a JSON value into field text: a string's content, a number as written, null as "".
func jsonText(raw json.RawMessage) (string, bool) {
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 'n':
		return "", true
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw), true
	}
	return "", false
}

// jsonReason strips the package prefix off encoding/json's messages.
func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at character %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "it ends before the object is closed"
	}
	return err.Error()
}
