package odm

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomNamespaces writes a well-formed document whose elements declare, shadow and use up to 16
// prefixes and the default namespace at every depth, so that well over fewBindings are in scope and
// the index is grown, shadowed and unwound many times.
func randomNamespaces(rng *rand.Rand) []byte {
	uris := []string{uriODM, uriMdsol, "urn:a", "urn:b", "urn:c"}
	var b strings.Builder
	var elem func(depth int, scope map[string]bool)
	elem = func(depth int, scope map[string]bool) {
		inner := make(map[string]bool, len(scope)+4)
		for p := range scope {
			inner[p] = true
		}
		var decls []string
		for k := max(rng.IntN(24)-12, 0); k > 0; k-- { // half the tags declare nothing

			p := fmt.Sprintf("p%d", rng.IntN(16))
			if !inner[p] || rng.IntN(3) == 0 { // new or shadowing, once per tag
				if !strings.Contains(strings.Join(decls, " "), "xmlns:"+p+"=") {
					decls = append(decls, fmt.Sprintf(`xmlns:%s="%s"`, p, uris[rng.IntN(len(uris))]))
					inner[p] = true
				}
			}
		}
		if rng.IntN(4) == 0 {
			decls = append(decls, fmt.Sprintf(`xmlns="%s"`, append(uris, "")[rng.IntN(len(uris)+1)]))
		}
		var inScope []string
		for p := range inner {
			inScope = append(inScope, p)
		}
		pick := func() string {
			if len(inScope) == 0 || rng.IntN(4) == 0 {
				return ""
			}
			return inScope[rng.IntN(len(inScope))] + ":"
		}
		name := pick() + "e"
		b.WriteString("<" + name)
		for _, d := range decls {
			b.WriteString(" " + d)
		}
		for k := rng.IntN(12); k > 0; k-- {
			fmt.Fprintf(&b, ` %sa%d="v"`, pick(), k) // distinct local names: never the same expanded name
		}
		if depth == 6 || rng.IntN(3) == 0 {
			b.WriteString("/>")
			return
		}
		b.WriteString(">")
		for k := rng.IntN(4); k > 0; k-- {
			elem(depth+1, inner)
		}
		b.WriteString("</" + name + ">")
	}
	elem(0, map[string]bool{})
	return []byte(b.String())
}

func nsOf(uri string) nsID {
	switch uri {
	case "":
		return nsNone
	case uriODM:
		return nsODM
	case uriMdsol:
		return nsMdsol
	}
	return nsOther
}

// TestNamespaceIndex resolves the names of random documents with many declarations in scope and checks
// every element's and attribute's namespace, and every local name, against encoding/xml.
func TestNamespaceIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	maxBinds := 0
	for doc := 0; doc < 300; doc++ {
		data := randomNamespaces(rng)
		var want []string
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("document %d: encoding/xml: %v", doc, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				line := fmt.Sprintf("%d %s", nsOf(se.Name.Space), se.Name.Local)
				for _, a := range se.Attr {
					if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
						line += fmt.Sprintf(" %d:%s", nsOf(a.Name.Space), a.Name.Local)
					}
				}
				want = append(want, line)
			}
		}
		for _, size := range []int{29, 4096} {
			var s scanner
			s.reset(bytes.NewReader(data), size)
			var got []string
			for {
				if err := s.next(); err != nil {
					t.Fatalf("document %d: %v\n%s", doc, err, data)
				}
				if s.kind == tokEOF {
					break
				}
				if s.kind != tokStart {
					continue
				}
				maxBinds = max(maxBinds, len(s.binds))
				line := fmt.Sprintf("%d %s", s.ns, s.local)
				for _, a := range s.attrList() {
					if a.ns != nsXMLNS {
						line += fmt.Sprintf(" %d:%s", a.ns, s.alocal(&a))
					}
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("document %d, window %d, resolves differently:\n got: %q\nwant: %q\n%s", doc, size, got, want, data)
			}
		}
	}
	if maxBinds <= fewBindings {
		t.Fatalf("at most %d bindings in scope: the index was never used", maxBinds)
	}
}

// TestNamespaceScopeEnds: a prefix declared in a subtree is unknown after it, and a shadowed one gets
// its outer URI back, with many bindings in scope (the index) as with few (the scan).
func TestNamespaceScopeEnds(t *testing.T) {
	for _, extra := range []int{0, 3 * fewBindings} {
		var decls strings.Builder
		for i := 0; i < extra; i++ {
			fmt.Fprintf(&decls, ` xmlns:z%d="urn:z%d"`, i, i)
		}
		root := `<ODM xmlns="` + uriODM + `" xmlns:q="` + uriODM + `"` + decls.String() + `>`
		ok := []byte(root + `<x:e xmlns:x="urn:x" xmlns:q="urn:other"><q:in/></x:e><q:in/><q:ClinicalData StudyOID="S"/></ODM>`)
		var s scanner
		s.reset(bytes.NewReader(ok), 64)
		var seen []string
		for s.next() == nil && s.kind != tokEOF {
			if s.kind == tokStart {
				seen = append(seen, fmt.Sprintf("%s=%d", s.qname, s.ns))
			}
		}
		if s.err != nil {
			t.Fatalf("%d extra bindings: %v", extra, s.err)
		}
		want := fmt.Sprintf("[ODM=%d x:e=%d q:in=%d q:in=%d q:ClinicalData=%d]", nsODM, nsOther, nsOther, nsODM, nsODM)
		if fmt.Sprint(seen) != want {
			t.Fatalf("%d extra bindings: %v, want %s", extra, seen, want)
		}
		bad := []byte(root + `<x:e xmlns:x="urn:x" xmlns:gone="urn:g"/><gone:e/></ODM>`)
		res := readAll(t, bad)
		if res.err == nil || !strings.Contains(res.err.Error(), "undeclared namespace prefix gone") {
			t.Fatalf("%d extra bindings: got %v", extra, res.err)
		}
	}
}
