package sureadhere

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/trialsync/trialsync/sync/remote"
)

// Reason codes the error hook gives SureAdhere's answers (remote.Error.Code): its JSON errors carry
// none of their own.
const (
	codeInvalidToken = "invalid_token" // the MRNIntegrationToken was refused
	codeInvalidBody  = "invalid_body"  // the body did not validate: FieldProblems in Detail
)

// TokenError is SureAdhere refusing the MRNIntegrationToken. Its integration answers a bad token with
// 400 {"detail":"Invalid MRNIntegrationToken."}, not 401, so the hook reads the detail of every 400 to
// tell a refused token from a refused body. No retry can help, and repeating it is how an account gets
// flagged: it is fatal (Fatal, and it matches remote.ErrCredentialRejected) until a person replaces
// the keyring entry sureadhere.token.
type TokenError struct {
	Reason string // SureAdhere's answer, cleaned: "400 Bad Request: invalid_token: Invalid MRNIntegrationToken."
	Err    error  // the remote's error underneath, nil when no request was made
}

// Error says which keyring entry to replace and what SureAdhere answered; never the token.
func (e *TokenError) Error() string {
	return "sureadhere: the MRNIntegrationToken (keyring entry sureadhere.token) was refused: " + e.Reason
}

// Fatal says that no retry can help: the token must be replaced.
func (e *TokenError) Fatal() bool { return true }

// Is matches remote.ErrCredentialRejected, as every refused credential does.
func (e *TokenError) Is(target error) bool { return target == remote.ErrCredentialRejected }

// Unwrap returns the remote's error.
func (e *TokenError) Unwrap() error { return e.Err }

// FieldProblem is one field SureAdhere refused and why, in its own words (cleaned).
type FieldProblem struct {
	Field   string
	Message string
}

// FieldProblems returns the fields a refused body named (the remote.Error's Detail), nil when err is
// not such a refusal.
func FieldProblems(err error) []FieldProblem {
	var e *remote.Error
	if errors.As(err, &e) {
		if fp, ok := e.Detail.([]FieldProblem); ok {
			return fp
		}
	}
	return nil
}

// readErrorBody is SureAdhere's remote.ErrorBody. Its errors are Django REST Framework's: {"detail":
// "…"} for a refused token, a throttle, a parse error, a duplicate, or a validation error field by
// field, {"mrn":["…"],"regimen":["…"]}. Anything else (a load balancer's HTML page) is read as the
// remote package reads any answer.
func readErrorBody(status int, header http.Header, body []byte) remote.Problem {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return remote.PlainErrorBody(status, header, body)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(trimmed, &m) != nil {
		return remote.PlainErrorBody(status, header, body)
	}
	if raw, ok := m["detail"]; ok {
		var detail string
		if json.Unmarshal(raw, &detail) == nil {
			p := remote.Problem{Message: detail}
			if tokenRefusal(status, detail) {
				p.Code, p.Final = codeInvalidToken, true
			}
			return p
		}
	}
	var fields []FieldProblem
	for _, name := range slices.Sorted(maps.Keys(m)) {
		var msgs []string
		if json.Unmarshal(m[name], &msgs) != nil {
			var one string
			if json.Unmarshal(m[name], &one) != nil {
				continue
			}
			msgs = []string{one}
		}
		for _, msg := range msgs {
			fields = append(fields, FieldProblem{Field: remote.Clean(name), Message: remote.Clean(msg)})
		}
	}
	if len(fields) == 0 {
		return remote.PlainErrorBody(status, header, body)
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return remote.Problem{Code: codeInvalidBody, Message: strings.Join(parts, "; "), Detail: fields}
}

// tokenRefusal reports whether an answer's detail is about the credential: a 400 naming the token (the
// integration's bad-token answer), or a 401/403 (DRF's authentication failures).
func tokenRefusal(status int, detail string) bool {
	d := strings.ToLower(detail)
	switch status {
	case http.StatusBadRequest:
		if strings.HasPrefix(d, "json parse error") {
			return false // the parser's words may say "token" about the body's syntax
		}
		return strings.Contains(d, strings.ToLower(TokenHeader)) ||
			strings.Contains(d, "token") && (strings.Contains(d, "invalid") || strings.Contains(d, "missing") || strings.Contains(d, "not provided"))
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}
