package odm

import (
	"encoding/binary"
	"hash/maphash"
)

// An ODM export spells the same few dozen element and attribute names millions of times, and in the
// same order: a start tag's name is nearly always the one that followed the previous start tag's name
// the last time, and its attributes are those it had the last time. So the scanner keeps every plain
// name it reads (ASCII, at most one ':', up to maxNameLen bytes) in a table, with what the reader makes
// of it, and tries those guesses first. A guess is taken only when the window holds exactly the name's
// bytes, and the caller then checks the byte after it as it does for a scanned name, so a wrong guess
// costs one comparison and the name is scanned as usual.

const (
	maxNameLen   = 24   // longer names are scanned every time
	maxNames     = 1024 // names kept per scanner; later ones are scanned every time
	guessedAttrs = 8    // attributes guessed per element name
)

// lexName is one kept name.
type lexName struct {
	w, m  [3]uint64 // the name's bytes, little-endian and zero-padded, and the mask of its bytes per word
	n     int32     // length
	colon int32     // index of ':', -1 if none
	xmlns bool      // a namespace declaration (xmlns or xmlns:…)
	elem  elem      // what the reader makes of it as an element name in the ODM namespace
	attr  attrCode  // what the reader makes of it as an attribute name
	next  int32     // the name of the start tag after this one the last time, -1 if none
	attrs [guessedAttrs]int32

	// The namespace of the name's prefix, resolved when the declarations in scope were bindGen.
	ns    nsID
	nsGen uint64
}

// prefixNS resolves the prefix of the kept name k (-1: not kept), from the name's last resolution
// while the declarations in scope have not changed since.
func (s *scanner) prefixNS(k int32, prefix []byte) (nsID, bool) {
	if k >= 0 && s.lex[k].nsGen == s.bindGen {
		return s.lex[k].ns, true
	}
	ns, _, ok := s.lookup(prefix)
	if ok && k >= 0 {
		s.lex[k].ns, s.lex[k].nsGen = ns, s.bindGen
	}
	return ns, ok
}

// at reports whether b[i:] starts with the name's bytes (b must hold maxNameLen bytes from i). The
// callers test i+maxNameLen < len(b) themselves, so that this stays small enough to be inlined.
func (e *lexName) at(b []byte, i int) bool {
	c := b[i : i+maxNameLen : i+maxNameLen]
	return binary.LittleEndian.Uint64(c)&e.m[0] == e.w[0] && binary.LittleEndian.Uint64(c[8:])&e.m[1] == e.w[1] &&
		binary.LittleEndian.Uint64(c[16:])&e.m[2] == e.w[2]
}

// intern returns the index of the kept name q (colon: the index of its ':' or -1), keeping it if it
// is new; -1 when q is not kept (too long, or the table is full).
func (s *scanner) intern(q []byte, colon int) int32 {
	if len(q) > maxNameLen || len(q) == 0 {
		return -1
	}
	if len(s.lexIndex) == 0 {
		s.lexIndex = make([]int32, 2*maxNames)
	}
	var w, m [3]uint64
	for k, c := range q {
		w[k/8] |= uint64(c) << (8 * (k % 8))
		m[k/8] |= 0xff << (8 * (k % 8))
	}
	mask := uint64(len(s.lexIndex) - 1)
	h := maphash.Bytes(s.seed, q) & mask
	for ; s.lexIndex[h] != 0; h = (h + 1) & mask {
		s.w.steps++
		if e := &s.lex[s.lexIndex[h]-1]; e.w == w && e.m == m {
			return s.lexIndex[h] - 1
		}
	}
	if len(s.lex) == maxNames {
		return -1
	}
	e := lexName{w: w, m: m, n: int32(len(q)), colon: int32(colon), next: -1}
	for k := range e.attrs {
		e.attrs[k] = -1
	}
	local := q[colon+1:]
	e.elem = odmElem(local)
	e.attr = attrCodeOf(local)
	e.xmlns = len(q) >= 5 && string(q[:5]) == "xmlns"
	s.lex = append(s.lex, e)
	s.lexIndex[h] = int32(len(s.lex))
	return int32(len(s.lex) - 1)
}

// attrCode names the attributes the reader reads, by local name; its namespace is checked apart.
type attrCode uint8

const (
	aOther attrCode = iota
	aStudyOID
	aMetaDataVersionOID
	aAuditSubCategoryName
	aSubjectKey
	aSubjectName
	aStatus
	aLocationOID
	aStudyEventOID
	aStudyEventRepeatKey
	aFormOID
	aFormRepeatKey
	aItemGroupOID
	aItemGroupRepeatKey
	aItemOID
	aValue
	aIsNull
	aTransactionType
	aUserOID

	noAttr attrCode = 0xff // matches no attribute
)

func attrCodeOf(local []byte) attrCode {
	switch string(local) {
	case "StudyOID":
		return aStudyOID
	case "MetaDataVersionOID":
		return aMetaDataVersionOID
	case "AuditSubCategoryName":
		return aAuditSubCategoryName
	case "SubjectKey":
		return aSubjectKey
	case "SubjectName":
		return aSubjectName
	case "Status":
		return aStatus
	case "LocationOID":
		return aLocationOID
	case "StudyEventOID":
		return aStudyEventOID
	case "StudyEventRepeatKey":
		return aStudyEventRepeatKey
	case "FormOID":
		return aFormOID
	case "FormRepeatKey":
		return aFormRepeatKey
	case "ItemGroupOID":
		return aItemGroupOID
	case "ItemGroupRepeatKey":
		return aItemGroupRepeatKey
	case "ItemOID":
		return aItemOID
	case "Value":
		return aValue
	case "IsNull":
		return aIsNull
	case "TransactionType":
		return aTransactionType
	case "UserOID":
		return aUserOID
	}
	return aOther
}
