package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// maxFileSize bounds what Load reads: a configuration is a few hundred bytes, anything near this is not one.
const maxFileSize = 1 << 20

// Load reads, parses and validates the configuration file at path. It never modifies the file.
//
// A missing file yields an error wrapping ErrNotFound ("config PATH not found"); a file that is not a
// valid configuration yields an *Error ("PATH:LINE: reason") describing the first problem in file order.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config %s %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: path, Line: 1, Reason: fmt.Sprintf("file is larger than %d bytes; not a trialsync config", maxFileSize)}
	}
	return data, nil
}

// parse checks, in order: TOML syntax, keys that look like secrets, unknown keys and value types, then
// the meaning of each value. The first problem found is returned.
func parse(path string, data []byte) (*Config, error) {
	cfg, problems := check(data)
	if len(problems) > 0 {
		p := problems[0]
		return nil, &Error{File: path, Line: p.line, Key: p.path, Reason: p.reason}
	}
	cfg.Path = path
	return cfg, nil
}

// check runs every check over data and returns the configuration with every problem found, in file
// order. A file that cannot be decoded (bad syntax, a secret, an unknown key or a value of the wrong
// type) stops at that one problem, with no configuration.
func check(data []byte) (*Config, []lineError) {
	idx, lerr := buildIndex(data)
	if lerr == nil {
		lerr = checkSecrets(idx)
	}
	if lerr != nil {
		return nil, []lineError{{line: lerr.line, reason: lerr.reason}}
	}
	var fc fileConfig
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		line, reason := decodeProblem(idx, err)
		return nil, []lineError{{line: line, reason: reason}}
	}
	v := &validator{idx: idx}
	cfg := v.config(&fc)
	slices.SortStableFunc(v.problems, func(a, b lineError) int { return a.line - b.line })
	return cfg, v.problems
}

// typeMismatch matches go-toml's "cannot decode TOML <kind> into struct field <Go name> of type <Go type>",
// which names Go internals; decodeProblem rewrites it in the file's terms.
var typeMismatch = regexp.MustCompile(`^cannot decode TOML (\w+) into .* of type (.+)$`)

// alreadyDefined matches go-toml's duplicate-key message, which names only the last part of the key.
var alreadyDefined = regexp.MustCompile(`^key (.+) is already defined$`)

// decodeProblem turns a go-toml decoding error into a line and a reason in the file's own terms.
func decodeProblem(idx *index, err error) (int, string) {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		first := slices.MinFunc(strict.Errors, func(a, b toml.DecodeError) int {
			la, _ := a.Position()
			lb, _ := b.Position()
			return la - lb
		})
		line, col := first.Position()
		path := idx.at(line, col, strings.Join(first.Key(), "."))
		if strings.Contains(first.Error(), "missing table") {
			return line, fmt.Sprintf("unknown table %q", path)
		}
		return line, fmt.Sprintf("unknown key %q", path)
	}
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return 1, err.Error()
	}
	line, col := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if m := typeMismatch.FindStringSubmatch(msg); m != nil && len(de.Key()) > 0 {
		path := idx.at(line, col, strings.Join(de.Key(), "."))
		return line, fmt.Sprintf("%s must be %s, not %s", path, tomlType(m[2]), article(m[1]))
	}
	if m := alreadyDefined.FindStringSubmatch(msg); m != nil {
		if path, firstLine, ok := idx.redefined(line, m[1]); ok {
			return line, fmt.Sprintf("%s is set twice (first at line %d)", path, firstLine)
		}
	}
	if len(de.Key()) > 0 && strings.Contains(msg, "too large") {
		path := idx.at(line, col, strings.Join(de.Key(), "."))
		return line, fmt.Sprintf("%s: %s", path, msg)
	}
	return line, msg
}

// tomlType names a Go field type the way the file would spell the expected value.
func tomlType(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "[]string":
		return "an array of strings"
	case strings.HasPrefix(goType, "map["):
		return "a table of strings"
	case strings.HasPrefix(goType, "[]"):
		return "an array of tables"
	default:
		return "a table"
	}
}

func article(kind string) string {
	switch kind {
	case "integer", "array", "inline", "InlineTable":
		return "an " + strings.ToLower(kind)
	default:
		return "a " + strings.ToLower(kind)
	}
}
