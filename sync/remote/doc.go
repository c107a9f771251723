// Package remote is the HTTP behaviour every trialsync client shares: Rave Web Services, SureAdhere and
// the checklist systems are each one *Client built on it, so that timeouts, retries, rate limits, the
// circuit breaker, the offline state, authorisation and the redirect policy are written, tested and
// fixed once.
//
// # Basics
//
// New builds a *Client for one remote; build it once and share it between every engine that talks to
// that remote (the Rave pull and the exposure sends share Rave's), which is safe: a Client is safe for
// concurrent use. Do sends one logical Request: it waits for its turn (the server's
// X-RateLimit-Remaining budget when the server states one, a local golang.org/x/time/rate limiter
// otherwise) and a concurrency slot, authorises it (Basic, a static Bearer token, a token in a named
// header such as SureAdhere's MRNIntegrationToken, or OAuth2 client credentials through
// golang.org/x/oauth2), and retries 429, 5xx and transport failures with exponential backoff
// (cenkalti/backoff/v5, jitter ±20 %, capped at 32 s), honouring Retry-After in seconds or as an HTTP
// date. A circuit breaker (sony/gobreaker/v2) per client stops hammering a remote that keeps failing:
// while it is open, requests fail at once with an error matching ErrCircuitOpen.
//
// Each API classifies its own error bodies through an ErrorBody hook (RWS's four shapes in sync/rws,
// the JSON bodies of SureAdhere and the checklist systems); the Client adds what every API shares, and
// strips control characters and escape sequences from whatever a server says (Clean) before it reaches
// an error string, a log line or a terminal.
//
// # Offline is a state
//
// When a remote cannot be reached at all (connection refused, no route, a name that does not resolve,
// a connection that cannot be made in time), the request fails at once with an *OfflineError (matching
// ErrOffline), the remote's State becomes "offline", and every further request fails the same way
// without touching the network, spending an attempt or counting against the breaker. A background probe
// (a HEAD of the base URL without credentials, every ProbeEvery) notices the return; the error's Ready
// channel is then closed, so a service waiting on it resumes by itself. State and Watch give the
// dashboard the remote's condition cheaply.
//
// # Errors
//
// Errors are *Error (or *OfflineError) and match the sentinels that describe them. Retryable says
// whether the same request may succeed later; Fatal (IsFatal) says that nothing but a person can fix
// it: a credential the remote rejected (a 401 is tried once more, or with a fresh OAuth2 token, and
// never again: repeating a wrong password is how a service account gets locked out), a redirect to
// another origin, plain http to a host that is not this machine.
//
// # Caveats
//
// Secrets (passwords, client secrets, tokens) are held only in memory and never appear in errors or
// logs, even when a server repeats one in its error answer (the client removes its own credentials
// from what a server says). Credentials go only to the configured origin: a Request to another origin is refused unsent,
// and a redirect is followed only within the origin of the request, never from https to http. Answer
// bodies are never buffered: the response Body streams under the AnswerPolicy (an idle read, a minimum
// rate, a total duration) and must be closed, which gives back the concurrency slot.
package remote
