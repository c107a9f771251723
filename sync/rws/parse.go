package rws

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"

	"github.com/trialsync/trialsync/sync/remote"
)

// maxErrorBody bounds how much of a post's answer is read; RWS answers are a few hundred bytes, IIS
// pages a few kilobytes.
const maxErrorBody = 64 << 10

const mdsolNS = "http://www.mdsol.com/ns/odm/metadata"

var (
	utf8BOM      = []byte{0xEF, 0xBB, 0xBF}
	reasonInText = regexp.MustCompile(`\[?(RWS\d{5})\]?`)
)

// errorBody is what one of the RWS error shapes says.
type errorBody struct {
	shape      string // "response", "odm", "html", "text" or "" (empty body)
	reasonCode string
	message    string
	origin     string
	reference  string
}

// readErrorBody is the remote.ErrorBody of RWS. A 401 that RWS itself answered (an RWS <Response>,
// an ODM error, its plain "Authorization Header not provided") is final: the credential was refused and
// repeating it only brings the lock-out nearer. An IIS 401 page in front of RWS is sometimes transient,
// so the shared client tries it once more.
func readErrorBody(status int, _ http.Header, body []byte) remote.Problem {
	eb := parseErrorBody(body)
	return remote.Problem{
		Code: eb.reasonCode, Message: eb.message, Detail: eb,
		Final: status == http.StatusUnauthorized && eb.shape != "html",
	}
}

// parseErrorBody recognises the four shapes RWS answers errors with: an RWS <Response> element, an
// ODM root carrying mdsol:ErrorDescription, an IIS HTML page, and plain text such as
// "Authorization Header not provided".
func parseErrorBody(body []byte) errorBody {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	if len(body) == 0 {
		return errorBody{}
	}
	lower := bytes.ToLower(body[:min(len(body), 512)])
	switch {
	case bytes.Contains(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<!doctype html")):
		return parseHTML(body)
	case body[0] == '<':
		if eb, ok := parseXMLError(body); ok {
			return eb
		}
	}
	return errorBody{shape: "text", message: clip(string(body)), reasonCode: reasonIn(string(body))}
}

func parseXMLError(body []byte) (errorBody, bool) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	for {
		tok, err := dec.Token()
		if err != nil {
			return errorBody{}, false
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(space, local string) string {
			for _, a := range se.Attr {
				if a.Name.Local == local && (space == "" || a.Name.Space == space) {
					return a.Value
				}
			}
			return ""
		}
		switch se.Name.Local {
		case "Response":
			return errorBody{
				shape:      "response",
				reasonCode: strings.TrimSpace(attr("", "ReasonCode")),
				message:    clip(attr("", "ErrorClientResponseMessage")),
				origin:     attr("", "ErrorOriginLocation"),
				reference:  attr("", "ReferenceNumber"),
			}, true
		case "ODM":
			desc := attr(mdsolNS, "ErrorDescription")
			if desc == "" {
				return errorBody{}, false
			}
			return errorBody{shape: "odm", reasonCode: reasonIn(desc), message: clip(desc)}, true
		default:
			return errorBody{}, false
		}
	}
}

// parseHTML reads an IIS error page as remote.HTMLText does: its first h2 (where IIS puts the detail),
// else its title, else its first h1.
func parseHTML(body []byte) errorBody {
	return errorBody{shape: "html", message: clip(remote.HTMLText(body))}
}

func reasonIn(s string) string {
	if m := reasonInText.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// clip keeps a message to one line of bounded length, without control characters or escape
// sequences, for error strings (remote.Clean).
func clip(s string) string { return remote.Clean(s) }
