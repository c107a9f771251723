package rws

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// authorized checks the Authorization header as RWS does and answers the refusal itself.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "" {
		s.count("401")
		textError(w, http.StatusUnauthorized, "Authorization Header not provided")
		return false
	}
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		ok, cutShort := s.tokens.Check(tok)
		if ok {
			return true
		}
		if cutShort {
			s.count("expired")
		}
		s.count("401")
		rwsError(w, http.StatusUnauthorized, rwsErr{code: "RWS00097", msg: "Access token is not valid or has expired."})
		return false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		s.count("401")
		iisError(w, http.StatusUnauthorized)
		return false
	}
	good := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.User)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
	s.mu.Lock()
	locked := s.locked
	if !good && !locked {
		s.badLogin++
		if s.badLogin >= s.opts.MaxBadLogins {
			s.locked = true
		}
	}
	if good && !locked {
		s.badLogin = 0
	}
	s.mu.Unlock()
	switch {
	case locked:
		s.count("401")
		rwsError(w, http.StatusUnauthorized, rwsErr{code: "RWS00005", msg: "User is locked out."})
		return false
	case !good:
		s.count("401")
		odmError(w, http.StatusUnauthorized, "Incorrect login and password combination. [RWS00008]")
		return false
	}
	return true
}

// Unlock clears a lock-out, as an administrator would.
func (s *Server) Unlock() {
	s.mu.Lock()
	s.locked, s.badLogin = false, 0
	s.mu.Unlock()
}

// handleToken is an OAuth2 token endpoint for the client-credentials grant (RFC 6749 §4.4), with
// client authentication by HTTP Basic or form fields.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	tok := s.tokens.Issue()
	s.count("token")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": int(s.opts.TokenTTL / time.Second),
	})
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}
