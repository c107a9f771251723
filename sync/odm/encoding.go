package odm

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// input is what sniffing the first bytes decided: where the UTF-8 text comes from and how it relates to
// the raw bytes.
type input struct {
	src        io.Reader
	bom        int  // bytes of a UTF-8 byte-order mark skipped (offsets stay those of the file)
	transcoded bool // src is decoded from another encoding; offsets are those of the UTF-8 text
	legacy     bool // ... from a single- or multi-byte legacy encoding (U+FFFD marks an undecodable byte)
	asciiOnly  bool // declared US-ASCII
}

// sniff reads the start of r (the byte-order mark and the XML declaration, XML 1.0 appendix F) and
// arranges for the rest of the input to reach the tokenizer as UTF-8, or says why it cannot.
func sniff(r io.Reader) (input, error) {
	head := make([]byte, 0, 1024)
	for len(head) < cap(head) {
		n, err := r.Read(head[len(head):cap(head)])
		head = head[:len(head)+n]
		if err == io.EOF || bytes.Contains(head, []byte("?>")) || (len(head) >= 5 && string(head[:5]) != "<?xml" && !hasBOMish(head)) {
			break
		}
		if err != nil {
			return input{}, fmt.Errorf("reading ODM input: %w", err)
		}
	}
	rest := io.MultiReader(bytes.NewReader(head), r)
	bad := func(msg string, args ...any) (input, error) {
		return input{}, &SyntaxError{Line: 1, Col: 1, Msg: fmt.Sprintf(msg, args...)}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}),
		bytes.HasPrefix(head, []byte{0, 0, 0, '<'}), bytes.HasPrefix(head, []byte{'<', 0, 0, 0}):
		return bad("encoding UTF-32 is not supported")
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		if enc := declaredEncoding(head[3:]); enc != "" && !isUTF8Name(enc) {
			return bad("byte-order mark says UTF-8 but the declaration says %s", enc)
		}
		return input{src: rest, bom: 3}, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return input{src: transform.NewReader(rest, dec), transcoded: true}, nil
	case bytes.HasPrefix(head, []byte{0, '<', 0, '?'}):
		dec := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
		return input{src: transform.NewReader(rest, dec), transcoded: true}, nil
	case bytes.HasPrefix(head, []byte{'<', 0, '?', 0}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
		return input{src: transform.NewReader(rest, dec), transcoded: true}, nil
	case bytes.HasPrefix(head, []byte{0x4C, 0x6F, 0xA7, 0x94}):
		return bad("EBCDIC encodings are not supported")
	}
	enc := declaredEncoding(head)
	switch {
	case enc == "" || isUTF8Name(enc):
		return input{src: rest}, nil
	case strings.EqualFold(enc, "US-ASCII") || strings.EqualFold(enc, "ASCII"):
		return input{src: rest, asciiOnly: true}, nil
	case strings.HasPrefix(strings.ToUpper(enc), "UTF-16"), strings.HasPrefix(strings.ToUpper(enc), "UTF-32"),
		strings.HasPrefix(strings.ToUpper(enc), "UCS-"):
		return bad("document declares encoding %s but is not encoded in it (no byte-order mark)", enc)
	}
	e, err := ianaindex.IANA.Encoding(enc)
	if err != nil || e == nil || e == encoding.Nop {
		return bad("unsupported encoding %q", enc)
	}
	return input{src: transform.NewReader(rest, e.NewDecoder()), transcoded: true, legacy: true}, nil
}

func hasBOMish(b []byte) bool {
	return len(b) > 0 && (b[0] == 0xEF || b[0] == 0xFE || b[0] == 0xFF || b[0] == 0)
}

func isUTF8Name(enc string) bool {
	return strings.EqualFold(enc, "UTF-8") || strings.EqualFold(enc, "UTF8")
}

// declaredEncoding returns the encoding pseudo-attribute of an XML declaration at the start of b, or "".
// The tokenizer checks the declaration's syntax properly later; this only needs to find the name.
func declaredEncoding(b []byte) string {
	if !bytes.HasPrefix(b, []byte("<?xml")) || len(b) < 6 || !isSpace(b[5]) {
		return ""
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return ""
	}
	d := b[:end]
	i := bytes.Index(d, []byte("encoding"))
	if i < 0 {
		return ""
	}
	d = bytes.TrimLeft(d[i+len("encoding"):], " \t\r\n")
	if len(d) == 0 || d[0] != '=' {
		return ""
	}
	d = bytes.TrimLeft(d[1:], " \t\r\n")
	if len(d) == 0 || (d[0] != '"' && d[0] != '\'') {
		return ""
	}
	q := bytes.IndexByte(d[1:], d[0])
	if q < 0 {
		return ""
	}
	return string(d[1 : 1+q])
}
