package odm

import "bytes"

// binding is one namespace declaration in scope; prefix and URI live in scanner.nsArena.
type binding struct {
	off, plen, ulen int32
	ns              nsID
}

// namespaces applies the tag's declarations, resolves element and attribute names, checks attribute
// uniqueness and pushes the element.
func (s *scanner) namespaces(qname []byte, colon int, xmlns bool, prefixedAttrs int, p int) error {
	nb := len(s.binds)
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
		off := len(s.nsArena)
		s.nsArena = append(append(s.nsArena, prefix...), uri...)
		s.binds = append(s.binds, binding{off: int32(off), plen: int32(len(prefix)), ulen: int32(len(uri)), ns: ns})
		if prefix == nil {
			s.defNS = ns
		}
	}
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
	for k := 1; k < len(attrs); k++ {
		for j := 0; j < k; j++ {
			if attrs[k].n == attrs[j].n && string(s.aname(&attrs[k])) == string(s.aname(&attrs[j])) {
				return s.errAt(p, "duplicate attribute %s in <%s>", s.aname(&attrs[k]), qname)
			}
		}
	}
	if prefixed > 1 {
		if err := s.expandedDuplicates(qname, p); err != nil {
			return err
		}
	}
	s.elems[s.nopen] = open{off: -1, n: int32(len(qname)), binds: int32(nb), start: s.w.base + int64(p)}
	s.nopen++
	return nil
}

// expandedDuplicates rejects two prefixed attributes with the same namespace URI and local name.
func (s *scanner) expandedDuplicates(qname []byte, p int) error {
	for k := 1; k < s.nattr; k++ {
		ak := &s.attrs[k]
		if ak.ns == nsXMLNS || ak.colon < 0 {
			continue
		}
		for j := 0; j < k; j++ {
			aj := &s.attrs[j]
			if aj.ns == nsXMLNS || aj.colon < 0 || !bytes.Equal(s.alocal(ak), s.alocal(aj)) {
				continue
			}
			_, uk, _ := s.lookup(s.aname(ak)[:ak.colon])
			_, uj, _ := s.lookup(s.aname(aj)[:aj.colon])
			if bytes.Equal(uk, uj) {
				return s.errAt(p, "attributes %s and %s in <%s> are the same name", s.aname(aj), s.aname(ak), qname)
			}
		}
	}
	return nil
}

// lookup resolves a prefix (nil: the default namespace) against the declarations in scope.
func (s *scanner) lookup(prefix []byte) (nsID, []byte, bool) {
	for k := len(s.binds) - 1; k >= 0; k-- {
		bd := &s.binds[k]
		if int(bd.plen) != len(prefix) {
			continue
		}
		if string(s.nsArena[bd.off:bd.off+bd.plen]) == string(prefix) {
			return bd.ns, s.nsArena[bd.off+bd.plen : bd.off+bd.plen+bd.ulen], true
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
