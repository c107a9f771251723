package logging

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// secrets used by the leak tests: a plain token, and a password with characters that every encoder
// escapes differently (quote, backslash, slash, plus, space, non-ASCII, a control byte).
var leakSecrets = []string{
	"sa-3f9c1e0b7d2a4c6e8f1a2b3c",
	"pa\"ss\\w/rd+é 7\tX",
}

// leakForms lists the spellings of secret a careless line could contain.
func leakForms(secret string) map[string]string {
	jsonBody, _ := json.Marshal(map[string]string{"password": secret})
	return map[string]string{
		"raw":           secret,
		"go quoted":     strconv.Quote(secret),
		"json escaped":  string(jsonBody),
		"base64 std":    base64.StdEncoding.EncodeToString([]byte(secret)),
		"base64 url":    base64.URLEncoding.EncodeToString([]byte(secret)),
		"url query":     url.QueryEscape(secret),
		"url path":      url.PathEscape(secret),
		"url query %20": strings.ReplaceAll(url.QueryEscape(secret), "+", "%20"), // encodeURIComponent and many clients
		"url userinfo":  strings.TrimPrefix(url.UserPassword("rws", secret).String(), "rws:"),
		"url lower hex": lowerPercent(strings.ReplaceAll(url.QueryEscape(secret), "+", "%20")),
		"hex":           hex.EncodeToString([]byte(secret)),
		"basic header":  base64.StdEncoding.EncodeToString([]byte("rws.integration:" + secret)),
		"basic header2": base64.StdEncoding.EncodeToString([]byte("u:" + secret)),
		"basic header3": base64.StdEncoding.EncodeToString([]byte("ab:" + secret)),
	}
}

// logEverywhere logs secret every way the tests know.
func logEverywhere(lg *Logger, secret string) {
	type credentials struct {
		User     string
		Password string
	}
	forms := leakForms(secret)
	lg.Info().Msg(secret)
	lg.Info().Msgf("login with %q failed", secret)
	lg.Info().Str("password", secret).Msg("field")
	lg.Error().Err(errors.New("auth failed for password " + secret)).Msg("wrapped error")
	lg.Error().Err(fmt.Errorf("request: %w", errors.New(secret))).Msg("error chain")
	lg.Info().Interface("creds", credentials{User: "rws", Password: secret}).Msg("struct")
	lg.Info().Str("body", forms["json escaped"]).Msg("json body inside a field")
	lg.Info().Strs("headers", []string{"Authorization: Basic " + forms["basic header"]}).Msg("headers")
	lg.Debug().Str("auth", "Basic "+forms["basic header2"]).Str("auth3", "Basic "+forms["basic header3"]).Msg("debug")
	lg.Warn().Str("b64", forms["base64 std"]).Str("b64url", forms["base64 url"]).Msg("encoded")
	lg.Info().Str("url", "https://example.org/cb?token="+forms["url query"]).Msg("query")
	lg.Info().Str("path", "/v1/tokens/"+forms["url path"]).Msg("path")
	lg.Info().Str("form", "grant_type=password&password="+forms["url query %20"]+"&x=1").Msg("form body")
	lg.Info().Str("url", "https://rws:"+forms["url userinfo"]+"@example.org/RaveWebServices").Msg("userinfo")
	lg.Info().Str("lower", "p="+forms["url lower hex"]).Msg("lower-case escapes")
	lg.Info().Hex("raw", []byte(secret)).Msg("hex")
	lg.Info().Bytes("bytes", []byte(secret)).Msg("bytes")
	lg.Info().Stack().Err(errors.New(secret)).Msg("with stack")
	sub := lg.With().Str("ctxfield", secret).Logger()
	sub.Info().Msg("context field")
}

// basicHeader matches the base64 after "Basic ", with the redaction label if there is one.
var basicHeader = regexp.MustCompile(`Basic ([A-Za-z0-9+/]*)(\[redacted:[0-9a-f]{12}\])?([A-Za-z0-9+/]*)=*`)

