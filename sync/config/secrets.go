package config

import (
	"fmt"
	"strings"
)

// mapTables are the tables whose keys are data (drug names, arms, field names), not settings; a key
// there is never mistaken for a secret.
var mapTables = []string{"exposure.drugs", "sureadhere.regimens", "checklist.owners"}

// keyringNames maps keys a user might be tempted to write to the keyring entry that holds that secret.
var keyringNames = map[string]string{
	"rave.password":         "rave.password",
	"rave.client_secret":    "rave.client_secret",
	"sureadhere.token":      "sureadhere.token",
	"exposure.token":        "intake.token",
	"exposure.intake_token": "intake.token",
	"checklist.edc_token":   "edc.token",
	"checklist.ctms_token":  "ctms.token",
	"checklist.edc.token":   "edc.token",
	"checklist.ctms.token":  "ctms.token",
	"sureadhere.mrn_token":  "sureadhere.token",
}

// secretKey reports whether the last part of a key names a credential: password, secret, token,
// API key and the like. token_url is a URL, not a token.
func secretKey(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"password", "passwd", "secret", "apikey", "api_key", "api-key", "credential", "bearer", "private_key"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return n == "pass" || n == "pwd" || strings.HasSuffix(n, "token")
}

// checkSecrets refuses the first key in the document that looks like a credential. The message names
// the key, never its value.
func checkSecrets(x *index) *lineError {
	for _, e := range x.entries {
		if inMapTable(e.plain) || strings.HasSuffix(e.path, "]") {
			continue
		}
		name := e.plain[strings.LastIndexByte(e.plain, '.')+1:]
		if !secretKey(name) {
			continue
		}
		entry, ok := keyringNames[e.plain]
		if !ok {
			entry = "NAME"
		}
		return &lineError{line: e.line, reason: fmt.Sprintf(
			"%s looks like a secret; secrets belong in the OS keyring, never in the config (trialsync creds set %s)",
			e.path, entry)}
	}
	return nil
}

func inMapTable(plain string) bool {
	for _, t := range mapTables {
		if strings.HasPrefix(plain, t+".") {
			return true
		}
	}
	return false
}
