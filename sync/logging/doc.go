// Package logging gives trialsync structured logs that cannot leak a secret.
//
// New builds a zerolog logger that writes JSON lines to a size-capped file under the user's cache
// directory (for support and after-the-fact diagnosis) and readable lines to a console writer (for the
// coordinator watching a run). Every line carries the run ID of the process, and the correlation ID of
// the operation it belongs to when one is set with WithCorrelation, so one sync of one site can be
// followed across engines.
//
// # Secrets
//
// A secret must never reach a log line, whatever path it takes: a message, a field, an error string, a
// struct dumped with Interface, a stack. Rather than trusting every call site, all output passes through
// a Redactor that sits below zerolog, on the bytes about to be written, and replaces every registered
// secret — raw, JSON- and Go-escaped, base64 (at any alignment, so a secret inside a Basic
// Authorization header is caught too), hex, and percent-encoded however an encoder spells it (+ or %20
// for a space, either case of hex, some characters left as they are) — with [redacted:<fingerprint>].
// The fingerprint is the store's keyed one (store.DB.Fingerprint, an HMAC under a key in the OS
// keyring), given to the Redactor with SetFingerprint once the store is open: logging never opens the
// keyring itself, and until then a secret is replaced by [redacted] alone. The store registers every
// secret it reads from or writes to the keyring, so a credential is known to the Redactor before any
// code can hold it. Secret carries a credential for code that must pass one around: every way of
// printing it yields only its label.
//
// # Caveats
//
// A secret is redacted only from the moment it is registered; lines written before are not rewritten.
// Secrets shorter than MinSecretLen bytes are not registered: replacing two or three bytes wherever they
// occur would mangle the log without protecting anything worth protecting.
package logging
