package logging

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// MinSecretLen is the shortest secret a Redactor registers, in bytes.
const MinSecretLen = 4

// Redactor replaces registered secrets, in every encoding they are likely to take in a log line, with
// [redacted:<fingerprint>]. It is safe for concurrent use: Add may run while other goroutines write.
type Redactor struct {
	mu          sync.Mutex
	secrets     []string // registered, in order
	known       map[string]bool
	fingerprint func(string) string // keyed fingerprint (SetFingerprint); nil until the store is open

	replacer atomic.Pointer[strings.Replacer] // nil until the first secret
	encoded  atomic.Pointer[percentForms]     // nil when no secret has a percent-encoding of its own
}

// percentForms matches every percent-encoding of the registered secrets: one group per secret, whose
// label is at the same index.
type percentForms struct {
	re     *regexp.Regexp
	labels []string
}

// NewRedactor returns a Redactor that knows no secret yet.
func NewRedactor() *Redactor {
	return &Redactor{known: map[string]bool{}}
}

// SetFingerprint gives the Redactor the keyed fingerprint to name secrets with (the store's
// DB.Fingerprint: logging never opens the keyring itself). Labels of secrets registered earlier are
// renamed from then on. Until it is set, and whenever fp returns "", a label is just [redacted].
func (r *Redactor) SetFingerprint(fp func(secret string) string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fingerprint = fp
	r.rebuildLocked()
}

// Label is what secret is replaced with: [redacted:<fingerprint>], or [redacted] without a fingerprint.
func (r *Redactor) Label(secret string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.labelLocked(secret)
}

func (r *Redactor) labelLocked(secret string) string {
	if r.fingerprint != nil {
		if fp := r.fingerprint(secret); fp != "" {
			return "[redacted:" + fp + "]"
		}
	}
	return "[redacted]"
}

// Add registers a secret; from then on every output passing through the Redactor has it replaced.
// Secrets shorter than MinSecretLen bytes are ignored.
func (r *Redactor) Add(secret string) {
	if len(secret) < MinSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known[secret] {
		return
	}
	r.known[secret] = true
	r.secrets = append(r.secrets, secret)
	r.rebuildLocked()
}

// rebuildLocked makes the replacer and the percent-encoding pattern for the registered secrets.
func (r *Redactor) rebuildLocked() {
	if len(r.secrets) == 0 {
		return
	}
	// strings.Replacer tries old strings in argument order at each position: longest first, so that a
	// full encoding wins over the shorter fragment of it another form might match.
	type pair struct{ old, new string }
	var ps, alts []pair
	for _, s := range r.secrets {
		label := r.labelLocked(s)
		for _, form := range forms(s) {
			ps = append(ps, pair{form, label})
		}
		if re := percentPattern(s); re != "" {
			alts = append(alts, pair{re, label})
		}
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return len(b.old) - len(a.old) })
	pairs := make([]string, 0, 2*len(ps))
	for _, p := range ps {
		pairs = append(pairs, p.old, p.new)
	}
	r.replacer.Store(strings.NewReplacer(pairs...))
	if len(alts) > 0 {
		slices.SortStableFunc(alts, func(a, b pair) int { return len(b.old) - len(a.old) })
		pf := &percentForms{}
		groups := make([]string, len(alts))
		for i, a := range alts {
			groups[i] = "(" + a.old + ")"
			pf.labels = append(pf.labels, a.new)
		}
		pf.re = regexp.MustCompile(strings.Join(groups, "|"))
		r.encoded.Store(pf)
	}
}

// Redact returns s with every registered secret replaced; use it on any text bound for a person (an
// error message printed by the CLI, a status line in the GUI) that did not come through a logger.
func (r *Redactor) Redact(s string) string {
	rp := r.replacer.Load()
	if rp == nil {
		return s
	}
	s = rp.Replace(s)
	if pf := r.encoded.Load(); pf != nil && strings.IndexByte(s, '%') >= 0 {
		s = pf.replace(s)
	}
	return s
}

// replace puts each secret's label in place of its percent-encodings in s.
func (pf *percentForms) replace(s string) string {
	ms := pf.re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		for g := range pf.labels {
			if m[2+2*g] >= 0 {
				b.WriteString(pf.labels[g])
				break
			}
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
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
	if rw.r.replacer.Load() == nil {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, rw.r.Redact(string(p))); err != nil {
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

// percentPattern returns a regular expression matching every percent-encoding of secret that an
// encoder may produce: each byte an encoder may escape appears as itself or as %XX (either case), a
// space also as "+", a multi-byte character as itself or as all of its bytes escaped. That covers
// url.QueryEscape and url.PathEscape, the userinfo of a URL, JavaScript's encodeURIComponent, and
// QueryEscape with %20 for spaces, which forms alone missed. It returns "" for a secret every
// encoder leaves as it is (forms covers it).
func percentPattern(secret string) string {
	var b strings.Builder
	escapable := false
	for _, c := range secret {
		lit := string(c)
		if c == utf8.RuneError {
			lit = "" // invalid UTF-8 cannot be written in a pattern; only its escaped form can
		}
		if c < utf8.RuneSelf && unreserved(byte(c)) {
			b.WriteString(regexp.QuoteMeta(lit))
			continue
		}
		escapable = true
		b.WriteString("(?:")
		for _, x := range []byte(lit) {
			fmt.Fprintf(&b, "%%[%X%x][%X%x]", x>>4, x>>4, x&0xF, x&0xF)
		}
		if lit != "" {
			b.WriteString("|" + regexp.QuoteMeta(lit))
		}
		if c == ' ' {
			b.WriteString(`|\+`)
		}
		b.WriteString(")")
	}
	if !escapable || !utf8.ValidString(secret) {
		return ""
	}
	return b.String()
}

// unreserved reports whether RFC 3986 lets c stand unescaped everywhere in a URL: no encoder escapes it.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
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
