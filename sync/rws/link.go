package rws

import "strings"

// nextLink finds the rel="next" target among Link header values (RFC 8288), e.g.
// `<https://h/RaveWebServices/datasets/ClinicalAuditRecords.odm?studyoid=X&startid=8256305&per_page=1000>; rel="next"`.
// The target is returned exactly as written between the angle brackets.
func nextLink(values []string) (string, bool) {
	for _, v := range values {
		for len(v) > 0 {
			v = strings.TrimLeft(v, " \t,")
			if !strings.HasPrefix(v, "<") {
				return "", false
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				return "", false
			}
			target := v[1:end]
			v = v[end+1:]
			params := v
			if i := strings.Index(v, ",<"); i >= 0 {
				params, v = v[:i], v[i+1:]
			} else if i := strings.Index(v, ", <"); i >= 0 {
				params, v = v[:i], v[i+2:]
			} else {
				v = ""
			}
			if hasRel(params, "next") {
				return target, true
			}
		}
	}
	return "", false
}

// hasRel reports whether a link's parameters (";rel=next", `; rel="next prev"`) include rel.
func hasRel(params, rel string) bool {
	for _, p := range strings.Split(params, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
			if strings.EqualFold(r, rel) {
				return true
			}
		}
	}
	return false
}
