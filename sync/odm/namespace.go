package odm

import (
	"bytes"
	"hash/maphash"
)

// binding is one namespace declaration in scope; prefix and URI live in scanner.nsArena.
type binding struct {
	off, plen, ulen int32
	ns              nsID
	prev            int32 // the binding of the same prefix that this one shadows, -1 if none
}

// A start tag may declare any number of prefixes and carry any number of attributes, so every check
// that relates names to one another goes through a hash index once there are more than a few of them:
// the reader's work stays linear in its input whatever the input's shape.
const (
	fewBindings = 8 // up to this many bindings in scope, a lookup scans them
	fewAttrs    = 8 // up to this many attributes, duplicates are found by comparing each pair
)

// namespaces applies the tag's declarations, resolves element and attribute names, checks attribute
// uniqueness and pushes the element.
func (s *scanner) namespaces(qname []byte, colon int, xmlns bool, prefixedAttrs int, p int) error {
	nb := len(s.binds)
	defNS := s.defNS
	attrs := s.attrs[:s.nattr]
	for k := range attrs {
		if !xmlns {
			break
		}
		a := &attrs[k]
		q := s.aname(a)
		if len(q) < 5 || q[0] != 'x' || string(q[:5]) != "xmlns" || (len(q) > 5 && q[5] != ':') {
			continue
		}
		a.ns = nsXMLNS
		var prefix []byte
		if len(q) > 5 {
			prefix = q[6:]
			if len(prefix) == 0 || bytes.IndexByte(prefix, ':') >= 0 {
				return s.errAt(p, "invalid namespace declaration %s", q)
			}
		}
		uri := s.aval(a)
		switch {
		case string(prefix) == "xmlns":
			return s.errAt(p, "the xmlns prefix cannot be declared")
		case string(prefix) == "xml" && string(uri) != uriXML, string(prefix) != "xml" && string(uri) == uriXML:
			return s.errAt(p, "the xml prefix is bound to %s only", uriXML)
		case string(uri) == uriXMLNS:
			return s.errAt(p, "the namespace %s cannot be declared", uriXMLNS)
		case len(prefix) > 0 && len(uri) == 0:
			return s.errAt(p, "namespace prefix %s bound to an empty URI", prefix)
		}
		ns := nsOther
		switch string(uri) {
		case uriODM:
			ns = nsODM
		case uriMdsol:
			ns = nsMdsol
		case uriXML:
			ns = nsXML
		case "":
			ns = nsNone
		}
		s.bind(prefix, uri, ns)
		if prefix == nil {
			s.defNS = ns
		}
	}
	// From here on an error leaves bindings pushed that no element owns: the scanner stops at the
	// error, so nothing looks them up again.
	if colon < 0 {
		s.ns, s.local = s.defNS, qname
	} else {
		prefix, local, ok := splitQName(qname, colon)
		if !ok {
			return s.errAt(p, "invalid qualified name %s", qname)
		}
		ns, _, ok := s.lookup(prefix)
		if !ok {
			return s.errAt(p, "undeclared namespace prefix %s in <%s>", prefix, qname)
		}
		s.ns, s.local = ns, local
	}
	prefixed := 0
	for k := range attrs {
		if !xmlns && prefixedAttrs == 0 {
			break // unprefixed attributes are in no namespace (the zero nsID)
		}
		a := &attrs[k]
		if a.ns == nsXMLNS {
			continue
		}
		ap, _, ok := splitQName(s.aname(a), int(a.colon))
		if !ok {
			return s.errAt(p, "invalid qualified name %s", s.aname(a))
		}
		if ap == nil {
			a.ns = nsNone
			continue
		}
		prefixed++
		a.ns, _, ok = s.lookup(ap)
		if !ok {
			return s.errAt(p, "undeclared namespace prefix %s in attribute %s", ap, s.aname(a))
		}
	}
	if err := s.duplicates(qname, p); err != nil {
		return err
	}
	if prefixed > 1 {
		if err := s.expandedDuplicates(qname, p); err != nil {
			return err
		}
	}
	s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(nb), defNS: defNS, start: s.w.base + int64(p)}
	s.nopen++
	return nil
}

