package logging

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/trialsync/trialsync/store"
)

// MinSecretLen is the shortest secret a Redactor registers, in bytes.
const MinSecretLen = 4

// Redactor replaces registered secrets, in every encoding they are likely to take in a log line, with
// [redacted:<fingerprint>]. It is safe for concurrent use: Add may run while other goroutines write.
type Redactor struct {
	mu      sync.Mutex
	secrets map[string]bool
	pairs   []string // old, new, ... sorted longest old first

	replacer atomic.Pointer[strings.Replacer] // nil until the first secret
}

// NewRedactor returns a Redactor that knows no secret yet.
func NewRedactor() *Redactor {
	return &Redactor{secrets: map[string]bool{}}
}

// Label is what a secret is replaced with: [redacted:<fingerprint>].
func Label(secret string) string {
	return "[redacted:" + store.Fingerprint(secret) + "]"
}

// Add registers a secret; from then on every output passing through the Redactor has it replaced.
// Secrets shorter than MinSecretLen bytes are ignored.
func (r *Redactor) Add(secret string) {
	if len(secret) < MinSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets[secret] {
		return
	}
	r.secrets[secret] = true
	label := Label(secret)
	for _, form := range forms(secret) {
		r.pairs = append(r.pairs, form, label)
	}
	// strings.Replacer tries old strings in argument order at each position: longest first, so that a
	// full encoding wins over the shorter fragment of it another form might match.
	type pair struct{ old, new string }
	ps := make([]pair, 0, len(r.pairs)/2)
	for i := 0; i < len(r.pairs); i += 2 {
		ps = append(ps, pair{r.pairs[i], r.pairs[i+1]})
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return len(b.old) - len(a.old) })
	r.pairs = r.pairs[:0]
	for _, p := range ps {
		r.pairs = append(r.pairs, p.old, p.new)
	}
	r.replacer.Store(strings.NewReplacer(r.pairs...))
}

// Secret registers v and returns it as a Secret, for code that must carry it around.
func (r *Redactor) Secret(v string) Secret {
	r.Add(v)
	return Secret(v)
}

// Redact returns s with every registered secret replaced; use it on any text bound for a person (an
// error message printed by the CLI, a status line in the GUI) that did not come through a logger.
func (r *Redactor) Redact(s string) string {
	if rp := r.replacer.Load(); rp != nil {
		return rp.Replace(s)
	}
	return s
}

// Writer returns an io.Writer that redacts each Write before passing it to w. Each Write must carry
// whole records (zerolog and its ConsoleWriter write one event per call): a secret split across two
// calls is not recognised.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	return &redactWriter{r: r, w: w}
}

type redactWriter struct {
	r *Redactor
	w io.Writer
}

// Write writes p with secrets replaced. It reports len(p) on success: the caller's bytes were consumed,
// even though a different number reached the underlying writer.
func (rw *redactWriter) Write(p []byte) (int, error) {
	rp := rw.r.replacer.Load()
	if rp == nil {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, rp.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the underlying writer if it is an io.Closer.
func (rw *redactWriter) Close() error {
	if c, ok := rw.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// forms lists the spellings of secret that can appear in output: as is, escaped for JSON (zerolog's and
// encoding/json's escaping, once and twice), quoted by Go, URL-encoded, hex, and base64 — both whole
// and, for a secret embedded in a longer encoded value (user:password in a Basic header), the part of
// the encoding that depends only on the secret, at each of the three byte alignments (see base64Core). Forms shorter
// than MinSecretLen are dropped.
func forms(secret string) []string {
	bases := []string{secret}
	if valid := strings.ToValidUTF8(secret, "\uFFFD"); valid != secret {
		bases = append(bases, valid) // what zerolog's JSON and the console make of invalid UTF-8
	}
	var out []string
	for _, s := range bases {
		out = append(out,
			s,
			zerologEscape(s),
			zerologEscape(zerologEscape(s)),
			stdJSONEscape(s),
			quoteInner(strconv.Quote(s)),
			quoteInner(strconv.QuoteToASCII(s)),
			url.QueryEscape(s),
			url.PathEscape(s),
			lowerPercent(url.QueryEscape(s)),
			lowerPercent(url.PathEscape(s)),
		)
	}
	out = append(out, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(secret)))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for before := range 3 {
			out = append(out, base64Core(enc, secret, before))
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(f string) bool { return len(f) < MinSecretLen })
}

// base64Core returns the longest run of the base64 encoding of secret that depends on the secret's
// bits alone, when the secret sits inside a longer encoded value with before (0-2) foreign bytes in
// its first 3-byte group and anything after it. It encodes the secret between all-zero and all-one
// filler bytes: characters mixing filler and secret bits differ between the two (they can only be at
// either end), characters made of secret bits alone do not.
func base64Core(enc *base64.Encoding, secret string, before int) string {
	after := (3 - (before+len(secret))%3) % 3
	zeros := enc.EncodeToString(slices.Concat(make([]byte, before), []byte(secret), make([]byte, after)))
	ones := enc.EncodeToString(slices.Concat(filled(before), []byte(secret), filled(after)))
	first, last := -1, -1
	for i := range zeros {
		if zeros[i] == ones[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return ""
	}
	return zeros[first : last+1]
}

func filled(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xFF
	}
	return b
}

// zerologEscape escapes s as zerolog's JSON encoder does inside a string: quote, backslash and control
// bytes, invalid UTF-8 as \ufffd, everything else as is.
func zerologEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 {
				const digits = "0123456789abcdef"
				b.WriteString(`\u00`)
				b.WriteByte(digits[c>>4])
				b.WriteByte(digits[c&0xF])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	return b.String()
}

// stdJSONEscape escapes s as encoding/json does (which also escapes <, > and &).
func stdJSONEscape(s string) string {
	data, err := json.Marshal(s)
	if err != nil {
		return s
	}
	return quoteInner(string(data))
}

func quoteInner(q string) string {
	return q[1 : len(q)-1]
}

var percentEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

// lowerPercent spells percent-escapes in lower case, as some encoders do.
func lowerPercent(s string) string {
	return percentEscape.ReplaceAllStringFunc(s, strings.ToLower)
}
