// Package config loads and validates trialsync's TOML configuration file.
//
// The file says where the remote systems are and what to synchronise; it never holds a secret (those live
// in the OS keyring, see package store). Every section is optional — a coordinator may configure only the
// Rave pull — but whatever is present must be complete and valid, because a bad file is rejected at start,
// before anything is sent to a remote system.
//
// # Errors
//
// Every problem is reported as one line, FILE:LINE: reason, pointing at the key (or the table header) that
// is wrong, so the coordinator can open the file at that line. Unknown keys are errors: a misspelt key
// silently ignored would mean a setting silently not applied. A key that looks like a secret (password,
// secret, token) is refused with a pointer to `trialsync creds set NAME`, and no error message ever
// repeats a value that could hold a credential.
//
// A missing file is reported separately, wrapping ErrNotFound, so callers can tell "no configuration
// yet" from "a broken configuration".
//
// # Caveats
//
// Load only reads the file; it never writes, renames or rewrites it, even to normalise it. Only Save
// writes one (the settings screen): after the same checks as Load, atomically, keeping the previous file
// as FILE.bak. A file Save writes has no comments: they are in the .bak.
package config