// duplicates rejects two attributes with the same qualified name.
func (s *scanner) duplicates(qname []byte, p int) error {
	attrs := s.attrs[:s.nattr]
	if len(attrs) <= fewAttrs {
		s.w.steps += int64(len(attrs) * (len(attrs) - 1) / 2)
		for k := 1; k < len(attrs); k++ {
			for j := 0; j < k; j++ {
				if attrs[k].n == attrs[j].n && string(s.aname(&attrs[k])) == string(s.aname(&attrs[j])) {
					return s.errAt(p, "duplicate attribute %s in <%s>", s.aname(&attrs[k]), qname)
				}
			}
		}
		return nil
	}
	tab := s.attrIndex(len(attrs))
	mask := uint64(len(tab) - 1)
	for k := range attrs {
		name := s.aname(&attrs[k])
		h := maphash.Bytes(s.seed, name) & mask
		for ; tab[h] != 0; h = (h + 1) & mask {
			s.w.steps++
			if string(s.aname(&attrs[tab[h]-1])) == string(name) {
				return s.errAt(p, "duplicate attribute %s in <%s>", name, qname)
			}
		}
		tab[h] = int32(k + 1)
	}
	return nil
}

// expandedDuplicates rejects two prefixed attributes with the same namespace URI and local name.
func (s *scanner) expandedDuplicates(qname []byte, p int) error {
	attrs := s.attrs[:s.nattr]
	same := func(ak, aj *attr) bool {
		if !bytes.Equal(s.alocal(ak), s.alocal(aj)) {
			return false
		}
		_, uk, _ := s.lookup(s.aname(ak)[:ak.colon])
		_, uj, _ := s.lookup(s.aname(aj)[:aj.colon])
		return bytes.Equal(uk, uj)
	}
	if len(attrs) <= fewAttrs {
		s.w.steps += int64(len(attrs) * (len(attrs) - 1) / 2)
		for k := 1; k < len(attrs); k++ {
			ak := &attrs[k]
			if ak.ns == nsXMLNS || ak.colon < 0 {
				continue
			}
			for j := 0; j < k; j++ {
				aj := &attrs[j]
				if aj.ns != nsXMLNS && aj.colon >= 0 && same(ak, aj) {
					return s.errAt(p, "attributes %s and %s in <%s> are the same name", s.aname(aj), s.aname(ak), qname)
				}
			}
		}
		return nil
	}
	tab := s.attrIndex(len(attrs))
	mask := uint64(len(tab) - 1)
	for k := range attrs {
		ak := &attrs[k]
		if ak.ns == nsXMLNS || ak.colon < 0 {
			continue
		}
		_, uri, _ := s.lookup(s.aname(ak)[:ak.colon])
		h := (maphash.Bytes(s.seed, s.alocal(ak)) ^ maphash.Bytes(s.seed, uri)*0x9e3779b97f4a7c15) & mask
		for ; tab[h] != 0; h = (h + 1) & mask {
			s.w.steps++
			if aj := &attrs[tab[h]-1]; same(ak, aj) {
				return s.errAt(p, "attributes %s and %s in <%s> are the same name", s.aname(aj), s.aname(ak), qname)
			}
		}
		tab[h] = int32(k + 1)
	}
	return nil
}

// attrIndex returns a cleared open-addressing table with room for n attributes (at most half full).
// Only the part the tag needs is cleared, so one huge tag does not make every later one expensive.
func (s *scanner) attrIndex(n int) []int32 {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if len(s.attrTab) < size {
		s.attrTab = make([]int32, size)
	}
	tab := s.attrTab[:size]
	clear(tab)
	s.w.steps += int64(size)
	return tab
}

