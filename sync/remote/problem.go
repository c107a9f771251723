package remote

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
)

// maxErrorBody bounds how much of an error answer is read: API error bodies are a few hundred bytes,
// proxy and IIS pages a few kilobytes.
const maxErrorBody = 64 << 10

// ErrorBody reads an API's error answer (any status outside 2xx): the status, the headers and up to
// 64 KiB of the body. Each API plugs in its own (RWS's four error shapes live in sync/rws; the JSON
// APIs read their JSON bodies); the Client adds the status-based classification, Retry-After and the
// credential policy, and cleans Message and Code of control characters.
type ErrorBody func(status int, header http.Header, body []byte) Problem

// Problem is what an error answer says.
type Problem struct {
	Code    string // the API's reason code ("RWS00008", "invalid_regimen"); "" when none
	Message string // the server's words
	// Final says that sending the request again cannot help, whatever its status: a 5xx or 429 is then
	// not retried, and a 401 is a rejected credential at once (Basic is otherwise tried once more).
	Final bool
	// Detail is kept in Error.Detail for the API package (e.g. RWS's error shape and origin).
	Detail any
}

var (
	htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	htmlH1    = regexp.MustCompile(`(?is)<h1[^>]*>(.*?)</h1>`)
	htmlH2    = regexp.MustCompile(`(?is)<h2[^>]*>(.*?)</h2>`)
	htmlTag   = regexp.MustCompile(`(?s)<[^>]*>`)
)

// PlainErrorBody is the ErrorBody used when an API brings none: a JSON object's "code"/"error" and
// "message"/"error_description"/"detail"/"title" members, an HTML page's first heading or title, or
// the text itself.
func PlainErrorBody(_ int, _ http.Header, body []byte) Problem {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")))
	if len(body) == 0 {
		return Problem{}
	}
	if body[0] == '{' {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			return Problem{Code: firstString(m, "code", "error_code", "error"), Message: firstString(m, "message", "error_description", "detail", "title", "error")}
		}
	}
	lower := bytes.ToLower(body[:min(len(body), 512)])
	if bytes.Contains(lower, []byte("<html")) || bytes.HasPrefix(lower, []byte("<!doctype html")) {
		return Problem{Message: HTMLText(body)}
	}
	return Problem{Message: string(body)}
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// HTMLText is what an HTML error page says: its first h2 heading (IIS puts the detail there, under an
// h1 "Server Error"), else its title, else its first h1, as text.
func HTMLText(page []byte) string {
	for _, re := range []*regexp.Regexp{htmlH2, htmlTitle, htmlH1} {
		if m := re.FindSubmatch(page); m != nil {
			if s := strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(string(m[1]), " "))); s != "" {
				return s
			}
		}
	}
	return ""
}
