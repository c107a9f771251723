package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// index maps every key and table of a TOML document to where it is written, so that errors found after
// decoding (a bad value, a missing key) can still name a line. Paths use dots between keys and [i] after
// array-of-tables elements and array items: "rave.study[1].oid", "exposure.drugs.Isoniazid".
type index struct {
	first   map[string]pos // path -> first place it appears
	entries []entry        // every key in document order
}

type pos struct{ line, col int }

type entry struct {
	path  string // with element indices
	plain string // the same without indices, as go-toml reports keys
	pos
}

// has reports whether path (or anything below it) is written in the document.
func (x *index) has(path string) bool {
	_, ok := x.first[path]
	return ok
}

// line returns the line where path is written, else the line of its nearest written parent, else 1.
func (x *index) line(path string) int {
	for p := path; p != ""; p = parent(p) {
		if at, ok := x.first[p]; ok {
			return at.line
		}
	}
	return 1
}

// at returns the display path of the key go-toml reported as plain at (line, col): the entry on that line
// whose plain path extends plain and that starts closest before col. It falls back to plain itself.
func (x *index) at(line, col int, plain string) string {
	best, bestCol := plain, -1
	for _, e := range x.entries {
		if e.line != line || e.col > col || e.col < bestCol {
			continue
		}
		if e.plain == plain || strings.HasPrefix(e.plain, plain+".") {
			best, bestCol = e.path, e.col
		}
	}
	return best
}

// redefined finds the key named name written at line and where it was first written.
func (x *index) redefined(line int, name string) (path string, firstLine int, ok bool) {
	for _, e := range x.entries {
		if e.line == line && (e.plain == name || strings.HasSuffix(e.plain, "."+name)) {
			return e.path, x.first[e.path].line, true
		}
	}
	return "", 0, false
}

// parent returns the path one level up: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i > 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// stripIndices turns a display path into the plain form go-toml uses for keys.
func stripIndices(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// indexer walks the parser's expressions and fills an index.
type indexer struct {
	p      *unstable.Parser
	lines  []int // offset where each line starts
	x      *index
	arrays map[string]int // display path of an array of tables -> elements so far
}

// buildIndex parses data and returns its index, or a syntax error as (line, reason).
func buildIndex(data []byte) (*index, *lineError) {
	data = data[:len(data):len(data)] // unstable.Parser.Range relies on cap(data) == len(data)
	in := &indexer{p: &unstable.Parser{}, lines: lineStarts(data), x: &index{first: map[string]pos{}}, arrays: map[string]int{}}
	in.p.Reset(data)
	prefix := ""
	for in.p.NextExpression() {
		e := in.p.Expression()
		switch e.Kind {
		case unstable.Table:
			parts, at := in.key(e.Key())
			prefix = in.resolve(parts)
			in.add(prefix, at)
		case unstable.ArrayTable:
			parts, at := in.key(e.Key())
			base := join(in.resolve(parts[:len(parts)-1]), parts[len(parts)-1])
			n := in.arrays[base]
			in.arrays[base] = n + 1
			prefix = fmt.Sprintf("%s[%d]", base, n)
			in.add(base, at)
			in.add(prefix, at)
		case unstable.KeyValue:
			in.keyValue(prefix, e)
		}
	}
	if err := in.p.Error(); err != nil {
		return nil, in.syntaxError(err)
	}
	return in.x, nil
}

// lineError is a reason tied to a line, before the file name is known.
type lineError struct {
	line   int
	path   string // the key it is about, when known ("rave.poll")
	reason string
}

func (in *indexer) syntaxError(err error) *lineError {
	var pe *unstable.ParserError
	if !errors.As(err, &pe) {
		return &lineError{line: 1, reason: err.Error()}
	}
	line := 1
	if pe.Highlight != nil {
		line = in.pos(in.p.Range(pe.Highlight)).line
	}
	return &lineError{line: line, reason: pe.Message}
}

// lineStarts returns the offset at which each line of data starts.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// pos returns the 1-based line and column (in bytes) where r starts. (unstable.Parser.Shape rescans
// the document from the start on every call, which is quadratic over a whole file.)
func (in *indexer) pos(r unstable.Range) pos {
	off := int(r.Offset)
	i, found := slices.BinarySearch(in.lines, off)
	if !found {
		i--
	}
	return pos{line: i + 1, col: off - in.lines[i] + 1}
}

// key returns the parts of a (possibly dotted) key and where its first part is written.
func (in *indexer) key(it unstable.Iterator) ([]string, pos) {
	var parts []string
	var at pos
	for it.Next() {
		n := it.Node()
		if parts == nil {
			at = in.pos(n.Raw)
		}
		parts = append(parts, string(n.Data))
	}
	return parts, at
}

// resolve turns table-header parts into a display path: a part naming an array of tables refers to its
// last element, as TOML specifies.
func (in *indexer) resolve(parts []string) string {
	cur := ""
	for _, part := range parts {
		cur = join(cur, part)
		if n := in.arrays[cur]; n > 0 {
			cur = fmt.Sprintf("%s[%d]", cur, n-1)
		}
	}
	return cur
}

func (in *indexer) add(path string, at pos) {
	if _, ok := in.x.first[path]; !ok {
		in.x.first[path] = at
	}
	in.x.entries = append(in.x.entries, entry{path: path, plain: stripIndices(path), pos: at})
}

func (in *indexer) keyValue(prefix string, kv *unstable.Node) {
	parts, at := in.key(kv.Key())
	full := prefix
	for _, part := range parts {
		full = join(full, part)
		in.add(full, at)
	}
	in.value(full, kv.Value(), at)
}

func (in *indexer) value(path string, v *unstable.Node, at pos) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				in.keyValue(path, c)
			}
		}
	case unstable.Array:
		it := v.Children()
		i := 0
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			elem := fmt.Sprintf("%s[%d]", path, i)
			i++
			elemAt := at
			if c.Raw.Length > 0 {
				elemAt = in.pos(c.Raw)
			}
			in.add(elem, elemAt)
			in.value(elem, c, elemAt)
		}
	}
}
