package sim

import (
	"net/http"
	"testing"
	"time"
)

func TestHasToken(t *testing.T) {
	cases := []struct {
		name, header, value, prefix, want string
		ok                                bool
	}{
		{"bearer", "Authorization", "Bearer s3cret", "Bearer ", "s3cret", true},
		{"wrong bearer", "Authorization", "Bearer other", "Bearer ", "s3cret", false},
		{"basic instead of bearer", "Authorization", "Basic czNjcmV0", "Bearer ", "s3cret", false},
		{"named header", "MRNIntegrationToken", "tok-1", "", "tok-1", true},
		{"named header missing", "Authorization", "tok-1", "", "tok-1", false},
		{"empty expected token never matches", "Authorization", "Bearer ", "Bearer ", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
			r.Header.Set(tc.header, tc.value)
			header := "Authorization"
			if tc.prefix == "" {
				header = "MRNIntegrationToken"
			}
			if got := HasToken(r, header, tc.prefix, tc.want); got != tc.ok {
				t.Fatalf("HasToken = %v, want %v", got, tc.ok)
			}
		})
	}
}

// TestTokens: issued tokens work, unknown ones do not, and under the expire fault a token stops
// working before its stated lifetime and is reported as cut short.
func TestTokens(t *testing.T) {
	tk := NewTokens(time.Hour, 0)
	a, b := tk.Issue(), tk.Issue()
	if a == b || len(a) != 48 || tk.TTL() != time.Hour {
		t.Fatalf("tokens %q %q", a, b)
	}
	if ok, _ := tk.Check(a); !ok {
		t.Fatal("issued token refused")
	}
	if ok, cut := tk.Check("forged"); ok || cut {
		t.Fatalf("unknown token: ok %v, cut short %v", ok, cut)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	short := NewTokens(time.Hour, 30*time.Second)
	short.now = func() time.Time { return now }
	tok := short.Issue()
	now = now.Add(29 * time.Second)
	if ok, _ := short.Check(tok); !ok {
		t.Fatal("token refused before the expire fault's lifetime")
	}
	now = now.Add(time.Second)
	if ok, cut := short.Check(tok); ok || !cut {
		t.Fatalf("token past the expire fault: ok %v, cut short %v", ok, cut)
	}
	now = now.Add(time.Hour)
	if ok, cut := short.Check(tok); ok || cut {
		t.Fatalf("token past its stated lifetime: ok %v, cut short %v", ok, cut)
	}
}