// bind pushes a declaration of prefix (nil: the default namespace) and indexes it.
func (s *scanner) bind(prefix, uri []byte, ns nsID) {
	s.bindGen++
	off := len(s.nsArena)
	s.nsArena = append(append(s.nsArena, prefix...), uri...)
	s.binds = append(s.binds, binding{off: int32(off), plen: int32(len(prefix)), ulen: int32(len(uri)), ns: ns, prev: -1})
	if 2*len(s.binds) > len(s.nsTab) {
		s.reindex()
		return
	}
	s.index(len(s.binds) - 1)
}

// index enters binding k in nsTab, where it shadows any binding of the same prefix. Entries are only
// ever added in the order of s.binds and removed in reverse (unbind), so linear probing needs no
// tombstones: removing the newest entry gives back the table exactly as it was before it was added.
func (s *scanner) index(k int) {
	bd := &s.binds[k]
	prefix := s.nsArena[bd.off : bd.off+bd.plen]
	mask := uint64(len(s.nsTab) - 1)
	for h := maphash.Bytes(s.seed, prefix) & mask; ; h = (h + 1) & mask {
		s.w.steps++
		e := s.nsTab[h]
		if e == 0 {
			bd.prev = -1
			s.nsTab[h] = int32(k + 1)
			return
		}
		if o := &s.binds[e-1]; string(s.nsArena[o.off:o.off+o.plen]) == string(prefix) {
			bd.prev = e - 1
			s.nsTab[h] = int32(k + 1)
			return
		}
	}
}

// reindex rebuilds nsTab at twice the number of bindings, entering them in order.
func (s *scanner) reindex() {
	size := 16
	for size < 4*len(s.binds) {
		size *= 2
	}
	if cap(s.nsTab) >= size {
		s.nsTab = s.nsTab[:size]
		clear(s.nsTab)
	} else {
		s.nsTab = make([]int32, size)
	}
	s.w.steps += int64(size)
	for k := range s.binds {
		s.index(k)
	}
}

// unbind drops the bindings from index n on, newest first.
func (s *scanner) unbind(n int) {
	s.bindGen++
	mask := uint64(len(s.nsTab) - 1)
	for k := len(s.binds) - 1; k >= n; k-- {
		bd := &s.binds[k]
		h := maphash.Bytes(s.seed, s.nsArena[bd.off:bd.off+bd.plen]) & mask
		for ; s.nsTab[h] != int32(k+1); h = (h + 1) & mask {
			s.w.steps++
		}
		s.nsTab[h] = bd.prev + 1
	}
	s.nsArena = s.nsArena[:s.binds[n].off]
	s.binds = s.binds[:n]
}

// lookup resolves a prefix (nil: the default namespace) against the declarations in scope.
func (s *scanner) lookup(prefix []byte) (nsID, []byte, bool) {
	if len(s.binds) <= fewBindings {
		s.w.steps += int64(len(s.binds))
		for k := len(s.binds) - 1; k >= 0; k-- {
			bd := &s.binds[k]
			if int(bd.plen) == len(prefix) && string(s.nsArena[bd.off:bd.off+bd.plen]) == string(prefix) {
				return bd.ns, s.nsArena[bd.off+bd.plen : bd.off+bd.plen+bd.ulen], true
			}
		}
	} else {
		mask := uint64(len(s.nsTab) - 1)
		for h := maphash.Bytes(s.seed, prefix) & mask; s.nsTab[h] != 0; h = (h + 1) & mask {
			s.w.steps++
			bd := &s.binds[s.nsTab[h]-1]
			if string(s.nsArena[bd.off:bd.off+bd.plen]) == string(prefix) {
				return bd.ns, s.nsArena[bd.off+bd.plen : bd.off+bd.plen+bd.ulen], true
			}
		}
	}
	switch {
	case prefix == nil:
		return nsNone, nil, true
	case string(prefix) == "xml":
		return nsXML, []byte(uriXML), true
	}
	return nsOther, nil, false
}
