package config

import (
	"fmt"
	"maps"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// validator checks decoded sections and converts them to domain types, collecting problems with the
// line they refer to. It reads presence of keys from the index, so an absent key (default applies) is
// told apart from one written with a zero value (an error).
type validator struct {
	idx      *index
	problems []lineError
}

func (v *validator) addf(path string, format string, args ...any) {
	v.problems = append(v.problems, lineError{line: v.idx.line(path), path: path, reason: fmt.Sprintf(format, args...)})
}

func (v *validator) config(fc *fileConfig) *Config {
	cfg := &Config{}
	if fc.Rave != nil {
		cfg.Rave = v.rave(fc.Rave)
	}
	if fc.Exposure != nil {
		cfg.Exposure = v.exposure(fc.Exposure)
		if fc.Rave == nil {
			v.addf("exposure", "[exposure] sends dose log lines to Rave: it needs a [rave] section")
		}
	}
	if fc.SureAdhere != nil {
		cfg.SureAdhere = v.sureAdhere(fc.SureAdhere)
	}
	if fc.Checklist != nil {
		cfg.Checklist = v.checklist(fc.Checklist)
	}
	if fc.Audit != nil {
		cfg.Audit = v.audit(fc.Audit)
	}
	if fc.Send != nil {
		cfg.Send = v.send(fc.Send)
	}
	return cfg
}

func (v *validator) rave(f *fileRave) *Rave {
	r := &Rave{
		URL: f.URL, User: f.User, ClientID: f.ClientID, TokenURL: f.TokenURL,
		PageSize: DefaultPageSize, Poll: DefaultPoll,
	}
	v.httpURL("rave.url", f.URL)
	switch Auth(f.Auth) {
	case AuthBasic:
		r.Auth = AuthBasic
		v.required("rave.user", f.User, `with auth = "basic"`)
		v.unused("rave.client_id", `with auth = "basic"`)
		v.unused("rave.token_url", `with auth = "basic"`)
	case AuthOAuth2:
		r.Auth = AuthOAuth2
		v.required("rave.client_id", f.ClientID, `with auth = "oauth2"`)
		if v.required("rave.token_url", f.TokenURL, `with auth = "oauth2"`) {
			v.httpURL("rave.token_url", f.TokenURL)
		}
		v.unused("rave.user", `with auth = "oauth2"`)
	default:
		if !v.idx.has("rave.auth") {
			v.addf("rave", `rave.auth is missing: "basic" or "oauth2"`)
		} else {
			v.addf("rave.auth", `rave.auth must be "basic" or "oauth2", not %q`, f.Auth)
		}
	}
	if v.idx.has("rave.page_size") {
		r.PageSize = f.PageSize
		if f.PageSize < 1 {
			v.addf("rave.page_size", "rave.page_size must be at least 1, not %d", f.PageSize)
		}
	}
	if v.idx.has("rave.requests_per_second") {
		r.RequestsPerSecond = f.RequestsPerSecond
		switch rps := f.RequestsPerSecond; {
		case math.IsNaN(rps) || math.IsInf(rps, 0):
			// TOML has nan and inf; neither is a budget (the limiter would misbehave or be gone).
			v.addf("rave.requests_per_second", "rave.requests_per_second must be a finite number above 0, not %s", strings.TrimPrefix(strings.ToLower(fmt.Sprint(rps)), "+"))
		case rps <= 0:
			v.addf("rave.requests_per_second", "rave.requests_per_second must be above 0, not %v", rps)
		}
	}
	r.Poll = v.every("rave.poll", f.Poll, `"5m" or "30s"`, MinPoll, DefaultPoll)
	seen := map[string]string{}
	for i, s := range f.Study {
		p := fmt.Sprintf("rave.study[%d]", i)
		if v.required(p+".oid", s.OID, "") {
			if prev, ok := seen[s.OID]; ok {
				v.addf(p+".oid", "%s.oid %q is already configured at line %d", p, s.OID, v.idx.line(prev))
			}
			seen[s.OID] = p + ".oid"
		}
		v.distinct(p+".sites", s.Sites)
		if v.idx.has(p + ".arm_item") {
			v.required(p+".arm_item", s.ArmItem, "")
		}
		r.Studies = append(r.Studies, Study{OID: s.OID, Sites: s.Sites, ArmItem: s.ArmItem})
	}
	return r
}

func (v *validator) exposure(f *fileExposure) *Exposure {
	e := &Exposure{
		StudyOID: f.StudyOID, StudyEvent: f.StudyEvent, Drugs: f.Drugs,
		MaxAttempts: DefaultMaxAttempts, IntakeAddr: f.IntakeAddr,
	}
	v.required("exposure.study_oid", f.StudyOID, "")
	v.required("exposure.study_event", f.StudyEvent, "")
	v.stringMap("exposure.drugs", f.Drugs)
	if v.idx.has("exposure.max_attempts") {
		e.MaxAttempts = f.MaxAttempts
		if f.MaxAttempts < 1 {
			v.addf("exposure.max_attempts", "exposure.max_attempts must be at least 1, not %d", f.MaxAttempts)
		}
	}
	if v.idx.has("exposure.intake_addr") {
		v.loopbackAddr("exposure.intake_addr", f.IntakeAddr)
	}
	return e
}

func (v *validator) sureAdhere(f *fileSureAdhere) *SureAdhere {
	v.httpURL("sureadhere.url", f.URL)
	v.stringMap("sureadhere.regimens", f.Regimens)
	return &SureAdhere{URL: f.URL, Regimens: f.Regimens}
}

func (v *validator) checklist(f *fileChecklist) *Checklist {
	c := &Checklist{StudyID: f.StudyID, EDCURL: f.EDCURL, CTMSURL: f.CTMSURL}
	v.required("checklist.study_id", f.StudyID, "")
	v.httpURL("checklist.edc_url", f.EDCURL)
	v.httpURL("checklist.ctms_url", f.CTMSURL)
	if v.idx.has("checklist.owners") {
		c.Owners = make(map[string]Owner, len(f.Owners))
		if len(f.Owners) == 0 {
			v.addf("checklist.owners", "checklist.owners is empty: map each field to \"edc\" or \"ctms\", or leave it out")
		}
		for _, field := range slices.Sorted(maps.Keys(f.Owners)) {
			owner := f.Owners[field]
			p := "checklist.owners." + field
			switch {
			case field == "":
				v.addf("checklist.owners", "checklist.owners has an empty field name")
			case Owner(owner) != OwnerEDC && Owner(owner) != OwnerCTMS:
				v.addf(p, `%s must be "edc" or "ctms", not %q`, p, owner)
			}
			c.Owners[field] = Owner(owner)
		}
	}
	v.checklistAdapters(f, c)
	return c
}

// required reports a missing or empty string setting; it returns whether the value is usable.
func (v *validator) required(path, value, when string) bool {
	if when != "" {
		when = " " + when
	}
	switch {
	case !v.idx.has(path):
		v.addf(parent(path), "%s is missing%s", path, when)
		return false
	case value == "":
		v.addf(path, "%s is empty", path)
		return false
	}
	return true
}

// unused reports a setting that the chosen mode would silently ignore.
func (v *validator) unused(path, when string) {
	if v.idx.has(path) {
		v.addf(path, "%s is not used %s; remove it", path, when)
	}
}

// httpURL checks a required absolute http(s) URL, https unless the host is this machine. The message
// never repeats the value: a URL may carry a password in its user info.
func (v *validator) httpURL(path, value string) {
	if !v.required(path, value, "") {
		return
	}
	u, err := url.Parse(value)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		v.addf(path, "%s must be an absolute http or https URL", path)
	case u.User != nil:
		v.addf(path, "%s must not carry a user name or password; credentials belong in the OS keyring (trialsync creds set NAME)", path)
	case strings.EqualFold(u.Scheme, "http") && !loopbackHost(u.Hostname()):
		v.addf(path, "%s uses plain http to a host that is not this machine, so credentials would cross the network in clear; use https", path)
	}
}