// checkBasicHeaders checks that each base64-encoded "user:secret" in out was redacted so that what
// is left is the user's part and at most one character at either end mixing user (or padding) bits
// with the secret's: a few bits, never a byte of the secret.
func checkBasicHeaders(t *testing.T, name, out string) {
	t.Helper()
	matches := basicHeader.FindAllStringSubmatch(out, -1)
	if len(matches) == 0 {
		t.Errorf("%s output has no Basic header at all", name)
	}
	maxUser := base64.RawStdEncoding.EncodedLen(len("rws.integration:"))
	for _, m := range matches {
		switch {
		case m[2] == "":
			t.Errorf("%s output has an unredacted Basic header %q", name, m[0])
		case len(m[1]) > maxUser:
			t.Errorf("%s output keeps %d characters before the label in %q; the user part is %d", name, len(m[1]), m[0], maxUser)
		case len(m[3]) > 1:
			t.Errorf("%s output keeps %q after the label in %q", name, m[3], m[0])
		}
	}
}

func newTestLogger(t *testing.T, red *Redactor) (*Logger, *bytes.Buffer) {
	t.Helper()
	var console bytes.Buffer
	lg, err := New(Options{Dir: t.TempDir(), Console: &console, Level: "debug", Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	return lg, &console
}

func readLog(t *testing.T, lg *Logger) string {
	t.Helper()
	data, err := os.ReadFile(lg.Path())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestNoSecretInLogs(t *testing.T) {
	red := newTestRedactor()
	lg, console := newTestLogger(t, red)
	for i, s := range leakSecrets {
		if i == 0 {
			red.Add(s)
		} else {
			red.Secret(s) // the second registered through Secret, after the logger exists
		}
	}
	for _, s := range leakSecrets {
		logEverywhere(lg, s)
	}
	outputs := map[string]string{"file": readLog(t, lg), "console": console.String()}
	for name, out := range outputs {
		for _, s := range leakSecrets {
			for form, v := range leakForms(s) {
				if strings.HasPrefix(form, "basic header") {
					continue // checkBasicHeaders
				}
				if strings.Contains(out, v) {
					t.Errorf("%s output contains the %s form of %q", name, form, s)
				}
			}
			if label := red.Label(s); !strings.Contains(out, label) || !strings.Contains(label, testFingerprint(s)) {
				t.Errorf("%s output lacks %s", name, label)
			}
		}
	}
	for name, out := range outputs {
		checkBasicHeaders(t, name, out)
	}
	if t.Failed() {
		t.Logf("file:\n%s\nconsole:\n%s", outputs["file"], outputs["console"])
	}
}

// The control: without registration the same lines do carry every form, so the test above can fail.
func TestLeakFormsAppearWithoutRegistration(t *testing.T) {
	lg, console := newTestLogger(t, NewRedactor())
	for _, s := range leakSecrets {
		logEverywhere(lg, s)
	}
	file := readLog(t, lg)
	for _, s := range leakSecrets {
		for form, v := range leakForms(s) {
			if form == "go quoted" || form == "json escaped" {
				continue // these are spellings, not values logged verbatim
			}
			if !strings.Contains(file, zerologEscape(v)) {
				t.Errorf("file lacks the %s form of %q: the leak test would prove nothing", form, s)
			}
		}
		if !strings.Contains(console.String(), s) {
			t.Errorf("console lacks %q", s)
		}
	}
}

// Every line must stay valid JSON after redaction, with the label where the secret was.
func TestRedactedFileIsJSON(t *testing.T) {
	red := newTestRedactor()
	lg, _ := newTestLogger(t, red)
	for _, s := range leakSecrets {
		red.Add(s)
		logEverywhere(lg, s)
	}
	for i, line := range strings.Split(strings.TrimSuffix(readLog(t, lg), "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("line %d is not JSON after redaction: %v\n%s", i+1, err, line)
		}
	}
}