// loopbackHost reports whether host is this machine (localhost, 127.0.0.0/8, ::1): the only hosts
// that may be spoken to over plain http, since nothing then crosses a network.
func loopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackAddr checks a host:port that must only listen on this machine.
func (v *validator) loopbackAddr(path, value string) {
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		v.addf(path, "%s must be host:port, not %q", path, value)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		v.addf(path, "%s port must be a number from 1 to 65535, not %q", path, port)
		return
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		v.addf(path, "%s must be a loopback address (127.0.0.1, [::1] or localhost), not %q", path, host)
	}
}

// stringMap checks a required table of non-empty strings keyed by non-empty names.
func (v *validator) stringMap(path string, m map[string]string) {
	if !v.idx.has(path) {
		v.addf(parent(path), "%s is missing", path)
		return
	}
	if len(m) == 0 {
		v.addf(path, "%s is empty", path)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		val := m[k]
		switch {
		case k == "":
			v.addf(path, "%s has an empty key", path)
		case val == "":
			v.addf(path+"."+k, "%s.%s is empty", path, k)
		}
	}
}

// distinct checks a list of non-empty, distinct strings.
func (v *validator) distinct(path string, items []string) {
	seen := map[string]bool{}
	for i, s := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case s == "":
			v.addf(p, "%s is empty", p)
		case seen[s]:
			v.addf(p, "%s %q is listed twice", p, s)
		}
		seen[s] = true
	}
}
